"""One rate budget per key on one machine: two processes at ``rate=1`` on one key and one cache
directory, against a sandbox limiting the key to 1 request/s, send 1 request/s together (the
server's own log says so), with at most one 429 and nothing given up; what one fetched, the
other gets from the shared cache."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from inchframe import endpoints as ep
from inchframe.budget import BUDGET_FILE

from ._processes import finish, go_file, out_file, ready_file, start_ready
from .conftest import FAKE_KEY, REPO

pytestmark = pytest.mark.slow

CHAINS = (1, 8453, 42161)


def budget_calls(first: int, count: int) -> list[ep.Call]:
    """Distinct Balance GETs, by index (importable by the worker processes)."""
    return [ep.balances(CHAINS[i % 3], f"0x{i + 1:040x}") for i in range(first, first + count)]


_WORKER = """
    import json, sys, time, traceback
    sys.path.insert(0, {repo!r})
    from pathlib import Path
    from tests.test_shared_budget import budget_calls
    from inchframe.client import Client
    open({ready!r}, "w").close()
    for _ in range(1200):  # start together with the other process (60 s at most)
        if Path({go!r}).exists():
            break
        time.sleep(0.05)
    result = {{"sent": 0, "cached": 0, "failures": [], "errors": [], "waits": 0}}
    try:
        with Client({key!r}, base_url={url!r}, cache_dir={cache!r}, rate={rate},
                    progress=False) as client:
            batch = client.fetch_many(budget_calls({first}, {count}))
            result["failures"] = [f"{{type(f.error).__name__}}: {{f.error}}"
                                  for f in batch.failures]
            result["sent"] = sum(not r.from_cache for r in batch.replies)
            result["cached"] = sum(r.from_cache for r in batch.replies)
            result["waits"] = client.board.rate_waits
    except BaseException:
        result["errors"].append(traceback.format_exc())
    Path({out!r}).write_text(json.dumps(result))
"""


def run_together(
    tmp_path: Path,
    url: str,
    cache: Path,
    plans: dict[str, tuple[int, int]],
    *,
    rate: float = 1,
    env: dict[str, str] | None = None,
    separate_caches: bool = False,
) -> dict[str, dict[str, Any]]:
    """Run one worker process per plan ``{name: (first, count)}``, released at one moment;
    ``env``: extra environment variables; ``separate_caches``: each its own cache directory."""
    go = go_file(tmp_path, plans)
    codes = {
        name: _WORKER.format(
            repo=str(REPO),
            ready=str(ready_file(tmp_path, name)),
            go=str(go),
            key=FAKE_KEY,
            url=url,
            cache=str(cache / name if separate_caches else cache),
            rate=rate,
            first=first,
            count=count,
            out=str(out_file(tmp_path, name)),
        )
        for name, (first, count) in plans.items()
    }
    procs = start_ready(tmp_path, codes, env=env)
    go.touch()
    results = {}
    for name, proc in procs.items():
        _, results[name] = finish(tmp_path, name, proc, timeout=240)
        assert results[name]["errors"] == [], results[name]["errors"]
    return results


def assert_one_budget(
    results: dict[str, dict[str, Any]],
    stats: dict[str, Any],
    plans: dict[str, tuple[int, int]],
    *,
    rate: float,
) -> None:
    """What the server saw of processes sharing one budget at ``rate``: nothing given up, every
    request answered once, at most one 429 (a boundary burst), at most ``rate`` + 5% overall."""
    for name, result in results.items():
        assert result["failures"] == [], (name, result["failures"])
        assert result["sent"] == plans[name][1]
    assert stats["rate_limited"] <= 1, stats["by_status"]
    total = sum(count for _, count in plans.values())
    answered = [e for e in stats["recent"] if e["status"] == 200]
    assert len(answered) == total
    # the server's own clock (separate budgets would send len(plans) times the rate)
    times = sorted(e["t"] for e in stats["recent"])
    span = times[-1] - times[0]
    assert (len(times) - 1) / span <= rate * 1.05, f"{len(times)} requests in {span:.2f} s"
    # they waited for each other: each alone would have needed count / rate seconds
    assert span >= (total - 1) / rate * 0.95


@pytest.mark.xfail(
    strict=False,
    reason="timing-sensitive on a shared 2-core machine (seen failing 1 run in 2 under load); "
    "the rate figures are measured by benchmarks/bench_ratelimit.py",
)
def test_two_processes_share_one_budget_and_one_cache(tmp_path: Path) -> None:
    from inchframe.sandbox import Sandbox

    cache = tmp_path / "cache"
    plans = {"a": (0, 10), "b": (10, 10)}
    with Sandbox(rate_limit=1.0) as sandbox:
        results = run_together(tmp_path, sandbox.url, cache, plans)
        stats = sandbox.stats()
        assert_one_budget(results, stats, plans, rate=1)

        # a third process asks for what "a" fetched: all from the shared cache, none sent
        again = run_together(tmp_path, sandbox.url, cache, {"c": plans["a"]})
        assert again["c"]["cached"] == plans["a"][1] and again["c"]["sent"] == 0
        assert sandbox.stats()["total"] == stats["total"]

    # the budget lives next to the cache, under a salted hash of the key, never the key
    budget = cache / BUDGET_FILE
    assert budget.exists()
    for path in cache.iterdir():
        if path.is_file():
            assert FAKE_KEY.encode() not in path.read_bytes(), path.name


@pytest.mark.xfail(
    strict=False,
    reason="timing-sensitive on a shared 2-core machine (seen failing 1 run in 2 under load); "
    "the rate figures are measured by benchmarks/bench_ratelimit.py",
)
def test_threads_of_two_clients_in_one_process_share_the_budget(
    tmp_path: Path, sandbox: Any
) -> None:
    """Two clients of one process on one key (each with its own thread pool) draw from one
    budget: 10 requests at 5/s take about 2 s, not 1."""
    import threading

    from inchframe.client import Client

    done: list[int] = []

    def run(first: int) -> None:
        with Client(
            FAKE_KEY, base_url=sandbox.url, cache_dir=str(tmp_path), rate=5, progress=False
        ) as client:
            batch = client.fetch_many(budget_calls(first, 5))
            done.append(len(batch.replies))

    started = time.monotonic()
    threads = [threading.Thread(target=run, args=(i * 5,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    elapsed = time.monotonic() - started
    assert done == [5, 5]
    times = sorted(e["t"] for e in sandbox.stats()["recent"] if e["endpoint"] != "control")
    assert len(times) == 10
    # 10 requests at 5/s: the first 5 (one burst of 3 and one of 2 each half second) then 5 more
    assert times[-1] - times[0] >= 1.4, times
    assert elapsed < 30


def test_memory_budget_is_per_client(tmp_path: Path, sandbox: Any) -> None:
    """INCHFRAME_LIMITER_URL=memory: each client keeps its own budget (nothing shared)."""
    from inchframe.client import Client

    with Client(
        FAKE_KEY,
        base_url=sandbox.url,
        cache_dir=str(tmp_path),
        rate=5,
        progress=False,
        limiter_url="memory",
    ) as client:
        client.fetch_many(budget_calls(0, 2))
    assert not (tmp_path / BUDGET_FILE).exists()
