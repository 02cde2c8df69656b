"""The HTTP cache's storage: the SQLite backend, its serializer and its safety net (private).

This module is what :mod:`inchframe._http` builds the cached session from and what
:mod:`inchframe.cache` (``cache_info``/``clear_cache``) reads; it imports neither, so the
dependencies point one way: ``cache`` -> ``cache_backend`` <- ``_http``.

The one place a backend is made is :func:`build_backend` (hook for other backends).

The cache is one SQLite file in WAL mode, shared safely by the threads of a process and by
several processes; what can go wrong with it and what inchframe does is listed in
:mod:`inchframe.cache` and docs/reliability.md.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import CacheError

if TYPE_CHECKING:
    from .config import Settings

__all__ = [
    "BUSY_TIMEOUT_MS",
    "CACHE_FILE",
    "DIGEST_HEADER",
    "SANDBOX_KEY_HOST",
    "build_backend",
    "cache_error",
    "cache_serializer",
    "guarded",
    "is_intact",
    "open_backend",
    "open_cache",
    "stamp_digest",
]

CACHE_FILE = "http_cache.sqlite"
#: How long an operation waits for another connection's lock before :class:`CacheError`.
BUSY_TIMEOUT_MS = 30_000
#: Response header holding the SHA-256 of a body inchframe caches; checked on every cache hit.
DIGEST_HEADER = "X-Inchframe-Body-Sha256"

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


def cache_error(path: str | os.PathLike[str], error: sqlite3.Error | OSError) -> CacheError:
    """The :class:`CacheError` for an SQLite (or OS) error on the cache file at ``path``."""
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
    """Turn SQLite (and Redis) errors raised inside the block into :class:`CacheError` naming
    ``path``."""
    try:
        yield
    except sqlite3.Error as error:
        raise cache_error(path, error) from None
    except Exception as error:
        from .backends import backend_error, is_backend_error

        if not is_backend_error(error):
            raise
        raise backend_error(os.fspath(path), error) from None


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
    """A requests-cache ``SQLiteCache`` whose writes give up on a lock instead of spinning.

    Each override below works around a behaviour of requests-cache 1.3's ``SQLiteDict``
    (``requests_cache/backends/sqlite.py``) that is still there in 1.3.x; they use its
    attributes ``_lock``, ``_connection`` and ``_active_transaction``, which is why
    pyproject.toml caps requests-cache below 1.4. Each could go upstream as a fix:

    - ``connection(commit=True)``: 1.3 reads ``_active_transaction`` *after* releasing
      ``_lock``, so a thread can write, unlocked, inside another thread's open transaction.
    - ``_acquire_sqlite_lock``: 1.3 retries ``BEGIN IMMEDIATE`` in an endless loop (a lock held
      by another process hangs the client) and swallows every ``OperationalError`` of the write
      (a full disk is dropped silently); it also never rolls back a transaction left open by an
      exception other than ``OperationalError``.
    - ``__getitem__``: 1.3 does not retry a read that met a passing wal-index race between
      processes ("locking protocol").
    - ``GuardedSQLiteCache.__init__``: 1.3's ``SQLiteCache`` builds plain ``SQLiteDict`` tables
      with no way to pass another class.
    """
    from requests_cache import SQLiteCache
    from requests_cache.backends.base import BaseCache
    from requests_cache.backends.sqlite import SQLiteDict

    class GuardedSQLiteDict(SQLiteDict):
        """One connection shared by a process's threads; writes serialised by ``self._lock``."""

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


def build_backend(settings: Settings) -> Any:
    """The requests-cache backend a client's session stores its answers in.

    The one place a backend is chosen (today: SQLite in ``settings.cache_dir``); another
    backend (Redis, say) plugs in here. Raises :class:`CacheError` when it cannot be opened.
    """
    if settings.cache_url:  # INCHFRAME_CACHE_URL: Redis (inchframe.backends)
        from .backends import open_redis_cache

        return open_redis_cache(settings.cache_url)
    directory = Path(settings.cache_dir)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CacheError(str(directory / CACHE_FILE), "unusable", str(error)) from None
    return open_backend(directory / CACHE_FILE)


#: Marks a cache entry written by :func:`cache_serializer` (JSON head, then the raw body).
_ENTRY_MAGIC = b"IFC1"


@cache
def cache_serializer() -> Any:
    """The cache's serializer: requests-cache's JSON form (never pickle) for everything but the
    body, and the body stored as the raw bytes that came over the wire.

    requests-cache's own ``"json"`` serializer writes the body as base64 inside the JSON text,
    so every hit decodes (and parses) a third more than the body itself: about 1.5 ms for a
    200 kB body here, against 0.5 ms for this one (benchmarks/bench_cache.py). An entry is
    ``b"IFC1"``, the JSON head's length (4 bytes, big-endian), the head, then the body. Entries
    written by the ``"json"`` serializer (older caches) are still read.
    """
    from requests_cache.serializers import SerializerPipeline, Stage, json_serializer
    from requests_cache.serializers.preconf import json_preconf_stage

    head_stage = json_preconf_stage.copy()  # cattrs: the CachedResponse as JSON-able builtins
    head_stage.decode_content = False

    def dumps(response: Any) -> bytes:
        shell = copy.copy(response)
        shell._content = None
        head = json.dumps(head_stage.dumps(shell), separators=(",", ":")).encode()
        return _ENTRY_MAGIC + len(head).to_bytes(4, "big") + head + (response._content or b"")

    def loads(entry: Any) -> Any:
        if isinstance(entry, str) or bytes(entry[:4]) != _ENTRY_MAGIC:
            return json_serializer.loads(entry)  # written by the stock "json" serializer
        entry = bytes(entry)
        end = 8 + int.from_bytes(entry[4:8], "big")
        response = head_stage.loads(json.loads(entry[8:end]))
        response._content = entry[end:]
        response.raw.reset(response._content)  # what requests' raw.read() would give
        return response

    return SerializerPipeline(
        [Stage(dumps=dumps, loads=loads)], name="inchframe-json", is_binary=True
    )


#: Stands for the embedded sandbox in cache keys: its port changes every run, its answers don't.
SANDBOX_KEY_HOST = "http://inchframe-sandbox"


def _key_on_fixed_host(base_url: str) -> Any:
    """A requests-cache key function that files ``base_url`` under :data:`SANDBOX_KEY_HOST`."""
    from requests_cache import create_key

    def key(request: Any, **kwargs: Any) -> str:
        if request.url and request.url.startswith(base_url):
            request = request.copy()
            request.url = SANDBOX_KEY_HOST + request.url[len(base_url) :]
        return create_key(request, **kwargs)

    return key


def open_cache(
    cache_dir: Path,
    *,
    offline: bool = False,
    sandbox_url: str | None = None,
    backend: Any = None,
) -> Any:
    """A requests-cache ``CachedSession`` on ``backend`` (default: the SQLite file in
    ``cache_dir``), configured as inchframe uses it.

    The backend gives up on a lock after :data:`BUSY_TIMEOUT_MS` and every stored body carries
    its SHA-256; a damaged, locked or unwritable file raises
    :class:`~inchframe.errors.CacheError` naming the file and the fix.

    Offline, expired entries are served too (``stale_if_error``): old data beats no data, and
    each reply's ``fetched_at`` says how old it is. ``sandbox_url``: the embedded sandbox the
    client started; its entries are keyed on a fixed host so later sessions reuse them.
    """
    from requests_cache import CachedSession

    if backend is None:
        try:
            Path(cache_dir).mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CacheError(str(Path(cache_dir) / CACHE_FILE), "unusable", str(error)) from None
        backend = open_backend(Path(cache_dir) / CACHE_FILE)
    session = CachedSession(
        backend=backend,
        expire_after=300,
        allowable_methods=("GET", "POST"),
        allowable_codes=(200,),
        match_headers=False,
        ignored_parameters=("Authorization", "apiKey", "api_key", "X-API-KEY"),
        only_if_cached=offline,
        stale_if_error=offline,
        key_fn=_key_on_fixed_host(sandbox_url) if sandbox_url else None,
    )
    session.hooks["response"].append(stamp_digest)
    return session
