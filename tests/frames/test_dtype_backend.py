"""``dtype_backend=`` on the loaders (pandas' convention) and the streamed fetch -> convert loop."""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

import inchframe as ifr
import inchframe._loading as loading
from inchframe.errors import InputError
from inchframe.frames.schema import DICTIONARY_STRING, check_dtype_backend, with_dtype_backend

ROUTER = "0x111111125421ca6dc452d289314280a0f8842a65"


def wallets(n: int) -> list[str]:
    return ["0x" + hashlib.sha256(f"w{i}".encode()).hexdigest()[:40] for i in range(n)]


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    from inchframe.sandbox import Sandbox

    with (
        Sandbox() as server,
        ifr.Client("k", base_url=server.url, cache=False, progress=False) as c,
    ):
        yield c


@pytest.mark.parametrize("bad", ["arrow", "PyArrow", "", 5, True, ["pyarrow"], pd.NA])
def test_an_unknown_dtype_backend_is_an_input_error_before_any_request(bad: Any) -> None:
    with pytest.raises(InputError, match="dtype_backend"):
        check_dtype_backend(bad)
    # no client is even needed: the loader refuses first
    with pytest.raises(InputError, match="dtype_backend"):
        ifr.balances(wallets(1), 1, dtype_backend=bad, client=_Unusable())  # type: ignore[arg-type]


class _Unusable(ifr.Client):
    def __init__(self) -> None:  # a client that must never be used
        pass

    def fetch_many(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover - the test fails
        raise AssertionError("a request was sent")


def test_pyarrow_backend_on_balances(client: Any) -> None:
    plain = ifr.balances(wallets(40), [1, 10], client=client)
    arrow = ifr.balances(wallets(40), [1, 10], client=client, dtype_backend="pyarrow")
    assert all(isinstance(t, pd.ArrowDtype) for t in arrow.dtypes)
    for name in ("wallet", "token", "symbol", "name", "tags"):
        assert arrow[name].dtype == DICTIONARY_STRING
    assert arrow["balance_raw"].dtype == pd.ArrowDtype(pa.string())  # exact, not a dictionary
    assert arrow["balance_raw"].tolist() == plain["balance_raw"].tolist()
    assert arrow.attrs["inchframe"]["params"]["dtype_backend"] == "pyarrow"
    smaller = arrow.memory_usage(deep=True).sum()
    assert smaller < 0.6 * plain.memory_usage(deep=True).sum()
    pd.testing.assert_frame_equal(
        arrow.astype({c: plain[c].dtype for c in plain.columns}), plain, check_dtype=True
    )
    # the default is unchanged
    assert plain["wallet"].dtype == ifr.frames.schema.STRING


def test_numpy_nullable_backend(client: Any) -> None:
    frame = ifr.balances(wallets(5), 1, client=client, dtype_backend="numpy_nullable")
    assert str(frame["chain_id"].dtype) == "Int64"
    assert str(frame["balance"].dtype) == "Float64"
    assert str(frame["is_native"].dtype) == "boolean"


WALLET_LOADERS = [
    *(
        f"v5.{n}"
        for n in (
            "address_check",
            "current_value",
            "chart",
            "report",
            "protocols_snapshot",
            "protocols_metrics",
            "tokens_snapshot",
            "tokens_metrics",
        )
    ),
    *(
        f"v4.{n}"
        for n in (
            "current_value",
            "profit_and_loss",
            "value_chart",
            "protocols_current_value",
            "protocols_profit_and_loss",
            "protocols_details",
            "tokens_current_value",
            "tokens_profit_and_loss",
            "tokens_details",
        )
    ),
]


@pytest.mark.parametrize("name", WALLET_LOADERS)
def test_every_portfolio_loader_takes_dtype_backend(client: Any, name: str) -> None:
    version, function = name.split(".")
    module = ifr.portfolio if version == "v5" else ifr.portfolio.v4
    load = getattr(module, function)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = load(wallets(2), client=client, dtype_backend="pyarrow")
        default = load(wallets(2), client=client)
    assert all(isinstance(t, pd.ArrowDtype) for t in frame.dtypes), frame.dtypes
    assert list(frame.columns) == list(default.columns) and len(frame) == len(default)
    with pytest.raises(InputError, match="dtype_backend"):
        load(wallets(2), client=client, dtype_backend="arrow")


def test_with_dtype_backend_keeps_attrs() -> None:
    frame = pd.DataFrame({"token": ["a", "a", "b"], "balance_raw": ["1", "2", "3"]})
    frame.attrs["inchframe"] = {"x": 1}
    out = with_dtype_backend(frame, "pyarrow")
    assert out.attrs == {"inchframe": {"x": 1}}
    assert out["token"].dtype == DICTIONARY_STRING
    assert with_dtype_backend(frame, None) is frame


# -- the streamed loop: slices converted as they arrive give the frame of the whole batch ------


@pytest.mark.parametrize(
    "load",
    [
        lambda c, w: ifr.balances(w, [1, 10], client=c),
        lambda c, w: ifr.allowances(w, ROUTER, [1, 10], client=c),
        lambda c, w: ifr.aggregated_balances(w, ROUTER, [1, 10], client=c, keep_zero=True),
        lambda c, w: ifr.portfolio.tokens_snapshot(w[:40], [1, 10], client=c, chunk_size=5),
        lambda c, w: ifr.portfolio.v4.protocols_details(w[:40], None, client=c, chunk_size=5),
    ],
    ids=["balances", "allowances", "aggregated", "tokens_snapshot", "v4_protocols_details"],
)
def test_streamed_batches_give_the_same_frame(
    client: Any, load: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    many = wallets(120)  # 2 aggregated calls per chain; 8 snapshot chunks of 5 (40 wallets)
    monkeypatch.setattr(loading, "_slice_size", lambda c: 10**9)  # one slice: the old loop
    whole = load(client, many)
    seen: list[int] = []
    real = loading._convert_keeping_good

    def counting(c: Any, batch: Any, convert: Any) -> Any:
        seen.append(len(batch.replies))
        return real(c, batch, convert)

    monkeypatch.setattr(loading, "_slice_size", lambda c: 2)
    monkeypatch.setattr(loading, "_convert_keeping_good", counting)
    streamed = load(client, many)
    assert len(seen) > 1 and seen[0] == 2  # converted slice by slice
    pd.testing.assert_frame_equal(streamed, whole)
    info = streamed.attrs["inchframe"]
    assert info["requests"] == whole.attrs["inchframe"]["requests"]
    assert info["failures"] == []
