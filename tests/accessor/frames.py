"""Synthetic inchframe frames for the accessor, Parquet and plot tests (and docs/make_images.py).

They follow the column vocabulary (``inchframe.frames.schema.VOCABULARY``) and carry provenance
in ``attrs["inchframe"]`` like loader frames, but are built here so these tests do not depend on
the converters. Values are deterministic.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

S = pd.StringDtype("pyarrow")
UTC = pd.DatetimeTZDtype("ns", "UTC")
MAX_UINT256 = 2**256 - 1

VITALIK = "0xd8da6bf26964af9d7eed9e03e53415d37aa96045"
BINANCE = "0x28c6c06298d514db089934071355e5743bf21d60"
TREASURY = "0x1a9c8182c09f50c8318d769245bea52c32be35bc"
WALLETS = (VITALIK, BINANCE, TREASURY)
ROUTER_V6 = "0x111111125421ca6dc452d289314280a0f8842a65"
NATIVE = "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"

#: chain_id, token, symbol, name, decimals, price_usd
TOKENS: list[tuple[int, str, str, str, int, float]] = [
    (1, NATIVE, "ETH", "Ether", 18, 3150.0),
    (1, "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48", "USDC", "USD Coin", 6, 1.0),
    (1, "0xdac17f958d2ee523a2206206994597c13d831ec7", "USDT", "Tether USD", 6, 1.0),
    (1, "0x2260fac5e5542a773aa44fbcfedf7c193bc2c599", "WBTC", "Wrapped BTC", 8, 64000.0),
    (1, "0x514910771af9ca656af840dff83e8264ecf986ca", "LINK", "ChainLink Token", 18, 14.2),
    (1, "0x1f9840a85d5af5bf1d1762f925bdaddc4201f984", "UNI", "Uniswap", 18, 7.8),
    (1, "0x6b175474e89094c44da98b954eedeac495271d0f", "DAI", "Dai Stablecoin", 18, 1.0),
    (1, "0x111111111117dc0aa78b770fa6a738034120c302", "1INCH", "1INCH Token", 18, 0.38),
    (8453, NATIVE, "ETH", "Ether", 18, 3150.0),
    (8453, "0x833589fcd6edb6e08f4c7c32d4f71b54bda02913", "USDC", "USD Coin", 6, 1.0),
    (8453, "0x4200000000000000000000000000000000000006", "WETH", "Wrapped Ether", 18, 3150.0),
    (42161, NATIVE, "ETH", "Ether", 18, 3150.0),
    (42161, "0x912ce59144191c1204e64559fe8253a0e49e6548", "ARB", "Arbitrum", 18, 0.72),
    (42161, "0xaf88d065e77c8cc2239327c5edb3a432268e5831", "USDC", "USD Coin", 6, 1.0),
    (137, NATIVE, "POL", "Polygon Ecosystem Token", 18, 0.41),
]
#: a token whose metadata is unknown (decimals NA)
UNKNOWN_TOKEN = (1, "0x0000000000085d4780b73119b644ae5ecd22b376", None, None, None, None)


def provenance(
    endpoint: str, api: str, api_version: str, chains: list[int], **params: Any
) -> dict[str, Any]:
    return {
        "library": "inchframe",
        "library_version": "0.1.0",
        "api": api,
        "api_version": api_version,
        "endpoint": endpoint,
        "endpoints": [endpoint],
        "source": "sandbox",
        "base_url": "sandbox",
        "chains": chains,
        "params": {"wallets": list(WALLETS), **params},
        "fetched_at": "2026-05-01T12:00:00+00:00",
        "fetched_until": "2026-05-01T12:00:03+00:00",
        "from_cache": False,
        "requests": len(chains),
        "requests_from_cache": 0,
        "retries": 0,
        "failures": [],
    }


def _units(rng: np.random.Generator, decimals: int, usd: float, price: float) -> int:
    """Base units worth about ``usd`` at ``price``, with non-round digits."""
    tokens = usd / price
    return int(tokens * 10**decimals) + int(rng.integers(1, 10 ** min(decimals, 6)))


def balances() -> pd.DataFrame:
    """Balance API v1.2 balances: chain x wallet x token, exact raw strings, zero rows, dust."""
    rng = np.random.default_rng(7)
    rows = []
    for w_i, wallet in enumerate(WALLETS):
        for t_i, (chain, token, sym, name, dec, price) in enumerate(TOKENS):
            roll = (w_i * 7 + t_i * 3) % 11
            if roll == 0:
                raw = 0  # zero balances are part of Balance API answers
            elif roll == 1:
                raw = 10 ** max(dec - 6, 0)  # dust
            else:
                usd = float(rng.lognormal(8.5 - w_i, 1.6))
                raw = _units(rng, dec, usd, price)
            rows.append(
                (
                    chain,
                    wallet,
                    token,
                    sym,
                    name,
                    dec,
                    str(raw),
                    raw / 10**dec,
                    token == NATIVE,
                    "tokens",
                )
            )
    chain, token, *_ = UNKNOWN_TOKEN
    rows.append((chain, VITALIK, token, None, None, None, "123456789", np.nan, False, None))
    rows.append(
        (
            1,
            VITALIK,
            TOKENS[6][1],
            "DAI",
            "Dai Stablecoin",
            18,
            "1000000000000000001",
            1.000000000000000001,
            False,
            "tokens",
        )
    )
    frame = pd.DataFrame(
        rows,
        columns=[
            "chain_id",
            "wallet",
            "token",
            "symbol",
            "name",
            "decimals",
            "balance_raw",
            "balance",
            "is_native",
            "tags",
        ],
    )
    frame = frame.drop_duplicates(["chain_id", "wallet", "token"], keep="last")
    frame = frame.sort_values(["chain_id", "wallet", "token"], kind="stable", ignore_index=True)
    frame = frame.astype(
        {
            "chain_id": "int64",
            "wallet": S,
            "token": S,
            "symbol": S,
            "name": S,
            "decimals": "Int64",
            "balance_raw": S,
            "balance": "float64",
            "is_native": "bool",
            "tags": S,
        }
    )
    frame.attrs["inchframe"] = provenance(
        "balance.balances", "balance", "v1.2", sorted({t[0] for t in TOKENS})
    )
    return frame


def allowances() -> pd.DataFrame:
    """Allowances to the 1inch router: unlimited (2**256-1), large sentinels, finite, zero."""
    raws = [MAX_UINT256, MAX_UINT256, 2**96 - 1, 5 * 10**6, 0, MAX_UINT256 - 12345]
    rows = []
    for i, raw in enumerate(raws):
        chain, token, sym, name, dec, _ = TOKENS[1 + i]
        wallet = WALLETS[i % 2]
        rows.append(
            (
                chain,
                wallet,
                ROUTER_V6,
                token,
                sym,
                name,
                dec,
                str(raw),
                raw / 10**dec,
                raw >= 2**96 - 1,
                False,
                "tokens",
            )
        )
    frame = pd.DataFrame(
        rows,
        columns=[
            "chain_id",
            "wallet",
            "spender",
            "token",
            "symbol",
            "name",
            "decimals",
            "allowance_raw",
            "allowance",
            "unlimited",
            "is_native",
            "tags",
        ],
    )
    frame = frame.astype(
        {
            "chain_id": "int64",
            "wallet": S,
            "spender": S,
            "token": S,
            "symbol": S,
            "name": S,
            "decimals": "Int64",
            "allowance_raw": S,
            "allowance": "float64",
            "unlimited": "bool",
            "is_native": "bool",
            "tags": S,
        }
    )
    frame.attrs["inchframe"] = provenance(
        "balance.allowances", "balance", "v1.2", [1, 8453], spender=ROUTER_V6
    )
    return frame


_SNAP_TS = pd.Timestamp("2026-05-01 11:59:47", tz="UTC")


def tokens_snapshot() -> pd.DataFrame:
    """Portfolio v5.0 tokens/snapshot: one row per chain x wallet x token, priced."""
    rng = np.random.default_rng(11)
    rows = []
    for w_i, wallet in enumerate(WALLETS):
        for chain, token, sym, name, dec, price in TOKENS:
            if rng.random() < 0.2:
                continue
            usd = float(rng.lognormal(8.8 - 0.6 * w_i, 1.5))
            amount = usd / price
            handler = "native" if token == NATIVE else "erc20"
            index = f"{chain}-{wallet[:10]}-{token[-6:]}"
            rows.append(
                (
                    chain,
                    wallet,
                    token,
                    sym,
                    name,
                    dec,
                    amount,
                    price,
                    amount * price,
                    index,
                    "tokens",
                    "Tokens",
                    "token",
                    handler,
                    False,
                    1,
                    False,
                    "0",
                    20_000_000 + chain % 1000,
                    pd.NA,
                    _SNAP_TS,
                    "v5.0",
                )
            )
    frame = pd.DataFrame(
        rows,
        columns=[
            "chain_id",
            "wallet",
            "token",
            "symbol",
            "name",
            "decimals",
            "amount",
            "price_usd",
            "value_usd",
            "position_index",
            "protocol",
            "protocol_name",
            "position_type",
            "protocol_handler",
            "is_debt",
            "status",
            "locked",
            "token_id",
            "block_number",
            "block_number_created",
            "timestamp",
            "api_version",
        ],
    )
    frame = frame.astype(
        {
            "chain_id": "int64",
            "wallet": S,
            "token": S,
            "symbol": S,
            "name": S,
            "decimals": "Int64",
            "amount": "float64",
            "price_usd": "float64",
            "value_usd": "float64",
            "position_index": S,
            "protocol": S,
            "protocol_name": S,
            "position_type": S,
            "protocol_handler": S,
            "is_debt": "bool",
            "status": "Int64",
            "locked": "boolean",
            "token_id": S,
            "block_number": "Int64",
            "block_number_created": "Int64",
            "timestamp": UTC,
            "api_version": S,
        }
    )
    frame.attrs["inchframe"] = provenance(
        "portfolio.v5.tokens_snapshot", "portfolio", "v5.0", [1, 137, 8453, 42161]
    )
    return frame


#: protocol, protocol_name, position_type, chain, [(token row index in TOKENS, usd)], is_debt
POSITIONS: list[tuple[str, str, str, int, list[tuple[int, float]], bool]] = [
    ("aave", "Aave V3", "lending", 1, [(0, 52_000.0)], False),
    ("aave", "Aave V3", "lending", 1, [(1, 18_000.0)], True),
    ("uniswap", "Uniswap V3", "dex", 1, [(0, 9_400.0), (1, 9_100.0)], False),
    ("lido", "Lido", "staking", 1, [(0, 31_000.0)], False),
    ("aerodrome", "Aerodrome", "dex", 8453, [(10, 4_200.0), (9, 4_150.0)], False),
    ("gmx", "GMX", "staking", 42161, [(12, 2_300.0)], False),
    ("compound", "Compound V3", "lending", 8453, [(9, 6_500.0)], False),
    ("curve", "Curve", "dex", 1, [(1, 1_200.0), (2, 1_250.0), (6, 1_180.0)], False),
    ("morpho", "Morpho", "lending", 1, [(3, 12_800.0)], False),
    ("pendle", "Pendle", "yield", 42161, [(11, 950.0)], False),
    ("balancer", "Balancer", "dex", 137, [(14, 420.0)], False),
]


def protocols_snapshot() -> pd.DataFrame:
    """Portfolio v5.0 protocols/snapshot: chain x wallet x position x underlying token."""
    rows = []
    for p_i, (proto, pname, ptype, chain, parts, debt) in enumerate(POSITIONS):
        wallet = WALLETS[p_i % 2]
        index = f"{proto}-{chain}-{p_i}"
        position_value = sum(usd for _, usd in parts)
        for u_i, (t_i, usd) in enumerate(parts):
            _, token, sym, name, dec, price = TOKENS[t_i]
            rows.append(
                (
                    chain,
                    wallet,
                    index,
                    "underlying",
                    u_i,
                    token,
                    sym,
                    name,
                    dec,
                    usd / price,
                    price,
                    usd,
                    proto,
                    pname,
                    ptype,
                    debt,
                    position_value,
                    _SNAP_TS,
                    "v5.0",
                )
            )
    frame = pd.DataFrame(
        rows,
        columns=[
            "chain_id",
            "wallet",
            "position_index",
            "role",
            "underlying_index",
            "token",
            "symbol",
            "name",
            "decimals",
            "amount",
            "price_usd",
            "value_usd",
            "protocol",
            "protocol_name",
            "position_type",
            "is_debt",
            "position_value_usd",
            "timestamp",
            "api_version",
        ],
    )
    frame = frame.astype(
        {
            "chain_id": "int64",
            "wallet": S,
            "position_index": S,
            "role": S,
            "underlying_index": "Int64",
            "token": S,
            "symbol": S,
            "name": S,
            "decimals": "Int64",
            "amount": "float64",
            "price_usd": "float64",
            "value_usd": "float64",
            "protocol": S,
            "protocol_name": S,
            "position_type": S,
            "is_debt": "bool",
            "position_value_usd": "float64",
            "timestamp": UTC,
            "api_version": S,
        }
    )
    frame.attrs["inchframe"] = provenance(
        "portfolio.v5.protocols_snapshot", "portfolio", "v5.0", [1, 137, 8453, 42161]
    )
    return frame


def chart(*, days: int = 90, wallets: tuple[str, ...] = WALLETS[:2]) -> pd.DataFrame:
    """Portfolio v5.0 general/chart: daily value per wallet (chain_id NA = all chains)."""
    rng = np.random.default_rng(5)
    stamps = pd.date_range(end="2026-05-01", periods=days, freq="D", tz="UTC")
    parts = []
    for w_i, wallet in enumerate(wallets):
        start = 180_000.0 / (1 + 2.5 * w_i)
        steps = rng.normal(0.002, 0.025, size=days)
        values = start * np.exp(np.cumsum(steps))
        parts.append(
            pd.DataFrame(
                {
                    "timestamp": stamps,
                    "value_usd": values,
                    "chain_id": pd.array([pd.NA] * days, dtype="Int64"),
                    "wallet": wallet,
                    "wallets": wallet,
                    "timerange": "1year",
                    "api_version": "v5.0",
                }
            )
        )
    frame = pd.concat(parts, ignore_index=True)
    frame = frame.astype(
        {
            "timestamp": UTC,
            "value_usd": "float64",
            "chain_id": "Int64",
            "wallet": S,
            "wallets": S,
            "timerange": S,
            "api_version": S,
        }
    )
    frame.attrs["inchframe"] = provenance(
        "portfolio.v5.chart", "portfolio", "v5.0", [], timerange="1year"
    )
    return frame


def current_value(tokens: pd.DataFrame | None = None) -> pd.DataFrame:
    """Portfolio v5.0 general/current_value (long): total, address and chain rows."""
    tokens = tokens_snapshot() if tokens is None else tokens
    wallets = ",".join(WALLETS)
    rows: list[tuple[Any, ...]] = [
        ("total", "total", "Total", float(tokens.value_usd.sum()), pd.NA, pd.NA, wallets)
    ]
    for wallet, value in tokens.groupby("wallet").value_usd.sum().items():
        rows.append(("address", wallet, wallet, float(value), pd.NA, wallet, wallets))
    names = {1: "Ethereum", 137: "Polygon", 8453: "Base", 42161: "Arbitrum"}
    for chain, value in tokens.groupby("chain_id").value_usd.sum().items():
        rows.append(
            ("chain", str(chain), names[int(chain)], float(value), int(chain), pd.NA, wallets)
        )
    frame = pd.DataFrame(
        rows, columns=["dimension", "key", "label", "value_usd", "chain_id", "wallet", "wallets"]
    )
    frame["api_version"] = "v5.0"
    frame = frame.astype(
        {
            "dimension": S,
            "key": S,
            "label": S,
            "value_usd": "float64",
            "chain_id": "Int64",
            "wallet": S,
            "wallets": S,
            "api_version": S,
        }
    )
    frame.attrs["inchframe"] = provenance("portfolio.v5.current_value", "portfolio", "v5.0", [])
    return frame


def metrics(snapshot: pd.DataFrame | None = None) -> pd.DataFrame:
    """Portfolio v5.0 tokens/metrics for the snapshot's positions: profit, roi, apr."""
    snapshot = tokens_snapshot() if snapshot is None else snapshot
    rng = np.random.default_rng(3)
    roi = rng.normal(0.02, 0.25, size=len(snapshot))
    value = snapshot["value_usd"].to_numpy()
    frame = pd.DataFrame(
        {
            "position_index": snapshot["position_index"].to_numpy(),
            "wallet": snapshot["wallet"].to_numpy(),
            "chain_id": pd.array(snapshot["chain_id"].to_numpy(), dtype="Int64"),
            "is_aggregate": False,
            "profit_usd": value * roi / (1 + roi),
            "roi": roi,
            "apr": rng.uniform(0, 0.12, size=len(snapshot)),
            "holding_time_days": pd.array(rng.integers(1, 700, size=len(snapshot)), dtype="Int64"),
            "timerange": "1year",
            "api_version": "v5.0",
        }
    )
    frame = frame.astype({"position_index": S, "wallet": S, "timerange": S, "api_version": S})
    frame.attrs["inchframe"] = provenance(
        "portfolio.v5.tokens_metrics", "portfolio", "v5.0", [1, 137, 8453, 42161], timerange="1year"
    )
    return frame


ALL_KINDS = {
    "balances": balances,
    "allowances": allowances,
    "tokens_snapshot": tokens_snapshot,
    "protocols_snapshot": protocols_snapshot,
    "chart": chart,
    "current_value": current_value,
    "metrics": metrics,
}
