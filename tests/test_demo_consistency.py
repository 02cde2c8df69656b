"""The demo's summary, files and charts describe the same thing at the same time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import inchframe as ifr
import inchframe.plot
from inchframe import demo as demo_module
from inchframe.demo import Demo

from .conftest import VITALIK


def test_snapshot_date_top_n_and_titles_agree(
    client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn: list[dict[str, Any]] = []
    real = inchframe.plot.composition

    def spy(frame: Any, **options: Any) -> Any:
        drawn.append(options)
        return real(frame, **options)

    monkeypatch.setattr(inchframe.plot, "composition", spy)
    lines: list[str] = []
    Demo(client, [VITALIK], ["ethereum", "base"], tmp_path, say=lines.append).run()
    text = "\n".join(lines)

    chart = ifr.portfolio.chart([VITALIK], ["ethereum", "base"], "1month", client=client)
    last_day = f"{chart['timestamp'].max():%Y-%m-%d}"
    # the Parquet snapshot is dated by the data's own clock, the one the chart ends at
    dates = [p.name for p in (tmp_path / "portfolio-snapshots").iterdir()]
    assert dates == [f"snapshot_date={last_day}"]
    assert f"token snapshot of {last_day}" in text
    assert f"(tokens and DeFi positions) on {last_day}" in text
    assert "tokens only" in text
    # the printed top list and the chart of tokens use one N
    assert f"top {demo_module.TOP_TOKENS} tokens" in text
    by_symbol = [o for o in drawn if o.get("by") == "symbol"]
    assert by_symbol and all(o["top"] == demo_module.TOP_TOKENS for o in by_symbol)
