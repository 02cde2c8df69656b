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
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from . import analysis

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["MINIMAL_COLUMNS", "InchAccessor", "InchPlotAccessor"]

#: Columns every frame the accessor accepts has: every inchframe loader frame carries
#: ``chain_id`` (supported chains, reports and breakdowns too); methods that need more columns
#: raise InputError naming them.
MINIMAL_COLUMNS: tuple[str, ...] = ("chain_id",)

#: Columns holding addresses: :meth:`InchAccessor.checksummed` converts them.
ADDRESS_COLUMNS: tuple[str, ...] = analysis.ADDRESS_COLUMNS
OTHER = analysis.OTHER


def __getattr__(name: str) -> Any:
    # ``_chain_label`` was private here before the analysis module existed; plots imported it.
    if name == "_chain_label":
        import warnings

        warnings.warn(
            "inchframe.accessor._chain_label moved to inchframe.analysis.chain_label",
            DeprecationWarning,
            stacklevel=2,
        )
        return analysis.chain_label
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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

    def human_amounts(self, column: str | None = None, *, as_decimal: bool = False) -> pd.Series:
        """``column`` / 10**decimals, exactly (:func:`inchframe.analysis.human_amounts`)."""
        return analysis.human_amounts(self._obj, column, as_decimal=as_decimal)

    def with_human_amounts(self) -> pd.DataFrame:
        """A copy with ``balance``/``allowance`` recomputed from ``*_raw`` and ``decimals``."""
        return analysis.with_human_amounts(self._obj)

    def raw_sum(
        self,
        column: str | None = None,
        by: str | Sequence[str] | None = None,
        *,
        as_int: bool = False,
    ) -> Any:
        """Exact sum of a ``*_raw`` column (:func:`inchframe.analysis.raw_sum`)."""
        return analysis.raw_sum(self._obj, column, by, as_int=as_int)

    # -- filtering and display -------------------------------------------------------------

    def drop_dust(self, min_usd: float = 1.0, *, zero: bool = True) -> pd.DataFrame:
        """Rows worth at least ``min_usd``, no zeros (:func:`inchframe.analysis.drop_dust`)."""
        return analysis.drop_dust(self._obj, min_usd, zero=zero)

    def checksummed(self, columns: Sequence[str] = ADDRESS_COLUMNS) -> pd.DataFrame:
        """A copy with address columns in EIP-55 checksum form (inchframe keeps lowercase)."""
        return analysis.checksummed(self._obj, columns)

    # -- aggregation -----------------------------------------------------------------------

    def totals(
        self,
        by: str | Sequence[str] = "chain_id",
        *,
        value: str = "value_usd",
        debt: Literal["net", "gross", "ignore"] = "net",
    ) -> pd.DataFrame:
        """Sum of ``value`` per group, largest first (:func:`inchframe.analysis.totals`)."""
        return analysis.totals(self._obj, by, value=value, debt=debt)

    def composition(
        self, by: str = "symbol", *, top: int | None = 8, value: str = "value_usd"
    ) -> pd.DataFrame:
        """Shares of ``value`` with an "Other" bucket (:func:`~inchframe.analysis.composition`)."""
        return analysis.composition(self._obj, by, top=top, value=value)

    def pivot(
        self,
        values: str = "value_usd",
        index: str = "wallet",
        columns: str = "symbol",
        *,
        fill_value: float = 0.0,
    ) -> pd.DataFrame:
        """A wallet x token table of ``values`` (:func:`~inchframe.analysis.pivot`)."""
        return analysis.pivot(self._obj, values, index, columns, fill_value=fill_value)

    # -- joins -----------------------------------------------------------------------------

    def with_prices(
        self, prices: pd.DataFrame, *, on: Sequence[str] = ("chain_id", "token")
    ) -> pd.DataFrame:
        """Value balances with Portfolio prices (:func:`inchframe.analysis.with_prices`)."""
        return analysis.with_prices(self._obj, prices, on=on)

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
        """A copy with ``snapshot_at``/``snapshot_date`` (default: the fetch time)."""
        return analysis.with_snapshot_time(
            self._obj, at, date_column=date_column, time_column=time_column
        )

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
