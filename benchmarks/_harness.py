"""Shared pieces of the benchmark suites: results, timing, machine description.

Speed is only ever judged as a ratio against a baseline measured in the same process and the
same run, from medians of several interleaved repetitions (the machine is shared and noisy).
Timed sections run with the cyclic garbage collector off, after a collection, as ``timeit``
does; memory is measured in a fresh child process.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Options", "Result", "machine", "median_times", "timed"]


@dataclass
class Options:
    """What the runner asked for."""

    quick: bool = False
    verbose: bool = False


@dataclass
class Result:
    """One row of the table.

    ``ratio`` is expressed the way the target is (``"≥ 50"`` means ratio >= 50); ``met`` is None
    for rows that are informational only.
    """

    suite: str
    benchmark: str
    measured: float
    baseline: float | None
    unit: str
    ratio: float | None
    target: str
    met: bool | None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def check(value: float | None, target: str) -> bool | None:
    """Evaluate ``value`` against a target such as ``"≥ 50"`` or ``"≤ 2.0"`` (None: info)."""
    if value is None or not target:
        return None
    op, _, number = target.partition(" ")
    limit = float(number.rstrip("x").split()[0])
    if op == "≥":
        return value >= limit
    if op == "≤":
        return value <= limit
    raise ValueError(f"unknown target {target!r}")


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds for one call of ``fn`` (GC collected before, disabled during) and its result."""
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        out = fn()
        elapsed = time.perf_counter() - start
    finally:
        if enabled:
            gc.enable()
    return elapsed, out


def median_times(
    candidates: dict[str, Callable[[], Any]], repeats: int, *, once: Sequence[str] = ()
) -> dict[str, float]:
    """Median seconds per candidate, running them interleaved (A B C A B C ...) so that load
    changes on the machine hit every candidate alike. Names in ``once`` run in the first round
    only (slow baselines at the largest sizes)."""
    times: dict[str, list[float]] = {name: [] for name in candidates}
    for round_ in range(repeats):
        order = list(candidates)
        if round_ % 2:
            order.reverse()
        for name in order:
            if round_ and name in once:
                continue
            elapsed, result = timed(candidates[name])
            del result
            times[name].append(elapsed)
    return {name: statistics.median(values) for name, values in times.items()}


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gib() -> float | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def machine() -> dict[str, Any]:
    """Where the figures came from."""
    import numpy
    import pandas
    import pyarrow

    versions = {
        "python": platform.python_version(),
        "pandas": pandas.__version__,
        "pyarrow": pyarrow.__version__,
        "numpy": numpy.__version__,
    }
    for name in ("orjson", "requests", "requests_cache", "requests_ratelimiter", "pyrate_limiter"):
        try:
            from importlib.metadata import version

            versions[name] = version(name.replace("_", "-"))
        except Exception:  # a missing optional package is just not listed
            continue
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpu": _cpu_model(),
        "ram_gib": _ram_gib(),
        "platform": platform.platform(),
        "load_average": [round(x, 2) for x in load] if load else None,
        "versions": versions,
        "executable": sys.executable,
    }
