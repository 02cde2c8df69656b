"""Plots of inchframe frames (matplotlib, imported on first use).

Every function takes ``ax=None`` (a new figure with constrained layout when None), returns the
Axes and never calls ``show()``. Axes are USD-formatted ($1.2k, $3.4M), legends sit outside the
data, and the "Other" bucket is grey. Also reachable as ``df.inch.plot.<name>(...)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from . import analysis
from .analysis import chain_label
from .errors import InputError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["composition", "format_usd", "pnl", "value_over_time"]

OTHER_COLOR = "#b8b8b8"
GAIN_COLOR = "#2e9e4f"
LOSS_COLOR = "#d1403a"


def format_usd(value: float, *, signed: bool = False, decimals: int = 1) -> str:
    """``1234.5`` -> ``"$1.2k"``, ``3.4e6`` -> ``"$3.4M"``; ``signed`` adds ``+`` to gains."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    sign = "-" if value < 0 else ("+" if signed and value > 0 else "")
    size = abs(value)
    for limit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if size >= limit:
            text = f"{size / limit:.{decimals}f}".rstrip("0").rstrip(".")
            return f"{sign}${text}{suffix}"
    if size >= 100 or size == 0:
        return f"{sign}${size:.0f}"
    return f"{sign}${size:.2f}"


def _tick_decimals(value: float, step: float) -> int:
    """Decimals that keep neighbouring ticks ``step`` apart distinct ($1.085M, $1.090M)."""
    size = abs(value)
    unit = next((limit for limit in (1e12, 1e9, 1e6, 1e3) if size >= limit), 1.0)
    if not step > 0 or unit == 1.0:
        return 1
    return max(1, min(4, math.ceil(-math.log10(step / unit))))


def _usd_axis(axis: Any) -> None:
    from matplotlib.ticker import FuncFormatter

    def label(value: float, _pos: int) -> str:
        ticks = sorted(axis.get_majorticklocs())
        steps = [b - a for a, b in pairwise(ticks) if b > a]
        return format_usd(value, decimals=_tick_decimals(value, min(steps, default=0.0)))

    axis.set_major_formatter(FuncFormatter(label))


def _new_axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _fig, new = plt.subplots(figsize=figsize, layout="constrained")
    return new


def short_address(address: str) -> str:
    """``0xd8dA…6045`` (checksummed) for labels; other text unchanged."""
    from .addresses import is_address, to_checksum_address

    if isinstance(address, str) and is_address(address):
        full = to_checksum_address(address)
        return f"{full[:6]}…{full[-4:]}"
    return str(address)


def _palette(keys: Sequence[str]) -> dict[str, Any]:
    """A stable color per key (tab10, then tab20); "Other" grey."""
    import matplotlib as mpl

    tab10 = [mpl.colormaps["tab10"](i) for i in range(10)]
    tab20 = [mpl.colormaps["tab20"](i) for i in range(20)]
    base = [c for i, c in enumerate(tab10) if i != 7]  # 7 is grey
    extra = [c for i, c in enumerate(tab20) if i % 2 and i != 15]
    colors = base + extra
    out: dict[str, Any] = {}
    i = 0
    for key in keys:
        if key == "Other":
            out[key] = OTHER_COLOR
        else:
            out[key] = colors[i % len(colors)]
            i += 1
    return out


def _text_color(color: Any) -> str:
    """White on dark fills, near-black on light ones (relative luminance)."""
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(color)
    return "white" if 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.55 else "#222222"


def _display(key: str, by: str, symbols: dict[str, str] | None = None) -> str:
    """A key as a label: short wallet addresses; token addresses with their symbol."""
    if by == "wallet":
        return short_address(key)
    if by == "token" and key != analysis.OTHER:
        symbol = (symbols or {}).get(key)
        return f"{symbol} ({short_address(key)})" if symbol else short_address(key)
    return str(key)


def _token_symbols(frame: pd.DataFrame) -> dict[str, str]:
    """token address -> its symbol, for labels of ``by="token"`` plots."""
    if "token" not in frame.columns or "symbol" not in frame.columns:
        return {}
    pairs = frame[["token", "symbol"]].dropna().drop_duplicates("token")
    return {str(t): str(s) for t, s in zip(pairs["token"], pairs["symbol"], strict=True)}


def _by_column(by: str) -> str:
    """The column a ``by=`` name means (the one vocabulary of :mod:`inchframe.analysis`)."""
    return analysis.resolve_by(by)[0]


_TITLE_BY = {
    "symbol": "token",
    "token": "token address",
    "chain_id": "chain",
    "protocol": "protocol",
    "wallet": "wallet",
}

#: What a frame's values count, by the endpoint that made it (df.attrs provenance), so
#: titles of tokens-only and tokens-plus-DeFi figures cannot be confused: (subject, note).
_SUBJECT: dict[str, tuple[str, str]] = {
    "tokens_snapshot": ("Token holdings", "DeFi positions not included"),
    "protocols_snapshot": ("DeFi positions", ""),
    "current_value": ("Portfolio", "tokens and DeFi positions"),
    "chart": ("Portfolio value", "tokens and DeFi positions"),
    "value_chart": ("Portfolio value", "tokens and DeFi positions"),
}


def _subject(frame: pd.DataFrame, default: str) -> tuple[str, str]:
    """(what the figure shows, a note on what it counts) from the frame's provenance."""
    info = frame.attrs.get("inchframe")
    endpoint = info.get("endpoint") if isinstance(info, dict) else None
    return _SUBJECT.get(str(endpoint).rsplit(".", 1)[-1], (default, ""))


def _with_note(title: str, note: str) -> str:
    return f"{title} ({note})" if note else title


def composition(
    frame: pd.DataFrame,
    *,
    by: str = "symbol",
    kind: Literal["bar", "donut", "stacked"] = "bar",
    top: int | None = 8,
    stack: str = "wallet",
    value: str = "value_usd",
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Portfolio composition by token (``symbol``), ``chain``, ``protocol`` or ``wallet``.

    ``kind="bar"``: horizontal bars labelled with USD and percent. ``"donut"``: a ring with
    percent labels and a legend (USD and percent) beside it, the total in the middle.
    ``"stacked"``: one bar per ``stack`` (``"wallet"`` or ``"chain"``), split by ``by``, with
    the USD total on each bar and each segment's percent of its bar inside it (segments too
    thin for the text stay unlabelled).
    The ``top`` largest keys are shown, the rest summed into a grey "Other".
    """
    col = _by_column(by)
    shares = analysis.composition(frame, col, top=top, value=value)
    if shares.empty:
        raise InputError(f"composition: nothing to plot (no positive {value!r})")
    what = _TITLE_BY.get(col, col)
    if "is_debt" in frame.columns and frame["is_debt"].fillna(False).astype(bool).any():
        what += " (assets; debt excluded)"
    total = float(shares[value].sum())
    keys = [str(k) for k in shares["key"]]
    colors = _palette(keys)
    subject, note = _subject(frame, "Portfolio")
    symbols = _token_symbols(frame) if col == "token" else None
    if kind == "bar":
        return _composition_bar(
            shares,
            keys,
            colors,
            col,
            value,
            total,
            ax,
            title or _with_note(f"{subject} by {what} · total {format_usd(total)}", note),
            symbols,
        )
    if kind == "donut":
        return _composition_donut(
            shares,
            keys,
            colors,
            col,
            value,
            total,
            ax,
            title or _with_note(f"{subject} by {what}", note),
            symbols,
        )
    if kind == "stacked":
        return _composition_stacked(
            frame, col, keys, colors, _by_column(stack), value, ax, title, what
        )
    raise InputError(f"kind={kind!r}: accepted values are 'bar', 'donut', 'stacked'")


def _composition_bar(
    shares: pd.DataFrame,
    keys: list[str],
    colors: dict[str, Any],
    col: str,
    value: str,
    total: float,
    ax: Axes | None,
    title: str,
    symbols: dict[str, str] | None = None,
) -> Axes:
    ax = _new_axes(ax, (8, 0.45 * len(keys) + 1.6))
    labels = [_display(k, col, symbols) for k in keys]
    values = shares[value].to_numpy()
    y = list(range(len(keys)))[::-1]  # largest at the top, Other at the bottom
    ax.barh(y, values, color=[colors[k] for k in keys], height=0.7)
    ax.set_yticks(y, labels)
    for yi, v, share in zip(y, values, shares["share"], strict=True):
        ax.text(v, yi, f"  {format_usd(v)} · {share:.1%}", va="center", ha="left", fontsize=9)
    ax.set_xlim(0, values.max() * 1.32)
    _usd_axis(ax.xaxis)
    ax.set_xlabel("value (USD)")
    ax.set_title(title)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    return ax


def _composition_donut(
    shares: pd.DataFrame,
    keys: list[str],
    colors: dict[str, Any],
    col: str,
    value: str,
    total: float,
    ax: Axes | None,
    title: str,
    symbols: dict[str, str] | None = None,
) -> Axes:
    ax = _new_axes(ax, (9, 5.5))
    values = shares[value].to_numpy()
    wedges, _texts, autotexts = ax.pie(
        values,
        colors=[colors[k] for k in keys],
        startangle=90,
        counterclock=False,
        wedgeprops={"width": 0.38, "edgecolor": "white", "linewidth": 1.2},
        autopct=lambda pct: f"{pct:.0f}%" if pct >= 4 else "",
        pctdistance=0.81,
    )
    for text, key in zip(autotexts, keys, strict=True):
        text.set_fontsize(9)
        text.set_color(_text_color(colors[key]))
        text.set_fontweight("bold")
    ax.text(
        0,
        0,
        f"{format_usd(total)}\ntotal",
        ha="center",
        va="center",
        fontsize=13,
        fontweight="bold",
    )
    legend = [
        f"{_display(k, col, symbols)}  {format_usd(v)} ({s:.1%})"
        for k, v, s in zip(keys, values, shares["share"], strict=True)
    ]
    ax.legend(
        wedges, legend, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False, fontsize=9
    )
    ax.set_aspect("equal")
    ax.set_title(title)
    return ax


_STACK_WIDTH = 0.65
_SEGMENT_FONTSIZE = 8


def _segment_percent_labels(
    ax: Axes,
    segments: list[tuple[int, float, float, str]],
    totals: list[float],
    colors: dict[str, Any],
) -> None:
    """Each segment's share of its bar, centred in it, when the segment can hold the text.

    A segment gets a label only when it is at least ~1.4 lines of text tall and its bar is wide
    enough for the text, measured on the Axes' current size (tiny segments stay unlabelled, so
    labels never overlap); the legend and the bar totals carry the rest.
    """
    from matplotlib.figure import Figure

    fig = ax.figure
    if not isinstance(fig, Figure):  # a SubFigure: measure on the figure that holds it
        fig = fig.figure
    box = ax.get_position()
    height_pt = box.height * fig.get_figheight() * 72
    width_pt = box.width * fig.get_figwidth() * 72
    low, high = ax.get_ylim()
    left, right = ax.get_xlim()
    if not (height_pt > 0 and high > low and right > left):
        return
    min_height = 1.4 * _SEGMENT_FONTSIZE / height_pt * (high - low)
    bar_pt = _STACK_WIDTH / (right - left) * width_pt
    for xi, base, height, key in segments:
        total = totals[xi]
        if not (height > 0 and total > 0) or height < min_height:
            continue
        share = height / total
        text = f"{share:.0%}" if share >= 0.01 else "<1%"
        if bar_pt < 0.62 * _SEGMENT_FONTSIZE * len(text) + 4:
            continue
        ax.text(
            xi,
            base + height / 2,
            text,
            ha="center",
            va="center",
            fontsize=_SEGMENT_FONTSIZE,
            color=_text_color(colors[key]),
            clip_on=True,
        )


def _composition_stacked(
    frame: pd.DataFrame,
    col: str,
    keys: list[str],
    colors: dict[str, Any],
    stack: str,
    value: str,
    ax: Axes | None,
    title: str | None,
    what: str,
) -> Axes:
    if stack not in ("wallet", "chain_id"):
        raise InputError(f"stack={stack!r}: accepted values are 'wallet', 'chain'")
    if stack not in frame.columns:
        raise InputError(f"stack={stack!r}: the frame has no {stack!r} column")
    shown = [k for k in keys if k != "Other"]
    parts = []
    for group, rows in frame.groupby(stack, sort=False, dropna=False):
        comp = analysis.composition(rows, col, top=None, value=value)
        series = comp.set_index("key")[value]
        series.index = series.index.astype(str)
        kept = series.reindex(shown).fillna(0.0)
        rest = float(series.drop(index=[k for k in shown if k in series.index]).sum())
        if "Other" in keys:
            kept["Other"] = rest
        parts.append(kept.rename(group))
    table = pd.DataFrame(parts).fillna(0.0)
    table = table.loc[table.sum(axis=1).sort_values(ascending=False).index]
    labels = [short_address(str(g)) if stack == "wallet" else chain_label(g) for g in table.index]
    symbols = _token_symbols(frame) if col == "token" else None
    ax = _new_axes(ax, (max(6.5, 1.3 * len(table) + 4.5), 5.5))
    x = range(len(table))
    bottom = [0.0] * len(table)
    segments: list[tuple[int, float, float, str]] = []  # (x, bottom, height, key) to label
    for key in table.columns:
        heights = table[key].to_numpy()
        ax.bar(
            x,
            heights,
            bottom=bottom,
            color=colors[key],
            width=_STACK_WIDTH,
            label=_display(key, col, symbols),
            edgecolor="white",
            linewidth=0.6,
        )
        segments += [(xi, b, h, key) for xi, b, h in zip(x, bottom, heights, strict=True)]
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    top_value = max(bottom) if bottom else 0.0
    ax.set_ylim(0, top_value * 1.1)
    _segment_percent_labels(ax, segments, bottom, colors)
    for xi, height in zip(x, bottom, strict=True):
        ax.text(
            xi,
            height + top_value * 0.01,
            format_usd(height),
            ha="center",
            va="bottom",
            fontsize=9,
            fontweight="bold",
        )
    ax.set_xticks(
        list(x),
        labels,
        rotation=0 if len(table) <= 5 else 30,
        ha="center" if len(table) <= 5 else "right",
    )
    _usd_axis(ax.yaxis)
    ax.set_ylabel("value (USD)")
    by_what = "wallet" if stack == "wallet" else "chain"
    subject, note = _subject(frame, "Portfolio")
    ax.set_title(title or _with_note(f"{subject} by {by_what}, split by {what}", note))
    handles, names = ax.get_legend_handles_labels()
    ax.legend(
        handles[::-1],
        names[::-1],
        title=what,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        frameon=False,
        fontsize=9,
    )
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    return ax


def _date_axis(ax: Axes) -> None:
    """Dates that always say their year: on the first tick and wherever the year changes."""
    import matplotlib.dates as mdates
    from matplotlib.ticker import FuncFormatter

    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    low, high = ax.get_xlim()
    if not 2 <= high - low <= 92:  # ConciseDateFormatter shows the year (ticks or offset)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, show_offset=True))
        return

    def label(value: float, pos: int | None) -> str:
        # "05 Dec" reads better than "05" + offset; the year joins the first tick and each
        # tick that starts a new year, so a reader never has to guess it
        moment = mdates.num2date(value)
        ticks = [t for t in ax.xaxis.get_majorticklocs() if low <= t <= high]
        earlier = [t for t in ticks if t < value]
        new_year = not earlier or mdates.num2date(max(earlier)).year != moment.year
        return moment.strftime("%d %b\n%Y" if new_year else "%d %b")

    ax.xaxis.set_major_formatter(FuncFormatter(label))


def _series_column(frame: pd.DataFrame, by: str | None) -> str | None:
    """The column whose values split the lines: ``by``, or whichever of wallet/chain varies."""
    if by is None:
        return next(
            (
                c
                for c in ("wallet", "chain_id")
                if c in frame.columns and frame[c].nunique(dropna=True) > 1
            ),
            None,
        )
    col = _by_column(by)
    if col not in frame.columns or frame[col].isna().all():
        why = "has no" if col not in frame.columns else "has only missing values in"
        hint = (
            " (a chart of several wallets asked together is one series: load one wallet per "
            "request, chunk_size=1, for a line per wallet)"
            if col == "wallet"
            else ""
        )
        raise InputError(f"value_over_time(by={by!r}): the frame {why} {col!r}{hint}")
    return col


def value_over_time(
    frame: pd.DataFrame,
    *,
    by: str | None = None,
    kind: Literal["line", "area"] = "line",
    total: bool | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Portfolio value over time from a chart frame (``timestamp``, ``value_usd``).

    One line per wallet or chain when the frame holds several (``by`` picks ``"wallet"`` or
    ``"chain"``; default: whichever varies). ``kind="area"`` stacks the series. ``total``
    adds a dashed total line (default: on when two or more series carry value; it is drawn
    beneath the series, so a series equal to the total stays visible).
    """
    for needed in ("timestamp", "value_usd"):
        if needed not in frame.columns:
            raise InputError(f"value_over_time needs a {needed!r} column (a chart frame)")
    if kind not in ("line", "area"):
        raise InputError(f"kind={kind!r}: accepted values are 'line', 'area'")
    col = _series_column(frame, by)
    ax = _new_axes(ax, (9, 4.8))
    data = frame.dropna(subset=["timestamp"]).sort_values("timestamp")
    if col is None:
        series = {"portfolio": data.groupby("timestamp")["value_usd"].sum()}
    else:
        series = {}
        for key, rows in data.groupby(col, sort=False, dropna=False):
            label = short_address(str(key)) if col == "wallet" else chain_label(key)
            series[label] = rows.groupby("timestamp")["value_usd"].sum()
    table = pd.DataFrame(series).sort_index()
    order: list[Any] = (
        list(table.iloc[-1].fillna(0).sort_values(ascending=False).index) if len(table) else []
    )
    table = table[order]
    colors = _palette(list(table.columns))
    if kind == "area":
        filled = table.fillna(0.0)
        ax.stackplot(
            filled.index,
            *[filled[c] for c in filled.columns],
            labels=list(filled.columns),
            colors=[colors[c] for c in filled.columns],
            alpha=0.85,
        )
    else:
        for name in table.columns:
            ax.plot(
                table.index, table[name], label=name, color=colors[name], linewidth=1.8, zorder=3
            )
        carrying = [c for c in table.columns if (table[c].fillna(0) != 0).any()]
        if total is None:
            total = len(carrying) > 1
        if total:
            ax.plot(
                table.index,
                table.sum(axis=1, min_count=1),
                label="total",
                color="black",
                linewidth=1.4,
                linestyle="--",
                zorder=2,
            )
    _date_axis(ax)
    _usd_axis(ax.yaxis)
    ax.set_ylabel("value (USD)")
    if kind == "area":
        ax.set_ylim(bottom=0)
    subject, note = _subject(frame, "Portfolio value")
    subject = _with_note(subject, note)
    if len(table):
        last = float(table.iloc[-1].sum())
        first = float(table.iloc[0].sum())
        change = (last / first - 1) if first else float("nan")
        when = pd.Timestamp(table.index[-1]).strftime("%Y-%m-%d")
        default = f"{subject} · {format_usd(last)} on {when} ({change:+.1%} over the period)"
    else:
        default = subject
    ax.set_title(title or default)
    if len(table.columns) > 1 or kind == "area":
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=9)
    ax.margins(x=0.01)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(alpha=0.3)
    return ax


def pnl(
    frame: pd.DataFrame,
    *,
    by: str = "chain",
    value: str = "profit_usd",
    top: int | None = 15,
    snapshot: pd.DataFrame | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Profit and loss by chain, token (``symbol``) or protocol: diverging green/red bars.

    Metrics frames have no ``symbol``/``protocol`` column, and no ``chain_id`` when they come
    from an all-chains request: pass the matching ``snapshot`` (tokens or protocols snapshot)
    and its labels are joined on ``position_index``. Rolled-up rows (``is_aggregate``) are
    left out when per-position rows exist. ``top`` keeps the largest gains and losses by
    absolute value; the title's net is always the whole frame's, and says how many bars of
    how many are shown when ``top`` leaves some out.
    """
    if top is not None and (isinstance(top, bool) or not isinstance(top, int) or top < 1):
        raise InputError(f"top={top!r}: expected a positive number of bars or None")
    col = _by_column(by)
    data = frame
    if value not in data.columns:
        raise InputError(f"pnl needs a {value!r} column (a metrics frame)")
    if "is_aggregate" in data.columns and (~data["is_aggregate"].astype(bool)).any():
        data = data[~data["is_aggregate"].astype(bool)]
    # metrics of an all-chains request leave chain_id empty: the snapshot knows the chains
    unlabelled = col not in data.columns or data[col].isna().all()
    if unlabelled:
        if snapshot is None or "position_index" not in data.columns:
            raise InputError(
                f"pnl(by={by!r}): the frame has no {col!r} values; pass snapshot=<tokens or "
                "protocols snapshot> to join its labels on position_index"
            )
        analysis.require(snapshot, ["position_index", col], f"pnl(by={by!r}, snapshot=...)")
        labels = snapshot[["position_index", col]].drop_duplicates("position_index")
        data = data.drop(columns=[col], errors="ignore").merge(
            labels, on="position_index", how="left"
        )
    if col == "chain_id":
        keys = data["chain_id"].astype(object).map(chain_label)
    elif col == "wallet":
        keys = data["wallet"].astype(object).map(lambda w: short_address(str(w)))
    elif col == "token":
        symbols = _token_symbols(snapshot if unlabelled and snapshot is not None else data)
        keys = (
            data["token"]
            .astype(object)
            .map(lambda t: "(unknown)" if pd.isna(t) else _display(str(t), "token", symbols))
        )
    else:
        keys = data[col].astype(object).fillna("(unknown)").astype(str)
    if unlabelled:  # e.g. closed positions, which the current snapshot no longer lists
        keys = keys.where(data[col].notna().to_numpy(), "not in snapshot")
    sums = data[value].astype("float64").groupby(keys.to_numpy()).sum()
    sums = sums[sums != 0]
    net = float(sums.sum())  # the whole frame's figure, before ``top`` picks bars
    groups = len(sums)
    if top is not None and len(sums) > top:
        sums = sums.loc[sums.abs().sort_values(ascending=False).index[:top]]
    sums = sums.sort_values()
    if sums.empty:
        raise InputError("pnl: nothing to plot (all profits are zero or missing)")
    ax = _new_axes(ax, (8, 0.42 * len(sums) + 1.8))
    y = range(len(sums))
    colors = [GAIN_COLOR if v >= 0 else LOSS_COLOR for v in sums]
    ax.barh(list(y), sums.to_numpy(), color=colors, height=0.68)
    ax.set_yticks(list(y), list(sums.index))
    ax.axvline(0, color="black", linewidth=0.8)
    span = float(max(sums.max(), 0) - min(sums.min(), 0)) or 1.0
    for yi, v in zip(y, sums, strict=True):
        ax.text(
            v + (span * 0.01 if v >= 0 else -span * 0.01),
            yi,
            format_usd(v, signed=True),
            va="center",
            ha="left" if v >= 0 else "right",
            fontsize=9,
        )
    low, high = min(sums.min(), 0.0), max(sums.max(), 0.0)
    ax.set_xlim(low - span * 0.2 if low < 0 else 0, high + span * 0.2 if high > 0 else 0)
    _usd_axis(ax.xaxis)
    ax.set_xlabel(f"{value.replace('_usd', '').replace('_', ' ')} (USD)")
    what = _TITLE_BY.get(col, col)
    default = f"Profit and loss by {what} · net {format_usd(net, signed=True)}"
    if len(sums) < groups:
        default += f" (all {groups}; largest {len(sums)} shown)"
    ax.set_title(title or default)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    return ax
