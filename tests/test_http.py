"""The transport (``inchframe._http``) against a real server on 127.0.0.1: rate limit, retries
and their cap, errors after retries, connection failures, the status shown while waiting."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from inchframe import endpoints as ep
from inchframe.client import Client
from inchframe.errors import (
    ApiError,
    AuthError,
    BadRequestError,
    NotFoundError,
    RateLimitError,
    ServerError,
    TransportError,
)

from ._client_helpers import BALANCES_PATH, BODY, make_client
from .conftest import FAKE_KEY, VITALIK, Reply, ScriptedServer


def test_rate_is_held_across_threads(scripted: ScriptedServer, tmp_path: Path) -> None:
    scripted.default = lambda method, path, body: Reply(200, BODY)
    rate, per_thread = 5, 5
    with make_client(scripted, tmp_path, rate=rate, cache=False) as client:

        def work(start: int) -> None:
            for i in range(per_thread):
                client.balances(1, f"0x{start + i:040x}")

        threads = [threading.Thread(target=work, args=(100 * t + 1,)) for t in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    times = sorted(h.t for h in scripted.hits)
    assert len(times) == 4 * per_thread
    # sliding window: no more than `rate` requests in any one-second window (10% slack)
    for i in range(len(times) - rate):
        assert times[i + rate] - times[i] >= 0.9
    # and so the whole batch takes at least (n - rate) / rate seconds
    assert times[-1] - times[0] >= 0.9 * (len(times) - rate) / rate


def test_429_with_retry_after_is_waited_out(scripted: ScriptedServer, tmp_path: Path) -> None:
    scripted.script(
        BALANCES_PATH, Reply(429, {"error": "rate"}, {"Retry-After": "1"}), Reply(200, BODY)
    )
    with make_client(scripted, tmp_path) as client:
        assert client.balances(1, VITALIK) == BODY
        assert client.board.retries == 1
    first, second = scripted.hits
    assert second.t - first.t >= 0.95


def test_5xx_and_dropped_connections_are_retried(scripted: ScriptedServer, tmp_path: Path) -> None:
    scripted.script(
        BALANCES_PATH, Reply(503, {}), Reply(drop=True), Reply(502, {}), Reply(200, BODY)
    )
    with make_client(scripted, tmp_path) as client:
        assert client.balances(1, VITALIK) == BODY
    assert scripted.count(BALANCES_PATH) == 4


def test_retries_back_off_from_the_first_one(scripted: ScriptedServer, tmp_path: Path) -> None:
    scripted.script(BALANCES_PATH, Reply(503, {}), Reply(drop=True), Reply(200, BODY))
    with make_client(scripted, tmp_path) as client:
        assert client.balances(1, VITALIK) == BODY
    first, second, third = (h.t for h in scripted.hits)
    # backoff 0.5 s * 2**(n-1) plus up to 0.5 s of jitter (urllib3 alone retries the first at once)
    assert second - first >= 0.45
    assert third - second >= 0.95


def test_retries_take_tokens_of_the_rate(scripted: ScriptedServer, tmp_path: Path) -> None:
    """Every attempt, retries included, counts against the client's rate."""
    failed: set[str] = set()

    def fail_once(method: str, path: str, body: bytes) -> Reply:
        if path in failed:
            return Reply(200, BODY)
        failed.add(path)
        return Reply(503, {})

    scripted.default = fail_once
    rate = 4
    calls = [ep.balances(1, f"0x{i:040x}") for i in range(1, 7)]
    with make_client(scripted, tmp_path, rate=rate, cache=False, max_workers=6) as client:
        batch = client.fetch_many(calls, progress=False)
    assert not batch.failures and batch.retries == len(calls)
    times = sorted(h.t for h in scripted.hits)
    assert len(times) == 2 * len(calls)
    for i in range(len(times) - rate):  # no more than `rate` attempts in any 1 s window
        assert times[i + rate] - times[i] >= 0.9


@pytest.mark.parametrize(
    ("reply", "error", "hits"),
    [
        (Reply(503, {"message": "busy"}), ServerError, 3),
        (Reply(429, {"error": "rate"}), RateLimitError, 3),
        (Reply(404, {"message": "Not Found"}), NotFoundError, 1),
        (Reply(401, {"message": "Unauthorized"}), AuthError, 1),
        (Reply(400, {"statusCode": 400, "description": "bad wallet"}), BadRequestError, 1),
    ],
)
def test_errors_after_the_cap_name_url_and_request_id(
    scripted: ScriptedServer, tmp_path: Path, reply: Reply, error: type[ApiError], hits: int
) -> None:
    scripted.script(BALANCES_PATH, reply)
    with make_client(scripted, tmp_path, max_retries=2) as client, pytest.raises(error) as info:
        client.balances(1, VITALIK)
    exc = info.value
    assert exc.status == reply.status
    assert BALANCES_PATH in exc.url and BALANCES_PATH in str(exc)
    assert exc.request_id and exc.request_id in str(exc)
    assert scripted.count(BALANCES_PATH) == hits


def test_connection_refused_is_a_transport_error(tmp_path: Path) -> None:
    with (
        Client(
            FAKE_KEY, base_url="http://127.0.0.1:9", cache_dir=tmp_path, max_retries=1, timeout=2
        ) as client,
        pytest.raises(TransportError) as info,
    ):
        client.balances(1, VITALIK)
    assert "127.0.0.1:9" in str(info.value)


def test_progress_bar_says_when_it_waits_for_the_rate_limit(
    scripted: ScriptedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scripted.default = lambda method, path, body: Reply(200, BODY)
    calls = [ep.balances(1, f"0x{i:040x}") for i in range(1, 9)]
    with make_client(scripted, tmp_path, rate=4, cache=False) as client:
        batch = client.fetch_many(calls, progress=True, description="balances")
    assert len(batch.replies) == 8 and batch.rate_waits > 0
    err = capsys.readouterr().err
    assert "balances" in err and "waiting: rate limit 4/s" in err
