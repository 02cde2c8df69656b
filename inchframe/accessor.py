"""The ``df.inch`` accessor: analysis helpers on inchframe frames.

Registered when :mod:`inchframe` is imported. This module imports only pandas (and inchframe's
light modules) so ``import inchframe`` stays fast: plotting (matplotlib) and Parquet (pyarrow)
load inside the methods that need them.

Following the pandas "extending" guide, the accessor validates the frame in ``__init__`` (an
``AttributeError`` naming the missing columns, which pandas shows as the attribute error) and
holds no state beyond the frame, so ``df.inch`` always reflects the current ``df``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from .errors import InputError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["MINIMAL_COLUMNS", "InchAccessor", "InchPlotAccessor"]

#: Columns every frame the accessor accepts has: every inchframe loader frame carries
#: ``chain_id`` (supported chains, reports and breakdowns too); methods that need more columns
#: raise InputError naming them.
MINIMAL_COLUMNS: tuple[str, ...] = ("chain_id",)

#: Columns holding addresses: :meth:`InchAccessor.checksummed` converts them.
ADDRESS_COLUMNS: tuple[str, ...] = ("wallet", "token", "spender", "contract_address")

#: Friendly grouping names -> the column they mean.
_BY_ALIASES = {
    "chain": "chain_id",
    "chains": "chain_id",
    "wallets": "wallet",
    "address": "wallet",
    "tokens": "token",
    "protocols": "protocol",
}
#: ``by=`` names -> the ``dimension`` of a long current-value frame.
_DIMENSIONS = {
    "chain_id": "chain",
    "wallet": "address",
    "protocol": "protocol",
    "category": "category",
    "total": "total",
}
OTHER = "Other"


def _resolve_by(by: str | Sequence[str]) -> list[str]:
    names = [by] if isinstance(by, str) else list(by)
    return [_BY_ALIASES.get(name, name) for name in names]


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        hint = ""
        if "value_usd" in missing and "balance" in frame.columns:
            hint = " (value Balance API rows first: df.inch.with_prices(portfolio_tokens))"
        raise InputError(
            f"{what} needs column(s) {', '.join(map(repr, missing))}; the frame has "
            f"{', '.join(map(str, frame.columns[:20]))}{hint}"
        )


def _raw_ints(series: pd.Series) -> list[int | None]:
    return [None if v is None or v is pd.NA else int(v) for v in series.astype(object)]


def _decimals(frame: pd.DataFrame) -> list[int | None]:
    if "decimals" not in frame.columns:
        raise InputError("human amounts need a 'decimals' column")
    return [None if pd.isna(v) else int(v) for v in frame["decimals"].astype(object)]


def _chain_label(chain_id: Any) -> str:
    from .chains import chain_name

    if chain_id is None or pd.isna(chain_id):
        return "all chains"
    return chain_name(int(chain_id))


@pd.api.extensions.register_dataframe_accessor("inch")
class InchAccessor:
    """``df.inch``: exact amounts, totals, composition, prices, Parquet export and plots."""

    def __init__(self, pandas_obj: pd.DataFrame) -> None:
        missing = [c for c in MINIMAL_COLUMNS if c not in pandas_obj.columns]
        if missing:
            raise AttributeError(
                "the .inch accessor works on inchframe frames; this frame lacks column(s) "
                f"{', '.join(map(repr, missing))} (expected at least {', '.join(MINIMAL_COLUMNS)})"
            )
        self._obj = pandas_obj

    # -- provenance ------------------------------------------------------------------------

    @property
    def provenance(self) -> dict[str, Any]:
        """``df.attrs["inchframe"]``: endpoint, API version, fetch time... (empty if absent)."""
        return dict(self._obj.attrs.get("inchframe", {}))

    # -- exact amounts ---------------------------------------------------------------------

    def _raw_column(self, column: str | None) -> str:
        if column is None:
            for candidate in ("balance_raw", "allowance_raw"):
                if candidate in self._obj.columns:
                    return candidate
            raise InputError("no *_raw column (balance_raw, allowance_raw) in this frame")
        _require(self._obj, [column], "raw amounts")
        return column

    def human_amounts(self, column: str | None = None, *, as_decimal: bool = False) -> pd.Series:
        """``column`` (default ``balance_raw``, else ``allowance_raw``) / 10**decimals, exactly.

        Floats are correctly rounded from the exact integer (Python int division), not computed
        from an already-rounded float. ``as_decimal=True`` gives exact :class:`~decimal.Decimal`
        objects (object dtype), e.g. ``Decimal('1.000000000000000001')``. Missing raw or
        decimals give NaN (float) or None (Decimal). The Series is named after the column
        without ``_raw``.
        """
        col = self._raw_column(column)
        raws = _raw_ints(self._obj[col])
        decs = _decimals(self._obj)
        name = col.removesuffix("_raw")
        if as_decimal:
            values: list[Any] = [
                None if r is None or d is None else Decimal(f"{r}E-{d}")
                for r, d in zip(raws, decs, strict=True)
            ]
            return pd.Series(values, index=self._obj.index, dtype=object, name=name)
        floats = [
            float("nan") if r is None or d is None else r / 10**d
            for r, d in zip(raws, decs, strict=True)
        ]
        return pd.Series(floats, index=self._obj.index, dtype="float64", name=name)

    def with_human_amounts(self) -> pd.DataFrame:
        """A copy with ``balance``/``allowance`` recomputed from ``*_raw`` and ``decimals``."""
        out = self._obj.copy()
        for raw in ("balance_raw", "allowance_raw"):
            if raw in out.columns:
                out[raw.removesuffix("_raw")] = self.human_amounts(raw)
        return out

    def raw_sum(
        self,
        column: str | None = None,
        by: str | Sequence[str] | None = None,
        *,
        as_int: bool = False,
    ) -> Any:
        """Exact sum of a ``*_raw`` column, overall or per group.

        Without ``by``: one decimal string (or Python int with ``as_int=True``). With ``by``:
        a Series indexed by the groups, of decimal strings (Arrow string dtype) or Python ints
        (object dtype). Missing values count as 0. Exact for any number of uint256 values.
        """
        col = self._raw_column(column)
        ints = pd.Series(
            [0 if v is None else v for v in _raw_ints(self._obj[col])],
            index=self._obj.index,
            dtype=object,
        )
        if by is None:
            total = sum(ints, 0)
            return total if as_int else str(total)
        keys = _resolve_by(by)
        _require(self._obj, keys, "raw_sum(by=...)")
        grouped = ints.groupby([self._obj[k] for k in keys], sort=True, dropna=False)
        sums = grouped.agg(lambda s: sum(s, 0))
        sums.name = col
        if as_int:
            return sums.astype(object)
        return sums.map(str).astype(pd.StringDtype("pyarrow"))

    # -- filtering and display -------------------------------------------------------------

    def _zero_mask(self) -> pd.Series:
        obj = self._obj
        zero = pd.Series(False, index=obj.index)
        for raw in ("balance_raw",):
            if raw in obj.columns:
                zero |= (
                    obj[raw]
                    .astype(object)
                    .map(lambda v: v is not pd.NA and v is not None and int(v) == 0)
                ).astype(bool)
        for col in ("amount", "balance"):
            if col in obj.columns and "balance_raw" not in obj.columns:
                zero |= (obj[col] == 0).fillna(False).astype(bool)
        return zero

    def drop_dust(self, min_usd: float = 1.0, *, zero: bool = True) -> pd.DataFrame:
        """Rows worth at least ``min_usd`` (by ``|value_usd|``), without zero balances.

        Rows without a price (``value_usd`` NaN) are kept: unknown is not dust. Frames without
        ``value_usd`` (plain balances) only lose their zero rows; value them first with
        :meth:`with_prices`. ``zero=False`` keeps zero balances.
        """
        obj = self._obj
        keep = pd.Series(True, index=obj.index)
        if "value_usd" in obj.columns and min_usd > 0:
            value = obj["value_usd"].astype("float64")
            keep &= ~(value.abs() < min_usd).fillna(False).astype(bool)
        if zero:
            keep &= ~self._zero_mask()
        return obj[keep.to_numpy()]

    def checksummed(self, columns: Sequence[str] = ADDRESS_COLUMNS) -> pd.DataFrame:
        """A copy with address columns (wallet, token, spender...) in EIP-55 checksum form.

        For display and export to tools that expect checksums; inchframe itself keeps lowercase.
        The ``wallets`` column (comma-separated) is converted too. Non-addresses are left as is.
        """
        from .addresses import is_address, to_checksum_address

        def convert(value: Any) -> Any:
            if isinstance(value, str):
                if "," in value:
                    return ",".join(convert(part) for part in value.split(","))
                if is_address(value):
                    return to_checksum_address(value)
            return value

        out = self._obj.copy()
        for col in [*columns, "wallets"]:
            if col in out.columns:
                uniques = out[col].dropna().unique()
                mapping = {u: convert(u) for u in uniques}
                out[col] = out[col].map(mapping).astype(out[col].dtype)
        return out

    # -- aggregation -----------------------------------------------------------------------

    def _signed_value(self, value: str, debt: str) -> pd.Series:
        _require(self._obj, [value], f"value={value!r}")
        values = self._obj[value].astype("float64")
        if "is_debt" not in self._obj.columns or debt == "gross":
            return values.abs() if debt == "gross" and "is_debt" in self._obj.columns else values
        is_debt = self._obj["is_debt"].fillna(False).astype(bool)
        if debt == "net":
            return values.where(~is_debt, -values.abs())
        if debt == "ignore":
            return values.where(~is_debt, 0.0)
        raise InputError(f"debt={debt!r}: accepted values are 'net', 'gross', 'ignore'")

    def totals(
        self,
        by: str | Sequence[str] = "chain_id",
        *,
        value: str = "value_usd",
        debt: Literal["net", "gross", "ignore"] = "net",
    ) -> pd.DataFrame:
        """Sum of ``value`` per chain, token, symbol, wallet or protocol (largest first).

        ``by`` takes column names or ``"chain"``. Debt rows (``is_debt``) count negative with
        ``debt="net"`` (net worth), positive with ``"gross"``, not at all with ``"ignore"``.
        Also returns ``rows`` (how many rows each total adds up).
        """
        keys = _resolve_by(by)
        _require(self._obj, keys, "totals(by=...)")
        values = self._signed_value(value, debt)
        frame = self._obj[keys].assign(**{value: values})
        out = (
            frame.groupby(keys, dropna=False, sort=False)[value]
            .agg(["sum", "size"])
            .rename(columns={"sum": value, "size": "rows"})
            .reset_index()
            .sort_values(value, ascending=False, kind="stable")
            .reset_index(drop=True)
        )
        return out

    def _labels(self, by: str) -> pd.Series:
        """A readable text key per row for ``composition``."""
        obj = self._obj
        if by == "chain_id":
            if "chain_name" in obj.columns:
                names = obj["chain_name"].astype(object)
                fallback = obj["chain_id"].astype(object).map(_chain_label)
                return names.where(names.notna(), fallback)
            return obj["chain_id"].astype(object).map(_chain_label)
        if by == "symbol":
            sym = obj["symbol"].astype(object)
            if "token" in obj.columns:
                sym = sym.where(sym.notna(), obj["token"].astype(object))
            return sym.fillna("(unknown)")
        if by == "protocol":
            name = obj["protocol_name"].astype(object) if "protocol_name" in obj.columns else None
            pid = obj["protocol"].astype(object)
            label = pid if name is None else name.where(name.notna(), pid)
            return label.fillna("(none)")
        return obj[by].astype(object).map(lambda v: "(none)" if pd.isna(v) else str(v))

    def composition(
        self,
        by: str = "symbol",
        *,
        top: int | None = 8,
        value: str = "value_usd",
    ) -> pd.DataFrame:
        """Shares of ``value`` by symbol, chain, protocol or wallet, with an "Other" bucket.

        Returns columns ``key`` (text: symbol, chain name, protocol name, wallet address),
        ``value_usd`` (named after ``value``) and ``share`` (a fraction; the shares sum to 1),
        sorted largest first with the ``top`` largest keys kept and the rest summed into
        ``"Other"`` (always last). Composition describes holdings, so debt rows and
        non-positive totals are left out. On a long current-value frame (``dimension``
        column) the rows of the matching dimension are used, e.g. ``by="chain"`` -> ``chain``.
        """
        col = _resolve_by(by)[0]
        obj = self._obj
        if "dimension" in obj.columns and col not in ("symbol", "token"):
            dim = _DIMENSIONS.get(col, col)
            rows = obj[obj["dimension"].astype(object) == dim]
            if rows.empty:
                dims = sorted(obj["dimension"].dropna().astype(str).unique())
                raise InputError(
                    f"composition(by={by!r}): no rows of dimension {dim!r}; this frame has "
                    f"{', '.join(dims)}"
                )
            label = rows["label"].astype(object) if "label" in rows.columns else rows["key"]
            label = label.where(label.notna(), rows["key"].astype(object)).astype(str)
            sums = rows[value].astype("float64").groupby(label.to_numpy()).sum()
        else:
            _require(obj, [col, value], f"composition(by={by!r})")
            values = obj[value].astype("float64")
            if "is_debt" in obj.columns:
                values = values.where(~obj["is_debt"].fillna(False).astype(bool), 0.0)
            sums = values.groupby(self._labels(col).to_numpy()).sum()
        sums = sums[sums > 0].sort_values(ascending=False, kind="stable")
        if top is not None and len(sums) > top:
            if top < 1:
                raise InputError(f"top={top!r}: expected a positive number of keys or None")
            rest = float(sums.iloc[top:].sum())
            sums = sums.iloc[:top]
            sums = pd.concat([sums, pd.Series({OTHER: rest})])
        total = float(sums.sum())
        out = pd.DataFrame(
            {
                "key": pd.array(list(map(str, sums.index)), dtype=pd.StringDtype("pyarrow")),
                value: sums.to_numpy(dtype="float64"),
            }
        )
        out["share"] = out[value] / total if total else float("nan")
        return out

    def pivot(
        self,
        values: str = "value_usd",
        index: str = "wallet",
        columns: str = "symbol",
        *,
        fill_value: float = 0.0,
    ) -> pd.DataFrame:
        """A wallet x token table of ``values`` (summed), e.g. ``values="balance"``.

        ``index``/``columns`` accept ``"chain"`` for ``chain_id``. Columns are ordered by
        their total, largest first.
        """
        idx, cols = _resolve_by(index)[0], _resolve_by(columns)[0]
        _require(self._obj, [values, idx, cols], "pivot")
        table = pd.pivot_table(
            self._obj,
            values=values,
            index=idx,
            columns=cols,
            aggfunc="sum",
            fill_value=fill_value,
            observed=True,
            dropna=False,
        )
        order = table.sum().sort_values(ascending=False, kind="stable").index
        return table[order]

    # -- joins -----------------------------------------------------------------------------

    def with_prices(
        self, prices: pd.DataFrame, *, on: Sequence[str] = ("chain_id", "token")
    ) -> pd.DataFrame:
        """Value Balance API rows with Portfolio prices: adds ``price_usd`` and ``value_usd``.

        ``prices`` is any frame with ``chain_id``, ``token`` and ``price_usd`` (a Portfolio
        tokens snapshot, for instance; its first non-missing price per token is used).
        ``value_usd = balance * price_usd``; tokens without a price get NaN. Existing
        ``price_usd``/``value_usd`` columns are replaced; rows and index are kept.
        """
        keys = list(on)
        _require(prices, [*keys, "price_usd"], "with_prices(prices)")
        _require(self._obj, [*keys, "balance"], "with_prices")
        table = (
            prices[[*keys, "price_usd"]]
            .dropna(subset=["price_usd"])
            .drop_duplicates(subset=keys, keep="first")
        )
        left = self._obj.drop(columns=["price_usd", "value_usd"], errors="ignore")
        merged = left[keys].merge(table, on=keys, how="left", validate="many_to_one")
        out = left.copy()
        out["price_usd"] = merged["price_usd"].to_numpy(dtype="float64", na_value=float("nan"))
        out["value_usd"] = out["balance"].astype("float64") * out["price_usd"]
        return out

    def reconcile(
        self,
        current_value: pd.DataFrame,
        protocols: pd.DataFrame | None = None,
        **options: Any,
    ) -> pd.DataFrame:
        """Compare this tokens snapshot (plus ``protocols``) with ``current_value`` per chain.

        See :func:`inchframe.frames.reconcile.reconcile` for the rules and ``options``
        (``debt``, ``rtol``, ``atol``).
        """
        from .frames.reconcile import reconcile

        return reconcile(self._obj, protocols, current_value, **options)

    # -- snapshots over time and Parquet ---------------------------------------------------

    def with_snapshot_time(
        self,
        at: dt.datetime | str | pd.Timestamp | None = None,
        *,
        date_column: str = "snapshot_date",
        time_column: str = "snapshot_at",
    ) -> pd.DataFrame:
        """A copy with ``snapshot_at`` (UTC timestamp) and ``snapshot_date`` (``YYYY-MM-DD``).

        ``at`` defaults to the frame's ``fetched_at`` provenance, else now. Partition a dataset
        by ``snapshot_date`` to append one snapshot per day (:meth:`to_parquet`).
        """
        if at is None:
            at = self.provenance.get("fetched_at") or pd.Timestamp.now(tz="UTC")
        stamp = pd.Timestamp(at)
        stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
        out = self._obj.copy()
        out[time_column] = pd.Series(
            [stamp] * len(out), index=out.index, dtype=pd.DatetimeTZDtype("ns", "UTC")
        )
        out[date_column] = pd.Series(
            [stamp.strftime("%Y-%m-%d")] * len(out),
            index=out.index,
            dtype=pd.StringDtype("pyarrow"),
        )
        return out

    def to_parquet(
        self,
        path: str | PathLike[str],
        partition_by: Sequence[str] | str | None = None,
        *,
        mode: Literal["overwrite", "append", "replace_partitions", "error"] = "overwrite",
        compression: str | None = "zstd",
    ) -> Path:
        """Write the frame to Parquet, atomically, with its provenance (see :mod:`inchframe.io`).

        A single file unless ``partition_by`` is given or ``path`` is a directory (a Hive
        dataset). ``mode="append"`` adds a batch (snapshots over time);
        ``mode="replace_partitions"`` replaces the partitions the frame has rows for (a
        snapshot taken again). Returns the path.
        """
        from .io import write_parquet

        return write_parquet(self._obj, path, partition_by, mode=mode, compression=compression)

    def to_delta(
        self,
        path: str | PathLike[str],
        partition_by: Sequence[str] | str | None = None,
        *,
        mode: Literal["append", "overwrite", "replace_partitions", "error"] = "append",
    ) -> Path:
        """Write the frame to a Delta Lake table in one atomic commit, with its provenance
        (see :func:`inchframe.io.write_delta`; read back with :func:`inchframe.read_delta`)."""
        from .io import write_delta

        return write_delta(self._obj, path, partition_by, mode=mode)

    @property
    def plot(self) -> InchPlotAccessor:
        """Plots: ``df.inch.plot.composition()``, ``.value_over_time()``, ``.pnl()``."""
        return InchPlotAccessor(self._obj)


class InchPlotAccessor:
    """``df.inch.plot``: thin wrappers over :mod:`inchframe.plot` (matplotlib loads lazily)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self._obj = frame

    def composition(self, by: str = "symbol", **options: Any) -> Axes:
        """Composition by symbol, chain, protocol or wallet (:func:`inchframe.plot.composition`)."""
        from .plot import composition

        return composition(self._obj, by=by, **options)

    def value_over_time(self, **options: Any) -> Axes:
        """Value over time from a chart frame (:func:`inchframe.plot.value_over_time`)."""
        from .plot import value_over_time

        return value_over_time(self._obj, **options)

    def pnl(self, by: str = "chain", **options: Any) -> Axes:
        """Profit and loss by chain, symbol or protocol (:func:`inchframe.plot.pnl`)."""
        from .plot import pnl

        return pnl(self._obj, by=by, **options)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(
            "df.inch.plot is a namespace: use df.inch.plot.composition(), "
            ".value_over_time() or .pnl(); df.plot() is pandas' own plotting"
        )
