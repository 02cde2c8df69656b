"""One rate budget per API key, shared by every thread, process and notebook that uses it.

By default the budget is a pyrate-limiter ``SQLiteBucket`` with its file lock, in
``rate_budget.sqlite`` next to the HTTP cache: every process using the same key and cache
directory draws from it, so two notebooks at ``rate=1`` send 1 request/s together, not 2.
``INCHFRAME_LIMITER_URL`` puts it elsewhere:

- ``redis://host:port/db``: pyrate-limiter's ``RedisBucket``, shared by every machine using that
  Redis (the machines' clocks should agree to well under a second: NTP);
- ``sqlite:///path/to/budget.sqlite``: another file (on a local disk: file locks on network file
  systems are unreliable);
- ``memory``: one budget per client, as before (nothing shared).

The budget is named by a salted hash of the key (:func:`inchframe.backends.key_digest`; the salt
is made once per budget file or Redis and kept there), never by the key. Every process applies
its own ``rate`` to the shared log of requests, so processes sharing a key should use the same
rate. The embedded sandbox a client starts for itself has no quota and is not shared: its
clients keep a budget of their own.
"""

from __future__ import annotations

import functools
import logging
import secrets
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .backends import REDIS_BUDGET_PREFIX, key_digest, redis_connection, redis_salt
from .config import SANDBOX_API_KEY, Settings
from .errors import CacheError

if TYPE_CHECKING:
    from pyrate_limiter import Limiter

__all__ = ["BUDGET_FILE", "build_limiter", "is_shared"]

log = logging.getLogger("inchframe.budget")

#: The budget file in the cache directory (plus its ``.lock`` and WAL side files).
BUDGET_FILE = "rate_budget.sqlite"
#: Milliseconds added to each wait of a shared budget allowing one request per interval (R < 2
#: requests/s): against the arrival jitter of several processes at a server whose bucket holds
#: one token. Costs 4% of the rate (1 / 1.04) at R = 1.
SINGLE_TOKEN_BUFFER_MS = 40


def _identity(settings: Settings) -> str:
    """What the budget belongs to: the key, or (no key) the API host."""
    if settings.api_key is not None:
        return "key:" + settings.api_key.reveal()
    if settings.sandbox:
        return "key:" + SANDBOX_API_KEY
    return "host:" + (urlsplit(settings.base_url).netloc or settings.base_url)


def _file_salt(path: Path) -> bytes:
    """The salt kept in the budget file, made by whichever process comes first."""
    con = sqlite3.connect(path, timeout=30)
    try:
        # WAL before anyone else opens it (SQLiteBucket asks for it too, under its file lock)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("CREATE TABLE IF NOT EXISTS inchframe_salt (salt TEXT NOT NULL)")
        con.execute("BEGIN IMMEDIATE")
        row = con.execute("SELECT salt FROM inchframe_salt LIMIT 1").fetchone()
        if row is None:
            salt = secrets.token_hex(16)
            con.execute("INSERT INTO inchframe_salt (salt) VALUES (?)", (salt,))
        else:
            salt = row[0]
        con.commit()
        return str(salt).encode()
    finally:
        con.close()


def _sqlite_factory(path: Path, settings: Settings, rates: list[Any]) -> Any:
    """Every host's bucket is the one table of this key in the budget file, behind its lock."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table = "budget_" + key_digest(_identity(settings), _file_salt(path))
    stamped, _, shared = _shared_classes()
    bucket = stamped.init_from_file(rates, table=table, db_path=str(path), use_file_lock=True)
    return shared(bucket)


@functools.cache
def _shared_classes() -> tuple[Any, Any, Any]:
    """The SQLite bucket that dates a request once it holds the file lock, and the factory
    that gives every host that one bucket (made on first use: pyrate-limiter loads lazily)."""
    from pyrate_limiter import RedisBucket, SQLiteBucket
    from requests_ratelimiter import HostBucketFactory

    class StampedSQLiteBucket(SQLiteBucket):
        """pyrate-limiter dates a request before it waits for the file lock; a process that
        waited (another held the lock, or it was descheduled) would record a time already
        past, and the next process's request would follow it too closely at the server."""

        def put(self, item: Any) -> bool:
            with self.lock:
                item.timestamp = self.now()
                return bool(super().put(item))

    class StampedRedisBucket(RedisBucket):
        """Dates a request just before the check-and-insert script runs, not before the
        limiter's own lock was taken."""

        def put(self, item: Any) -> Any:
            item.timestamp = self.now()
            return super().put(item)

    class SharedBucketFactory(HostBucketFactory):
        """requests-ratelimiter's per-host factory, with one bucket for every host: the
        key's budget."""

        def __init__(self, bucket: Any) -> None:
            super().__init__(bucket.rates, bucket_class=type(bucket))
            self.bucket = bucket
            self.schedule_leak(bucket)

        def get(self, item: Any) -> Any:
            return self.bucket

        def __getitem__(self, name: str) -> Any:
            return self.bucket

        def owned_buckets(self) -> list[Any]:
            return [self.bucket]

    return StampedSQLiteBucket, StampedRedisBucket, SharedBucketFactory


def _redis_factory(url: str, settings: Settings, rates: list[Any]) -> Any:
    """Every host's bucket is the one sorted set of this key in Redis."""
    from .backends import is_backend_error, redacted

    connection = redis_connection(url)
    try:
        key = REDIS_BUDGET_PREFIX + key_digest(_identity(settings), redis_salt(connection))
        _, stamped, shared = _shared_classes()
        factory = shared(stamped.init(rates, connection, key))
    except Exception as error:
        if is_backend_error(error):
            raise CacheError(
                redacted(url), "unreachable", f"{type(error).__name__}: {error}"
            ) from None
        raise
    return factory


def build_limiter(settings: Settings, rates: list[Any], *, buffer_ms: int) -> Limiter:
    """The pyrate-limiter ``Limiter`` of ``settings``' key: its buckets where
    ``settings.limiter_url`` says, by default in a file next to the cache; ``memory``, and a
    client's own embedded sandbox, get in-memory buckets (one per host).

    A budget file that cannot be opened when none was asked for explicitly falls back to
    memory, with a warning; an explicit one raises :class:`CacheError`.
    """
    from pyrate_limiter import Limiter
    from requests_ratelimiter import HostBucketFactory

    url = settings.limiter_url
    if len(rates) == 1 and url != "memory" and not (url is None and settings.sandbox):
        # one request per interval (the free plan): the server's bucket holds a single token,
        # so no burst reserve absorbs the jitter between processes' clocks and schedulers
        buffer_ms = max(buffer_ms, SINGLE_TOKEN_BUFFER_MS)
    factory: Any = None
    if url == "memory" or (url is None and settings.sandbox):
        factory = HostBucketFactory(rates)
    elif url is not None and not url.startswith("sqlite://"):
        factory = _redis_factory(url, settings, rates)
    else:
        path = Path(urlsplit(url).path) if url else settings.cache_dir / BUDGET_FILE
        try:
            factory = _sqlite_factory(path, settings, rates)
        except (OSError, sqlite3.Error) as error:
            if url is not None:
                raise CacheError(str(path), "unusable", str(error)) from None
            log.warning(
                "the shared rate budget %s cannot be used (%s); this client keeps its own",
                path,
                error,
            )
            factory = HostBucketFactory(rates)
    return Limiter(factory, buffer_ms=buffer_ms)


def is_shared(limiter: Any) -> bool:
    """Whether ``limiter`` (made by :func:`build_limiter`) draws from a shared budget."""
    from pyrate_limiter import InMemoryBucket

    return getattr(limiter.bucket_factory, "bucket_class", InMemoryBucket) is not InMemoryBucket
