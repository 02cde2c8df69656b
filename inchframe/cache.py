"""See and clear the on-disk HTTP cache (``inchframe cache info|clear`` on the command line),
and the safety net around its SQLite file.

The cache is one SQLite file in WAL mode, shared safely by the threads of a process and by
several processes. What can go wrong with it, and what inchframe does:

- **Another process holds a lock** longer than :data:`BUSY_TIMEOUT_MS`: :class:`CacheError`
  (``reason="locked"``) naming the file and the fix, instead of waiting forever (requests-cache
  retries a blocked write in an endless loop).
- **The file is damaged** (not a database, truncated, malformed pages): :class:`CacheError`
  (``reason="damaged"``) naming the file; ``inchframe cache clear`` deletes a damaged file.
- **A stored body was altered** but still parses: every body inchframe caches carries its SHA-256
  (:data:`DIGEST_HEADER`); a cache hit whose body no longer matches is dropped and fetched again,
  never served.
- **A process is killed mid-write**: SQLite's journal rolls the write back; the entries written
  before are intact.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ._http import CACHE_FILE, cache_serializer, open_cache
from .config import resolve_settings
from .endpoints import endpoint_of
from .errors import CacheError

__all__ = [
    "BUSY_TIMEOUT_MS",
    "DIGEST_HEADER",
    "CacheInfo",
    "cache_error",
    "cache_info",
    "clear_cache",
    "is_intact",
    "open_backend",
    "stamp_digest",
]

log = logging.getLogger("inchframe.cache")

#: How long an operation waits for another connection's lock before :class:`CacheError`.
BUSY_TIMEOUT_MS = 30_000
#: Response header holding the SHA-256 of a body inchframe caches; checked on every cache hit.
DIGEST_HEADER = "X-Inchframe-Body-Sha256"
_SIDE_FILES = ("-wal", "-shm", "-journal")


# -- the safety net -------------------------------------------------------------------------


#: SQLite messages of conditions that pass when the other connections move on: a lock
#: ("database is locked", "database table is locked") or a wal-index race between processes
#: ("locking protocol", SQLITE_PROTOCOL, which SQLite returns after its own retries).
_TRANSIENT = ("locked", "busy", "locking protocol")
#: SQLite messages of a damaged file.
_DAMAGED = ("malformed", "not a database", "corrupt")
#: Retries of a read that met a transient error, and of a write that failed for another reason
#: (an I/O error while another process resizes the shared-memory file, say), before either
#: is reported.
_RETRIES = 5


def cache_error(path: str | os.PathLike[str], error: sqlite3.Error) -> CacheError:
    """The :class:`CacheError` for an SQLite error on the cache file at ``path``."""
    text = str(error)
    lowered = text.lower()
    if any(word in lowered for word in _TRANSIENT):
        reason = "locked"
    elif any(word in lowered for word in _DAMAGED):
        reason = "damaged"  # "file is not a database", "database disk image is malformed"
    else:
        reason = "unusable"  # cannot open, read-only, disk full, I/O error, closed
    return CacheError(os.fspath(path), reason, text)


@contextmanager
def guarded(path: str | os.PathLike[str]) -> Iterator[None]:
    """Turn SQLite errors raised inside the block into :class:`CacheError` naming ``path``."""
    try:
        yield
    except sqlite3.Error as error:
        raise cache_error(path, error) from None


def body_digest(content: bytes | None) -> str:
    return hashlib.sha256(content or b"").hexdigest()


def stamp_digest(response: Any, *args: Any, **kwargs: Any) -> Any:
    """``requests`` response hook: record the body's SHA-256 before requests-cache stores it."""
    if response.status_code == 200 and not getattr(response, "from_cache", False):
        response.headers[DIGEST_HEADER] = body_digest(response.content)
    return response


def is_intact(response: Any) -> bool:
    """False when a cached body no longer matches the digest stored with it (no digest: True)."""
    expected = response.headers.get(DIGEST_HEADER)
    return expected is None or expected == body_digest(response.content)


@cache
def _backend_class() -> type:
    """A requests-cache ``SQLiteCache`` whose writes give up on a lock instead of spinning."""
    from requests_cache import SQLiteCache
    from requests_cache.backends.base import BaseCache
    from requests_cache.backends.sqlite import SQLiteDict

    class GuardedSQLiteDict(SQLiteDict):
        """One connection shared by a process's threads; writes serialised by ``self._lock``.

        requests-cache decides whether a write joins an open transaction by reading
        ``_active_transaction`` outside its lock, so a thread could write unlocked inside
        another thread's transaction; here that is decided while holding the (reentrant)
        lock, where only this thread can have opened one.
        """

        #: after a write gave up on a lock, the next writes try once without waiting until then
        _blocked_until = 0.0

        @contextmanager
        def connection(self, commit: bool = False) -> Iterator[sqlite3.Connection]:
            if not commit:  # reads go on in parallel, as in requests-cache
                with super().connection() as con:
                    yield con
                return
            # the flag is read once the lock is held (a `with` enters its items in order)
            with self._lock, super().connection(commit=not self._active_transaction) as con:
                yield con

        @contextmanager
        def _acquire_sqlite_lock(self) -> Iterator[None]:
            with self._lock:
                if self._connection.in_transaction:  # left open by an interrupted write
                    self._connection.rollback()
                self._begin_immediate()
                self._active_transaction = True
                try:
                    yield
                    self._connection.commit()
                except sqlite3.OperationalError:
                    self._rollback()  # a lost cache write is only a future miss
                except BaseException:
                    self._rollback()
                    raise
                finally:
                    self._active_transaction = False

        def _rollback(self) -> None:
            try:
                if self._connection.in_transaction:
                    self._connection.rollback()
            except sqlite3.Error:
                pass  # the next write rolls back what is still open (above)

        def __getitem__(self, key: str) -> Any:
            """Read, retrying the transient errors (a wal-index race) for a moment."""
            for attempt in range(_RETRIES):
                try:
                    return super().__getitem__(key)
                except sqlite3.OperationalError as error:
                    if cache_error(self.db_path, error).reason != "locked":
                        raise
                    time.sleep(0.01 * (attempt + 1))
            return super().__getitem__(key)

        def _begin_immediate(self) -> None:
            """BEGIN IMMEDIATE, retried for up to BUSY_TIMEOUT_MS, then CacheError.

            SQLite may answer "locked" at once, without waiting in its busy handler (another
            connection committed since this one's read snapshot), so a retry loop is needed;
            requests-cache's never ends. Once a write gave up, the writes queued behind it
            (``self._lock``) try once without waiting, instead of each waiting the full time.
            Other errors are retried a few times (an I/O error can be a passing race between
            processes) before they are reported: a read-only or full disk is not waited on.
            """
            fail_fast = time.monotonic() < self._blocked_until
            deadline = time.monotonic() + (0.0 if fail_fast else BUSY_TIMEOUT_MS / 1000)
            pause = 0.001
            other_failures = 0
            if fail_fast:
                self._connection.execute("PRAGMA busy_timeout=0")
            try:
                while True:
                    try:
                        self._connection.execute("BEGIN IMMEDIATE")
                    except sqlite3.Error as error:
                        failure = cache_error(self.db_path, error)
                        if failure.reason == "damaged":
                            raise failure from None
                        if failure.reason != "locked":
                            other_failures += 1
                            if other_failures > _RETRIES:
                                raise failure from None
                        elif time.monotonic() >= deadline:
                            self._blocked_until = time.monotonic() + BUSY_TIMEOUT_MS / 1000
                            raise failure from None
                        time.sleep(pause)
                        pause = min(2 * pause, 0.05)
                    else:
                        self._blocked_until = 0.0
                        return
            finally:
                if fail_fast:
                    self._connection.execute(f"PRAGMA busy_timeout={self.busy_timeout}")

    class GuardedSQLiteCache(SQLiteCache):
        def __init__(self, db_path: Any, serializer: Any = None, **kwargs: Any) -> None:
            BaseCache.__init__(self, cache_name=str(db_path), **kwargs)
            skwargs = {"serializer": serializer, **kwargs} if serializer else kwargs
            self.responses = GuardedSQLiteDict(db_path, table_name="responses", **skwargs)
            self.redirects = GuardedSQLiteDict(
                db_path,
                table_name="redirects",
                lock=self.responses._lock,
                serializer=None,
                **kwargs,
            )

    return GuardedSQLiteCache


def open_backend(path: Path) -> Any:
    """The SQLite backend on ``path`` (inchframe's serializer, WAL, bounded lock waits).

    Raises :class:`CacheError` when the file is damaged, locked or cannot be opened.
    """
    backend = None
    try:
        backend = _backend_class()(
            path, serializer=cache_serializer(), wal=True, busy_timeout=BUSY_TIMEOUT_MS
        )
        with backend.responses.connection() as con:  # reads the header and the schema
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as error:
        if backend is not None:
            backend.close()
        raise cache_error(path, error) from None
    return backend


def _remove_files(path: Path) -> None:
    for candidate in (path, *(Path(f"{path}{suffix}") for suffix in _SIDE_FILES)):
        candidate.unlink(missing_ok=True)


@dataclass(frozen=True)
class CacheInfo:
    """What the cache holds: entries, size on disk, entries per endpoint, oldest and newest."""

    path: Path
    entries: int
    bytes: int
    expired: int
    by_endpoint: dict[str, int] = field(default_factory=dict)
    oldest: dt.datetime | None = None
    newest: dt.datetime | None = None

    def __str__(self) -> str:
        lines = [
            f"cache file: {self.path}",
            f"entries:    {self.entries} ({self.expired} expired)",
            f"size:       {self.bytes / 1e6:.2f} MB",
            f"oldest:     {self.oldest.isoformat(timespec='seconds') if self.oldest else '-'}",
            f"newest:     {self.newest.isoformat(timespec='seconds') if self.newest else '-'}",
        ]
        if self.by_endpoint:
            lines.append("by endpoint:")
            width = max(len(name) for name in self.by_endpoint)
            lines += [f"  {name:<{width}}  {n}" for name, n in sorted(self.by_endpoint.items())]
        return "\n".join(lines)


def _cache_dir(cache_dir: str | os.PathLike[str] | None) -> Path:
    return Path(cache_dir) if cache_dir is not None else resolve_settings().cache_dir


def _size(path: Path) -> int:
    """Bytes of the SQLite file and its WAL side files."""
    return sum(
        p.stat().st_size for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()
    )


def cache_info(cache_dir: str | os.PathLike[str] | None = None) -> CacheInfo:
    """Describe the cache in ``cache_dir`` (default: the configured cache directory).

    Reads only; a missing cache is reported as empty and is not created.
    """
    directory = _cache_dir(cache_dir)
    path = directory / CACHE_FILE
    if not path.exists():
        return CacheInfo(path=path, entries=0, bytes=0, expired=0)
    session = open_cache(directory)
    try:
        counts: Counter[str] = Counter()
        expired = 0
        created: list[dt.datetime] = []
        with guarded(path):
            for response in session.cache.responses.values():
                if response is None:  # an entry requests-cache cannot deserialize: a miss
                    counts["unreadable"] += 1
                    continue
                request = response.request
                path_only = urlsplit(request.url or "").path
                counts[endpoint_of(request.method or "GET", path_only)] += 1
                expired += response.is_expired
                created.append(response.created_at)
        return CacheInfo(
            path=path,
            entries=sum(counts.values()),
            bytes=_size(path),
            expired=expired,
            by_endpoint=dict(counts),
            oldest=min(created, default=None),
            newest=max(created, default=None),
        )
    finally:
        session.close()


def clear_cache(
    cache_dir: str | os.PathLike[str] | None = None,
    *,
    expired_only: bool = False,
    older_than: dt.timedelta | float | None = None,
) -> int:
    """Remove cached responses; return how many were removed.

    With no options everything goes. ``expired_only`` removes only expired entries;
    ``older_than`` (a timedelta or seconds) removes entries fetched longer ago than that.

    A damaged cache file (see :class:`~inchframe.errors.CacheError`) cannot be read, so clearing
    everything deletes the file and its side files (and returns 0: its entries cannot be
    counted); the selective options raise the :class:`~inchframe.errors.CacheError` instead. A
    locked file is never deleted.
    """
    directory = _cache_dir(cache_dir)
    path = directory / CACHE_FILE
    if not path.exists():
        return 0
    everything = not expired_only and older_than is None
    try:
        session = open_cache(directory)
    except CacheError as error:
        if error.reason != "damaged" or not everything:
            raise
        log.warning("deleting the damaged cache file %s (%s)", path, error.detail)
        _remove_files(path)
        return 0
    try:
        try:
            before = len(session.cache.responses)
        except sqlite3.DatabaseError as error:
            damage = cache_error(path, error)
            if damage.reason != "damaged" or not everything:
                raise damage from None
            session.close()
            log.warning("deleting the damaged cache file %s (%s)", path, damage.detail)
            _remove_files(path)
            return 0
        if not expired_only and older_than is None:
            session.cache.clear()
        else:
            age = (
                dt.timedelta(seconds=older_than)
                if isinstance(older_than, (int, float))
                else older_than
            )
            session.cache.delete(expired=expired_only, older_than=age)
        return before - len(session.cache.responses)
    finally:
        session.close()
