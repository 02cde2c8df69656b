"""Column vocabulary and frame schemas shared by every converter.

The same concept has the same column name, dtype and unit in every frame (Balance, Portfolio v4,
Portfolio v5), so a notebook can switch endpoints or API versions by changing one call. Each
converter declares a :class:`FrameSchema` listing its columns; :meth:`FrameSchema.conform` puts a
frame in that order with those dtypes and keeps unknown extra columns at the end.

Exact token amounts: the Balance API sends uint256 integers as decimal strings. float64 loses
digits past ~16, and Arrow's decimal256 stops at 76 digits while 2**256-1 has 78, so ``*_raw``
columns keep the exact decimal string (Arrow-backed string dtype; Parquet stores it as UTF-8)
next to a float ``balance``/``allowance`` in human units. :func:`raw_to_int` gives Python ints
for exact arithmetic.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa

from ..errors import InputError

__all__ = [
    "DICTIONARY_STRING",
    "DTYPE_BACKENDS",
    "STRING",
    "VOCABULARY",
    "Column",
    "DtypeBackend",
    "FrameSchema",
    "empty_frame",
    "raw_to_int",
]

#: Arrow-backed string dtype with ``pd.NA`` for missing values (pandas >= 2.2 and 3.x alike).
STRING = pd.StringDtype("pyarrow")
UTC_TIMESTAMP = pd.DatetimeTZDtype("ns", "UTC")

DtypeBackend = Literal["numpy_nullable", "pyarrow"]
#: The accepted ``dtype_backend=`` values besides None (pandas' own, as in ``read_csv``).
DTYPE_BACKENDS: tuple[str, ...] = ("numpy_nullable", "pyarrow")
#: Repeated strings with ``dtype_backend="pyarrow"``: one int32 code per row, each text once.
DICTIONARY_STRING = pd.ArrowDtype(pa.dictionary(pa.int32(), pa.string()))
_PLAIN_STRING = pd.ArrowDtype(pa.string())


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its name, pandas dtype, unit and meaning."""

    name: str
    dtype: Any
    unit: str
    description: str


def _c(name: str, dtype: Any, unit: str, description: str) -> Column:
    return Column(name, dtype, unit, description)


#: Every shared column name. Converters may define frame-specific :class:`Column` objects too.
VOCABULARY: dict[str, Column] = {
    c.name: c
    for c in (
        _c("chain_id", "int64", "", "chain id (1 Ethereum, 8453 Base, ...)"),
        _c("chain_name", STRING, "", "human chain name"),
        _c("wallet", STRING, "address", "wallet (holder) address, lowercase"),
        _c(
            "token",
            STRING,
            "address",
            "token contract address, lowercase; native coin 0xeeee...eeee",
        ),
        _c("symbol", STRING, "", "token symbol"),
        _c("name", STRING, "", "token name"),
        _c("decimals", "Int64", "", "token decimals (NA when unknown)"),
        _c("is_native", "bool", "", "the chain's native coin (0xeeee...eeee)"),
        _c("tags", STRING, "", "token tags from the 1inch token list, comma-separated"),
        _c("balance_raw", STRING, "base units", "exact balance as a decimal integer string"),
        _c(
            "balance",
            "float64",
            "token units",
            "balance_raw / 10**decimals (NaN when decimals unknown)",
        ),
        _c(
            "spender",
            STRING,
            "address",
            "address allowed to spend (e.g. the 1inch router), lowercase",
        ),
        _c("allowance_raw", STRING, "base units", "exact allowance as a decimal integer string"),
        _c("allowance", "float64", "token units", "allowance_raw / 10**decimals"),
        _c("unlimited", "bool", "", "allowance is effectively infinite (>= 2**96-1)"),
        _c("amount", "float64", "token units", "amount held, in human units"),
        _c("price_usd", "float64", "USD", "price of one token unit"),
        _c("value_usd", "float64", "USD", "value of the holding or position"),
        _c("protocol", STRING, "", "protocol id (v5 protocol_group_id, v4 protocol)"),
        _c("protocol_name", STRING, "", "protocol display name"),
        _c("position_index", STRING, "", "position id (v5 index); joins snapshots to metrics"),
        _c("position_type", STRING, "", "kind of holding: token, lending, dex, staking, ..."),
        _c("is_debt", "bool", "", "a debt position (v5 asset_sign -1, v4 debt)"),
        _c("underlying_index", "int64", "", "position of the token in the position's token list"),
        _c("profit_usd", "float64", "USD", "absolute profit and loss over the time range"),
        _c("roi", "float64", "fraction", "return on investment (0.05 = 5%)"),
        _c("apr", "float64", "fraction", "annual percentage rate (v5 weighted_apr)"),
        _c("holding_time_days", "Int64", "days", "how long the position has been held"),
        _c("timestamp", UTC_TIMESTAMP, "UTC", "point in time"),
        _c("timerange", STRING, "", "time range of a chart or metric (1day ... 3years)"),
        _c(
            "dimension",
            STRING,
            "",
            "breakdown dimension: total, address, category, protocol, chain",
        ),
        _c(
            "key",
            STRING,
            "",
            "the breakdown's key within its dimension (an address, a chain id...)",
        ),
        _c("label", STRING, "", "human label of the key"),
        _c("api_version", STRING, "", "API version that produced the row (v1.2, v4, v5.0)"),
    )
}


@dataclass(frozen=True)
class FrameSchema:
    """The documented shape of one frame: ordered columns and the columns that identify a row."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    description: str = ""
    _names: tuple[str, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_names", tuple(c.name for c in self.columns))

    @classmethod
    def of(
        cls,
        name: str,
        columns: Iterable[str | Column],
        *,
        key: Iterable[str] = (),
        description: str = "",
    ) -> FrameSchema:
        """Build a schema from vocabulary names and/or frame-specific :class:`Column` objects."""
        cols = tuple(c if isinstance(c, Column) else VOCABULARY[c] for c in columns)
        return cls(name, cols, tuple(key), description)

    @property
    def names(self) -> tuple[str, ...]:
        return self._names

    @property
    def dtypes(self) -> dict[str, Any]:
        return {c.name: c.dtype for c in self.columns}

    def conform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Order ``frame`` by this schema, cast the dtypes, keep unknown columns at the end.

        Missing schema columns are added as all-missing, so an empty response still gives the
        documented columns.
        """
        out = frame
        present = set(out.columns)
        missing = [c for c in self.columns if c.name not in present]
        if missing:
            out = out.copy()
            for c in missing:
                out[c.name] = pd.Series(
                    pd.array([None] * len(out), dtype=_nullable(c.dtype)), index=out.index
                )
        names = set(self._names)
        columns = list(out.columns)
        order = list(self._names) + [c for c in columns if c not in names]
        # reorder only when needed: selecting columns copies them (small frames feel it)
        out = out[order] if columns != order else out.copy(deep=False)
        dtypes = out.dtypes
        casts = {
            c.name: c.dtype
            for c, dtype in zip(self.columns, dtypes.iloc[: len(self.columns)], strict=True)
            if str(dtype) != str(c.dtype)
        }
        if casts:
            out = out.astype(casts)
        return out

    def describe(self) -> pd.DataFrame:
        """The schema as a table (column, dtype, unit, description), for docs and notebooks."""
        return pd.DataFrame(
            [(c.name, str(c.dtype), c.unit, c.description) for c in self.columns],
            columns=["column", "dtype", "unit", "description"],
        )


def _nullable(dtype: Any) -> Any:
    """A dtype that can hold missing values for a column that will be cast to ``dtype``."""
    return {"int64": "Int64", "bool": "boolean", "float64": "float64"}.get(str(dtype), dtype)


def empty_frame(schema: FrameSchema) -> pd.DataFrame:
    """A zero-row frame with the schema's columns and dtypes."""
    return pd.DataFrame({c.name: pd.Series([], dtype=c.dtype) for c in schema.columns})


def raw_to_int(values: pd.Series | Iterable[str | None]) -> pd.Series:
    """Exact Python ints (object dtype) from a ``*_raw`` column; missing stays ``None``.

    Use it for exact arithmetic: ``raw_to_int(df.balance_raw).sum()`` is exact for any uint256.
    """
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    ints = [None if v is None or v is pd.NA else int(v) for v in series.astype(object)]
    return pd.Series(ints, index=series.index, dtype=object, name=series.name)


def check_dtype_backend(value: Any) -> DtypeBackend | None:
    """``value`` if it is None, ``"numpy_nullable"`` or ``"pyarrow"``; else an InputError."""
    if value is None or (isinstance(value, str) and value in DTYPE_BACKENDS):
        return value  # type: ignore[return-value]
    raise InputError(
        f"dtype_backend={value!r:.80}: accepted values are None (the documented dtypes), "
        "'numpy_nullable' and 'pyarrow'"
    )


def with_dtype_backend(frame: pd.DataFrame, backend: DtypeBackend | None) -> pd.DataFrame:
    """``frame`` with pandas' ``dtype_backend`` convention applied (None: unchanged).

    ``"numpy_nullable"``: ``DataFrame.convert_dtypes(dtype_backend="numpy_nullable")``.
    ``"pyarrow"``: every column Arrow-backed (``pd.ArrowDtype``); string columns dictionary-
    encoded (:data:`DICTIONARY_STRING`: wallets, tokens, symbols repeat on many rows) except the
    exact uint256 amounts (``*_raw``), which stay plain Arrow strings, digit for digit.
    """
    if backend is None:
        return frame
    attrs = frame.attrs
    # from each column's dtype, never its values (convert_dtypes would make a float column
    # whose values happen to be whole an integer one, and an empty frame all integers)
    out = _arrow_backed(frame) if backend == "pyarrow" else _numpy_nullable(frame)
    if backend == "pyarrow":
        changes: dict[str, Any] = {}
        for name in out.columns:
            dtype = out[name].dtype
            if isinstance(dtype, pd.ArrowDtype) and (
                pa.types.is_string(dtype.pyarrow_dtype)
                or pa.types.is_large_string(dtype.pyarrow_dtype)
            ):
                amount = isinstance(name, str) and name.endswith("_raw")
                changes[name] = _PLAIN_STRING if amount else DICTIONARY_STRING
        if changes:
            out = out.astype(changes)
            for name in changes:
                out[name] = _one_chunk(out[name])
    out.attrs = attrs
    return out


def _numpy_nullable(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with numpy int, float and bool columns as pandas' nullable dtypes."""
    casts: dict[Any, Any] = {}
    for name, dtype in frame.dtypes.items():
        if isinstance(dtype, np.dtype) and dtype.kind in "iuf":
            casts[name] = str(dtype).capitalize().replace("Uint", "UInt")
        elif isinstance(dtype, np.dtype) and dtype.kind == "b":
            casts[name] = "boolean"
        elif dtype.kind == "O":
            casts[name] = frame[name].convert_dtypes().dtype
    return frame.astype(casts) if casts else frame.copy(deep=False)


def _arrow_backed(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every column ``pd.ArrowDtype``, each typed from its pandas dtype."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    out = table.to_pandas(types_mapper=pd.ArrowDtype)
    out.index = frame.index
    return out


def _one_chunk(column: pd.Series) -> pd.Series:
    """``column`` with its Arrow chunks combined: a dictionary column built from several
    chunks holds one copy of the dictionary per chunk, one is enough."""
    chunked = column.array._pa_array
    if chunked.num_chunks <= 1:
        return column
    array = pd.arrays.ArrowExtensionArray(chunked.combine_chunks())
    return pd.Series(array, index=column.index, name=column.name)
