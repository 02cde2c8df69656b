"""Every default and environment variable inchframe reads, in one place.

Precedence: an explicit argument beats the environment, which beats the default. The environment
is read when a :class:`~inchframe.client.Client` is made (:func:`resolve_settings`), never at
import time.

=========================  ==========================  =========================================
variable                   default                     meaning
=========================  ==========================  =========================================
``INCHFRAME_API_KEY``      (none)                      API key; ``ONEINCH_API_KEY`` also works
``INCHFRAME_BASE_URL``     ``https://api.1inch.dev``   API host (``https://api.1inch.com`` too)
``INCHFRAME_SANDBOX``      ``auto``                    ``1``: always use the embedded sandbox;
                                                       ``0``: never; ``auto``: when no key is set
``INCHFRAME_CACHE_DIR``    user cache dir/inchframe    where the HTTP cache (SQLite) lives
``INCHFRAME_CACHE``        ``1``                       ``0`` disables the on-disk cache
``INCHFRAME_RATE``         ``1`` (sandbox: ``50``)     requests per second (free plan: 1)
``INCHFRAME_OFFLINE``      ``0``                       ``1``: answer only from the cache
``INCHFRAME_TIMEOUT``      ``30``                      seconds one attempt may take as a whole:
                                                       connect (at most 10), headers and body
``INCHFRAME_MAX_RETRIES``  ``5``                       retries for 429, 5xx, timeouts and dropped
                                                       connections (also in mid-body)
``INCHFRAME_STOP_AFTER``   ``5``                       a batch stops after this many consecutive
                                                       transport failures (``0``: never)
``INCHFRAME_CACHE_URL``    (none: SQLite in cache dir) ``redis://host:port/db``: a shared cache
``INCHFRAME_LIMITER_URL``  (none: SQLite in cache dir) where the rate budget lives: ``redis://``,
                                                       ``sqlite:///path`` or ``memory``
=========================  ==========================  =========================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from .errors import ConfigError

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_RATE",
    "ENV",
    "ApiKey",
    "Settings",
    "default_cache_dir",
    "redact_base_url",
    "resolve_settings",
    "split_base_url",
]

DEFAULT_BASE_URL = "https://api.1inch.dev"
DEFAULT_RATE = 1.0  #: requests per second on the free (Dev) plan
#: Default rate against the embedded sandbox, which has no quota to respect.
SANDBOX_RATE = 50.0
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 5
#: Consecutive transport failures (no answer) after which a batch stops sending.
DEFAULT_STOP_AFTER = 5
#: Longest Retry-After inchframe will honour; urllib3's own cap is six hours.
RETRY_AFTER_MAX = 30.0
#: Placeholder key sent to the embedded sandbox, which (like the gateway) wants a Bearer token.
SANDBOX_API_KEY = "sandbox"


class ENV:
    """Names of the environment variables inchframe reads."""

    API_KEY = "INCHFRAME_API_KEY"
    API_KEY_ALT = "ONEINCH_API_KEY"
    BASE_URL = "INCHFRAME_BASE_URL"
    SANDBOX = "INCHFRAME_SANDBOX"
    CACHE_DIR = "INCHFRAME_CACHE_DIR"
    CACHE = "INCHFRAME_CACHE"
    RATE = "INCHFRAME_RATE"
    OFFLINE = "INCHFRAME_OFFLINE"
    TIMEOUT = "INCHFRAME_TIMEOUT"
    MAX_RETRIES = "INCHFRAME_MAX_RETRIES"
    STOP_AFTER = "INCHFRAME_STOP_AFTER"
    CACHE_URL = "INCHFRAME_CACHE_URL"
    LIMITER_URL = "INCHFRAME_LIMITER_URL"


class ApiKey:
    """An API key that never shows itself: ``repr``, ``str`` and f-strings print ``***``.

    Only :meth:`reveal` returns the value, and only the ``Authorization`` header calls it.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        value = value.strip()
        if not value:
            raise ConfigError("the API key is empty")
        if any(ch.isspace() for ch in value):
            raise ConfigError("the API key contains white space")
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "ApiKey('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ApiKey) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("ApiKey", self._value))

    def __reduce__(self) -> tuple:
        raise TypeError("ApiKey cannot be pickled, so it cannot end up in a file by accident")


@dataclass(frozen=True)
class Settings:
    """Resolved configuration of one client (see the module docstring for the sources)."""

    api_key: ApiKey | None = field(repr=False)
    base_url: str
    sandbox: bool
    cache_dir: Path
    cache: bool
    rate: float
    offline: bool
    connect_timeout: float
    read_timeout: float
    max_retries: int
    #: a batch stops after this many consecutive transport failures; 0: never
    stop_after: int = DEFAULT_STOP_AFTER
    #: ``redis://...``: the HTTP cache lives there instead of in ``cache_dir`` (see backends)
    cache_url: str | None = field(default=None, repr=False)
    #: where the rate budget lives (None: next to the cache; see :mod:`inchframe.budget`)
    limiter_url: str | None = field(default=None, repr=False)

    @property
    def has_key(self) -> bool:
        return self.api_key is not None

    def __repr__(self) -> str:  # the key is left out and the base URL redacted
        shown = {name: value for name, value in vars(self).items() if name != "api_key"}
        shown["base_url"] = redact_base_url(self.base_url)
        return "Settings(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"


def redact_base_url(url: str) -> str:
    """``url`` as it may be shown or stored: user info (``user:KEY@``) and every query value
    (``?apiKey=KEY``) replaced by ``***``, the fragment dropped.

    A base URL is the API's host, so anything beyond it may be a credential, whatever its name.
    """
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
    except ValueError:
        return "***"
    if "@" in netloc:
        netloc = "***@" + netloc.rsplit("@", 1)[1]
    query = "&".join(f"{name}=***" for name, _ in parse_qsl(parts.query, keep_blank_values=True))
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def split_base_url(url: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """``url`` without user info, query and fragment (what request paths are appended to),
    and its query parameters (sent with every request, never shown: :func:`redact_base_url`).

    User info is dropped: inchframe authenticates with ``Authorization: Bearer``, which
    replaces what requests would make of ``user:password@`` anyway.
    """
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    base = urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))
    return base, tuple(parse_qsl(parts.query, keep_blank_values=True))


def default_cache_dir() -> Path:
    """The per-user cache directory (``platformdirs.user_cache_dir("inchframe")``)."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("inchframe", appauthor=False))


def _flag(name: str, text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{name}={text!r}: expected 1/0, true/false, yes/no or on/off")


def _number(name: str, text: str, *, minimum: float, integer: bool = False) -> float:
    try:
        value = int(text) if integer else float(text)
    except ValueError:
        kind = "a whole number" if integer else "a number"
        raise ConfigError(f"{name}={text!r}: expected {kind}") from None
    if not value >= minimum:  # also rejects NaN
        raise ConfigError(f"{name}={text!r}: must be at least {minimum}")
    return value


def _sandbox_mode(name: str, text: str) -> bool | None:
    """``auto`` gives None (decided from the key), otherwise a flag."""
    if text.strip().lower() == "auto":
        return None
    return _flag(name, text)


def is_loopback_url(url: str) -> bool:
    """True when ``url`` names this machine (127.0.0.0/8, ``localhost``, ``::1``).

    Such a base URL is a sandbox or stub you started yourself (``inchframe sandbox``): a client
    aimed at it needs no API key and sends the placeholder :data:`SANDBOX_API_KEY`. Every other
    host (the real API included) needs a key.
    """
    import ipaddress
    from urllib.parse import urlsplit

    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve_settings(
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    sandbox: bool | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    cache: bool | None = None,
    rate: float | None = None,
    offline: bool | None = None,
    timeout: float | None = None,
    max_retries: int | None = None,
    stop_after: int | None = None,
    cache_url: str | None = None,
    limiter_url: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Combine explicit arguments, the environment and the defaults into :class:`Settings`.

    The sandbox is used when asked for (``sandbox=True`` or ``INCHFRAME_SANDBOX=1``), or, in
    ``auto`` mode, when neither an API key nor a base URL was given: then there is nothing real
    to talk to, and inchframe says so with a warning when the client starts the sandbox.
    """
    env = os.environ if environ is None else environ

    if api_key is not None:  # given explicitly: an empty key is a mistake, not "no key"
        if not isinstance(api_key, str):
            raise ConfigError(f"api_key: expected a string, not {type(api_key).__name__}")
        key: ApiKey | None = ApiKey(api_key)
    else:  # an empty variable counts as unset, as shells make it easy to leave one empty
        key_text = env.get(ENV.API_KEY) or env.get(ENV.API_KEY_ALT)
        key = ApiKey(key_text) if key_text else None

    url = base_url if base_url is not None else env.get(ENV.BASE_URL)
    if sandbox is None and ENV.SANDBOX in env:
        sandbox = _sandbox_mode(ENV.SANDBOX, env[ENV.SANDBOX])
    if sandbox is None:
        sandbox = key is None and not url
    url = (url or DEFAULT_BASE_URL).rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"base URL {redact_base_url(url)!r} must start with http:// or https://")
    try:
        parts = urlsplit(url)
        host, _ = parts.hostname, parts.port  # the port is checked when read
    except ValueError:
        raise ConfigError(f"base URL {redact_base_url(url)!r} is not a valid URL") from None
    if not host:
        raise ConfigError(f"base URL {redact_base_url(url)!r} names no host")

    if cache_dir is not None:
        directory = Path(cache_dir)
    elif env.get(ENV.CACHE_DIR):
        directory = Path(env[ENV.CACHE_DIR])
    else:
        directory = default_cache_dir()

    if cache is None:
        cache = _flag(ENV.CACHE, env[ENV.CACHE]) if ENV.CACHE in env else True
    if offline is None:
        offline = _flag(ENV.OFFLINE, env[ENV.OFFLINE]) if ENV.OFFLINE in env else False
    if offline and not cache:
        raise ConfigError("offline mode answers from the cache, so it needs the cache enabled")

    if rate is None and env.get(ENV.RATE):
        rate = _number(ENV.RATE, env[ENV.RATE], minimum=0.001)
    elif rate is None:
        rate = SANDBOX_RATE if sandbox else DEFAULT_RATE
    elif isinstance(rate, bool) or not (isinstance(rate, (int, float)) and rate > 0):
        raise ConfigError(f"rate={rate!r}: expected a positive number of requests per second")

    if timeout is None:
        timeout = (
            _number(ENV.TIMEOUT, env[ENV.TIMEOUT], minimum=0.1)
            if env.get(ENV.TIMEOUT)
            else DEFAULT_READ_TIMEOUT
        )
    elif isinstance(timeout, bool) or not (isinstance(timeout, (int, float)) and timeout >= 0.1):
        raise ConfigError(f"timeout={timeout!r}: expected a number of seconds, at least 0.1")
    if max_retries is None:
        max_retries = (
            int(_number(ENV.MAX_RETRIES, env[ENV.MAX_RETRIES], minimum=0, integer=True))
            if env.get(ENV.MAX_RETRIES)
            else DEFAULT_MAX_RETRIES
        )
    elif isinstance(max_retries, bool) or not (isinstance(max_retries, int) and max_retries >= 0):
        raise ConfigError(f"max_retries={max_retries!r}: expected a whole number >= 0")
    if stop_after is None:
        stop_after = (
            int(_number(ENV.STOP_AFTER, env[ENV.STOP_AFTER], minimum=0, integer=True))
            if env.get(ENV.STOP_AFTER)
            else DEFAULT_STOP_AFTER
        )
    elif isinstance(stop_after, bool) or not (isinstance(stop_after, int) and stop_after >= 0):
        raise ConfigError(f"stop_after={stop_after!r}: expected a whole number >= 0")

    from .backends import check_cache_url, check_limiter_url

    cache_url = check_cache_url(ENV.CACHE_URL, cache_url or env.get(ENV.CACHE_URL) or None)
    limiter_url = check_limiter_url(
        ENV.LIMITER_URL, limiter_url or env.get(ENV.LIMITER_URL) or None
    )

    return Settings(
        api_key=key,
        base_url=url,
        sandbox=bool(sandbox),
        cache_dir=directory,
        cache=cache,
        rate=float(rate),
        offline=offline,
        connect_timeout=min(DEFAULT_CONNECT_TIMEOUT, float(timeout)),
        read_timeout=float(timeout),
        max_retries=max_retries,
        stop_after=stop_after,
        cache_url=cache_url,
        limiter_url=limiter_url,
    )
