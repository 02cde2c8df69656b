"""Rate limit, fault injection (rates, determinism, replay), control endpoint, stats, shutdown."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from inchframe.sandbox import Sandbox, serve

from ._helpers import AUTH, V5, VITALIK, call

STATUS = f"{V5}/general/status"
CHART = f"{V5}/general/chart?addresses={VITALIK}&timerange=1month"


def _raw(url: str, path: str) -> tuple[str, Any]:
    """One request on a fresh connection: ("ok", (status, body)) or the failure kind."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request("GET", path, headers=AUTH)
        response = conn.getresponse()
        try:
            body = response.read()
        except http.client.IncompleteRead:
            return "truncated", response.status
        try:
            json.loads(body)
        except ValueError:
            return "malformed", (response.status, body)
        return "ok", (response.status, json.loads(body))
    except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
        return "dropped", None
    finally:
        conn.close()


def _statuses(url: str, n: int, path: str = STATUS) -> list[int]:
    return [call(url, path).status for _ in range(n)]


def test_rate_limit_with_retry_after(fresh: Sandbox) -> None:
    fresh.configure(rate_limit=2)
    replies = [call(fresh.url, STATUS) for _ in range(12)]
    codes = [r.status for r in replies]
    assert codes[:2] == [200, 200]
    limited = [r for r in replies if r.status == 429]
    assert len(limited) >= 6
    assert all(r.header("Retry-After") and int(r.header("Retry-After")) >= 1 for r in limited)
    assert limited[0].json()["statusCode"] == 429
    stats = fresh.stats()
    assert stats["rate_limited"] == len(limited) == stats["by_status"][429]
    # another key has its own bucket
    other = call(fresh.url, STATUS, headers={"Authorization": "Bearer someone-else"})
    assert other.status == 200


def test_rate_limit_without_retry_after(fresh: Sandbox) -> None:
    fresh.configure(rate_limit=1, retry_after=False)
    limited = [r for r in (call(fresh.url, STATUS) for _ in range(6)) if r.status == 429]
    assert limited and all(r.header("Retry-After") is None for r in limited)


def test_rate_limit_refills(fresh: Sandbox) -> None:
    fresh.configure(rate_limit=20, rate_burst=1)
    assert call(fresh.url, STATUS).status == 200
    time.sleep(0.2)  # 4 tokens' worth; the bucket holds 1
    assert call(fresh.url, STATUS).status == 200


@pytest.mark.parametrize("rate", [0.1, 0.3])
def test_error_rate(fresh: Sandbox, rate: float) -> None:
    fresh.configure(error_rate=rate)
    codes = _statuses(fresh.url, 200)
    errors = [c for c in codes if c >= 500]
    assert rate * 200 * 0.5 <= len(errors) <= rate * 200 * 1.6
    assert set(errors) <= {500, 502, 503, 504} and len(set(errors)) >= 2
    assert set(codes) - set(errors) == {200}


def test_custom_error_statuses_and_endpoint_filter(fresh: Sandbox) -> None:
    fresh.configure(error_rate=1.0, error_statuses=[503], fault_endpoints=["v5.chart"])
    assert _statuses(fresh.url, 5, CHART) == [503] * 5
    assert _statuses(fresh.url, 5) == [200] * 5


@pytest.mark.parametrize(
    ("option", "kind"),
    [("drop_rate", "dropped"), ("truncate_rate", "truncated"), ("malformed_rate", "malformed")],
)
def test_connection_and_body_faults(fresh: Sandbox, option: str, kind: str) -> None:
    fresh.configure(**{option: 0.25})
    outcomes = Counter(_raw(fresh.url, CHART)[0] for _ in range(120))
    assert set(outcomes) == {"ok", kind}
    assert 0.1 * 120 <= outcomes[kind] <= 0.45 * 120
    if kind == "dropped":
        assert fresh.stats()["by_status"].get(0) == outcomes[kind]


def test_malformed_is_a_200(fresh: Sandbox) -> None:
    fresh.configure(malformed_rate=1.0)
    kind, (status, _) = _raw(fresh.url, CHART)
    assert (kind, status) == ("malformed", 200)


def test_drift(fresh: Sandbox) -> None:
    clean = call(fresh.url, CHART).json()
    fresh.configure(drift_rate=1.0)
    changed = 0
    for path in (
        CHART,
        f"/balance/v1.2/1/balances/{VITALIK}",
        f"{V5}/general/current_value?addresses={VITALIK}",
        f"{V5}/general/report?addresses={VITALIK}",
    ):
        reply = call(fresh.url, path)
        assert reply.status == 200
        if path == CHART:
            drifted = reply.json()
            assert drifted != clean
            item, original = drifted["result"][0], clean["result"][0]
            assert set(item) != set(original)  # a required key removed or renamed
            changed += 1
        elif path.endswith("report?addresses=" + VITALIK):
            assert b"value_usd" not in reply.body.split(b"\n")[0]
        else:
            assert reply.json()  # still valid JSON
    assert changed == 1


def test_slow_body_and_latency(fresh: Sandbox) -> None:
    fresh.configure(slow_rate=1.0, slow_chunk=200, slow_pause=0.02)
    started = time.monotonic()
    reply = call(fresh.url, CHART)
    elapsed = time.monotonic() - started
    assert reply.status == 200 and reply.json()["result"]
    assert elapsed >= 0.02 * (len(reply.body) // 200 - 1)
    fresh.configure(slow_rate=0.0, latency=0.15)
    started = time.monotonic()
    assert call(fresh.url, STATUS).status == 200
    assert time.monotonic() - started >= 0.15


def test_faults_are_deterministic_and_replayable() -> None:
    options = {"seed": 5, "error_rate": 0.3, "drop_rate": 0.1, "malformed_rate": 0.1}

    def sequence(sb: Sandbox) -> list[str]:
        return [
            f"{kind}:{detail[0] if isinstance(detail, tuple) else detail}"
            for kind, detail in (_raw(sb.url, CHART) for _ in range(60))
        ]

    with Sandbox(**options) as a, Sandbox(**options) as b:
        first = sequence(a)
        assert sequence(b) == first
        a.reset()
        assert sequence(a) == first  # replay from the start after a reset
    with Sandbox(**{**options, "seed": 6}) as c:
        assert sequence(c) != first


def test_faults_do_not_corrupt_state(fresh: Sandbox) -> None:
    before = call(fresh.url, CHART).body
    fresh.configure(drift_rate=0.5, malformed_rate=0.2, truncate_rate=0.2, error_rate=0.1)
    for _ in range(40):
        _raw(fresh.url, CHART)
    fresh.configure(drift_rate=0, malformed_rate=0, truncate_rate=0, error_rate=0)
    after = call(fresh.url, CHART).json()
    assert after["result"] == json.loads(before)["result"]


def test_control_endpoint(fresh: Sandbox) -> None:
    reply = call(
        fresh.url,
        "/_sandbox/config",
        method="POST",
        auth=False,
        body={"error_rate": 1.0, "error_statuses": [502]},
    )
    assert reply.status == 200 and reply.json()["error_rate"] == 1.0
    assert call(fresh.url, STATUS).status == 502
    assert call(fresh.url, "/_sandbox/config", auth=False).json()["error_statuses"] == [502]
    bad = call(fresh.url, "/_sandbox/config", method="POST", auth=False, body={"nope": 1})
    assert bad.status == 400 and "nope" in bad.json()["description"]
    bad = call(fresh.url, "/_sandbox/config", method="POST", auth=False, body={"error_rate": 2})
    assert bad.status == 400
    stats = call(fresh.url, "/_sandbox/stats", auth=False).json()
    assert stats["total"] == 1 and stats["by_endpoint"] == {"v5.status": 1}
    assert stats["by_status"] == {"502": 1}
    assert call(fresh.url, "/_sandbox/reset", method="POST", auth=False).json() == {"ok": True}
    assert call(fresh.url, "/_sandbox/stats", auth=False).json()["total"] == 0
    endpoints = call(fresh.url, "/_sandbox/endpoints", auth=False).json()
    assert len(endpoints) == 31
    call(
        fresh.url,
        "/_sandbox/config",
        method="POST",
        auth=False,
        body={"quirks": "legacy", "error_rate": 0},
    )
    payload = call(fresh.url, f"{V5}/general/current_value?addresses={VITALIK}").json()
    assert "system" in payload and "meta" not in payload


def test_stats(fresh: Sandbox) -> None:
    call(fresh.url, f"{V5}/general/current_value?addresses={VITALIK}&addresses={VITALIK}")
    call(
        fresh.url,
        f"/balance/v1.2/1/aggregatedBalancesAndAllowances/{VITALIK}"
        f"?wallets={VITALIK},0x{'1' * 40}&wallets=0x{'2' * 40}&filterEmpty=true",
    )
    call(fresh.url, "/nowhere")
    call(fresh.url, STATUS, auth=False)
    stats = fresh.stats()
    assert stats["total"] == 4
    assert stats["by_endpoint"] == {
        "v5.current_value": 1,
        "balance.aggregated": 1,
        "unknown": 1,
        "v5.status": 1,
    }
    assert stats["by_status"] == {200: 3, 401: 1} or stats["by_status"] == {200: 2, 404: 1, 401: 1}
    recent = stats["recent"]
    assert [r["n_addresses"] for r in recent[:2]] == [2, 3]
    assert set(recent[0]) == {"t", "method", "path", "endpoint", "status", "n_addresses"}
    assert recent[0]["path"] == f"{V5}/general/current_value"  # no query string (no apiKey)
    fresh.reset_stats()
    assert fresh.stats()["total"] == 0


def _threads() -> set[threading.Thread]:
    return set(threading.enumerate())


def test_clean_shutdown_with_keepalive_clients() -> None:
    before = _threads()
    sb = Sandbox().start()
    url = sb.url
    sessions = [requests.Session() for _ in range(3)]
    for s in sessions:
        assert s.get(url + STATUS, headers=AUTH).status_code == 200  # connection stays open
    sb.stop()
    assert _threads() == before
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", sb.port), timeout=2).close()
    for s in sessions:
        s.close()
    sb.stop()  # idempotent


def test_serve_context_manager() -> None:
    before = _threads()
    with serve(seed=2) as url:
        assert url.startswith("http://127.0.0.1:") and not url.endswith("/")
        assert call(url, STATUS).status == 200
    assert _threads() == before


def test_two_sandboxes_are_independent() -> None:
    with Sandbox(seed=1) as a, Sandbox(seed=2) as b:
        a.configure(error_rate=1.0)
        assert call(a.url, STATUS).status >= 500
        assert call(b.url, STATUS).status == 200
        path = f"/balance/v1.2/1/balances/{VITALIK}"
        assert call(a.url, path).status >= 500
        a.configure(error_rate=0)
        assert call(a.url, path).body != call(b.url, path).body
        assert a.stats()["total"] == 3 and b.stats()["total"] == 2
