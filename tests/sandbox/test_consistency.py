"""Cross-endpoint consistency: the universe rules hold directly and over HTTP."""

from __future__ import annotations

import random
from typing import Any

import pytest

from inchframe.sandbox import MAX_UINT256, TIMERANGES, Sandbox, Universe

from ._helpers import NATIVE, ROUTER, V4, V5, addresses_query, call

REL = 1e-9


def _wallets(n: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    return [
        "0x" + "".join(rng.choice("0123456789abcdefABCDEF") for _ in range(40)) for _ in range(n)
    ]


def _close(a: float, b: float, scale: float = 1.0) -> bool:
    return abs(a - b) <= REL * max(abs(a), abs(b), scale)


UNIVERSE = Universe(0)
WALLETS = _wallets(300)


@pytest.mark.parametrize("chunk", range(6))
def test_universe_rules(chunk: int) -> None:
    u = UNIVERSE
    chains = u.chains("portfolio")
    for wallet in WALLETS[chunk * 50 : (chunk + 1) * 50]:
        wallet = wallet.lower()
        assert any(u.holdings(c, wallet) for c in chains), "every wallet holds something"
        for chain in chains:
            holdings = u.holdings(chain, wallet)
            assert not holdings or 5 <= len(holdings) <= 40
            for h in holdings:
                assert isinstance(h.raw, int) and h.raw > 0
                assert h.amount == h.raw / 10**h.token.decimals
                assert h.value_usd == h.amount * h.price_usd
            assert u.balances(chain, wallet) == {h.token.address: h.raw for h in holdings}
            net = sum(h.value_usd for h in holdings) + sum(
                p.asset_sign * p.value_usd for p in u.positions(chain, wallet)
            )
            assert _close(u.chain_value(chain, wallet), net)
            for p in u.positions(chain, wallet):
                assert p.asset_sign == (-1 if p.kind == "debt" else 1)
                assert p.value_usd > 0 and len(p.index) == 18
                assert len(p.underlying) == (2 if p.kind == "lp" else 1)
            for timerange in ("1week", "1year"):
                chart = u.chart(chain, wallet, timerange)
                assert len(chart) == TIMERANGES[timerange][1]
                total = u.profit(chain, wallet, timerange)
                parts = [u.profit(chain, wallet, timerange, p) for p in ("tokens", "protocols")]
                assert _close(total.profit_usd, sum(p.profit_usd for p in parts))
                assert _close(chart[-1], u.chain_value(chain, wallet))
                assert _close(chart[0], chart[-1] - total.profit_usd)
                assert min(chart) >= 0
        breakdown = u.current_value([wallet])
        for key in ("by_address", "by_category", "by_protocol_group", "by_chain"):
            assert _close(sum(r["value_usd"] for r in breakdown[key]), breakdown["total"]), key


def test_universe_variety() -> None:
    u = UNIVERSE
    lists = {c: u.tokens(c) for c in u.chains()}
    assert all(1000 <= len(t) <= 2000 for t in lists.values())
    decimals = {t.decimals for t in lists[1]}
    assert {0, 6, 8, 9, 18} <= decimals
    whales = [w for w in WALLETS if u.is_whale(w)]
    assert 1 <= len(whales) <= 30
    for whale in whales:
        assert any(h.raw > 10**24 for c in u.chains() for h in u.holdings(c, whale))
    dust = [h for w in WALLETS[:50] for h in u.holdings(1, w) if h.value_usd < 0.01]
    assert dust
    assert any(not u.holdings(c, w) for w in WALLETS[:20] for c in u.chains())
    held = [tuple(u.balances(1, w).items()) for w in WALLETS[:100] if u.holdings(1, w)]
    assert len(held) > 60 and len(set(held)) == len(held)  # different wallets, different holdings
    allowances = [a for w in WALLETS[:100] for a in u.allowances(1, w, ROUTER).values()]
    assert MAX_UINT256 in allowances and any(a < MAX_UINT256 for a in allowances)
    assert u.allowance(1, WALLETS[0], ROUTER, NATIVE) == MAX_UINT256
    weth = u.token(1, "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2")
    usdc = u.token(1, "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48")
    assert weth is not None and usdc is not None
    assert weth.symbol == "WETH" and usdc.decimals == 6 and abs(usdc.price_usd - 1) < 0.01
    assert 2500 < weth.price_usd < 3500


def test_seed_changes_universe() -> None:
    a, b = Universe(0), Universe(1)
    wallet = WALLETS[0]
    assert a.balances(1, wallet) == Universe(0).balances(1, wallet)
    assert a.balances(1, wallet) != b.balances(1, wallet) or a.balances(8453, wallet) != b.balances(
        8453, wallet
    )


def _get(sb: Sandbox, path: str) -> Any:
    reply = call(sb.url, path)
    assert reply.status == 200, reply.body[:300]
    return reply.json()


HTTP_CHUNK = 20  #: addresses per portfolio call (under the API's cap of 50)
HTTP_GROUPS = len(WALLETS) // HTTP_CHUNK  #: 15 calls' worth: all 300 wallets over HTTP
BALANCE_CHAINS = 2  #: chains per group checked against the Balance API (rotating, all covered)
PNL_TIMERANGES = ("1day", "1month", "1year")
STETH = "0xae7ab96520de3a18e5e111b5eaab095312d7fe84"


def _balance_chains(chains: list[int], group: int) -> list[int]:
    return [chains[(group * BALANCE_CHAINS + i) % len(chains)] for i in range(BALANCE_CHAINS)]


def test_http_groups_cover_all_wallets(sandbox: Sandbox) -> None:
    assert sandbox.options.max_addresses >= HTTP_CHUNK
    groups = [WALLETS[g * HTTP_CHUNK : (g + 1) * HTTP_CHUNK] for g in range(HTTP_GROUPS)]
    assert sorted(w for g in groups for w in g) == sorted(WALLETS)
    assert len({w.lower() for w in WALLETS}) == len(WALLETS) == 300
    chains = sandbox.universe.chains("portfolio")
    checked = {
        _balance_chains(chains, g)[i] for g in range(HTTP_GROUPS) for i in range(BALANCE_CHAINS)
    }
    assert checked == set(chains)


@pytest.mark.parametrize("group", range(HTTP_GROUPS))
def test_http_consistency(sandbox: Sandbox, group: int) -> None:
    u = sandbox.universe
    wallets = WALLETS[group * HTTP_CHUNK : (group + 1) * HTTP_CHUNK]
    lower = [w.lower() for w in wallets]
    query = addresses_query(*wallets)
    current = _get(sandbox, f"{V5}/general/current_value{query}")["result"]
    tokens = _get(sandbox, f"{V5}/tokens/snapshot{query}")["result"]
    protocols = _get(sandbox, f"{V5}/protocols/snapshot{query}")["result"]
    assert {r["address"] for r in tokens} == set(lower)  # every wallet holds something

    # Balance raw = snapshot amount x 10**decimals; value = amount x price (every wallet of the
    # group, on a few chains that rotate between groups so all chains get checked).
    for chain in _balance_chains(u.chains("portfolio"), group):
        for wallet in wallets:
            balances = _get(sandbox, f"/balance/v1.2/{chain}/balances/{wallet}")
            assert len(balances) == len(u.tokens(chain))
            nonzero = {k: int(v) for k, v in balances.items() if v != "0"}
            rows = {
                r["contract_address"]: r
                for r in tokens
                if r["chain"] == chain and r["address"] == wallet.lower()
            }
            assert set(rows) == set(nonzero)
            for address, row in rows.items():
                under = row["underlying_tokens"][0]
                assert under["amount"] == nonzero[address] / 10 ** under["decimals"]
                assert row["value_usd"] == under["amount"] * under["price_usd"]
                assert under["value_usd"] == row["value_usd"]

    # v5 total = token snapshot values + protocol snapshot values (debt subtracted).
    total = current["total"]
    snapshot_total = sum(r["value_usd"] for r in tokens) + sum(
        r["asset_sign"] * r["value_usd"] for r in protocols
    )
    assert _close(total, snapshot_total, 1.0)
    for key in ("by_address", "by_category", "by_protocol_group", "by_chain"):
        assert _close(sum(r["value_usd"] for r in current[key]), total, 1.0)

    # v4 general/current_value per address = v5 by_address.
    v4_current = _get(sandbox, f"{V4}/general/current_value{query}")["result"]
    by_address = {r["address"]: r["value_usd"] for r in current["by_address"]}
    assert [r["address"] for r in v4_current] == lower
    for row in v4_current:
        assert _close(row["value_usd"], by_address[row["address"]], 1.0)

    # v4 erc20/current_value native+stable+token = v5 tokens+native; protocols likewise.
    categories = {r["category_id"]: r["value_usd"] for r in current["by_category"]}
    erc20 = _get(sandbox, f"{V4}/overview/erc20/current_value{query}")["result"]
    assert [r["protocol_name"] for r in erc20] == ["native", "stable", "token"]
    totals = {
        r["protocol_name"]: next(x["value_usd"] for x in r["result"] if x["chain_id"] is None)
        for r in erc20
    }
    assert _close(totals["native"], categories["native"], 1.0)
    assert _close(totals["stable"] + totals["token"], categories["tokens"], 1.0)
    proto = _get(sandbox, f"{V4}/overview/protocols/current_value{query}")["result"]
    proto_total = sum(x["value_usd"] for r in proto for x in r["result"] if x["chain_id"] is None)
    assert _close(proto_total, categories["protocols"], 1.0)

    # PnL: general = erc20 + protocols; chart starts at total - profit; metrics sum up. The
    # large token metrics and erc20 details payloads are checked on one timerange per group
    # (rotating: 100 wallets each); the 1year groups call token metrics without timerange (its
    # default). Token rows and positions never share an index (stETH held next to a Lido
    # position included), so each profit is counted once.
    position_ids = {r["index"] for r in protocols}
    detailed = PNL_TIMERANGES[group % len(PNL_TIMERANGES)]
    for timerange in PNL_TIMERANGES:
        q = addresses_query(*wallets, timerange=timerange)
        pnl = {
            name: _get(sandbox, f"{V4}{path}{q}")["result"][0]["abs_profit_usd"]
            for name, path in (
                ("all", "/general/profit_and_loss"),
                ("tokens", "/overview/erc20/profit_and_loss"),
                ("protocols", "/overview/protocols/profit_and_loss"),
            )
        }
        assert _close(pnl["all"], pnl["tokens"] + pnl["protocols"], 1.0)
        for path in (f"{V4}/general/value_chart", f"{V5}/general/chart"):
            chart = _get(sandbox, path + q)["result"]
            assert _close(chart[-1]["value_usd"], total, 1.0)
            assert _close(chart[0]["value_usd"], total - pnl["all"], 1.0)
        if timerange == "1year":  # protocols metrics default to 1year
            metrics = _get(sandbox, f"{V5}/protocols/metrics{query}")["result"]
            assert _close(sum(r["profit_abs_usd"] for r in metrics), pnl["protocols"], 1.0)
            assert {r["index"] for r in metrics} == {r["index"] for r in protocols}
        if timerange != detailed:
            continue
        metrics = _get(sandbox, f"{V5}/tokens/metrics{query if timerange == '1year' else q}")
        token_metrics = metrics["result"]
        assert not {r["index"] for r in token_metrics} & position_ids
        assert _close(sum(r["profit_abs_usd"] for r in token_metrics), pnl["tokens"], 1.0)
        details = _get(sandbox, f"{V4}/overview/erc20/details{q}")["result"]
        assert _close(sum(r["abs_profit_usd"] for r in details), pnl["tokens"], 1.0)

    # Token metrics share the snapshot's index.
    assert {r["index"] for r in tokens} <= {r["index"] for r in token_metrics}


def test_token_rows_and_positions_have_distinct_indices() -> None:
    """stETH held next to a Lido position (same contract, token id 0) gets two indices."""
    u = UNIVERSE
    shared = []
    for wallet in WALLETS:
        for chain in u.chains("portfolio"):
            tokens = {
                u.token_index(chain, wallet, h.token.address) for h in u.holdings(chain, wallet)
            }
            tokens |= {c.index for c in u.closed_tokens(chain, wallet)}
            shared += [
                (wallet, chain, p.group.id) for p in u.positions(chain, wallet) if p.index in tokens
            ]
    assert shared == []


def test_balance_endpoints_agree(sandbox: Sandbox) -> None:
    u = sandbox.universe
    wallets = WALLETS[20:26]
    for wallet in wallets:
        plain = _get(sandbox, f"/balance/v1.2/1/balances/{wallet}")
        allowances = _get(sandbox, f"/balance/v1.2/1/allowances/{ROUTER}/{wallet}")
        both = _get(sandbox, f"/balance/v1.2/1/allowancesAndBalances/{ROUTER}/{wallet}")
        assert set(plain) == set(allowances) == set(both)
        assert all(both[t] == {"balance": plain[t], "allowance": allowances[t]} for t in plain)
        assert allowances[NATIVE] == str(MAX_UINT256)
        expected = u.allowances(1, wallet, ROUTER)
        assert {k: int(v) for k, v in allowances.items() if v != "0" and k != NATIVE} == expected
    aggregated = _get(
        sandbox,
        f"/balance/v1.2/1/aggregatedBalancesAndAllowances/{ROUTER}"
        f"?wallets={','.join(wallets[:3])}&wallets={wallets[3]}",
    )
    assert len(aggregated) == len(u.tokens(1))
    for item in aggregated:
        assert list(item["wallets"]) == wallets[:4]  # casing and order as sent
        for wallet, entry in item["wallets"].items():
            assert int(entry["balance"]) == u.balance(1, wallet, item["address"])
            assert int(entry["allowance"]) == u.allowance(1, wallet, ROUTER, item["address"])
    filtered = _get(
        sandbox,
        f"/balance/v1.2/1/aggregatedBalancesAndAllowances/{ROUTER}"
        f"?wallets={wallets[0]}&filterEmpty=true",
    )
    assert 0 < len(filtered) < len(aggregated)
    assert all(
        any(e != {"balance": "0", "allowance": "0"} for e in i["wallets"].values())
        for i in filtered
    )


def test_chain_filter_and_legacy_chain(sandbox: Sandbox) -> None:
    wallets = WALLETS[30:33]
    full = _get(sandbox, f"{V5}/general/current_value{addresses_query(*wallets)}")["result"]
    per_chain = {r["chain_id"]: r["value_usd"] for r in full["by_chain"]}
    for chain, value in per_chain.items():
        only = _get(
            sandbox, f"{V5}/general/current_value{addresses_query(*wallets, chain_id=chain)}"
        )["result"]
        assert _close(only["total"], value, 1.0)
    legacy = _get(sandbox, f"{V5}/general/current_value{addresses_query(*wallets, chain_id=250)}")
    assert legacy["result"]["total"] == 0
    snapshot = _get(sandbox, f"{V5}/tokens/snapshot{addresses_query(*wallets, chain_id=250)}")
    assert snapshot["result"] == []
