"""The HTTP cache against a real server on 127.0.0.1: one request per distinct call, hits
without rate tokens, offline mode (misses named, expired entries served), keys across hosts."""

from __future__ import annotations

from pathlib import Path

import pytest

from inchframe import endpoints as ep
from inchframe.client import Client
from inchframe.errors import OfflineCacheMiss

from ._client_helpers import BALANCES_PATH, BODY, make_client
from .conftest import FAKE_KEY, ROUTER_V6, VITALIK, Reply, ScriptedServer


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
