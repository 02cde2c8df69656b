"""Throughput of the sandbox: requests/s per endpoint with 1 and 4 keep-alive client threads.

Part of ``python -m benchmarks`` (suite ``sandbox``, information only), or on its own:
``python benchmarks/bench_sandbox.py`` (``--in-process`` to share the client's process and GIL,
``--seconds`` per cell). No faults are set; nothing is asserted.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import requests

WALLETS = [
    "0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045",
    "0x28C6c06298d514Db089934071355E5743bf21d60",
    "0x1C17622cfa9B6fD2043A76DfC39A5B5a109aa708",
]
ROUTER = "0x111111125421ca6dc452d289314280a0f8842a65"
V5 = "/portfolio/portfolio/v5.0"
CASES = {
    "v5.status": f"{V5}/general/status",
    "v5.current_value (3 addr)": f"{V5}/general/current_value?"
    + "&".join(f"addresses={w}" for w in WALLETS),
    "v5.tokens_snapshot (1 addr)": f"{V5}/tokens/snapshot?addresses={WALLETS[0]}",
    "v5.chart 1year (1 addr)": f"{V5}/general/chart?addresses={WALLETS[0]}",
    "balance.balances (1800 keys)": f"/balance/v1.2/1/balances/{WALLETS[0]}",
    "balance.aggregated filterEmpty": f"/balance/v1.2/1/aggregatedBalancesAndAllowances/{ROUTER}"
    f"?wallets={','.join(WALLETS)}&filterEmpty=true",
}
HEADERS = {"Authorization": "Bearer bench"}


@contextmanager
def sandbox_url(in_process: bool) -> Iterator[str]:
    if in_process:
        from inchframe.sandbox import serve

        with serve() as url:
            yield url
        return
    process = subprocess.Popen(
        [sys.executable, "-m", "inchframe.sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip()
    finally:
        process.terminate()
        process.wait(timeout=20)
        if process.stdout is not None:
            process.stdout.close()


def measure(url: str, threads: int, seconds: float) -> tuple[float, int]:
    """Requests per second over ``seconds``, and the number of non-200 answers or exceptions."""
    counts = [0] * threads
    errors = [0] * threads
    deadline = time.perf_counter() + seconds
    start = threading.Barrier(threads + 1)

    def worker(i: int) -> None:
        with requests.Session() as session:
            session.get(url, headers=HEADERS)  # warm the connection and the caches
            start.wait()
            while time.perf_counter() < deadline:
                try:
                    ok = session.get(url, headers=HEADERS).status_code == 200
                except requests.RequestException:
                    ok = False
                counts[i] += 1
                errors[i] += not ok

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    start.wait()
    began = time.perf_counter()
    for t in pool:
        t.join()
    return sum(counts) / (time.perf_counter() - began), sum(errors)


NAME = "sandbox"


def run(options: object) -> list[object]:
    """The runner's entry point: one information row per endpoint (sandbox in its own process)."""
    from ._harness import Result

    seconds = 0.5 if getattr(options, "quick", False) else 1.0
    results: list[object] = []
    with sandbox_url(in_process=False) as base:
        for name, path in CASES.items():
            one, e1 = measure(base + path, 1, seconds)
            four, e4 = measure(base + path, 4, seconds)
            results.append(
                Result(
                    NAME,
                    f"sandbox throughput {name}",
                    one,
                    four,
                    "req/s",
                    None,
                    "",
                    None,
                    f"info: 1 thread {one:.0f}/s, 4 threads {four:.0f}/s "
                    f"(baseline column), {e1 + e4} errors",
                )
            )
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--in-process", action="store_true")
    args = parser.parse_args()
    mode = "in-process" if args.in_process else "separate process"
    with sandbox_url(args.in_process) as base:
        print(f"sandbox at {base} ({mode}), {args.seconds:.1f} s per cell")
        print(f"{'endpoint':34} {'1 thread':>12} {'4 threads':>12} {'errors':>7}")
        for name, path in CASES.items():
            one, e1 = measure(base + path, 1, args.seconds)
            four, e4 = measure(base + path, 4, args.seconds)
            print(f"{name:34} {one:10.0f}/s {four:10.0f}/s {e1 + e4:7d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
