"""Rate-limit saturation: how close the client gets to the server's limit without a 429.

The sandbox enforces R requests/s per key (a token bucket holding ``ceil(R)`` tokens); the
client is set to the same R. A batch of N requests (at least 60, and at least 10 s worth for
R >= 20) goes through :meth:`inchframe.Client.fetch_many`. The achieved rate is the sustained
rate the server saw, from its own arrival times, after the first second (which a full bucket
lets any client burst through): the least-squares slope of arrival number against arrival time,
which reads bursts and even pacing alike; a client sending at exactly the limit scores 100%.
``N / batch time`` is shown too.

Shared budgets (:mod:`inchframe.budget`): several processes on one key, each set to R, against
a server allowing R: the budget file next to the cache (the default), and Redis
(``INCHFRAME_LIMITER_URL``) when a ``redis-server`` can be started here. The figure is the same
server-side slope over all processes' requests, plus the 429s and the requests given up.
"""

from __future__ import annotations

import json
import math
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

from ._harness import Options, Result, check

NAME = "ratelimit"
RATES = (1, 5, 20)


def measure(rate: float, n: int, *, library_defaults: bool = False) -> dict[str, float]:
    """Send ``n`` status calls at ``rate``; what the server saw and what the user got.

    ``library_defaults``: requests-ratelimiter's own limiter settings (``rate`` per 1 s sliding
    window, 50 ms buffer) instead of inchframe's, for comparison.
    """
    from pyrate_limiter import Rate

    from inchframe import endpoints as ep
    from inchframe.client import Client
    from inchframe.sandbox import Sandbox

    with (
        tempfile.TemporaryDirectory() as budget_dir,
        Sandbox(rate_limit=rate) as sandbox,
        Client(
            "bench-key",
            base_url=sandbox.url,
            cache=False,
            cache_dir=budget_dir,  # the rate budget's file (the cache is off)
            rate=rate,
            progress=False,
        ) as client,
    ):
        if library_defaults:
            adapter = client.session.get_adapter(sandbox.url)
            adapter.limiter.bucket_factory.rates = [Rate(int(rate), 1000)]
            adapter.limiter.buffer_ms = 50
        client.fetch(ep.v5_status())  # connection up; then let the bucket refill
        time.sleep(math.ceil(rate) / rate + 0.2)
        sandbox.reset_stats()
        batch = client.fetch_many([ep.v5_status()] * n, progress=False)
        stats = sandbox.stats()
    arrivals = sorted(e["t"] for e in stats["recent"] if e["status"] == 200)
    later = [t for t in arrivals if t >= arrivals[0] + 1.0]
    slope = statistics.linear_regression(later, range(len(later))).slope
    burst = max(1, math.ceil(rate))
    return {
        "achieved": slope,
        "ok": len(arrivals),
        "failures": len(batch.failures),
        "server_429": stats["rate_limited"],
        "retries": batch.retries,
        "elapsed": batch.elapsed,
        "ideal": (n - burst) / rate,
    }


_WORKER = """
    import json, sys, time
    sys.path.insert(0, {repo!r})
    from pathlib import Path
    from inchframe import endpoints as ep
    from inchframe.client import Client
    with Client("bench-key", base_url={url!r}, cache=False, cache_dir={budget!r}, rate={rate},
                limiter_url={limiter!r}, progress=False) as client:
        open({ready!r}, "w").close()
        while not Path({go!r}).exists():
            time.sleep(0.01)
        batch = client.fetch_many([ep.v5_status()] * {n}, progress=False)
    Path({out!r}).write_text(json.dumps({{"failures": len(batch.failures)}}))
"""


def measure_processes(
    rate: float, processes: int, n: int, *, limiter_url: str | None = None
) -> dict[str, float]:
    """``processes`` processes on one key, each at ``rate`` and sending ``n`` status calls,
    sharing one budget (the file in one cache directory, or ``limiter_url``)."""
    from inchframe.sandbox import Sandbox

    repo = str(Path(__file__).resolve().parents[1])
    with tempfile.TemporaryDirectory() as tmp, Sandbox(rate_limit=rate) as sandbox:
        go = Path(tmp, "go")
        procs = []
        for i in range(processes):
            code = _WORKER.format(
                repo=repo,
                url=sandbox.url,
                budget=str(Path(tmp, "cache")),
                rate=rate,
                limiter=limiter_url,
                ready=str(Path(tmp, f"ready-{i}")),
                go=str(go),
                n=n,
                out=str(Path(tmp, f"out-{i}.json")),
            )
            procs.append(subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)]))
        while not all(Path(tmp, f"ready-{i}").exists() for i in range(processes)):
            if any(p.poll() is not None for p in procs):
                raise RuntimeError("a benchmark worker process died")
            time.sleep(0.05)
        time.sleep(math.ceil(rate) / rate + 0.2)  # the server's bucket full, as at rest
        sandbox.reset_stats()
        started = time.monotonic()
        go.touch()
        for proc in procs:
            proc.wait(600)
        elapsed = time.monotonic() - started
        stats = sandbox.stats()
        failures = sum(
            json.loads(Path(tmp, f"out-{i}.json").read_text())["failures"] for i in range(processes)
        )
    arrivals = sorted(e["t"] for e in stats["recent"] if e["status"] == 200)
    later = [t for t in arrivals if t >= arrivals[0] + 1.0]
    slope = statistics.linear_regression(later, range(len(later))).slope
    overall = (len(stats["recent"]) - 1) / (max(e["t"] for e in stats["recent"]) - arrivals[0])
    return {
        "achieved": slope,
        "overall": overall,
        "ok": len(arrivals),
        "failures": failures,
        "server_429": stats["rate_limited"],
        "elapsed": elapsed,
    }


def _redis_url(stack: Any) -> str | None:
    """A redis-server of the benchmark's own (tests/redis_server.py), or None."""
    try:
        from tests.redis_server import RedisUnavailable, start_redis
    except ImportError:
        return None
    try:
        return str(
            stack.enter_context(
                start_redis(Path(stack.enter_context(tempfile.TemporaryDirectory())))
            )
        )
    except RedisUnavailable:
        return None


def run_shared(options: Options) -> list[Result]:
    """Processes sharing one budget: SQLite next to the cache, and Redis."""
    from contextlib import ExitStack

    results = []
    with ExitStack() as stack:
        redis_url = _redis_url(stack)
        cases: list[tuple[str, float, int, int, str | None]] = [
            ("budget file", 1, 2, 10, None),
            ("budget file", 5, 4, 25, None),
        ]
        if redis_url:
            cases.append(("Redis", 20, 4, 100, redis_url))
        if options.quick:
            cases = cases[1:2]
        for where, rate, processes, n, url in cases:
            m = measure_processes(rate, processes, n, limiter_url=url)
            share = m["overall"] / rate
            note = (
                f"{processes} processes x {n} requests, each set to R; sustained "
                f"{m['achieved']:.2f}/s; {m['server_429']} x 429 at the server, "
                f"{m['failures']} given up; {m['elapsed']:.1f} s"
            )
            met = check(share, "≤ 1.05") and m["failures"] == 0 and m["server_429"] <= 1
            results.append(
                Result(
                    NAME,
                    f"{processes} processes, R={rate:g}/s, {where}: server rate / R",
                    m["overall"],
                    rate,
                    "req/s",
                    share,
                    "≤ 1.05",
                    met,
                    note,
                )
            )
            if options.verbose:
                print(f"  shared {where} R={rate}: {share:.3f} {note}", flush=True)
    return results


def run(options: Options) -> list[Result]:
    results = []
    for rate in RATES:
        if options.quick and rate < 5:
            continue
        n = max(60, 10 * rate)
        m = measure(rate, n)
        share = m["achieved"] / rate
        note = (
            f"N={n}; {m['failures']} failures, {m['server_429']} x 429 at the server, "
            f"{m['retries']} retries; batch {m['elapsed']:.1f} s, N / batch time "
            f"{n / m['elapsed']:.2f}/s (a full bucket allows {m['ideal']:.1f} s)"
        )
        met = check(share, "≥ 0.95") and m["failures"] == 0
        results.append(
            Result(
                NAME,
                f"R={rate}/s: achieved rate / R",
                m["achieved"],
                rate,
                "req/s",
                share,
                "≥ 0.95",
                met,
                note,
            )
        )
        results.append(
            Result(
                NAME,
                f"R={rate}/s: 429s reaching the user",
                m["failures"],
                None,
                "",
                None,
                "= 0",
                m["failures"] == 0,
                f"{m['server_429']} x 429 answered by the server",
            )
        )
        if options.verbose:
            print(f"  R={rate}: {share:.3f} {note}", flush=True)
    if not options.quick:
        m = measure(20, 200, library_defaults=True)
        results.append(
            Result(
                NAME,
                "R=20/s with requests-ratelimiter's defaults",
                m["achieved"],
                20,
                "req/s",
                m["achieved"] / 20,
                "",
                None,
                f"info: 1 s window, 50 ms buffer; {m['server_429']} x 429 at "
                f"the server, {m['failures']} failures",
            )
        )
    results += run_shared(options)
    return results
