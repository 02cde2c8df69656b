"""Portfolio v5.0 and v4 loaders end to end against the sandbox, in every quirk mode."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import requests

import inchframe as ifr
from inchframe import endpoints as ep
from inchframe import portfolio as pf
from inchframe.client import Client, Plan
from inchframe.errors import BatchError, InputError
from inchframe.portfolio import v4
from inchframe.sandbox import Sandbox, Universe

from .conftest import BINANCE, FAKE_KEY, VITALIK, Reply, api_requests
from .loaders import takes_addresses

WALLETS = [VITALIK.lower(), BINANCE.lower()]
MANY = [f"0x{i:040x}" for i in range(1, 46)]

#: options some data loaders need to return rows for WALLETS
_OPTIONS: dict[str, dict[str, Any]] = {
    "v5.chart": {"timerange": "1week"},
    "v4.value_chart": {"timerange": "1month"},
}
#: every data loader (from the endpoint table) with the arguments it needs; expected at least
#: one row for WALLETS
DATA_LOADERS: list[tuple[str, Callable[..., Any], dict[str, Any]]] = [
    (row.name, row.load_function(), _OPTIONS.get(row.name, {}))
    for row in ep.ENDPOINTS
    if row.api == "portfolio" and takes_addresses(row)
]
#: the loaders without parameters that return a frame (status and is_available: a bool)
PLAIN_LOADERS = [
    row.load_function()
    for row in ep.ENDPOINTS
    if row.api == "portfolio" and not takes_addresses(row) and row.frame
]


@pytest.fixture(params=["observed", "documented", "legacy"])
def quirky(request: pytest.FixtureRequest, tmp_path: Path):
    with (
        Sandbox(quirks=request.param) as server,
        Client(FAKE_KEY, base_url=server.url, cache_dir=tmp_path, rate=500, progress=False) as made,
    ):
        yield server, made


@pytest.mark.parametrize(
    ("name", "loader", "options"), DATA_LOADERS, ids=[n for n, _, _ in DATA_LOADERS]
)
def test_every_data_endpoint_in_every_quirk_mode(quirky, name, loader, options) -> None:
    server, client = quirky
    frame = loader(WALLETS, client=client, **options)
    assert len(frame) > 0
    assert set(frame["api_version"]) == {name.split(".")[0].replace("v5", "v5.0")}
    attrs = frame.attrs["inchframe"]
    assert attrs["api"] == "portfolio" and attrs["requests"] == 1 and attrs["failures"] == []
    assert attrs["params"]["addresses"] == WALLETS
    # metrics loaders also ask for the snapshot that names each row's token (one request)
    assert server.stats()["total"] == (2 if name.endswith("_metrics") else 1)


def test_plain_endpoints_in_every_quirk_mode(quirky) -> None:
    _, client = quirky
    assert pf.status(client=client) is True
    assert v4.is_available(client=client) is True
    for loader in PLAIN_LOADERS:
        frame = loader(client=client)
        assert len(frame) > 0 and "chain_id" in frame.columns
        assert frame.attrs["inchframe"]["requests"] == 1
    chains = pf.supported_chains(client=client)
    assert {1, 8453, 42161} <= set(chains["chain_id"])


def test_tokens_snapshot_matches_the_balance_api(client) -> None:
    snapshot = pf.tokens_snapshot(WALLETS, chain=1, client=client)
    balances = ifr.balances(WALLETS, 1, client=client)
    merged = snapshot.merge(
        balances, on=["chain_id", "wallet", "token"], how="outer", indicator=True
    )
    assert set(merged["_merge"]) == {"both"}
    expected = merged["balance_raw"].astype(float) / 10.0 ** merged["decimals_y"].astype(float)
    assert (merged["amount"] - expected).abs().max() <= 1e-9 * merged["amount"].abs().max()
    assert (snapshot["value_usd"] - snapshot["amount"] * snapshot["price_usd"]).abs().max() < 1e-6


def test_v4_and_v5_agree_on_totals_by_chain(client) -> None:
    v5_value = pf.current_value(WALLETS, client=client)
    v4_tokens = v4.tokens_current_value(WALLETS, client=client)
    v4_protocols = v4.protocols_current_value(WALLETS, client=client)
    by_chain_v5 = v5_value[v5_value.dimension == "chain"].set_index("chain_id")["value_usd"]
    per_chain = pd.concat([v4_tokens, v4_protocols])
    per_chain = per_chain[per_chain["chain_id"].notna()].groupby("chain_id")["value_usd"].sum()
    pd.testing.assert_series_equal(
        by_chain_v5.sort_index(),
        per_chain.sort_index(),
        check_names=False,
        rtol=1e-9,
        check_index_type=False,
    )
    v4_value = v4.current_value(WALLETS, client=client)
    total_v4 = v4_value.loc[v4_value.dimension == "address", "value_usd"].sum()
    assert total_v4 == pytest.approx(
        v5_value.loc[v5_value.dimension == "total", "value_usd"].item()
    )
    shared = {"chain_id", "wallet", "token", "symbol", "amount", "price_usd", "value_usd"}
    assert shared <= set(v4.tokens_details(WALLETS, client=client).columns)
    assert shared <= set(pf.tokens_snapshot(WALLETS, client=client).columns)


def test_snapshots_reconcile_with_current_value(client) -> None:
    tokens = pf.tokens_snapshot(WALLETS, client=client)
    protocols = pf.protocols_snapshot(WALLETS, client=client)
    value = pf.current_value(WALLETS, client=client)
    report = tokens.inch.reconcile(value, protocols=protocols)
    assert report["ok"].all(), report


@pytest.mark.parametrize(
    ("loader", "options", "measure"),
    [
        (pf.current_value, {}, "value_usd"),
        (pf.chart, {"timerange": "1week"}, "value_usd"),
        (v4.profit_and_loss, {}, "profit_usd"),
        (v4.value_chart, {}, "value_usd"),
        (v4.tokens_current_value, {}, "value_usd"),
    ],
)
def test_chunks_merge_to_the_single_request_answer(client, loader, options, measure) -> None:
    chunked = loader(MANY, client=client, chunk_size=20, **options)
    whole = loader(MANY, client=client, chunk_size=50, **options)
    assert chunked.attrs["inchframe"]["requests"] == 3
    assert whole.attrs["inchframe"]["requests"] == 1
    keys = [c for c in whole.columns if c not in (measure, "roi", "wallets")]
    left = chunked.sort_values(keys, ignore_index=True)
    right = whole.sort_values(keys, ignore_index=True)
    pd.testing.assert_frame_equal(
        left.drop(columns="wallets"), right.drop(columns="wallets"), rtol=1e-9
    )


def test_several_chains_use_one_all_chain_request_for_snapshots(sandbox, client) -> None:
    frame = pf.tokens_snapshot(MANY, chain=["ethereum", "base"], client=client)
    assert set(frame["chain_id"]) <= {1, 8453} and len(frame)
    assert api_requests(sandbox) == 3  # 45 addresses in chunks of 20, every chain at once
    universe = Universe(0)
    expected = sum(len(universe.balances(c, w)) for c in (1, 8453) for w in MANY)
    assert len(frame) == expected
    value = pf.current_value(WALLETS, chain=["ethereum", "base"], client=client)
    assert set(value["chain_id"].dropna()) == {1, 8453}  # one request per chain


def test_historical_snapshot_is_cached_long_and_stamped(client) -> None:
    frame = pf.tokens_snapshot(VITALIK, chain=1, timestamp="2025-06-01T00:00:00Z", client=client)
    assert frame.attrs["inchframe"]["params"]["timestamp"] == "2025-06-01T00:00:00Z"
    assert (frame["timestamp"] == pd.Timestamp("2025-06-01", tz="UTC")).all()


def test_one_unusable_payload_loses_nothing_else(scripted, sandbox, tmp_path) -> None:
    """Three chunks; the second answers 200 without a token address. The other two chunks'
    rows are kept, the bad one is in the failure table and leaves the cache."""
    second_chunk = MANY[20]

    def proxy(method: str, path: str, body: bytes) -> Reply:
        answer = requests.get(
            sandbox.url + path, headers={"Authorization": "Bearer k"}, timeout=10
        ).json()
        if second_chunk in path:
            del answer["result"][0]["underlying_tokens"][0]["address"]
        return Reply(200, answer)

    scripted.default = proxy
    with Client(
        FAKE_KEY, base_url=scripted.url, cache_dir=tmp_path, rate=500, progress=False
    ) as client:
        with pytest.raises(BatchError) as info:
            pf.tokens_snapshot(MANY, client=client)
        failures, frame = info.value.failures, info.value.frame
        assert list(failures["error"]) == ["PayloadError"]
        assert "v5.tokens_snapshot" in failures["message"].item()
        assert "address" in failures["message"].item()
        universe = Universe(0)
        kept = MANY[:20] + MANY[40:]
        expected = sum(
            len(universe.balances(c, w)) for c in universe.chains("portfolio") for w in kept
        )
        assert set(frame["wallet"]) <= set(kept) and len(frame) == expected
        before = scripted.count()
        with pytest.raises(BatchError):
            pf.tokens_snapshot(MANY, client=client)
        assert scripted.count() == before + 2  # only the bad chunk: asked again, retried once


@pytest.mark.filterwarnings("ignore::inchframe.UnknownFieldsWarning")
def test_drift_gives_a_frame_or_payload_errors_never_a_crash(sandbox, client) -> None:
    sandbox.configure(drift_rate=1.0, fault_endpoints=("v5.tokens_snapshot",))
    for _ in range(6):
        try:
            frame = pf.tokens_snapshot(MANY, client=client, errors="ignore", use_cache=False)
        except Exception as error:  # pragma: no cover - the assertion below explains
            pytest.fail(f"{type(error).__name__}: {error}")
        kinds = {f["error"] for f in frame.attrs["inchframe"]["failures"]}
        assert kinds <= {"PayloadError"}
        client.session.cache.clear()


def test_plan_counts_chunks_and_sends_nothing(sandbox, client) -> None:
    plan = pf.tokens_snapshot(MANY, plan=True, client=client)
    assert isinstance(plan, Plan) and plan.requests == 3 and plan.cached == 0
    assert api_requests(sandbox) == 0


@pytest.mark.parametrize(
    "call",
    [
        lambda c: pf.chart(VITALIK, timerange="2days", client=c),
        lambda c: pf.chart(VITALIK, timerange="1Year", client=c),
        lambda c: pf.tokens_snapshot([], client=c),
        lambda c: pf.tokens_snapshot(VITALIK[:-1] + "6", client=c),
        lambda c: pf.tokens_snapshot(VITALIK, chain="solana", client=c),
        lambda c: pf.tokens_snapshot(VITALIK, timestamp=2**32, client=c),
        lambda c: pf.tokens_snapshot(VITALIK, timestamp="yesterday", client=c),
        lambda c: pf.tokens_snapshot(VITALIK, chunk_size=0, client=c),
        lambda c: pf.protocols_metrics(VITALIK, token_id=-1, client=c),
        lambda c: pf.protocols_metrics(VITALIK, contract_address="0x12", client=c),
        lambda c: pf.protocols_metrics(VITALIK, protocol_group_id="", client=c),
        lambda c: pf.current_value(VITALIK, use_cache="yes", client=c),
        lambda c: v4.tokens_details(VITALIK, closed_threshold=-1, client=c),
        lambda c: v4.protocols_details(VITALIK, closed="no", client=c),
        lambda c: v4.profit_and_loss(VITALIK, errors="loud", client=c),
    ],
)
def test_bad_input_fails_before_any_request(sandbox, client, call) -> None:
    with pytest.raises(InputError):
        call(client)
    assert api_requests(sandbox) == 0


def test_pnl_by_chain_takes_chains_from_the_snapshot(client) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = pf.tokens_metrics(WALLETS, client=client)
    # an all-chains request names no chain per row; the loader joins it from the snapshot
    assert metrics["chain_id"].notna().any()
    metrics["chain_id"] = pd.NA  # as a body without identity converts: pnl takes the snapshot's
    snapshot = pf.tokens_snapshot(WALLETS, client=client)
    ax = metrics.inch.plot.pnl(by="chain", snapshot=snapshot)
    labels = {t.get_text() for t in ax.get_yticklabels()}
    plt.close(ax.figure)
    assert len(labels - {"not in snapshot"}) >= 3 and "all chains" not in labels


def test_timestamps_drop_fractions_of_a_second(client) -> None:
    moment = pd.Timestamp("2025-06-01 12:00:00.750", tz="UTC")
    plan = pf.tokens_snapshot(VITALIK, timestamp=moment, plan=True, client=client)
    assert ("timestamp", str(int(moment.floor("s").timestamp()))) in plan.calls[0].params
