"""Raw-body fast path of the Portfolio v5.0 snapshot converters: same frames as the row-by-row
path, and a fall-back to it for every payload outside the fast path's assumptions (checked by
spying on it)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from inchframe.frames import _fast as F
from inchframe.frames import portfolio_v5 as v5

from ._raw_bodies import compact, same

HERE = Path(__file__).resolve().parent
EXAMPLES: dict[str, Any] = json.loads((HERE / "data" / "portfolio_examples.json").read_text())

W1 = "0x5a1f0c3c9b6f4e1d2a7b8c9d0e1f2a3b4c5d6e7f"
W2 = "0x3e9b7c2d1f0a4b5c6d7e8f9a0b1c2d3e4f5a6b7c"
W1_MIXED = "0x5A1f0C3c9b6F4e1D2a7b8c9d0e1f2a3b4c5d6e7F"
ETH = "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
USDC = "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"
USDT = "0xdac17f958d2ee523a2206206994597c13d831ec7"
ROUTER = "0x111111125421ca6dc452d289314280a0f8842a65"
MAX = str(2**256 - 1)

# unknown fields make the fast path step aside; the safe path then warns, as it should
pytestmark = pytest.mark.filterwarnings("ignore::inchframe.UnknownFieldsWarning")


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records each time a converter gave up its fast path and parsed the bodies."""
    calls: list[str] = []
    real = F.parse_bodies

    def parse_bodies(pairs: Any, endpoint: str) -> Any:
        if isinstance(pairs, list) and any(F.is_raw(p[1]) for p in pairs):
            calls.append(endpoint)
        return real(pairs, endpoint)

    monkeypatch.setattr(F, "parse_bodies", parse_bodies)
    return calls


# ------------------------------------------------------------------------ Balance flat maps


# ------------------------------------------------------------------------------- snapshots

SNAPSHOTS = [
    (v5.tokens_snapshot, "v5.tokens_snapshot"),
    (v5.protocols_snapshot, "v5.protocols_snapshot"),
]


def example(name: str) -> dict[str, Any]:
    return copy.deepcopy(EXAMPLES[name])


@pytest.mark.parametrize(("convert", "name"), SNAPSHOTS)
def test_snapshots_take_the_fast_path(spy: list[str], convert: Any, name: str) -> None:
    body = example(name)
    items = body["result"]
    items[0]["address"] = "0x0000000000000000000000000000000000000000"  # replaced: one wallet
    items[0]["timestamp"] = 1731888011000  # milliseconds
    items[1]["address"] = W1_MIXED  # lowercased by both paths
    items[-1]["underlying_tokens"] = []  # tokens snapshot: a row from the contract fields
    items[-1]["reward_tokens"] = (
        [copy.deepcopy(items[0]["underlying_tokens"][0])]
        if len(items[0]["underlying_tokens"])
        else []
    )
    pairs = [
        ({"addresses": [W1], "chain_id": None}, body),
        ({"addresses": [W1, W2]}, {"result": items[:1]}),
        ({"addresses": [W2]}, items),
    ]  # a bare list, as the swagger says
    same(convert, pairs)
    assert spy == []


@pytest.mark.parametrize(("convert", "name"), SNAPSHOTS)
@pytest.mark.parametrize(
    "variant",
    [
        "chain_id_key",
        "chain_null_with_chain_id",
        "chain_name",
        "unknown_item_field",
        "unknown_token_field",
        "price_to_usd",
        "string_amount",
        "null_item",
        "result_null",
        "padded_address",
        "float_decimals",
        "error_body",
        "missing_index",
        "huge_token_id",
        "bool_as_int",
        "nan",
        "two_objects",
    ],
)
def test_snapshots_fall_back(spy: list[str], convert: Any, name: str, variant: str) -> None:
    body: Any = example(name)
    item = body["result"][0]
    tok = item["underlying_tokens"][0]
    encode = compact
    ctx: dict[str, Any] = {"addresses": [W1], "chain_id": 1}
    if variant == "chain_id_key":  # documented form: every item says chain_id
        for it in body["result"]:
            it["chain_id"] = it.pop("chain")
        for t in (t for it in body["result"] for t in it["underlying_tokens"]):
            t["chain"] = t.pop("chain_id")
    elif variant == "chain_null_with_chain_id":
        item["chain"] = None
        item["chain_id"] = 10
    elif variant == "chain_name":
        item["chain"] = "base"
    elif variant == "unknown_item_field":
        item["brandNew"] = {"x": 1}
    elif variant == "unknown_token_field":
        tok["logo"] = None
    elif variant == "price_to_usd":
        tok["price_to_usd"] = tok.pop("price_usd")
    elif variant == "string_amount":
        tok["amount"] = "1.5"
    elif variant == "null_item":
        body["result"].append(None)
    elif variant == "result_null":
        body["result"] = None
    elif variant == "padded_address":
        item["address"] = f" {W1} "
    elif variant == "float_decimals":
        tok["decimals"] = 6.0
    elif variant == "error_body":
        body = {"detail": "Internal Server Error"}
    elif variant == "missing_index":
        del item["index"]
    elif variant == "huge_token_id":
        item["token_id"] = 2**70
    elif variant == "bool_as_int":
        item["locked"] = 0
    elif variant == "nan":
        encode = lambda p: compact(p).replace(b'"amount":', b'"amount":NaN,"x":', 1)  # noqa: E731
    elif variant == "two_objects":
        encode = lambda p: compact(p) + compact(p)  # noqa: E731
    if variant == "chain_id_key":
        same(convert, [(ctx, body)], encode)
        assert spy == []  # the documented form fits the fast path too
        return
    same(convert, [(ctx, body)], encode)
    assert spy == [name]


def test_empty_and_mixed_batches_use_the_safe_path(spy: list[str]) -> None:
    same(v5.tokens_snapshot, [({"addresses": [W1]}, {"result": []})])
    body = example("v5.tokens_snapshot")
    mixed = [({"addresses": [W1]}, compact(body)), ({"addresses": [W1]}, body)]
    pd.testing.assert_frame_equal(
        v5.tokens_snapshot(mixed), v5.tokens_snapshot([(c, body) for c, _ in mixed])
    )
    with pytest.raises(TypeError):
        v5.tokens_snapshot(compact(body))  # a bare body is not a batch


def test_large_batches_are_read_in_groups(monkeypatch: pytest.MonkeyPatch, spy: list[str]) -> None:
    monkeypatch.setattr(v5, "_CHUNK_BYTES", 1)  # one body per Arrow read
    body = example("v5.protocols_snapshot")
    pairs = [
        ({"addresses": [W1]}, body),
        ({"addresses": [W2]}, {"result": []}),
        ({"addresses": [W2]}, body),
    ]
    same(v5.protocols_snapshot, pairs)
    assert spy == []
