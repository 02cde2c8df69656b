"""What a Dask worker needs to fetch like the driver: the client's configuration without its
secret, and one client per worker process built from it (used by :mod:`inchframe.dask` and by
:func:`inchframe.export` on a cluster).

The configuration travels in the task graph (pickled), so it holds no API key: workers read
``INCHFRAME_API_KEY`` from their own environment (a sandbox client's public placeholder key is
the one exception). What it does hold may still carry credentials: a base URL with a query
(``?apiKey=...``) or user info, Redis URLs with a password (``redis://:PASSWORD@host``). Those
are needed on the worker, so they are pickled as they are, but the object's ``repr`` (what
Dask shows in its dashboard, logs and "Compute Failed" messages) shows them redacted.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

__all__ = ["WorkerConfig", "client_config", "worker_client"]


@dataclasses.dataclass(frozen=True)
class WorkerConfig:
    """A client's settings as a worker rebuilds them (hashable: one client per configuration
    and worker process)."""

    base_url: str
    api_key: str | None  #: only a sandbox client's placeholder; else None (the worker's env)
    cache_dir: str
    cache: bool
    rate: float
    offline: bool
    timeout: float
    max_retries: int
    stop_after: int
    cache_url: str | None  #: ``redis://...``: the shared HTTP cache (INCHFRAME_CACHE_URL)
    limiter_url: str | None  #: where the rate budget lives (INCHFRAME_LIMITER_URL)

    def client_kwargs(self) -> dict[str, Any]:
        """Arguments of :class:`inchframe.client.Client` for this configuration."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def __repr__(self) -> str:
        from .config import redact_base_url

        shown = self.client_kwargs()
        shown["base_url"] = redact_base_url(self.base_url)
        shown["api_key"] = None if self.api_key is None else "<sandbox placeholder>"
        for name in ("cache_url", "limiter_url"):
            value = shown[name]
            if value is not None and value != "memory" and not value.startswith("sqlite:"):
                shown[name] = redact_base_url(value)  # user info and query values: ***
        return "WorkerConfig(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"

    __str__ = __repr__


def client_config(client: Any) -> WorkerConfig:
    """What a worker needs to build a client like ``client`` (no API key in it)."""
    from .config import SANDBOX_API_KEY

    s = client.settings
    return WorkerConfig(
        base_url=s.base_url,
        api_key=SANDBOX_API_KEY if s.sandbox else None,
        cache_dir=str(s.cache_dir),
        cache=s.cache,
        rate=s.rate,
        offline=s.offline,
        timeout=s.read_timeout,
        max_retries=s.max_retries,
        stop_after=s.stop_after,
        cache_url=s.cache_url,
        limiter_url=s.limiter_url,
    )


_clients: dict[WorkerConfig, Any] = {}
_lock = threading.Lock()


def worker_client(config: WorkerConfig) -> Any:
    """This process's client for ``config`` (made once, reused by every partition)."""
    from .client import Client

    with _lock:
        found = _clients.get(config)
        if found is None:
            found = _clients[config] = Client(
                sandbox=False, progress=False, **config.client_kwargs()
            )
        return found
