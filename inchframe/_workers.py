"""What a Dask worker needs to fetch like the driver: the client's configuration without its
secret, and one client per worker process built from it (used by :mod:`inchframe.dask` and by
:func:`inchframe.export` on a cluster)."""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["client_config", "worker_client"]


def client_config(client: Any) -> dict[str, Any]:
    """What a worker needs to build a client like ``client`` (no secret in it)."""
    from .config import SANDBOX_API_KEY

    s = client.settings
    return {
        "base_url": s.base_url,
        "api_key": SANDBOX_API_KEY if s.sandbox else None,
        "cache_dir": str(s.cache_dir),
        "cache": s.cache,
        "rate": s.rate,
        "offline": s.offline,
        "timeout": s.read_timeout,
        "max_retries": s.max_retries,
    }


_clients: dict[tuple[Any, ...], Any] = {}
_lock = threading.Lock()


def worker_client(config: dict[str, Any]) -> Any:
    """This process's client for ``config`` (made once, reused by every partition)."""
    from .client import Client

    key = tuple(sorted(config.items()))
    with _lock:
        found = _clients.get(key)
        if found is None:
            found = _clients[key] = Client(sandbox=False, progress=False, **config)
        return found
