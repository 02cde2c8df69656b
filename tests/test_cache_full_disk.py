"""A full disk is a ``CacheError`` (docs/reliability.md), never a silently dropped cache write:
SQLite's ``SQLITE_FULL`` (made real with ``PRAGMA max_page_count``) and ``OSError(ENOSPC)``."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from inchframe import endpoints as ep
from inchframe.client import Client
from inchframe.errors import CacheError

from .conftest import FAKE_KEY, VITALIK, Reply, ScriptedServer

SMALL = {"0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee": "1"}
#: incompressible enough that it cannot fit in the pages left
BIG = {f"0x{i:040x}": str(i * 7919 % 10**18) for i in range(20_000)}


def wallet(i: int) -> str:
    return f"0x{i + 1:040x}"


def fill_the_disk(client: Client) -> sqlite3.Connection:
    """Cap the cache file at the pages it has: the next write that needs one more fails with
    SQLITE_FULL ("database or disk is full"), as on a full disk."""
    con = client.session.cache.responses._connection
    pages = con.execute("PRAGMA page_count").fetchone()[0]
    con.execute(f"PRAGMA max_page_count = {pages}")
    return con


def test_sqlite_full_is_a_cache_error(scripted: ScriptedServer, tmp_path: Path) -> None:
    scripted.script("/balance/v1.2/1/balances/" + wallet(0), Reply(200, SMALL))
    scripted.default = lambda method, path, body: Reply(200, BIG)
    with Client(FAKE_KEY, base_url=scripted.url, cache_dir=tmp_path, rate=100) as client:
        client.fetch(ep.balances(1, wallet(0)))  # stored before the disk fills up
        con = fill_the_disk(client)
        with pytest.raises(CacheError) as info:
            client.fetch(ep.balances(1, wallet(1)))
        assert info.value.reason == "unusable"
        assert "full" in str(info.value) and str(tmp_path) in str(info.value)
        assert not con.in_transaction  # rolled back: the next write starts clean
        # what was stored before still reads
        assert client.fetch(ep.balances(1, wallet(0))).from_cache
        # a batch stops at the CacheError instead of losing every write silently
        with pytest.raises(CacheError):
            client.fetch_many([ep.balances(1, wallet(i)) for i in range(2, 12)], progress=False)


class _NoSpace:
    """Wraps the cache's connection: every INSERT fails with ENOSPC."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def execute(self, sql: str, *args: Any) -> Any:
        if sql.lstrip().upper().startswith("INSERT"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return self._connection.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


def test_enospc_is_a_cache_error(scripted: ScriptedServer, tmp_path: Path) -> None:
    scripted.default = lambda method, path, body: Reply(200, SMALL)
    with Client(FAKE_KEY, base_url=scripted.url, cache_dir=tmp_path, rate=100) as client:
        client.fetch(ep.balances(1, VITALIK))
        responses = client.session.cache.responses
        real = responses._connection
        responses._connection = _NoSpace(real)
        try:
            with pytest.raises(CacheError) as info:
                client.fetch(ep.balances(1, wallet(5)))
        finally:
            responses._connection = real
        assert info.value.reason == "unusable" and "No space left" in str(info.value)
        assert not real.in_transaction
        client.fetch(ep.balances(1, wallet(5)))  # space again: written
        assert client.fetch(ep.balances(1, wallet(5))).from_cache


def test_a_lost_lock_race_on_commit_is_still_only_a_miss(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    """Only disk-full and the like are errors; "database is locked" on a write stays a miss."""

    class Locked(_NoSpace):
        def execute(self, sql: str, *args: Any) -> Any:
            if sql.lstrip().upper().startswith("INSERT"):
                raise sqlite3.OperationalError("database is locked")
            return self._connection.execute(sql, *args)

    scripted.default = lambda method, path, body: Reply(200, SMALL)
    with Client(FAKE_KEY, base_url=scripted.url, cache_dir=tmp_path, rate=100) as client:
        responses = client.session.cache.responses
        client.fetch(ep.balances(1, VITALIK))
        real = responses._connection
        responses._connection = Locked(real)
        try:
            reply = client.fetch(ep.balances(1, wallet(7)))
        finally:
            responses._connection = real
        assert reply.content and not reply.from_cache
        assert not client.fetch(ep.balances(1, wallet(7))).from_cache  # it was not stored
