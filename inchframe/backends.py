"""Where the HTTP cache and the rate budget live when they are not files in the cache directory.

``INCHFRAME_CACHE_URL=redis://host:port/db`` puts the HTTP cache in Redis (requests-cache's
``RedisCache``, with inchframe's JSON serializer), so several machines share one cache;
``INCHFRAME_LIMITER_URL`` says where the rate budget lives (see :mod:`inchframe.budget`).

The API key never reaches Redis: cache keys do not depend on it at all (the ``Authorization``
header is neither part of a key nor stored), and the rate budget's name is a salted hash of it
(:func:`key_digest`). Redis entries do not carry a Redis TTL: offline mode serves expired
entries, and ``inchframe cache clear --expired`` removes them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from .errors import CacheError, ConfigError

__all__ = [
    "REDIS_NAMESPACE",
    "check_cache_url",
    "check_limiter_url",
    "clear_redis_cache",
    "is_backend_error",
    "key_digest",
    "open_redis_cache",
    "redacted",
    "redis_cache_info",
    "redis_connection",
    "redis_in_use",
    "redis_salt",
]

_Info = TypeVar("_Info")

#: Prefix of the cache's Redis keys (requests-cache's namespace): ``inchframe-cache:<key>``.
REDIS_NAMESPACE = "inchframe-cache"
#: The Redis key holding the salt of key digests, and the prefix of rate budgets' keys.
REDIS_SALT_KEY = "inchframe-salt"
REDIS_BUDGET_PREFIX = "inchframe-budget:"
_REDIS_SCHEMES = ("redis", "rediss", "unix")
#: Seconds a Redis command may take before it fails (as a :class:`CacheError`).
REDIS_TIMEOUT = 10.0


def redacted(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for messages and ``cache info``)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def _check_redis(name: str, url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in _REDIS_SCHEMES:
        raise ConfigError(
            f"{name}={redacted(url)!r}: expected redis://host:port/db, rediss://... or unix://..."
        )
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ConfigError(f"{name}={redacted(url)!r}: the port is not a number") from None
    if parts.scheme != "unix" and not parts.hostname:
        raise ConfigError(f"{name}={redacted(url)!r}: no host")
    db = parts.path.strip("/")
    if parts.scheme != "unix" and db and not db.isdigit():
        raise ConfigError(f"{name}={redacted(url)!r}: the database must be a number (/0)")
    return url


def check_cache_url(name: str, url: str | None) -> str | None:
    """Validate ``INCHFRAME_CACHE_URL`` (None: the SQLite file in the cache directory)."""
    if url is None:
        return None
    if not isinstance(url, str):
        raise ConfigError(f"cache_url: expected a string, not {type(url).__name__}")
    return _check_redis(name, url.strip())


def check_limiter_url(name: str, url: str | None) -> str | None:
    """Validate ``INCHFRAME_LIMITER_URL``: ``memory``, ``sqlite:///path`` or a Redis URL."""
    if url is None:
        return None
    if not isinstance(url, str):
        raise ConfigError(f"limiter_url: expected a string, not {type(url).__name__}")
    url = url.strip()
    if url == "memory":
        return url
    if url.startswith("sqlite://"):
        if not urlsplit(url).path:
            raise ConfigError(f"{name}={url!r}: expected sqlite:///path/to/budget.sqlite")
        return url
    if urlsplit(url).scheme not in _REDIS_SCHEMES:
        raise ConfigError(
            f"{name}={redacted(url)!r}: expected memory, sqlite:///path or redis://host:port/db"
        )
    return _check_redis(name, url)


def redis_connection(url: str) -> Any:
    """A redis-py client for ``url``, with bounded connect and command timeouts."""
    try:
        import redis
    except ImportError:
        raise ConfigError(
            f"{redacted(url)} needs the redis package: pip install 'inchframe[redis]'"
        ) from None
    return redis.Redis.from_url(
        url,
        socket_timeout=REDIS_TIMEOUT,
        socket_connect_timeout=REDIS_TIMEOUT,
        health_check_interval=30,
    )


def is_backend_error(error: BaseException) -> bool:
    """Whether ``error`` comes from the Redis client (a server down, a timeout, a bad reply)."""
    try:
        import redis
    except ImportError:
        return False
    return isinstance(error, redis.RedisError)


def redis_in_use(settings: Any) -> str:
    """The Redis URL(s) ``settings`` use for the cache and the budget, without passwords."""
    urls = [settings.cache_url, settings.limiter_url]
    found = [u for u in dict.fromkeys(urls) if u and urlsplit(u).scheme in _REDIS_SCHEMES]
    return " and ".join(redacted(u) for u in found) or "redis"


def backend_error(url: str, error: BaseException) -> CacheError:
    """The :class:`CacheError` for a Redis error on the cache at ``url``."""
    text = f"{type(error).__name__}: {error}"
    return CacheError(redacted(url), "unreachable", text)


def redis_salt(connection: Any) -> bytes:
    """The salt of this Redis for key digests: made once (``SET NX``), then shared by all."""
    connection.set(REDIS_SALT_KEY, secrets.token_hex(16), nx=True)
    salt = connection.get(REDIS_SALT_KEY)
    return bytes(salt)


def key_digest(key: str, salt: bytes) -> str:
    """A salted hash of an API key (HMAC-SHA-256, 32 hex digits): what stands for the key in
    the names of rate budgets."""
    return hmac.new(salt, key.encode(), hashlib.sha256).hexdigest()[:32]


def open_redis_cache(url: str, serializer: Any) -> Any:
    """requests-cache's ``RedisCache`` on ``url``, with inchframe's serializer and no Redis TTL.

    Raises :class:`CacheError` when the server cannot be reached.
    """
    from requests_cache import RedisCache

    connection = redis_connection(url)
    try:
        connection.ping()
    except Exception as error:
        if is_backend_error(error):
            raise backend_error(url, error) from None
        raise
    return RedisCache(
        namespace=REDIS_NAMESPACE, connection=connection, serializer=serializer, ttl=False
    )


def _session(url: str, serializer: Any) -> Any:
    from requests_cache import CachedSession

    return CachedSession(backend=open_redis_cache(url, serializer))


def redis_cache_info(url: str, info_class: Callable[..., _Info], serializer: Any) -> _Info:
    """``info_class`` (:class:`~inchframe.cache.CacheInfo`, passed in so this module never
    imports the cache report) of the Redis cache at ``url``."""
    CacheInfo = info_class
    from .endpoints import endpoint_of

    session = _session(url, serializer)
    try:
        counts: Counter[str] = Counter()
        expired = 0
        size = 0
        created: list[dt.datetime] = []
        responses = session.cache.responses
        for key in list(responses.keys()):
            response = responses.get(key)
            size += int(responses.connection.memory_usage(responses._bkey(key)) or 0)
            if response is None:
                counts["unreadable"] += 1
                continue
            request = response.request
            counts[endpoint_of(request.method or "GET", urlsplit(request.url or "").path)] += 1
            expired += response.is_expired
            created.append(response.created_at)
        return CacheInfo(
            path=Path(REDIS_NAMESPACE),
            location=redacted(url),
            entries=sum(counts.values()),
            bytes=size,
            expired=expired,
            by_endpoint=dict(counts),
            oldest=min(created, default=None),
            newest=max(created, default=None),
        )
    except Exception as error:
        if is_backend_error(error):
            raise backend_error(url, error) from None
        raise
    finally:
        session.close()


def clear_redis_cache(
    url: str,
    serializer: Any,
    *,
    expired_only: bool = False,
    older_than: dt.timedelta | float | None = None,
) -> int:
    """Remove entries of the Redis cache at ``url`` (see :func:`inchframe.cache.clear_cache`)."""
    if isinstance(older_than, (int, float)):
        older_than = dt.timedelta(seconds=older_than)
    session = _session(url, serializer)
    try:
        before = len(session.cache.responses)
        if not expired_only and older_than is None:
            session.cache.clear()
        else:
            session.cache.delete(expired=expired_only, older_than=older_than)
        return before - len(session.cache.responses)
    except Exception as error:
        if is_backend_error(error):
            raise backend_error(url, error) from None
        raise
    finally:
        session.close()
