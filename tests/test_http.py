"""The HTTP layer against a real server on 127.0.0.1: cache, rate limit, retries, errors,
offline mode, and the API key staying out of every byte inchframe writes."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest
import requests

from inchframe import endpoints as ep
from inchframe.client import Client
from inchframe.errors import (
    ApiError,
    AuthError,
    BadRequestError,
    ConfigError,
    InputError,
    NotFoundError,
    OfflineCacheMiss,
    PayloadError,
    RateLimitError,
    ServerError,
    TransportError,
)

from .conftest import FAKE_KEY, ROUTER_V6, VITALIK, Reply, ScriptedServer

WALLET = VITALIK.lower()
BALANCES_PATH = f"/balance/v1.2/1/balances/{WALLET}"
BODY = {"0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee": "1250000000000000000"}


def make_client(server: ScriptedServer, tmp_path: Path, **options: object) -> Client:
    options.setdefault("rate", 50)
    return Client(FAKE_KEY, base_url=server.url, cache_dir=tmp_path / "cache", **options)


def test_repeated_get_and_post_reach_the_server_once(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    scripted.default = lambda method, path, body: Reply(200, BODY)
    tokens = ["0xdac17f958d2ee523a2206206994597c13d831ec7"]
    with make_client(scripted, tmp_path) as client:
        for _ in range(3):
            assert client.balances(1, VITALIK) == BODY
            assert client.balances_of_tokens(1, VITALIK, tokens) == BODY
        assert client.balances_of_tokens(1, VITALIK, [*tokens, ROUTER_V6]) == BODY  # new body
    assert scripted.count(BALANCES_PATH) == 3
    assert [h.method for h in scripted.hits] == ["GET", "POST", "POST"]
    assert all(h.authorization == f"Bearer {FAKE_KEY}" for h in scripted.hits)


def test_cache_hits_take_no_rate_limit_token(scripted: ScriptedServer, tmp_path: Path) -> None:
    scripted.default = lambda method, path, body: Reply(200, BODY)
    with make_client(scripted, tmp_path, rate=1) as client:
        client.balances(1, VITALIK)
        for _ in range(5):
            reply = client.fetch(ep.balances(1, VITALIK))
            assert reply.from_cache
        # at 1 request/s, five more requests would have had to wait for tokens
        assert client.board.rate_waits == 0
    assert scripted.count() == 1


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


def test_truncated_and_malformed_bodies_are_retried_and_never_cached(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    scripted.script(
        BALANCES_PATH, Reply(200, BODY, truncate=True), Reply(raw=b'{"0xeee'), Reply(200, BODY)
    )
    with make_client(scripted, tmp_path) as client:
        assert client.balances(1, VITALIK) == BODY
        assert client.fetch(ep.balances(1, VITALIK)).from_cache
    assert scripted.count(BALANCES_PATH) == 3


def test_malformed_body_after_the_cap_is_a_payload_error(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    scripted.script(BALANCES_PATH, Reply(raw=b"<html>oops</html>"))
    with make_client(scripted, tmp_path) as client, pytest.raises(PayloadError) as info:
        client.balances(1, VITALIK)
    assert info.value.endpoint == "balance.balances"


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


def test_422_detail_is_parsed(scripted: ScriptedServer, tmp_path: Path) -> None:
    detail = [
        {
            "type": "enum",
            "loc": ["query", "timerange"],
            "msg": "Input should be '1day'",
            "input": "2days",
        }
    ]
    scripted.script("/portfolio", Reply(422, {"detail": detail}))
    with make_client(scripted, tmp_path) as client, pytest.raises(BadRequestError) as info:
        client.v5_chart(VITALIK)
    assert info.value.detail == detail
    assert "query.timerange" in str(info.value)


def test_connection_refused_is_a_transport_error(tmp_path: Path) -> None:
    with (
        Client(
            FAKE_KEY, base_url="http://127.0.0.1:9", cache_dir=tmp_path, max_retries=1, timeout=2
        ) as client,
        pytest.raises(TransportError) as info,
    ):
        client.balances(1, VITALIK)
    assert "127.0.0.1:9" in str(info.value)


def test_offline_serves_the_cache_and_names_the_misses(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    scripted.default = lambda method, path, body: Reply(200, BODY)
    with make_client(scripted, tmp_path) as client:
        client.balances(1, VITALIK)
    assert scripted.count() == 1
    with make_client(scripted, tmp_path, offline=True) as offline:
        assert offline.balances(1, VITALIK) == BODY
        other = "0x" + "2" * 40
        with pytest.raises(OfflineCacheMiss) as info:
            offline.balances(1, other)
        batch = offline.fetch_many(
            [ep.balances(1, VITALIK), ep.balances(1, other), ep.balances(8453, other)],
            progress=False,
        )
    assert scripted.count() == 1  # nothing reached the server
    assert other in info.value.missing[0]
    assert len(batch.replies) == 1 and len(batch.failures) == 2
    assert all(isinstance(f.error, OfflineCacheMiss) for f in batch.failures)


def test_bad_input_fails_before_any_request(scripted: ScriptedServer, tmp_path: Path) -> None:
    with make_client(scripted, tmp_path) as client:
        for call in (
            lambda: client.balances(1, VITALIK[:-1] + "6"),
            lambda: client.balances("ethereun", VITALIK),
            lambda: client.allowances(1, "0x123", VITALIK),
            lambda: client.balances_of_tokens(1, VITALIK, []),
            lambda: client.balances_of_tokens(1, VITALIK, ["usdt"]),
            lambda: client.v5_chart(VITALIK, timerange="2days"),
            lambda: client.v5_tokens_snapshot([], 1),
            lambda: client.v5_tokens_snapshot(VITALIK, timestamp=-5),
            lambda: client.v5_protocols_metrics(VITALIK, token_id=-1),
            lambda: client.v4_tokens_details(VITALIK, closed_threshold=-1.0),
        ):
            with pytest.raises(InputError):
                call()
    assert scripted.count() == 0


def test_api_key_is_written_nowhere(
    scripted: ScriptedServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    scripted.script("/balance/v1.2/1/balances/0x" + "3" * 40, Reply(500, {"m": "x"}))
    scripted.default = lambda method, path, body: Reply(200, BODY)
    texts = []
    with make_client(scripted, tmp_path, max_retries=0) as client:
        client.balances(1, VITALIK)
        client.balances_of_tokens(1, VITALIK, ["0xdac17f958d2ee523a2206206994597c13d831ec7"])
        client.v5_tokens_snapshot([VITALIK], 1)
        try:
            client.balances(1, "0x" + "3" * 40)
        except ServerError as exc:
            texts += [str(exc), repr(exc)]
        texts += [repr(client), str(client.settings), repr(client.session.auth), repr(client._auth)]
    assert scripted.hits[0].authorization == f"Bearer {FAKE_KEY}"  # it was sent...
    texts += [record.getMessage() for record in caplog.records]
    assert not [t for t in texts if FAKE_KEY in t]
    cache_files = [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert cache_files
    for path in cache_files:  # ...and stored nowhere
        assert FAKE_KEY.encode() not in path.read_bytes(), path


def test_user_session_is_used_and_not_closed(scripted: ScriptedServer, tmp_path: Path) -> None:
    import requests

    scripted.default = lambda method, path, body: Reply(200, BODY)
    session = requests.Session()
    closed = []
    session.close = lambda: closed.append(True)  # type: ignore[method-assign]
    with Client(FAKE_KEY, base_url=scripted.url, session=session) as client:
        assert client.balances(1, VITALIK) == BODY
        assert client.session is session
    assert not closed


def test_offline_with_a_user_session_never_reaches_the_network(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    from requests_cache import CachedSession

    scripted.default = lambda method, path, body: Reply(200, BODY)
    with pytest.raises(ConfigError, match="CachedSession"):
        Client(FAKE_KEY, base_url=scripted.url, offline=True, session=requests.Session())
    session = CachedSession(backend="memory")
    with Client(FAKE_KEY, base_url=scripted.url, session=session) as online:
        online.balances(1, VITALIK)
    with Client(FAKE_KEY, base_url=scripted.url, session=session, offline=True) as offline:
        assert offline.balances(1, VITALIK) == BODY
        with pytest.raises(OfflineCacheMiss):
            offline.balances(1, "0x" + "4" * 40)
    assert scripted.count() == 1
    session.close()


def test_missing_key_is_a_clear_error_when_the_sandbox_is_off(tmp_path: Path) -> None:
    from inchframe.errors import ConfigError

    with (
        Client(sandbox=False, cache_dir=tmp_path) as client,
        pytest.raises(ConfigError, match="API key"),
    ):
        client.balances(1, VITALIK)


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


def test_offline_serves_expired_entries(scripted: ScriptedServer, tmp_path: Path) -> None:
    import datetime as dt

    scripted.default = lambda method, path, body: Reply(200, BODY)
    with make_client(scripted, tmp_path) as client:
        client.balances(1, VITALIK)
        cache = client.session.cache
        (key,) = list(cache.responses.keys())
        stale = cache.responses[key]
        stale.expires = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
        cache.responses[key] = stale
        assert client.plan([ep.balances(1, VITALIK)]).cached == 0  # expired online
    with make_client(scripted, tmp_path, offline=True) as offline:
        reply = offline.fetch(ep.balances(1, VITALIK))
    assert reply.payload == BODY and reply.from_cache
    assert scripted.count() == 1


def test_sandbox_answers_are_reused_across_sessions(tmp_path: Path) -> None:
    with Client(sandbox=True, cache_dir=tmp_path, progress=False) as first:
        url = first.base_url
        answer = first.balances(1, VITALIK)
    with Client(sandbox=True, cache_dir=tmp_path, offline=True, progress=False) as later:
        assert later.base_url != url  # a new sandbox on another port...
        reply = later.fetch(ep.balances(1, VITALIK))  # ...and still a cache hit
    assert reply.from_cache and reply.payload == answer


def test_sandbox_warns_only_when_chosen_for_want_of_a_key(tmp_path: Path) -> None:
    import warnings

    from inchframe import SandboxWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Client(sandbox=True, cache_dir=tmp_path).close()
    assert not [w for w in caught if issubclass(w.category, SandboxWarning)]
    with pytest.warns(SandboxWarning, match="no API key is set"):
        Client(cache_dir=tmp_path).close()
