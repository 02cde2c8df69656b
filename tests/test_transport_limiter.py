"""The limiter is built with pyrate-limiter's public API and handed to requests-ratelimiter's
adapter (``limiter=``); hits are read without waiting for a writer's lock."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from pyrate_limiter import Limiter
from requests_ratelimiter import HostBucketFactory

from inchframe import endpoints as ep
from inchframe._http import LIMITER_BUFFER_MS, StatusBoard, build_adapter, pacing_rates
from inchframe.cache_backend import CACHE_FILE
from inchframe.client import Client
from inchframe.config import resolve_settings

from .conftest import FAKE_KEY, Reply, ScriptedServer


def wallet(i: int) -> str:
    return f"0x{i + 1:040x}"


def test_build_limiter_uses_the_public_api() -> None:
    settings = resolve_settings(api_key=FAKE_KEY, base_url="https://example.test", rate=7)
    limiter = build_adapter(settings, StatusBoard(), pool_size=1).limiter
    assert isinstance(limiter, Limiter) and limiter.buffer_ms == LIMITER_BUFFER_MS
    assert isinstance(limiter.bucket_factory, HostBucketFactory)
    rates = [(r.limit, r.interval) for r in limiter.bucket_factory.rates]
    assert rates == [(r.limit, r.interval) for r in pacing_rates(7)]
    limiter.bucket_factory.close()


def test_the_adapter_runs_on_the_built_limiter_and_closes_it(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    scripted.default = lambda method, path, body: Reply(200, {"0xee": "1"})
    before = {t.ident for t in threading.enumerate()}
    client = Client(FAKE_KEY, base_url=scripted.url, cache_dir=tmp_path, rate=5, cache=False)
    adapter = client.session.get_adapter(scripted.url)
    assert isinstance(adapter.limiter, Limiter)
    started = time.monotonic()
    for i in range(6):  # 5/s, bursts of half a second's worth: the 6th waits
        client.fetch(ep.balances(1, wallet(i)))
    assert time.monotonic() - started >= 0.45
    assert client.board.rate_waits >= 1
    client.close()
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:  # the server's handler threads end as sockets close
        leftover = [t for t in threading.enumerate() if t.ident not in before]
        if not leftover:
            break
        time.sleep(0.05)
    assert not leftover  # the limiter's leak thread stopped with the client


def test_hits_do_not_wait_for_a_writers_lock(scripted: ScriptedServer, tmp_path: Path) -> None:
    """WAL: a hit reads while another connection holds an exclusive write transaction
    (in a rollback journal, that would block every reader)."""
    scripted.default = lambda method, path, body: Reply(200, {"0xee": "1"})
    calls = [ep.balances(1, wallet(i)) for i in range(20)]
    with Client(FAKE_KEY, base_url=scripted.url, cache_dir=tmp_path, rate=500) as client:
        client.fetch_many(calls, progress=False)
        writer = sqlite3.connect(tmp_path / CACHE_FILE, isolation_level=None)
        writer.execute("BEGIN EXCLUSIVE")  # held for the whole warm batch
        try:
            started = time.monotonic()
            warm = client.fetch_many(calls, progress=False)
            elapsed = time.monotonic() - started
        finally:
            writer.rollback()
            writer.close()
    assert warm.from_cache == len(calls) and not warm.failures
    assert elapsed < 2
