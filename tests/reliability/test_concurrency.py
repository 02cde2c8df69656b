"""One cache directory shared by two processes and by 8 threads of a third, all fetching
overlapping requests at the same time: no "database is locked" reaches the user, and every
payload (returned, and read back from the cache afterwards) equals the sandbox's answer."""

from __future__ import annotations

import hashlib
import json
import random
import threading
from pathlib import Path
from typing import Any

import requests

from inchframe import endpoints as ep
from inchframe.client import Client

from .._processes import finish, go_file, out_file, ready_file, start_ready
from ..conftest import FAKE_KEY, REPO

CHAINS = (1, 8453, 42161)


def _calls(first: int, count: int) -> list[ep.Call]:
    """Distinct calls: Balance GETs (about 90 kB bodies) and v5 snapshots, by index."""
    calls = []
    for i in range(first, first + count):
        wallet = f"0x{i:040x}"
        calls.append(
            ep.balances(CHAINS[i % 3], wallet)
            if i % 2
            else ep.v5_tokens_snapshot([wallet], CHAINS[i % 3])
        )
    return calls


def _digest(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _expected(sandbox: Any, calls: list[ep.Call]) -> dict[str, str]:
    """``{path?query: digest}`` of the sandbox's answers, fetched without any cache."""
    truth = {}
    with requests.Session() as session:
        for call in calls:
            response = session.request(
                call.method,
                sandbox.url + call.path,
                params=list(call.params),
                json=call.body,
                timeout=30,
                headers={"Authorization": f"Bearer {FAKE_KEY}"},
            )
            response.raise_for_status()
            truth[_key(response.url, sandbox.url)] = _digest(response.json())
    return truth


def _key(url: str, base: str) -> str:
    return url.removeprefix(base)


_WORKER = """
    import hashlib, json, sys, time, traceback
    sys.path.insert(0, {repo!r})
    from pathlib import Path
    from tests.reliability.test_concurrency import _calls, _digest, _key
    from inchframe.client import Client
    open({ready!r}, "w").close()
    for _ in range(600):  # start together with the others (30 s at most)
        if Path({go!r}).exists():
            break
        time.sleep(0.05)
    result = {{"replies": {{}}, "failures": [], "errors": []}}
    try:
        with Client({key!r}, base_url={url!r}, cache_dir={cache!r}, rate=1000,
                    max_workers=8, progress=False) as client:
            for round_ in range(2):  # the second round reads what both processes wrote
                batch = client.fetch_many(_calls({first}, {count}))
                result["failures"] += [f"{{type(f.error).__name__}}: {{f.error}}"
                                       for f in batch.failures]
                for reply in batch.replies:
                    result["replies"][_key(reply.url, {url!r})] = _digest(reply.payload)
    except BaseException:
        result["errors"].append(traceback.format_exc())
    Path({out!r}).write_text(json.dumps(result))
"""


def test_two_processes_and_eight_threads_share_one_cache(sandbox: Any, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    # process A: calls 0-119, process B: 60-179, threads: 30-149 -> every call is overlapped
    plans = {"a": (0, 120), "b": (60, 120)}
    truth = _expected(sandbox, _calls(0, 180))
    go = go_file(tmp_path, plans)
    codes = {
        name: _WORKER.format(
            repo=str(REPO),
            ready=str(ready_file(tmp_path, name)),
            go=str(go),
            key=FAKE_KEY,
            url=sandbox.url,
            cache=str(cache),
            first=first,
            count=count,
            out=str(out_file(tmp_path, name)),
        )
        for name, (first, count) in plans.items()
    }
    procs = start_ready(tmp_path, codes)  # both processes imported everything

    mine = _calls(30, 120)
    outcomes: dict[int, list[str]] = {}
    errors: list[str] = []

    def worker(index: int) -> None:
        order = list(mine)
        random.Random(index).shuffle(order)
        got = []
        try:
            # each thread its own client (its own SQLite connection) on the same directory
            with Client(
                FAKE_KEY, base_url=sandbox.url, cache_dir=str(cache), rate=1000, progress=False
            ) as client:
                for call in order:
                    reply = client.fetch(call)
                    got.append(f"{_key(reply.url, sandbox.url)} {_digest(reply.payload)}")
        except BaseException as error:  # collected, asserted below
            errors.append(f"{type(error).__name__}: {error}")
        outcomes[index] = got

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    go.touch()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    results = {}
    for name, proc in procs.items():
        output, results[name] = finish(tmp_path, name, proc)
        assert b"locked" not in output, output.decode()

    assert errors == []
    assert not any(t.is_alive() for t in threads)
    for got in outcomes.values():
        assert len(got) == len(mine)
        for line in got:
            url, digest = line.split()
            assert truth[url] == digest
    for name, result in results.items():
        assert result["errors"] == [] and result["failures"] == [], (name, result["errors"])
        assert len(result["replies"]) == plans[name][1]
        for url, digest in result["replies"].items():
            assert truth[url] == digest
    # read every entry back: none damaged, each equal to the sandbox's answer
    from inchframe._http import open_cache
    from inchframe.cache import is_intact

    session = open_cache(cache)
    try:
        stored = {}
        for response in session.cache.responses.values():
            assert response is not None and is_intact(response)
            stored[_key(response.url, sandbox.url)] = _digest(json.loads(response.content))
    finally:
        session.close()
    assert stored == truth


def test_eight_threads_share_one_client(sandbox: Any, tmp_path: Path) -> None:
    """The common case: one client, a batch sent by its thread pool, twice over the same
    requests (the second time from the cache, while new answers are written)."""
    calls = _calls(0, 160)
    truth = _expected(sandbox, calls)
    with Client(
        FAKE_KEY,
        base_url=sandbox.url,
        cache_dir=str(tmp_path),
        rate=1000,
        max_workers=8,
        progress=False,
    ) as client:
        first = client.fetch_many(calls[:100])
        second = client.fetch_many(calls)  # 100 hits and 60 new writes, interleaved
    assert not first.failures and not second.failures
    assert second.from_cache >= 100
    for reply in first.replies + second.replies:
        assert truth[_key(reply.url, sandbox.url)] == _digest(reply.payload)
