"""Balance API loaders end to end against the sandbox: every endpoint, request economy,
exactness, partial failures, plans, and input errors before any request."""

from __future__ import annotations

import pandas as pd
import pytest

import inchframe as ifr
from inchframe import PartialResultWarning
from inchframe.balance import MAX_WALLETS_PER_CALL
from inchframe.client import Plan
from inchframe.errors import BatchError, InputError
from inchframe.frames import balance as fb
from inchframe.sandbox import MAX_UINT256, Universe

from .conftest import BINANCE, ROUTER_V6, VITALIK, api_requests

WALLETS = [VITALIK.lower(), BINANCE.lower()]
USDT = "0xdac17f958d2ee523a2206206994597c13d831ec7"
USDC = "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"
NATIVE = "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"


def expected_balances(chain_id: int, wallet: str, tokens: list[str] | None = None) -> dict:
    held = Universe(0).balances(chain_id, wallet)
    if tokens is None:
        return {token: str(raw) for token, raw in held.items() if raw}
    return {t: str(held.get(t, 0)) for t in tokens}


def by_token(frame: pd.DataFrame, column: str) -> dict[str, str]:
    return dict(zip(frame["token"], frame[column], strict=True))


def assert_schema(frame: pd.DataFrame, schema: fb.FrameSchema) -> None:
    assert list(frame.columns[: len(schema.names)]) == list(schema.names)
    for column, dtype in schema.dtypes.items():
        assert str(frame[column].dtype) == str(dtype), column


def test_balances_one_wallet_uses_get_balances(sandbox, client) -> None:
    frame = ifr.balances(VITALIK, chain="ethereum", client=client)
    assert_schema(frame, fb.BALANCES)
    assert by_token(frame, "balance_raw") == expected_balances(1, WALLETS[0])
    assert sandbox.stats()["by_endpoint"].keys() == {"balance.balances", "balance.aggregated"}
    # symbols and decimals come from the token list (the aggregated request, cached a day)
    assert frame["symbol"].notna().all() and frame["decimals"].notna().all()
    row = frame.iloc[0]
    assert row["balance"] == pytest.approx(int(row["balance_raw"]) / 10 ** row["decimals"])
    attrs = frame.attrs["inchframe"]
    assert attrs["endpoint"] == "balances" and attrs["api_version"] == "v1.2"
    assert attrs["chains"] == [1] and attrs["requests"] == 2 and attrs["failures"] == []
    assert attrs["from_cache"] is False and attrs["fetched_at"]


def test_balances_of_tokens_posts_for_one_and_many_wallets(sandbox, client) -> None:
    one = ifr.balances(VITALIK, 1, tokens=[USDT, USDC, NATIVE], keep_zero=True, client=client)
    assert by_token(one, "balance_raw") == expected_balances(1, WALLETS[0], [USDT, USDC, NATIVE])
    many = ifr.balances(WALLETS, 1, tokens=[USDT, NATIVE], keep_zero=True, client=client)
    assert len(many) == 4
    for wallet in WALLETS:
        rows = many[many.wallet == wallet]
        assert by_token(rows, "balance_raw") == expected_balances(1, wallet, [USDT, NATIVE])
    assert set(many.symbol) == {"USDT", "ETH"}
    endpoints = sandbox.stats()["by_endpoint"]
    assert endpoints["balance.balances_of_tokens"] == 1
    assert endpoints["balance.wallets_and_tokens"] == 1


def test_balances_of_many_wallets_use_the_aggregated_endpoint(sandbox, client) -> None:
    frame = ifr.balances(WALLETS, ["ethereum", "base"], client=client)
    assert_schema(frame, fb.BALANCES)
    assert sandbox.stats()["by_endpoint"] == {"balance.aggregated": 2}
    for chain_id in (1, 8453):
        for wallet in WALLETS:
            rows = frame[(frame.chain_id == chain_id) & (frame.wallet == wallet)]
            assert by_token(rows, "balance_raw") == expected_balances(chain_id, wallet)
    per_wallet = ifr.balances(WALLETS, ["ethereum", "base"], method="per_wallet", client=client)
    pd.testing.assert_frame_equal(
        frame.sort_values(["chain_id", "wallet", "token"], ignore_index=True),
        per_wallet.sort_values(["chain_id", "wallet", "token"], ignore_index=True),
    )


def test_allowances_get_and_post(sandbox, client) -> None:
    got = ifr.allowances(VITALIK, ROUTER_V6, 1, client=client)
    assert_schema(got, fb.ALLOWANCES)
    expected = Universe(0).allowances(1, WALLETS[0], ROUTER_V6)
    # the native coin's allowance is always max uint256 (the API's convention,
    # docs/api-contract.md#formats)
    expected_raw = {t: str(v) for t, v in expected.items() if v} | {NATIVE: str(MAX_UINT256)}
    assert by_token(got, "allowance_raw") == expected_raw
    assert got.loc[got.token == NATIVE, "allowance_raw"].item() == str(MAX_UINT256)
    assert got["unlimited"].eq(got["allowance_raw"].map(lambda v: int(v) >= 2**96 - 1)).all()
    posted = ifr.allowances(
        VITALIK, ROUTER_V6, 1, tokens=[USDT, USDC], keep_zero=True, client=client
    )
    assert set(posted.token) >= {USDT, USDC}
    endpoints = sandbox.stats()["by_endpoint"]
    assert endpoints["balance.allowances"] == 1 and endpoints["balance.allowances_of_tokens"] == 1
    one_token = ifr.allowances(
        VITALIK,
        ROUTER_V6,
        1,
        tokens=USDT.upper().replace("0X", "0x"),
        keep_zero=True,
        client=client,
    )
    assert one_token.attrs["inchframe"]["params"]["tokens"] == [USDT]


def test_balances_and_allowances_get_post_and_aggregated(sandbox, client) -> None:
    got = ifr.balances_and_allowances(VITALIK, ROUTER_V6, 1, client=client)
    assert_schema(got, fb.BALANCES_AND_ALLOWANCES)
    assert ((got.balance_raw != "0") | (got.allowance_raw != "0")).all()
    posted = ifr.balances_and_allowances(
        VITALIK, ROUTER_V6, 1, tokens=[USDT], keep_zero=True, client=client
    )
    assert USDT in set(posted.token)
    many = ifr.balances_and_allowances(WALLETS, ROUTER_V6, 1, client=client)
    assert set(many.wallet) <= set(WALLETS)
    endpoints = sandbox.stats()["by_endpoint"]
    assert endpoints["balance.allowances_and_balances"] == 1
    assert endpoints["balance.allowances_and_balances_of_tokens"] == 1
    assert endpoints["balance.aggregated"] >= 2  # the token list, and the many-wallet call


def test_aggregated_balances(sandbox, client) -> None:
    frame = ifr.aggregated_balances(WALLETS, ROUTER_V6, [1, 8453], client=client)
    assert_schema(frame, fb.AGGREGATED)
    universe = Universe(0)
    for row in frame.sample(min(len(frame), 20), random_state=1).itertuples():
        assert row.balance_raw == str(universe.balance(row.chain_id, row.wallet, row.token))
        assert row.allowance_raw == str(
            universe.allowance(row.chain_id, row.wallet, ROUTER_V6, row.token)
        )
    assert frame.attrs["inchframe"]["params"]["filter_empty"] is True


def test_request_economy_200_wallets_3_chains(sandbox, client) -> None:
    wallets = [f"0x{i:040x}" for i in range(1, 201)]
    frame = ifr.balances(wallets, [1, 8453, 42161], client=client)
    requests = api_requests(sandbox)
    naive = len(wallets) * 3
    print(f"\nall-token balances, 200 wallets x 3 chains: {requests} requests (naive {naive})")
    assert requests == 3 * -(-len(wallets) // MAX_WALLETS_PER_CALL)
    assert requests * 50 <= naive
    assert frame.groupby(["chain_id", "wallet"]).ngroups > 300


def test_exact_whale_balances_and_unlimited_allowances(client) -> None:
    universe = Universe(0)
    whales = [w for w in (f"0x{i:040x}" for i in range(1, 400)) if universe.is_whale(w)][:3]
    assert whales
    frame = ifr.aggregated_balances(whales, ROUTER_V6, 1, client=client)
    big = frame[frame.balance_raw.str.len() > 24]
    assert len(big)
    for row in big.itertuples():
        assert int(row.balance_raw) == universe.balance(1, row.wallet, row.token)
    assert (frame.loc[frame.allowance_raw == str(MAX_UINT256), "unlimited"]).all()


def test_dropped_requests_lose_no_wallet(sandbox, tmp_path) -> None:
    wallets = [f"0x{i:040x}" for i in range(1, 61)]
    sandbox.configure(drop_rate=0.1)
    with (
        ifr.Client(
            "k", base_url=sandbox.url, cache_dir=tmp_path, rate=500, max_retries=0, progress=False
        ) as fragile,
        pytest.raises(BatchError) as info,
    ):
        ifr.balances(
            wallets,
            [1, 8453, 42161],
            tokens=[USDT, NATIVE],
            keep_zero=True,
            method="per_wallet",
            client=fragile,
        )
    frame, failures = info.value.frame, info.value.failures
    assert len(failures) > 0
    arrived = set(zip(frame.chain_id, frame.wallet, strict=True))
    failed = {
        (row.chain_id, wallet)
        for row in failures.itertuples()
        for wallet in row.wallets.split(",")
        if row.endpoint != "balance.token_metadata"
    }
    wanted = {(c, w) for c in (1, 8453, 42161) for w in wallets}
    assert arrived | failed == wanted
    assert not arrived & failed
    assert frame.duplicated(["chain_id", "wallet", "token"]).sum() == 0
    assert set(failures.error) <= {"TransportError", "ServerError"}


def test_errors_warn_and_ignore_return_the_partial_frame(sandbox, tmp_path) -> None:
    sandbox.configure(error_rate=1.0, fault_endpoints=("balance.balances",))
    with ifr.Client(
        "k", base_url=sandbox.url, cache_dir=tmp_path, rate=500, max_retries=0, progress=False
    ) as no_retries:
        with pytest.warns(PartialResultWarning, match="2 of 4 request"):
            frame = ifr.balances(VITALIK, [1, 8453], errors="warn", client=no_retries)
        quiet = ifr.balances(VITALIK, [1, 8453], errors="ignore", client=no_retries)
    assert len(frame) == 0  # both data requests failed; the token lists arrived
    failures = frame.attrs["inchframe"]["failures"]
    assert [f["endpoint"] for f in failures] == ["balance.balances", "balance.balances"]
    assert {f["status"] for f in failures} <= {500, 502, 503, 504}
    assert len(quiet.attrs["inchframe"]["failures"]) == 2


def test_plan_sends_nothing_and_counts_the_cache(sandbox, client) -> None:
    plan = ifr.balances(WALLETS, [1, 8453], plan=True, client=client)
    assert isinstance(plan, Plan)
    assert (plan.requests, plan.cached) == (2, 0)
    assert api_requests(sandbox) == 0
    ifr.balances(WALLETS, [1, 8453], client=client)
    again = ifr.balances(WALLETS, [1, 8453], plan=True, client=client)
    assert (again.requests, again.cached, again.to_send) == (2, 2, 0)
    assert "2 request(s)" in str(again)


@pytest.mark.parametrize(
    "call",
    [
        lambda c: ifr.balances([VITALIK[:-1] + "6"], client=c),  # bad checksum
        lambda c: ifr.balances([], client=c),
        lambda c: ifr.balances(VITALIK, chain="ethereun", client=c),
        lambda c: ifr.balances(VITALIK, chain=[], client=c),
        lambda c: ifr.balances(VITALIK, tokens=["USDT"], client=c),
        lambda c: ifr.balances(VITALIK, errors="explode", client=c),
        lambda c: ifr.balances(VITALIK, method="fast", client=c),
        lambda c: ifr.allowances(VITALIK, None, client=c),
        lambda c: ifr.allowances(VITALIK, "0x1234", client=c),
        lambda c: ifr.aggregated_balances(VITALIK, ROUTER_V6, filter_empty="yes", client=c),
        lambda c: ifr.balances(VITALIK, chain="fantom", client=c),
        lambda c: ifr.balances(VITALIK, keep_zero="no", client=c),
        lambda c: ifr.allowances(VITALIK, ROUTER_V6, keep_zero=1, client=c),
        lambda c: ifr.aggregated_balances(VITALIK, ROUTER_V6, keep_zero="no", client=c),
        lambda c: ifr.balances(VITALIK, progress="yes", client=c),
        lambda c: ifr.portfolio.tokens_snapshot(VITALIK, progress="yes", client=c),
    ],
)
def test_bad_input_fails_before_any_request(sandbox, client, call) -> None:
    with pytest.raises(InputError):
        call(client)
    assert api_requests(sandbox) == 0


def test_default_client_uses_the_sandbox_without_a_key() -> None:
    with pytest.warns(ifr.SandboxWarning):
        frame = ifr.balances(VITALIK, 1, progress=False)
    assert frame.attrs["inchframe"]["source"] == "sandbox"
    again = ifr.balances(VITALIK, 1, progress=False)
    assert again.attrs["inchframe"]["from_cache"] is True
