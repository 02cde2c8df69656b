"""The HTTP session: on-disk cache -> client-side rate limiter -> urllib3 Retry -> requests.

Order matters: requests-cache answers a hit before the transport adapter is reached, so a cache
hit costs no rate-limit token; the rate limiter (requests-ratelimiter) sits in the adapter, and
urllib3's ``Retry`` runs inside it for 429 (honouring ``Retry-After``, capped), 5xx and dropped
connections, with exponential backoff and jitter.

Hooks: the limiter is made in :func:`build_limiter`, the cache's storage in
:func:`inchframe.cache_backend.build_backend` (SQLite in WAL mode with a JSON serializer, no
pickle). The ``Authorization`` header is neither part of a cache key nor
stored (requests-cache redacts ``ignored_parameters`` from the stored request). POST bodies are
part of the key.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import takewhile
from typing import Any

import requests
from pyrate_limiter import Limiter
from requests.adapters import HTTPAdapter
from requests_ratelimiter import LimiterAdapter
from urllib3.util.retry import Retry

# the cache's storage lives in cache_backend; these names stay importable from here
from .cache_backend import CACHE_FILE, build_backend, cache_serializer, open_cache
from .config import RETRY_AFTER_MAX, ApiKey, Settings

log = logging.getLogger("inchframe.http")

__all__ = [
    "CACHE_FILE",
    "RETRY_STATUSES",
    "BearerAuth",
    "StatusBoard",
    "build_limiter",
    "build_session",
    "cache_serializer",
    "expiry_for",
    "open_cache",
]

RETRY_STATUSES = (429, 500, 502, 503, 504)
#: Backoff for 5xx and dropped connections: 0.5 s, 1 s, 2 s, ... capped, with up to 0.5 s jitter.
BACKOFF_FACTOR = 0.5
BACKOFF_MAX = 20.0
BACKOFF_JITTER = 0.5

#: Milliseconds the rate limiter adds to each wait, against jitter between the client and the
#: server (see :func:`pacing_rates`); requests-ratelimiter uses 50.
LIMITER_BUFFER_MS = 10


def pacing_rates(rate: float) -> list[Any]:
    """pyrate-limiter rates for ``rate`` requests/s: at most ``rate`` in any sliding second (as
    requests-ratelimiter does), and at most half of that in any half second.

    requests-ratelimiter's single 1 s window lets a full second's worth go at once, which
    empties a token-bucket server (capacity ``rate``: the sandbox, most gateways); then jitter of
    more than the limiter's buffer between two windows is a 429 and a Retry-After wait, and the
    50 ms buffer that avoids it caps a batch at 1/1.05 = 95% of the rate. Bursts of half a
    second's worth keep half the server's bucket in reserve (half a second of jitter), and wake
    the waiting threads once per burst rather than once per request (GIL handoffs).
    """
    from fractions import Fraction

    from pyrate_limiter import Rate

    ratio = Fraction(rate).limit_denominator(1000)  # rate = limit / seconds
    limit, interval = ratio.numerator, 1000 * ratio.denominator
    burst = math.ceil(limit / 2)
    if burst >= limit:  # 1 request per interval: nothing to split
        return [Rate(limit, interval)]
    # floor: the burst rate is at least as dense as the cap, as pyrate-limiter requires
    return [Rate(burst, interval * burst // limit), Rate(limit, interval)]


MINUTE, HOUR, DAY = 60, 3600, 86400
#: How long a response stays fresh, by endpoint name prefix (first match wins).
EXPIRY: tuple[tuple[str, int], ...] = (
    ("balance.token_metadata", DAY),  # the token list behind symbols and decimals
    ("balance.", 5 * MINUTE),
    ("v4.supported_", DAY),
    ("v5.supported_", DAY),
    ("v4.is_available", MINUTE),
    ("v5.status", MINUTE),
    ("v5.address_check", HOUR),
    ("v4.value_chart", HOUR),
    ("v5.chart", HOUR),
    ("v5.report", HOUR),
    ("v5.tokens_metrics", HOUR),
    ("v5.protocols_metrics", HOUR),
    ("v4.profit_and_loss", HOUR),
    ("v4.protocols_profit_and_loss", HOUR),
    ("v4.tokens_profit_and_loss", HOUR),
    ("v4.", 5 * MINUTE),
    ("v5.", 5 * MINUTE),
)
#: Snapshots at a given past timestamp do not change.
HISTORICAL_EXPIRY = 7 * DAY


def expiry_for(endpoint: str, *, historical: bool = False) -> int:
    """Seconds a response of ``endpoint`` stays fresh in the cache."""
    if historical:
        return HISTORICAL_EXPIRY
    for prefix, seconds in EXPIRY:
        if endpoint.startswith(prefix):
            return seconds
    return 5 * MINUTE


class BearerAuth(requests.auth.AuthBase):
    """Adds ``Authorization: Bearer <key>``; its repr never shows the key."""

    def __init__(self, key: ApiKey) -> None:
        self._key = key

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._key.reveal()}"
        return request

    def __repr__(self) -> str:
        return "BearerAuth('***')"


class StatusBoard:
    """What the transport is doing right now, for progress bars; plus retry counters.

    Shared by the threads of one client; every method is thread-safe.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: dict[int, str] = {}
        self.retries = 0
        self.rate_waits = 0

    @contextmanager
    def waiting(self, reason: str) -> Iterator[None]:
        ident = threading.get_ident()
        with self._lock:
            self._waiting[ident] = reason
        try:
            yield
        finally:
            with self._lock:
                self._waiting.pop(ident, None)

    def count_retry(self) -> None:
        with self._lock:
            self.retries += 1

    def count_rate_wait(self) -> None:
        with self._lock:
            self.rate_waits += 1

    def describe(self) -> str:
        """A short text such as ``"waiting: rate limit 1/s"``, or ``""`` when nothing waits."""
        with self._lock:
            reasons = sorted(set(self._waiting.values()))
        return "waiting: " + ", ".join(reasons) if reasons else ""


class ObservedRetry(Retry):
    """urllib3 ``Retry`` that reports its waits and counts to a :class:`StatusBoard`, backs off
    before the first retry too, and takes a token of the client's rate before each retry.

    urllib3 retries inside the adapter, after the rate limiter let the first attempt through,
    and sends its first retry at once: a burst of 5xx would then exceed the rate (the free
    plan's 1 request/s) and earn 429s.
    """

    board: StatusBoard | None = None
    #: blocks until the client's rate allows one more request (set by :func:`build_adapter`)
    pace: Callable[[], None] | None = None

    def new(self, **kw: Any) -> ObservedRetry:
        fresh = super().new(**kw)
        fresh.board = self.board
        fresh.pace = self.pace
        return fresh

    def get_backoff_time(self) -> float:
        """``backoff_factor * 2**(n - 1)`` plus jitter after the n-th consecutive error, n >= 1."""
        errors = len(list(takewhile(lambda h: h.redirect_location is None, reversed(self.history))))
        if errors == 0:
            return 0.0
        value = self.backoff_factor * 2 ** (errors - 1) + random.random() * self.backoff_jitter
        return float(max(0.0, min(self.backoff_max, value)))

    def increment(self, *args: Any, **kwargs: Any) -> ObservedRetry:
        new = super().increment(*args, **kwargs)
        if self.board is not None:
            self.board.count_retry()
        return new

    def sleep(self, response: Any = None) -> None:
        if self.board is None:
            super().sleep(response)
            if self.pace is not None:
                self.pace()
            return
        retry_after = self.get_retry_after(response) if response is not None else None
        if retry_after:
            reason = f"Retry-After {retry_after:g}s (HTTP {response.status})"
        else:
            reason = f"backoff {self.get_backoff_time():.1f}s"
        with self.board.waiting(reason):
            super().sleep(response)
        if self.pace is not None:
            self.pace()


class ObservedLimiterAdapter(LimiterAdapter):
    """requests-ratelimiter's adapter, telling the :class:`StatusBoard` when it waits."""

    board: StatusBoard | None = None
    rate_text = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sending = threading.local()  # the bucket of the request this thread is sending

    def close(self) -> None:
        """Close the pools and the limiter's leak thread (requests-ratelimiter leaves a
        limiter passed as ``limiter=`` to its owner; :func:`build_adapter` made this one)."""
        super().close()
        self.limiter.bucket_factory.close()

    def take_token(self, bucket: str) -> None:
        """Block until the rate allows one more request to ``bucket``."""
        if not self.limiter.try_acquire(bucket, weight=1, blocking=False):
            board = self.board or StatusBoard()
            board.count_rate_wait()
            with board.waiting(f"rate limit {self.rate_text}"):
                self.limiter.try_acquire(bucket, weight=1, blocking=True, timeout=-1)

    def pace_retry(self) -> None:
        """Called by :class:`ObservedRetry` in the sending thread before each retry."""
        bucket = getattr(self._sending, "bucket", None)
        if bucket is not None:
            self.take_token(bucket)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        bucket = self._bucket_name(request)
        self.take_token(bucket)
        started = time.perf_counter()
        self._sending.bucket = bucket
        try:
            response = HTTPAdapter.send(self, request, **kwargs)  # skip the mixin's own acquire
        finally:
            self._sending.bucket = None
        log.debug(
            "%s %s -> %s in %.3fs",
            request.method,
            request.path_url.split("?")[0],
            response.status_code,
            time.perf_counter() - started,
        )
        if response.status_code in self.limit_statuses:
            self._fill_bucket(request)
        return response


def build_retry(settings: Settings, board: StatusBoard | None) -> ObservedRetry:
    retry = ObservedRetry(
        total=settings.max_retries,
        connect=settings.max_retries,
        read=settings.max_retries,
        status=settings.max_retries,
        other=0,
        allowed_methods=None,  # every call is a read, POSTs included, so all are safe to retry
        status_forcelist=RETRY_STATUSES,
        backoff_factor=BACKOFF_FACTOR,
        backoff_max=BACKOFF_MAX,
        backoff_jitter=BACKOFF_JITTER,
        respect_retry_after_header=True,
        retry_after_max=int(RETRY_AFTER_MAX),
        raise_on_status=False,  # the last response comes back and becomes an ApiError
    )
    retry.board = board
    return retry


def build_limiter(settings: Settings) -> Limiter:
    """The rate limiter of a client's adapter: one in-memory bucket per host, paced as
    :func:`pacing_rates` says, with a :data:`LIMITER_BUFFER_MS` buffer.

    The one place the limiter is made: the buckets are those of the key's rate budget, shared
    by every process using it (:func:`inchframe.budget.build_limiter`: by default a file next
    to the cache, ``INCHFRAME_LIMITER_URL`` for Redis). The adapter closes it with itself.
    """
    from .budget import build_limiter as build_budget_limiter

    limiter: Limiter = build_budget_limiter(
        settings, pacing_rates(settings.rate), buffer_ms=LIMITER_BUFFER_MS
    )
    return limiter


def build_adapter(
    settings: Settings, board: StatusBoard, *, pool_size: int
) -> ObservedLimiterAdapter:
    # requests-ratelimiter's public `limiter=` parameter: half-second bursts under the 1 s
    # window, and a 10 ms buffer instead of its 50 ms (which alone caps a batch at 1/1.05 = 95%
    # of the rate): see pacing_rates
    adapter = ObservedLimiterAdapter(
        limiter=build_limiter(settings),
        per_host=True,
        limit_statuses=(429,),
        max_retries=build_retry(settings, board),
        pool_connections=4,
        pool_maxsize=pool_size,
    )
    adapter.board = board
    from .budget import is_shared

    adapter.rate_text = f"{settings.rate:g}/s" + (" shared" if is_shared(adapter.limiter) else "")
    if isinstance(adapter.max_retries, ObservedRetry):
        adapter.max_retries.pace = adapter.pace_retry
    return adapter


def build_session(
    settings: Settings, board: StatusBoard, *, pool_size: int = 16
) -> requests.Session:
    """The session a :class:`~inchframe.client.Client` owns: cached (unless disabled) and
    rate-limited, with retries."""
    session = (
        open_cache(
            settings.cache_dir,
            offline=settings.offline,
            sandbox_url=settings.base_url if settings.sandbox else None,
            backend=build_backend(settings),
        )
        if settings.cache
        else requests.Session()
    )
    adapter = build_adapter(settings, board, pool_size=pool_size)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = f"inchframe/{_version()} (+python-requests)"
    session.headers["Accept"] = "application/json, text/csv;q=0.9"
    return session


def _version() -> str:
    from . import __version__

    return __version__
