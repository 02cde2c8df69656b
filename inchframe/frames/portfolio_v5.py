"""Pure converters for the Portfolio API v5.0 (api-contract.md): payloads in, frames out.

Every converter takes an iterable of ``(context, payload)`` pairs (see
:mod:`inchframe.frames._portfolio` for the context keys) and returns one frame (or a bool for
:func:`status`). :func:`single` wraps one payload: ``tokens_snapshot(single(body, addresses=[w]))``.

Drift accepted (api-contract Q1, Q2): a bare array or the ``{result, meta}`` envelope; ``chain``
or ``chain_id`` on snapshot items and inside TokenBalance (an int, a numeric string, a chain name
or a ``Chain`` enum object); ``price_usd`` or ``price_to_usd``; TokenBalance with or without
``value_usd`` (amount x price when absent); a zero ``address`` on snapshot items (replaced by the
request's address when the request had exactly one); a string or an ``AggregatePositionIndex``
object as the metrics ``index``.
"""

from __future__ import annotations

import csv
import io
import json
import re
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.errors import EmptyDataError, ParserError

from ..errors import InchframeError, PayloadError
from . import _fast as F
from . import _portfolio as P
from ._forms import attribution, observe
from ._parse import UnknownFieldsWarning, unwrap_result
from .schema import STRING, UTC_TIMESTAMP, Column, FrameSchema

__all__ = [
    "ADDRESS_CHECK",
    "CHART",
    "CURRENT_VALUE",
    "PROTOCOLS_METRICS",
    "PROTOCOLS_SNAPSHOT",
    "REPORT",
    "SUPPORTED_CHAINS",
    "SUPPORTED_PROTOCOLS",
    "TOKENS_METRICS",
    "TOKENS_SNAPSHOT",
    "address_check",
    "chart",
    "current_value",
    "protocols_metrics",
    "protocols_snapshot",
    "report",
    "single",
    "status",
    "supported_chains",
    "supported_protocols",
    "tokens_metrics",
    "tokens_snapshot",
]

API_VERSION = "v5.0"
single = P.single
_c = P.c

# --------------------------------------------------------------------------------------------
# Schemas

TOKENS_SNAPSHOT = FrameSchema.of(
    "portfolio_v5.tokens_snapshot",
    [
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
        P.PROTOCOL_HANDLER,
        "is_debt",
        P.STATUS,
        P.LOCKED,
        P.TOKEN_ID,
        P.BLOCK_NUMBER,
        P.BLOCK_CREATED,
        P.SNAPSHOT_TS,
        "api_version",
    ],
    key=("chain_id", "wallet", "position_index", "token"),
    description="v5.0 tokens/snapshot: one row per chain x wallet x token (the token is the "
    "item's underlying token).",
)

PROTOCOLS_SNAPSHOT = FrameSchema.of(
    "portfolio_v5.protocols_snapshot",
    [
        "chain_id",
        "wallet",
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
        P.PROTOCOL_HANDLER,
        P.SUB_GROUP,
        P.SUB_GROUP_NAME,
        P.PROTOCOL_ICON,
        P.CONTRACT_ADDRESS,
        P.CONTRACT_NAME,
        P.CONTRACT_SYMBOL,
        P.TOKEN_ID,
        "is_debt",
        P.POSITION_VALUE,
        P.STATUS,
        P.LOCKED,
        P.BLOCK_NUMBER,
        P.BLOCK_CREATED,
        P.SNAPSHOT_TS,
        "api_version",
    ],
    key=("chain_id", "wallet", "position_index", "role", "underlying_index"),
    description="v5.0 protocols/snapshot: one row per chain x wallet x position x underlying "
    "(or reward) token; a position without tokens has one row with role NA.",
)

_METRIC_COLUMNS: list[str | Column] = [
    "position_index",
    "wallet",
    P.CHAIN_ID_NULLABLE,
    P.CONTRACT_ADDRESS,
    P.TOKEN_ID,
    P.SUB_GROUP,
    _c(
        "is_aggregate",
        "bool",
        "",
        "the index was an AggregatePositionIndex object (a rolled-up row, position_index NA)",
    ),
    "profit_usd",
    "roi",
    "apr",
    "holding_time_days",
    _c("rewards_usd", "float64", "USD", "rewards earned"),
    _c("claimed_fees_usd", "float64", "USD", "fees claimed"),
    _c("unclaimed_fees_usd", "float64", "USD", "fees earned, not yet claimed"),
    _c("impermanent_loss_usd", "float64", "USD", "impermanent loss"),
    "timerange",
    "api_version",
]
#: Identity columns of the metrics frames: filled from the body when it carries them, else by
#: the loaders from the matching snapshot, joined on position_index (see
#: inchframe.portfolio._identity); NA for a position the snapshot does not hold (closed).
_TOKEN_IDENTITY = [
    _c("token", STRING, "address", "the position's token (from the body or the tokens snapshot)"),
    _c("symbol", STRING, "", "token symbol (from the body or the tokens snapshot)"),
]
_PROTOCOL_IDENTITY = [
    _c("protocol", STRING, "", "protocol id (from the body or the protocols snapshot)"),
    _c("protocol_name", STRING, "", "protocol display name (body or protocols snapshot)"),
    _c("symbol", STRING, "", "the position's underlying symbols, '/'-joined (snapshot)"),
]
TOKENS_METRICS = FrameSchema.of(
    "portfolio_v5.tokens_metrics",
    _METRIC_COLUMNS[:3] + _TOKEN_IDENTITY + _METRIC_COLUMNS[3:],
    key=(
        "position_index",
        "wallet",
        "chain_id",
        "contract_address",
        "token_id",
        "protocol_sub_group",
    ),
    description="v5.0 tokens/metrics: one row per index. The body carries only the index and "
    "figures; `inchframe.portfolio.tokens_metrics` fills chain_id, wallet, token and symbol from "
    "tokens_snapshot of the same wallets (joined on position_index; NA for a closed position).",
)
PROTOCOLS_METRICS = FrameSchema.of(
    "portfolio_v5.protocols_metrics",
    _METRIC_COLUMNS[:3] + _PROTOCOL_IDENTITY + _METRIC_COLUMNS[3:],
    key=TOKENS_METRICS.key,
    description="v5.0 protocols/metrics: one row per index. The body carries only the index "
    "and figures; `inchframe.portfolio.protocols_metrics` fills chain_id, wallet, protocol, "
    "protocol_name and symbol from protocols_snapshot of the same wallets (joined on "
    "position_index; NA for a closed position).",
)

CURRENT_VALUE = FrameSchema.of(
    "portfolio_v5.current_value",
    [*P.CURRENT_VALUE_COLUMNS, "api_version"],
    key=("wallets", "dimension", "key", "chain_id"),
    description="v5.0 general/current_value as a long frame: filter on dimension (total, "
    "address, category, protocol, chain) before summing.",
)

CHART = FrameSchema.of(
    "portfolio_v5.chart",
    [*P.CHART_COLUMNS, "api_version"],
    key=("wallets", "chain_id", "timestamp"),
    description="v5.0 general/chart: one row per point in time (UTC).",
)

SUPPORTED_CHAINS = FrameSchema.of(
    "portfolio_v5.supported_chains",
    [*P.SUPPORTED_CHAINS_COLUMNS, "api_version"],
    key=("chain_id",),
    description="v5.0 general/supported_chains: one row per chain.",
)

SUPPORTED_PROTOCOLS = FrameSchema.of(
    "portfolio_v5.supported_protocols",
    [*P.SUPPORTED_PROTOCOLS_COLUMNS, "api_version"],
    key=("chain_id", "protocol"),
    description="v5.0 general/supported_protocols: one row per chain x protocol group.",
)

ADDRESS_CHECK = FrameSchema.of(
    "portfolio_v5.address_check",
    [
        "wallet",
        _c("is_compliant", "boolean", "", "the address passed the check (NA when not stated)"),
        _c("reason", STRING, "", "why not, when given"),
        _c("raw", STRING, "JSON", "the response's value for this address, as JSON text"),
        P.CHAIN_ID_NULLABLE,
        "api_version",
    ],
    key=("wallet", "chain_id"),
    description="v5.0 general/address_check (undocumented shape; INFERRED "
    "{address: {is_compliant, reason}}): one row per address; raw keeps what came.",
)

REPORT = FrameSchema.of(
    "portfolio_v5.report",
    ["api_version"],
    description="v5.0 general/report: the CSV as sent, column names snake_cased, plus "
    "api_version (columns unknown: everything that arrives is kept).",
)

# --------------------------------------------------------------------------------------------
# Snapshot items (AdapterResult) and TokenBalance

_ITEM_FIELDS = frozenset(
    {
        "index",
        "chain",
        "chain_id",
        "contract_address",
        "token_id",
        "address",
        "block_number_created",
        "block_number",
        "timestamp",
        "protocol_type",
        "protocol_handler_id",
        "protocol_group_id",
        "protocol_group_name",
        "protocol_group_icon",
        "protocol_sub_group_id",
        "protocol_sub_group_name",
        "contract_name",
        "contract_symbol",
        "asset_sign",
        "status",
        "underlying_tokens",
        "reward_tokens",
        "value_usd",
        "locked",
    }
)
#: AdapterResult fields the contract requires on every snapshot item (docs/frames-portfolio.md,
#: "Required fields"); ``chain``/``chain_id`` is checked apart (the request's chain may stand in).
#: Absent = PayloadError naming the field; present ``null`` = NA. ``status``, ``locked``,
#: ``block_number``, ``timestamp``, sub-groups and ``reward_tokens`` are optional; so is
#: ``address``: absent (or zero) means the asked wallet, and a multi-wallet answer without it is
#: asked again per wallet (docs/portfolio.md, attribution).
ITEM_REQUIRED = (
    "index",
    "contract_address",
    "token_id",
    "block_number_created",
    "protocol_type",
    "protocol_handler_id",
    "protocol_group_id",
    "protocol_group_name",
    "protocol_group_icon",
    "contract_name",
    "contract_symbol",
    "asset_sign",
    "value_usd",
    "underlying_tokens",
)


def _item_chain(item: Mapping[str, Any], ctx: P.Ctx, endpoint: str, where: str) -> int:
    name, raw = P.first_of(item, ("chain", "chain_id"))
    if raw is None and ctx.chain_id is not None:
        return ctx.chain_id
    if name not in item:
        raise PayloadError(
            endpoint, f"{where}.chain", "required field is missing (neither chain nor chain_id)"
        )
    return P.to_chain(raw, endpoint, f"{where}.{name}")


def _position(
    item: Any, ctx: P.Ctx, endpoint: str, where: str, builder: P.RowBuilder
) -> dict[str, Any]:
    """Position-level values of one AdapterResult."""
    item = P.mapping_at(item, endpoint, where)
    chain_id = _item_chain(item, ctx, endpoint, where)
    P.require_all(item, ITEM_REQUIRED, endpoint, where)
    index = P.to_str(
        P.require_key(item, ("index",), endpoint, where), endpoint, f"{where}.index", required=True
    )
    # the owner: absent or zero means "the asked wallet" (single-wallet requests); the loaders
    # re-ask a multi-wallet request per wallet when its items do not name one
    address = P.to_address(item.get("address"), endpoint, f"{where}.address", required=False)
    observe("snapshot item address", attribution(address, ctx.addresses))
    # required by the contract and needed for correct totals: which contract, which protocol,
    # debt or asset, how much (absent = PayloadError; present null = NA / NaN)
    contract = P.to_address(
        P.require_key(item, ("contract_address",), endpoint, where),
        endpoint,
        f"{where}.contract_address",
        required=False,
    )
    protocol = P.to_str(
        P.require_key(item, ("protocol_group_id",), endpoint, where),
        endpoint,
        f"{where}.protocol_group_id",
    )
    sign = P.to_int(
        P.require_key(item, ("asset_sign",), endpoint, where), endpoint, f"{where}.asset_sign"
    )
    value = P.required_float(item, ("value_usd",), endpoint, where)
    g = item.get
    row = {
        "chain_id": chain_id,
        "wallet": P.wallet_for(address, ctx),
        "position_index": index,
        "protocol": protocol,
        "protocol_name": P.to_str(
            g("protocol_group_name"), endpoint, f"{where}.protocol_group_name"
        ),
        "position_type": P.to_str(g("protocol_type"), endpoint, f"{where}.protocol_type"),
        "protocol_handler": P.to_str(
            g("protocol_handler_id"), endpoint, f"{where}.protocol_handler_id"
        ),
        "protocol_sub_group": P.to_str(
            g("protocol_sub_group_id"), endpoint, f"{where}.protocol_sub_group_id"
        ),
        "protocol_sub_group_name": P.to_str(
            g("protocol_sub_group_name"), endpoint, f"{where}.protocol_sub_group_name"
        ),
        "protocol_icon": P.to_str(
            g("protocol_group_icon"), endpoint, f"{where}.protocol_group_icon"
        ),
        "contract_address": contract,
        "contract_name": P.to_str(g("contract_name"), endpoint, f"{where}.contract_name"),
        "contract_symbol": P.to_str(g("contract_symbol"), endpoint, f"{where}.contract_symbol"),
        "token_id": P.to_big_int_str(g("token_id"), endpoint, f"{where}.token_id"),
        "is_debt": sign is not None and sign < 0,
        "position_value_usd": value,
        "status": P.to_int(g("status"), endpoint, f"{where}.status"),
        "locked": P.to_bool(g("locked"), endpoint, f"{where}.locked"),
        "block_number": P.to_int(g("block_number"), endpoint, f"{where}.block_number"),
        "block_number_created": P.to_int(
            g("block_number_created"), endpoint, f"{where}.block_number_created"
        ),
        "timestamp": P.to_unix_seconds(g("timestamp"), endpoint, f"{where}.timestamp"),
    }
    row.update(builder.extras(item, _ITEM_FIELDS))
    return row


_TOKEN_ONLY_DROP = (
    "protocol_sub_group",
    "protocol_sub_group_name",
    "protocol_icon",
    "contract_name",
    "contract_symbol",
    "contract_address",
    "position_value_usd",
)


def tokens_snapshot(responses: P.Batch) -> pd.DataFrame:
    """``v5.0/tokens/snapshot`` -> :data:`TOKENS_SNAPSHOT` (one row per chain x wallet x token).

    The token is the item's underlying token; an item whose ``underlying_tokens`` is empty (or
    null) gives one row from its ``contract_address``/``contract_symbol``/``contract_name`` and
    ``value_usd``. Required on every item (absent = PayloadError naming the field, null = NA):
    ``index``, ``chain``/``chain_id`` (or the request's chain), ``address``,
    ``contract_address``, ``protocol_group_id``, ``asset_sign``, ``value_usd``,
    ``underlying_tokens``, and on every token ``address``, ``amount``, ``price_usd``.

    Payloads may be parsed JSON or raw response bodies (``bytes``): a batch of raw bodies is read
    by Arrow's JSON reader with an explicit schema (no Python object per row) when every body
    fits it, and parsed (as the client parses) for the row-by-row path otherwise. The frame is
    the same either way.
    """
    endpoint = "v5.tokens_snapshot"
    pairs, raw = F.split_raw(responses)
    if raw:
        try:
            frame = _snapshot_fast(pairs, endpoint, protocols=False)
            return P.collapse_repeats(frame, TOKENS_SNAPSHOT.key, endpoint)
        except F.NoFit:
            observe("fast path", "fell back to the safe path")
            pass
    responses = F.parse_bodies(pairs, endpoint)
    builder = P.RowBuilder(TOKENS_SNAPSHOT, endpoint)

    def parse(ctx: P.Ctx, payload: Any) -> None:
        for i, item in enumerate(P.items(payload, endpoint)):
            where = f"result[{i}]"
            pos = _position(item, ctx, endpoint, where, builder)
            tokens = P.items_of(
                P.require_key(item, ("underlying_tokens",), endpoint, where),
                endpoint,
                f"{where}.underlying_tokens",
            )
            fallback = {
                "token": pos["contract_address"],
                "symbol": pos["contract_symbol"],
                "name": pos["contract_name"],
                "value_usd": pos["position_value_usd"],
            }
            for name in _TOKEN_ONLY_DROP:
                pos.pop(name, None)
            if not tokens:
                if fallback["token"] is None:
                    raise PayloadError(
                        endpoint,
                        f"{where}.underlying_tokens",
                        "no underlying token and no contract_address",
                    )
                builder.append({**pos, **fallback})
            for j, tok in enumerate(tokens):
                builder.append(
                    {
                        **pos,
                        **P.parse_token(tok, endpoint, f"{where}.underlying_tokens[{j}]", builder),
                    }
                )

    P.run_batch(responses, endpoint, parse)
    frame = builder.build({"api_version": API_VERSION})
    return P.collapse_repeats(frame, TOKENS_SNAPSHOT.key, endpoint)


def protocols_snapshot(responses: P.Batch) -> pd.DataFrame:
    """``v5.0/protocols/snapshot`` -> :data:`PROTOCOLS_SNAPSHOT`.

    One row per chain x wallet x position x token, ``role`` underlying then reward, numbered by
    ``underlying_index`` within each list; ``position_value_usd`` (the item's ``value_usd``)
    repeats on every row of the position, so sum it over ``drop_duplicates("position_index")``.
    Raw bodies take a fast path as in :func:`tokens_snapshot`.
    """
    endpoint = "v5.protocols_snapshot"
    pairs, raw = F.split_raw(responses)
    if raw:
        try:
            frame = _snapshot_fast(pairs, endpoint, protocols=True)
            return P.collapse_repeats(frame, PROTOCOLS_SNAPSHOT.key, endpoint)
        except F.NoFit:
            observe("fast path", "fell back to the safe path")
            pass
    responses = F.parse_bodies(pairs, endpoint)
    builder = P.RowBuilder(PROTOCOLS_SNAPSHOT, endpoint)

    def parse(ctx: P.Ctx, payload: Any) -> None:
        for i, item in enumerate(P.items(payload, endpoint)):
            where = f"result[{i}]"
            pos = _position(item, ctx, endpoint, where, builder)
            P.append_position_rows(builder, pos, item, "reward_tokens", endpoint, where)

    P.run_batch(responses, endpoint, parse)
    frame = builder.build({"api_version": API_VERSION})
    return P.collapse_repeats(frame, PROTOCOLS_SNAPSHOT.key, endpoint)


# --------------------------------------------------------------------------------------------
# Snapshot fast path: raw bodies -> Arrow (explicit schema) -> columns, no Python object per row

_I64, _F64, _STR = pa.int64(), pa.float64(), pa.large_string()  # large: what pandas holds
_TOKEN_TYPE = pa.struct(
    [
        ("chain_id", _I64),
        ("chain", _I64),
        ("address", _STR),
        ("decimals", _I64),
        ("symbol", _STR),
        ("name", _STR),
        ("amount", _F64),
        ("price_usd", _F64),
        ("price_to_usd", _F64),
        ("value_usd", _F64),
    ]
)
_ITEM_TYPE = pa.struct(
    [
        ("index", _STR),
        ("chain", _I64),
        ("chain_id", _I64),
        ("contract_address", _STR),
        ("token_id", _I64),
        ("address", _STR),
        ("block_number_created", _I64),
        ("block_number", _I64),
        ("timestamp", _I64),
        ("protocol_type", _STR),
        ("protocol_handler_id", _STR),
        ("protocol_group_id", _STR),
        ("protocol_group_name", _STR),
        ("protocol_group_icon", _STR),
        ("protocol_sub_group_id", _STR),
        ("protocol_sub_group_name", _STR),
        ("contract_name", _STR),
        ("contract_symbol", _STR),
        ("asset_sign", _I64),
        ("status", _I64),
        ("underlying_tokens", pa.list_(_TOKEN_TYPE)),
        ("reward_tokens", pa.list_(_TOKEN_TYPE)),
        ("value_usd", _F64),
        ("locked", pa.bool_()),
    ]
)
_SNAPSHOT_SCHEMA = pa.schema([pa.field("result", pa.list_(_ITEM_TYPE))])
#: Item fields the safe path requires (``address`` is checked by ``ascii_addresses``).
_REQUIRED_ITEM_FIELDS = tuple(
    name for name in ITEM_REQUIRED if name not in ("address", "underlying_tokens")
)
_CHAIN_NULL = re.compile(rb'"chain"[ \t\r\n]*:[ \t\r\n]*null')
_ZERO_WALLET = P.ZERO_ADDRESS


def _np(arr: pa.Array, dtype: Any) -> np.ndarray:
    return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=dtype)


def _item_chains(items: pa.StructArray, per_item_ctx: pa.Array, bodies: list[bytes]) -> np.ndarray:
    """``_item_chain`` for every item: ``chain``, else ``chain_id``, else the request's chain."""
    chain, chain_id = items.field("chain"), items.field("chain_id")
    if chain.null_count == 0:
        out = chain
    elif chain_id.null_count == len(chain_id):  # neither key, or nulls: the request's chain
        out = pc.coalesce(chain, per_item_ctx)
    elif any(_CHAIN_NULL.search(b) for b in bodies):
        raise F.NoFit  # "chain": null next to a chain_id: the safe path decides
    else:
        out = pc.coalesce(chain, chain_id, per_item_ctx)
    if out.null_count or pc.any(pc.less_equal(out, 0)).as_py():
        raise F.NoFit
    return _np(out, np.int64)


def _unix_seconds(arr: pa.Array) -> pa.Array:
    """``to_unix_seconds``: milliseconds (>= 1e11) become seconds; out of range does not fit."""
    values = _np(arr.fill_null(0), np.int64)
    if ((values < 0) | (values >= 10**14)).any():
        raise F.NoFit
    seconds = np.where(values >= 10**11, values // 1000, values)
    return pa.array(seconds, mask=_np(arr.is_null(), bool))


def _token_columns(tokens: pa.StructArray) -> dict[str, Any]:
    """``P.parse_token`` for every TokenBalance (Arrow arrays, one per row column)."""
    if tokens.null_count:
        raise F.NoFit
    f = tokens.field
    if f("price_to_usd").null_count != len(tokens):
        raise F.NoFit  # price_usd vs price_to_usd precedence: the safe path decides
    amount, price = f("amount"), f("price_usd")
    if amount.null_count or price.null_count:
        raise F.NoFit  # absent (a PayloadError) or null (NaN): Arrow cannot tell, the safe path can
    value = pc.if_else(f("value_usd").is_null(), pc.multiply(amount, price), f("value_usd"))
    return {
        "token": F.ascii_addresses(f("address"), required=True),
        "symbol": f("symbol"),
        "name": f("name"),
        "decimals": f("decimals"),
        "amount": amount,
        "price_usd": price,
        "value_usd": value,
    }


#: Bodies are read by Arrow in groups of about this many bytes, so the peak memory is the frame
#: plus one group (its bytes and its Arrow table), not the frame plus every body's table.
_CHUNK_BYTES = 16 << 20


def _snapshot_fast(pairs: list[Any], endpoint: str, *, protocols: bool) -> pd.DataFrame:
    """:func:`tokens_snapshot` / :func:`protocols_snapshot` of raw bodies (or :class:`F.NoFit`)."""
    try:
        ctxs = [P.make_ctx(ctx) for ctx, _ in pairs]
    except (TypeError, ValueError, InchframeError):
        raise F.NoFit from None
    groups: list[list[int]] = [[]]
    size = 0
    for i, (_, body) in enumerate(pairs):
        if groups[-1] and size + len(body) > _CHUNK_BYTES:
            groups.append([])
            size = 0
        groups[-1].append(i)
        size += len(body)
    parts = [
        _snapshot_columns(
            [ctxs[i] for i in group], [bytes(pairs[i][1]) for i in group], protocols=protocols
        )
        for group in groups
    ]
    parts = [part for part in parts if part[1]]
    n = sum(rows for _, rows in parts)
    if n == 0:
        raise F.NoFit  # nothing to build: the safe path's empty frame
    if len(parts) == 1:
        columns = parts[0][0]
    else:
        columns = {
            name: pa.chunked_array([cols[name] for cols, _ in parts], type=parts[0][0][name].type)
            for name in parts[0][0]
        }
    return _fast_frame(PROTOCOLS_SNAPSHOT if protocols else TOKENS_SNAPSHOT, columns, n)


def _snapshot_columns(
    ctxs: list[P.Ctx], bodies: list[bytes], *, protocols: bool
) -> tuple[dict[str, pa.Array], int]:
    """The frame's columns (Arrow arrays) for one group of bodies, and its number of rows."""
    table = F.read_json_objects(bodies, _SNAPSHOT_SCHEMA, wrap_arrays="result")
    result = table.column("result").combine_chunks()
    if result.null_count:
        raise F.NoFit
    items = result.flatten()
    n = len(items)
    if items.null_count:
        raise F.NoFit
    if n == 0:
        return {}, 0
    parent = pa.array(_np(pc.list_parent_indices(result), np.int64))
    f = items.field
    ctx_chain = pa.array([c.chain_id for c in ctxs], type=pa.int64()).take(parent)
    ctx_wallet = pa.array([c.wallet for c in ctxs], type=_STR).take(parent)
    # Arrow reads an absent field as null: a null in a field the safe path requires (absent =
    # PayloadError, null = NA) sends the batch there.
    for name in _REQUIRED_ITEM_FIELDS:
        if f(name).null_count:
            raise F.NoFit
    address = F.ascii_addresses(f("address"), required=True)
    replace = pc.and_(pc.equal(address, _ZERO_WALLET), pc.is_valid(ctx_wallet))
    sign = f("asset_sign")
    pos: dict[str, Any] = {
        "chain_id": pa.array(_item_chains(items, ctx_chain, bodies)),
        "wallet": pc.if_else(replace, ctx_wallet, address),
        "position_index": f("index"),
        "protocol": f("protocol_group_id"),
        "protocol_name": f("protocol_group_name"),
        "position_type": f("protocol_type"),
        "protocol_handler": f("protocol_handler_id"),
        "protocol_sub_group": f("protocol_sub_group_id"),
        "protocol_sub_group_name": f("protocol_sub_group_name"),
        "protocol_icon": f("protocol_group_icon"),
        "contract_address": F.ascii_addresses(f("contract_address"), required=True),
        "contract_name": f("contract_name"),
        "contract_symbol": f("contract_symbol"),
        "token_id": pc.cast(f("token_id"), _STR),
        "is_debt": pc.fill_null(pc.less(sign, 0), False),
        "position_value_usd": f("value_usd"),
        "status": f("status"),
        "locked": f("locked"),
        "block_number": f("block_number"),
        "block_number_created": f("block_number_created"),
        "timestamp": _unix_seconds(f("timestamp")),
    }
    # rows: underlying tokens, then (protocols only) reward tokens; one row if there are none
    under = f("underlying_tokens")
    if under.null_count:
        raise F.NoFit  # absent (a PayloadError) or null (no tokens): the safe path decides
    ulen = _np(pc.fill_null(pc.list_value_length(under), 0), np.int64)
    lists = [under.flatten()]
    rlen = np.zeros(n, dtype=np.int64)
    if protocols:
        reward = f("reward_tokens")
        rlen = _np(pc.fill_null(pc.list_value_length(reward), 0), np.int64)
        lists.append(reward.flatten())
    total = ulen + rlen
    per_item = np.maximum(total, 1)
    row_item = np.repeat(np.arange(n, dtype=np.int64), per_item)
    k = np.arange(len(row_item), dtype=np.int64) - np.repeat(
        np.cumsum(per_item) - per_item, per_item
    )
    u_start = np.cumsum(ulen) - ulen
    r_start = int(ulen.sum()) + np.cumsum(rlen) - rlen
    is_under = k < ulen[row_item]
    has_token = k < total[row_item]
    tok_pos = np.where(is_under, u_start[row_item] + k, r_start[row_item] + k - ulen[row_item])
    token_idx = pa.array(np.where(has_token, tok_pos, 0), mask=~has_token)
    tokens = pa.concat_arrays(lists) if len(lists) > 1 else lists[0]
    tok = _token_columns(tokens) if len(tokens) else None
    take_item = pa.array(row_item)
    rows = {name: values.take(take_item) for name, values in pos.items()}
    has = pa.array(has_token)

    def token_col(name: str, typ: pa.DataType) -> pa.Array:
        if tok is None:
            return pa.nulls(len(row_item), typ)
        return tok[name].take(token_idx)

    columns: dict[str, Any] = {}
    if protocols:
        for name, typ in (
            ("token", _STR),
            ("symbol", _STR),
            ("name", _STR),
            ("decimals", _I64),
            ("amount", _F64),
            ("price_usd", _F64),
            ("value_usd", _F64),
        ):
            columns[name] = token_col(name, typ)
        role = np.where(is_under, "underlying", "reward")
        columns["role"] = pa.array(role, mask=~has_token, type=_STR)
        columns["underlying_index"] = pa.array(
            np.where(is_under, k, k - ulen[row_item]), mask=~has_token
        )
        columns.update(rows)
    else:
        if not has_token.all() and rows["contract_address"].filter(pc.invert(has)).null_count:
            raise F.NoFit  # no underlying token and no contract_address: the safe path raises
        fallback = {
            "token": "contract_address",
            "symbol": "contract_symbol",
            "name": "contract_name",
            "value_usd": "position_value_usd",
        }
        for name, typ in (
            ("token", _STR),
            ("symbol", _STR),
            ("name", _STR),
            ("decimals", _I64),
            ("amount", _F64),
            ("price_usd", _F64),
            ("value_usd", _F64),
        ):
            col = token_col(name, typ)
            if name in fallback and not has_token.all():
                col = pc.if_else(has, col, rows[fallback[name]])
            columns[name] = col
        for name in _TOKEN_ONLY_DROP:
            rows.pop(name)
        columns.update(rows)
    columns["api_version"] = pa.array([API_VERSION], _STR).take(
        pa.array(np.zeros(len(row_item), np.int64))
    )
    schema = PROTOCOLS_SNAPSHOT if protocols else TOKENS_SNAPSHOT
    return {name: columns[name] for name in schema.names}, len(row_item)


def _fast_frame(schema: FrameSchema, columns: dict[str, Any], n: int) -> pd.DataFrame:
    """Arrow columns as the dtypes :class:`~inchframe.frames._portfolio.RowBuilder` gives."""
    data: dict[str, Any] = {}
    for column in schema.columns:
        arr = columns[column.name]
        kind = str(column.dtype)
        if column.dtype == STRING:
            data[column.name] = F.string_array(arr)
        elif kind == "float64":
            data[column.name] = _np(arr, np.float64)
        elif kind in ("int64", "bool"):
            if arr.null_count:
                raise F.NoFit
            data[column.name] = _np(arr, np.int64 if kind == "int64" else bool)
        elif kind == "Int64":
            data[column.name] = F.int_array(arr)
        elif kind == "boolean":
            data[column.name] = F.bool_array(arr)
        elif column.dtype == UTC_TIMESTAMP:
            data[column.name] = pd.to_datetime(F.int_array(arr), unit="s", utc=True)
        else:  # pragma: no cover - every snapshot column is one of the above
            raise F.NoFit
    return schema.conform(pd.DataFrame(data, index=pd.RangeIndex(n)))


# --------------------------------------------------------------------------------------------
# Metrics

_METRIC_FIELDS = frozenset(
    {
        "index",
        "profit_abs_usd",
        "roi",
        "weighted_apr",
        "holding_time_days",
        "rewards_tokens",
        "rewards_usd",
        "claimed_fees",
        "unclaimed_fees",
        "impermanent_loss",
        "claimed_fees_usd",
        "unclaimed_fees_usd",
        "impermanent_loss_usd",
    }
)
_METRIC_MEASURES = (
    ("profit_usd", "profit_abs_usd"),
    ("roi", "roi"),
    ("apr", "weighted_apr"),
    ("rewards_usd", "rewards_usd"),
    ("claimed_fees_usd", "claimed_fees_usd"),
    ("unclaimed_fees_usd", "unclaimed_fees_usd"),
    ("impermanent_loss_usd", "impermanent_loss_usd"),
)


#: Identity fields a metrics item may carry next to its index (none is documented; read when
#: present so that the loaders' snapshot join is only the fallback).
_METRIC_IDENTITY_FIELDS = frozenset(
    {"address", "chain", "chain_id", "contract_address", "token_address", "symbol"}
    | {"protocol_group_id", "protocol_group_name"}
)


def _metric_identity(
    item: Mapping[str, Any], endpoint: str, where: str, row: Mapping[str, Any]
) -> dict[str, Any]:
    """Identity columns from a metrics item's own fields, where it has them."""
    found: dict[str, Any] = {}
    wallet = P.to_address(item.get("address"), endpoint, f"{where}.address", required=False)
    if wallet is not None and row.get("wallet") is None and set(wallet[2:]) != {"0"}:
        found["wallet"] = wallet  # a zero address attributes nothing
    chain = item.get("chain_id", item.get("chain"))
    if chain is not None and row.get("chain_id") is None:
        found["chain_id"] = P.to_chain(chain, endpoint, f"{where}.chain_id")
    token = item.get("token_address", item.get("contract_address"))
    if token is not None:
        found["token"] = P.to_address(token, endpoint, f"{where}.token_address", required=False)
    for column, field in (
        ("symbol", "symbol"),
        ("protocol", "protocol_group_id"),
        ("protocol_name", "protocol_group_name"),
    ):
        if item.get(field) is not None:
            found[column] = P.to_str(item.get(field), endpoint, f"{where}.{field}")
    return found


def _metrics(responses: P.Batch, endpoint: str, schema: FrameSchema) -> pd.DataFrame:
    builder = P.RowBuilder(schema, endpoint)

    def parse(ctx: P.Ctx, payload: Any) -> None:
        for i, item in enumerate(P.items(payload, endpoint)):
            where = f"result[{i}]"
            item = P.mapping_at(item, endpoint, where)
            index = P.require_key(item, ("index",), endpoint, where)
            row: dict[str, Any] = {"timerange": ctx.timerange}
            if isinstance(index, Mapping):
                chain = index.get("chain", index.get("chain_id"))
                row.update(
                    {
                        "position_index": None,
                        "is_aggregate": True,
                        "wallet": P.to_address(
                            index.get("address"), endpoint, f"{where}.index.address", required=False
                        ),
                        "chain_id": None
                        if chain is None
                        else P.to_chain(chain, endpoint, f"{where}.index.chain"),
                        "contract_address": P.to_address(
                            index.get("contract_address"),
                            endpoint,
                            f"{where}.index.contract_address",
                            required=False,
                        ),
                        "token_id": P.to_big_int_str(
                            index.get("token_id"), endpoint, f"{where}.index.token_id"
                        ),
                        "protocol_sub_group": P.to_str(
                            index.get("protocol_sub_group_id"),
                            endpoint,
                            f"{where}.index.protocol_sub_group_id",
                        ),
                    }
                )
            else:
                row.update(
                    {
                        "position_index": P.to_str(
                            index, endpoint, f"{where}.index", required=True
                        ),
                        "is_aggregate": False,
                        "wallet": ctx.wallet,
                        "chain_id": ctx.chain_id,
                    }
                )
                row.update(_metric_identity(item, endpoint, where, row))
            for column, field in _METRIC_MEASURES:
                row[column] = P.to_float(item.get(field), endpoint, f"{where}.{field}")
            row["holding_time_days"] = P.to_int(
                item.get("holding_time_days"), endpoint, f"{where}.holding_time_days"
            )
            for field in ("rewards_tokens", "claimed_fees", "unclaimed_fees", "impermanent_loss"):
                P.items_of(item.get(field), endpoint, f"{where}.{field}")
            row.update(builder.extras(item, _METRIC_FIELDS | _METRIC_IDENTITY_FIELDS))
            builder.append(row)

    P.run_batch(responses, endpoint, parse)
    return builder.build({"api_version": API_VERSION})


def tokens_metrics(responses: P.Batch) -> pd.DataFrame:
    """``v5.0/tokens/metrics`` -> :data:`TOKENS_METRICS` (context ``timerange`` is recorded)."""
    return _metrics(responses, "v5.tokens_metrics", TOKENS_METRICS)


def protocols_metrics(responses: P.Batch) -> pd.DataFrame:
    """``v5.0/protocols/metrics`` -> :data:`PROTOCOLS_METRICS`."""
    return _metrics(responses, "v5.protocols_metrics", PROTOCOLS_METRICS)


# --------------------------------------------------------------------------------------------
# General

_BREAKDOWNS = (
    # (result field, dimension, key field, label field)
    ("by_address", "address", "address", None),
    ("by_category", "category", "category_id", "category_name"),
    ("by_protocol_group", "protocol", "protocol_group_id", "protocol_group_name"),
    ("by_chain", "chain", "chain_id", "chain_name"),
)
_CURRENT_VALUE_FIELDS = frozenset({"total", *(b[0] for b in _BREAKDOWNS)})


def current_value(responses: P.Batch) -> pd.DataFrame:
    """``v5.0/general/current_value`` -> :data:`CURRENT_VALUE`, a long frame.

    One ``total`` row, then one row per ``by_address`` / ``by_category`` / ``by_protocol_group``
    / ``by_chain`` entry (dimension address / category / protocol / chain). ``chain_id`` is the
    entry's chain on chain rows and the request's ``chain_id`` elsewhere (NA = all chains);
    ``wallet`` is the entry's address on address rows and the request's single address elsewhere.
    """
    endpoint = "v5.current_value"
    builder = P.RowBuilder(CURRENT_VALUE, endpoint)
    ignored: set[str] = set()

    def parse(ctx: P.Ctx, payload: Any) -> None:
        result = P.mapping_at(unwrap_result(payload, endpoint), endpoint, "result")
        base = {"chain_id": ctx.chain_id, "wallet": ctx.wallet, "wallets": ctx.wallets}
        if not result:
            return  # {} : nothing to report (a partial object is a PayloadError below)
        builder.append(
            {
                **base,
                "dimension": "total",
                "key": "total",
                "label": "Total",
                "value_usd": P.required_float(result, ("total",), endpoint, "result"),
            }
        )
        for field, dimension, key_field, label_field in _BREAKDOWNS:
            entries = P.items_of(
                P.require_key(result, (field,), endpoint, "result"), endpoint, f"result.{field}"
            )
            for i, entry in enumerate(entries):
                where = f"result.{field}[{i}]"
                entry = P.mapping_at(entry, endpoint, where)
                raw_key = P.require_key(entry, (key_field,), endpoint, where)
                row = {
                    **base,
                    "dimension": dimension,
                    "value_usd": P.required_float(entry, ("value_usd",), endpoint, where),
                }
                if dimension == "chain":
                    chain_id = P.to_chain(raw_key, endpoint, f"{where}.{key_field}")
                    row["chain_id"] = chain_id
                    row["key"] = str(chain_id)
                    label = P.to_str(
                        entry.get(label_field or ""), endpoint, f"{where}.{label_field}"
                    )
                    row["label"] = label if label is not None else P.chain_label(chain_id)
                elif dimension == "address":
                    wallet = P.to_address(raw_key, endpoint, f"{where}.{key_field}")
                    row.update(key=wallet, label=wallet, wallet=wallet)
                else:
                    row["key"] = P.to_str(raw_key, endpoint, f"{where}.{key_field}", required=True)
                    label = P.to_str(
                        entry.get(label_field or ""), endpoint, f"{where}.{label_field}"
                    )
                    row["label"] = label if label is not None else row["key"]
                known = frozenset({"value_usd", key_field, label_field or key_field})
                row.update(builder.extras(entry, known, where=f"{field}[]."))
                builder.append(row)
        ignored.update(result.keys() - _CURRENT_VALUE_FIELDS)

    P.run_batch(responses, endpoint, parse)
    if ignored:
        warnings.warn(
            f"{endpoint}: ignored unknown breakdowns: {', '.join(sorted(ignored))}",
            UnknownFieldsWarning,
            stacklevel=2,
        )
    return builder.build({"api_version": API_VERSION})


def chart(responses: P.Batch) -> pd.DataFrame:
    """``v5.0/general/chart`` -> :data:`CHART` (context ``timerange`` is recorded)."""
    return P.chart_frame(responses, "v5.chart", CHART, API_VERSION)


def supported_chains(responses: P.Batch) -> pd.DataFrame:
    """``v5.0/general/supported_chains`` (bare array or envelope) -> :data:`SUPPORTED_CHAINS`."""
    endpoint = "v5.supported_chains"
    builder = P.RowBuilder(SUPPORTED_CHAINS, endpoint)
    known = frozenset({"chain_id", "chain", "chain_name", "chain_icon", "native_token"})

    def parse(ctx: P.Ctx, payload: Any) -> None:
        for i, item in enumerate(P.items(payload, endpoint)):
            builder.append(P.chain_row(item, endpoint, f"result[{i}]", builder, known))

    P.run_batch(responses, endpoint, parse)
    return builder.build({"api_version": API_VERSION})


def supported_protocols(responses: P.Batch) -> pd.DataFrame:
    """``v5.0/general/supported_protocols`` -> :data:`SUPPORTED_PROTOCOLS`."""
    endpoint = "v5.supported_protocols"
    builder = P.RowBuilder(SUPPORTED_PROTOCOLS, endpoint)

    def parse(ctx: P.Ctx, payload: Any) -> None:
        for i, item in enumerate(P.items(payload, endpoint)):
            builder.append(
                P.protocol_row(item, endpoint, f"result[{i}]", builder, chain_required=True)
            )

    P.run_batch(responses, endpoint, parse)
    return builder.build({"api_version": API_VERSION})


def status(responses: P.Batch) -> bool:
    """``v5.0/general/status`` (``{result: {is_available}}``) -> bool."""
    return P.availability(responses, "v5.status")


def address_check(responses: P.Batch) -> pd.DataFrame:
    """``v5.0/general/address_check`` -> :data:`ADDRESS_CHECK`. Never fails on shape.

    Accepted: ``{address: {is_compliant, reason}}`` (INFERRED), ``{address: bool}``, a list of
    objects with ``address``; anything else gives one row per requested address with
    ``is_compliant`` NA and the whole result as JSON in ``raw``.
    """
    endpoint = "v5.address_check"
    builder = P.RowBuilder(ADDRESS_CHECK, endpoint)

    def entry(wallet: Any, value: Any, ctx: P.Ctx) -> None:
        compliant: Any = None
        reason: Any = None
        if isinstance(value, bool):
            compliant = value
        elif isinstance(value, Mapping):
            flag = value.get("is_compliant", value.get("compliant"))
            compliant = flag if isinstance(flag, bool) else None
            why = value.get("reason")
            reason = why if isinstance(why, str) else (None if why is None else P.jsonish(why))
        builder.append(
            {
                "wallet": str(wallet).lower() if wallet is not None else None,
                "is_compliant": compliant,
                "reason": reason,
                "raw": _json(value),
                "chain_id": ctx.chain_id,
            }
        )

    def parse(ctx: P.Ctx, payload: Any) -> None:
        result = unwrap_result(payload, endpoint)
        if (
            isinstance(result, Mapping)
            and result
            and all(isinstance(k, str) and k.lower().startswith("0x") for k in result)
        ):
            for wallet, value in result.items():
                entry(wallet, value, ctx)
        elif isinstance(result, list) and all(
            isinstance(x, Mapping) and isinstance(x.get("address"), str) for x in result
        ):
            for x in result:
                entry(x["address"], x, ctx)
        else:
            for wallet in ctx.addresses or (None,):
                entry(wallet, result, ctx)

    P.run_batch(responses, endpoint, parse)
    return builder.build({"api_version": API_VERSION})


def _json(value: Any) -> str:
    """``value`` as JSON text (strings quoted), never failing."""
    try:
        return json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    except (TypeError, ValueError):
        return repr(value)


#: Columns a report's CSV header must carry (after snake-casing). The header the sandbox
#: serves is inferred (see docs/api-contract.md); these three are what any report of positions
#: per chain and address holds. A header without them is not a report.
REPORT_REQUIRED_COLUMNS = ("chain_id", "address", "value_usd")
_NOT_CSV_START = ("<", "{", "[", '"')


def _report_text(payload: Any, endpoint: str) -> str:
    """The CSV text of one report body, or a PayloadError for anything that is not CSV."""
    text = unwrap_result(payload, endpoint)
    if isinstance(text, (bytes, bytearray, memoryview)):
        text = bytes(text).decode("utf-8-sig", errors="replace")
    if not isinstance(text, str):
        shown = "null" if text is None else type(text).__name__
        raise PayloadError(endpoint, "result", f"expected CSV text, got {shown}")
    text = text.lstrip("\ufeff")
    head = text.lstrip()
    if not head:
        raise PayloadError(endpoint, "result", "empty body: a CSV report has at least its header")
    if head.startswith(_NOT_CSV_START) or head.split(None, 1)[0] in ("null", "true", "false"):
        try:
            decoded = json.loads(head)
        except ValueError:
            decoded = None
        if isinstance(decoded, Mapping) and isinstance(decoded.get("result"), str):
            return _report_text(decoded["result"], endpoint)  # {"result": "<csv>"}
        kind = "HTML" if head.startswith("<") else "JSON"
        raise PayloadError(endpoint, "result", f"expected CSV text, got {kind}: {head[:60]!r}")
    return text


def report(responses: P.Batch) -> pd.DataFrame:
    """``v5.0/general/report`` (CSV text, str or bytes, bare or as ``result``) -> one frame.

    Columns are whatever the CSV has, renamed to snake_case (duplicates get ``_2``...), text
    columns as the Arrow string dtype, plus ``api_version``. The header must carry
    :data:`REPORT_REQUIRED_COLUMNS`; a header alone is a report without rows. An empty body,
    HTML, JSON (``null``, ``[]``, ``{...}``) or a header without those columns is a
    :class:`PayloadError`: never an empty frame passed off as an answer.
    """
    endpoint = "v5.report"
    frames: list[pd.DataFrame] = []

    def parse(ctx: P.Ctx, payload: Any) -> None:
        text = _report_text(payload, endpoint)
        _check_csv_rows(text, endpoint)
        try:
            frame = pd.read_csv(io.StringIO(text), index_col=False)
        except (ParserError, EmptyDataError, ValueError) as exc:
            raise PayloadError(endpoint, "result", f"not readable as CSV: {exc}") from None
        frame.columns = _unique([P.to_snake(col) for col in frame.columns])
        for column in REPORT_REQUIRED_COLUMNS:
            if column not in frame.columns:
                got = ", ".join(map(str, frame.columns[:8]))
                raise PayloadError(
                    endpoint,
                    f"header.{column}",
                    f"required field is missing from the CSV header (got {got})",
                )
        for col in frame.columns:
            if frame[col].dtype == object or isinstance(frame[col].dtype, pd.StringDtype):
                frame[col] = frame[col].astype(STRING)
        frames.append(frame)

    P.run_batch(responses, endpoint, parse, text=True)
    if not frames:
        return REPORT.conform(pd.DataFrame(index=pd.RangeIndex(0)))
    out = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if "api_version" in out.columns:
        out = out.rename(columns={"api_version": "report_api_version"})
    out["api_version"] = pd.array([API_VERSION] * len(out), dtype=STRING)
    return REPORT.conform(out)


def _check_csv_rows(text: str, endpoint: str) -> None:
    """Every record has the header's number of fields; pandas would pad a short one with NaN,
    hiding a body cut short mid-row."""
    try:
        rows = csv.reader(io.StringIO(text))
        header = next(rows, [])
        for line, row in enumerate(rows, start=2):
            if row and len(row) != len(header):
                raise PayloadError(
                    endpoint,
                    f"result line {line}",
                    f"{len(row)} fields where the header has {len(header)} (a body cut short?)",
                )
    except csv.Error as exc:
        raise PayloadError(endpoint, "result", f"not readable as CSV: {exc}") from None


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return out
