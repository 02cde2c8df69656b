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
