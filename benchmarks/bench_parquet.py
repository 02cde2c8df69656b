"""Parquet: writing a 1M-row frame against building it, reading it back against rebuilding it.

For a Balance frame (``balances/{wallet}`` bodies) and a v5 token snapshot frame: the build is
the converter on the raw response bodies (as in the frames benchmark); the write is
``inchframe.io.write_parquet`` (zstd by default, atomic: temporary file, fsync, rename); the read
is ``inchframe.read_parquet``, which restores the dtypes and attrs (checked equal to the frame).
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import pandas as pd

from . import payloads
from ._harness import Options, Result, check, median_times

NAME = "parquet"


def run(options: Options) -> list[Result]:
    import inchframe
    from inchframe.frames import balance as fb
    from inchframe.frames import portfolio_v5 as p5
    from inchframe.io import write_parquet

    rows = 100_000 if options.quick else 1_000_000
    repeats = 3
    cases = {
        "balances": (payloads.balance_maps, lambda p: fb.balances_frame(p, keep_zero=True)),
        "v5 tokens_snapshot": (payloads.tokens_snapshot, p5.tokens_snapshot),
    }
    results = []
    for name, (generate, convert) in cases.items():
        pairs = generate(rows)
        frame = convert(pairs)
        frame.attrs["inchframe"] = {"frame": "bench", "endpoint": name}
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "frame.parquet"
            t = median_times(
                {
                    "build": functools.partial(convert, pairs),
                    "write": functools.partial(write_parquet, frame, path),
                    "read": functools.partial(inchframe.read_parquet, path),
                },
                repeats,
            )
            size = path.stat().st_size
            back = inchframe.read_parquet(path)
        pd.testing.assert_frame_equal(back, frame, check_exact=True)
        label = f"{name} {rows // 1000}k rows"
        write_ratio = t["write"] / t["build"]
        read_ratio = t["build"] / t["read"]
        note = f"zstd, {size / len(frame):.1f} bytes/row on disk ({size / 2**20:.1f} MiB)"
        results.append(
            Result(
                NAME,
                f"{label}: write / build",
                t["write"] * 1e3,
                t["build"] * 1e3,
                "ms",
                write_ratio,
                "≤ 0.25",
                check(write_ratio, "≤ 0.25"),
                note,
            )
        )
        results.append(
            Result(
                NAME,
                f"{label}: rebuild from JSON / read",
                t["read"] * 1e3,
                t["build"] * 1e3,
                "ms",
                read_ratio,
                "≥ 15",
                check(read_ratio, "≥ 15"),
                f"median of {repeats}",
            )
        )
        results.append(
            Result(
                NAME,
                f"{label}: bytes per row on disk",
                size / len(frame),
                frame.memory_usage(deep=True).sum() / len(frame),
                "B/row",
                size / frame.memory_usage(deep=True).sum(),
                "",
                None,
                "info: baseline = bytes per row in memory",
            )
        )
        if options.verbose:
            print(f"  {label}: {t}", flush=True)
    return results
