"""The HTTP session: on-disk cache -> client-side rate limiter -> urllib3 Retry -> requests.

Order matters: requests-cache answers a hit before the transport adapter is reached, so a cache
hit costs no rate-limit token; the rate limiter (requests-ratelimiter) sits in the adapter, and
urllib3's ``Retry`` runs inside it for 429 (honouring ``Retry-After``, capped), 5xx and dropped
connections, with exponential backoff and jitter.

The cache is SQLite in WAL mode with a JSON serializer (no pickle; the body is kept as raw bytes,
see :func:`cache_serializer`). The ``Authorization`` header is neither part of a cache key nor
stored (requests-cache redacts ``ignored_parameters`` from the stored request). POST bodies are
part of the key.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import takewhile
from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from requests_ratelimiter import LimiterAdapter
from urllib3.util.retry import Retry

from .config import RETRY_AFTER_MAX, ApiKey, Settings
from .endpoints import expiry_for  # expiry: one column of ENDPOINTS

log = logging.getLogger("inchframe.http")

__all__ = [
    "CACHE_FILE",
    "RETRY_STATUSES",
    "BearerAuth",
    "StatusBoard",
    "build_session",
    "expiry_for",
    "open_cache",
]

CACHE_FILE = "http_cache.sqlite"
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


def build_adapter(
    settings: Settings, board: StatusBoard, *, pool_size: int
) -> ObservedLimiterAdapter:
    adapter = ObservedLimiterAdapter(
        per_second=settings.rate,
        per_host=True,
        limit_statuses=(429,),
        max_retries=build_retry(settings, board),
        pool_connections=4,
        pool_maxsize=pool_size,
    )
    # Half-second bursts under the 1 s window, and a 10 ms buffer instead of 50 ms (which alone
    # caps a batch at 1/1.05 = 95% of the rate): see pacing_rates. The factory reads its rates
    # when it creates the first bucket, i.e. after this.
    adapter.limiter.bucket_factory.rates = pacing_rates(settings.rate)
    adapter.limiter.buffer_ms = LIMITER_BUFFER_MS
    adapter.board = board
    adapter.rate_text = f"{settings.rate:g}/s"
    if isinstance(adapter.max_retries, ObservedRetry):
        adapter.max_retries.pace = adapter.pace_retry
    return adapter


#: Marks a cache entry written by :func:`cache_serializer` (JSON head, then the raw body).
_ENTRY_MAGIC = b"IFC1"


@functools.cache
def cache_serializer() -> Any:
    """The cache's serializer: requests-cache's JSON form (never pickle) for everything but the
    body, and the body stored as the raw bytes that came over the wire.

    requests-cache's own ``"json"`` serializer writes the body as base64 inside the JSON text,
    so every hit decodes (and parses) a third more than the body itself: about 1.5 ms for a
    200 kB body here, against 0.5 ms for this one (benchmarks/bench_cache.py). An entry is
    ``b"IFC1"``, the JSON head's length (4 bytes, big-endian), the head, then the body. Entries
    written by the ``"json"`` serializer (older caches) are still read.
    """
    import copy

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


def open_cache(cache_dir: Path, *, offline: bool = False, sandbox_url: str | None = None) -> Any:
    """A requests-cache ``CachedSession`` on ``cache_dir``, configured as inchframe uses it.

    The backend gives up on a lock after ``inchframe.cache.BUSY_TIMEOUT_MS`` and every stored
    body carries its SHA-256 (see :mod:`inchframe.cache`); a damaged, locked or unwritable file
    raises :class:`~inchframe.errors.CacheError` naming the file and the fix.

    Offline, expired entries are served too (``stale_if_error``): old data beats no data, and
    each reply's ``fetched_at`` says how old it is. ``sandbox_url``: the embedded sandbox the
    client started; its entries are keyed on a fixed host so later sessions reuse them.
    """
    from requests_cache import CachedSession

    from .cache import open_backend, stamp_digest
    from .errors import CacheError

    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CacheError(str(cache_dir / CACHE_FILE), "unusable", str(error)) from None
    backend = open_backend(cache_dir / CACHE_FILE)
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
