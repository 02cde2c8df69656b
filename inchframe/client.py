"""The :class:`Client`: one HTTP session (cache, rate limit, retries), one method per endpoint.

Endpoint methods return parsed JSON (the v5 report: CSV text), for users who want raw
responses. Loaders (``inchframe.balances``, ``inchframe.portfolio.tokens_snapshot``...) build many
:class:`~inchframe.endpoints.Call` objects and send them with :meth:`Client.fetch_many`, which
runs them concurrently up to the configured rate and keeps every reply that arrived.

This module never imports pandas.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import inspect
import json
import logging
import math
import os
import sqlite3
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar, cast

import requests

from . import endpoints as ep
from ._http import (
    BearerAuth,
    StatusBoard,
    build_adapter,
    build_session,
    expiry_for,
    hide_in_logs,
    parse_retry_after,
)
from ._json import loads_json
from .backends import backend_error, is_backend_error, redacted, redis_in_use
from .cache_backend import SLOW_PATH, cache_error, guarded, is_intact
from .config import (
    ENV,
    SANDBOX_API_KEY,
    ApiKey,
    Settings,
    is_loopback_url,
    redact_base_url,
    resolve_settings,
    split_base_url,
)
from .errors import (
    ApiError,
    ConfigError,
    InchframeError,
    OfflineCacheMiss,
    PayloadError,
    RateLimitError,
    SandboxWarning,
    TransportError,
    api_error_for_status,
    redact_url,
    user_stacklevel,
)

log = logging.getLogger("inchframe.client")

__all__ = [
    "BatchResult",
    "Client",
    "Failure",
    "NotAttemptedError",
    "Plan",
    "Reply",
    "SandboxWarning",
]

#: Extra attempts for answers urllib3 cannot retry: bodies cut short or not valid JSON.
BODY_RETRIES = 2
#: Cache keys a client remembers (about 200 bytes each) before it starts over.
_CACHE_KEYS_KEPT = 100_000
#: Batches at least this long show a progress bar when ``progress=None``.
PROGRESS_THRESHOLD = 8
#: For :meth:`Client._fetch`: the call's cache entry is still to be looked up.
_UNREAD = object()


@dataclass(frozen=True)
class Reply:
    """A successful answer to a :class:`~inchframe.endpoints.Call`.

    ``content`` is the body as received; ``payload`` the parsed JSON (the v5 report: CSV text),
    parsed when first read unless the fetch kept it (``raw=False``, the default). A body that is
    not JSON raises :class:`PayloadError` when ``payload`` is read.
    """

    call: ep.Call
    content: bytes = field(repr=False)
    from_cache: bool
    fetched_at: dt.datetime  #: when the API produced it (the original fetch, for cache hits)
    url: str
    request_id: str | None = None

    @cached_property
    def payload(self) -> Any:
        try:
            return _parse_body(self.call, self.content)
        except (ValueError, RecursionError) as exc:
            raise PayloadError(self.call.endpoint, "body", f"not valid JSON: {exc}") from None


@dataclass(frozen=True)
class Failure:
    """A call that did not succeed, with the error that ended it."""

    call: ep.Call
    error: InchframeError


class NotAttemptedError(TransportError):
    """A call of a batch that was never sent: the batch stopped after a run of consecutive
    transport failures (``stop_after``), since the server was not answering."""


class _Breaker:
    """Counts consecutive transport failures of one batch (thread-safe); trips at ``limit``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._run = 0
        self.last: InchframeError | None = None
        self.tripped = False

    def record(self, outcome: Reply | Failure) -> None:
        failed = isinstance(outcome, Failure) and isinstance(outcome.error, TransportError)
        with self._lock:
            if not failed:
                self._run = 0
                return
            assert isinstance(outcome, Failure)
            self._run += 1
            self.last = outcome.error
            if self.limit and self._run >= self.limit and not self.tripped:
                self.tripped = True
                log.warning(
                    "%d requests in a row got no answer (last: %s); the batch sends no more",
                    self._run,
                    outcome.error,
                )

    def refusal(self, call: ep.Call) -> Failure:
        return Failure(
            call,
            NotAttemptedError(
                f"{call.endpoint}: not attempted: the batch stopped after {self.limit} "
                f"consecutive transport failures (last: {self.last})",
                method=call.method,
                endpoint=call.endpoint,
            ),
        )


@dataclass
class BatchResult:
    """Replies and failures of :meth:`Client.fetch_many`, in the order of the calls."""

    replies: list[Reply]
    failures: list[Failure]
    retries: int = 0
    rate_waits: int = 0
    elapsed: float = 0.0

    @property
    def from_cache(self) -> int:
        return sum(r.from_cache for r in self.replies)


@dataclass(frozen=True)
class Plan:
    """What a batch would cost, without sending it (``plan=True`` on the loaders)."""

    calls: Sequence[ep.Call] = field(repr=False)
    requests: int
    cached: int
    rate: float
    offline: bool

    @property
    def to_send(self) -> int:
        return 0 if self.offline else self.requests - self.cached

    @property
    def estimated_seconds(self) -> float:
        """Lower bound at the configured rate (the first request goes at once)."""
        return max(0.0, (self.to_send - 1) / self.rate) if self.to_send else 0.0

    def __str__(self) -> str:
        return (
            f"{self.requests} request(s), {self.cached} already cached, {self.to_send} to "
            f"send, about {self.estimated_seconds:.0f} s at {self.rate:g} request(s)/s"
        )


def _host(url: str) -> str:
    """The host of ``url`` (for messages: never the credentials a URL may carry)."""
    from urllib.parse import urlsplit

    try:
        return urlsplit(url).hostname or "the API"
    except ValueError:
        return "the API"


_Method = TypeVar("_Method", bound=Callable[..., Any])


def _endpoint(name: str) -> Callable[[_Method], _Method]:
    """Mark a :class:`Client` method as the one of endpoint ``name`` (a row of
    ``inchframe.endpoints.ENDPOINTS``) and complete its docstring from the row."""
    row = ep.endpoint(name)

    def mark(method: _Method) -> _Method:
        if method.__name__ != row.client_method:
            raise AssertionError(f"{name}: the table names Client.{row.client_method}")
        lead = method.__doc__ or f"{row.method} {row.route}: {row.summary}."
        returns = "the response as text" if row.response == "text" else "the parsed JSON"
        builder = inspect.signature(row.build_function()).parameters.values()
        options = [p.name for p in builder if p.kind is inspect.Parameter.KEYWORD_ONLY]
        method.__doc__ = (
            f"{lead}\n\nEndpoint ``{name}``: {row.method} ``{row.path}``; returns {returns}. "
            + (f"Keyword options: {', '.join(options)}. " if options else "")
            + f"Request builder: ``inchframe.endpoints.{row.builder}``."
        )
        method.endpoint = name  # type: ignore[attr-defined]
        return method

    return mark


class Client:
    """Access to the 1inch Balance and Portfolio APIs through one configured session.

    Arguments override the environment (see :mod:`inchframe.config`). With no API key and no
    base URL, the client starts the embedded sandbox on 127.0.0.1 and warns that the data is
    synthetic. ``session`` may be your own ``requests.Session`` or ``CachedSession``: inchframe
    mounts its rate-limited adapter for the API's host on it and never closes it.

    Use it as a context manager, or call :meth:`close`, to release the cache file and (if one
    was started) the sandbox.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        sandbox: bool | None = None,
        cache_dir: str | None = None,
        cache: bool | None = None,
        rate: float | None = None,
        offline: bool | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        stop_after: int | None = None,
        session: requests.Session | None = None,
        progress: bool | None = None,
        max_workers: int | None = None,
        cache_url: str | None = None,
        limiter_url: str | None = None,
    ) -> None:
        settings = resolve_settings(
            api_key=api_key,
            base_url=base_url,
            sandbox=sandbox,
            cache_dir=cache_dir,
            cache=cache,
            rate=rate,
            offline=offline,
            timeout=timeout,
            max_retries=max_retries,
            stop_after=stop_after,
            cache_url=cache_url,
            limiter_url=limiter_url,
        )
        self._sandbox: Any = None
        if settings.sandbox:
            # asked for by name: no need to warn; chosen for want of a key: say so
            chosen = sandbox is None and ENV.SANDBOX not in os.environ
            settings = self._start_sandbox(settings, warn=chosen)
        self.settings = settings
        # requests go to the base URL without its user info and query; the query's parameters
        # go with every request and are redacted wherever a URL is shown (see redact_base_url)
        self._base, self._base_params = split_base_url(settings.base_url)
        self._secret_names = frozenset(name for name, _ in self._base_params)
        if self._base_params:
            hide_in_logs(value for _, value in self._base_params)
        self.progress = progress
        self.max_workers = max_workers or max(2, min(16, math.ceil(settings.rate * 2)))
        self.board = StatusBoard()
        self._cache_keys: dict[tuple[Any, ...], str] = {}
        self._owns_session = session is None
        if session is None:
            self._session = build_session(settings, self.board, pool_size=self.max_workers)
        else:
            if settings.offline and not hasattr(session, "cache"):
                raise ConfigError(
                    "offline mode answers from the cache, so session= must be a "
                    "requests_cache.CachedSession (or leave session= out)"
                )
            self._session = session
            session.mount(
                self._base, build_adapter(settings, self.board, pool_size=self.max_workers)
            )
        # a sandbox, embedded or started by you on this machine, needs no key (placeholder sent)
        local = settings.sandbox or is_loopback_url(settings.base_url)
        key = settings.api_key or (ApiKey(SANDBOX_API_KEY) if local else None)
        self._auth = BearerAuth(key) if key else None

    # -- lifecycle ------------------------------------------------------------------------------

    def _start_sandbox(self, settings: Settings, *, warn: bool) -> Settings:
        from .sandbox import Sandbox

        self._sandbox = Sandbox()
        self._sandbox.start()
        if warn:
            warnings.warn(
                "inchframe is using its embedded sandbox (synthetic data on 127.0.0.1) because "
                "no API key is set. Set INCHFRAME_API_KEY (or pass api_key=) for the real 1inch "
                "API; set INCHFRAME_SANDBOX=0 to make a missing key an error instead.",
                SandboxWarning,
                stacklevel=user_stacklevel(),
            )
        return _replace(settings, base_url=self._sandbox.url)

    @property
    def base_url(self) -> str:
        """The API's base URL as it may be shown: credentials in it are ``***``."""
        return redact_base_url(self.settings.base_url)

    @property
    def is_sandbox(self) -> bool:
        return self.settings.sandbox

    @property
    def session(self) -> requests.Session:
        return self._session

    def close(self) -> None:
        """Close the session (if inchframe made it) and stop the sandbox (if it started one)."""
        if self._owns_session:
            self._session.close()
        if self._sandbox is not None:
            self._sandbox.stop()
            self._sandbox = None

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        s = self.settings
        where = "sandbox " + self.base_url if s.sandbox else self.base_url
        key = "set" if s.has_key else "none"
        cache = "off" if not s.cache else ("offline" if s.offline else str(s.cache_dir))
        return f"<inchframe.Client {where} key={key} rate={s.rate:g}/s cache={cache}>"

    # -- sending --------------------------------------------------------------------------------

    def _url(self, call: ep.Call) -> str:
        return self._base + call.path

    def _params(self, call: ep.Call) -> list[tuple[str, Any]] | None:
        return [*self._base_params, *call.params] or None

    def _shown(self, url: str) -> str:
        """``url`` with credentials redacted: user info, the usual key parameters
        (:func:`~inchframe.errors.redact_url`) and the base URL's own query parameters."""
        if "?" not in url and "@" not in url:
            return url  # nothing to hide (a hit's URL, most often)
        url = redact_url(url)
        if not self._secret_names or "?" not in url:
            return url
        from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

        parts = urlsplit(url)
        pairs = [
            (k, "***" if k in self._secret_names else v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ]
        return urlunsplit(parts._replace(query=urlencode(pairs, safe=",*")))

    def _check_ready(self) -> None:
        if self._auth is None and not self.settings.offline:
            raise ConfigError(
                f"no API key for {_host(self.settings.base_url)}: set INCHFRAME_API_KEY (or "
                "ONEINCH_API_KEY) or pass api_key=. Without a key, use the embedded sandbox "
                "(sandbox=True / INCHFRAME_SANDBOX=1) or aim base_url / INCHFRAME_BASE_URL at a "
                "sandbox on this machine (http://127.0.0.1:PORT, which needs no key)"
            )

    def fetch(self, call: ep.Call, *, raw: bool = False, parse: bool = True) -> Reply:
        """Send one call (through cache, rate limiter and retries) and parse the answer.

        The body is parsed once, to retry (and never cache) a malformed one. With ``raw=True``
        the reply keeps only the body (``reply.content``) and parses ``payload`` again if it is
        read. With ``parse=False`` the body is not parsed here at all: the caller converts it
        and, when it is unusable (:class:`PayloadError`), calls :meth:`forget` and asks again,
        as the loaders do (one parse per body).
        """
        self._check_ready()
        return self._fetch(call, raw, parse, _UNREAD)

    def _fetch(self, call: ep.Call, raw: bool, parse: bool, known: Any) -> Reply:
        """:meth:`fetch`; ``known``: the fresh cache entry of ``call`` already read (a hit, or
        None for a miss; :data:`_UNREAD`: look it up)."""
        url = self._url(call)
        expire = expiry_for(call.endpoint, historical=call.historical)
        for attempt in range(BODY_RETRIES + 1):
            # raised after the `except` blocks, so that no error carries the library's
            # exception as its __context__ (which holds the request, its headers included,
            # and would be pickled with it)
            failure: InchframeError | None = None
            try:
                hit = None
                if attempt == 0:
                    hit = self._fresh_hit(call) if known is _UNREAD else known
                response = hit or self._session.request(
                    call.method,
                    url,
                    params=self._params(call),
                    json=call.body,
                    auth=self._auth,
                    timeout=(self.settings.connect_timeout, self.settings.read_timeout),
                    **(self._cache_options(expire) if self._is_cached_session else {}),
                )
            except (
                requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError,
            ) as exc:
                if attempt < BODY_RETRIES:
                    self._pause(attempt, "body cut short")
                    continue
                failure = TransportError(
                    f"{call.endpoint}: the response body was cut short ({exc})",
                    method=call.method,
                    url=url,
                    endpoint=call.endpoint,
                )
            except requests.exceptions.RequestException as exc:
                failure = TransportError(
                    f"{call.endpoint}: no answer from {self._shown(url)} after retries: "
                    f"{type(exc).__name__}",
                    method=call.method,
                    url=url,
                    endpoint=call.endpoint,
                )
            except sqlite3.Error as exc:  # the cache file is damaged, locked or unwritable
                failure = cache_error(self._cache_path(), exc)
            except Exception as exc:  # a Redis cache or budget that went away (backends)
                if not is_backend_error(exc):
                    raise
                failure = backend_error(redis_in_use(self.settings), exc)
            if failure is not None:
                raise failure
            from_cache = bool(getattr(response, "from_cache", False))
            if from_cache and not is_intact(response):
                # the stored body no longer matches its checksum: drop it, never serve it
                log.warning("%s: a cached answer was damaged; fetching it again", call.endpoint)
                self._forget(response)
                if attempt < BODY_RETRIES:
                    continue
                raise PayloadError(call.endpoint, "body", "the cached answer is damaged")
            if self.settings.offline and response.status_code == 504:  # requests-cache: not cached
                raise OfflineCacheMiss([self._shown(_full_url(response, url))])
            if response.status_code >= 400:
                raise _api_error(call, response, self._shown)
            try:
                payload = _parse_body(call, response.content) if parse else None
            except (ValueError, RecursionError) as exc:
                self._forget(response)
                if attempt < BODY_RETRIES and not from_cache:
                    self._pause(attempt, "malformed body")
                    continue
                raise PayloadError(call.endpoint, "body", f"not valid JSON: {exc}") from None
            created = getattr(response, "created_at", None) if from_cache else None
            reply = Reply(
                call=call,
                content=response.content,
                from_cache=from_cache,
                fetched_at=_utc(created) if created else dt.datetime.now(dt.UTC),
                url=self._shown(_full_url(response, url)),
                request_id=response.headers.get("X-Request-Id"),
            )
            if parse and not raw:
                reply.__dict__["payload"] = payload  # what payload would parse again
            return reply
        raise AssertionError("unreachable")  # pragma: no cover

    def _cache_options(self, expire: Any) -> dict[str, Any]:
        """Per-request requests-cache options (offline ones too, for a session the user gave)."""
        if self.settings.offline:
            return {"expire_after": expire, "only_if_cached": True}
        return {"expire_after": expire}

    @property
    def _backend(self) -> Any:
        """The requests-cache backend of a ``CachedSession`` (check ``_is_cached_session``)."""
        return cast(Any, self._session).cache

    @property
    def _is_cached_session(self) -> bool:
        return hasattr(self._session, "cache")

    def _cache_path(self) -> str:
        if self.settings.cache_url:
            return redacted(self.settings.cache_url)
        try:
            return str(self._backend.db_path)
        except (AttributeError, NotImplementedError):
            return str(self.settings.cache_dir)

    def _cache_guard(self) -> Any:
        """Context manager turning SQLite errors into :class:`CacheError` naming the file."""
        return guarded(self._cache_path())

    def _forget(self, response: requests.Response) -> None:
        """Drop a response that failed to parse from the cache, so it is never served again."""
        key = getattr(response, "cache_key", None)
        if key and self._is_cached_session:
            with self._cache_guard():
                self._backend.delete(key)

    def _pause(self, attempt: int, reason: str) -> None:
        self.board.count_retry()
        with self.board.waiting(reason):
            time.sleep(min(5.0, 0.25 * 2**attempt))

    def fetch_many(
        self,
        calls: Sequence[ep.Call],
        *,
        progress: bool | None = None,
        description: str | None = None,
        raw: bool = False,
        parse: bool = True,
    ) -> BatchResult:
        """Send ``calls`` concurrently (as fast as the rate allows) and keep every reply.

        Failures are collected, not raised; an invalid configuration still raises at once.
        ``raw``, ``parse``: as in :meth:`fetch`. After ``stop_after`` consecutive transport failures
        (no answer: refused, timed out, broken off, after their retries) the calls not yet sent
        are not sent: each is a :class:`Failure` with a :class:`NotAttemptedError`.
        """
        self._check_ready()
        started = time.perf_counter()
        retries0, waits0 = self.board.retries, self.board.rate_waits
        results: list[Reply | Failure | None] = [None] * len(calls)
        show = self.progress if progress is None else progress
        if show is None:
            show = len(calls) >= PROGRESS_THRESHOLD
        bar = _progress_bar(len(calls), description or _describe(calls), enabled=show)
        breaker = _Breaker(self.settings.stop_after)
        # fresh hits first, read together and answered in this thread: no worker, no limiter
        known = self._fresh_hits(calls)
        for i, hit in enumerate(known):
            if hit is not None and hit is not SLOW_PATH:
                results[i] = self._fetch_quietly(calls[i], raw, parse, breaker, hit)
                known[i] = None  # the reply holds the body now
        answered = sum(r is not None for r in results)
        if answered:
            bar.update(answered)
        # the rest (misses, entries of older formats) go through the session, concurrently
        todo = [i for i, r in enumerate(results) if r is None]
        workers = min(self.max_workers, max(1, len(todo)))
        with cf.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="inchframe") as pool:
            futures = {
                pool.submit(
                    self._fetch_quietly,
                    calls[i],
                    raw,
                    parse,
                    breaker,
                    known[i] if known else _UNREAD,
                ): i
                for i in todo
            }
            pending = set(futures)
            shown = ""
            try:
                while pending:
                    done, pending = cf.wait(pending, timeout=0.2, return_when=cf.FIRST_COMPLETED)
                    for future in done:
                        results[futures[future]] = future.result()
                    status = self.board.describe()
                    if status != shown:  # e.g. "waiting: rate limit 1/s", shown while it lasts
                        bar.set_postfix_str(status, refresh=not done)
                        shown = status
                    bar.update(len(done))
            except BaseException:
                # CacheError, Ctrl-C...: do not send the calls still queued before raising
                pool.shutdown(wait=True, cancel_futures=True)
                bar.close()
                raise
        bar.close()
        replies = [r for r in results if isinstance(r, Reply)]
        failures = [r for r in results if isinstance(r, Failure)]
        return BatchResult(
            replies,
            failures,
            retries=self.board.retries - retries0,
            rate_waits=self.board.rate_waits - waits0,
            elapsed=time.perf_counter() - started,
        )

    def _fetch_quietly(
        self,
        call: ep.Call,
        raw: bool,
        parse: bool = True,
        breaker: _Breaker | None = None,
        known: Any = _UNREAD,
    ) -> Reply | Failure:
        if breaker is not None and breaker.tripped:
            return breaker.refusal(call)
        outcome: Reply | Failure
        try:
            outcome = self._fetch(call, raw, parse, _UNREAD if known is SLOW_PATH else known)
        except (ApiError, TransportError, PayloadError, OfflineCacheMiss) as error:
            log.info("%s failed: %s", call.endpoint, error)
            outcome = Failure(call, error)
        if breaker is not None:
            breaker.record(outcome)
        return outcome

    def _fresh_hits(self, calls: Sequence[ep.Call]) -> list[Any]:
        """The fresh cache entry of each call (:class:`~inchframe.cache_backend.CachedHit`),
        None (a miss) or :data:`SLOW_PATH` (an entry of an older format), read with a few
        queries; an empty list when the cache is not read this way (offline, a session of
        yours, another backend) or cannot be read (the calls then report the error)."""
        if not calls or not (self._owns_session and self._is_cached_session):
            return []
        reader = getattr(self._backend, "fast_reader", None)
        if reader is None or self.settings.offline:
            return []
        try:
            return reader.fresh_many([self._cache_key(call) for call in calls])
        except sqlite3.Error:
            return []

    def _fresh_hit(self, call: ep.Call) -> Any:
        """A fresh cached answer to ``call`` read straight from the backend, or None.

        The same entry the session would serve, found with the same key, without the cost of
        ``Session.request`` (environment and proxy lookups, hooks, cache policy): about half of
        a hit's time. Offline (stale entries allowed) and user sessions take the session's path.
        """
        if not (self._owns_session and self._is_cached_session) or self.settings.offline:
            return None
        key = self._cache_key(call)
        reader = getattr(self._backend, "fast_reader", None)
        if reader is not None:  # inchframe's own entries, read without requests-cache
            hit = reader.fresh(key)
            if hit is not SLOW_PATH:
                return hit
        response = self._backend.get_response(key)
        if response is None or response.is_expired:
            return None
        return response

    def _cache_key(self, call: ep.Call) -> str:
        """requests-cache's key for ``call``, remembered per client (URL normalisation is a
        third of a cache hit's time)."""
        body = None if call.body is None else json.dumps(call.body, separators=(",", ":"))
        memo = (call.method, call.path, call.params, body)
        key = self._cache_keys.get(memo)
        if key is None:
            request = requests.Request(
                call.method, self._url(call), params=self._params(call), json=call.body
            ).prepare()
            key = self._backend.create_key(request)
            if len(self._cache_keys) >= _CACHE_KEYS_KEPT:
                self._cache_keys.clear()
            self._cache_keys[memo] = key
        return key

    def forget(self, call: ep.Call) -> None:
        """Remove the cached answer to ``call`` (e.g. one whose payload could not be used)."""
        if self._is_cached_session:
            with self._cache_guard():
                self._backend.delete(self._cache_key(call))

    def plan(self, calls: Sequence[ep.Call]) -> Plan:
        """Count the calls and how many are already fresh in the cache; send nothing."""
        cached = 0
        if self._is_cached_session:
            cache = self._backend
            with self._cache_guard():
                for call in calls:
                    response = cache.get_response(self._cache_key(call))
                    cached += response is not None and not response.is_expired
        return Plan(
            calls=list(calls),
            requests=len(calls),
            cached=cached,
            rate=self.settings.rate,
            offline=self.settings.offline,
        )

    def _send(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Build the call of endpoint ``name`` (its row in ``ENDPOINTS``), send it, parse it."""
        return self.fetch(ep.build(name, *args, **kwargs)).payload

    # -- Balance API v1.2 (8 endpoints) ------------------------------------------------------------

    @_endpoint("balance.aggregated")
    def aggregated_balances_and_allowances(
        self,
        chain: int | str,
        spender: str,
        wallets: str | Iterable[str],
        *,
        filter_empty: bool | None = None,
    ) -> list[dict]:
        """GET aggregatedBalancesAndAllowances: token metadata, balance and allowance per wallet."""
        return self._send("balance.aggregated", chain, spender, wallets, filter_empty=filter_empty)

    @_endpoint("balance.balances")
    def balances(self, chain: int | str, wallet: str) -> dict[str, str]:
        """GET balances/{wallet}: ``{token: balance}`` for the whole token list."""
        return self._send("balance.balances", chain, wallet)

    @_endpoint("balance.balances_of_tokens")
    def balances_of_tokens(
        self, chain: int | str, wallet: str, tokens: str | Iterable[str]
    ) -> dict[str, str]:
        """POST balances/{wallet}: ``{token: balance}`` for the given tokens."""
        return self._send("balance.balances_of_tokens", chain, wallet, tokens)

    @_endpoint("balance.wallets_and_tokens")
    def balances_of_wallets_and_tokens(
        self, chain: int | str, wallets: str | Iterable[str], tokens: str | Iterable[str]
    ) -> dict[str, dict[str, str]]:
        """POST balances/multiple/walletsAndTokens: ``{wallet: {token: balance}}``."""
        return self._send("balance.wallets_and_tokens", chain, wallets, tokens)

    @_endpoint("balance.allowances_and_balances")
    def allowances_and_balances(
        self, chain: int | str, spender: str, wallet: str
    ) -> dict[str, dict[str, str]]:
        """GET allowancesAndBalances/{spender}/{wallet}: ``{token: {balance, allowance}}``."""
        return self._send("balance.allowances_and_balances", chain, spender, wallet)

    @_endpoint("balance.allowances_and_balances_of_tokens")
    def allowances_and_balances_of_tokens(
        self, chain: int | str, spender: str, wallet: str, tokens: str | Iterable[str]
    ) -> dict[str, dict[str, str]]:
        """POST allowancesAndBalances/{spender}/{wallet} for the given tokens."""
        return self._send(
            "balance.allowances_and_balances_of_tokens", chain, spender, wallet, tokens
        )

    @_endpoint("balance.allowances")
    def allowances(self, chain: int | str, spender: str, wallet: str) -> dict[str, str]:
        """GET allowances/{spender}/{wallet}: ``{token: allowance}``."""
        return self._send("balance.allowances", chain, spender, wallet)

    @_endpoint("balance.allowances_of_tokens")
    def allowances_of_tokens(
        self, chain: int | str, spender: str, wallet: str, tokens: str | Iterable[str]
    ) -> dict[str, str]:
        """POST allowances/{spender}/{wallet} for the given tokens."""
        return self._send("balance.allowances_of_tokens", chain, spender, wallet, tokens)

    # -- Portfolio API v4 (12 endpoints) -----------------------------------------------------------

    @_endpoint("v4.is_available")
    def v4_is_available(self) -> Any:
        return self._send("v4.is_available")

    @_endpoint("v4.supported_chains")
    def v4_supported_chains(self) -> Any:
        return self._send("v4.supported_chains")

    @_endpoint("v4.supported_protocols")
    def v4_supported_protocols(self) -> Any:
        return self._send("v4.supported_protocols")

    @_endpoint("v4.current_value")
    def v4_current_value(
        self, addresses: str | Iterable[str], chain: int | str | None = None, **options: Any
    ) -> Any:
        return self._send("v4.current_value", addresses, chain, **options)

    @_endpoint("v4.profit_and_loss")
    def v4_profit_and_loss(
        self, addresses: str | Iterable[str], chain: int | str | None = None, **options: Any
    ) -> Any:
        return self._send("v4.profit_and_loss", addresses, chain, **options)

    @_endpoint("v4.value_chart")
    def v4_value_chart(
        self, addresses: str | Iterable[str], chain: int | str | None = None, **options: Any
    ) -> Any:
        return self._send("v4.value_chart", addresses, chain, **options)

    @_endpoint("v4.protocols_current_value")
    def v4_protocols_current_value(
        self, addresses: str | Iterable[str], chain: int | str | None = None, **options: Any
    ) -> Any:
        return self._send("v4.protocols_current_value", addresses, chain, **options)

    @_endpoint("v4.protocols_profit_and_loss")
    def v4_protocols_profit_and_loss(
        self, addresses: str | Iterable[str], chain: int | str | None = None, **options: Any
    ) -> Any:
        return self._send("v4.protocols_profit_and_loss", addresses, chain, **options)

    @_endpoint("v4.protocols_details")
    def v4_protocols_details(
        self, addresses: str | Iterable[str], chain: int | str | None = None, **options: Any
    ) -> Any:
        return self._send("v4.protocols_details", addresses, chain, **options)

    @_endpoint("v4.tokens_current_value")
    def v4_tokens_current_value(
        self, addresses: str | Iterable[str], chain: int | str | None = None, **options: Any
    ) -> Any:
        return self._send("v4.tokens_current_value", addresses, chain, **options)

    @_endpoint("v4.tokens_profit_and_loss")
    def v4_tokens_profit_and_loss(
        self, addresses: str | Iterable[str], chain: int | str | None = None, **options: Any
    ) -> Any:
        return self._send("v4.tokens_profit_and_loss", addresses, chain, **options)

    @_endpoint("v4.tokens_details")
    def v4_tokens_details(
        self, addresses: str | Iterable[str], chain: int | str | None = None, **options: Any
    ) -> Any:
        return self._send("v4.tokens_details", addresses, chain, **options)

    # -- Portfolio API v5.0 (11 endpoints) ---------------------------------------------------------

    @_endpoint("v5.status")
    def v5_status(self) -> Any:
        return self._send("v5.status")

    @_endpoint("v5.address_check")
    def v5_address_check(
        self, addresses: str | Iterable[str], chain: int | str | None = None, **options: Any
    ) -> Any:
        return self._send("v5.address_check", addresses, chain, **options)

    @_endpoint("v5.supported_chains")
    def v5_supported_chains(self) -> Any:
        return self._send("v5.supported_chains")

    @_endpoint("v5.supported_protocols")
    def v5_supported_protocols(self) -> Any:
        return self._send("v5.supported_protocols")

    @_endpoint("v5.current_value")
    def v5_current_value(
        self, addresses: str | Iterable[str], chain: int | str | None = None, **options: Any
    ) -> Any:
        return self._send("v5.current_value", addresses, chain, **options)

    @_endpoint("v5.chart")
    def v5_chart(
        self, addresses: str | Iterable[str], chain: int | str | None = None, **options: Any
    ) -> Any:
        return self._send("v5.chart", addresses, chain, **options)

    @_endpoint("v5.report")
    def v5_report(
        self, addresses: str | Iterable[str], chain: int | str | None = None, **options: Any
    ) -> str:
        """GET general/report: the CSV text."""
        return self._send("v5.report", addresses, chain, **options)

    @_endpoint("v5.protocols_snapshot")
    def v5_protocols_snapshot(
        self, addresses: str | Iterable[str], chain: int | str | None = None, **options: Any
    ) -> Any:
        return self._send("v5.protocols_snapshot", addresses, chain, **options)

    @_endpoint("v5.protocols_metrics")
    def v5_protocols_metrics(
        self, addresses: str | Iterable[str], chain: int | str | None = None, **options: Any
    ) -> Any:
        return self._send("v5.protocols_metrics", addresses, chain, **options)

    @_endpoint("v5.tokens_snapshot")
    def v5_tokens_snapshot(
        self, addresses: str | Iterable[str], chain: int | str | None = None, **options: Any
    ) -> Any:
        return self._send("v5.tokens_snapshot", addresses, chain, **options)

    @_endpoint("v5.tokens_metrics")
    def v5_tokens_metrics(
        self, addresses: str | Iterable[str], chain: int | str | None = None, **options: Any
    ) -> Any:
        return self._send("v5.tokens_metrics", addresses, chain, **options)


# -- helpers ----------------------------------------------------------------------------------


def _replace(settings: Settings, **changes: Any) -> Settings:
    import dataclasses

    return dataclasses.replace(settings, **changes)


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def _full_url(response: requests.Response, fallback: str) -> str:
    request = getattr(response, "request", None)
    return getattr(request, "url", None) or getattr(response, "url", None) or fallback


def _parse_body(call: ep.Call, content: bytes) -> Any:
    if call.response == "text":
        return content.decode("utf-8", "replace")
    return loads_json(content)


def _api_error(
    call: ep.Call, response: requests.Response, shown: Callable[[str], str] = redact_url
) -> ApiError:
    """The :class:`ApiError` for an error answer, whatever its body holds (never raises)."""
    content = response.content or b""
    body = content[:_ERROR_BODY_BYTES].decode("utf-8", "replace")
    detail = None
    if response.status_code == 422:
        try:
            parsed = loads_json(content)
        except ValueError:
            parsed = None
        detail = _detail_items(parsed.get("detail") if isinstance(parsed, dict) else None)
    cls = api_error_for_status(response.status_code)
    kwargs: dict[str, Any] = {
        "request_id": _header_text(response.headers.get("X-Request-Id")),
        "body": body,
        "detail": detail,
        "endpoint": call.endpoint,
    }
    if cls is RateLimitError:
        # the server's hint as sent (not capped at what inchframe waits), if it is valid
        kwargs["retry_after"] = parse_retry_after(response.headers.get("Retry-After"), cap=1e9)
    return cls(response.status_code, call.method, shown(_full_url(response, call.path)), **kwargs)


#: Bytes of an error body kept (ApiError shows an excerpt of it).
_ERROR_BODY_BYTES = 64 * 1024
#: ``detail`` items kept from a 422 answer, and characters kept of each text in one.
_DETAIL_ITEMS, _DETAIL_TEXT = 50, 500


def _short_text(value: Any) -> str:
    """``value`` as a short text: strings as they are, anything else as compact JSON."""
    if isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, separators=(",", ":"), default=str)
        except (TypeError, ValueError, RecursionError):
            text = f"<{type(value).__name__}>"
    return text[:_DETAIL_TEXT]


def _detail_items(detail: Any) -> list[dict[str, Any]] | None:
    """FastAPI's 422 ``detail`` as a list of ``{"loc": [...], "msg": str, "type": str}``,
    whatever shape the server sent: a list of odd items (``{"loc": 5, "msg": null}``), one
    object, a string, a number, nested lists. None when there is no detail."""
    if detail is None:
        return None
    if not isinstance(detail, list):
        detail = [detail]
    items: list[dict[str, Any]] = []
    for item in detail[:_DETAIL_ITEMS]:
        if not isinstance(item, dict):
            items.append({"loc": [], "msg": _short_text(item)})
            continue
        loc, msg = item.get("loc"), item.get("msg")
        if (
            isinstance(loc, list)
            and all(isinstance(p, (str, int)) and not isinstance(p, bool) for p in loc)
            and isinstance(msg, str)
        ):
            items.append(item)  # the documented shape: kept as sent
            continue
        if loc is None:
            parts: list[str | int] = []
        elif isinstance(loc, list):
            parts = [
                p if isinstance(p, (str, int)) and not isinstance(p, bool) else _short_text(p)
                for p in loc[:_DETAIL_ITEMS]
            ]
        else:
            parts = [_short_text(loc)]
        entry: dict[str, Any] = {
            "loc": parts,
            "msg": _short_text(
                msg if msg is not None else {k: item[k] for k in item if k != "loc"}
            ),
        }
        if isinstance(item.get("type"), str):
            entry["type"] = item["type"][:_DETAIL_TEXT]
        items.append(entry)
    return items or None


def _header_text(value: Any) -> str | None:
    return value[:200] if isinstance(value, str) and value else None


def _describe(calls: Sequence[ep.Call]) -> str:
    names = sorted({c.endpoint for c in calls})
    return names[0] if len(names) == 1 else f"{len(names)} endpoints"


class _NoBar:
    def update(self, n: int) -> None: ...
    def set_postfix_str(self, text: str, refresh: bool = True) -> None: ...
    def close(self) -> None: ...


def _progress_bar(total: int, description: str, *, enabled: bool) -> Any:
    if not enabled or total == 0:
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=description, unit="req", leave=False)
