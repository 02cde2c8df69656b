"""The HTTP cache and the rate budget in a real Redis (INCHFRAME_CACHE_URL, INCHFRAME_LIMITER_URL):
shared by processes with separate cache directories, the key never reaching Redis, integrity
checks, offline mode, expiry and ``inchframe cache info|clear`` working there too."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import pytest

from inchframe import endpoints as ep
from inchframe.client import Client
from inchframe.errors import CacheError, ConfigError

from .conftest import FAKE_KEY, VITALIK
from .test_shared_budget import assert_one_budget, budget_calls, run_together

pytestmark = pytest.mark.slow


def _everything_in(url: str) -> list[bytes]:
    """Every key and every value stored in the Redis at ``url``, as bytes."""
    import redis

    con = redis.Redis.from_url(url)
    found: list[bytes] = []
    try:
        for key in con.scan_iter("*"):
            found.append(key)
            kind = con.type(key)
            if kind == b"string":
                found.append(con.get(key) or b"")
            elif kind == b"hash":
                for field, value in con.hgetall(key).items():
                    found += [field, value]
            elif kind == b"zset":
                found += [member for member, _ in con.zrange(key, 0, -1, withscores=True)]
            elif kind == b"list":
                found += con.lrange(key, 0, -1)
            elif kind == b"set":
                found += list(con.smembers(key))
            else:
                raise AssertionError(f"unexpected Redis type {kind!r} of {key!r}")
    finally:
        con.close()
    return found


def _client(sandbox: Any, cache_dir: Path, redis_url: str, **kwargs: Any) -> Client:
    return Client(
        FAKE_KEY,
        base_url=sandbox.url,
        cache_dir=str(cache_dir),
        cache_url=redis_url,
        limiter_url=redis_url,
        progress=False,
        **kwargs,
    )


@pytest.mark.xfail(
    strict=False,
    reason="timing-sensitive on a shared 2-core machine (seen failing 1 run in 2 under load); "
    "the rate figures are measured by benchmarks/bench_ratelimit.py",
)
def test_two_processes_with_separate_cache_dirs_share_redis(tmp_path: Path, redis_url: str) -> None:
    from inchframe.sandbox import Sandbox

    env = {"INCHFRAME_CACHE_URL": redis_url, "INCHFRAME_LIMITER_URL": redis_url}
    plans = {"a": (0, 10), "b": (10, 10)}
    with Sandbox(rate_limit=1.0) as sandbox:
        results = run_together(
            tmp_path, sandbox.url, tmp_path / "caches", plans, env=env, separate_caches=True
        )
        stats = sandbox.stats()
        assert_one_budget(results, stats, plans, rate=1)
        # another process, another cache directory: what "a" fetched comes from Redis
        again = run_together(
            tmp_path,
            sandbox.url,
            tmp_path / "caches",
            {"c": plans["a"]},
            env=env,
            separate_caches=True,
        )
        assert again["c"]["cached"] == plans["a"][1] and again["c"]["sent"] == 0
        assert sandbox.stats()["total"] == stats["total"]
    # nothing in the cache directories: cache and budget are in Redis
    for name in ("a", "b", "c"):
        directory = tmp_path / "caches" / name
        assert not directory.exists() or not any(directory.iterdir())
    stored = _everything_in(redis_url)
    assert b"inchframe-salt" in stored  # the budget was there (its items leak away after 1 s)
    assert sum(key.startswith(b"inchframe-cache:") for key in stored) == 20
    assert not any(FAKE_KEY.encode() in item for item in stored)


def test_the_key_never_reaches_redis(tmp_path: Path, redis_url: str, sandbox: Any) -> None:
    with _client(sandbox, tmp_path, redis_url) as client:
        client.balances(1, VITALIK)
        client.fetch_many([*budget_calls(0, 3), ep.v5_tokens_snapshot([VITALIK], 1)])
    stored = _everything_in(redis_url)
    assert len(stored) > 10
    blob = b"\n".join(stored)
    assert FAKE_KEY.encode() not in blob
    assert b"Bearer" not in blob  # requests-cache stores the header as "REDACTED"
    # the budget's name is a salted hash: not the plain SHA-256 of the key either
    import hashlib

    assert hashlib.sha256(FAKE_KEY.encode()).hexdigest()[:32].encode() not in blob


def test_second_client_reads_the_first_ones_answers(
    tmp_path: Path, redis_url: str, sandbox: Any
) -> None:
    calls = budget_calls(0, 4)
    with _client(sandbox, tmp_path / "one", redis_url) as client:
        first = client.fetch_many(calls)
    sent = sandbox.stats()["total"]
    with _client(sandbox, tmp_path / "two", redis_url) as client:
        second = client.fetch_many(calls)
    assert first.from_cache == 0 and second.from_cache == 4
    assert sandbox.stats()["total"] == sent
    assert [r.payload for r in first.replies] == [r.payload for r in second.replies]


def test_a_damaged_entry_is_fetched_again_not_served(
    tmp_path: Path, redis_url: str, sandbox: Any
) -> None:
    import redis

    call = budget_calls(0, 1)[0]
    with _client(sandbox, tmp_path, redis_url) as client:
        good = client.fetch(call).payload
    con = redis.Redis.from_url(redis_url)
    (key,) = list(con.scan_iter("inchframe-cache:*"))
    value = con.get(key)
    assert value is not None
    spot = value.rindex(b'"balance"') if b'"balance"' in value else len(value) - 5
    con.set(key, value[:spot] + b"X" + value[spot + 1 :])  # still a readable entry
    con.close()
    sent = sandbox.stats()["total"]
    with _client(sandbox, tmp_path, redis_url) as client:
        reply = client.fetch(call)
    assert not reply.from_cache and reply.payload == good
    assert sandbox.stats()["total"] == sent + 1


def test_offline_serves_redis_entries_even_expired(
    tmp_path: Path, redis_url: str, sandbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from inchframe.cache import cache_info, clear_cache

    call = budget_calls(0, 1)[0]
    with _client(sandbox, tmp_path, redis_url) as client:
        payload = client.fetch(call).payload
    # an entry that expires after a second, written by a client
    with monkeypatch.context() as patch, _client(sandbox, tmp_path, redis_url) as client:
        patch.setattr("inchframe.client.expiry_for", lambda *args, **kwargs: 1)
        client.fetch(ep.balances(1, VITALIK))
    time.sleep(1.2)
    info = cache_info(cache_url=redis_url)
    assert info.entries == 2 and info.expired == 1 and info.bytes > 0
    assert "redis://127.0.0.1" in str(info) and "balance" in str(info)
    sent = sandbox.stats()["total"]
    with _client(sandbox, tmp_path, redis_url, offline=True) as client:
        assert client.fetch(call).payload == payload
        expired = client.fetch(ep.balances(1, VITALIK))  # expired: offline still serves it
        assert expired.from_cache
    assert sandbox.stats()["total"] == sent
    assert clear_cache(cache_url=redis_url, expired_only=True) == 1
    assert cache_info(cache_url=redis_url).entries == 1
    assert clear_cache(cache_url=redis_url, older_than=dt.timedelta(days=1)) == 0
    assert clear_cache(cache_url=redis_url) == 1
    assert cache_info(cache_url=redis_url).entries == 0
    # the budget and the salt are not cache entries: clearing the cache leaves them
    assert any(key.startswith(b"inchframe-salt") for key in _everything_in(redis_url))


def test_cli_cache_info_and_clear_on_redis(
    tmp_path: Path,
    redis_url: str,
    sandbox: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from inchframe.cli import main

    with _client(sandbox, tmp_path, redis_url) as client:
        client.fetch_many(budget_calls(0, 3))
    monkeypatch.setenv("INCHFRAME_CACHE_URL", redis_url)
    assert main(["cache", "info"]) == 0
    out = capsys.readouterr().out
    assert "entries:    3 (0 expired)" in out and redis_url in out
    assert main(["cache", "clear"]) == 0
    assert "removed 3" in capsys.readouterr().out
    assert main(["cache", "info"]) == 0
    assert "entries:    0" in capsys.readouterr().out


def test_bad_urls_are_config_errors_before_any_request() -> None:
    for url in ("http://localhost:6379", "redis://", "redis://host:port/0", "redis://h/x"):
        with pytest.raises(ConfigError):
            Client(FAKE_KEY, base_url="http://127.0.0.1:9", cache_url=url)
    with pytest.raises(ConfigError):
        Client(FAKE_KEY, base_url="http://127.0.0.1:9", limiter_url="postgres://x/y")


def test_redis_down_is_a_cache_error_in_bounded_time(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"redis://:secret-pw@127.0.0.1:{port}/0"  # nothing listens there
    started = time.monotonic()
    for kwargs in ({"cache_url": url}, {"limiter_url": url}):
        with pytest.raises(CacheError) as caught:
            Client(FAKE_KEY, base_url="http://127.0.0.1:9", cache_dir=str(tmp_path), **kwargs)
        assert "secret-pw" not in str(caught.value) and "***" in str(caught.value)
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("where", ["cache_url", "limiter_url"])
def test_redis_going_away_mid_run_is_a_cache_error(
    tmp_path: Path, sandbox: Any, where: str
) -> None:
    """A Redis that stops between two requests: the next one ends as CacheError, soon."""
    from .redis_server import RedisUnavailable, required, start_redis

    try:
        server = start_redis(tmp_path / "redis")
        url = server.__enter__()
    except RedisUnavailable as why:
        if required():
            pytest.fail(str(why))
        pytest.skip(str(why))
    calls = budget_calls(0, 2)
    options = {"cache_url": None, "limiter_url": "memory", where: url}
    try:
        client = Client(
            FAKE_KEY, base_url=sandbox.url, cache_dir=str(tmp_path), progress=False, **options
        )
        client.fetch(calls[0])
    finally:
        server.__exit__(None, None, None)  # the server stops
    try:
        started = time.monotonic()
        with pytest.raises(CacheError) as caught:
            client.fetch(calls[1])
        assert time.monotonic() - started < 60
        assert caught.value.path == url  # names the Redis that went away
    finally:
        client.close()
