"""The cache backend's write discipline on a real SQLite file: one thread's transaction is
never joined by another thread's write, an interrupted write never leaves a transaction open,
and passing conditions between processes (a lock, SQLite's "locking protocol") are retried
rather than reported."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

import inchframe.cache_backend
from inchframe.cache import cache_error, open_backend


@pytest.fixture
def responses(tmp_path: Path) -> Any:
    """The backend's table of plain values (``redirects``: no serializer), same machinery."""
    backend = open_backend(tmp_path / "http_cache.sqlite")
    yield backend.redirects
    backend.close()


def _stored(path: Path) -> set[str]:
    with sqlite3.connect(path) as con:
        return {row[0] for row in con.execute("SELECT key FROM redirects")}


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ("database is locked", "locked"),
        ("database table is locked", "locked"),
        ("locking protocol", "locked"),
        ("file is not a database", "damaged"),
        ("database disk image is malformed", "damaged"),
        ("disk I/O error", "unusable"),
        ("attempt to write a readonly database", "unusable"),
    ],
)
def test_sqlite_messages_map_to_reasons(message: str, reason: str) -> None:
    error = cache_error("/x/http_cache.sqlite", sqlite3.OperationalError(message))
    assert error.reason == reason and message in str(error) and "/x/http_cache.sqlite" in str(error)


def test_a_write_waits_for_another_threads_transaction(responses: Any) -> None:
    """requests-cache lets a write skip the lock while another thread's transaction is open."""
    inside, release, written = threading.Event(), threading.Event(), threading.Event()

    def long_transaction() -> None:
        with responses.bulk_commit():
            responses["first"] = "1"
            inside.set()
            release.wait(10)

    def second_write() -> None:
        responses["second"] = "2"
        written.set()

    holder = threading.Thread(target=long_transaction)
    holder.start()
    assert inside.wait(10)
    writer = threading.Thread(target=second_write)
    writer.start()
    assert not written.wait(0.3), "the write joined another thread's open transaction"
    release.set()
    holder.join(10)
    writer.join(10)
    assert written.is_set()
    assert _stored(Path(responses.db_path)) == {"first", "second"}


def test_a_failed_write_leaves_no_transaction_open(responses: Any) -> None:
    with pytest.raises(RuntimeError), responses.connection(commit=True) as con:
        con.execute("INSERT INTO redirects (key, value) VALUES ('lost', 'x')")
        raise RuntimeError("interrupted")
    assert not responses._connection.in_transaction
    responses["kept"] = "1"
    assert _stored(Path(responses.db_path)) == {"kept"}


def test_a_transaction_left_open_is_rolled_back_before_the_next_write(responses: Any) -> None:
    responses._connection.execute("BEGIN IMMEDIATE")
    responses._connection.execute("INSERT INTO redirects (key, value) VALUES ('stray', 'x')")
    responses["kept"] = "1"
    assert _stored(Path(responses.db_path)) == {"kept"}


class _FlakyConnection:
    """A real connection whose first ``failures`` BEGINs fail with ``message``."""

    def __init__(self, connection: sqlite3.Connection, message: str, failures: int) -> None:
        self._connection = connection
        self._message = message
        self.failures = failures

    def execute(self, sql: str, *args: Any) -> Any:
        if sql == "BEGIN IMMEDIATE" and self.failures:
            self.failures -= 1
            raise sqlite3.OperationalError(self._message)
        return self._connection.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


@pytest.mark.parametrize("message", ["locking protocol", "database is locked", "disk I/O error"])
def test_passing_errors_on_begin_are_retried(responses: Any, message: str) -> None:
    flaky = _FlakyConnection(responses._connection, message, failures=3)
    responses._connection = flaky
    responses["kept"] = "1"
    assert flaky.failures == 0
    assert _stored(Path(responses.db_path)) == {"kept"}


def test_a_lasting_io_error_is_reported_without_waiting_for_the_lock_timeout(
    responses: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inchframe.cache_backend, "BUSY_TIMEOUT_MS", 3_600_000)
    responses._connection = _FlakyConnection(responses._connection, "disk I/O error", 10**6)
    with pytest.raises(inchframe.errors.CacheError) as info:
        responses["lost"] = "1"
    assert info.value.reason == "unusable" and "disk I/O error" in str(info.value)


def test_a_damaged_file_is_reported_at_once(responses: Any) -> None:
    flaky = _FlakyConnection(responses._connection, "database disk image is malformed", 10**6)
    responses._connection = flaky
    with pytest.raises(inchframe.errors.CacheError) as info:
        responses["lost"] = "1"
    assert info.value.reason == "damaged"
    assert flaky.failures == 10**6 - 1  # not retried
