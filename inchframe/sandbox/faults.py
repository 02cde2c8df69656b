"""Deterministic fault injection and per-key rate limiting.

The fault decision for the k-th request to an endpoint comes from an RNG seeded with
``(seed, endpoint, k)``: the same seed and the same sequence of requests to an endpoint give the
same faults, so a failing client test can be replayed. All numbers are drawn for every request
whatever the rates, so changing one rate does not reshuffle the others.
"""

from __future__ import annotations

import math
import random
import threading
import time
from dataclasses import dataclass
from typing import Any

from .options import SandboxOptions

__all__ = ["NO_FAULT", "FaultDecision", "FaultPlanner", "RateLimiter", "drift_csv", "drift_payload"]


@dataclass(frozen=True, slots=True)
class FaultDecision:
    """What goes wrong with one request (at most one of the body faults)."""

    k: int = -1  #: per-endpoint request counter the decision was drawn for
    drop: bool = False
    error_status: int | None = None
    truncate: bool = False
    malformed: bool = False
    drift: bool = False
    slow: bool = False
    variant: int = 0  #: picks which field the drift removes or renames

    @property
    def any(self) -> bool:
        return (
            self.drop
            or self.error_status is not None
            or self.truncate
            or self.malformed
            or self.drift
            or self.slow
        )


NO_FAULT = FaultDecision()


class FaultPlanner:
    """Counts requests per endpoint and draws each one's faults from the seeded RNG."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: dict[str, int] = {}

    def reset(self) -> None:
        with self._lock:
            self._counters.clear()

    def decide(self, options: SandboxOptions, endpoint: str) -> FaultDecision:
        with self._lock:
            k = self._counters.get(endpoint, 0)
            self._counters[endpoint] = k + 1
        if not options.faults_enabled():
            return NO_FAULT
        if options.fault_endpoints is not None and endpoint not in options.fault_endpoints:
            return NO_FAULT
        rng = random.Random(f"fault:{options.seed}:{endpoint}:{k}")
        u_drop, u_error, u_body, u_slow = (rng.random() for _ in range(4))
        status = rng.choice(options.error_statuses)
        variant = rng.randrange(1 << 16)
        drop = u_drop < options.drop_rate
        error = not drop and u_error < options.error_rate
        # One uniform number splits into the three exclusive body faults.
        t, m, d = options.truncate_rate, options.malformed_rate, options.drift_rate
        body_ok = not drop and not error
        return FaultDecision(
            k=k,
            drop=drop,
            error_status=status if error else None,
            truncate=body_ok and u_body < t,
            malformed=body_ok and t <= u_body < t + m,
            drift=body_ok and t + m <= u_body < t + m + d,
            slow=body_ok and u_slow < options.slow_rate,
            variant=variant,
        )


class RateLimiter:
    """Token buckets per API-key digest: ``rate`` tokens per second, ``burst`` capacity."""

    _MAX_KEYS = 10_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last time)

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()

    def acquire(self, key: str, rate: float, burst: int | None) -> float | None:
        """Take one token: None when allowed, else the seconds until a token is available."""
        capacity = float(burst if burst is not None else max(1, math.ceil(rate)))
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (capacity, now))
            tokens = min(capacity, tokens + (now - last) * rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return None
            self._buckets[key] = (tokens, now)
            if len(self._buckets) > self._MAX_KEYS:
                self._buckets.pop(next(iter(self._buckets)))
            return (1.0 - tokens) / rate


def _renamed(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(p.capitalize() for p in rest) if rest else key.capitalize()


def _drift_item(item: dict[str, Any], variant: int) -> dict[str, Any]:
    keys = list(item)
    if not keys:
        return item
    victim = keys[variant % len(keys)]
    if (variant >> 8) % 2:  # remove
        return {k: v for k, v in item.items() if k != victim}
    return {(_renamed(k) if k == victim else k): v for k, v in item.items()}


def drift_payload(payload: Any, variant: int) -> Any:
    """A copy of ``payload`` with a required field removed or renamed (or, for the Balance
    API's flat ``{token: "amount"}`` maps, the amounts turned into JSON numbers)."""
    if isinstance(payload, dict) and "result" in payload:
        result = payload["result"]
        if isinstance(result, list) and result and isinstance(result[0], dict):
            return {**payload, "result": [_drift_item(i, variant) for i in result]}
        if isinstance(result, dict) and result:
            return {**payload, "result": _drift_item(result, variant)}
        return {("data" if k == "result" else k): v for k, v in payload.items()}
    if isinstance(payload, list):
        if payload and isinstance(payload[0], dict):
            return [_drift_item(i, variant) for i in payload]
        return {"result": payload}
    if isinstance(payload, dict) and payload:
        first = next(iter(payload.values()))
        if isinstance(first, dict) and first and "balance" in first:
            return {k: _drift_item(v, 0 if variant % 2 else 1 << 8) for k, v in payload.items()}
        if isinstance(first, dict):
            return {k: {t: int(a) for t, a in v.items()} for k, v in payload.items()}
        if isinstance(first, str):
            return {k: int(v) if v.isdigit() else v for k, v in payload.items()}
        return _drift_item(payload, variant)
    return payload


def drift_csv(text: str) -> str:
    """The CSV report with its ``value_usd`` column renamed."""
    head, sep, rest = text.partition("\n")
    return head.replace("value_usd", "valueUsd") + sep + rest
