"""The analysis behind ``df.inch``: pure functions of inchframe frames.

Every function takes a frame first and returns a new frame or Series; none does I/O or keeps
state. The accessor (:mod:`inchframe.accessor`) and the plots (:mod:`inchframe.plot`) both call
these, so a figure and the table it draws always agree.

One ``by=`` vocabulary serves them all (:data:`BY_ALIASES`): ``"chain"`` is ``chain_id``,
``"wallet"``/``"address"`` the wallet, ``"token"`` the token *address* and ``"symbol"`` the token
symbol (the same symbol on two chains is one key by symbol, two by token), ``"protocol"`` the
protocol. Plural forms are accepted. Any other name is taken as a column name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Literal

import pandas as pd

from .errors import InputError

__all__ = [
    "BY_ALIASES",
    "OTHER",
    "chain_label",
    "checksummed",
    "composition",
    "drop_dust",
    "human_amounts",
    "pivot",
    "raw_sum",
    "resolve_by",
    "totals",
    "with_human_amounts",
    "with_prices",
    "with_snapshot_time",
]

#: Columns holding addresses: :func:`checksummed` converts them.
ADDRESS_COLUMNS: tuple[str, ...] = ("wallet", "token", "spender", "contract_address")

#: Friendly ``by=`` names -> the column they mean, for every function and plot.
BY_ALIASES: dict[str, str] = {
    "chain": "chain_id",
    "chains": "chain_id",
    "wallets": "wallet",
    "address": "wallet",
    "addresses": "wallet",
    "tokens": "token",
    "symbols": "symbol",
    "protocols": "protocol",
}
#: ``by=`` columns -> the ``dimension`` of a long current-value frame.
DIMENSIONS: dict[str, str] = {
    "chain_id": "chain",
    "wallet": "address",
    "protocol": "protocol",
    "category": "category",
    "total": "total",
}
#: The bucket that sums the keys beyond ``top``.
OTHER = "Other"


def resolve_by(by: str | Sequence[str]) -> list[str]:
    """``"chain"`` -> ``["chain_id"]``; a list of names -> their columns, in order."""
    names = [by] if isinstance(by, str) else list(by)
    for name in names:
        if not isinstance(name, str):
            raise InputError(f"by={by!r}: expected a column name or a list of them")
    return [BY_ALIASES.get(name, name) for name in names]


def require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """InputError naming the columns ``what`` needs that ``frame`` lacks."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        hint = ""
        if "value_usd" in missing and "balance" in frame.columns:
            hint = " (value Balance API rows first: df.inch.with_prices(portfolio_tokens))"
        raise InputError(
            f"{what} needs column(s) {', '.join(map(repr, missing))}; the frame has "
            f"{', '.join(map(str, frame.columns[:20]))}{hint}"
        )


def chain_label(chain_id: Any) -> str:
    """A chain's display name (``"Ethereum"``); ``"all chains"`` for a missing id."""
    from .chains import chain_name

    if chain_id is None or pd.isna(chain_id):
        return "all chains"
    return chain_name(int(chain_id))


# -- exact amounts ---------------------------------------------------------------------------


def _raw_ints(series: pd.Series) -> list[int | None]:
    return [None if v is None or v is pd.NA else int(v) for v in series.astype(object)]


def _decimals(frame: pd.DataFrame) -> list[int | None]:
    if "decimals" not in frame.columns:
        raise InputError("human amounts need a 'decimals' column")
    return [None if pd.isna(v) else int(v) for v in frame["decimals"].astype(object)]


def raw_column(frame: pd.DataFrame, column: str | None) -> str:
    """``column``, checked; by default ``balance_raw``, else ``allowance_raw``."""
    if column is None:
        for candidate in ("balance_raw", "allowance_raw"):
            if candidate in frame.columns:
                return candidate
        raise InputError("no *_raw column (balance_raw, allowance_raw) in this frame")
    require(frame, [column], "raw amounts")
    return column


def human_amounts(
    frame: pd.DataFrame, column: str | None = None, *, as_decimal: bool = False
) -> pd.Series:
    """``column`` (default ``balance_raw``, else ``allowance_raw``) / 10**decimals, exactly.

    Floats are correctly rounded from the exact integer (Python int division), not computed
    from an already-rounded float. ``as_decimal=True`` gives exact :class:`~decimal.Decimal`
    objects (object dtype). Missing raw or decimals give NaN (float) or None (Decimal). The
    Series is named after the column without ``_raw``.
    """
    col = raw_column(frame, column)
    raws = _raw_ints(frame[col])
    decs = _decimals(frame)
    name = col.removesuffix("_raw")
    if as_decimal:
        values: list[Any] = [
            None if r is None or d is None else Decimal(f"{r}E-{d}")
            for r, d in zip(raws, decs, strict=True)
        ]
        return pd.Series(values, index=frame.index, dtype=object, name=name)
    floats = [
        float("nan") if r is None or d is None else r / 10**d
        for r, d in zip(raws, decs, strict=True)
    ]
    return pd.Series(floats, index=frame.index, dtype="float64", name=name)


def with_human_amounts(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with ``balance``/``allowance`` recomputed from ``*_raw`` and ``decimals``."""
    out = frame.copy()
    for raw in ("balance_raw", "allowance_raw"):
        if raw in out.columns:
            out[raw.removesuffix("_raw")] = human_amounts(frame, raw)
    return out


def raw_sum(
    frame: pd.DataFrame,
    column: str | None = None,
    by: str | Sequence[str] | None = None,
    *,
    as_int: bool = False,
) -> Any:
    """Exact sum of a ``*_raw`` column, overall or per group.

    Without ``by``: one decimal string (or Python int with ``as_int=True``). With ``by``: a
    Series indexed by the groups, of decimal strings (Arrow string dtype) or Python ints
    (object dtype). Missing values count as 0. Exact for any number of uint256 values.
    """
    col = raw_column(frame, column)
    ints = pd.Series(
        [0 if v is None else v for v in _raw_ints(frame[col])],
        index=frame.index,
        dtype=object,
    )
    if by is None:
        total = sum(ints, 0)
        return total if as_int else str(total)
    keys = resolve_by(by)
    require(frame, keys, "raw_sum(by=...)")
    grouped = ints.groupby([frame[k] for k in keys], sort=True, dropna=False)
    sums = grouped.agg(lambda s: sum(s, 0))
    sums.name = col
    if as_int:
        return sums.astype(object)
    return sums.map(str).astype(pd.StringDtype("pyarrow"))


# -- filtering and display -------------------------------------------------------------------


def zero_mask(frame: pd.DataFrame) -> pd.Series:
    """True where a row's balance is exactly zero (by ``balance_raw`` when present)."""
    zero = pd.Series(False, index=frame.index)
    if "balance_raw" in frame.columns:
        zero |= (
            frame["balance_raw"]
            .astype(object)
            .map(lambda v: v is not pd.NA and v is not None and int(v) == 0)
        ).astype(bool)
    else:
        for col in ("amount", "balance"):
            if col in frame.columns:
                zero |= (frame[col] == 0).fillna(False).astype(bool)
    return zero


def drop_dust(frame: pd.DataFrame, min_usd: float = 1.0, *, zero: bool = True) -> pd.DataFrame:
    """Rows worth at least ``min_usd`` (by ``|value_usd|``), without zero balances.

    Rows without a price (``value_usd`` NaN) are kept: unknown is not dust. Frames without
    ``value_usd`` (plain balances) only lose their zero rows. ``zero=False`` keeps zero
    balances.
    """
    keep = pd.Series(True, index=frame.index)
    if "value_usd" in frame.columns and min_usd > 0:
        value = frame["value_usd"].astype("float64")
        keep &= ~(value.abs() < min_usd).fillna(False).astype(bool)
    if zero:
        keep &= ~zero_mask(frame)
    return frame[keep.to_numpy()]


def checksummed(frame: pd.DataFrame, columns: Sequence[str] = ADDRESS_COLUMNS) -> pd.DataFrame:
    """A copy with address columns (wallet, token, spender...) in EIP-55 checksum form.

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

    out = frame.copy()
    for col in [*columns, "wallets"]:
        if col in out.columns:
            uniques = out[col].dropna().unique()
            mapping = {u: convert(u) for u in uniques}
            out[col] = out[col].map(mapping).astype(out[col].dtype)
    return out


# -- aggregation -----------------------------------------------------------------------------

Debt = Literal["net", "gross", "ignore"]


def signed_value(frame: pd.DataFrame, value: str, debt: Debt) -> pd.Series:
    """``value`` as float with debt rows negative (net), positive (gross) or 0 (ignore)."""
    if debt not in ("net", "gross", "ignore"):
        raise InputError(f"debt={debt!r}: accepted values are 'net', 'gross', 'ignore'")
    require(frame, [value], f"value={value!r}")
    values = frame[value].astype("float64")
    if "is_debt" not in frame.columns:
        return values
    if debt == "gross":
        return values.abs()
    is_debt = frame["is_debt"].fillna(False).astype(bool)
    if debt == "net":
        return values.where(~is_debt, -values.abs())
    return values.where(~is_debt, 0.0)


def totals(
    frame: pd.DataFrame,
    by: str | Sequence[str] = "chain_id",
    *,
    value: str = "value_usd",
    debt: Debt = "net",
) -> pd.DataFrame:
    """Sum of ``value`` per chain, token, symbol, wallet or protocol (largest first).

    Debt rows (``is_debt``) count negative with ``debt="net"`` (net worth), positive with
    ``"gross"``, not at all with ``"ignore"``. Also returns ``rows`` (how many rows each total
    adds up).
    """
    keys = resolve_by(by)
    require(frame, keys, "totals(by=...)")
    values = signed_value(frame, value, debt)
    table = frame[keys].assign(**{value: values})
    return (
        table.groupby(keys, dropna=False, sort=False)[value]
        .agg(["sum", "size"])
        .rename(columns={"sum": value, "size": "rows"})
        .reset_index()
        .sort_values(value, ascending=False, kind="stable")
        .reset_index(drop=True)
    )


def labels(frame: pd.DataFrame, column: str) -> pd.Series:
    """A readable text key per row: chain name, symbol, protocol name, or the column's text."""
    if column == "chain_id":
        fallback = frame["chain_id"].astype(object).map(chain_label)
        if "chain_name" in frame.columns:
            names = frame["chain_name"].astype(object)
            return names.where(names.notna(), fallback)
        return fallback
    if column == "symbol":
        sym = frame["symbol"].astype(object)
        if "token" in frame.columns:
            sym = sym.where(sym.notna(), frame["token"].astype(object))
        return sym.fillna("(unknown)")
    if column == "protocol":
        pid = frame["protocol"].astype(object)
        if "protocol_name" in frame.columns:
            name = frame["protocol_name"].astype(object)
            pid = name.where(name.notna(), pid)
        return pid.fillna("(none)")
    return frame[column].astype(object).map(lambda v: "(none)" if pd.isna(v) else str(v))


def composition(
    frame: pd.DataFrame,
    by: str = "symbol",
    *,
    top: int | None = 8,
    value: str = "value_usd",
) -> pd.DataFrame:
    """Shares of ``value`` by symbol, token, chain, protocol or wallet, with an "Other" bucket.

    Returns columns ``key`` (text: symbol, token address, chain name, protocol name, wallet),
    ``value_usd`` (named after ``value``) and ``share`` (a fraction; the shares sum to 1),
    sorted largest first with the ``top`` largest keys kept and the rest summed into
    ``"Other"`` (always last). Composition describes holdings, so debt rows and non-positive
    totals are left out. On a long current-value frame (``dimension`` column) the rows of the
    matching dimension are used, e.g. ``by="chain"`` -> ``chain``.
    """
    if top is not None and (isinstance(top, bool) or not isinstance(top, int) or top < 1):
        raise InputError(f"top={top!r}: expected a positive number of keys or None")
    col = resolve_by(by)[0]
    if "dimension" in frame.columns and col not in ("symbol", "token"):
        dim = DIMENSIONS.get(col, col)
        rows = frame[frame["dimension"].astype(object) == dim]
        if rows.empty:
            dims = sorted(frame["dimension"].dropna().astype(str).unique())
            raise InputError(
                f"composition(by={by!r}): no rows of dimension {dim!r}; this frame has "
                f"{', '.join(dims)}"
            )
        label = rows["label"].astype(object) if "label" in rows.columns else rows["key"]
        label = label.where(label.notna(), rows["key"].astype(object)).astype(str)
        sums = rows[value].astype("float64").groupby(label.to_numpy()).sum()
    else:
        require(frame, [col, value], f"composition(by={by!r})")
        values = frame[value].astype("float64")
        if "is_debt" in frame.columns:
            values = values.where(~frame["is_debt"].fillna(False).astype(bool), 0.0)
        sums = values.groupby(labels(frame, col).to_numpy()).sum()
    sums = sums[sums > 0].sort_values(ascending=False, kind="stable")
    if top is not None and len(sums) > top:
        rest = float(sums.iloc[top:].sum())
        sums = pd.concat([sums.iloc[:top], pd.Series({OTHER: rest})])
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
    frame: pd.DataFrame,
    values: str = "value_usd",
    index: str = "wallet",
    columns: str = "symbol",
    *,
    fill_value: float = 0.0,
) -> pd.DataFrame:
    """A wallet x token table of ``values`` (summed), columns ordered by total, largest first."""
    idx, cols = resolve_by(index)[0], resolve_by(columns)[0]
    require(frame, [values, idx, cols], "pivot")
    table = pd.pivot_table(
        frame,
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


# -- joins and time --------------------------------------------------------------------------


def with_prices(
    frame: pd.DataFrame, prices: pd.DataFrame, *, on: Sequence[str] = ("chain_id", "token")
) -> pd.DataFrame:
    """Value Balance API rows with Portfolio prices: adds ``price_usd`` and ``value_usd``.

    ``prices`` is any frame with ``chain_id``, ``token`` and ``price_usd`` (its first
    non-missing price per token is used). ``value_usd = balance * price_usd``; tokens without a
    price get NaN. Existing ``price_usd``/``value_usd`` columns are replaced; rows and index
    are kept.
    """
    keys = list(on)
    require(prices, [*keys, "price_usd"], "with_prices(prices)")
    require(frame, [*keys, "balance"], "with_prices")
    table = (
        prices[[*keys, "price_usd"]]
        .dropna(subset=["price_usd"])
        .drop_duplicates(subset=keys, keep="first")
    )
    left = frame.drop(columns=["price_usd", "value_usd"], errors="ignore")
    merged = left[keys].merge(table, on=keys, how="left", validate="many_to_one")
    out = left.copy()
    out["price_usd"] = merged["price_usd"].to_numpy(dtype="float64", na_value=float("nan"))
    out["value_usd"] = out["balance"].astype("float64") * out["price_usd"]
    return out


def with_snapshot_time(
    frame: pd.DataFrame,
    at: dt.datetime | str | pd.Timestamp | None = None,
    *,
    date_column: str = "snapshot_date",
    time_column: str = "snapshot_at",
) -> pd.DataFrame:
    """A copy with ``snapshot_at`` (UTC timestamp) and ``snapshot_date`` (``YYYY-MM-DD``).

    ``at`` defaults to the frame's ``fetched_at`` provenance, else now.
    """
    if at is None:
        at = frame.attrs.get("inchframe", {}).get("fetched_at") or pd.Timestamp.now(tz="UTC")
    try:
        stamp = pd.Timestamp(at)
    except (TypeError, ValueError) as exc:
        raise InputError(f"at={at!r}: expected a datetime, a Timestamp or an ISO date") from exc
    if pd.isna(stamp):
        raise InputError(f"at={at!r}: expected a datetime, a Timestamp or an ISO date")
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    out = frame.copy()
    out[time_column] = pd.Series(
        [stamp] * len(out), index=out.index, dtype=pd.DatetimeTZDtype("ns", "UTC")
    )
    out[date_column] = pd.Series(
        [stamp.strftime("%Y-%m-%d")] * len(out),
        index=out.index,
        dtype=pd.StringDtype("pyarrow"),
    )
    return out
