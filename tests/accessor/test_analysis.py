"""inchframe.analysis: the functions behind df.inch and the plots, and the traps they close."""

from __future__ import annotations

import matplotlib.dates as mdates
import pandas as pd
import pytest

import inchframe.accessor as accessor_module
from inchframe import analysis
from inchframe import plot as P
from inchframe.errors import InputError

from . import frames as F


def _title(ax: object) -> str:
    return ax.get_title()  # type: ignore[attr-defined]


# -- one module, one vocabulary ------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda f: (f.inch.totals(by="chain"), analysis.totals(f, "chain")),
        lambda f: (f.inch.composition(by="token", top=3), analysis.composition(f, "token", top=3)),
        lambda f: (f.inch.pivot(), analysis.pivot(f)),
        lambda f: (f.inch.drop_dust(10), analysis.drop_dust(f, 10)),
    ],
)
def test_accessor_delegates_to_analysis(call: object) -> None:
    via_accessor, direct = call(F.tokens_snapshot())  # type: ignore[operator]
    pd.testing.assert_frame_equal(via_accessor, direct)


def test_by_vocabulary_is_one_for_tables_and_plots() -> None:
    tok = F.tokens_snapshot()
    by_token = analysis.composition(tok, "tokens", top=None)
    # "token(s)" is the token address everywhere; "symbol" is the symbol
    assert set(by_token["key"]) <= set(tok["token"].astype(str))
    by_symbol = analysis.composition(tok, "symbol", top=None)
    assert set(by_symbol["key"]) <= set(tok["symbol"].astype(str))
    ax = P.composition(tok, by="token", top=3)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    top_token = by_token.iloc[0]["key"]
    symbol = tok.loc[tok["token"] == top_token, "symbol"].iloc[0]
    assert labels[0].startswith(f"{symbol} (0x")  # symbol plus the short address it means
    assert "token address" in _title(ax)


def test_old_private_chain_label_still_imports_with_a_warning() -> None:
    with pytest.warns(DeprecationWarning, match="analysis.chain_label"):
        label = accessor_module._chain_label
    assert label(1) == "Ethereum"


def test_bad_top_and_debt_are_input_errors() -> None:
    tok = F.tokens_snapshot()
    for top in (0, -1, True, 2.5):
        with pytest.raises(InputError, match="top="):
            analysis.composition(tok, "symbol", top=top)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="debt="):
        analysis.totals(tok, "chain", debt="sideways")  # type: ignore[arg-type]


# -- titles say what they count ------------------------------------------------------------


def test_pnl_title_states_the_whole_frames_net_when_top_cuts() -> None:
    snap = F.tokens_snapshot()
    metrics = F.metrics(snap)
    whole = float(metrics["profit_usd"].sum())
    ax = P.pnl(metrics, by="symbol", snapshot=snap, top=3)
    title = _title(ax)
    assert f"net {P.format_usd(whole, signed=True)}" in title
    groups = snap["symbol"].nunique()
    assert f"all {groups}" in title and "largest 3 shown" in title
    assert len(ax.patches) == 3


def test_pnl_title_without_cut_has_no_shown_note() -> None:
    metrics = F.metrics()
    ax = P.pnl(metrics, by="chain", top=None)
    assert "shown" not in _title(ax)
    assert P.format_usd(float(metrics["profit_usd"].sum()), signed=True) in _title(ax)


def test_composition_titles_say_tokens_only_or_tokens_and_defi() -> None:
    tokens = F.tokens_snapshot()
    tokens.attrs["inchframe"] = {**tokens.attrs["inchframe"], "endpoint": "tokens_snapshot"}
    assert "DeFi positions not included" in _title(P.composition(tokens, by="symbol"))
    chart = F.chart()
    assert "tokens and DeFi positions" in _title(P.value_over_time(chart))


# -- value over time -----------------------------------------------------------------------


def test_value_over_time_by_wallet_with_no_wallets_says_why() -> None:
    chart = F.chart().assign(wallet=pd.array([pd.NA] * 180, dtype="string"))
    with pytest.raises(InputError, match="only missing values in 'wallet'"):
        P.value_over_time(chart, by="wallet")
    with pytest.raises(InputError, match="has no 'protocol'"):
        P.value_over_time(chart, by="protocol")


def _chain_chart() -> pd.DataFrame:
    stamps = pd.date_range(end="2026-01-01", periods=20, freq="D", tz="UTC")
    rows = [(t, 1000.0 + i, 1) for i, t in enumerate(stamps)]
    rows += [(t, 0.0, 8453) for t in stamps]  # a chain worth $0 throughout
    return pd.DataFrame(rows, columns=["timestamp", "value_usd", "chain_id"]).astype(
        {"chain_id": "Int64"}
    )


def test_a_zero_chain_does_not_hide_the_other_line_under_the_total() -> None:
    ax = P.value_over_time(_chain_chart())
    names = [line.get_label() for line in ax.get_lines()]
    assert "total" not in names  # only one series carries value: the total would cover it
    ax = P.value_over_time(_chain_chart(), total=True)
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert lines["total"].get_zorder() < lines["Ethereum"].get_zorder()


def test_time_axis_carries_the_year() -> None:
    ax = P.value_over_time(_chain_chart())
    ax.figure.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert any("2025" in label for label in labels) and any("2026" in label for label in labels)
    year_ticks = [label for label in labels if "\n" in label]
    assert len(year_ticks) == 2  # the first tick and the first of the new year
    long = F.chart(days=300)
    ax = P.value_over_time(long)
    ax.figure.canvas.draw()
    texts = [t.get_text() for t in ax.get_xticklabels()] + [ax.xaxis.get_offset_text().get_text()]
    assert any(str(y) in " ".join(texts) for y in (2025, 2026))
    assert mdates.num2date(ax.get_xlim()[1]).year == 2026
