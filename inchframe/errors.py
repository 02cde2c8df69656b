"""The exceptions inchframe raises.

Every exception derives from :class:`InchframeError`, so ``except inchframe.InchframeError``
catches anything the library raises on purpose::

    InchframeError
    ├── InputError (also ValueError)    bad argument, raised before any request is sent
    ├── ConfigError (also ValueError)   bad setting from an argument or the environment
    ├── ApiError                        the API answered with an error status
    │   ├── BadRequestError             400 (Balance validation) and 422 (Portfolio validation)
    │   ├── AuthError                   401 / 403: missing, wrong or unauthorised API key
    │   ├── NotFoundError               404: unknown path (or a retired API version)
    │   ├── RateLimitError              429 after the retries ran out; ``retry_after`` in seconds
    │   └── ServerError                 5xx after the retries ran out
    ├── TransportError                  no usable answer: dropped connection, timeout, cut body
    ├── PayloadError                    a 200 response without the documented shape
    ├── OfflineCacheMiss                offline mode, and these requests are not in the cache
    ├── CacheError                      the on-disk cache file is damaged or locked; says the fix
    └── BatchError                      some requests of a batch failed; carries the partial frame

Warnings (``UserWarning`` subclasses; filter them with :mod:`warnings` as usual)::

    InchframeWarning
    ├── SandboxWarning          no API key: the embedded sandbox answers (synthetic data)
    ├── PartialResultWarning    errors="warn": some requests failed, the frame holds the rest
    ├── UnknownFieldsWarning    a response has fields inchframe does not know yet (kept)
    ├── UnknownChainWarning     a chain id inchframe has no name for (sent as given)
    └── AttributionWarning      a multi-wallet answer did not say whose rows; re-asked per wallet

Messages never contain the API key: URLs are passed through :func:`redact_url` and request
headers are never quoted.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ApiError",
    "AttributionWarning",
    "AuthError",
    "BadRequestError",
    "BatchError",
    "CacheError",
    "ConfigError",
    "InchframeError",
    "InchframeWarning",
    "InputError",
    "NotFoundError",
    "OfflineCacheMiss",
    "PartialResultWarning",
    "PayloadError",
    "RateLimitError",
    "SandboxWarning",
    "ServerError",
    "TransportError",
    "UnknownChainWarning",
    "UnknownFieldsWarning",
    "api_error_for_status",
    "redact_url",
]

#: Query parameters that may carry a credential (1inch accepts ``apiKey`` since 2026).
SECRET_QUERY_PARAMS = frozenset({"apikey", "api_key", "key", "token", "access_token"})
_BODY_EXCERPT_CHARS = 300


def redact_url(url: str) -> str:
    """Return ``url`` with credentials in the user-info part or the query replaced by ``***``."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rsplit("@", 1)[1]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(k.lower() in SECRET_QUERY_PARAMS for k, _ in pairs):
            pairs = [(k, "***" if k.lower() in SECRET_QUERY_PARAMS else v) for k, v in pairs]
            query = urlencode(pairs, safe=",")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


class InchframeError(Exception):
    """Base class of every error inchframe raises on purpose."""


class InputError(InchframeError, ValueError):
    """An argument is invalid; raised before any request is sent.

    The message names the bad value (and its position in a list) and what is accepted.
    """


class ConfigError(InchframeError, ValueError):
    """A setting (argument or environment variable) is invalid."""


class ApiError(InchframeError):
    """The API answered with an error status.

    Attributes: ``status``, ``method``, ``url`` (credentials redacted), ``request_id`` (the
    ``X-Request-Id`` response header), ``body`` (an excerpt of the response body), ``detail``
    (the parsed FastAPI 422 ``detail`` list, when there is one) and ``endpoint`` (inchframe's
    name for the endpoint, e.g. ``"balance.balances"``).
    """

    def __init__(
        self,
        status: int,
        method: str,
        url: str,
        *,
        request_id: str | None = None,
        body: str = "",
        detail: list[dict[str, Any]] | None = None,
        endpoint: str | None = None,
        message: str | None = None,
    ) -> None:
        self.status = status
        self.method = method.upper()
        self.url = redact_url(url)
        self.request_id = request_id
        self.body = body[:_BODY_EXCERPT_CHARS]
        self.detail = detail
        self.endpoint = endpoint
        super().__init__(message or self._describe())

    def _describe(self) -> str:
        what = f"{self.endpoint}: " if self.endpoint else ""
        text = f"{what}HTTP {self.status} for {self.method} {self.url}"
        if self.detail:
            text += " - " + "; ".join(_format_detail_item(item) for item in self.detail[:5])
        elif self.body:
            text += f" - {self.body!r}"
        if self.request_id:
            text += f" (X-Request-Id: {self.request_id})"
        return text

    def __reduce__(self) -> tuple[Any, ...]:
        kwargs = {
            "request_id": self.request_id,
            "body": self.body,
            "detail": self.detail,
            "endpoint": self.endpoint,
            "message": str(self),
        }
        return (_rebuild_api_error, (type(self), self.status, self.method, self.url, kwargs))


def _rebuild_api_error(
    cls: type[ApiError], status: int, method: str, url: str, kwargs: dict
) -> Any:
    return cls(status, method, url, **kwargs)


def _format_detail_item(item: Mapping[str, Any]) -> str:
    loc = ".".join(str(part) for part in item.get("loc", ()))
    return f"{loc}: {item.get('msg', item)}"


class BadRequestError(ApiError):
    """400 (Balance API validation) or 422 (Portfolio API validation, see ``detail``)."""


class AuthError(ApiError):
    """401 or 403: the API key is missing, wrong, or not allowed to use this API."""


class NotFoundError(ApiError):
    """404: the path is unknown to the gateway (for example a retired API version)."""


class RateLimitError(ApiError):
    """429 after the retries ran out. ``retry_after`` is the server's hint in seconds, if any."""

    def __init__(self, *args: Any, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(*args, **kwargs)


class ServerError(ApiError):
    """5xx after the retries ran out."""


def api_error_for_status(status: int) -> type[ApiError]:
    """The :class:`ApiError` subclass for an HTTP status code."""
    if status in (400, 422):
        return BadRequestError
    if status in (401, 403):
        return AuthError
    if status == 404:
        return NotFoundError
    if status == 429:
        return RateLimitError
    if status >= 500:
        return ServerError
    return ApiError


class TransportError(InchframeError):
    """No usable answer arrived: the connection dropped, timed out, or the body was cut short."""

    def __init__(
        self, message: str, *, method: str = "", url: str = "", endpoint: str | None = None
    ):
        self.method = method
        self.url = redact_url(url) if url else url
        self.endpoint = endpoint
        super().__init__(message)


class PayloadError(InchframeError):
    """A successful response does not have the documented shape.

    ``endpoint`` names the endpoint and ``field`` the missing or malformed field (a dotted path
    such as ``result[3].underlying_tokens[0].address``).
    """

    def __init__(self, endpoint: str, field: str, problem: str) -> None:
        self.endpoint = endpoint
        self.field = field
        self.problem = problem
        super().__init__(f"{endpoint}: unexpected response shape at {field!r}: {problem}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.endpoint, self.field, self.problem))


class OfflineCacheMiss(InchframeError):
    """Offline mode is on and these requests are not in the cache (``missing``: their URLs).

    From a loader, ``frame`` holds the rows built from the requests that were cached.
    """

    def __init__(self, missing: Iterable[str], *, frame: pd.DataFrame | None = None) -> None:
        self.missing = [redact_url(url) for url in missing]
        self.frame = frame
        shown = "\n  ".join(self.missing[:20])
        more = f"\n  ... and {len(self.missing) - 20} more" if len(self.missing) > 20 else ""
        super().__init__(
            f"offline mode: {len(self.missing)} request(s) not in the cache:\n  {shown}{more}\n"
            "Run once online (unset INCHFRAME_OFFLINE or pass offline=False) to fill the cache."
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.missing,))


class CacheError(InchframeError):
    """The on-disk HTTP cache cannot be used.

    ``path`` is the cache file, ``reason`` what is wrong with it: ``"damaged"`` (not a database,
    truncated, malformed pages), ``"locked"`` (another process held a lock on it for longer than
    the busy timeout), ``"unusable"`` (cannot be opened or written: permissions, a full disk)
    or ``"unreachable"`` (a Redis cache or rate budget that cannot be reached).
    The message names the file and the fix. The cache only holds copies of API answers, so
    deleting it (``inchframe cache clear``) loses nothing but quota.
    """

    _FIXES: ClassVar[dict[str, str]] = {
        "damaged": "run `inchframe cache clear` (or inchframe.clear_cache()), or delete the file "
        "and its -wal and -shm companions; the cache only holds copies of API answers, so "
        "nothing is lost but quota",
        "locked": "another process holds a lock on it; close that program (or notebook "
        "kernel), or use another cache_dir= / INCHFRAME_CACHE_DIR, or run without the cache "
        "(cache=False / INCHFRAME_CACHE=0)",
        "unusable": "check that its directory exists and is writable and that the disk is not "
        "full, or use another cache_dir= / INCHFRAME_CACHE_DIR, or run without the cache "
        "(cache=False / INCHFRAME_CACHE=0)",
        # a Redis cache or rate budget (INCHFRAME_CACHE_URL / INCHFRAME_LIMITER_URL)
        "unreachable": "check that the Redis server is running and reachable from here, or "
        "unset INCHFRAME_CACHE_URL / INCHFRAME_LIMITER_URL to use the cache directory",
    }

    def __init__(self, path: str, reason: str, detail: str = "") -> None:
        self.path = str(path)
        self.reason = reason
        self.detail = detail
        cause = f" ({detail})" if detail else ""
        fix = self._FIXES.get(reason, self._FIXES["unusable"])
        what = "the Redis server" if reason == "unreachable" else "the HTTP cache file"
        super().__init__(f"{what} {self.path} is {reason}{cause}: {fix}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.path, self.reason, self.detail))


class BatchError(InchframeError):
    """Some requests of a batch failed; nothing that arrived is lost.

    ``frame`` is the partial result built from the requests that succeeded, and ``failures`` a
    DataFrame with one row per failed request (endpoint, chain_id, wallets, error, status,
    message). ``errors="warn"`` or ``errors="ignore"`` return the partial frame instead and put
    the same table in ``frame.attrs["inchframe"]["failures"]``.
    """

    def __init__(self, frame: pd.DataFrame, failures: pd.DataFrame, total: int) -> None:
        self.frame = frame
        self.failures = failures
        self.total = total
        counts = failures["error"].value_counts().to_dict() if len(failures) else {}
        kinds = ", ".join(f"{n} {kind}" for kind, n in counts.items())
        super().__init__(
            f"{len(failures)} of {total} request(s) failed ({kinds}); "
            f"the {len(frame)} row(s) that arrived are in .frame, the failures in .failures"
        )


class InchframeWarning(UserWarning):
    """Base class of the warnings inchframe emits."""


class SandboxWarning(InchframeWarning):
    """The client talks to the embedded sandbox, so the data is synthetic."""


class PartialResultWarning(InchframeWarning):
    """``errors="warn"``: some requests failed; the frame holds what arrived."""


class UnknownFieldsWarning(InchframeWarning):
    """A response carried fields inchframe does not know yet (they are kept, not dropped)."""


class UnknownChainWarning(InchframeWarning):
    """A chain id inchframe does not list: sent as given, labelled ``"chain <id>"``.

    Emitted once per id per process.
    """


class AttributionWarning(InchframeWarning):
    """A multi-wallet answer named no wallet, the zero address or a wallet not asked for on some
    rows, so inchframe asked again once per wallet (single-wallet answers belong to the wallet
    asked)."""


_PACKAGE = str(Path(__file__).resolve().parent)


def user_stacklevel() -> int:
    """``stacklevel`` for :func:`warnings.warn` that points at the first line outside inchframe.

    Call it in the function that warns: the warning then names the user's line (the loader
    call in their notebook), not inchframe's internals.
    """
    frame = sys._getframe(1)
    level = 1
    while frame.f_back is not None and str(Path(frame.f_code.co_filename).resolve()).startswith(
        _PACKAGE
    ):
        frame = frame.f_back
        level += 1
    return level
