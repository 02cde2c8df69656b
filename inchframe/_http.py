"""The HTTP session: on-disk cache -> client-side rate limiter -> urllib3 Retry -> requests.

Order matters: requests-cache answers a hit before the transport adapter is reached, so a cache
hit costs no rate-limit token; the rate limiter (requests-ratelimiter) sits in the adapter, and
urllib3's ``Retry`` runs inside it for 429 (honouring ``Retry-After``, capped), 5xx and dropped
connections, with exponential backoff and jitter.

Hooks: the limiter is made in :func:`inchframe.budget.build_limiter`, the cache's storage in
:func:`inchframe.cache_backend.build_backend` (SQLite in WAL mode with a JSON serializer, no
pickle). The ``Authorization`` header is neither part of a cache key nor
stored (requests-cache redacts ``ignored_parameters`` from the stored request). POST bodies are
part of the key.
"""

from __future__ import annotations

import contextlib
import email.utils
import logging
import math
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from itertools import takewhile
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from requests_ratelimiter import LimiterAdapter
from urllib3.exceptions import DecodeError, MaxRetryError, ProtocolError, ReadTimeoutError
from urllib3.util import Timeout as Urllib3Timeout
from urllib3.util.retry import Retry

# the cache's storage lives in cache_backend; these names stay importable from here
from .cache_backend import CACHE_FILE, build_backend, cache_serializer, open_cache
from .config import RETRY_AFTER_MAX, ApiKey, Settings, split_base_url
from .endpoints import expiry_for  # expiry: one column of ENDPOINTS

log = logging.getLogger("inchframe.http")

__all__ = [
    "CACHE_FILE",
    "RETRY_STATUSES",
    "BearerAuth",
    "StatusBoard",
    "build_session",
    "cache_serializer",
    "expiry_for",
    "hide_in_logs",
    "open_cache",
    "parse_retry_after",
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


_URL_LOGGERS = ("urllib3", "requests", "requests_cache", "requests_ratelimiter", "inchframe")
#: Values of base URL query parameters (and their URL-encoded forms) kept out of log records.
_LOG_SECRETS: set[str] = set()
_LOG_LOCK = threading.Lock()


class _RedactSecrets(logging.Filter):
    """Rewrites a log record whose text holds a registered secret, with ``***`` in its place."""

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = _LOG_SECRETS
        if not secrets:
            return True
        try:
            text = record.getMessage()
        except Exception:  # a record that cannot be formatted is logging's problem, not ours
            return True
        if any(secret in text for secret in secrets):
            for secret in sorted(secrets, key=len, reverse=True):
                text = text.replace(secret, "***")
            record.msg, record.args = text, None
        return True


_REDACTOR = _RedactSecrets()


def hide_in_logs(values: Iterable[str]) -> None:
    """Keep ``values`` (e.g. the query values of a base URL, which go on the wire in every
    request's URL) out of the records of the HTTP libraries' loggers and inchframe's own.

    Third-party DEBUG logs (urllib3's ``"GET /path?apiKey=..."``) print full URLs; the filter
    is added to each of their loggers, as a handler-independent filter only sees records
    logged to the logger it is on. Values shorter than 6 characters are not secrets worth
    masking (``region=eu``) and are left alone.
    """
    from urllib.parse import quote, quote_plus

    fresh = {form for v in values if len(v) >= 6 for form in (v, quote(v, safe=""), quote_plus(v))}
    if not fresh - _LOG_SECRETS:
        return
    with _LOG_LOCK:
        _LOG_SECRETS.update(fresh)
        import requests_cache  # noqa: F401  (its loggers exist once it is imported)

        names = [
            name
            for name in list(logging.root.manager.loggerDict)
            if name.split(".")[0] in _URL_LOGGERS
        ]
        for name in {*names, *_URL_LOGGERS}:
            logger = logging.getLogger(name)
            if _REDACTOR not in logger.filters:
                logger.addFilter(_REDACTOR)


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


def parse_retry_after(value: str | None, *, cap: float = RETRY_AFTER_MAX) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait, at most ``cap``; None when it is absent
    or not a valid value (``soon``, ``-5``, ``1e9``, a date that cannot be read): a server's
    junk header is treated as no header, not as an error.

    Valid forms (RFC 9110): a whole number of seconds, or an HTTP date (a past date is 0).
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isascii() and text.isdigit():
        # a huge number is the cap; int() of thousands of digits would raise ValueError
        return float(cap) if len(text) > 9 else min(float(int(text)), float(cap))
    try:
        moment = email.utils.parsedate_tz(text)
        if moment is None:
            return None
        seconds = email.utils.mktime_tz(moment) - time.time()
    except (TypeError, ValueError, OverflowError):
        return None
    return min(max(float(seconds), 0.0), float(cap))


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

    def get_retry_after(self, response: Any) -> float | None:
        """urllib3's, except that an invalid ``Retry-After`` counts as absent (urllib3 raises
        ``InvalidHeader``, which ended the request) and a huge one is capped."""
        return parse_retry_after(
            response.headers.get("Retry-After"), cap=float(self.retry_after_max)
        )

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

    #: whether :meth:`close` closes the limiter too (False for a limiter shared by adapters)
    owns_limiter = True

    def close(self) -> None:
        """Close the pools and, if it owns it, the limiter's leak thread (requests-ratelimiter
        leaves a limiter passed as ``limiter=`` to its owner; :func:`build_adapter` made it)."""
        super().close()
        if self.owns_limiter:
            self.limiter.bucket_factory.close()

    def take_token(self, bucket: str) -> None:
        """Block until the rate allows one more request to ``bucket``."""
        if not self.limiter.try_acquire(bucket, weight=1, blocking=False):
            board = self.board or StatusBoard()
            board.count_rate_wait()
            with board.waiting(f"rate limit {self.rate_text}"):
                self.limiter.try_acquire(bucket, weight=1, blocking=True, timeout=-1)

    def pace_retry(self) -> None:
        """Called by :class:`ObservedRetry` in the sending thread before each retry: takes a
        token of the rate, and starts the clock of the next attempt."""
        bucket = getattr(self._sending, "bucket", None)
        if bucket is not None:
            self.take_token(bucket)
        self._sending.started = time.monotonic()

    def send(  # type: ignore[override]
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        """Send ``request`` once the rate allows, and read its whole body within ``timeout``.

        ``timeout`` (a number, or requests' ``(connect, read)`` pair) bounds each attempt as a
        whole: connecting, the headers and the body (see :func:`read_body`); urllib3's read
        timeout alone bounds only each wait for a byte, so a body that trickles in was never
        cut off. A body that times out or breaks off midway is retried like a dropped
        connection, under the same :class:`ObservedRetry` budget and backoff. ``stream=True``
        (never used by inchframe) keeps requests' own behaviour.
        """
        bucket = self._bucket_name(request)
        self.take_token(bucket)
        started = time.perf_counter()
        limit = whole_timeout(timeout)
        options: dict[str, Any] = {"verify": verify, "cert": cert, "proxies": proxies}
        if stream or limit is None:
            response = self._send_once(request, bucket, stream=stream, timeout=timeout, **options)
        else:
            response = self._send_bounded(request, bucket, limit, timeout, options)
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

    def _send_once(
        self, request: requests.PreparedRequest, bucket: str, **kwargs: Any
    ) -> requests.Response:
        self._sending.bucket = bucket
        self._sending.started = time.monotonic()
        try:
            return HTTPAdapter.send(self, request, **kwargs)  # skip the mixin's own acquire
        finally:
            self._sending.bucket = None

    def _send_bounded(
        self,
        request: requests.PreparedRequest,
        bucket: str,
        limit: float,
        timeout: Any,
        options: dict[str, Any],
    ) -> requests.Response:
        connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        # urllib3's total: connect and headers of one attempt within `limit` together
        bounded = Urllib3Timeout(connect=connect, read=read, total=limit)
        retry = self.max_retries
        while True:
            response = self._send_once(request, bucket, stream=True, timeout=bounded, **options)
            deadline = getattr(self._sending, "started", time.monotonic()) + limit
            try:
                response._content = read_body(response, deadline)
                return response
            except (ReadTimeoutError, ProtocolError, OSError) as error:
                response.close()
                try:
                    retry = retry.increment(request.method, request.url, error=_read_error(error))
                except MaxRetryError:
                    if isinstance(error, ReadTimeoutError):
                        raise requests.exceptions.ReadTimeout(
                            f"the answer did not arrive within {limit:g} s", request=request
                        ) from None
                    raise requests.exceptions.ChunkedEncodingError(
                        f"the body broke off: {error}", request=request
                    ) from None
                self._sending.bucket = bucket
                try:
                    retry.sleep()  # backoff, then a token of the rate (pace_retry)
                finally:
                    self._sending.bucket = None


#: Bytes read from the socket at a time while a body arrives.
_BODY_CHUNK = 256 * 1024


def whole_timeout(timeout: Any) -> float | None:
    """The seconds one attempt may take as a whole, from requests' ``timeout`` argument: the
    read part of a ``(connect, read)`` pair (inchframe's ``timeout`` setting), or the number."""
    if isinstance(timeout, tuple):
        timeout = timeout[1] if len(timeout) == 2 else None
    if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 0:
        return float(timeout)
    return None


def read_body(response: requests.Response, deadline: float) -> bytes:
    """The whole (decoded) body of a streamed ``response``, read by :data:`_BODY_CHUNK` with
    each wait for bytes cut to the time left before ``deadline`` (``time.monotonic()``).

    Raises urllib3's ``ReadTimeoutError`` past the deadline and ``ProtocolError`` when the
    body breaks off (fewer bytes than ``Content-Length``); the connection then is closed.
    On success the connection goes back to the pool and the response reads as if requests
    had read it (``response.content``).
    """
    raw = response.raw
    chunks: list[bytes] = []
    sock = getattr(getattr(raw, "connection", None), "sock", None)
    original = sock.gettimeout() if sock is not None else None
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ReadTimeoutError(None, response.url, "the whole-request timeout passed")  # type: ignore[arg-type]
            if sock is not None:
                sock.settimeout(left)
            try:
                chunk = raw.read1(_BODY_CHUNK, decode_content=True)
            except DecodeError as error:  # as requests reports it
                raise requests.exceptions.ContentDecodingError(error) from None
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        if sock is not None:  # the connection may serve the next request: its own timeout back
            with contextlib.suppress(OSError):
                sock.settimeout(original)
    response._content_consumed = True  # type: ignore[attr-defined]
    raw.release_conn()
    return b"".join(chunks)


def _read_error(error: BaseException) -> Exception:
    """``error`` as urllib3 ``Retry.increment`` counts it: a timeout or a broken-off read."""
    if isinstance(error, (ReadTimeoutError, ProtocolError)):
        return error
    return ProtocolError(f"reading the body failed: {error}", error)


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
    """requests-ratelimiter's adapter with urllib3 retries, on the limiter of the key's rate
    budget (:func:`inchframe.budget.build_limiter`: shared by every process using it, by
    default a file next to the cache, ``INCHFRAME_LIMITER_URL`` for Redis). The adapter
    closes the limiter with itself."""
    from .budget import build_limiter, is_shared

    # requests-ratelimiter's public `limiter=` parameter: half-second bursts under the 1 s
    # window, and a 10 ms buffer instead of its 50 ms (which alone caps a batch at 1/1.05 = 95%
    # of the rate): see pacing_rates
    adapter = ObservedLimiterAdapter(
        limiter=build_limiter(settings, pacing_rates(settings.rate), buffer_ms=LIMITER_BUFFER_MS),
        per_host=True,
        limit_statuses=(429,),
        max_retries=build_retry(settings, board),
        pool_connections=4,
        pool_maxsize=pool_size,
    )
    adapter.board = board
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
            secret_params=tuple(name for name, _ in split_base_url(settings.base_url)[1]),
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
