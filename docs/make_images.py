"""Render the images of docs/plotting.md from the synthetic frames of tests/accessor/frames.py.

    python docs/make_images.py            # writes docs/images/*.png
    python docs/make_images.py composition_stacked.png   # only the named images

Swap the frames for sandbox or live data (``ifr.portfolio.tokens(...)``) to regenerate them
from real responses; the plot calls stay the same.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import matplotlib.pyplot as plt  # noqa: E402

import inchframe.accessor  # noqa: E402, F401 - registers df.inch
from tests.accessor import frames as F  # noqa: E402

OUT = ROOT / "docs" / "images"


def main(names: list[str] | None = None) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    tokens = F.tokens_snapshot()
    protocols = F.protocols_snapshot()
    chart = F.chart()
    metrics = F.metrics(tokens)
    shots = {
        "composition_bar.png": lambda: tokens.inch.plot.composition(by="symbol", top=8),
        "composition_donut.png": lambda: tokens.inch.plot.composition(by="chain", kind="donut"),
        "composition_stacked.png": lambda: tokens.inch.plot.composition(
            by="symbol", kind="stacked", stack="wallet", top=6
        ),
        "composition_protocols.png": lambda: protocols.inch.plot.composition(by="protocol"),
        "value_over_time.png": lambda: chart.inch.plot.value_over_time(),
        "value_over_time_area.png": lambda: chart.inch.plot.value_over_time(kind="area"),
        "pnl_chain.png": lambda: metrics.inch.plot.pnl(by="chain"),
        "pnl_symbol.png": lambda: metrics.inch.plot.pnl(by="symbol", snapshot=tokens),
    }
    unknown = sorted(set(names or ()) - set(shots))
    if unknown:
        raise SystemExit(f"unknown image(s): {', '.join(unknown)}; known: {', '.join(shots)}")
    for name, draw in shots.items():
        if names and name not in names:
            continue
        ax = draw()
        ax.figure.savefig(OUT / name, dpi=100)
        plt.close(ax.figure)
        print(f"wrote {OUT / name}")


if __name__ == "__main__":
    main(sys.argv[1:])
