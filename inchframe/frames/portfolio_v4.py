"""Pure converters for the Portfolio API v4 (api-contract.md): payloads in, frames out.

v4 is legacy (api-contract Q8: possibly retired); the frames use the same column names as their v5.0
counterparts (:mod:`inchframe.frames.portfolio_v5`) so a notebook can switch versions by changing
one call. Every converter takes an iterable of ``(context, payload)`` pairs (context keys:
``addresses``, ``chain_id``, ``timerange``; see :mod:`inchframe.frames._portfolio`).

Drift accepted: a bare array or the ``{result}`` envelope; ``system`` at the top level (2024) or
under ``meta``; ``price_to_usd`` or ``price_usd``; ``chain_id`` as an int, a numeric string or a
``Chain`` enum object; supported_chains as ints or objects; supported_protocols in any list or
mapping shape.

Required (absent = PayloadError naming the field; JSON null = NaN / NA): ``value_usd`` of every
current-value entry and chart point, ``abs_profit_usd``/``profit_abs_usd`` and ``roi`` of every
profit-and-loss and details item, ``protocol``/``debt``/``underlying_tokens`` of protocol details,
``amount`` and ``price_to_usd`` of every token (docs/frames-portfolio.md, "Required fields").

v4 has no position index: :func:`protocols_details` synthesises ``position_index`` =
``"v4:" + blake2b-64(chain_id|contract_address|token_id|sorted addresses)`` in hex (stable
across runs; never equal to a v5 index).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import pandas as pd

from ..errors import PayloadError
from . import _portfolio as P
from ._parse import unwrap_result
from .schema import STRING, FrameSchema

__all__ = [
    "CURRENT_VALUE",
    "PROFIT_AND_LOSS",
    "PROTOCOLS_CURRENT_VALUE",
    "PROTOCOLS_DETAILS",
    "PROTOCOLS_PROFIT_AND_LOSS",
    "SUPPORTED_CHAINS",
    "SUPPORTED_PROTOCOLS",
    "TOKENS_CURRENT_VALUE",
    "TOKENS_DETAILS",
    "TOKENS_PROFIT_AND_LOSS",
    "VALUE_CHART",
    "current_value",
    "is_available",
    "profit_and_loss",
    "protocols_current_value",
    "protocols_details",
    "protocols_profit_and_loss",
    "single",
    "supported_chains",
    "supported_protocols",
    "tokens_current_value",
    "tokens_details",
    "tokens_profit_and_loss",
    "value_chart",
]

API_VERSION = "v4"
single = P.single
_c = P.c

# --------------------------------------------------------------------------------------------
# Schemas

CURRENT_VALUE = FrameSchema.of(
    "portfolio_v4.current_value",
    [*P.CURRENT_VALUE_COLUMNS, "api_version"],
    key=("wallets", "dimension", "key", "chain_id"),
    description="v4 general/current_value: one address row per wallet (dimension address).",
)
PROTOCOLS_CURRENT_VALUE = FrameSchema.of(
    "portfolio_v4.protocols_current_value",
    [*P.CURRENT_VALUE_COLUMNS, P.LOCKED, "api_version"],
    key=CURRENT_VALUE.key,
    description="v4 overview/protocols/current_value: dimension protocol (the all-chains row "
    "of each protocol) and protocol_chain (one row per protocol x chain).",
)
TOKENS_CURRENT_VALUE = FrameSchema.of(
    "portfolio_v4.tokens_current_value",
    [*P.CURRENT_VALUE_COLUMNS, "api_version"],
    key=CURRENT_VALUE.key,
    description="v4 overview/erc20/current_value: dimension category (native, stable, token; "
    "all chains) and category_chain (one row per category x chain).",
)

_PNL_COLUMNS: list[Any] = [
    "dimension",
    "key",
    "label",
    P.CHAIN_ID_NULLABLE,
    "profit_usd",
    "roi",
    "wallet",
    P.WALLETS,
    "timerange",
    "api_version",
]
PROFIT_AND_LOSS = FrameSchema.of(
    "portfolio_v4.profit_and_loss",
    _PNL_COLUMNS,
    key=("wallets", "dimension", "chain_id"),
    description="v4 general/profit_and_loss: dimension total (the API's chain_id null row) and "
    "chain (one row per chain).",
)
PROTOCOLS_PROFIT_AND_LOSS = FrameSchema.of(
    "portfolio_v4.protocols_profit_and_loss",
    _PNL_COLUMNS,
    key=PROFIT_AND_LOSS.key,
    description="v4 overview/protocols/profit_and_loss (same shape as profit_and_loss).",
)
TOKENS_PROFIT_AND_LOSS = FrameSchema.of(
    "portfolio_v4.tokens_profit_and_loss",
    _PNL_COLUMNS,
    key=PROFIT_AND_LOSS.key,
    description="v4 overview/erc20/profit_and_loss (same shape as profit_and_loss).",
)

VALUE_CHART = FrameSchema.of(
    "portfolio_v4.value_chart",
    [*P.CHART_COLUMNS, "api_version"],
    key=("wallets", "chain_id", "timestamp"),
    description="v4 general/value_chart: one row per point in time (UTC).",
)

PROTOCOLS_DETAILS = FrameSchema.of(
    "portfolio_v4.protocols_details",
    [
        "chain_id",
        "wallet",
        P.WALLETS,
        "position_index",
        P.ROLE,
        P.UNDERLYING_INDEX,
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
        _c(
            "position_subtype", STRING, "", "v4 sub_contract_type (supply, debt, staking, lpt, ...)"
        ),
        P.PROTOCOL_ICON,
        P.CONTRACT_ADDRESS,
        P.CONTRACT_NAME,
        P.TOKEN_ID,
        _c("position_token", STRING, "address", "v4 token_address: the position's own token"),
        "is_debt",
        P.POSITION_VALUE,
        P.STATUS,
        _c("is_whitelisted", "Int64", "", "v4 is_whitelisted (0..255, as sent)"),
        "profit_usd",
        "roi",
        "apr",
        "holding_time_days",
        _c("info", STRING, "JSON", "v4 free-form info object, as JSON text"),
        "api_version",
    ],
    key=("chain_id", "wallets", "position_index", "role", "underlying_index"),
    description="v4 overview/protocols/details: one row per position x underlying (or reward) "
    "token, as v5 protocols_snapshot plus the position's metrics.",
)

TOKENS_DETAILS = FrameSchema.of(
    "portfolio_v4.tokens_details",
    [
        P.CHAIN_ID_NULLABLE,
        "wallet",
        P.WALLETS,
        "token",
        "symbol",
        "name",
        "decimals",
        "amount",
        "price_usd",
        "value_usd",
        "profit_usd",
        "roi",
        P.STATUS,
        "timerange",
        "api_version",
    ],
    key=("wallets", "chain_id", "token"),
    description="v4 overview/erc20/details: one row per chain x token for the request's wallets "
    "(decimals is always NA: v4 does not send it).",
)

SUPPORTED_CHAINS = FrameSchema.of(
    "portfolio_v4.supported_chains",
    [*P.SUPPORTED_CHAINS_COLUMNS, "api_version"],
    key=("chain_id",),
    description="v4 general/supported_chains (ints or objects; names from the local chain table "
    "when only ids are sent).",
)
SUPPORTED_PROTOCOLS = FrameSchema.of(
    "portfolio_v4.supported_protocols",
    [*P.SUPPORTED_PROTOCOLS_COLUMNS, "api_version"],
    key=("chain_id", "protocol"),
    description="v4 general/supported_protocols (undocumented shape; anything list- or "
    "mapping-shaped is accepted, unknown fields kept).",
)


def _chain_or_none(
    item: Mapping[str, Any], endpoint: str, where: str, required: bool = True
) -> int | None:
    """A v4 ``chain_id`` that must be present but may be null (= all chains)."""
    name, raw = P.first_of(item, ("chain_id", "chain"))
    if name not in item:
        if required:
            raise PayloadError(endpoint, f"{where}.chain_id", "required field is missing")
        return None
    return None if raw is None else P.to_chain(raw, endpoint, f"{where}.{name}")


# --------------------------------------------------------------------------------------------
# Value, PnL and chart


def current_value(responses: P.Batch) -> pd.DataFrame:
    """``v4/general/current_value`` -> :data:`CURRENT_VALUE` (top-level ``system`` or ``meta``).

    One row per ``{address, value_usd}``: dimension ``address``, ``chain_id`` = the item's
    ``chain_id`` if it has one, else the request's (NA = all chains).
    """
    endpoint = "v4.current_value"
    builder = P.RowBuilder(CURRENT_VALUE, endpoint)
    known = frozenset({"address", "value_usd", "chain_id", "chain"})

    def parse(ctx: P.Ctx, payload: Any) -> None:
        for i, item in enumerate(P.items(payload, endpoint)):
            where = f"result[{i}]"
            item = P.mapping_at(item, endpoint, where)
            wallet = P.to_address(
                P.require_key(item, ("address",), endpoint, where), endpoint, f"{where}.address"
            )
            chain_id = _chain_or_none(item, endpoint, where, required=False)
            row = {
                "dimension": "address",
                "key": wallet,
                "label": wallet,
                "wallet": wallet,
                "wallets": ctx.wallets,
                "chain_id": ctx.chain_id if chain_id is None else chain_id,
                "value_usd": P.required_float(item, ("value_usd",), endpoint, where),
            }
            row.update(builder.extras(item, known))
            builder.append(row)

    P.run_batch(responses, endpoint, parse)
    return builder.build({"api_version": API_VERSION})


def _grouped_value(
    responses: P.Batch, endpoint: str, schema: FrameSchema, dimension: str
) -> pd.DataFrame:
    """v4 protocols/erc20 current_value: ``[{protocol_name, result: [{chain_id, value_usd}]}]``."""
    builder = P.RowBuilder(schema, endpoint)
    known = frozenset({"protocol_name", "protocol_locked", "result"})
    inner_known = frozenset({"chain_id", "chain", "value_usd"})
    has_locked = "locked" in schema.names

    def parse(ctx: P.Ctx, payload: Any) -> None:
        for i, group in enumerate(P.items(payload, endpoint)):
            where = f"result[{i}]"
            group = P.mapping_at(group, endpoint, where)
            name = P.to_str(
                P.require_key(group, ("protocol_name",), endpoint, where),
                endpoint,
                f"{where}.protocol_name",
                required=True,
            )
            base: dict[str, Any] = {
                "key": name,
                "label": name,
                "wallet": ctx.wallet,
                "wallets": ctx.wallets,
            }
            if has_locked:
                base["locked"] = P.to_bool(
                    group.get("protocol_locked"), endpoint, f"{where}.protocol_locked"
                )
            base.update(builder.extras(group, known))
            entries = P.items_of(
                P.require_key(group, ("result",), endpoint, where), endpoint, f"{where}.result"
            )
            for j, entry in enumerate(entries):
                ew = f"{where}.result[{j}]"
                entry = P.mapping_at(entry, endpoint, ew)
                chain_id = _chain_or_none(entry, endpoint, ew)
                row = {**base, "value_usd": P.required_float(entry, ("value_usd",), endpoint, ew)}
                if chain_id is None:
                    row.update(dimension=dimension, chain_id=ctx.chain_id)
                else:
                    row.update(dimension=f"{dimension}_chain", chain_id=chain_id)
                row.update(builder.extras(entry, inner_known, where="result[]."))
                builder.append(row)

    P.run_batch(responses, endpoint, parse)
    return builder.build({"api_version": API_VERSION})


def protocols_current_value(responses: P.Batch) -> pd.DataFrame:
    """``v4/overview/protocols/current_value`` -> :data:`PROTOCOLS_CURRENT_VALUE`.

    Each protocol's ``chain_id: null`` entry becomes dimension ``protocol`` (chain_id = the
    request's, NA = all chains, as v5 ``by_protocol_group``); per-chain entries become dimension
    ``protocol_chain``. Filter on one dimension before summing.
    """
    return _grouped_value(
        responses, "v4.protocols_current_value", PROTOCOLS_CURRENT_VALUE, "protocol"
    )


def tokens_current_value(responses: P.Batch) -> pd.DataFrame:
    """``v4/overview/erc20/current_value`` -> :data:`TOKENS_CURRENT_VALUE`.

    ``protocol_name`` (native / stable / token) is the key; dimension ``category`` for the
    ``chain_id: null`` entries, ``category_chain`` for per-chain entries.
    """
    return _grouped_value(responses, "v4.tokens_current_value", TOKENS_CURRENT_VALUE, "category")


def _pnl(responses: P.Batch, endpoint: str, schema: FrameSchema) -> pd.DataFrame:
    builder = P.RowBuilder(schema, endpoint)
    known = frozenset({"chain_id", "chain", "abs_profit_usd", "profit_abs_usd", "roi"})

    def parse(ctx: P.Ctx, payload: Any) -> None:
        base = {"wallet": ctx.wallet, "wallets": ctx.wallets, "timerange": ctx.timerange}
        for i, item in enumerate(P.items(payload, endpoint)):
            where = f"result[{i}]"
            item = P.mapping_at(item, endpoint, where)
            chain_id = _chain_or_none(item, endpoint, where)
            row = {
                **base,
                "profit_usd": P.required_float(
                    item, ("abs_profit_usd", "profit_abs_usd"), endpoint, where
                ),
                "roi": P.required_float(item, ("roi",), endpoint, where),
            }
            if chain_id is None:  # the total of the request's chains: all, or the one asked for
                scope = (P.chain_label(ctx.chain_id) or str(ctx.chain_id)) if ctx.chain_id else None
                row.update(
                    dimension="total",
                    key="total",
                    label=scope or "All chains",
                    chain_id=ctx.chain_id,
                )
            else:
                row.update(
                    dimension="chain",
                    key=str(chain_id),
                    label=P.chain_label(chain_id) or str(chain_id),
                    chain_id=chain_id,
                )
            row.update(builder.extras(item, known))
            builder.append(row)

    P.run_batch(responses, endpoint, parse)
    return builder.build({"api_version": API_VERSION})


def profit_and_loss(responses: P.Batch) -> pd.DataFrame:
    """``v4/general/profit_and_loss`` -> :data:`PROFIT_AND_LOSS`.

    The ``chain_id: null`` row is the all-chains total: dimension ``total``, ``chain_id`` = the
    request's chain (NA = all chains). Per-chain rows: dimension ``chain``.
    """
    return _pnl(responses, "v4.profit_and_loss", PROFIT_AND_LOSS)


def protocols_profit_and_loss(responses: P.Batch) -> pd.DataFrame:
    """``v4/overview/protocols/profit_and_loss`` -> :data:`PROTOCOLS_PROFIT_AND_LOSS`."""
    return _pnl(responses, "v4.protocols_profit_and_loss", PROTOCOLS_PROFIT_AND_LOSS)


def tokens_profit_and_loss(responses: P.Batch) -> pd.DataFrame:
    """``v4/overview/erc20/profit_and_loss`` -> :data:`TOKENS_PROFIT_AND_LOSS`."""
    return _pnl(responses, "v4.tokens_profit_and_loss", TOKENS_PROFIT_AND_LOSS)


def value_chart(responses: P.Batch) -> pd.DataFrame:
    """``v4/general/value_chart`` -> :data:`VALUE_CHART` (context ``timerange`` is recorded)."""
    return P.chart_frame(responses, "v4.value_chart", VALUE_CHART, API_VERSION)


# --------------------------------------------------------------------------------------------
# Details

_DETAIL_FIELDS = frozenset(
    {
        "chain_id",
        "chain",
        "contract_address",
        "token_id",
        "addresses",
        "protocol",
        "name",
        "contract_type",
        "sub_contract_type",
        "is_whitelisted",
        "protocol_name",
        "protocol_icon",
        "status",
        "token_address",
        "underlying_tokens",
        "value_usd",
        "debt",
        "rewards_tokens",
        "reward_tokens",
        "profit_abs_usd",
        "abs_profit_usd",
        "roi",
        "weighted_apr",
        "apr",
        "holding_time_days",
        "info",
    }
)


#: The profit field's spellings, in the order each details endpoint prefers them (v4 protocol
#: details send ``profit_abs_usd`` as v5 does; erc20 details send ``abs_profit_usd``).
_DETAIL_PROFIT = ("profit_abs_usd", "abs_profit_usd")
_ERC20_PROFIT = ("abs_profit_usd", "profit_abs_usd")
#: Fields every v4 overview details item requires, protocols (ProtocolOverviewResponseItem) and
#: erc20 (Erc20OverviewResponseItem) alike (absent = PayloadError naming the field, present
#: ``null`` = NA).
_OVERVIEW_REQUIRED: tuple[str | tuple[str, ...], ...] = ("name", "value_usd", "roi", "status")
#: ProtocolOverviewResponseItem: the shared fields and its own; ``chain_id`` is checked apart
#: (the request's chain may stand in) and ``addresses`` may be absent (the request's addresses).
_DETAIL_REQUIRED: tuple[str | tuple[str, ...], ...] = (
    *_OVERVIEW_REQUIRED,
    "contract_address",
    "token_id",
    "protocol",
    "contract_type",
    "sub_contract_type",
    "is_whitelisted",
    "protocol_name",
    "protocol_icon",
    "token_address",
    "underlying_tokens",
    "debt",
    ("rewards_tokens", "reward_tokens"),
    _DETAIL_PROFIT,
    ("weighted_apr", "apr"),
    "holding_time_days",
    "info",
)
#: Erc20OverviewResponseItem: the shared fields and its own (besides ``chain_id``, the token's
#: address, amount and price, checked where they are read).
_ERC20_REQUIRED: tuple[str | tuple[str, ...], ...] = (*_OVERVIEW_REQUIRED, "symbol", _ERC20_PROFIT)


def protocols_details(responses: P.Batch) -> pd.DataFrame:
    """``v4/overview/protocols/details`` -> :data:`PROTOCOLS_DETAILS`.

    Same columns as v5 ``protocols_snapshot`` where the concept exists (protocol = v4
    ``protocol``, position_type = ``contract_type``, is_debt = ``debt``, position_value_usd =
    ``value_usd``), plus the position's profit_usd / roi / apr / holding_time_days. ``wallet`` is
    the item's single address (NA when it lists several; ``wallets`` has them all).
    ``position_index`` is synthesised (module docstring).
    """
    endpoint = "v4.protocols_details"
    builder = P.RowBuilder(PROTOCOLS_DETAILS, endpoint)

    def parse(ctx: P.Ctx, payload: Any) -> None:
        for i, item in enumerate(P.items(payload, endpoint)):
            where = f"result[{i}]"
            item = P.mapping_at(item, endpoint, where)
            chain_id = _chain_or_none(item, endpoint, where, required=ctx.chain_id is None)
            if chain_id is None:
                if ctx.chain_id is None:
                    raise PayloadError(endpoint, f"{where}.chain_id", "required field is null")
                chain_id = ctx.chain_id
            P.require_all(item, _DETAIL_REQUIRED, endpoint, where)
            contract = P.to_address(
                P.require_key(item, ("contract_address",), endpoint, where),
                endpoint,
                f"{where}.contract_address",
            )
            token_id = P.to_big_int_str(item.get("token_id"), endpoint, f"{where}.token_id")
            raw_addresses = item.get("addresses")
            if raw_addresses is None:
                addresses = list(ctx.addresses)
            else:
                addresses = [
                    cast(str, P.to_address(a, endpoint, f"{where}.addresses[{k}]"))  # required
                    for k, a in enumerate(P.items_of(raw_addresses, endpoint, f"{where}.addresses"))
                ]
            g = item.get
            # required by the contract and needed for correct totals (absent = PayloadError)
            protocol = P.to_str(
                P.require_key(item, ("protocol",), endpoint, where), endpoint, f"{where}.protocol"
            )
            debt = P.to_bool(
                P.require_key(item, ("debt",), endpoint, where), endpoint, f"{where}.debt"
            )
            value = P.required_float(item, ("value_usd",), endpoint, where)
            profit = P.required_float(item, _DETAIL_PROFIT, endpoint, where)
            roi = P.required_float(item, ("roi",), endpoint, where)
            apr_name, apr = P.first_of(item, ("weighted_apr", "apr"))
            info = g("info")
            pos = {
                "chain_id": chain_id,
                "wallet": addresses[0] if len(addresses) == 1 else None,
                "wallets": ",".join(addresses) if addresses else ctx.wallets,
                "position_index": P.synthetic_index(
                    chain_id, contract, token_id, addresses or ctx.addresses
                ),
                "protocol": protocol,
                "protocol_name": P.to_str(g("protocol_name"), endpoint, f"{where}.protocol_name"),
                "position_type": P.to_str(g("contract_type"), endpoint, f"{where}.contract_type"),
                "position_subtype": P.to_str(
                    g("sub_contract_type"), endpoint, f"{where}.sub_contract_type"
                ),
                "protocol_icon": P.to_str(g("protocol_icon"), endpoint, f"{where}.protocol_icon"),
                "contract_address": contract,
                "contract_name": P.to_str(g("name"), endpoint, f"{where}.name"),
                "token_id": token_id,
                "position_token": P.to_address(
                    g("token_address"), endpoint, f"{where}.token_address", required=False
                ),
                "is_debt": bool(debt),
                "position_value_usd": value,
                "status": P.to_int(g("status"), endpoint, f"{where}.status"),
                "is_whitelisted": P.to_int(
                    g("is_whitelisted"), endpoint, f"{where}.is_whitelisted"
                ),
                "profit_usd": profit,
                "roi": roi,
                "apr": P.to_float(apr, endpoint, f"{where}.{apr_name}"),
                "holding_time_days": P.to_int(
                    g("holding_time_days"), endpoint, f"{where}.holding_time_days"
                ),
                "info": None
                if info is None
                else P.jsonish(info if isinstance(info, (dict, list)) else [info]),
            }
            pos.update(builder.extras(item, _DETAIL_FIELDS))
            reward_field = "reward_tokens" if "reward_tokens" in item else "rewards_tokens"
            P.append_position_rows(builder, pos, item, reward_field, endpoint, where)

    P.run_batch(responses, endpoint, parse)
    return builder.build({"api_version": API_VERSION})


_ERC20_FIELDS = P.TOKEN_FIELDS | {
    "contract_address",
    "abs_profit_usd",
    "profit_abs_usd",
    "roi",
    "status",
}


def tokens_details(responses: P.Batch) -> pd.DataFrame:
    """``v4/overview/erc20/details`` -> :data:`TOKENS_DETAILS` (one row per chain x token).

    The rows cover all the request's wallets together: ``wallet`` is set only when the request
    had one address. ``chain_id`` null in the item falls back to the request's chain.
    """
    endpoint = "v4.tokens_details"
    builder = P.RowBuilder(TOKENS_DETAILS, endpoint)

    def parse(ctx: P.Ctx, payload: Any) -> None:
        base = {"wallet": ctx.wallet, "wallets": ctx.wallets, "timerange": ctx.timerange}
        for i, item in enumerate(P.items(payload, endpoint)):
            where = f"result[{i}]"
            item = P.mapping_at(item, endpoint, where)
            chain_id = _chain_or_none(item, endpoint, where)
            token_name, token = P.first_of(item, ("contract_address", "address"))
            if token_name not in item:
                raise PayloadError(
                    endpoint, f"{where}.contract_address", "required field is missing"
                )
            if token is None:
                raise PayloadError(endpoint, f"{where}.{token_name}", "required field is null")
            P.require_all(item, _ERC20_REQUIRED, endpoint, where)
            profit = P.required_float(item, _ERC20_PROFIT, endpoint, where)
            roi = P.required_float(item, ("roi",), endpoint, where)
            # P.parse_token reads symbol/name/decimals/amount/price/value the same way as v5
            # (amount and price_to_usd required).
            fields = {k: v for k, v in item.items() if k in P.TOKEN_FIELDS}
            tok = P.parse_token({**fields, "address": token}, endpoint, where, builder)
            row = {
                **base,
                **tok,
                "chain_id": ctx.chain_id if chain_id is None else chain_id,
                "profit_usd": profit,
                "roi": roi,
                "status": P.to_int(item.get("status"), endpoint, f"{where}.status"),
            }
            row.update(builder.extras(item, _ERC20_FIELDS))
            builder.append(row)

    P.run_batch(responses, endpoint, parse)
    return builder.build({"api_version": API_VERSION})


# --------------------------------------------------------------------------------------------
# General


def is_available(responses: P.Batch) -> bool:
    """``v4/general/is_available`` (``{result: bool}`` or ``{result: {is_available}}``) -> bool."""
    return P.availability(responses, "v4.is_available")


def supported_chains(responses: P.Batch) -> pd.DataFrame:
    """``v4/general/supported_chains`` -> :data:`SUPPORTED_CHAINS`.

    Accepted: bare or enveloped lists of ints (Go SDK), of ``{id, name, icon}`` objects, or of
    ``Chain`` enum objects ``{id_num, name, name_readable, icon_url}``.
    """
    endpoint = "v4.supported_chains"
    builder = P.RowBuilder(SUPPORTED_CHAINS, endpoint)
    known = frozenset({"chain_id", "chain", "chain_name", "chain_icon", "native_token"})

    def parse(ctx: P.Ctx, payload: Any) -> None:
        for i, item in enumerate(P.items(payload, endpoint)):
            builder.append(P.chain_row(item, endpoint, f"result[{i}]", builder, known))

    P.run_batch(responses, endpoint, parse)
    return builder.build({"api_version": API_VERSION})


def supported_protocols(responses: P.Batch) -> pd.DataFrame:
    """``v4/general/supported_protocols`` (shape undocumented) -> :data:`SUPPORTED_PROTOCOLS`.

    Accepted: a list of protocol objects (v5-like) or of names; a mapping ``{chain_id: [..]}``
    or ``{protocol: {...}}``. Unknown fields are kept as extra columns.
    """
    endpoint = "v4.supported_protocols"
    builder = P.RowBuilder(SUPPORTED_PROTOCOLS, endpoint)

    def parse(ctx: P.Ctx, payload: Any) -> None:
        result = unwrap_result(payload, endpoint)
        if isinstance(result, Mapping):
            for key, value in result.items():
                where = f"result.{key}"
                if isinstance(value, list):
                    chain_id = P.to_chain(key, endpoint, where) if str(key).isdigit() else None
                    for j, item in enumerate(value):
                        row = P.protocol_row(item, endpoint, f"{where}[{j}]", builder)
                        if row.get("chain_id") is None:
                            row["chain_id"] = chain_id
                        builder.append(row)
                elif isinstance(value, Mapping):
                    builder.append(
                        P.protocol_row({"protocol": key, **value}, endpoint, where, builder)
                    )
                else:
                    row = {"protocol": str(key), "protocol_name": str(key)}
                    row.update(builder.extras({"value": value}, frozenset()))
                    builder.append(row)
            return
        for i, item in enumerate(P.items_of(result, endpoint, "result")):
            builder.append(P.protocol_row(item, endpoint, f"result[{i}]", builder))

    P.run_batch(responses, endpoint, parse)
    return builder.build({"api_version": API_VERSION})
