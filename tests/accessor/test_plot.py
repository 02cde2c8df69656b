"""Plots render with Agg, return Axes, never call show(), and label what they show."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib.axes import Axes

from inchframe import plot as P
from inchframe.errors import InputError

from . import frames as F


def _save(ax: Axes, path: Path) -> int:
    ax.figure.savefig(path, dpi=100)
    return path.stat().st_size


@pytest.mark.parametrize("kind", ["bar", "donut", "stacked"])
@pytest.mark.parametrize("by", ["symbol", "chain", "protocol", "wallet"])
def test_composition_kinds(tmp_path: Path, kind: str, by: str) -> None:
    frame = F.protocols_snapshot() if by == "protocol" else F.tokens_snapshot()
    stack = "chain" if by == "wallet" else "wallet"
    ax = frame.inch.plot.composition(by=by, kind=kind, top=5, stack=stack)
    assert isinstance(ax, Axes)
    assert _save(ax, tmp_path / f"{by}-{kind}.png") > 5_000
    texts = [t.get_text() for t in ax.texts] + [t.get_text() for t in ax.get_yticklabels()]
    if ax.get_legend():
        texts += [t.get_text() for t in ax.get_legend().get_texts()]
    joined = " ".join(texts)
    assert "$" in joined
    assert "%" in joined
    if by == "symbol":
        assert "Other" in joined


def test_composition_bar_labels_match_shares() -> None:
    tok = F.tokens_snapshot()
    comp = tok.inch.composition(by="symbol", top=4)
    ax = P.composition(tok, by="symbol", top=4)
    labels = [t.get_text().strip() for t in ax.texts]
    first = comp.iloc[0]
    assert labels[0] == f"{P.format_usd(first.value_usd)} · {first.share:.1%}"
    assert [t.get_text() for t in ax.get_yticklabels()][-1] == "Other"


def test_composition_stacked_percent_labels(tmp_path: Path) -> None:
    # wallet A: ETH 60%, USDC 39.7%, DAI 0.3% (too thin for a label); wallet B: ETH 50%, USDC 50%
    rows = [
        (F.VITALIK, "ETH", 60_000.0),
        (F.VITALIK, "USDC", 39_700.0),
        (F.VITALIK, "DAI", 300.0),
        (F.BINANCE, "ETH", 20_000.0),
        (F.BINANCE, "USDC", 20_000.0),
    ]
    frame = pd.DataFrame(rows, columns=["wallet", "symbol", "value_usd"]).assign(chain_id=1)
    ax = frame.inch.plot.composition(by="symbol", kind="stacked", stack="wallet")
    assert _save(ax, tmp_path / "stacked.png") > 5_000
    texts = [t.get_text() for t in ax.texts]
    assert sorted(t for t in texts if t.endswith("%")) == ["40%", "50%", "50%", "60%"]
    assert {"$100k", "$40k"} <= set(texts)  # bar totals on top, as before
    by_x = {}
    for t in ax.texts:
        if t.get_text().endswith("%"):
            x, y = t.get_position()
            by_x.setdefault(round(x), []).append(y)
            assert t.get_ha() == "center" and t.get_va() == "center"
    # each label is centred in its segment (ETH at the bottom, then USDC); the DAI sliver on top
    # of wallet A gets none
    assert sorted(by_x[0]) == pytest.approx([30_000.0, 79_850.0])
    assert sorted(by_x[1]) == pytest.approx([10_000.0, 30_000.0])
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "DAI" in legend  # unlabelled segments stay identifiable through the legend


def test_given_axes_is_used_and_returned(tmp_path: Path) -> None:
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    tok = F.tokens_snapshot()
    assert tok.inch.plot.composition(by="chain", ax=axes[0]) is axes[0]
    assert F.chart().inch.plot.value_over_time(ax=axes[1]) is axes[1]
    assert F.metrics(tok).inch.plot.pnl(ax=axes[2]) is axes[2]
    fig.savefig(tmp_path / "grid.png")


@pytest.mark.parametrize("kind", ["line", "area"])
def test_value_over_time(tmp_path: Path, kind: str) -> None:
    chart = F.chart()
    ax = chart.inch.plot.value_over_time(kind=kind)
    assert _save(ax, tmp_path / f"value-{kind}.png") > 5_000
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "0xd8dA…6045" in legend  # one series per wallet, checksummed and shortened
    if kind == "line":
        assert "total" in legend
        total = ax.get_lines()[-1].get_ydata()
        assert total[-1] == pytest.approx(chart.groupby("timestamp").value_usd.sum().iloc[-1])
    assert ax.yaxis.get_major_formatter()(1e5, 0) == "$100k"


def test_value_over_time_single_series_and_by_chain(tmp_path: Path) -> None:
    chart = F.chart(wallets=(F.VITALIK,))
    ax = chart.inch.plot.value_over_time()
    assert ax.get_legend() is None and len(ax.get_lines()) == 1
    per_chain = F.chart(wallets=(F.VITALIK,)).assign(chain_id=1)
    other = per_chain.assign(chain_id=8453, value_usd=per_chain.value_usd / 3)
    both = pd.concat([per_chain, other], ignore_index=True)
    ax = both.inch.plot.value_over_time(by="chain")
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert {"Ethereum", "Base", "total"} <= set(legend)


@pytest.mark.parametrize("by", ["chain", "symbol", "wallet"])
def test_pnl_diverging(tmp_path: Path, by: str) -> None:
    tok = F.tokens_snapshot()
    metrics = F.metrics(tok)
    ax = metrics.inch.plot.pnl(by=by, snapshot=tok if by == "symbol" else None)
    assert _save(ax, tmp_path / f"pnl-{by}.png") > 5_000
    bars = ax.patches
    assert any(b.get_width() > 0 for b in bars) and any(b.get_width() < 0 for b in bars)
    for bar in bars:
        color = bar.get_facecolor()[:3]
        green = tuple(int(P.GAIN_COLOR[i : i + 2], 16) / 255 for i in (1, 3, 5))
        red = tuple(int(P.LOSS_COLOR[i : i + 2], 16) / 255 for i in (1, 3, 5))
        assert color == pytest.approx(green if bar.get_width() >= 0 else red)
    if by == "chain":
        expected = metrics.groupby("chain_id").profit_usd.sum()
        assert sorted(b.get_width() for b in bars) == pytest.approx(sorted(expected))
    labels = [t.get_text() for t in ax.texts]
    assert any(t.startswith("+$") for t in labels) and any(t.startswith("-$") for t in labels)


def test_pnl_without_labels_explains() -> None:
    with pytest.raises(InputError, match="snapshot="):
        F.metrics().inch.plot.pnl(by="symbol")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "$0"),
        (950, "$950"),
        (1234.5, "$1.2k"),
        (3_400_000, "$3.4M"),
        (-1500, "-$1.5k"),
        (2.5e9, "$2.5B"),
        (0.42, "$0.42"),
        (1000, "$1k"),
        (float("nan"), "n/a"),
    ],
)
def test_format_usd(value: float, text: str) -> None:
    assert P.format_usd(value) == text


def test_format_usd_signed() -> None:
    assert P.format_usd(1200, signed=True) == "+$1.2k"
    assert P.format_usd(-1200, signed=True) == "-$1.2k"
