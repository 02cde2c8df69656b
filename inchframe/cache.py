"""See and clear the on-disk HTTP cache (``inchframe cache info|clear`` on the command line).

The backend and its safety net are in :mod:`inchframe.cache_backend`; this module only reads
and clears what it stores (and re-exports the safety net's public names).

The cache is one SQLite file in WAL mode, shared safely by the threads of a process and by
several processes. What can go wrong with it, and what inchframe does:

- **Another process holds a lock** longer than :data:`BUSY_TIMEOUT_MS`: :class:`CacheError`
  (``reason="locked"``) naming the file and the fix, instead of waiting forever (requests-cache
  retries a blocked write in an endless loop).
- **The file is damaged** (not a database, truncated, malformed pages): :class:`CacheError`
  (``reason="damaged"``) naming the file; ``inchframe cache clear`` deletes a damaged file.
- **A stored body was altered** but still parses: every body inchframe caches carries its CRC-32
  (:data:`CHECKSUM_HEADER`; older entries: SHA-256, :data:`DIGEST_HEADER`); a cache hit whose
  body no longer matches is dropped and fetched again, never served. Bodies are stored
  compressed with zstd; one that no longer decompresses is a miss.
- **A process is killed mid-write**: SQLite's journal rolls the write back; the entries written
  before are intact.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

# the safety net lives in cache_backend (which _http also builds on); its public names stay
# importable from here
from .cache_backend import (
    BUSY_TIMEOUT_MS,
    CACHE_FILE,
    CHECKSUM_HEADER,
    DICT_DIR,
    DIGEST_HEADER,
    cache_error,
    cache_serializer,
    guarded,
    is_intact,
    open_backend,
    open_cache,
    stamp_digest,
)
from .config import resolve_settings
from .endpoints import endpoint_of
from .errors import CacheError

__all__ = [
    "BUSY_TIMEOUT_MS",
    "CHECKSUM_HEADER",
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

_SIDE_FILES = ("-wal", "-shm", "-journal")


def _remove_files(path: Path) -> None:
    for candidate in (path, *(Path(f"{path}{suffix}") for suffix in _SIDE_FILES)):
        candidate.unlink(missing_ok=True)
    _remove_dictionaries(path.parent)


def _remove_dictionaries(directory: Path) -> None:
    """Delete the shared compression dictionaries (only once no entry needs them)."""
    shutil.rmtree(directory / DICT_DIR, ignore_errors=True)


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
    #: a cache that is not a file (Redis): its URL, without any password
    location: str | None = None

    def __str__(self) -> str:
        lines = [
            f"cache file: {self.path}" if self.location is None else f"cache:      {self.location}",
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
    """Bytes of the SQLite file, its WAL side files and the compression dictionaries."""
    dictionaries = path.parent / DICT_DIR
    files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
    files += list(dictionaries.glob("*.zdict")) if dictionaries.is_dir() else []
    return sum(p.stat().st_size for p in files if p.exists())


def cache_info(
    cache_dir: str | os.PathLike[str] | None = None, *, cache_url: str | None = None
) -> CacheInfo:
    """Describe the cache in ``cache_dir`` (default: the configured cache directory), or the
    Redis cache at ``cache_url`` (default: ``INCHFRAME_CACHE_URL``, which wins over a directory,
    as it does for a client).

    Reads only; a missing cache is reported as empty and is not created.
    """
    url = cache_url or resolve_settings().cache_url
    if url:
        from .backends import redis_cache_info

        return redis_cache_info(url, CacheInfo, cache_serializer())
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
    cache_url: str | None = None,
) -> int:
    """Remove cached responses; return how many were removed.

    ``cache_url`` (default: ``INCHFRAME_CACHE_URL``): clear that Redis cache instead of the
    directory's.

    With no options everything goes. ``expired_only`` removes only expired entries;
    ``older_than`` (a timedelta or seconds) removes entries fetched longer ago than that.

    A damaged cache file (see :class:`~inchframe.errors.CacheError`) cannot be read, so clearing
    everything deletes the file and its side files (and returns 0: its entries cannot be
    counted); the selective options raise the :class:`~inchframe.errors.CacheError` instead. A
    locked file is never deleted.
    """
    url = cache_url or resolve_settings().cache_url
    if url:
        from .backends import clear_redis_cache

        return clear_redis_cache(
            url, cache_serializer(), expired_only=expired_only, older_than=older_than
        )
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
            _remove_dictionaries(directory)
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
