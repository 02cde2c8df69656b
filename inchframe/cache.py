"""See and clear the on-disk HTTP cache (``inchframe cache info|clear`` on the command line)."""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from ._http import CACHE_FILE, open_cache
from .config import resolve_settings
from .endpoints import endpoint_of

__all__ = ["CacheInfo", "cache_info", "clear_cache"]


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
        for response in session.cache.responses.values():
            request = response.request
            counts[endpoint_of(request.method or "GET", urlsplit(request.url or "").path)] += 1
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
    """
    directory = _cache_dir(cache_dir)
    if not (directory / CACHE_FILE).exists():
        return 0
    session = open_cache(directory)
    try:
        before = len(session.cache.responses)
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
