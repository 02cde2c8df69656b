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
import json
import logging
import math
import os
import sqlite3
import time
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import requests

from . import endpoints as ep
from ._http import BearerAuth, StatusBoard, build_adapter, build_session, expiry_for
from ._json import loads_json
from .cache import cache_error, guarded, is_intact
from .config import ENV, SANDBOX_API_KEY, ApiKey, Settings, is_loopback_url, resolve_settings
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

__all__ = ["BatchResult", "Client", "Failure", "Plan", "Reply", "SandboxWarning"]

#: Extra attempts for answers urllib3 cannot retry: bodies cut short or not valid JSON.
BODY_RETRIES = 2
#: Cache keys a client remembers (about 200 bytes each) before it starts over.
_CACHE_KEYS_KEPT = 100_000
#: Batches at least this long show a progress bar when ``progress=None``.
PROGRESS_THRESHOLD = 8


@dataclass(frozen=True)
class Reply:
    """A successful answer to a :class:`~inchframe.endpoints.Call`.

    ``content`` is the body as received; ``payload`` the parsed JSON (the v5 report: CSV text),
    parsed when first read unless the fetch kept it (``raw=False``, the default).
    """

    call: ep.Call
    content: bytes = field(repr=False)
    from_cache: bool
    fetched_at: dt.datetime  #: when the API produced it (the original fetch, for cache hits)
    url: str
    request_id: str | None = None

    @cached_property
    def payload(self) -> Any:
        return _parse_body(self.call, self.content)


@dataclass(frozen=True)
class Failure:
    """A call that did not succeed, with the error that ended it."""

    call: ep.Call
    error: InchframeError


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
        session: requests.Session | None = None,
        progress: bool | None = None,
        max_workers: int | None = None,
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
        )
        self._sandbox: Any = None
        if settings.sandbox:
            # asked for by name: no need to warn; chosen for want of a key: say so
            chosen = sandbox is None and ENV.SANDBOX not in os.environ
            settings = self._start_sandbox(settings, warn=chosen)
        self.settings = settings
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
                settings.base_url, build_adapter(settings, self.board, pool_size=self.max_workers)
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
        return self.settings.base_url

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
        where = "sandbox " + s.base_url if s.sandbox else s.base_url
        key = "set" if s.has_key else "none"
        cache = "off" if not s.cache else ("offline" if s.offline else str(s.cache_dir))
        return f"<inchframe.Client {where} key={key} rate={s.rate:g}/s cache={cache}>"

    # -- sending --------------------------------------------------------------------------------

    def _url(self, call: ep.Call) -> str:
        return self.settings.base_url + call.path

    def _check_ready(self) -> None:
        if self._auth is None and not self.settings.offline:
            raise ConfigError(
                f"no API key for {_host(self.settings.base_url)}: set INCHFRAME_API_KEY (or "
                "ONEINCH_API_KEY) or pass api_key=. Without a key, use the embedded sandbox "
                "(sandbox=True / INCHFRAME_SANDBOX=1) or aim base_url / INCHFRAME_BASE_URL at a "
                "sandbox on this machine (http://127.0.0.1:PORT, which needs no key)"
            )

    def fetch(self, call: ep.Call, *, raw: bool = False) -> Reply:
        """Send one call (through cache, rate limiter and retries) and parse the answer.

        The body is always parsed once, to retry (and never cache) a malformed one. With
        ``raw=True`` the reply keeps only the body (``reply.content``) and parses ``payload``
        again if it is read: for converters that read bytes, and to hold less in big batches.
        """
        self._check_ready()
        url = self._url(call)
        expire = expiry_for(call.endpoint, historical=call.historical)
        for attempt in range(BODY_RETRIES + 1):
            try:
                hit = self._fresh_hit(call) if attempt == 0 else None
                response = hit or self._session.request(
                    call.method,
                    url,
                    params=list(call.params) or None,
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
                raise TransportError(
                    f"{call.endpoint}: the response body was cut short ({exc})",
                    method=call.method,
                    url=url,
                    endpoint=call.endpoint,
                ) from None
            except requests.exceptions.RequestException as exc:
                raise TransportError(
                    f"{call.endpoint}: no answer from {redact_url(url)} after retries: "
                    f"{type(exc).__name__}",
                    method=call.method,
                    url=url,
                    endpoint=call.endpoint,
                ) from None
            except sqlite3.Error as exc:  # the cache file is damaged, locked or unwritable
                raise cache_error(self._cache_path(), exc) from None
            from_cache = bool(getattr(response, "from_cache", False))
            if from_cache and not is_intact(response):
                # the stored body no longer matches its checksum: drop it, never serve it
                log.warning("%s: a cached answer was damaged; fetching it again", call.endpoint)
                self._forget(response)
                if attempt < BODY_RETRIES:
                    continue
                raise PayloadError(call.endpoint, "body", "the cached answer is damaged")
            if self.settings.offline and response.status_code == 504:  # requests-cache: not cached
                raise OfflineCacheMiss([_full_url(response, url)])
            if response.status_code >= 400:
                raise _api_error(call, response)
            try:
                payload = _parse_body(call, response.content)
            except ValueError as exc:
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
                url=redact_url(_full_url(response, url)),
                request_id=response.headers.get("X-Request-Id"),
            )
            if not raw:
                reply.__dict__["payload"] = payload  # what payload would parse again
            return reply
        raise AssertionError("unreachable")  # pragma: no cover

    def _cache_options(self, expire: Any) -> dict[str, Any]:
        """Per-request requests-cache options (offline ones too, for a session the user gave)."""
        if self.settings.offline:
            return {"expire_after": expire, "only_if_cached": True}
        return {"expire_after": expire}

    @property
    def _is_cached_session(self) -> bool:
        return hasattr(self._session, "cache")

    def _cache_path(self) -> str:
        try:
            return str(self._session.cache.db_path)
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
                self._session.cache.delete(key)

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
    ) -> BatchResult:
        """Send ``calls`` concurrently (as fast as the rate allows) and keep every reply.

        Failures are collected, not raised; an invalid configuration still raises at once.
        ``raw``: as in :meth:`fetch`.
        """
        self._check_ready()
        started = time.perf_counter()
        retries0, waits0 = self.board.retries, self.board.rate_waits
        results: list[Reply | Failure | None] = [None] * len(calls)
        show = self.progress if progress is None else progress
        if show is None:
            show = len(calls) >= PROGRESS_THRESHOLD
        bar = _progress_bar(len(calls), description or _describe(calls), enabled=show)
        workers = min(self.max_workers, max(1, len(calls)))
        with cf.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="inchframe") as pool:
            futures = {
                pool.submit(self._fetch_quietly, call, raw): i for i, call in enumerate(calls)
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

    def _fetch_quietly(self, call: ep.Call, raw: bool) -> Reply | Failure:
        try:
            return self.fetch(call, raw=raw)
        except (ApiError, TransportError, PayloadError, OfflineCacheMiss) as error:
            log.info("%s failed: %s", call.endpoint, error)
            return Failure(call, error)

    def _fresh_hit(self, call: ep.Call) -> Any:
        """A fresh cached answer to ``call`` read straight from the backend, or None.

        The same entry the session would serve, found with the same key, without the cost of
        ``Session.request`` (environment and proxy lookups, hooks, cache policy): about half of
        a hit's time. Offline (stale entries allowed) and user sessions take the session's path.
        """
        if not (self._owns_session and self._is_cached_session) or self.settings.offline:
            return None
        response = self._session.cache.get_response(self._cache_key(call))
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
                call.method, self._url(call), params=list(call.params) or None, json=call.body
            ).prepare()
            key = self._session.cache.create_key(request)
            if len(self._cache_keys) >= _CACHE_KEYS_KEPT:
                self._cache_keys.clear()
            self._cache_keys[memo] = key
        return key

    def forget(self, call: ep.Call) -> None:
        """Remove the cached answer to ``call`` (e.g. one whose payload could not be used)."""
        if self._is_cached_session:
            with self._cache_guard():
                self._session.cache.delete(self._cache_key(call))

    def plan(self, calls: Sequence[ep.Call]) -> Plan:
        """Count the calls and how many are already fresh in the cache; send nothing."""
        cached = 0
        if self._is_cached_session:
            cache = self._session.cache
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

    def _payload(self, call: ep.Call) -> Any:
        return self.fetch(call).payload

    # -- Balance API v1.2 (8 endpoints) ------------------------------------------------------------

    def aggregated_balances_and_allowances(
        self,
        chain: int | str,
        spender: str,
        wallets: str | Iterable[str],
        *,
        filter_empty: bool | None = None,
    ) -> list[dict]:
        """GET aggregatedBalancesAndAllowances: token metadata, balance and allowance per wallet."""
        return self._payload(
            ep.aggregated_balances_and_allowances(
                chain, spender, wallets, filter_empty=filter_empty
            )
        )

    def balances(self, chain: int | str, wallet: str) -> dict[str, str]:
        """GET balances/{wallet}: ``{token: balance}`` for the whole token list."""
        return self._payload(ep.balances(chain, wallet))

    def balances_of_tokens(
        self, chain: int | str, wallet: str, tokens: str | Iterable[str]
    ) -> dict[str, str]:
        """POST balances/{wallet}: ``{token: balance}`` for the given tokens."""
        return self._payload(ep.balances_of_tokens(chain, wallet, tokens))

    def balances_of_wallets_and_tokens(
        self, chain: int | str, wallets: str | Iterable[str], tokens: str | Iterable[str]
    ) -> dict[str, dict[str, str]]:
        """POST balances/multiple/walletsAndTokens: ``{wallet: {token: balance}}``."""
        return self._payload(ep.balances_of_wallets_and_tokens(chain, wallets, tokens))

    def allowances_and_balances(
        self, chain: int | str, spender: str, wallet: str
    ) -> dict[str, dict[str, str]]:
        """GET allowancesAndBalances/{spender}/{wallet}: ``{token: {balance, allowance}}``."""
        return self._payload(ep.allowances_and_balances(chain, spender, wallet))

    def allowances_and_balances_of_tokens(
        self, chain: int | str, spender: str, wallet: str, tokens: str | Iterable[str]
    ) -> dict[str, dict[str, str]]:
        """POST allowancesAndBalances/{spender}/{wallet} for the given tokens."""
        return self._payload(ep.allowances_and_balances_of_tokens(chain, spender, wallet, tokens))

    def allowances(self, chain: int | str, spender: str, wallet: str) -> dict[str, str]:
        """GET allowances/{spender}/{wallet}: ``{token: allowance}``."""
        return self._payload(ep.allowances(chain, spender, wallet))

    def allowances_of_tokens(
        self, chain: int | str, spender: str, wallet: str, tokens: str | Iterable[str]
    ) -> dict[str, str]:
        """POST allowances/{spender}/{wallet} for the given tokens."""
        return self._payload(ep.allowances_of_tokens(chain, spender, wallet, tokens))

    # -- Portfolio API v4 (12 endpoints) -----------------------------------------------------------

    def v4_is_available(self) -> Any:
        return self._payload(ep.v4_is_available())

    def v4_supported_chains(self) -> Any:
        return self._payload(ep.v4_supported_chains())

    def v4_supported_protocols(self) -> Any:
        return self._payload(ep.v4_supported_protocols())

    def v4_current_value(
        self, addresses: str | Iterable[str], chain: int | str | None = None, **options: Any
    ) -> Any:
        return self._payload(ep.v4_current_value(addresses, chain, **options))

    def v4_profit_and_loss(
        self, addresses: str | Iterable[str], chain: int | str | None = None, **options: Any
    ) -> Any:
        return self._payload(ep.v4_profit_and_loss(addresses, chain, **options))

    def v4_value_chart(
        self, addresses: str | Iterable[str], chain: int | str | None = None, **options: Any
    ) -> Any:
        return self._payload(ep.v4_value_chart(addresses, chain, **options))

    def v4_protocols_current_value(
        self, addresses: str | Iterable[str], chain: int | str | None = None, **options: Any
    ) -> Any:
        return self._payload(ep.v4_protocols_current_value(addresses, chain, **options))

    def v4_protocols_profit_and_loss(
        self, addresses: str | Iterable[str], chain: int | str | None = None, **options: Any
    ) -> Any:
        return self._payload(ep.v4_protocols_profit_and_loss(addresses, chain, **options))

    def v4_protocols_details(
        self, addresses: str | Iterable[str], chain: int | str | None = None, **options: Any
    ) -> Any:
        return self._payload(ep.v4_protocols_details(addresses, chain, **options))

    def v4_tokens_current_value(
        self, addresses: str | Iterable[str], chain: int | str | None = None, **options: Any
    ) -> Any:
        return self._payload(ep.v4_tokens_current_value(addresses, chain, **options))

    def v4_tokens_profit_and_loss(
        self, addresses: str | Iterable[str], chain: int | str | None = None, **options: Any
    ) -> Any:
        return self._payload(ep.v4_tokens_profit_and_loss(addresses, chain, **options))

    def v4_tokens_details(
        self, addresses: str | Iterable[str], chain: int | str | None = None, **options: Any
    ) -> Any:
        return self._payload(ep.v4_tokens_details(addresses, chain, **options))

    # -- Portfolio API v5.0 (11 endpoints) ---------------------------------------------------------

    def v5_status(self) -> Any:
        return self._payload(ep.v5_status())

    def v5_address_check(
        self, addresses: str | Iterable[str], chain: int | str | None = None, **options: Any
    ) -> Any:
        return self._payload(ep.v5_address_check(addresses, chain, **options))

    def v5_supported_chains(self) -> Any:
        return self._payload(ep.v5_supported_chains())

    def v5_supported_protocols(self) -> Any:
        return self._payload(ep.v5_supported_protocols())

    def v5_current_value(
        self, addresses: str | Iterable[str], chain: int | str | None = None, **options: Any
    ) -> Any:
        return self._payload(ep.v5_current_value(addresses, chain, **options))

    def v5_chart(
        self, addresses: str | Iterable[str], chain: int | str | None = None, **options: Any
    ) -> Any:
        return self._payload(ep.v5_chart(addresses, chain, **options))

    def v5_report(
        self, addresses: str | Iterable[str], chain: int | str | None = None, **options: Any
    ) -> str:
        """GET general/report: the CSV text."""
        return self._payload(ep.v5_report(addresses, chain, **options))

    def v5_protocols_snapshot(
        self, addresses: str | Iterable[str], chain: int | str | None = None, **options: Any
    ) -> Any:
        return self._payload(ep.v5_protocols_snapshot(addresses, chain, **options))

    def v5_protocols_metrics(
        self, addresses: str | Iterable[str], chain: int | str | None = None, **options: Any
    ) -> Any:
        return self._payload(ep.v5_protocols_metrics(addresses, chain, **options))

    def v5_tokens_snapshot(
        self, addresses: str | Iterable[str], chain: int | str | None = None, **options: Any
    ) -> Any:
        return self._payload(ep.v5_tokens_snapshot(addresses, chain, **options))

    def v5_tokens_metrics(
        self, addresses: str | Iterable[str], chain: int | str | None = None, **options: Any
    ) -> Any:
        return self._payload(ep.v5_tokens_metrics(addresses, chain, **options))


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


def _api_error(call: ep.Call, response: requests.Response) -> ApiError:
    body = response.text if response.content else ""
    detail = None
    if response.status_code == 422:
        try:
            parsed = response.json()
            detail = parsed.get("detail") if isinstance(parsed, dict) else None
        except ValueError:
            detail = None
    cls = api_error_for_status(response.status_code)
    kwargs: dict[str, Any] = {
        "request_id": response.headers.get("X-Request-Id"),
        "body": body,
        "detail": detail if isinstance(detail, list) else None,
        "endpoint": call.endpoint,
    }
    if cls is RateLimitError:
        retry_after = response.headers.get("Retry-After")
        kwargs["retry_after"] = (
            float(retry_after) if retry_after and retry_after.isdigit() else None
        )
    return cls(response.status_code, call.method, _full_url(response, call.path), **kwargs)


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
