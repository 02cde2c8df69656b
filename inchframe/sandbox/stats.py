"""Request statistics of a running sandbox (thread-safe, bounded)."""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from typing import Any

__all__ = ["Stats"]


class Stats:
    """Counts per endpoint and status, the number of 429s, and a bounded recent-request log."""

    def __init__(self, log_size: int = 1000) -> None:
        self._lock = threading.Lock()
        self._log_size = log_size
        self.reset()

    def reset(self, log_size: int | None = None) -> None:
        with self._lock:
            if log_size is not None:
                self._log_size = log_size
            self._total = 0
            self._endpoints: Counter[str] = Counter()
            self._statuses: Counter[int] = Counter()
            self._recent: deque[dict[str, Any]] = deque(maxlen=self._log_size)

    def resize(self, log_size: int) -> None:
        """Change the recent-log bound, keeping the newest entries."""
        with self._lock:
            self._log_size = log_size
            self._recent = deque(self._recent, maxlen=log_size)

    def record(self, method: str, path: str, endpoint: str, status: int, n_addresses: int) -> None:
        """Log one answered (or deliberately dropped, status 0) API request."""
        entry = {
            "t": time.monotonic(),
            "method": method,
            "path": path,
            "endpoint": endpoint,
            "status": status,
            "n_addresses": n_addresses,
        }
        with self._lock:
            self._total += 1
            self._endpoints[endpoint] += 1
            self._statuses[status] += 1
            self._recent.append(entry)

    def snapshot(self) -> dict[str, Any]:
        """A plain, JSON-friendly dict (status codes as ints; ``by_status`` keys are ints)."""
        with self._lock:
            return {
                "total": self._total,
                "by_endpoint": dict(self._endpoints),
                "by_status": dict(self._statuses),
                "rate_limited": self._statuses.get(429, 0),
                "recent": [dict(e) for e in self._recent],
            }
