"""Rate-limit saturation: how close the client gets to the server's limit without a 429.

The sandbox enforces R requests/s per key (a token bucket holding ``ceil(R)`` tokens); the
client is set to the same R. A batch of N requests (at least 60, and at least 10 s worth for
R >= 20) goes through :meth:`inchframe.Client.fetch_many`. The achieved rate is the sustained
rate the server saw, from its own arrival times, after the first second (which a full bucket
lets any client burst through): the least-squares slope of arrival number against arrival time,
which reads bursts and even pacing alike; a client sending at exactly the limit scores 100%.
``N / batch time`` is shown too.
"""

from __future__ import annotations

import math
import statistics
import time

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
        Sandbox(rate_limit=rate) as sandbox,
        Client("bench-key", base_url=sandbox.url, cache=False, rate=rate, progress=False) as client,
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
    return results
