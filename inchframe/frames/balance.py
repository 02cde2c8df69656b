"""Pure converters from Balance API v1.2 payloads to tidy frames (api-contract.md).

Every converter takes an iterable of ``(context, payload)`` pairs, one per response, and builds
ONE frame for the whole batch: the loaders fetch many responses concurrently and convert them
together. Nothing here does I/O or keeps state.

=====================================  ==========================  ======================
converter                              endpoint(s)                 context per response
=====================================  ==========================  ======================
:func:`balances_frame`                 GET/POST balances/{wallet}  ``(chain_id, wallet)``
:func:`wallets_and_tokens_frame`       POST balances/multiple/...  ``(chain_id,)``
:func:`allowances_frame`               GET/POST allowances/...     ``(chain_id, wallet, spender)``
:func:`balances_and_allowances_frame`  GET/POST allowancesAnd...   ``(chain_id, wallet, spender)``
:func:`aggregated_frame`               aggregatedBalancesAnd...    ``(chain_id, spender)``
:func:`token_metadata_frame`           aggregatedBalancesAnd...    ``(chain_id, ...)``
=====================================  ==========================  ======================

Rules shared by every frame:

- **Rows**: one per chain x wallet x token (x spender). Rows follow the order of ``responses``
  (loaders pass them in request order: chain, then wallet), then the payload's key order. The
  aggregated endpoint is token-major on the wire; its rows are regrouped wallet-major (wallets in
  order of first appearance in the response, tokens in payload order) to match the other frames.
- **Addresses** are lowercase. Wallet keys echo the request casing on the wire (api-contract.md);
  they are lowercased here. A key that is not a 0x + 40-hex address is a :class:`PayloadError`.
- **Exact amounts**: ``*_raw`` columns hold the exact decimal string of every uint256, up to
  2**256-1 (78 digits). Leading zeros and a leading ``+`` are stripped, nothing else is changed.
  A JSON integer is accepted and turned into its decimal string (it is exact); anything else that
  is not a non-negative decimal integer string no greater than 2**256-1 (a float, null, ``"-1"``,
  ``"1e18"``, ``"0x10"``) is a :class:`PayloadError` naming the endpoint and the field.
- **Human units**: ``balance``/``allowance`` are ``raw / 10**decimals`` as float64 (correctly
  rounded parse of the raw string, then one division, so within an ulp or two of exact); NaN when
  the decimals are unknown. Use the ``*_raw`` columns (``schema.raw_to_int``) for exact sums.
- **Zero rows** are dropped unless ``keep_zero=True``: balance frames drop ``balance_raw == "0"``,
  allowance frames ``allowance_raw == "0"``, combined frames rows where both are ``"0"``. The test
  is on the normalised string, never on a float.
- **Metadata** (``symbol``, ``name``, ``decimals``, ``tags``) comes from ``token_info``, a frame
  with ``chain_id`` and ``token`` columns such as :func:`token_metadata_frame` returns; tokens it
  does not know get NA. The native coin (``0xeeee...eeee``) falls back to the chain table
  (:data:`~inchframe.chains.CHAINS` symbol and name, 18 decimals) when ``token_info`` does not
  list it, so ``is_native`` rows always have human amounts. The aggregated endpoint carries its
  own metadata.
- **Unlimited approvals**: ``unlimited`` is ``allowance_raw >= UNLIMITED_THRESHOLD`` (2**96-1);
  see :data:`UNLIMITED_THRESHOLD` for why.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..chains import CHAINS, NATIVE_TOKEN
from ..errors import InputError, PayloadError
from . import _decode as D
from ._parse import warn_unknown_fields
from .schema import STRING, VOCABULARY, Column, FrameSchema, empty_frame

__all__ = [
    "AGGREGATED",
    "ALLOWANCES",
    "BALANCES",
    "BALANCES_AND_ALLOWANCES",
    "ENDPOINT_AGGREGATED",
    "ENDPOINT_ALLOWANCES",
    "ENDPOINT_ALLOWANCES_AND_BALANCES",
    "ENDPOINT_BALANCES",
    "ENDPOINT_WALLETS_AND_TOKENS",
    "MAX_UINT256",
    "TOKEN_METADATA",
    "UNLIMITED_THRESHOLD",
    "aggregated_frame",
    "allowances_frame",
    "balances_and_allowances_frame",
    "balances_frame",
    "is_unlimited",
    "token_metadata_frame",
    "wallets_and_tokens_frame",
]

#: Endpoint names used in :class:`~inchframe.errors.PayloadError` (GET and POST share a name).
ENDPOINT_BALANCES = "balance.balances"
ENDPOINT_WALLETS_AND_TOKENS = "balance.wallets_and_tokens"
ENDPOINT_ALLOWANCES = "balance.allowances"
ENDPOINT_ALLOWANCES_AND_BALANCES = "balance.allowances_and_balances"
ENDPOINT_AGGREGATED = "balance.aggregated"

#: The largest uint256; the "infinite approval" most wallets and dapps send.
MAX_UINT256 = 2**256 - 1

UNLIMITED_THRESHOLD = 2**96 - 1
"""An allowance at or above this many base units is flagged ``unlimited``.

Dapps ask for "infinite" approvals with several sentinels, not only 2**256-1: Compound-style
governance tokens (UNI, COMP, ...) store allowances as uint96 and treat 2**96-1 as infinite,
Permit2 uses 2**160-1, some tokens use 2**128-1, and tokens that do decrement a 2**256-1 approval
leave a value just below it. 2**96-1 is the smallest of these sentinels, so ``>=`` it catches them
all, plus "big round number" approvals such as 10**30. It is about 7.9e28 base units, i.e. 79
billion tokens at 18 decimals: more than the supply of nearly every token, so a finite approval
this large is rare (the known false positive: a deliberate finite approval of more than 79
billion units of a huge-supply meme token). The rule ignores decimals on purpose, so it works
when decimals are unknown.
"""

_MAX_UINT256_STR = str(MAX_UINT256)  # 78 digits
_UNLIMITED_STR = str(UNLIMITED_THRESHOLD)  # 29 digits
_NATIVE_DECIMALS = 18  # every chain the Balance API serves is EVM with an 18-decimal native coin
_ADDRESS = re.compile(r"0x[0-9a-f]{40}")
_ADDRESS_RE2 = r"^0x[0-9a-f]{40}$"
_DIGITS_RE2 = r"^[0-9]+$"  # a uint256 string: ASCII digits only (no sign, no space, no "+")
_STRIP_RE2 = r"^0*([0-9])"
_MAX_DIGITS = len(str(2**256 - 1))  # 78: longer strings are refused before any parsing
_STR_TYPE = pa.large_string()  # what pandas' ArrowStringArray holds: building it saves a cast

# --------------------------------------------------------------------------------- schemas

_UNLIMITED = Column(
    "unlimited",
    "bool",
    "",
    "allowance_raw >= 2**96-1 (UNLIMITED_THRESHOLD): an effectively infinite approval",
)
_LOGO_URI = Column("logo_uri", STRING, "URL", "token logo (API logoURI)")
_IS_CUSTOM = Column(
    "is_custom", "boolean", "", "not in the 1inch token list (API isCustom; NA when absent)"
)
_TOKEN_TYPE = Column(
    "token_type",
    STRING,
    "",
    "API type: 'ethereum' for the native coin, 'token' for ERC-20 (an open string)",
)
_TRACKED = Column("tracked", "boolean", "", "the token is tracked by 1inch (NA when absent)")

_META = ("symbol", "name", "decimals")
_TAIL = ("is_native", "tags")

BALANCES = FrameSchema.of(
    "balances",
    ["chain_id", "wallet", "token", *_META, "balance_raw", "balance", *_TAIL],
    key=("chain_id", "wallet", "token"),
    description="Token balances per chain x wallet x token (balances, walletsAndTokens).",
)
ALLOWANCES = FrameSchema.of(
    "allowances",
    [
        "chain_id",
        "wallet",
        "spender",
        "token",
        *_META,
        "allowance_raw",
        "allowance",
        _UNLIMITED,
        *_TAIL,
    ],
    key=("chain_id", "wallet", "spender", "token"),
    description="Allowances per chain x wallet x spender x token (allowances).",
)
BALANCES_AND_ALLOWANCES = FrameSchema.of(
    "balances_and_allowances",
    [
        "chain_id",
        "wallet",
        "spender",
        "token",
        *_META,
        "balance_raw",
        "balance",
        "allowance_raw",
        "allowance",
        _UNLIMITED,
        *_TAIL,
    ],
    key=("chain_id", "wallet", "spender", "token"),
    description="Balances and allowances per chain x wallet x spender x token.",
)
AGGREGATED = FrameSchema.of(
    "aggregated_balances_and_allowances",
    BALANCES_AND_ALLOWANCES.columns,
    key=BALANCES_AND_ALLOWANCES.key,
    description="aggregatedBalancesAndAllowances: same columns as BALANCES_AND_ALLOWANCES, "
    "metadata from the response itself.",
)
TOKEN_METADATA = FrameSchema.of(
    "token_metadata",
    [
        "chain_id",
        "token",
        *_META,
        "tags",
        "is_native",
        _LOGO_URI,
        _IS_CUSTOM,
        _TOKEN_TYPE,
        _TRACKED,
    ],
    key=("chain_id", "token"),
    description="Token metadata per chain x token, from aggregatedBalancesAndAllowances; the "
    "token_info= of the other converters.",
)

#: Fields of an aggregated token object that map to :data:`TOKEN_METADATA` columns.
_AGGREGATED_FIELDS = {
    "address": "token",
    "decimals": "decimals",
    "symbol": "symbol",
    "name": "name",
    "logoURI": "logo_uri",
    "tags": "tags",
    "isCustom": "is_custom",
    "type": "token_type",
    "tracked": "tracked",
    "wallets": None,
}

# --------------------------------------------------------------------------------- helpers


def is_unlimited(raw: int | str) -> bool:
    """True when an allowance (int or decimal string) is at least :data:`UNLIMITED_THRESHOLD`."""
    return int(raw) >= UNLIMITED_THRESHOLD


@dataclass
class _Segments:
    """Where each run of rows came from, so an error can name the bad field and the request."""

    names: tuple[str, ...]  # names of the context items, for messages
    counts: list[int] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    contexts: list[tuple[Any, ...]] = field(default_factory=list)
    _ends: np.ndarray | None = None

    def add(self, count: int, path: str, context: tuple[Any, ...]) -> None:
        self.counts.append(count)
        self.paths.append(path)
        self.contexts.append(context)

    def row_segments(self) -> np.ndarray:
        """The segment number of every row."""
        return np.repeat(np.arange(len(self.counts), dtype=np.int64), self.counts)

    def describe(self, context: tuple[Any, ...]) -> str:
        return ", ".join(f"{n} {v}" for n, v in zip(self.names, context, strict=False))

    def locate(self, row: int, keys: Sequence[Any], suffix: str = "") -> tuple[str, str]:
        """(field path, request description) of ``row``."""
        if self._ends is None:
            self._ends = np.cumsum(self.counts)
        seg = int(np.searchsorted(self._ends, row, side="right"))
        return f"{self.paths[seg]}[{keys[row]}]{suffix}", self.describe(self.contexts[seg])


def _fail(endpoint: str, path: str, problem: str, where: str) -> PayloadError:
    return PayloadError(endpoint, path, f"{problem} (request: {where})" if where else problem)


def _pair_list(responses: Iterable[Any], endpoint: str) -> list[tuple[Any, Any]]:
    """The batch as ``(context, payload)`` pairs, each checked to be a pair (payloads not read)."""
    pairs: list[tuple[Any, Any]] = []
    for i, item in enumerate(responses):
        if not isinstance(item, Sequence) or isinstance(item, str) or len(item) != 2:
            raise InputError(
                f"{endpoint}: responses[{i}] should be a (context, payload) pair, got {item!r:.80}"
            )
        pairs.append((item[0], item[1]))
    return pairs


def _decoded(payload: Any, endpoint: str, decoder: D.Decoder[Any] | None = None) -> Any:
    """A raw body (``bytes``) decoded, once, exactly (typed with ``decoder`` when it fits that
    shape: see :mod:`inchframe.frames._decode`); parsed JSON as it is."""
    return D.decode(payload, endpoint, decoder) if D.is_raw(payload) else payload


def _context(ctx: Any, names: tuple[str, ...], endpoint: str, *, exact: bool = True) -> tuple:
    """Validate a request context: chain id first, then lowercase addresses."""
    items = tuple(ctx) if isinstance(ctx, (tuple, list)) else (ctx,)
    if len(items) < len(names) or (exact and len(items) != len(names)):
        raise InputError(
            f"{endpoint}: the context of a response should be ({', '.join(names)}), got {ctx!r}"
        )
    try:
        if isinstance(items[0], bool):
            raise TypeError
        chain_id = operator.index(items[0])
    except TypeError:
        raise InputError(f"{endpoint}: chain_id in context {ctx!r} is not an integer") from None
    out: list[Any] = [chain_id]
    for name, value in zip(names[1:], items[1 : len(names)], strict=True):
        if not isinstance(value, str):
            raise InputError(f"{endpoint}: {name} in context {ctx!r} is not a string")
        out.append(value.lower())
    return tuple(out)


def _mapping(value: Any, endpoint: str, path: str, where: str) -> Mapping[str, Any]:
    if isinstance(value, Mapping):
        return value
    raise _fail(endpoint, path, f"expected an object, got {type(value).__name__}", where)


def _first_false(mask: pa.Array | pa.ChunkedArray) -> int | None:
    values = np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool)
    bad = np.flatnonzero(~values)
    return int(bad[0]) if len(bad) else None


def _address_array(
    keys: list[Any], endpoint: str, segments: _Segments, what: str
) -> tuple[pa.Array, bool]:
    """Lowercase, validated addresses from payload keys (one per row), and whether lowering
    changed any (then two keys differing only in case may name one address)."""
    try:
        arr = pa.array(keys, type=_STR_TYPE)
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        arr = pa.array([k if isinstance(k, str) else None for k in keys], type=_STR_TYPE)
    if _all_addresses(arr):
        return arr, False  # already lowercase: nothing folded
    arr = pc.ascii_lower(arr)
    if _all_addresses(arr):
        return arr, True
    ok = pc.fill_null(pc.match_substring_regex(arr, _ADDRESS_RE2), False)
    row = _first_false(ok)
    if row is not None:
        path, where = segments.locate(row, keys)
        raise _fail(endpoint, path, f"{what} key {keys[row]!r} is not an address", where)
    return arr, True


def _all_addresses(arr: pa.Array) -> bool:
    """Every (lowercase) string is 0x + 40 hex digits, as ``_ADDRESS_RE2`` says, checked on
    the bytes (small arrays) or once per distinct value (large ones, where tokens repeat)."""
    if arr.null_count:
        return False
    n = len(arr)
    if not n:
        return True
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.type != _STR_TYPE:
        arr = arr.cast(_STR_TYPE)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset : arr.offset + n + 1]
    if offsets[-1] - offsets[0] != 42 * n or (np.diff(offsets) != 42).any():
        return False
    if n >= 100_000:
        distinct = pc.unique(arr)
        return bool(pc.all(pc.match_substring_regex(distinct, _ADDRESS_RE2)).as_py())
    text = np.frombuffer(arr.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    text = text.reshape(n, 42)
    if (text[:, 0] != ord("0")).any() or (text[:, 1] != ord("x")).any():
        return False
    hexits = text[:, 2:]
    # uint8 arithmetic wraps around, so each test is one comparison: 0-9 or a-f
    return bool((((hexits - ord("0")) < 10) | ((hexits - ord("a")) < 6)).all())


def _plain_digits(arr: pa.Array) -> bool:
    """Every string is one or more ASCII digits (``[0-9]+``), without the regex."""
    if arr.null_count:
        return False
    if not len(arr):
        return True
    return bool(pc.all(pc.ascii_is_decimal(arr)).as_py())  # non-ASCII bytes are not digits


def _coerce_raw(
    values: list[Any], endpoint: str, segments: _Segments, keys: Sequence[Any], suffix: str
) -> list[str]:
    """Slow path: JSON integers become decimal strings; anything else not a string fails."""
    out: list[str] = []
    for row, v in enumerate(values):
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, int) and not isinstance(v, bool):
            out.append(str(v))
        else:
            path, where = segments.locate(row, keys, suffix)
            kind = "null" if v is None else type(v).__name__
            raise _fail(
                endpoint, path, f"expected a decimal integer string, got {kind} {v!r:.40}", where
            )
    return out


@dataclass
class _Raw:
    """One validated ``*_raw`` column and what is derived from it."""

    text: pa.Array  # normalised decimal strings
    zero: np.ndarray  # bool

    def floats(self) -> np.ndarray:
        return np.asarray(pc.cast(self.text, pa.float64()).to_numpy(zero_copy_only=False))

    def unlimited(self) -> np.ndarray:
        lengths = pc.binary_length(self.text)
        big = pc.or_(
            pc.greater(lengths, len(_UNLIMITED_STR)),
            pc.and_(
                pc.equal(lengths, len(_UNLIMITED_STR)), pc.greater_equal(self.text, _UNLIMITED_STR)
            ),
        )
        return np.asarray(big.to_numpy(zero_copy_only=False), dtype=bool)


def _raw(
    values: list[Any], endpoint: str, segments: _Segments, keys: Sequence[Any], suffix: str = ""
) -> _Raw:
    """Validate and normalise uint256 decimal strings, vectorised with Arrow."""
    try:
        arr = pa.array(values, type=_STR_TYPE)
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        arr = pa.array(_coerce_raw(values, endpoint, segments, keys, suffix), type=_STR_TYPE)
    if arr.null_count:
        _coerce_raw(values, endpoint, segments, keys, suffix)  # raises on the first null
    if not _plain_digits(arr):
        row = _first_false(pc.match_substring_regex(arr, _DIGITS_RE2))
        assert row is not None
        path, where = segments.locate(row, keys, suffix)
        raise _fail(
            endpoint,
            path,
            f"expected a uint256 decimal string (digits 0-9 only), got {values[row]!r:.90}",
            where,
        )
    long = _first_false(pc.less_equal(pc.binary_length(arr), _MAX_DIGITS))
    if long is not None:
        path, where = segments.locate(long, keys, suffix)
        raise _fail(
            endpoint,
            path,
            f"{values[long]!r:.90} has more than {_MAX_DIGITS} digits (not a uint256)",
            where,
        )
    needs_normalising = _leading_zeros(arr)
    raw = _normalised_raw(arr, needs_normalising)
    if raw is None:
        row = _first_false(pc.invert(_too_big(_strip(arr, needs_normalising))))
        assert row is not None
        path, where = segments.locate(row, keys, suffix)
        raise _fail(endpoint, path, f"{values[row]!r:.90} is larger than 2**256-1", where)
    return raw


def _leading_zeros(arr: pa.Array) -> bool:
    """Some string of plain digits has a leading zero to strip (``"007"``, not ``"0"``)."""
    if not len(arr):
        return False
    return bool(
        pc.any(pc.and_(pc.starts_with(arr, "0"), pc.greater(pc.binary_length(arr), 1))).as_py()
    )


def _strip(arr: pa.Array, needs_normalising: bool) -> pa.Array:
    return pc.replace_substring_regex(arr, _STRIP_RE2, r"\1") if needs_normalising else arr


def _too_big(arr: pa.Array) -> pa.Array:
    lengths = pc.binary_length(arr)
    return pc.or_(
        pc.greater(lengths, len(_MAX_UINT256_STR)),
        pc.and_(pc.equal(lengths, len(_MAX_UINT256_STR)), pc.greater(arr, _MAX_UINT256_STR)),
    )


def _normalised_raw(arr: pa.Array, needs_normalising: bool) -> _Raw | None:
    """Validated digit strings normalised (leading zeros stripped); None when one is larger
    than 2**256-1."""
    arr = _strip(arr, needs_normalising)
    if len(arr) and pc.any(_too_big(arr)).as_py():
        return None
    zero = np.asarray(pc.equal(arr, "0").to_numpy(zero_copy_only=False), dtype=bool)
    return _Raw(arr, zero)


def _pick(
    entries: list[Any], name: str, endpoint: str, segments: _Segments, keys: Sequence[Any]
) -> list[Any]:
    """``entry[name]`` of every ``{balance, allowance}`` object, or a PayloadError."""
    try:
        return [e[name] for e in entries]
    except (KeyError, TypeError, IndexError):
        pass
    for row, e in enumerate(entries):
        if not isinstance(e, Mapping):
            path, where = segments.locate(row, keys)
            raise _fail(
                endpoint,
                path,
                f"expected an object with balance and allowance, got {type(e).__name__}",
                where,
            )
        if name not in e:
            path, where = segments.locate(row, keys, f".{name}")
            raise _fail(endpoint, path, "required field is missing", where)
    raise AssertionError("unreachable")  # pragma: no cover


def _string_array(values: pa.Array | list[Any]) -> pd.api.extensions.ExtensionArray:
    arr = (
        values
        if isinstance(values, (pa.Array, pa.ChunkedArray))
        else pa.array(values, type=_STR_TYPE)
    )
    return pd.arrays.ArrowStringArray(arr)


def _na_strings(n: int) -> pd.api.extensions.ExtensionArray:
    return _string_array(pa.nulls(n, type=_STR_TYPE))


def _join_key(chain: np.ndarray, token: pa.Array) -> pa.Array:
    """``"chain_id:token"`` strings, a single key that Arrow can look up fast."""
    return pc.binary_join_element_wise(
        pc.cast(pa.array(chain), _STR_TYPE),
        pc.cast(token, _STR_TYPE),
        pa.scalar(":", _STR_TYPE),
    )


def _metadata_from_info(
    chain: np.ndarray, token: pa.Array, info: pd.DataFrame | None
) -> dict[str, Any]:
    """symbol, name, decimals, tags for each row, looked up in ``token_info``."""
    n = len(token)
    out: dict[str, Any] = {
        "symbol": _na_strings(n),
        "name": _na_strings(n),
        "tags": _na_strings(n),
        "decimals": pd.arrays.IntegerArray(np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool)),
    }
    if info is not None and len(info) and n:
        if not isinstance(info, pd.DataFrame) or not {"chain_id", "token"} <= set(info.columns):
            raise InputError(
                "token_info must be a DataFrame with chain_id and token columns, "
                "such as token_metadata_frame() returns"
            )
        try:
            info_chain = info["chain_id"].to_numpy(dtype=np.int64)
        except (TypeError, ValueError):
            raise InputError("token_info.chain_id must hold integer chain ids") from None
        info_token = pc.ascii_lower(pa.array(info["token"].astype(STRING).array))
        keys = _join_key(info_chain, info_token)
        # first row wins for a repeated (chain_id, token): index_in returns the first match
        row_keys = _join_key(chain, token)
        pos = pc.fill_null(pc.index_in(row_keys, value_set=keys), -1)
        pos = np.asarray(pos.to_numpy(zero_copy_only=False), dtype=np.int64)
        for name in ("symbol", "name", "tags", "decimals"):
            if name in info.columns:
                try:
                    col = info[name].astype(VOCABULARY[name].dtype).array
                except (TypeError, ValueError) as exc:
                    raise InputError(
                        f"token_info.{name} cannot be read as {VOCABULARY[name].dtype}: {exc}"
                    ) from None
                out[name] = col.take(pos, allow_fill=True)
    native = np.asarray(pc.equal(token, NATIVE_TOKEN).to_numpy(zero_copy_only=False), dtype=bool)
    if native.any():
        _fill_native(out, chain, native)
    return out


def _fill_native(out: dict[str, Any], chain: np.ndarray, native: np.ndarray) -> None:
    """Native-coin rows without metadata get the chain table's symbol, name and 18 decimals."""
    for name, attr in (("symbol", "native_symbol"), ("name", "native_name")):
        current = pa.array(out[name])
        mask = native & np.asarray(pc.is_null(current).to_numpy(zero_copy_only=False), dtype=bool)
        if mask.any():
            fallback = [
                getattr(CHAINS[c], attr) if c in CHAINS else None for c in chain[mask].tolist()
            ]
            filled = pc.replace_with_mask(
                current, pa.array(mask), pa.array(fallback, type=current.type)
            )
            out[name] = _string_array(filled)
    decimals = out["decimals"]
    mask = native & np.asarray(decimals.isna(), dtype=bool)
    if mask.any():
        decimals = decimals.copy()
        decimals[mask] = _NATIVE_DECIMALS
        out["decimals"] = decimals


@dataclass
class _Rows:
    """Per-row columns collected from a batch, before filtering and metadata."""

    chain: np.ndarray
    wallet: pa.Array
    token: pa.Array
    spender: pa.Array | None = None
    balance: _Raw | None = None
    allowance: _Raw | None = None
    metadata: dict[str, Any] | None = None  # per-row symbol/name/decimals/tags, if inline
    #: some (chain, wallet, spender, token) may occur twice: keys differing only in case, a
    #: repeated request or token object. False only when the converter knows it cannot.
    may_repeat: bool = True
    #: per-row scope of the repeat check, computed only when some key repeats: -1 for rows
    #: naming a wallet their request asked for (checked across the batch), the response number
    #: for rows naming a wallet it did not ask for (checked within that response only: the
    #: loaders give such rows to the asked wallet or drop them, never keep them as they are)
    scope: Callable[[], np.ndarray] | None = None


def _repeats(rows: _Rows, endpoint: str) -> np.ndarray | None:
    """Indices of the rows to keep when a key repeats (identical repeats collapse to their
    first row), None when no key repeats; a PayloadError when one key has different values."""
    key: dict[str, Any] = {"chain_id": rows.chain, "wallet": _string_array(rows.wallet)}
    if rows.spender is not None:
        key["spender"] = _string_array(rows.spender)
    key["token"] = _string_array(rows.token)
    frame = pd.DataFrame(key, copy=False)
    names = list(key)
    if not frame.duplicated(names).any():
        return None
    if rows.scope is not None:
        frame.insert(0, "scope", rows.scope())
        names.insert(0, "scope")
        if not frame.duplicated(names).any():
            return None
    for name, raw in (("balance_raw", rows.balance), ("allowance_raw", rows.allowance)):
        if raw is not None:
            frame[name] = _string_array(raw.text)
    for name, values in (rows.metadata or {}).items():
        frame[name] = values
    same = frame.duplicated().to_numpy()
    kept = frame[~same]
    conflict = kept.duplicated(names, keep=False).to_numpy()
    if conflict.any():
        row = kept[conflict].iloc[0]
        where = ", ".join(f"{n} {row[n]}" for n in names[:-1] if n != "scope")
        raise PayloadError(
            endpoint,
            f"[{row['token']}]",
            "two different answers for one token (keys differing only in case, or a repeated "
            f"token object or request) (request: {where})",
        )
    return np.flatnonzero(~same)


def _build(
    schema: FrameSchema,
    rows: _Rows,
    *,
    token_info: pd.DataFrame | None,
    keep_zero: bool,
    endpoint: str,
    order: np.ndarray | None = None,
) -> pd.DataFrame:
    """Order, drop zero rows, attach metadata and human amounts, conform to ``schema``."""
    n = len(rows.token)
    if n == 0:
        return empty_frame(schema)
    idx = order
    if rows.may_repeat:
        unique = _repeats(rows, endpoint)
        if unique is not None:
            keep = np.zeros(n, dtype=bool)
            keep[unique] = True
            idx = unique if idx is None else idx[keep[idx]]
    if not keep_zero:
        zero = np.ones(n, dtype=bool)
        for raw in (rows.balance, rows.allowance):
            if raw is not None:
                zero &= raw.zero
        if zero.any():
            idx = np.flatnonzero(~zero) if idx is None else idx[~zero[idx]]
    unlimited = rows.allowance.unlimited() if rows.allowance is not None else None
    balance_f = rows.balance.floats() if rows.balance is not None else None
    allowance_f = rows.allowance.floats() if rows.allowance is not None else None
    chain, wallet, token, spender = rows.chain, rows.wallet, rows.token, rows.spender
    metadata = rows.metadata
    balance_raw = rows.balance.text if rows.balance is not None else None
    allowance_raw = rows.allowance.text if rows.allowance is not None else None
    if idx is not None:
        if len(idx) == 0:
            return empty_frame(schema)
        take = pa.array(idx)
        chain = chain[idx]
        wallet, token = wallet.take(take), token.take(take)
        spender = spender.take(take) if spender is not None else None
        balance_raw = balance_raw.take(take) if balance_raw is not None else None
        allowance_raw = allowance_raw.take(take) if allowance_raw is not None else None
        balance_f = balance_f[idx] if balance_f is not None else None
        allowance_f = allowance_f[idx] if allowance_f is not None else None
        unlimited = unlimited[idx] if unlimited is not None else None
        if metadata is not None:
            metadata = {k: v.take(idx) for k, v in metadata.items()}
    if metadata is None:
        metadata = _metadata_from_info(chain, token, token_info)
    scale = np.power(10.0, metadata["decimals"].to_numpy(dtype="float64", na_value=np.nan))
    data: dict[str, Any] = {
        "chain_id": chain.astype(np.int64, copy=False),
        "wallet": _string_array(wallet),
        "token": _string_array(token),
        **metadata,
        "is_native": np.asarray(
            pc.equal(token, NATIVE_TOKEN).to_numpy(zero_copy_only=False), dtype=bool
        ),
    }
    if spender is not None:
        data["spender"] = _string_array(spender)
    if balance_raw is not None:
        data["balance_raw"] = _string_array(balance_raw)
        data["balance"] = balance_f / scale
    if allowance_raw is not None:
        data["allowance_raw"] = _string_array(allowance_raw)
        data["allowance"] = allowance_f / scale
        data["unlimited"] = unlimited
    ordered = {name: data.pop(name) for name in schema.names if name in data}
    ordered.update(data)  # schema order up front: conform then has nothing to reorder
    return schema.conform(pd.DataFrame(ordered, copy=False))


def _repeat_strings(values: list[str], segments: _Segments) -> pa.Array:
    return pa.array(values, type=_STR_TYPE).take(pa.array(segments.row_segments()))


#: Typed shapes of the Balance bodies (see :mod:`inchframe.frames._decode`): a body in another
#: shape is decoded untyped and judged by the same code.
_FLAT_MAP = D.Decoder(dict[D.ADDRESS_KEY, str])
_NESTED_MAP = D.Decoder(dict[D.ADDRESS_KEY, dict[D.ADDRESS_KEY, str]])


def _lowercase_address_keys(keys: Collection[Any]) -> bool:
    """Every key is a lowercase address (``0x`` + 40 digits 0-9a-f), checked on one joined
    string: the keys of a zero entry may be dropped unread only when no key could fold onto
    another or be malformed."""
    try:
        text = "".join(keys).encode("ascii")
    except (TypeError, UnicodeEncodeError):
        return False
    n = len(keys)
    if len(text) != 42 * n:
        return False
    if not n:
        return True
    grid = np.frombuffer(text, dtype=np.uint8).reshape(n, 42)
    hexits = grid[:, 2:]
    return bool(
        (grid[:, 0] == ord("0")).all()
        and (grid[:, 1] == ord("x")).all()
        # uint8 arithmetic wraps around, so each test is one comparison: 0-9 or a-f
        and (((hexits - ord("0")) < 10) | ((hexits - ord("a")) < 6)).all()
    )


def _is_zero_entry(entry: Any) -> bool:
    return type(entry) is dict and entry.get("balance") == "0" and entry.get("allowance") == "0"


def _without_zeros(mapping: Mapping[Any, Any], *, entries: bool = False) -> Mapping[Any, Any]:
    """``mapping`` without its zero entries (``"0"``, or ``{"balance": "0", "allowance": "0"}``
    with ``entries``), so that the 98% of a balance map that is zero never becomes a row; kept
    whole when a key is not a lowercase address (the converter then folds or names it)."""
    if not _lowercase_address_keys(mapping.keys()):
        return mapping
    if entries:
        return {k: v for k, v in mapping.items() if not _is_zero_entry(v)}
    return {k: v for k, v in mapping.items() if v != "0"}


def _checked_pairs(
    responses: Iterable[Any], names: tuple[str, ...], endpoint: str
) -> tuple[list[tuple[Any, Any]], list[tuple[Any, ...]]]:
    """The ``(context, payload)`` pairs with their validated contexts (payloads not read)."""
    pairs = _pair_list(responses, endpoint)
    return pairs, [_context(ctx, names, endpoint) for ctx, _ in pairs]


def _map_rows(
    responses: Iterable[Any],
    endpoint: str,
    root: str,
    names: tuple[str, ...],
    *,
    keep_zero: bool = True,
    entries: bool = False,
) -> tuple[_Segments, list[Any], list[Any], list[tuple[Any, ...]]]:
    """Collect ``{token: value}`` payloads: one segment per response. Without ``keep_zero``,
    zero entries are dropped as each body is decoded (unless one request repeats: its answers
    are then compared whole)."""
    pairs, contexts = _checked_pairs(responses, names, endpoint)
    drop_zero = not keep_zero and _unique_contexts(contexts)
    segments = _Segments(names)
    keys: list[Any] = []
    values: list[Any] = []
    decoder = None if entries else _FLAT_MAP
    for context, (_, body) in zip(contexts, pairs, strict=True):
        payload = _decoded(body, endpoint, decoder)
        mapping = _mapping(payload, endpoint, root, segments.describe(context))
        if drop_zero:
            mapping = _without_zeros(mapping, entries=entries)
        keys.extend(mapping.keys())
        values.extend(mapping.values())
        segments.add(len(mapping), root, context)
    return segments, keys, values, contexts


def _unique_contexts(contexts: Sequence[tuple[Any, ...]]) -> bool:
    return len(set(contexts)) == len(contexts)


_Converter = TypeVar("_Converter", bound=Callable[..., pd.DataFrame])


def _valid_unicode(endpoint: str) -> Callable[[_Converter], _Converter]:
    """A string holding a lone surrogate (``"\\ud800"``, which JSON allows) cannot become an
    Arrow string: a PayloadError, not the UnicodeEncodeError Arrow raises."""

    def wrap(convert: _Converter) -> _Converter:
        @functools.wraps(convert)
        def checked(*args: Any, **kwargs: Any) -> pd.DataFrame:
            try:
                return convert(*args, **kwargs)
            except UnicodeEncodeError:
                raise PayloadError(
                    endpoint, "body", "a string holds a lone surrogate (not valid Unicode)"
                ) from None

        return cast(_Converter, checked)

    return wrap


# ------------------------------------------------------------------------------ converters

Response = tuple[Any, Any]  # (context tuple, payload: parsed JSON or the raw body)


def _flat_map_frame(
    responses: Iterable[Response],
    schema: FrameSchema,
    endpoint: str,
    measure: str,
    *,
    token_info: pd.DataFrame | None,
    keep_zero: bool,
) -> pd.DataFrame:
    """A frame from flat ``{token: "amount"}`` maps: balances (context chain, wallet) or
    allowances (context chain, wallet, spender); ``measure`` names the amount."""
    spender = measure == "allowance"
    names = ("chain_id", "wallet", "spender") if spender else ("chain_id", "wallet")
    segments, keys, values, contexts = _map_rows(
        responses, endpoint, f"{measure}s", names, keep_zero=keep_zero
    )
    if not keys:
        return empty_frame(schema)
    token, folded = _address_array(keys, endpoint, segments, "token")
    rows = _Rows(
        chain=np.asarray([c[0] for c in contexts], dtype=np.int64)[segments.row_segments()],
        wallet=_repeat_strings([c[1] for c in contexts], segments),
        spender=_repeat_strings([c[2] for c in contexts], segments) if spender else None,
        token=token,
        may_repeat=folded or not _unique_contexts(contexts),
    )
    setattr(rows, measure, _raw(values, endpoint, segments, keys))
    return _build(schema, rows, token_info=token_info, keep_zero=keep_zero, endpoint=endpoint)


@_valid_unicode(ENDPOINT_BALANCES)
def balances_frame(
    responses: Iterable[Response],
    *,
    token_info: pd.DataFrame | None = None,
    keep_zero: bool = False,
) -> pd.DataFrame:
    """:data:`BALANCES` from GET/POST ``balances/{wallet}`` payloads ``{token: "balance"}``.

    ``responses``: ``((chain_id, wallet), payload)`` pairs. Rows drop ``balance_raw == "0"``
    unless ``keep_zero``. Payloads may be parsed JSON or raw response bodies (``bytes``,
    decoded here with their zero entries dropped as they are read).
    """
    return _flat_map_frame(
        responses,
        BALANCES,
        ENDPOINT_BALANCES,
        "balance",
        token_info=token_info,
        keep_zero=keep_zero,
    )


@_valid_unicode(ENDPOINT_WALLETS_AND_TOKENS)
def wallets_and_tokens_frame(
    responses: Iterable[Response],
    *,
    token_info: pd.DataFrame | None = None,
    keep_zero: bool = False,
) -> pd.DataFrame:
    """:data:`BALANCES` from ``balances/multiple/walletsAndTokens`` payloads.

    ``responses``: ``((chain_id,), payload)`` pairs (a bare chain id is accepted too); the payload
    is ``{wallet: {token: "balance"}}``. Wallet keys echo the request casing and are lowercased.
    Rows follow the payload's wallet order, then its token order.
    """
    endpoint, root = ENDPOINT_WALLETS_AND_TOKENS, "walletsAndTokens"
    pairs, contexts = _checked_pairs(responses, ("chain_id",), endpoint)
    segments = _Segments(("chain_id",))
    keys: list[Any] = []
    values: list[Any] = []
    chains: list[int] = []
    wallets: list[str] = []
    for context, (_, body) in zip(contexts, pairs, strict=True):
        payload = _decoded(body, endpoint, _NESTED_MAP)
        where = segments.describe(context)
        outer = _mapping(payload, endpoint, root, where)
        for wallet_key, inner_payload in outer.items():
            path = f"{root}[{wallet_key}]"
            wallet = wallet_key.lower() if isinstance(wallet_key, str) else ""
            if not _ADDRESS.fullmatch(wallet):
                raise _fail(endpoint, path, f"wallet key {wallet_key!r} is not an address", where)
            inner = _mapping(inner_payload, endpoint, path, where)
            keys.extend(inner.keys())
            values.extend(inner.values())
            segments.add(len(inner), path, context)
            chains.append(context[0])
            wallets.append(wallet)
    if not keys:
        return empty_frame(BALANCES)
    token, folded = _address_array(keys, endpoint, segments, "token")
    rows = _Rows(
        chain=np.asarray(chains, dtype=np.int64)[segments.row_segments()],
        wallet=_repeat_strings(wallets, segments),
        token=token,
        balance=_raw(values, endpoint, segments, keys),
        may_repeat=folded or not _unique_contexts(list(zip(chains, wallets, strict=True))),
    )
    return _build(BALANCES, rows, token_info=token_info, keep_zero=keep_zero, endpoint=endpoint)


@_valid_unicode(ENDPOINT_ALLOWANCES)
def allowances_frame(
    responses: Iterable[Response],
    *,
    token_info: pd.DataFrame | None = None,
    keep_zero: bool = False,
) -> pd.DataFrame:
    """:data:`ALLOWANCES` from GET/POST ``allowances/{spender}/{wallet}`` payloads.

    ``responses``: ``((chain_id, wallet, spender), payload)`` pairs; the payload is
    ``{token: "allowance"}``. The native coin may appear although it was not requested (its
    allowance is always max uint256); it is kept. Rows drop ``allowance_raw == "0"`` unless
    ``keep_zero``.
    """
    return _flat_map_frame(
        responses,
        ALLOWANCES,
        ENDPOINT_ALLOWANCES,
        "allowance",
        token_info=token_info,
        keep_zero=keep_zero,
    )


@_valid_unicode(ENDPOINT_ALLOWANCES_AND_BALANCES)
def balances_and_allowances_frame(
    responses: Iterable[Response],
    *,
    token_info: pd.DataFrame | None = None,
    keep_zero: bool = False,
) -> pd.DataFrame:
    """:data:`BALANCES_AND_ALLOWANCES` from GET/POST ``allowancesAndBalances/{spender}/{wallet}``.

    ``responses``: ``((chain_id, wallet, spender), payload)`` pairs; the payload is
    ``{token: {"balance": "...", "allowance": "..."}}``. Rows where both are ``"0"`` are dropped
    unless ``keep_zero``.
    """
    endpoint = ENDPOINT_ALLOWANCES_AND_BALANCES
    names = ("chain_id", "wallet", "spender")
    segments, keys, entries, contexts = _map_rows(
        responses, endpoint, "allowancesAndBalances", names, keep_zero=keep_zero, entries=True
    )
    if not keys:
        return empty_frame(BALANCES_AND_ALLOWANCES)
    seg = segments.row_segments()
    balances = _pick(entries, "balance", endpoint, segments, keys)
    allowances = _pick(entries, "allowance", endpoint, segments, keys)
    token, folded = _address_array(keys, endpoint, segments, "token")
    rows = _Rows(
        chain=np.asarray([c[0] for c in contexts], dtype=np.int64)[seg],
        wallet=_repeat_strings([c[1] for c in contexts], segments),
        spender=_repeat_strings([c[2] for c in contexts], segments),
        token=token,
        balance=_raw(balances, endpoint, segments, keys, ".balance"),
        allowance=_raw(allowances, endpoint, segments, keys, ".allowance"),
        may_repeat=folded or not _unique_contexts(contexts),
    )
    return _build(
        BALANCES_AND_ALLOWANCES,
        rows,
        token_info=token_info,
        keep_zero=keep_zero,
        endpoint=endpoint,
    )


# ------------------------------------------------------------------- aggregated endpoint


@dataclass
class _Aggregated:
    """Token objects of aggregated payloads (one entry per token), plus their wallet rows."""

    chain: list[int] = field(default_factory=list)
    spender: list[str] = field(default_factory=list)
    token: list[str] = field(default_factory=list)
    symbol: list[str | None] = field(default_factory=list)
    name: list[str | None] = field(default_factory=list)
    decimals: list[int | None] = field(default_factory=list)
    tags: list[str | None] = field(default_factory=list)
    logo_uri: list[str | None] = field(default_factory=list)
    is_custom: list[bool | None] = field(default_factory=list)
    token_type: list[str | None] = field(default_factory=list)
    tracked: list[bool | None] = field(default_factory=list)
    response: list[int] = field(default_factory=list)  # response number of each token
    extras: dict[str, dict[int, Any]] = field(default_factory=dict)  # field -> {token: value}
    # wallet rows, one segment per token object
    segments: _Segments = field(default_factory=lambda: _Segments(("chain_id", "spender")))
    wallet_keys: list[Any] = field(default_factory=list)
    entries: list[Any] = field(default_factory=list)
    #: per response: each wallet key's rank of first appearance (zero entries included)
    wallet_rank: list[dict[Any, int]] = field(default_factory=list)


def _optional(
    item: Mapping[str, Any], name: str, kind: type, endpoint: str, path: str, where: str
) -> Any:
    """``item[name]`` when it is a ``kind`` (str or bool), None when missing or null."""
    value = item.get(name)
    if value is None or isinstance(value, kind):
        return value
    raise _fail(
        endpoint, f"{path}.{name}", f"expected {kind.__name__} or null, got {value!r:.40}", where
    )


def _parse_aggregated(
    responses: Iterable[Any], *, wallets: bool, exact: bool, keep_zero: bool = True
) -> _Aggregated:
    """The token objects of the batch and (``wallets``) their wallet entries, each body decoded
    as it is read; without ``keep_zero`` a raw body's compact zero entries are cut before (the
    wallet order, first appearance in the answer, is read from the bytes first)."""
    endpoint = ENDPOINT_AGGREGATED
    out = _Aggregated()
    names = ("chain_id", "spender")
    for r, (ctx, payload, first) in enumerate(_answers(responses, keep_zero or not wallets)):
        context = _context(ctx, names if exact else ("chain_id",), endpoint, exact=exact)
        spender = context[1] if len(context) > 1 else ""
        where = out.segments.describe(context)
        if not isinstance(payload, list):
            raise _fail(
                endpoint,
                "aggregated",
                f"expected a list of token objects, got {type(payload).__name__}",
                where,
            )
        # wallet keys of this answer, by first appearance (read from the bytes before the zero
        # entries were cut, when they were)
        seen: dict[Any, int] = {key: rank for rank, key in enumerate(first or ())}
        out.wallet_rank.append(seen)
        for j, item in enumerate(payload):
            path = f"aggregated[{j}]"
            item = _mapping(item, endpoint, path, where)
            address = item.get("address")
            token = address.lower() if isinstance(address, str) else None
            if token is None or not _ADDRESS.fullmatch(token):
                problem = (
                    "required field is missing"
                    if address is None
                    else f"{address!r:.60} is not an address"
                )
                raise _fail(endpoint, f"{path}.address", problem, where)
            for required in AGGREGATED_REQUIRED:
                if required not in item:
                    raise _fail(endpoint, f"{path}.{required}", "required field is missing", where)
            decimals = item.get("decimals")
            if isinstance(decimals, float) and decimals.is_integer():
                decimals = int(decimals)
            if decimals is not None and (
                not isinstance(decimals, int)
                or isinstance(decimals, bool)
                or not 0 <= decimals <= 255
            ):
                raise _fail(
                    endpoint,
                    f"{path}.decimals",
                    f"expected an integer 0..255 or null, got {decimals!r:.40}",
                    where,
                )
            tags = item.get("tags")
            if isinstance(tags, list) and all(isinstance(t, str) for t in tags):
                tags = ",".join(tags)
            elif tags is not None and not isinstance(tags, str):
                raise _fail(
                    endpoint,
                    f"{path}.tags",
                    f"expected a list of strings or null, got {tags!r:.40}",
                    where,
                )
            n = len(out.token)
            out.chain.append(context[0])
            out.spender.append(spender)
            out.token.append(token)
            out.symbol.append(_optional(item, "symbol", str, endpoint, path, where))
            out.name.append(_optional(item, "name", str, endpoint, path, where))
            out.decimals.append(decimals)
            out.tags.append(tags)
            out.logo_uri.append(_optional(item, "logoURI", str, endpoint, path, where))
            out.is_custom.append(_optional(item, "isCustom", bool, endpoint, path, where))
            out.token_type.append(_optional(item, "type", str, endpoint, path, where))
            out.tracked.append(_optional(item, "tracked", bool, endpoint, path, where))
            out.response.append(r)
            for extra in item.keys() - _AGGREGATED_FIELDS.keys():
                out.extras.setdefault(extra, {})[n] = item[extra]
            if wallets:
                if "wallets" not in item:  # required; only an explicit null means "no rows"
                    raise _fail(endpoint, f"{path}.wallets", "required field is missing", where)
                holders = item["wallets"]
                if holders is None:  # documented: "wallets": null means no rows
                    holders = {}
                holders = _mapping(holders, endpoint, f"{path}.wallets", where)
                if not seen.keys() >= holders.keys():
                    for key in holders:
                        seen.setdefault(key, len(seen))
                out.wallet_keys.extend(holders.keys())
                out.entries.extend(holders.values())
                out.segments.add(len(holders), f"{path}.wallets", context)
    return out


#: Token-object fields the contract requires (absent = PayloadError naming the field; present
#: ``null`` = NA). ``tags`` and ``tracked`` may be absent: recorded traffic omits ``tags``.
#: ``address`` and ``wallets`` are checked where they are read.
AGGREGATED_REQUIRED = ("decimals", "symbol", "name", "logoURI", "isCustom", "type")


#: What follows the wallet key of an entry whose balance and allowance are both "0", in the
#: compact form the API sends: ``"0x<40 hex>":{"balance":"0","allowance":"0"}``. A quote inside
#: a JSON string is escaped, so this can only occur after a key, never inside a string.
_ZERO_VALUE = b'":{"balance":"0","allowance":"0"}'
_KEY_BYTES = 43  # '"0x' and 40 hex digits: the key before _ZERO_VALUE
_IS_HEX = np.zeros(256, dtype=bool)
_IS_HEX[np.frombuffer(b"0123456789abcdefABCDEF", dtype=np.uint8)] = True
_QUOTE_B, _COMMA_B, _OPEN_B, _CLOSE_B = (ord(c) for c in '",{}')


def _drop_zero_entries(body: bytes) -> bytes:
    """``body`` without its compact zero entries ``"0x<40 hex>":{"balance":"0","allowance":"0"}``
    and the comma that joined each to the map (the map stays valid JSON: ``{a,Z,b}`` gives
    ``{a,b}``, ``{Z,Z}`` gives ``{}``). No Python object per entry: the entries are found by
    one ``bytes.split`` and their keys checked and cut out with numpy. An entry whose key is not
    ``0x`` + 40 hex digits, or that is not between ``{``/``,`` and ``,``/``}``, stays (the
    converter then reads it, and names a bad key)."""
    pieces = body.split(_ZERO_VALUE)
    if len(pieces) == 1:
        return body
    buf = np.frombuffer(body, dtype=np.uint8)
    lengths = np.fromiter(map(len, pieces), dtype=np.int64, count=len(pieces))
    del pieces
    size = len(_ZERO_VALUE)
    found = np.cumsum(lengths[:-1]) + size * np.arange(len(lengths) - 1, dtype=np.int64)
    key, end = found - _KEY_BYTES, found + size  # the key's opening quote; past the entry
    inside = (key >= 1) & (end < len(buf))
    key, end = key[inside], end[inside]
    good = (buf[key] == _QUOTE_B) & (buf[key + 1] == ord("0")) & (buf[key + 2] == ord("x"))
    for j in range(3, _KEY_BYTES):  # column by column: no (entries x 40) index matrix
        np.logical_and(good, _IS_HEX.take(buf.take(key + j)), out=good)
    key, end = key[good], end[good]
    if not len(key):
        return body
    after = buf[end]
    # runs of adjacent entries (one starts right after the previous one's comma) go together
    joined = (end[:-1] + 1 == key[1:]) & (after[:-1] == _COMMA_B)
    run_key = key[np.concatenate(([True], ~joined))]
    run_end = end[np.concatenate((~joined, [True]))]
    before, after = buf[run_key - 1], buf[run_end]
    fits = ((before == _COMMA_B) | (before == _OPEN_B)) & (
        (after == _COMMA_B) | (after == _CLOSE_B)
    )
    run_key, run_end = run_key[fits], run_end[fits]
    before, after = before[fits], after[fits]
    # a run followed by a comma goes with that comma; one that ends its map, with the comma
    # before it (if any)
    start = np.where(after == _COMMA_B, run_key, np.where(before == _COMMA_B, run_key - 1, run_key))
    stop = np.where(after == _COMMA_B, run_end + 1, run_end)
    # a comma cut with a run must not leave "{," or ",}" behind: such a body ("{,Z}", "{Z,}")
    # is not JSON, and stays whole for the decoder to say so
    left, right = buf[np.maximum(start - 1, 0)], buf[np.minimum(stop, len(buf) - 1)]
    cuts_comma_after = after == _COMMA_B
    if (
        (cuts_comma_after & ((right == _CLOSE_B) | (right == _COMMA_B)))
        | (~cuts_comma_after & (before == _COMMA_B) & ((left == _OPEN_B) | (left == _COMMA_B)))
    ).any():
        return body
    # the runs are sorted and apart: keep, cut, keep, cut ... keep
    bounds = np.empty(2 * len(start) + 2, dtype=np.int64)
    bounds[0], bounds[-1] = 0, len(buf)
    bounds[1:-1:2], bounds[2:-1:2] = start, stop
    keep = np.zeros(len(bounds) - 1, dtype=bool)
    keep[0::2] = True
    return buf[np.repeat(keep, np.diff(bounds))].tobytes()


_WALLET_KEY = re.compile(rb'"(0x[0-9a-fA-F]{40})":\{"balance"')


def _without_zero_pairs(body: bytes) -> tuple[bytes, list[str]]:
    """``body`` without its compact zero entries (98% of an aggregated answer), and the wallet
    keys of its first ``wallets`` map, in order (the frame's wallet order when every wallet
    with a row appears there, as in every answer on record; the answer is decoded whole
    otherwise).

    Filtering the bytes before the entries are located is exact (only whole zero entries go)
    and leaves a fraction of the bytes to read; entries in any other spelling stay and are
    dropped later, as before."""
    start = body.find(b'"wallets":{')
    first: list[str] = []
    if start >= 0:
        end = body.find(b"}}", start)
        first = [k.decode("ascii") for k in _WALLET_KEY.findall(body, start, end + 2)]
    return _drop_zero_entries(body), first


def _answers(
    responses: Iterable[Any], keep_zero: bool
) -> Iterator[tuple[Any, Any, list[str] | None]]:
    """``(context, payload, first keys)`` of every aggregated answer, each raw body decoded as it
    is read. Without ``keep_zero`` its compact zero entries are cut from the bytes first, and
    the wallet keys of its first ``wallets`` map (read before the cut) give the wallet order;
    the answer is decoded whole instead (first keys None) when a request repeats or the answer
    lists one token twice (their answers are then compared whole), or when a wallet left after
    the cut is not among the first keys (its order is then read from the decoded maps)."""
    pairs = _pair_list(responses, ENDPOINT_AGGREGATED)
    cut = not keep_zero and _unique_contexts([_comparable(ctx) for ctx, _ in pairs])
    for ctx, payload in pairs:
        first = None
        if D.is_raw(payload):
            whole = payload
            if cut:
                whole = bytes(payload)
                payload, first = _without_zero_pairs(whole)
            payload = D.decode(payload, ENDPOINT_AGGREGATED)
            if first is not None and (
                not _ranks_every_wallet(payload, first) or _repeats_a_token(payload)
            ):
                payload, first = D.decode(whole, ENDPOINT_AGGREGATED), None
        yield ctx, payload, first


def _ranks_every_wallet(payload: Any, first: list[str]) -> bool:
    """Every wallet key left in the cut ``payload`` is among the first map's compact keys."""
    if not isinstance(payload, list):
        return True
    known = set(first)
    for item in payload:
        holders = item.get("wallets") if isinstance(item, dict) else None
        if isinstance(holders, dict) and not known.issuperset(holders):
            return False
    return True


def _comparable(ctx: Any) -> Any:
    """A context as a hashable value, addresses lowercased (as :func:`_context` reads them)."""
    if isinstance(ctx, (list, tuple)):
        return tuple(_comparable(c) for c in ctx)
    return ctx.lower() if isinstance(ctx, str) else ctx


def _repeats_a_token(payload: Any) -> bool:
    if not isinstance(payload, list):
        return False
    addresses = [
        item["address"].lower()
        for item in payload
        if isinstance(item, dict) and isinstance(item.get("address"), str)
    ]
    return len(set(addresses)) != len(addresses)


def _split_asked(responses: Any) -> tuple[Any, list[frozenset[str] | None] | None]:
    """The pairs with ``(chain_id, spender)`` contexts, and the wallets each request asked for
    when its context carries them as a third item ``(chain_id, spender, wallets)`` (None when
    no context does)."""
    if not isinstance(responses, list):
        return responses, None
    out: list[Any] = []
    asked: list[frozenset[str] | None] = []
    for item in responses:
        ctx = item[0] if isinstance(item, tuple) and len(item) == 2 else None
        if isinstance(ctx, (tuple, list)) and len(ctx) == 3:
            wallets = ctx[2]
            if isinstance(wallets, str) or not isinstance(wallets, Iterable):
                raise InputError(
                    f"{ENDPOINT_AGGREGATED}: the third context item should be the wallets asked "
                    f"for (a list of addresses), got {wallets!r:.80}"
                )
            asked.append(frozenset(str(w).lower() for w in wallets))
            out.append((tuple(ctx[:2]), item[1]))
        else:
            asked.append(None)
            out.append(item)
    return out, (asked if any(a is not None for a in asked) else None)


def _asked_scope(
    asked: list[frozenset[str] | None] | None, response: np.ndarray, wallet: pa.Array
) -> Callable[[], np.ndarray] | None:
    """``_Rows.scope`` of aggregated rows (``response``: each row's response number)."""
    if asked is None:
        return None

    def scope() -> np.ndarray:
        known = np.asarray([a is not None for a in asked], dtype=bool)[response]
        listed = [f"{r}:{w}" for r, a in enumerate(asked) if a is not None for w in sorted(a)]
        hit = pc.is_in(_join_key(response, wallet), value_set=pa.array(listed, type=_STR_TYPE))
        owned = ~known | np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool)
        return np.where(owned, -1, response).astype(np.int64)

    return scope


@_valid_unicode(ENDPOINT_AGGREGATED)
def aggregated_frame(
    responses: Iterable[Response],
    *,
    keep_zero: bool = False,
) -> pd.DataFrame:
    """:data:`AGGREGATED` from ``aggregatedBalancesAndAllowances/{spender}?wallets=...`` payloads.

    ``responses``: ``((chain_id, spender), payload)`` pairs; the payload is a JSON array of token
    objects whose ``wallets`` maps wallet (request casing) to ``{balance, allowance}``. A context
    ``(chain_id, spender, wallets)`` also names the wallets asked: a repeated row naming a
    wallet its request did not ask for is then checked within its answer only (the loaders give
    such rows to the asked wallet or drop them), asked wallets across the whole batch. A token
    with ``"wallets": null`` gives no rows; a missing ``tags`` gives NA, a missing ``decimals``
    (or another field of :data:`AGGREGATED_REQUIRED`) is a PayloadError. Rows are
    wallet-major (wallets in order of first appearance within a response), then tokens in payload
    order. Rows where balance and allowance are both ``"0"`` are dropped unless ``keep_zero``
    (as each raw body is decoded: the zero entries, most of a 100-wallet answer, never become
    rows). Unknown token fields are not copied here; :func:`token_metadata_frame` keeps them.
    """
    endpoint = ENDPOINT_AGGREGATED
    responses, asked = _split_asked(_as_list(responses))
    agg = _parse_aggregated(responses, wallets=True, exact=True, keep_zero=keep_zero)
    segments, keys = agg.segments, agg.wallet_keys
    if not keys:
        return empty_frame(AGGREGATED)
    seg = segments.row_segments()  # token object of each row
    wallet, _ = _address_array(keys, endpoint, segments, "wallet")
    balances = _pick(agg.entries, "balance", endpoint, segments, keys)
    allowances = _pick(agg.entries, "allowance", endpoint, segments, keys)
    take = pa.array(seg)
    metadata = {
        "symbol": _string_array(pa.array(agg.symbol, type=_STR_TYPE).take(take)),
        "name": _string_array(pa.array(agg.name, type=_STR_TYPE).take(take)),
        "decimals": pd.array(agg.decimals, dtype="Int64").take(seg),
        "tags": _string_array(pa.array(agg.tags, type=_STR_TYPE).take(take)),
    }
    rows = _Rows(
        chain=np.asarray(agg.chain, dtype=np.int64)[seg],
        wallet=wallet,
        spender=pa.array(agg.spender, type=_STR_TYPE).take(take),
        token=pa.array(agg.token, type=_STR_TYPE).take(take),
        balance=_raw(balances, endpoint, segments, keys, ".balance"),
        allowance=_raw(allowances, endpoint, segments, keys, ".allowance"),
        metadata=metadata,
    )
    response = np.asarray(agg.response, dtype=np.int64)[seg]
    rows.scope = _asked_scope(asked, response, wallet)
    return _build(
        AGGREGATED,
        rows,
        token_info=None,
        keep_zero=keep_zero,
        endpoint=endpoint,
        order=_wallet_major(response, wallet, keys, agg.wallet_rank),
    )


def _wallet_major(
    response: np.ndarray, wallet: pa.Array, keys: list[Any], ranks: list[dict[Any, int]]
) -> np.ndarray:
    """The row order: by response, then wallet (first appearance in the answer, zero entries
    included, spellings of one wallet together), then token in payload order; stable."""
    folded = [_fold_ranks(r) for r in ranks]  # a wallet's rank: its first spelling's
    rank = np.fromiter(
        (folded[r][_fold(k)] for r, k in zip(response.tolist(), keys, strict=True)),
        dtype=np.int64,
        count=len(keys),
    )
    first = np.lexsort((rank, response))  # stable: tokens keep their payload order
    wallet_code, _ = pd.factorize(pd.Series(_string_array(wallet.take(pa.array(first)))))
    pair_code, _ = pd.factorize(response[first] * (int(wallet_code.max()) + 1) + wallet_code)
    return first[np.argsort(pair_code, kind="stable")]


def _fold(key: Any) -> Any:
    return key.lower() if isinstance(key, str) else key


def _fold_ranks(ranks: dict[Any, int]) -> dict[Any, int]:
    """Each lowercased key's first rank over its spellings."""
    out: dict[Any, int] = {}
    for key, rank in ranks.items():
        folded = _fold(key)
        out[folded] = min(rank, out.get(folded, rank))
    return out


def _as_list(responses: Any) -> Any:
    """The batch as a list of pairs (anything else is handed back, for the checks to name)."""
    if isinstance(responses, (Mapping, str, *D.RAW_TYPES)) or not isinstance(responses, Iterable):
        return responses
    return [tuple(p) if isinstance(p, (tuple, list)) and len(p) == 2 else p for p in responses]


@_valid_unicode(ENDPOINT_AGGREGATED)
def token_metadata_frame(responses: Iterable[Response]) -> pd.DataFrame:
    """:data:`TOKEN_METADATA` from ``aggregatedBalancesAndAllowances`` payloads.

    ``responses``: ``((chain_id, ...), payload)`` pairs; only the chain id of the context is used,
    so the pairs given to :func:`aggregated_frame` work. One row per chain x token, first
    occurrence wins, in payload order. Token fields inchframe does not know are kept as extra
    columns (under their wire name) after a single :class:`~inchframe.frames._parse.
    UnknownFieldsWarning`. Wallet entries are not read.
    """
    agg = _parse_aggregated(responses, wallets=False, exact=False)
    if agg.extras:
        warn_unknown_fields(ENDPOINT_AGGREGATED, agg.extras, _AGGREGATED_FIELDS)
    if not agg.token:
        frame = empty_frame(TOKEN_METADATA)
        for extra in agg.extras:
            frame[extra] = pd.Series([], dtype=object)
        return frame
    first: dict[tuple[int, str], int] = {}
    for i, key in enumerate(zip(agg.chain, agg.token, strict=True)):
        first.setdefault(key, i)
    keep = list(first.values())
    chain = np.asarray(agg.chain, dtype=np.int64)[keep]
    data: dict[str, Any] = {"chain_id": chain}
    for name in ("token", "symbol", "name", "tags", "logo_uri", "token_type"):
        values = getattr(agg, name)
        data[name] = _string_array([values[i] for i in keep])
    data["decimals"] = pd.array([agg.decimals[i] for i in keep], dtype="Int64")
    data["is_custom"] = pd.array([agg.is_custom[i] for i in keep], dtype="boolean")
    data["tracked"] = pd.array([agg.tracked[i] for i in keep], dtype="boolean")
    data["is_native"] = np.asarray([agg.token[i] == NATIVE_TOKEN for i in keep], dtype=bool)
    for extra, values in agg.extras.items():
        column = extra if extra not in TOKEN_METADATA.names else f"extra_{extra}"
        data[column] = pd.Series([values.get(i) for i in keep], dtype=object)
    return TOKEN_METADATA.conform(pd.DataFrame(data))
