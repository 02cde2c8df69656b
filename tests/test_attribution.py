"""No row is given to a wallet that was not asked for.

The one live v5 tokens/snapshot item on record carries ``address: 0x000…000``. A multi-wallet
answer whose rows name the zero address, no address or a foreign wallet is asked again once per
wallet (single-wallet answers belong to the asked wallet). Checked end to end through the
loaders on the sandbox's ``snapshot_address`` quirk, and on a stub server (127.0.0.1) that
answers for a wallet nobody asked about.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest
import requests

import inchframe as ifr
from inchframe.client import Client
from inchframe.errors import AttributionWarning
from inchframe.sandbox import Sandbox

from .conftest import BINANCE, FAKE_KEY, VITALIK, Reply, ScriptedServer

WALLETS = [VITALIK.lower(), BINANCE.lower()]
FOREIGN = "0x1111111111111111111111111111111111111111"
ZERO = "0x" + "0" * 40
V5 = "/portfolio/portfolio/v5.0"

SNAPSHOTS: dict[str, Callable[..., pd.DataFrame]] = {
    "tokens": ifr.portfolio.tokens_snapshot,
    "protocols": ifr.portfolio.protocols_snapshot,
}


def _client(url: str, tmp_path: Path, name: str) -> Client:
    return Client(FAKE_KEY, base_url=url, cache_dir=tmp_path / name, rate=500, progress=False)


@pytest.fixture(scope="module")
def truth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, pd.DataFrame]]:
    """What each snapshot loader returns on a sandbox whose items name their wallet."""
    cache = tmp_path_factory.mktemp("truth")
    with Sandbox() as sb, _client(sb.url, cache, "t") as c:
        yield {name: load(WALLETS, client=c) for name, load in SNAPSHOTS.items()}


def _key(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    cols = ["chain_id", "wallet", "position_index", "token", "amount"]
    cols = [c for c in cols if c in frame.columns]
    return sorted(frame[cols].astype(str).itertuples(index=False, name=None))


@pytest.mark.parametrize("form", ["zero", "absent"])
@pytest.mark.parametrize("name", sorted(SNAPSHOTS))
def test_sandbox_owner_quirk_is_reasked_per_wallet(
    form: str, name: str, tmp_path: Path, truth: dict[str, pd.DataFrame]
) -> None:
    expected = truth[name]
    assert set(expected["wallet"]) == set(WALLETS)  # both wallets hold something
    with Sandbox(snapshot_address=form) as sb, _client(sb.url, tmp_path, "c") as client:
        with pytest.warns(AttributionWarning, match="asked again once per wallet") as caught:
            frame = SNAPSHOTS[name](WALLETS, client=client)
        assert "zero address" in str(caught[0].message) or "without an address" in str(
            caught[0].message
        )
        assert sb.stats()["total"] == 3  # the two-wallet request, then one per wallet
        assert frame.attrs["inchframe"]["requests"] == 3
        assert not frame.attrs["inchframe"]["failures"]
        assert set(frame["wallet"]) <= set(WALLETS)
        assert _key(frame) == _key(expected)
        # a single-wallet request needs no second look: its rows are the wallet asked
        with warnings.catch_warnings():
            warnings.simplefilter("error", AttributionWarning)
            one = SNAPSHOTS[name](BINANCE, client=client)
        assert set(one["wallet"]) == {BINANCE.lower()}
        assert sb.stats()["total"] == 3  # the per-wallet answer of the re-ask, from the cache
        assert one.attrs["inchframe"]["from_cache"]


def test_sandbox_quirk_option_shapes_items(tmp_path: Path) -> None:
    url = f"{V5}/tokens/snapshot"
    headers = {"Authorization": f"Bearer {FAKE_KEY}"}
    for form, check in [
        ("wallet", lambda item: item["address"] == VITALIK.lower()),
        ("zero", lambda item: item["address"] == ZERO),
        ("absent", lambda item: "address" not in item),
    ]:
        with Sandbox(snapshot_address=form) as sb:
            body = requests.get(
                sb.url + url, params={"addresses": VITALIK, "chain_id": 1}, headers=headers
            ).json()
        assert body["result"] and all(check(item) for item in body["result"]), form
    with pytest.raises(ValueError, match="snapshot_address"):
        Sandbox(snapshot_address="nobody")


def _per_wallet_bodies() -> dict[str, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {FAKE_KEY}"}
    with Sandbox() as sb:
        return {
            w: requests.get(
                f"{sb.url}{V5}/tokens/snapshot",
                params={"addresses": w, "chain_id": 1},
                headers=headers,
            ).json()
            for w in WALLETS
        }


def test_stub_answering_for_a_foreign_wallet(scripted: ScriptedServer, tmp_path: Path) -> None:
    bodies = _per_wallet_bodies()

    def answer(method: str, path: str, body: bytes) -> Reply:
        asked = parse_qs(urlsplit(path).query)["addresses"]
        if len(asked) == 1:  # per wallet: right rows, but still the foreign owner
            one = json.loads(json.dumps(bodies[asked[0]]))
            for item in one["result"]:
                item["address"] = FOREIGN
            return Reply(200, one)
        merged = {"result": [i for w in asked for i in bodies[w]["result"]], "meta": None}
        for item in merged["result"]:
            item["address"] = FOREIGN  # every row given to a wallet nobody asked about
        return Reply(200, merged)

    scripted.default = answer
    with (
        _client(scripted.url, tmp_path, "c") as client,
        pytest.warns(AttributionWarning, match="not asked for"),
    ):
        frame = ifr.portfolio.tokens_snapshot(WALLETS, 1, client=client)
    assert scripted.count(f"{V5}/tokens/snapshot") == 3
    assert FOREIGN not in set(frame["wallet"])
    for wallet in WALLETS:
        mine = frame[frame["wallet"] == wallet]
        assert len(mine) == len(bodies[wallet]["result"]) > 0
    assert frame.attrs["inchframe"]["requests"] == 3


def test_stub_mixed_answer_keeps_attributed_wallets_only(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    """A multi-wallet answer naming asked wallets is trusted; one foreign row is enough to
    re-ask, and no foreign row survives."""
    bodies = _per_wallet_bodies()

    def answer(method: str, path: str, body: bytes) -> Reply:
        asked = parse_qs(urlsplit(path).query)["addresses"]
        items = [i for w in asked for i in bodies[w]["result"]]
        if len(asked) > 1:
            extra = json.loads(json.dumps(items[0]))
            extra["address"] = FOREIGN.upper().replace("0X", "0x")
            items = [*items, extra]
        return Reply(200, {"result": items, "meta": None})

    scripted.default = answer
    with _client(scripted.url, tmp_path, "c") as client:
        with pytest.warns(AttributionWarning):
            frame = ifr.portfolio.tokens_snapshot(WALLETS, 1, client=client)
        assert scripted.count() == 3
        assert set(frame["wallet"]) == set(WALLETS)
        # upper-case copies of the asked wallets are the same wallets: no re-ask
        scripted.hits.clear()

        def cased(method: str, path: str, body: bytes) -> Reply:
            asked = parse_qs(urlsplit(path).query)["addresses"]
            items = json.loads(json.dumps([i for w in asked for i in bodies[w]["result"]]))
            for item in items:
                item["address"] = "0x" + item["address"][2:].upper()
            return Reply(200, {"result": items, "meta": None})

        scripted.default = cased
        with warnings.catch_warnings():
            warnings.simplefilter("error", AttributionWarning)
            again = ifr.portfolio.tokens_snapshot(WALLETS, 1, use_cache=True, client=client)
        assert scripted.count() == 1
        assert set(again["wallet"]) == set(WALLETS)


# -- Balance: the multi-wallet endpoints name wallets by their keys --------------------------


def _proxy(sb: Sandbox, rewrite: Callable[[str, list[str], Any], Any] | None = None):
    """A stub answer function passing requests to ``sb``; ``rewrite(path, wallets, body)``
    changes the JSON answer."""

    def answer(method: str, path: str, body: bytes) -> Reply:
        reply = requests.request(
            method,
            sb.url + path,
            data=body or None,
            headers={"Authorization": f"Bearer {FAKE_KEY}", "Content-Type": "application/json"},
            timeout=10,
        )
        if rewrite is None or reply.status_code != 200:
            return Reply(reply.status_code, raw=reply.content)
        query = parse_qs(urlsplit(path).query)
        wallets = [w for raw in query.get("wallets", []) for w in raw.split(",")]
        if body:
            wallets = json.loads(body).get("wallets", wallets)
        return Reply(200, rewrite(path, wallets, reply.json()))

    return answer


def _foreign_keys(path: str, wallets: list[str], body: Any) -> Any:
    """Every wallet key of an aggregated / walletsAndTokens answer becomes a foreign one."""
    if "aggregatedBalancesAndAllowances" in path and ZERO not in wallets:
        for item in body:
            item["wallets"] = {
                f"0x{k + 1:040x}" if len(wallets) > 1 else FOREIGN: value
                for k, value in enumerate(item["wallets"].values())
            }
    if "walletsAndTokens" in path:
        body = {f"0x{k + 1:040x}": v for k, v in enumerate(body.values())}
    return body


@pytest.mark.parametrize(
    "method",
    [
        "auto",
        "per_wallet",
    ],
)
def test_balance_multi_wallet_answers_naming_other_wallets_are_reasked(
    scripted: ScriptedServer, tmp_path: Path, method: str
) -> None:
    tokens = None if method == "auto" else ["0xdac17f958d2ee523a2206206994597c13d831ec7"]
    with Sandbox() as sb:
        with _client(sb.url, tmp_path, "truth") as c:
            expected = ifr.balances(WALLETS, 1, tokens=tokens, keep_zero=True, client=c)
        scripted.default = _proxy(sb, _foreign_keys)
        with (
            _client(scripted.url, tmp_path, "c") as client,
            pytest.warns(AttributionWarning, match="not asked for"),
        ):
            frame = ifr.balances(WALLETS, 1, tokens=tokens, keep_zero=True, client=client)
    endpoint = "aggregatedBalancesAndAllowances" if tokens is None else "walletsAndTokens"
    sent = [h for h in scripted.hits if endpoint in h.path]
    assert len(sent) == 3  # the two-wallet request, then one per wallet
    assert set(frame["wallet"]) == set(WALLETS)
    cols = ["chain_id", "wallet", "token", "balance_raw"]
    assert sorted(frame[cols].itertuples(index=False)) == sorted(
        expected[cols].itertuples(index=False)
    )


def test_failed_token_list_keeps_balances_and_names_chain_and_wallets(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    with Sandbox() as sb:
        passthrough = _proxy(sb)

        def answer(method: str, path: str, body: bytes) -> Reply:
            if "/10/aggregatedBalancesAndAllowances" in path and f"wallets={ZERO}" in path:
                return Reply(503, {"error": "token list down"})
            return passthrough(method, path, body)

        scripted.default = answer
        with (
            Client(
                FAKE_KEY,
                base_url=scripted.url,
                cache_dir=tmp_path / "c",
                rate=500,
                progress=False,
                max_retries=0,
            ) as client,
            pytest.warns(Warning, match=r"metadata .* missing for chain\(s\) 10 \(Optimism\)"),
        ):
            frame = ifr.balances(
                WALLETS, [1, 10], method="per_wallet", client=client, errors="warn"
            )
        with _client(sb.url, tmp_path, "truth") as c:
            expected = ifr.balances(WALLETS, [1, 10], method="per_wallet", client=c)
        with (
            Client(
                FAKE_KEY,
                base_url=scripted.url,
                cache_dir=tmp_path / "c2",
                rate=500,
                progress=False,
                max_retries=0,
            ) as client,
            pytest.raises(ifr.BatchError, match="missing for chain") as info,
        ):
            ifr.balances(WALLETS, [1, 10], method="per_wallet", client=client)
        assert set(info.value.frame["chain_id"]) == {1, 10}
    cols = ["chain_id", "wallet", "token", "balance_raw"]
    assert sorted(frame[cols].itertuples(index=False)) == sorted(
        expected[cols].itertuples(index=False)
    )  # every balance kept, on both chains
    optimism = frame[frame["chain_id"] == 10]
    erc20 = optimism[optimism["token"] != "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"]
    assert len(erc20) and erc20["symbol"].isna().all() and erc20["balance"].isna().all()
    assert frame[frame["chain_id"] == 1]["symbol"].notna().all()
    failures = frame.attrs["inchframe"]["failures"]
    assert [(f["endpoint"], f["chain_id"]) for f in failures] == [("balance.token_metadata", 10)]
    assert failures[0]["wallets"].split(",") == WALLETS
    assert ZERO not in failures[0]["wallets"]


def _owners_become(owner: Callable[[int], str]) -> Callable[[str, list[str], Any], Any]:
    """A rewrite giving the owner fields of every Portfolio answer ``owner(n)`` (n: row)."""

    def rewrite(path: str, wallets: list[str], body: Any) -> Any:
        result = body["result"] if isinstance(body, dict) else body
        if isinstance(result, dict):  # address_check: keyed by wallet
            body["result"] = {owner(n): v for n, v in enumerate(result.values())}
            return body
        for n, item in enumerate(result):
            if "addresses" in item:
                item["addresses"] = [owner(n)]
            elif "address" in item:
                item["address"] = owner(n)
        return body

    return rewrite


PORTFOLIO_OWNERS: dict[str, tuple[Callable[..., pd.DataFrame], str]] = {
    "v5.tokens_snapshot": (ifr.portfolio.tokens_snapshot, "tokens/snapshot"),
    "v5.protocols_snapshot": (ifr.portfolio.protocols_snapshot, "protocols/snapshot"),
    "v5.address_check": (ifr.portfolio.address_check, "general/address_check"),
    "v4.current_value": (ifr.portfolio.v4.current_value, "v4/general/current_value"),
    "v4.protocols_details": (ifr.portfolio.v4.protocols_details, "protocols/details"),
}


@pytest.mark.parametrize("owner", ["foreign", "zero"])
@pytest.mark.parametrize("name", sorted(PORTFOLIO_OWNERS))
def test_stub_portfolio_owners_not_asked_for_are_reasked(
    scripted: ScriptedServer, tmp_path: Path, name: str, owner: str
) -> None:
    load, route = PORTFOLIO_OWNERS[name]
    with Sandbox() as sb:
        with _client(sb.url, tmp_path, "truth") as c:
            expected = load(WALLETS, client=c)
        assert set(expected["wallet"]) == set(WALLETS)
        names = {"foreign": lambda n: f"0x{n + 7:040x}", "zero": lambda n: ZERO}
        scripted.default = _proxy(sb, _owners_become(names[owner]))
        with (
            _client(scripted.url, tmp_path, "c") as client,
            pytest.warns(AttributionWarning, match="asked again once per wallet"),
        ):
            frame = load(WALLETS, client=client)
    assert len([h for h in scripted.hits if route in h.path]) == 3
    assert set(frame["wallet"]) == set(WALLETS)
    assert frame["wallet"].value_counts().to_dict() == expected["wallet"].value_counts().to_dict()


def test_single_wallet_answers_naming_another_asked_wallet_keep_their_own(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    """Per-chain single-wallet answers (v4 current_value asks once per chain) that name the
    other wallet of the batch: every row stays with the wallet its request asked about."""
    with Sandbox() as sb:
        swap = {WALLETS[0]: WALLETS[1], WALLETS[1]: WALLETS[0]}

        def rewrite(path: str, wallets: list[str], body: Any) -> Any:
            for item in body["result"]:
                item["address"] = swap[item["address"]]
            return body

        scripted.default = _proxy(sb, rewrite)
        load = ifr.portfolio.v4.current_value
        with _client(sb.url, tmp_path, "truth") as c:
            expected = load(WALLETS, [1, 10], chunk_size=1, client=c)
        with _client(scripted.url, tmp_path, "c") as client:
            frame = load(WALLETS, [1, 10], chunk_size=1, client=client)
    assert scripted.count() == 4  # 2 wallets x 2 chains, one wallet per request

    def values(f: pd.DataFrame) -> dict[tuple[str, int], float]:
        return {
            (w, c): v for w, c, v in zip(f["wallet"], f["chain_id"], f["value_usd"], strict=True)
        }

    assert values(frame) == values(expected)
    assert len(set(values(expected).values())) == 4  # the swap would be visible
