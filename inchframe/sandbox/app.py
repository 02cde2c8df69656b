"""Routing and the 31 endpoint handlers: request in, :class:`Reply` out (no sockets here).

:meth:`App.dispatch` runs the gateway pipeline in the real order: URL length (414), route
(404/405), authentication (401), rate limit (429), faults (drop, 5xx, latency), validation
(400/422), the handler, then body faults (truncate, malformed JSON, drift, slow).
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from ..chains import CHAINS, NATIVE_TOKEN
from .faults import NO_FAULT, FaultDecision, FaultPlanner, RateLimiter, drift_csv, drift_payload
from .options import SandboxOptions, hash_key
from .protocols import CHAIN_ICONS, PROTOCOL_GROUPS, TOKEN_GROUP
from .universe import MAX_UINT256, Holding, Position, Token, Universe
from .validation import (
    BalanceError,
    PortfolioQuery,
    balance_error_body,
    check_address,
    check_balance_chain,
    parse_balance_body,
    parse_filter_empty,
    parse_portfolio_query,
    parse_wallets_query,
)

__all__ = ["ENDPOINTS", "App", "Reply"]

_MAX = str(MAX_UINT256)
_V4 = ("portfolio", "portfolio", "v4")
_V5 = ("portfolio", "portfolio", "v5.0")
_BAL = ("balance", "v1.2", "{chain}")
_DATA: Final = ("addresses", "chain_id", "use_cache")
_PNL: Final = ("addresses", "chain_id", "timerange", "use_cache")


@dataclass
class Reply:
    """An HTTP answer before it is written: payload is a JSON-able object, text or bytes."""

    status: int
    payload: Any
    content_type: str = "application/json"
    headers: list[tuple[str, str]] = field(default_factory=list)
    request_id: str = ""
    endpoint: str = "unknown"
    n_addresses: int = 0
    fault: FaultDecision = NO_FAULT
    close: bool = False

    def body(self) -> bytes:
        if isinstance(self.payload, bytes):
            return self.payload
        if isinstance(self.payload, str):
            return self.payload.encode()
        return json.dumps(self.payload, separators=(",", ":")).encode()


@dataclass
class Ctx:
    """What a handler sees of a request."""

    universe: Universe
    options: SandboxOptions
    endpoint: str
    path: dict[str, str]
    raw_query: dict[str, list[str]]
    query_string: str
    body: bytes
    request_id: str
    q: PortfolioQuery = field(default_factory=PortfolioQuery)

    def system(self) -> dict[str, float]:
        """Deterministic ``ProcessingInfo`` timings, a function of the request."""
        rng = random.Random(f"system:{self.options.seed}:{self.endpoint}:{self.query_string}")
        click, node, micro, redis = (
            rng.uniform(0, 0.3),
            rng.uniform(0, 0.6),
            rng.uniform(0, 0.08),
            rng.choice((0.0, rng.uniform(0, 0.01))),
        )
        return {
            "click_time": click,
            "node_time": node,
            "microservices_time": micro,
            "redis_time": redis,
            "total_time": max(click, node) + micro + redis,
        }

    def cached_at(self) -> int | None:
        if not self.q.use_cache:
            return None
        return self.universe.now - random.Random(f"cache:{self.query_string}").randrange(600)

    def envelope(self, result: Any, *, chart: bool = False) -> dict[str, Any]:
        """``{result, meta: {cached_at, system}}``, or the 2024 form with a top-level system."""
        if self.options.system_location == "top":
            return {"result": result, "system": self.system()}
        meta: dict[str, Any] = {"cached_at": self.cached_at(), "system": self.system()}
        if chart:
            meta["data_issues"] = {"price_outliers": []}
        return {"result": result, "meta": meta}

    def chains(self) -> list[int]:
        """Portfolio chains the request covers (all served ones, or ``chain_id``)."""
        if self.q.chain_id is None:
            return self.universe.chains("portfolio")
        chain = CHAINS.get(self.q.chain_id)
        return [self.q.chain_id] if chain and chain.portfolio_api else []


Handler = Callable[[Ctx], Any]


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    segments: tuple[str, ...]
    handler: Handler
    params: tuple[str, ...] = ()  #: Portfolio query parameters the endpoint declares

    @property
    def api(self) -> str:
        return self.name.split(".")[0]


# ---------------------------------------------------------------------------------- builders
def _token_balance(ctx: Ctx, chain: int, token: Token, amount: float) -> dict[str, Any]:
    """A v5 ``TokenBalance``: observed form (chain_id + value_usd) or documented (chain)."""
    if ctx.options.token_balance_form == "observed":
        return {
            "chain_id": chain,
            "address": token.address,
            "decimals": token.decimals,
            "symbol": token.symbol,
            "name": token.name,
            "amount": amount,
            "price_usd": token.price_usd,
            "value_usd": amount * token.price_usd,
        }
    return {
        "chain": chain,
        "address": token.address,
        "decimals": token.decimals,
        "symbol": token.symbol,
        "name": token.name,
        "amount": amount,
        "price_usd": token.price_usd,
    }


def _v4_token(chain: int, token: Token, amount: float) -> dict[str, Any]:
    """A v4 ``ProtocolUnderlyingTokenResponseItem``."""
    return {
        "chain_id": chain,
        "address": token.address,
        "name": token.name,
        "symbol": token.symbol,
        "decimals": token.decimals,
        "amount": amount,
        "price_to_usd": token.price_usd,
        "value_usd": amount * token.price_usd,
    }


def _snapshot_timing(ctx: Ctx, chain: int, default_now: bool) -> tuple[int | None, int | None]:
    ts = ctx.q.timestamp
    if ts is None and default_now:
        ts = ctx.universe.now
    return (None, None) if ts is None else (ctx.universe.block_number(chain, ts), ts)


def _with_owner(ctx: Ctx, item: dict[str, Any]) -> dict[str, Any]:
    """A v5 snapshot item's ``address`` as the ``snapshot_address`` quirk says: the wallet, the
    zero address (the one live item on record) or no ``address`` key at all."""
    form = ctx.options.snapshot_address
    if form == "zero":
        item["address"] = "0x" + "0" * 40
    elif form == "absent":
        del item["address"]
    return item


def _token_item(ctx: Ctx, chain: int, wallet: str, h: Holding) -> dict[str, Any]:
    token = h.token
    block, ts = _snapshot_timing(ctx, chain, default_now=False)
    item = {
        "index": ctx.universe.token_index(chain, wallet, token.address),
        ctx.options.snapshot_chain_key: chain,
        "contract_address": token.address,
        "token_id": 0,
        "address": wallet,
        "block_number_created": 0,
        "block_number": block,
        "timestamp": ts,
        "protocol_type": "token",
        "protocol_handler_id": "native" if token.is_native else "erc20",
        "protocol_group_id": TOKEN_GROUP[0],
        "protocol_group_name": TOKEN_GROUP[1],
        "protocol_group_icon": TOKEN_GROUP[2],
        "protocol_sub_group_id": None,
        "protocol_sub_group_name": None,
        "contract_name": token.name,
        "contract_symbol": token.symbol,
        "asset_sign": 1,
        "status": 1,
        "underlying_tokens": [_token_balance(ctx, chain, token, h.amount)],
        "reward_tokens": [],
        "value_usd": h.value_usd,
        "locked": False,
    }
    return _with_owner(ctx, item)


def _position_item(ctx: Ctx, p: Position) -> dict[str, Any]:
    block, ts = _snapshot_timing(ctx, p.chain_id, default_now=True)
    g = p.group
    item = {
        "index": p.index,
        ctx.options.snapshot_chain_key: p.chain_id,
        "contract_address": p.contract_address,
        "token_id": p.token_id,
        "address": p.wallet,
        "block_number_created": p.block_number_created,
        "block_number": block,
        "timestamp": ts,
        "protocol_type": g.protocol_type,
        "protocol_handler_id": g.v4_name,
        "protocol_group_id": g.id,
        "protocol_group_name": g.name,
        "protocol_group_icon": g.icon,
        "protocol_sub_group_id": None,
        "protocol_sub_group_name": None,
        "contract_name": p.contract_name,
        "contract_symbol": p.contract_symbol,
        "asset_sign": p.asset_sign,
        "status": 1,
        "underlying_tokens": [
            _token_balance(ctx, p.chain_id, u.token, u.amount) for u in p.underlying
        ],
        "reward_tokens": [_token_balance(ctx, p.chain_id, u.token, u.amount) for u in p.rewards],
        "value_usd": p.value_usd,
        "locked": g.id == "1inch-staking",
    }
    return _with_owner(ctx, item)


_METRIC_NULLS: Final = (
    "rewards_tokens",
    "rewards_usd",
    "claimed_fees",
    "unclaimed_fees",
    "impermanent_loss",
    "claimed_fees_usd",
    "unclaimed_fees_usd",
    "impermanent_loss_usd",
)


def _position_metrics(ctx: Ctx, p: Position, timerange: str) -> dict[str, Any]:
    profit = ctx.universe.profits(p.chain_id, p.wallet, timerange)[p.index]
    item: dict[str, Any] = {
        "index": p.index,
        "profit_abs_usd": profit.profit_usd,
        "roi": profit.roi,
        "weighted_apr": p.apr,
        "holding_time_days": p.holding_time_days,
    }
    item.update(dict.fromkeys(_METRIC_NULLS))
    if p.rewards:
        item["rewards_tokens"] = [
            _token_balance(ctx, p.chain_id, u.token, u.amount) for u in p.rewards
        ]
        item["rewards_usd"] = sum(u.value_usd for u in p.rewards)
    if p.fees:
        claimed = [(u.token, u.amount * 2.5) for u in p.fees]
        lost = [(u.token, -u.amount * 0.8) for u in p.underlying]
        item.update(
            {
                "claimed_fees": [_token_balance(ctx, p.chain_id, t, a) for t, a in claimed],
                "unclaimed_fees": [
                    _token_balance(ctx, p.chain_id, u.token, u.amount) for u in p.fees
                ],
                "impermanent_loss": [_token_balance(ctx, p.chain_id, t, a * 0.01) for t, a in lost],
                "claimed_fees_usd": sum(a * t.price_usd for t, a in claimed),
                "unclaimed_fees_usd": sum(u.value_usd for u in p.fees),
                "impermanent_loss_usd": sum(a * 0.01 * t.price_usd for t, a in lost),
            }
        )
    return item


# ---------------------------------------------------------------------------------- Portfolio
def _v4_is_available(ctx: Ctx) -> Any:
    return {"result": True}


def _v4_supported_chains(ctx: Ctx) -> Any:
    """``{"result": [{id, name, icon}]}``: the form public client code typed for this endpoint.

    The official documents give no schema; the Go SDK's guess is a list of bare ids. See
    docs/api-contract.md, open question Q5 (inchframe's converter accepts both forms).
    """
    return {
        "result": [
            {"id": chain_id, "name": CHAINS[chain_id].display_name, "icon": CHAIN_ICONS[chain_id]}
            for chain_id in ctx.universe.chains("portfolio")
        ]
    }


def _protocol_groups(ctx: Ctx) -> list[dict[str, Any]]:
    return [
        {
            "chain_id": chain,
            "protocol_group_id": g.id,
            "protocol_group_name": g.name,
            "protocol_group_icon": g.icon,
        }
        for chain in ctx.universe.chains("portfolio")
        for g in PROTOCOL_GROUPS
        if chain in g.chains
    ]


def _v4_supported_protocols(ctx: Ctx) -> Any:
    return {"result": _protocol_groups(ctx)}


def _v4_current_value(ctx: Ctx) -> Any:
    u = ctx.universe
    chains = ctx.chains()
    return ctx.envelope(
        [
            {"address": w, "value_usd": sum(u.chain_value(c, w) for c in chains)}
            for w in ctx.q.addresses
        ]
    )


def _by_chain_rows(values: Mapping[int, float]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [{"chain_id": c, "value_usd": v} for c, v in values.items()]
    rows.append({"chain_id": None, "value_usd": sum(values.values())})
    return rows


def _v4_erc20_current_value(ctx: Ctx) -> Any:
    u = ctx.universe
    parts: dict[str, dict[int, float]] = {"native": {}, "stable": {}, "token": {}}
    for chain in ctx.chains():
        for wallet in ctx.q.addresses:
            for h in u.holdings(chain, wallet):
                part = parts[h.token.category]
                part[chain] = part.get(chain, 0.0) + h.value_usd
    return ctx.envelope(
        [
            {"protocol_name": name, "result": _by_chain_rows(values)}
            for name, values in parts.items()
        ]
    )


def _v4_protocols_current_value(ctx: Ctx) -> Any:
    u = ctx.universe
    parts: dict[str, dict[int, float]] = {}
    for chain in ctx.chains():
        for wallet in ctx.q.addresses:
            for p in u.positions(chain, wallet):
                part = parts.setdefault(p.group.v4_name, {})
                part[chain] = part.get(chain, 0.0) + p.net_value_usd
    order = [g.v4_name for g in PROTOCOL_GROUPS]
    return ctx.envelope(
        [
            {"protocol_name": name, "protocol_locked": False, "result": _by_chain_rows(parts[name])}
            for name in order
            if name in parts
        ]
    )


def _pnl(ctx: Ctx, part: str, timerange: str) -> Any:
    u = ctx.universe
    rows: list[dict[str, Any]] = []
    total_profit = total_start = 0.0
    for chain in ctx.chains():
        profit = start = 0.0
        active = False
        for wallet in ctx.q.addresses:
            if u.holdings(chain, wallet) or u.positions(chain, wallet):
                active = True
                result = u.profit(chain, wallet, timerange, part)
                profit += result.profit_usd
                start += result.start_usd
        if active:
            rows.append(
                {
                    "chain_id": chain,
                    "abs_profit_usd": profit,
                    "roi": profit / start if start > 0 else 0.0,
                }
            )
            total_profit += profit
            total_start += start
    rows.insert(
        0,
        {
            "chain_id": None,
            "abs_profit_usd": total_profit,
            "roi": total_profit / total_start if total_start > 0 else 0.0,
        },
    )
    return ctx.envelope(rows)


def _v4_profit_and_loss(ctx: Ctx) -> Any:
    return _pnl(ctx, "all", ctx.q.timerange)


def _v4_erc20_profit_and_loss(ctx: Ctx) -> Any:
    return _pnl(ctx, "tokens", ctx.q.timerange)


def _v4_protocols_profit_and_loss(ctx: Ctx) -> Any:
    return _pnl(ctx, "protocols", ctx.q.timerange)


def _chart_points(ctx: Ctx) -> list[dict[str, Any]]:
    u = ctx.universe
    timestamps = u.chart_timestamps(ctx.q.timerange)
    totals = [0.0] * len(timestamps)
    for chain in ctx.chains():
        for wallet in ctx.q.addresses:
            if u.holdings(chain, wallet) or u.positions(chain, wallet):
                for i, value in enumerate(u.chart(chain, wallet, ctx.q.timerange)):
                    totals[i] += value
    return [{"timestamp": t, "value_usd": v} for t, v in zip(timestamps, totals, strict=True)]


def _chart(ctx: Ctx) -> Any:
    return ctx.envelope(_chart_points(ctx), chart=True)


def _v4_protocols_details(ctx: Ctx) -> Any:
    u = ctx.universe
    sub_types = {"supply": "supply", "debt": "debt", "lp": "lpt"}
    rows = []
    for chain in ctx.chains():
        for wallet in ctx.q.addresses:
            for p in u.positions(chain, wallet):
                if not ctx.q.closed and p.value_usd < ctx.q.closed_threshold:
                    continue
                profit = u.profits(chain, wallet, "1year")[p.index]
                g = p.group
                rows.append(
                    {
                        "chain_id": chain,
                        "contract_address": p.contract_address,
                        "token_id": p.token_id,
                        "addresses": [wallet],
                        "protocol": g.v4_name,
                        "name": p.contract_name,
                        "contract_type": g.protocol_type,
                        "sub_contract_type": sub_types.get(
                            p.kind, "liquidstaking" if g.id == "lido" else "staking"
                        ),
                        "is_whitelisted": 1,
                        "protocol_name": g.name,
                        "protocol_icon": g.icon,
                        "status": 1,
                        "token_address": p.token_address,
                        "underlying_tokens": [
                            _v4_token(chain, x.token, x.amount) for x in p.underlying
                        ],
                        "value_usd": p.value_usd,
                        "debt": p.kind == "debt",
                        "rewards_tokens": [_v4_token(chain, x.token, x.amount) for x in p.rewards],
                        "profit_abs_usd": profit.profit_usd,
                        "roi": profit.roi,
                        "weighted_apr": p.apr,
                        "holding_time_days": p.holding_time_days,
                        "info": {"apr": p.apr, "position_index": p.index},
                    }
                )
    return ctx.envelope(rows)


def _v4_erc20_details(ctx: Ctx) -> Any:
    """One row per (chain, token), summed over the requested wallets (the item has no
    address field)."""
    u = ctx.universe
    rows: list[dict[str, Any]] = []
    for chain in ctx.chains():
        acc: dict[str, list[Any]] = {}  # token -> [token, amount, profit, start, open]
        for wallet in ctx.q.addresses:
            profits = u.profits(chain, wallet, ctx.q.timerange)
            for h in u.holdings(chain, wallet):
                p = profits[u.token_index(chain, wallet, h.token.address)]
                entry = acc.setdefault(h.token.address, [h.token, 0.0, 0.0, 0.0, False])
                entry[1] += h.amount
                entry[2] += p.profit_usd
                entry[3] += p.start_usd
                entry[4] = True
            for closed in u.closed_tokens(chain, wallet):
                p = profits[closed.index]
                entry = acc.setdefault(closed.token.address, [closed.token, 0.0, 0.0, 0.0, False])
                entry[2] += p.profit_usd
                entry[3] += p.start_usd
        index_of = u.token_list(chain).index_of
        for address in sorted(acc, key=index_of.__getitem__):
            token, amount, profit, start, is_open = acc[address]
            value = amount * token.price_usd
            if not ctx.q.closed and (not is_open or value < ctx.q.closed_threshold):
                continue
            rows.append(
                {
                    "chain_id": chain,
                    "contract_address": address,
                    "name": token.name,
                    "symbol": token.symbol,
                    "amount": amount,
                    "price_to_usd": token.price_usd,
                    "value_usd": value,
                    "abs_profit_usd": profit,
                    "roi": profit / start if start > 0 else None,
                    "status": 1 if is_open else -1,
                }
            )
    return ctx.envelope(rows)


def _v5_status(ctx: Ctx) -> Any:
    return {"result": {"is_available": True}, "meta": {"cached_at": None, "system": None}}


def _v5_address_check(ctx: Ctx) -> Any:
    result = {}
    for wallet in ctx.q.addresses:
        flagged = random.Random(f"compliance:{ctx.options.seed}:{wallet}").random() < 0.01
        result[wallet] = {"is_compliant": not flagged, "reason": "sanctioned" if flagged else None}
    return ctx.envelope(result)


def _v5_supported_chains(ctx: Ctx) -> Any:
    result = []
    for chain_id in ctx.universe.chains("portfolio"):
        chain = CHAINS[chain_id]
        result.append(
            {
                "chain_id": chain_id,
                "chain_name": chain.display_name,
                "chain_icon": CHAIN_ICONS[chain_id],
                "native_token": {
                    "chain": chain_id,
                    "address": NATIVE_TOKEN,
                    "decimals": 18,
                    "symbol": chain.native_symbol,
                    "name": chain.native_name,
                },
            }
        )
    if ctx.options.supported_chains_envelope:
        return {"result": result, "meta": {"cached_at": None, "system": None}}
    return result


def _v5_supported_protocols(ctx: Ctx) -> Any:
    return {"result": _protocol_groups(ctx), "meta": None}


def _v5_current_value(ctx: Ctx) -> Any:
    return ctx.envelope(ctx.universe.current_value(ctx.q.addresses, ctx.q.chain_id))


def _v5_tokens_snapshot(ctx: Ctx) -> Any:
    u = ctx.universe
    items = [
        _token_item(ctx, chain, wallet, h)
        for wallet in ctx.q.addresses
        for chain in ctx.chains()
        for h in u.holdings(chain, wallet)
    ]
    return ctx.envelope(items) if ctx.options.tokens_snapshot_envelope else items


def _v5_protocols_snapshot(ctx: Ctx) -> Any:
    u = ctx.universe
    return ctx.envelope(
        [
            _position_item(ctx, p)
            for wallet in ctx.q.addresses
            for chain in ctx.chains()
            for p in u.positions(chain, wallet)
        ]
    )


def _v5_tokens_metrics(ctx: Ctx) -> Any:
    u = ctx.universe
    rows = []
    for wallet in ctx.q.addresses:
        for chain in ctx.chains():
            profits = u.profits(chain, wallet, ctx.q.timerange)
            indices = [
                u.token_index(chain, wallet, h.token.address) for h in u.holdings(chain, wallet)
            ]
            closed = {c.index: c.holding_time_days for c in u.closed_tokens(chain, wallet)}
            for index in [*indices, *closed]:
                p = profits[index]
                row: dict[str, Any] = {
                    "index": index,
                    "profit_abs_usd": p.profit_usd,
                    "roi": p.roi,
                    "weighted_apr": None,
                    "holding_time_days": closed.get(index) or u.holding_time_days(index),
                }
                row.update(dict.fromkeys(_METRIC_NULLS))
                rows.append(row)
    return ctx.envelope(rows)


def _v5_protocols_metrics(ctx: Ctx) -> Any:
    u = ctx.universe
    q = ctx.q
    rows = []
    for wallet in q.addresses:
        for chain in ctx.chains():
            for p in u.positions(chain, wallet):
                if q.protocol_group_id is not None and p.group.id != q.protocol_group_id:
                    continue
                if q.contract_address is not None and p.contract_address != q.contract_address:
                    continue
                if q.token_id is not None and p.token_id != q.token_id:
                    continue
                rows.append(_position_metrics(ctx, p, q.timerange))
    return ctx.envelope(rows)


REPORT_COLUMNS: Final = (
    "type",
    "chain_id",
    "address",
    "contract_address",
    "token_id",
    "protocol_group_id",
    "symbol",
    "amount",
    "price_usd",
    "value_usd",
    "asset_sign",
    "profit_abs_usd",
    "roi",
    "status",
)


def _v5_report(ctx: Ctx) -> Any:
    u = ctx.universe
    q = ctx.q
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(REPORT_COLUMNS)
    for wallet in q.addresses:
        for chain in ctx.chains():
            profits = u.profits(chain, wallet, q.timerange)
            for h in u.holdings(chain, wallet):
                if not q.closed and h.value_usd < q.closed_threshold:
                    continue
                p = profits[u.token_index(chain, wallet, h.token.address)]
                writer.writerow(
                    (
                        "token",
                        chain,
                        wallet,
                        h.token.address,
                        0,
                        TOKEN_GROUP[0],
                        h.token.symbol,
                        repr(h.amount),
                        repr(h.price_usd),
                        repr(h.value_usd),
                        1,
                        repr(p.profit_usd),
                        repr(p.roi),
                        1,
                    )
                )
            if q.closed:
                for c in u.closed_tokens(chain, wallet):
                    p = profits[c.index]
                    writer.writerow(
                        (
                            "token",
                            chain,
                            wallet,
                            c.token.address,
                            0,
                            TOKEN_GROUP[0],
                            c.token.symbol,
                            "0.0",
                            repr(c.token.price_usd),
                            "0.0",
                            1,
                            repr(p.profit_usd),
                            repr(p.roi),
                            -1,
                        )
                    )
            for pos in u.positions(chain, wallet):
                if not q.closed and pos.value_usd < q.closed_threshold:
                    continue
                p = profits[pos.index]
                writer.writerow(
                    (
                        "protocol",
                        chain,
                        wallet,
                        pos.contract_address,
                        pos.token_id,
                        pos.group.id,
                        pos.contract_symbol,
                        "",
                        "",
                        repr(pos.value_usd),
                        pos.asset_sign,
                        repr(p.profit_usd),
                        repr(p.roi),
                        1,
                    )
                )
    return out.getvalue()


# ---------------------------------------------------------------------------------- Balance
class _Render:
    """Pre-rendered ``"token":"0"`` pieces per chain, so the large GET bodies are cheap."""

    def __init__(self) -> None:
        self._cache: dict[tuple[int, int, str], list[str]] = {}

    def parts(self, universe: Universe, chain: int, form: str) -> list[str]:
        key = (universe.seed, chain, form)
        parts = self._cache.get(key)
        if parts is None:
            zero = {"plain": '"{}":"0"', "pair": '"{}":{{"balance":"0","allowance":"0"}}'}[form]
            parts = [zero.format(t.address) for t in universe.tokens(chain)]
            if len(self._cache) > 64:
                self._cache.clear()
            self._cache[key] = parts
        return parts


def _balance_context(ctx: Ctx) -> tuple[int, str | None, str | None]:
    chain = check_balance_chain(ctx.path["chain"])
    spender = ctx.path.get("spender")
    wallet = ctx.path.get("wallet")
    if spender is not None:
        check_address(spender, "spender")
    if wallet is not None:
        check_address(wallet, "walletAddress")
    return chain, spender, wallet


def _tokens_body(ctx: Ctx) -> list[str]:
    body = parse_balance_body(ctx.body, ("tokens",), {"tokens": ctx.options.max_tokens})
    return list(dict.fromkeys(t.lower() for t in body["tokens"]))


def _make_balance_handlers(render: _Render) -> dict[str, Handler]:
    def balances(ctx: Ctx) -> Any:
        chain, _, wallet = _balance_context(ctx)
        assert wallet is not None
        u = ctx.universe
        parts = list(render.parts(u, chain, "plain"))
        index_of = u.token_list(chain).index_of
        for h in u.holdings(chain, wallet):
            parts[index_of[h.token.address]] = f'"{h.token.address}":"{h.raw}"'
        return ("{" + ",".join(parts) + "}").encode()

    def balances_post(ctx: Ctx) -> Any:
        chain, _, wallet = _balance_context(ctx)
        assert wallet is not None
        tokens = _tokens_body(ctx)
        return {t: str(ctx.universe.balance(chain, wallet, t)) for t in tokens}

    def wallets_and_tokens(ctx: Ctx) -> Any:
        chain, _, _ = _balance_context(ctx)
        body = parse_balance_body(
            ctx.body,
            ("tokens", "wallets"),
            {"tokens": ctx.options.max_tokens, "wallets": ctx.options.max_wallets},
        )
        tokens = list(dict.fromkeys(t.lower() for t in body["tokens"]))
        u = ctx.universe
        return {w: {t: str(u.balance(chain, w, t)) for t in tokens} for w in body["wallets"]}

    def allowances_and_balances(ctx: Ctx) -> Any:
        chain, spender, wallet = _balance_context(ctx)
        assert wallet is not None and spender is not None
        u = ctx.universe
        parts = list(render.parts(u, chain, "pair"))
        index_of = u.token_list(chain).index_of
        balances = u.balances(chain, wallet)
        allowances = u.allowances(chain, wallet, spender)
        for token in {*balances, *allowances, NATIVE_TOKEN}:
            allowance = _MAX if token == NATIVE_TOKEN else allowances.get(token, 0)
            parts[index_of[token]] = (
                f'"{token}":{{"balance":"{balances.get(token, 0)}","allowance":"{allowance}"}}'
            )
        return ("{" + ",".join(parts) + "}").encode()

    def allowances_and_balances_post(ctx: Ctx) -> Any:
        chain, spender, wallet = _balance_context(ctx)
        assert wallet is not None and spender is not None
        u = ctx.universe
        return {
            t: {
                "balance": str(u.balance(chain, wallet, t)),
                "allowance": str(u.allowance(chain, wallet, spender, t)),
            }
            for t in _tokens_body(ctx)
        }

    def allowances(ctx: Ctx) -> Any:
        chain, spender, wallet = _balance_context(ctx)
        assert wallet is not None and spender is not None
        u = ctx.universe
        parts = list(render.parts(u, chain, "plain"))
        index_of = u.token_list(chain).index_of
        for token, amount in u.allowances(chain, wallet, spender).items():
            parts[index_of[token]] = f'"{token}":"{amount}"'
        parts[index_of[NATIVE_TOKEN]] = f'"{NATIVE_TOKEN}":"{_MAX}"'
        return ("{" + ",".join(parts) + "}").encode()

    def allowances_post(ctx: Ctx) -> Any:
        chain, spender, wallet = _balance_context(ctx)
        assert wallet is not None and spender is not None
        u = ctx.universe
        result = {t: str(u.allowance(chain, wallet, spender, t)) for t in _tokens_body(ctx)}
        if ctx.options.native_in_post_allowances:
            result.setdefault(NATIVE_TOKEN, _MAX)
        return result

    def aggregated(ctx: Ctx) -> Any:
        chain, spender, _ = _balance_context(ctx)
        assert spender is not None
        wallets = parse_wallets_query(ctx.raw_query, ctx.options.max_wallets)
        filter_empty = parse_filter_empty(ctx.raw_query)
        u = ctx.universe
        per_wallet = [(w, u.balances(chain, w), u.allowances(chain, w, spender)) for w in wallets]
        touched: set[str] | None = None
        if filter_empty:
            touched = {NATIVE_TOKEN}
            for _, bal, alw in per_wallet:
                touched.update(bal)
                touched.update(alw)
        items = []
        for token in u.tokens(chain):
            address = token.address
            if touched is not None and address not in touched:
                continue
            entries = {}
            for wallet, bal, alw in per_wallet:
                allowance = _MAX if token.is_native else str(alw.get(address, 0))
                entries[wallet] = {"balance": str(bal.get(address, 0)), "allowance": allowance}
            items.append(
                {
                    "decimals": token.decimals,
                    "symbol": token.symbol,
                    "tags": list(token.tags),
                    "address": address,
                    "name": token.name,
                    "logoURI": token.logo_uri,
                    "isCustom": False,
                    "wallets": entries,
                    "type": "ethereum" if token.is_native else "token",
                    "tracked": token.tracked,
                }
            )
        return items

    return {
        "balance.aggregated": aggregated,
        "balance.balances": balances,
        "balance.balances_of_tokens": balances_post,
        "balance.wallets_and_tokens": wallets_and_tokens,
        "balance.allowances_and_balances": allowances_and_balances,
        "balance.allowances_and_balances_of_tokens": allowances_and_balances_post,
        "balance.allowances": allowances,
        "balance.allowances_of_tokens": allowances_post,
    }


def _routes(render: _Render) -> list[Route]:
    b = _make_balance_handlers(render)
    routes = [
        Route(
            "balance.aggregated",
            "GET",
            (*_BAL, "aggregatedBalancesAndAllowances", "{spender}"),
            b["balance.aggregated"],
        ),
        Route("balance.balances", "GET", (*_BAL, "balances", "{wallet}"), b["balance.balances"]),
        Route(
            "balance.balances_of_tokens",
            "POST",
            (*_BAL, "balances", "{wallet}"),
            b["balance.balances_of_tokens"],
        ),
        Route(
            "balance.wallets_and_tokens",
            "POST",
            (*_BAL, "balances", "multiple", "walletsAndTokens"),
            b["balance.wallets_and_tokens"],
        ),
        Route(
            "balance.allowances_and_balances",
            "GET",
            (*_BAL, "allowancesAndBalances", "{spender}", "{wallet}"),
            b["balance.allowances_and_balances"],
        ),
        Route(
            "balance.allowances_and_balances_of_tokens",
            "POST",
            (*_BAL, "allowancesAndBalances", "{spender}", "{wallet}"),
            b["balance.allowances_and_balances_of_tokens"],
        ),
        Route(
            "balance.allowances",
            "GET",
            (*_BAL, "allowances", "{spender}", "{wallet}"),
            b["balance.allowances"],
        ),
        Route(
            "balance.allowances_of_tokens",
            "POST",
            (*_BAL, "allowances", "{spender}", "{wallet}"),
            b["balance.allowances_of_tokens"],
        ),
    ]
    v4: list[tuple[str, str, Handler, tuple[str, ...]]] = [
        ("v4.is_available", "general/is_available", _v4_is_available, ()),
        ("v4.supported_chains", "general/supported_chains", _v4_supported_chains, ()),
        ("v4.supported_protocols", "general/supported_protocols", _v4_supported_protocols, ()),
        ("v4.current_value", "general/current_value", _v4_current_value, _DATA),
        ("v4.profit_and_loss", "general/profit_and_loss", _v4_profit_and_loss, _PNL),
        ("v4.value_chart", "general/value_chart", _chart, _PNL),
        (
            "v4.protocols_current_value",
            "overview/protocols/current_value",
            _v4_protocols_current_value,
            _DATA,
        ),
        (
            "v4.protocols_profit_and_loss",
            "overview/protocols/profit_and_loss",
            _v4_protocols_profit_and_loss,
            _PNL,
        ),
        (
            "v4.protocols_details",
            "overview/protocols/details",
            _v4_protocols_details,
            ("addresses", "chain_id", "closed", "closed_threshold", "use_cache"),
        ),
        ("v4.tokens_current_value", "overview/erc20/current_value", _v4_erc20_current_value, _DATA),
        (
            "v4.tokens_profit_and_loss",
            "overview/erc20/profit_and_loss",
            _v4_erc20_profit_and_loss,
            _PNL,
        ),
        (
            "v4.tokens_details",
            "overview/erc20/details",
            _v4_erc20_details,
            ("addresses", "chain_id", "timerange", "closed", "closed_threshold", "use_cache"),
        ),
    ]
    v5: list[tuple[str, str, Handler, tuple[str, ...]]] = [
        ("v5.status", "general/status", _v5_status, ()),
        ("v5.address_check", "general/address_check", _v5_address_check, _DATA),
        ("v5.supported_chains", "general/supported_chains", _v5_supported_chains, ()),
        ("v5.supported_protocols", "general/supported_protocols", _v5_supported_protocols, ()),
        ("v5.current_value", "general/current_value", _v5_current_value, _DATA),
        ("v5.chart", "general/chart", _chart, _PNL),
        (
            "v5.report",
            "general/report",
            _v5_report,
            ("addresses", "chain_id", "timerange", "closed", "closed_threshold"),
        ),
        (
            "v5.protocols_snapshot",
            "protocols/snapshot",
            _v5_protocols_snapshot,
            ("addresses", "chain_id", "timestamp", "use_cache"),
        ),
        (
            "v5.protocols_metrics",
            "protocols/metrics",
            _v5_protocols_metrics,
            (
                "addresses",
                "chain_id",
                "protocol_group_id",
                "contract_address",
                "token_id",
                "timerange",
                "use_cache",
            ),
        ),
        (
            "v5.tokens_snapshot",
            "tokens/snapshot",
            _v5_tokens_snapshot,
            ("addresses", "chain_id", "timestamp", "use_cache"),
        ),
        ("v5.tokens_metrics", "tokens/metrics", _v5_tokens_metrics, _PNL),
    ]
    for prefix, table in ((_V4, v4), (_V5, v5)):
        for name, path, handler, params in table:
            routes.append(Route(name, "GET", (*prefix, *path.split("/")), handler, params))
    return routes


#: Endpoint name -> (method, gateway path template), in the order of docs/api-contract.md#endpoints.
ENDPOINTS: Final[dict[str, tuple[str, str]]] = {
    r.name: (r.method, "/" + "/".join(r.segments)) for r in _routes(_Render())
}


# ---------------------------------------------------------------------------------- the app
class App:
    """Routes requests to handlers and applies auth, rate limits, validation and faults.

    Holds only per-instance state (rate buckets, fault counters, render cache), so two
    sandboxes in one process never share anything.
    """

    def __init__(self) -> None:
        self.routes = _routes(_Render())
        self._by_length: dict[int, list[Route]] = {}
        for route in self.routes:
            self._by_length.setdefault(len(route.segments), []).append(route)
        self.faults = FaultPlanner()
        self.limiter = RateLimiter()
        self._universes: dict[tuple[int, int], Universe] = {}
        self._universes_lock = threading.Lock()

    def universe(self, options: SandboxOptions) -> Universe:
        """The (cached) universe of the options' seed and ``now``."""
        key = (options.seed, options.now)
        with self._universes_lock:
            found = self._universes.get(key)
            if found is None:
                found = self._universes[key] = Universe(options.seed, now=options.now)
                if len(self._universes) > 8:
                    self._universes.pop(next(iter(self._universes)))
            return found

    def reset(self) -> None:
        self.faults.reset()
        self.limiter.reset()

    def match(
        self, method: str, segments: list[str]
    ) -> tuple[Route | None, dict[str, str], list[str]]:
        """The route, its path parameters, and the methods allowed on the path."""
        allowed: list[str] = []
        found: tuple[Route, dict[str, str]] | None = None
        for route in self._by_length.get(len(segments), ()):
            params: dict[str, str] = {}
            for pattern, value in zip(route.segments, segments, strict=True):
                if pattern.startswith("{"):
                    params[pattern[1:-1]] = value
                elif pattern != value:
                    break
            else:
                allowed.append(route.method)
                if route.method == method and found is None:
                    found = (route, params)
        if found:
            return found[0], found[1], allowed
        return None, {}, allowed

    def dispatch(
        self,
        options: SandboxOptions,
        method: str,
        target: str,
        headers: Mapping[str, str],
        body: bytes,
    ) -> Reply:
        """Answer one API request (everything except ``/_sandbox/*``)."""
        request_id = str(uuid.uuid4())
        reply = self._dispatch(options, method, target, headers, body, request_id)
        reply.request_id = request_id
        reply.headers.append(("X-Request-Id", request_id))
        return reply

    def _dispatch(
        self,
        options: SandboxOptions,
        method: str,
        target: str,
        headers: Mapping[str, str],
        body: bytes,
        request_id: str,
    ) -> Reply:
        if len(target.encode()) > options.max_url_length:
            return Reply(
                414,
                {
                    "error": "URI Too Long",
                    "statusCode": 414,
                    "description": f"Request URL exceeds {options.max_url_length} bytes",
                },
                close=True,
            )
        split = urlsplit(target)
        raw_query = parse_qs(split.query, keep_blank_values=True)
        segments = split.path.strip("/").split("/") if split.path.strip("/") else []
        route, path_params, allowed = self.match(method, segments)
        portfolio = split.path.startswith("/portfolio/")

        key = _api_key(headers, raw_query)
        if key is None or (options.api_keys is not None and hash_key(key) not in options.api_keys):
            return Reply(
                401,
                {
                    "error": "Unauthorized",
                    "statusCode": 401,
                    "description": "Missing or invalid API key: send 'Authorization: Bearer <key>'",
                },
                headers=[("WWW-Authenticate", "Bearer")],
                endpoint=route.name if route else "unknown",
            )
        if route is None:
            if allowed:
                payload: Any = (
                    {"detail": "Method Not Allowed"}
                    if portfolio
                    else {
                        "error": "Method Not Allowed",
                        "statusCode": 405,
                        "description": f"Cannot {method} {split.path}",
                    }
                )
                return Reply(405, payload, headers=[("Allow", ", ".join(sorted(set(allowed))))])
            payload = (
                {"detail": "Not Found"}
                if portfolio
                else {
                    "error": "Not Found",
                    "statusCode": 404,
                    "description": f"Cannot {method} {split.path}",
                }
            )
            return Reply(404, payload)

        n_addresses = _count_addresses(route, raw_query, path_params, body)
        if options.rate_limit is not None:
            wait = self.limiter.acquire(
                hash_key(key)[:16], float(options.rate_limit), options.rate_burst
            )
            if wait is not None:
                extra = (
                    [("Retry-After", str(max(1, math.ceil(wait))))] if options.retry_after else []
                )
                return Reply(
                    429,
                    {
                        "error": "Too Many Requests",
                        "statusCode": 429,
                        "description": "Too many requests within a 1-second time "
                        "period. Reduce your requests per second (RPS).",
                    },
                    headers=extra,
                    endpoint=route.name,
                    n_addresses=n_addresses,
                )

        fault = self.faults.decide(options, route.name)
        if options.latency > 0:
            time.sleep(options.latency)
        if fault.drop:
            return Reply(
                0, b"", endpoint=route.name, n_addresses=n_addresses, fault=fault, close=True
            )
        if fault.error_status is not None:
            return Reply(
                fault.error_status,
                _server_error(fault.error_status, portfolio),
                endpoint=route.name,
                n_addresses=n_addresses,
                fault=fault,
            )

        ctx = Ctx(
            self.universe(options),
            options,
            route.name,
            path_params,
            raw_query,
            split.query,
            body,
            request_id,
        )
        if route.api in ("v4", "v5") and route.params:
            ctx.q = parse_portfolio_query(raw_query, route.params, options.max_addresses)
            if ctx.q.errors:
                return Reply(
                    422, {"detail": ctx.q.errors}, endpoint=route.name, n_addresses=n_addresses
                )
        try:
            payload = route.handler(ctx)
        except BalanceError as error:
            return Reply(
                error.status,
                balance_error_body(error, request_id),
                endpoint=route.name,
                n_addresses=n_addresses,
            )
        reply = Reply(200, payload, endpoint=route.name, n_addresses=n_addresses, fault=fault)
        if route.name == "v5.report":
            reply.content_type = "text/csv; charset=utf-8"
            if fault.drift:
                reply.payload = drift_csv(payload)
        elif fault.drift:
            data = json.loads(payload) if isinstance(payload, bytes) else payload
            reply.payload = drift_payload(data, fault.variant)
        if fault.malformed:
            encoded = reply.body()
            reply.payload = encoded[: max(1, len(encoded) // 2)] + b"...<truncated upstream>"
        return reply


def _api_key(headers: Mapping[str, str], query: Mapping[str, list[str]]) -> str | None:
    """The Bearer token, else the ``apiKey`` query parameter; None when neither is usable."""
    auth = headers.get("authorization", "")
    scheme, _, token = auth.strip().partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    values = query.get("apiKey")
    if values and values[-1].strip():
        return values[-1].strip()
    return None


def _count_addresses(
    route: Route, query: Mapping[str, list[str]], path: Mapping[str, str], body: bytes
) -> int:
    if route.api in ("v4", "v5"):
        return len(query.get("addresses", []))
    if route.name == "balance.aggregated":
        return sum(len([w for w in v.split(",") if w.strip()]) for v in query.get("wallets", []))
    if route.name == "balance.wallets_and_tokens":
        try:
            wallets = json.loads(body or b"{}").get("wallets")
        except (ValueError, AttributeError):
            return 0
        return len(wallets) if isinstance(wallets, list) else 0
    return 1 if "wallet" in path else 0


def _server_error(status: int, portfolio: bool) -> dict[str, Any]:
    phrases = {
        500: "Internal Server Error",
        502: "Bad Gateway",
        503: "Service Unavailable",
        504: "Gateway Timeout",
    }
    phrase = phrases.get(status, "Server Error")
    if portfolio and status == 500:
        return {"detail": phrase}
    return {"error": phrase, "statusCode": status, "description": phrase}
