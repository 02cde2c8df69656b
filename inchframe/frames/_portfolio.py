"""Shared machinery of the Portfolio v4 and v5.0 converters (private).

Every Portfolio converter takes an iterable of ``(context, payload)`` pairs: the loader fetched
many responses (chunks of addresses, possibly one request per chain) and hands the whole batch to
one converter, which builds one frame from column lists (never row-by-row DataFrame appends).

``context`` describes the request that produced ``payload``. It is a mapping (or any object with
these attributes); every key is optional:

- ``addresses``: the request's wallet addresses (list of str, lowercase)
- ``chain_id``: the request's ``chain_id`` query parameter (int, or None for all chains)
- ``timerange``: the request's ``timerange`` (``"1day"`` ... ``"3years"``) where it applies
- ``timestamp``: the request's snapshot ``timestamp`` (unix seconds) where it applies

Value rules shared by every converter (documented in docs/frames-portfolio.md):

- identity fields (the ones that say *which* row: chain, wallet, token address, position index,
  timestamp of a chart point) are required: a missing or unusable one raises
  :class:`~inchframe.errors.PayloadError` naming the endpoint and the field path;
- the core measures the contract requires on every row (``value_usd``, ``amount``,
  ``price_usd``/``price_to_usd``, ``abs_profit_usd``/``profit_abs_usd``, ``roi``, ``asset_sign``,
  ``debt``, the protocol id; the list per endpoint is in docs/frames-portfolio.md) must be
  *present*: an absent one raises :class:`~inchframe.errors.PayloadError` naming the endpoint and
  the field path (a field dropped by drift would otherwise turn into NaN and wrong totals), while
  an explicit JSON ``null`` still gives NaN / NA (the API saying it does not know);
- other measure and description fields (names, icons, apr, fees...) are optional: absent or
  null gives NaN / NA; a value of the wrong type (a list where a number belongs) is a PayloadError;
- unknown fields are kept as extra columns and reported once per call with
  :func:`~inchframe.frames._parse.warn_unknown_fields`.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._json import loads_json
from ..chains import chain_name, resolve_chain
from ..errors import InchframeError, PayloadError
from ._forms import observe
from ._parse import unwrap_result, warn_unknown_fields
from .schema import STRING, UTC_TIMESTAMP, Column, FrameSchema

__all__ = [
    "ZERO_ADDRESS",
    "Batch",
    "Ctx",
    "RowBuilder",
    "single",
]

#: The zero address, observed live as the ``address`` of v5 token snapshot items (api-contract Q4).
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
_INT64_MAX = 2**63 - 1
_FLOAT_EXACT = 2**53  #: integers up to this size survive a float exactly


#: A batch: ``(context, payload)`` pairs, one per response.
Batch = Iterable[tuple[Any, Any]]


def single(payload: Any, **context: Any) -> list[tuple[dict[str, Any], Any]]:
    """Wrap one payload as a batch of one: ``tokens_snapshot(single(body, addresses=[w]))``."""
    return [(context, payload)]


@dataclass(frozen=True, slots=True)
class Ctx:
    """A normalised request context."""

    addresses: tuple[str, ...]
    chain_id: int | None
    timerange: str | None
    timestamp: int | None

    @property
    def wallet(self) -> str | None:
        """The request's wallet when it had exactly one address."""
        return self.addresses[0] if len(self.addresses) == 1 else None

    @property
    def wallets(self) -> str | None:
        """The request's wallets, comma-joined (NA when the context does not say)."""
        return ",".join(self.addresses) if self.addresses else None

    def describe(self) -> str:
        shown = ",".join(self.addresses[:3]) + (",..." if len(self.addresses) > 3 else "")
        return f"chain_id={self.chain_id}, addresses=[{shown}]"


def _ctx_value(ctx: Any, name: str) -> Any:
    if ctx is None:
        return None
    if isinstance(ctx, Mapping):
        return ctx.get(name)
    return getattr(ctx, name, None)


def make_ctx(ctx: Any) -> Ctx:
    """Normalise a request context (mapping, object with attributes, or None)."""
    if isinstance(ctx, (tuple, list, str, bytes)):
        raise TypeError(
            "a Portfolio context is a mapping such as {'addresses': [...], 'chain_id': 1, "
            "'timerange': '1year'} (or an object with those attributes), "
            f"not {type(ctx).__name__}"
        )
    raw = _ctx_value(ctx, "addresses")
    if raw is None:
        addresses: tuple[str, ...] = ()
    elif isinstance(raw, str):
        addresses = tuple(a.strip().lower() for a in raw.split(",") if a.strip())
    else:
        addresses = tuple(str(a).lower() for a in raw)
    chain_id = _ctx_value(ctx, "chain_id")
    if chain_id is not None and not isinstance(chain_id, int):
        try:
            chain_id = int(chain_id)
        except (TypeError, ValueError):
            chain_id = resolve_chain(chain_id)
    timerange = _ctx_value(ctx, "timerange")
    timestamp = _ctx_value(ctx, "timestamp")
    return Ctx(
        addresses,
        chain_id,
        None if timerange is None else str(timerange),
        None if timestamp is None else int(timestamp),
    )


def iter_batch(responses: Batch, endpoint: str) -> Iterator[tuple[Ctx, Any]]:
    """Yield normalised ``(Ctx, payload)`` pairs; reject anything that is not a pair."""
    if isinstance(responses, (Mapping, str, bytes)):
        raise TypeError(
            f"{endpoint}: expected an iterable of (context, payload) pairs; "
            "wrap one payload with single(payload, addresses=[...])"
        )
    for n, pair in enumerate(responses):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(f"{endpoint}: batch element {n} is not a (context, payload) pair")
        yield make_ctx(pair[0]), pair[1]


def run_batch(
    responses: Batch,
    endpoint: str,
    parse: Callable[[Ctx, Any], None],
    *,
    text: bool = False,
) -> None:
    """Call ``parse(ctx, payload)`` per response; add the response's position to a PayloadError.

    Any non-inchframe exception escaping ``parse`` is a bug in a converter, but it is still turned
    into a PayloadError so callers only ever see the documented error type for bad payloads.
    """
    for n, (ctx, payload) in enumerate(iter_batch(responses, endpoint)):
        try:
            if not text and isinstance(payload, (bytes, bytearray, memoryview)):
                payload = _parse_body(payload, endpoint)  # a raw body: parsed once, here
            parse(ctx, payload)
        except PayloadError as exc:
            raise PayloadError(
                exc.endpoint, exc.field, f"{exc.problem} (response {n}: {ctx.describe()})"
            ) from None
        except InchframeError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError) as exc:
            raise PayloadError(
                endpoint,
                "result",
                f"unreadable payload: {type(exc).__name__}: {exc} (response {n}: {ctx.describe()})",
            ) from exc


def _parse_body(body: bytes | bytearray | memoryview, endpoint: str) -> Any:
    try:
        return loads_json(bytes(body))
    except (ValueError, RecursionError) as exc:
        raise PayloadError(endpoint, "body", f"not valid JSON: {exc}") from None


# --------------------------------------------------------------------------------------------
# Value coercion: one function per kind of field, each naming the field in its PayloadError.


def _bad(endpoint: str, field: str, expected: str, value: Any) -> PayloadError:
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return PayloadError(endpoint, field, f"expected {expected}, got {type(value).__name__} {shown}")


def to_float(value: Any, endpoint: str, field: str) -> float:
    """A number field: None gives NaN, numeric strings are parsed, anything else is an error."""
    if value is None:
        return math.nan
    if isinstance(value, float):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise _bad(endpoint, field, "a number", value)


def to_int(value: Any, endpoint: str, field: str, *, required: bool = False) -> int | None:
    """An integer field that fits int64 (None gives NA unless ``required``)."""
    if value is None:
        if required:
            raise PayloadError(endpoint, field, "required field is null")
        return None
    out: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        out = value
    elif _integral(value):
        out = int(value)
    if out is None:
        raise _bad(endpoint, field, "an integer", value)
    if not -_INT64_MAX - 1 <= out <= _INT64_MAX:
        raise PayloadError(endpoint, field, f"integer {out} does not fit in int64")
    return out


def _integral(value: Any) -> bool:
    """A float with no fraction, or text holding an integer."""
    if isinstance(value, float):
        return value.is_integer()
    return isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()) is not None


def to_big_int_str(value: Any, endpoint: str, field: str) -> str | None:
    """An arbitrarily large non-negative integer (e.g. a uint256 ``token_id``) as decimal text."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str) and len(value) <= 78 and re.fullmatch(r"[0-9]+", value):
        return value
    raise _bad(endpoint, field, "an integer", value)


def to_str(value: Any, endpoint: str, field: str, *, required: bool = False) -> str | None:
    """A text field: numbers are written as text, containers are an error."""
    if value is None:
        if required:
            raise PayloadError(endpoint, field, "required field is null")
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise _bad(endpoint, field, "a string", value)


def to_address(value: Any, endpoint: str, field: str, *, required: bool = True) -> str | None:
    """An address field, lowercased."""
    if value is None:
        if required:
            raise PayloadError(endpoint, field, "required address is null")
        return None
    if isinstance(value, str):
        return value.strip().lower()
    raise _bad(endpoint, field, "an address string", value)


def to_bool(value: Any, endpoint: str, field: str) -> bool | None:
    """A flag: bools, 0/1 and "true"/"false"; None gives NA."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
        return value.strip().lower() in ("true", "1")
    raise _bad(endpoint, field, "a boolean", value)


def to_chain(value: Any, endpoint: str, field: str) -> int:
    """A chain: an int id, a numeric string, a chain name, or a ``Chain`` enum object."""
    if isinstance(value, Mapping):
        for name in ("id_num", "chain_id", "id", "chain"):
            if name in value:
                return to_chain(value[name], endpoint, f"{field}.{name}")
        raise PayloadError(endpoint, field, "chain object without id_num/chain_id/id")
    if isinstance(value, str) and not value.strip().isdigit():
        try:
            return resolve_chain(value)
        except InchframeError:
            raise _bad(endpoint, field, "a chain id", value) from None
    out = to_int(value, endpoint, field, required=True)
    assert out is not None
    if out <= 0:
        raise PayloadError(endpoint, field, f"chain id {out} is not positive")
    return out


def to_unix_seconds(value: Any, endpoint: str, field: str, *, required: bool = False) -> int | None:
    """A unix timestamp in seconds (values >= 1e11 are read as milliseconds)."""
    out = to_int(value, endpoint, field, required=required)
    if out is None:
        return None
    if 0 <= out < 10**11:
        return out
    if 10**11 <= out < 10**14:
        return out // 1000
    raise PayloadError(endpoint, field, f"timestamp {out} is out of range")


def items_of(value: Any, endpoint: str, field: str) -> list[Any]:
    """A nested list field (``underlying_tokens``): None or absent gives []."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    raise _bad(endpoint, field, "a list", value)


def mapping_at(value: Any, endpoint: str, field: str) -> Mapping[str, Any]:
    if isinstance(value, Mapping):
        return value
    raise _bad(endpoint, field, "an object", value)


def require_key(item: Mapping[str, Any], names: Sequence[str], endpoint: str, where: str) -> Any:
    """The first of ``names`` present in ``item``; a PayloadError naming ``where.names[0]``."""
    for name in names:
        if name in item:
            return item[name]
    alt = f" (or {', '.join(names[1:])})" if len(names) > 1 else ""
    raise PayloadError(endpoint, f"{where}.{names[0]}", f"required field is missing{alt}")


def require_all(
    item: Mapping[str, Any], fields: Sequence[str | tuple[str, ...]], endpoint: str, where: str
) -> None:
    """Every field of ``fields`` is present in ``item`` (a tuple: one of its spellings), or a
    PayloadError naming the first one missing: the contract's required fields (values may be
    ``null``; that is the API saying it does not know)."""
    for names in fields:
        spellings = (names,) if isinstance(names, str) else names
        if not any(name in item for name in spellings):
            require_key(item, spellings, endpoint, where)  # raises


def require_first(
    item: Mapping[str, Any], names: Sequence[str], endpoint: str, where: str
) -> tuple[str, Any]:
    """``(name, value)`` of the first of ``names`` present in ``item`` (the value may be None);
    a PayloadError naming ``where.names[0]`` when none is present."""
    for name in names:
        if name in item:
            observe(" or ".join(names), name)
            return name, item[name]
    require_key(item, names, endpoint, where)  # raises
    raise AssertionError  # pragma: no cover


def required_float(
    item: Mapping[str, Any], names: Sequence[str], endpoint: str, where: str
) -> float:
    """A required measure: must be present (under one of ``names``); ``null`` gives NaN."""
    name, value = require_first(item, names, endpoint, where)
    return to_float(value, endpoint, f"{where}.{name}")


def first_of(item: Mapping[str, Any], names: Sequence[str]) -> tuple[str, Any]:
    """``(name, value)`` of the first of ``names`` present in ``item``; ``(names[0], None)``."""
    for name in names:
        if name in item:
            observe(" or ".join(names), name)
            return name, item[name]
    observe(" or ".join(names), "absent")
    return names[0], None


def chain_label(chain_id: int | None) -> str | None:
    """The chain's name; ``"chain 4663"`` for an id inchframe does not list; None for no id."""
    return None if chain_id is None else chain_name(chain_id)


def synthetic_index(
    chain_id: int | None, contract: str | None, token_id: str | None, addresses: Iterable[str]
) -> str:
    """The v4 ``position_index``: ``"v4:"`` + 16 hex digits of BLAKE2b over the position's identity.

    Identity = ``chain_id|contract_address|token_id|sorted lowercase addresses``. Stable across
    runs, processes and machines; the ``v4:`` prefix keeps it apart from real v5 indices.
    """
    text = "|".join(
        [
            str(chain_id),
            (contract or "").lower(),
            token_id or "0",
            ",".join(sorted(a.lower() for a in addresses)),
        ]
    )
    return "v4:" + hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def to_snake(name: Any) -> str:
    """``"Value (USD)"`` -> ``"value_usd"``; ``"profitAbsUsd"`` -> ``"profit_abs_usd"``."""
    text = str(name).strip()
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    text = re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower()
    return text or "column"


def jsonish(value: Any) -> Any:
    """An extra-column value: scalars as they are, containers as compact JSON text."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    try:
        return json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    except (TypeError, ValueError):
        return repr(value)


# --------------------------------------------------------------------------------------------
# Column accumulation and frame building.


class RowBuilder:
    """Accumulates rows as column lists, then builds one frame by a schema.

    ``known`` lists the payload field names a converter understands; anything else in an item is
    passed to :meth:`extras` and kept as an extra column (prefix chosen by the caller).
    """

    def __init__(self, schema: FrameSchema, endpoint: str) -> None:
        self.schema = schema
        self.endpoint = endpoint
        self.cols: dict[str, list[Any]] = {name: [] for name in schema.names}
        self.n = 0
        self.unknown: set[str] = set()

    def append(self, row: Mapping[str, Any]) -> None:
        n = self.n
        cols = self.cols
        for key, value in row.items():
            col = cols.get(key)
            if col is None:
                col = cols[key] = [None] * n
            elif len(col) < n:
                col.extend([None] * (n - len(col)))
            col.append(value)
        self.n = n + 1

    def extras(
        self, item: Mapping[str, Any], known: frozenset[str], prefix: str = "", where: str = ""
    ) -> dict[str, Any]:
        """Unknown fields of ``item`` as extra-column values (remembered for one warning)."""
        extra = item.keys() - known
        if not extra:
            return {}
        out = {}
        for key in extra:
            name = prefix + to_snake(key)
            if name in self.schema.names:
                name = "raw_" + name
            out[name] = jsonish(item[key])
            self.unknown.add(f"{where}{key}")
        return out

    def build(self, constants: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """One DataFrame: schema columns with their dtypes, then the extra columns."""
        n = self.n
        for col in self.cols.values():
            if len(col) < n:
                col.extend([None] * (n - len(col)))
        if self.unknown:
            warn_unknown_fields(self.endpoint, self.unknown, ())
        data: dict[str, Any] = {}
        for column in self.schema.columns:
            if constants and column.name in constants:
                data[column.name] = _typed([constants[column.name]] * n, column)
            else:
                data[column.name] = _typed(self.cols[column.name], column)
        for name, values in self.cols.items():
            if name not in data:
                data[name] = _extra(values)
        frame = pd.DataFrame(data, index=pd.RangeIndex(n))
        return self.schema.conform(frame)


def _typed(values: list[Any], column: Column) -> Any:
    dtype = column.dtype
    kind = str(dtype)
    if kind == "float64":
        return np.array(values, dtype="float64") if values else np.array([], dtype="float64")
    if kind == "int64":
        if any(v is None for v in values):
            return pd.array(values, dtype="Int64")
        return np.array(values, dtype="int64")
    if kind == "bool":
        if any(v is None for v in values):
            return pd.array(values, dtype="boolean")
        return np.array(values, dtype="bool")
    if dtype == UTC_TIMESTAMP:
        seconds = pd.array(values, dtype="Int64")
        return pd.to_datetime(seconds, unit="s", utc=True)
    if dtype == STRING:
        return pd.array(values, dtype=STRING)
    return pd.array(values, dtype=dtype)


def _extra(values: list[Any]) -> Any:
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, str) for v in present):
        return pd.array(values, dtype=STRING)
    if present and all(isinstance(v, bool) for v in present):
        return pd.array(values, dtype="boolean")
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        ints = [v for v in present if isinstance(v, int)]
        if len(ints) == len(present) and all(-_INT64_MAX - 1 <= v <= _INT64_MAX for v in ints):
            return pd.array(values, dtype="Int64")
        if all(-_FLOAT_EXACT <= v <= _FLOAT_EXACT for v in ints):
            return np.array([math.nan if v is None else float(v) for v in values], dtype="float64")
        if len(ints) == len(present):  # beyond int64 (a uint256...): exact decimal text
            return pd.array([None if v is None else str(v) for v in values], dtype=STRING)
        # floats next to integers too large for a float: keep every value as it came
    return pd.array([None if v is None else jsonish(v) for v in values], dtype=object)


def collapse_repeats(frame: pd.DataFrame, key: Sequence[str], endpoint: str) -> pd.DataFrame:
    """``frame`` with rows repeated in full dropped (a duplicated item); a PayloadError when two
    rows share ``key`` with different values (two answers for one position and token)."""
    names = [name for name in key if name in frame.columns]
    if len(frame) < 2 or not names:
        return frame
    if not frame.duplicated(names).any():
        return frame
    hashable = frame.astype({c: str for c in frame.columns if frame[c].dtype == object})
    same = hashable.duplicated().to_numpy()
    kept = hashable[~same]
    conflict = kept.duplicated(names, keep=False).to_numpy()
    if conflict.any():
        row = kept[conflict].iloc[0]
        shown = ", ".join(f"{n}={row[n]}" for n in names)
        raise PayloadError(
            endpoint, "result", f"two different items for one key ({shown}): a repeated item?"
        )
    return frame[~same].reset_index(drop=True)


def wallet_for(address: str | None, ctx: Ctx) -> str | None:
    """The row's wallet: the item's ``address``, or the request's single address when the item
    says the zero address (observed live) or nothing."""
    if (address is None or address == ZERO_ADDRESS) and ctx.wallet is not None:
        return ctx.wallet
    return address


def c(name: str, dtype: Any, unit: str, description: str) -> Column:
    """A frame-specific column."""
    return Column(name, dtype, unit, description)


#: Frame-specific columns shared by several Portfolio frames.
CHAIN_ID_NULLABLE = c(
    "chain_id", "Int64", "", "chain id; NA = the row covers all chains (no chain_id in the request)"
)
WALLETS = c(
    "wallets", STRING, "addresses", "comma-separated wallets of the request the row aggregates"
)
UNDERLYING_INDEX = c(
    "underlying_index",
    "Int64",
    "",
    "position of the token in the position's underlying (or reward) list; "
    "NA on the single row of a position without tokens",
)
ROLE = c("role", STRING, "", "underlying or reward; NA on the row of a position without tokens")
CONTRACT_ADDRESS = c(
    "contract_address", STRING, "address", "position (or token) contract address, lowercase"
)
CONTRACT_NAME = c("contract_name", STRING, "", "position contract name")
CONTRACT_SYMBOL = c("contract_symbol", STRING, "", "position contract symbol")
TOKEN_ID = c("token_id", STRING, "", "NFT token id of the position (decimal text; 0 = fungible)")
POSITION_VALUE = c(
    "position_value_usd",
    "float64",
    "USD",
    "value of the whole position (repeated on each of its token rows)",
)
STATUS = c("status", "Int64", "", "asset status as sent (1, 0, -1; 1 = open, -1 = closed INFERRED)")
LOCKED = c("locked", "boolean", "", "position is locked (v5 locked, v4 protocol_locked)")
BLOCK_NUMBER = c("block_number", "Int64", "", "block number of the snapshot (NA when not sent)")
BLOCK_CREATED = c("block_number_created", "Int64", "", "block number when the position was created")
PROTOCOL_HANDLER = c(
    "protocol_handler",
    STRING,
    "",
    "adapter id (v5 protocol_handler_id: native, erc20, aavev3, ...)",
)
SUB_GROUP = c("protocol_sub_group", STRING, "", "protocol sub-group id (v5 protocol_sub_group_id)")
SUB_GROUP_NAME = c("protocol_sub_group_name", STRING, "", "protocol sub-group name")
PROTOCOL_ICON = c("protocol_icon", STRING, "URL", "protocol (group) icon")
SNAPSHOT_TS = c(
    "timestamp",
    UTC_TIMESTAMP,
    "UTC",
    "time of the snapshot (NaT when the API sent null, i.e. the latest block)",
)


def schema_markdown(schema: FrameSchema) -> str:
    """A Markdown table of ``schema.describe()`` (used to generate docs/frames-portfolio.md)."""
    table = schema.describe()
    lines = ["| column | dtype | unit | description |", "|---|---|---|---|"]
    for row in table.itertuples(index=False):
        cells = [
            f"`{row.column}`",
            f"`{row.dtype}`",
            str(row.unit),
            str(row.description).replace("|", "/"),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Shared by the v4 and v5.0 converters (columns, rows and frames both versions build)

#: Columns of every current-value frame (v5 current_value and the three v4 current values).
CURRENT_VALUE_COLUMNS: list[Any] = [
    "dimension",
    "key",
    "label",
    "value_usd",
    CHAIN_ID_NULLABLE,
    "wallet",
    WALLETS,
]
CHART_COLUMNS: list[Any] = [
    "timestamp",
    "value_usd",
    CHAIN_ID_NULLABLE,
    "wallet",
    WALLETS,
    "timerange",
]
SUPPORTED_CHAINS_COLUMNS: list[Any] = [
    "chain_id",
    "chain_name",
    c("chain_icon", STRING, "URL", "chain icon"),
    c("native_token", STRING, "address", "native token address as sent (0xeeee... or 0x000...)"),
    c("native_symbol", STRING, "", "native token symbol"),
    c("native_name", STRING, "", "native token name"),
    c("native_decimals", "Int64", "", "native token decimals"),
]
SUPPORTED_PROTOCOLS_COLUMNS: list[Any] = [
    CHAIN_ID_NULLABLE,
    "protocol",
    "protocol_name",
    PROTOCOL_ICON,
]
TOKEN_FIELDS = frozenset(
    {
        "chain",
        "chain_id",
        "address",
        "decimals",
        "symbol",
        "name",
        "amount",
        "price_usd",
        "price_to_usd",
        "value_usd",
    }
)


def parse_token(tok: Any, endpoint: str, where: str, builder: RowBuilder) -> dict[str, Any]:
    """One TokenBalance (v5) or ProtocolUnderlyingTokenResponseItem (v4) as row values.

    ``address``, ``amount`` and ``price_usd`` (or ``price_to_usd``) must be present (an absent
    one is a PayloadError; ``null`` amounts and prices give NaN); ``value_usd`` = amount x price
    when absent. The token's own ``chain``/``chain_id`` is accepted and otherwise ignored (the
    row takes the position's chain).
    """
    tok = mapping_at(tok, endpoint, where)
    address = to_address(
        require_key(tok, ("address",), endpoint, where), endpoint, f"{where}.address"
    )
    amount = required_float(tok, ("amount",), endpoint, where)
    price = required_float(tok, ("price_usd", "price_to_usd"), endpoint, where)
    if tok.get("value_usd") is None:
        value = amount * price
    else:
        value = to_float(tok["value_usd"], endpoint, f"{where}.value_usd")
    row = {
        "token": address,
        "symbol": to_str(tok.get("symbol"), endpoint, f"{where}.symbol"),
        "name": to_str(tok.get("name"), endpoint, f"{where}.name"),
        "decimals": to_int(tok.get("decimals"), endpoint, f"{where}.decimals"),
        "amount": amount,
        "price_usd": price,
        "value_usd": value,
    }
    row.update(builder.extras(tok, TOKEN_FIELDS, prefix="token_", where="token."))
    return row


def items(payload: Any, endpoint: str) -> list[Any]:
    result = unwrap_result(payload, endpoint)
    if result is None:
        raise PayloadError(endpoint, "result", "expected a list, got null")
    return items_of(result, endpoint, "result")


def append_position_rows(
    builder: RowBuilder,
    pos: dict[str, Any],
    item: Mapping[str, Any],
    reward_field: str,
    endpoint: str,
    where: str,
) -> None:
    """One row per underlying and reward token of a position (``role``, ``underlying_index``),
    or one bare row when it lists none: the shape v5 protocol snapshots and v4 protocol
    details share. ``underlying_tokens`` must be present (``[]`` or null: no tokens); the
    reward list may be absent."""
    require_key(item, ("underlying_tokens",), endpoint, where)
    n = 0
    for role, field in (("underlying", "underlying_tokens"), ("reward", reward_field)):
        tokens = items_of(item.get(field), endpoint, f"{where}.{field}")
        for j, tok in enumerate(tokens):
            row = parse_token(tok, endpoint, f"{where}.{field}[{j}]", builder)
            builder.append({**pos, **row, "role": role, "underlying_index": j})
            n += 1
    if n == 0:
        builder.append(pos)


def chart_frame(
    responses: Batch, endpoint: str, schema: FrameSchema, api_version: str
) -> pd.DataFrame:
    """Shared by v5 ``general/chart`` and v4 ``general/value_chart``."""
    builder = RowBuilder(schema, endpoint)
    known = frozenset({"timestamp", "value_usd"})

    def parse(ctx: Ctx, payload: Any) -> None:
        base = {
            "chain_id": ctx.chain_id,
            "wallet": ctx.wallet,
            "wallets": ctx.wallets,
            "timerange": ctx.timerange,
        }
        for i, point in enumerate(items(payload, endpoint)):
            where = f"result[{i}]"
            point = mapping_at(point, endpoint, where)
            ts = to_unix_seconds(
                require_key(point, ("timestamp",), endpoint, where),
                endpoint,
                f"{where}.timestamp",
                required=True,
            )
            row = {
                **base,
                "timestamp": ts,
                "value_usd": required_float(point, ("value_usd",), endpoint, where),
            }
            row.update(builder.extras(point, known))
            builder.append(row)

    run_batch(responses, endpoint, parse)
    return builder.build({"api_version": api_version})


def chain_row(
    item: Any, endpoint: str, where: str, builder: RowBuilder, known: frozenset[str]
) -> dict[str, Any]:
    """One supported-chain entry: an int, or an object with a chain id and optional details."""
    if not isinstance(item, Mapping):
        observe("supported_chains item", "bare chain id")
        chain_id = to_chain(item, endpoint, where)
        return {"chain_id": chain_id, "chain_name": chain_label(chain_id)}
    observe("supported_chains item", "object")
    name, raw = first_of(item, ("chain_id", "id", "id_num", "chain"))
    if name not in item:
        raise PayloadError(endpoint, f"{where}.chain_id", "required field is missing")
    chain_id = to_chain(raw, endpoint, f"{where}.{name}")
    label_name, label = first_of(item, ("chain_name", "name_readable", "name"))
    icon_name, icon = first_of(item, ("chain_icon", "icon_url", "icon"))
    row: dict[str, Any] = {
        "chain_id": chain_id,
        "chain_name": to_str(label, endpoint, f"{where}.{label_name}") or chain_label(chain_id),
        "chain_icon": to_str(icon, endpoint, f"{where}.{icon_name}"),
    }
    native = item.get("native_token")
    if native is not None:
        nw = f"{where}.native_token"
        native = mapping_at(native, endpoint, nw)
        row.update(
            {
                "native_token": to_address(
                    native.get("address"), endpoint, f"{nw}.address", required=False
                ),
                "native_symbol": to_str(native.get("symbol"), endpoint, f"{nw}.symbol"),
                "native_name": to_str(native.get("name"), endpoint, f"{nw}.name"),
                "native_decimals": to_int(native.get("decimals"), endpoint, f"{nw}.decimals"),
            }
        )
    row.update(
        builder.extras(item, known | {"id", "id_num", "name", "name_readable", "icon", "icon_url"})
    )
    return row


def protocol_row(
    item: Any, endpoint: str, where: str, builder: RowBuilder, *, chain_required: bool = False
) -> dict[str, Any]:
    """One supported-protocol entry: an object (v5 protocol group) or a bare name (v4 guess).

    ``chain_required`` (v5, whose contract lists ``chain_id`` as required): an object without
    ``chain_id`` (or ``chain``) is a PayloadError instead of a row with chain_id NA.
    """
    if isinstance(item, str):
        return {"protocol": item, "protocol_name": item}
    item = mapping_at(item, endpoint, where)
    key_name, key = first_of(item, ("protocol_group_id", "protocol", "id", "protocol_name", "name"))
    if key is None:
        raise PayloadError(endpoint, f"{where}.protocol_group_id", "required field is missing")
    label_name, label = first_of(item, ("protocol_group_name", "protocol_name", "name", "title"))
    icon_name, icon = first_of(item, ("protocol_group_icon", "protocol_icon", "icon", "icon_url"))
    if chain_required:
        require_first(item, ("chain_id", "chain"), endpoint, where)
    chain = item.get("chain_id", item.get("chain"))
    row = {
        "chain_id": None if chain is None else to_chain(chain, endpoint, f"{where}.chain_id"),
        "protocol": to_str(key, endpoint, f"{where}.{key_name}", required=True),
        "protocol_name": to_str(label, endpoint, f"{where}.{label_name}"),
        "protocol_icon": to_str(icon, endpoint, f"{where}.{icon_name}"),
    }
    if row["protocol_name"] is None:
        row["protocol_name"] = row["protocol"]
    used = {key_name, label_name, icon_name, "chain_id", "chain"}
    row.update(builder.extras(item, frozenset(used)))
    return row


def availability(responses: Batch, endpoint: str) -> bool:
    """Shared by v5 ``status`` and v4 ``is_available``: True only if every response says so."""
    answers: list[bool] = []

    def parse(ctx: Ctx, payload: Any) -> None:
        result = unwrap_result(payload, endpoint)
        field = "result"
        if isinstance(result, Mapping):
            if "is_available" not in result:
                raise PayloadError(endpoint, "result.is_available", "required field is missing")
            result, field = result["is_available"], "result.is_available"
        value = to_bool(result, endpoint, field)
        if value is None:
            raise PayloadError(endpoint, field, "required field is null")
        answers.append(value)

    run_batch(responses, endpoint, parse)
    if not answers:
        raise PayloadError(endpoint, "result", "the batch holds no response")
    return all(answers)
