"""The per-wallet Balance loads are streamed too: the token lists first, then the one-wallet
answers in slices, each converted with the token info and released.

``method="per_wallet"`` and ``tokens=`` loads (balances, allowances, balances_and_allowances)
send the per-chain token-list requests as one batch, then the one-wallet requests slice by slice
(``run_batch(first=...)``); every slice is converted with the token lists' replies ahead of its
own. The frame equals the one of the whole batch converted at once (same rows, same order), and
the ``errors=`` policy, failed token lists and unusable bodies behave as they did.
"""

from __future__ import annotations

import gc
import hashlib
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import requests

import inchframe as ifr
import inchframe._loading as loading
from inchframe.balance import plan_balances
from inchframe.client import Client
from inchframe.frames.schema import with_dtype_backend
from inchframe.sandbox import Sandbox

from .conftest import FAKE_KEY, Reply, ScriptedServer

WALLETS = ["0x" + hashlib.sha256(f"pw{i}".encode()).hexdigest()[:40] for i in range(13)]
ROUTER = "0x111111125421ca6dc452d289314280a0f8842a65"
USDT = "0xdac17f958d2ee523a2206206994597c13d831ec7"
NATIVE = "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
ZERO = "0x" + "0" * 40
CHAINS = [1, 10]

Load = Callable[..., pd.DataFrame]
LOADS: dict[str, Load] = {
    "balances": lambda c, **kw: ifr.balances(WALLETS, CHAINS, method="per_wallet", client=c, **kw),
    "balances_keep_zero": lambda c, **kw: ifr.balances(
        WALLETS, CHAINS, method="per_wallet", keep_zero=True, client=c, **kw
    ),
    "balances_of_tokens": lambda c, **kw: ifr.balances(
        WALLETS, CHAINS, tokens=[USDT, NATIVE], method="per_wallet", keep_zero=True, client=c, **kw
    ),
    "wallets_and_tokens": lambda c, **kw: ifr.balances(
        WALLETS, CHAINS, tokens=[USDT, NATIVE], keep_zero=True, client=c, **kw
    ),
    "allowances": lambda c, **kw: ifr.allowances(
        WALLETS, ROUTER, CHAINS, method="per_wallet", client=c, **kw
    ),
    "balances_and_allowances": lambda c, **kw: ifr.balances_and_allowances(
        WALLETS, ROUTER, CHAINS, method="per_wallet", client=c, **kw
    ),
}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as sb:
        yield sb


def _client(url: str, cache: Path, **options: Any) -> Client:
    return Client(FAKE_KEY, base_url=url, cache_dir=cache, rate=1000, progress=False, **options)


class _Slices:
    """Counts the batches ``run_batch`` converts (the token lists, then each slice) and checks,
    at every conversion, that no reply of an earlier slice is still alive."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sizes: list[int] = []
        self.endpoints: list[set[str]] = []
        self.stale: list[int] = []
        self._seen: list[weakref.ref[Any]] = []
        real = loading._convert_keeping_good

        def counting(client: Any, batch: Any, convert: Any) -> Any:
            gc.collect()
            self.stale.append(sum(ref() is not None for ref in self._seen))
            if self.sizes:  # the token lists stay to the end; the slices' bodies go
                self._seen += [weakref.ref(r) for r in batch.replies]
            self.sizes.append(len(batch.replies) + len(batch.failures))
            self.endpoints.append({r.call.endpoint for r in batch.replies})
            return real(client, batch, convert)

        monkeypatch.setattr(loading, "_convert_keeping_good", counting)


def _whole(load: Load, url: str, cache: Path, monkeypatch: pytest.MonkeyPatch, **kw: Any) -> Any:
    """The load converted as one batch (one slice as large as the batch: the old path)."""
    with monkeypatch.context() as m:
        m.setattr(loading, "_slice_size", lambda client: 10**9)
        with _client(url, cache) as client:
            return load(client, **kw)


@pytest.mark.parametrize("name", sorted(LOADS))
def test_per_wallet_loads_are_converted_slice_by_slice_to_the_same_frame(
    name: str, sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load = LOADS[name]
    from inchframe import balance

    monkeypatch.setattr(balance, "MAX_WALLETS_PER_CALL", 2)  # walletsAndTokens: 7 calls a chain
    whole = _whole(load, sandbox.url, tmp_path / "whole", monkeypatch)
    monkeypatch.setattr(loading, "_slice_size", lambda client: 3)
    for cached in (False, True):  # cold (sent), then warm (hits read ahead)
        slices = _Slices(monkeypatch)
        with _client(sandbox.url, tmp_path / "streamed") as client:
            frame = load(client)
        calls = whole.attrs["inchframe"]["requests"]
        # the token lists first (one per chain), alone; then slices of 2, then at most 3 or as
        # many calls as all the slices before
        assert slices.sizes[0] == len(CHAINS)
        assert slices.endpoints[0] == {"balance.token_metadata"}
        data = slices.sizes[1:]
        assert len(data) >= 4 and data[0] == loading.FIRST_SLICE
        assert all(n <= max(3, sum(data[:i])) for i, n in enumerate(data))
        assert sum(slices.sizes) == calls
        assert all("balance.token_metadata" not in e for e in slices.endpoints[1:])
        assert max(slices.stale) == 0  # each slice's bodies released before the next one's
        pd.testing.assert_frame_equal(frame, whole)  # same rows, same order, same dtypes
        info, expected = frame.attrs["inchframe"], whole.attrs["inchframe"]
        assert info["requests"] == expected["requests"] and info["failures"] == []
        assert info["data_requests"] == expected["data_requests"]
        assert info["requests_from_cache"] == (calls if cached else 0)
        assert info["params"] == expected["params"] and info["endpoints"] == expected["endpoints"]


def test_the_token_list_is_parsed_once_per_load(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from inchframe import balance

    parsed: list[int] = []
    real = balance._token_info

    def counting(replies: Any) -> Any:
        parsed.append(1)
        return real(replies)

    monkeypatch.setattr(balance, "_token_info", counting)
    monkeypatch.setattr(loading, "_slice_size", lambda client: 3)
    with _client(sandbox.url, tmp_path / "c") as client:
        frame = LOADS["balances"](client)
    assert len(frame) and frame["symbol"].notna().all()
    assert len(parsed) == 1  # not once per slice


def test_streamed_per_wallet_keeps_dtype_backend_and_plan(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = _whole(LOADS["balances"], sandbox.url, tmp_path / "w", monkeypatch)
    monkeypatch.setattr(loading, "_slice_size", lambda client: 3)
    with _client(sandbox.url, tmp_path / "s") as client:
        arrow = LOADS["balances"](client, dtype_backend="pyarrow")
        plan = LOADS["balances"](client, plan=True)
    pd.testing.assert_frame_equal(arrow, with_dtype_backend(whole, "pyarrow"))
    assert arrow.attrs["inchframe"]["params"]["dtype_backend"] == "pyarrow"
    assert list(plan.calls) == plan_balances(WALLETS, CHAINS, method="per_wallet")
    assert plan.requests == len(CHAINS) * (1 + len(WALLETS)) and plan.cached == plan.requests


def _faulty(sb: Sandbox, scripted: ScriptedServer) -> dict[str, int]:
    """The sandbox behind a stub: chain 10's token list fails (503), one wallet's answer on
    chain 1 fails (503) and another's is not JSON (twice: asked again, then a failure)."""
    down, broken = WALLETS[4], WALLETS[8]
    asked = {"broken": 0}

    def answer(method: str, path: str, body: bytes) -> Reply:
        if "/10/aggregatedBalancesAndAllowances" in path and f"wallets={ZERO}" in path:
            return Reply(503, {"error": "token list down"})
        if path.endswith(f"/1/balances/{down}"):
            return Reply(503, {"error": "down"})
        if path.endswith(f"/1/balances/{broken}"):
            asked["broken"] += 1
            return Reply(200, raw=b"{not json")
        reply = requests.request(
            method,
            sb.url + path,
            data=body or None,
            headers={"Authorization": f"Bearer {FAKE_KEY}", "Content-Type": "application/json"},
            timeout=10,
        )
        return Reply(reply.status_code, raw=reply.content)

    scripted.default = answer
    return asked


def test_failures_in_a_streamed_per_wallet_load_are_kept_and_reported(
    sandbox: Sandbox, scripted: ScriptedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = _faulty(sandbox, scripted)
    load = LOADS["balances"]
    with monkeypatch.context() as m:
        m.setattr(loading, "_slice_size", lambda client: 10**9)
        with (
            _client(scripted.url, tmp_path / "w", max_retries=0) as client,
            pytest.warns(ifr.PartialResultWarning, match="missing for chain"),
        ):
            whole = load(client, errors="warn")
    assert asked["broken"] == 2
    monkeypatch.setattr(loading, "_slice_size", lambda client: 3)
    slices = _Slices(monkeypatch)
    with (
        _client(scripted.url, tmp_path / "s", max_retries=0) as client,
        pytest.warns(ifr.PartialResultWarning, match="missing for chain"),
    ):
        frame = load(client, errors="warn")
    assert asked["broken"] == 4 and len(slices.sizes) > 3
    pd.testing.assert_frame_equal(frame, whole)
    failures = frame.attrs["inchframe"]["failures"]
    assert sorted((f["endpoint"], f["chain_id"], f["error"]) for f in failures) == [
        ("balance.balances", 1, "PayloadError"),
        ("balance.balances", 1, "ServerError"),
        ("balance.token_metadata", 10, "ServerError"),
    ]
    fields = ["endpoint", "chain_id", "wallets", "error", "status", "request"]

    def same(found: list[dict[str, Any]]) -> list[list[Any]]:  # request ids differ
        return sorted([f[k] for k in fields] for f in found)

    assert same(failures) == same(whole.attrs["inchframe"]["failures"])
    # chain 10 keeps its balances, without the token list's symbols and decimals
    optimism = frame[frame["chain_id"] == 10]
    erc20 = optimism[optimism["token"] != NATIVE]
    assert len(erc20) and erc20["symbol"].isna().all() and erc20["balance"].isna().all()
    assert frame[frame["chain_id"] == 1]["symbol"].notna().all()
    failed = {WALLETS[4], WALLETS[8]}
    assert not failed & set(frame[frame["chain_id"] == 1]["wallet"])
    with (
        _client(scripted.url, tmp_path / "r", max_retries=0) as client,
        pytest.raises(ifr.BatchError, match="missing for chain") as error,
    ):
        load(client)
    pd.testing.assert_frame_equal(error.value.frame, whole, check_like=False)


def test_stop_after_holds_across_the_slices(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that does not answer costs ``stop_after`` requests (and at most the rest of the
    slice that reached it), not ``stop_after`` per slice: the token lists' failures count too."""
    monkeypatch.setattr(loading, "_slice_size", lambda client: 3)
    options = {"max_retries": 0, "stop_after": 3, "max_workers": 1}
    with (
        _client("http://127.0.0.1:9", tmp_path / "c", **options) as client,  # refused
        pytest.raises(ifr.BatchError) as info,
    ):
        LOADS["balances"](client)
    failures = info.value.failures
    assert len(failures) == len(CHAINS) * (1 + len(WALLETS))  # every call accounted for
    not_attempted = int((failures["error"] == "NotAttemptedError").sum())
    assert not_attempted >= len(failures) - 4  # 2 token lists + 2 calls of the first slice
