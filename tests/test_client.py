"""The :class:`~inchframe.client.Client` against a real server on 127.0.0.1: body retries,
error bodies, user sessions, missing keys, the sandbox warning, and the API key staying out of
every byte inchframe writes."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import requests

from inchframe import endpoints as ep
from inchframe.client import Client
from inchframe.errors import (
    BadRequestError,
    ConfigError,
    OfflineCacheMiss,
    PayloadError,
    ServerError,
)

from ._client_helpers import BALANCES_PATH, BODY, make_client
from .conftest import FAKE_KEY, VITALIK, Reply, ScriptedServer


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


def test_sandbox_warns_only_when_chosen_for_want_of_a_key(tmp_path: Path) -> None:
    import warnings

    from inchframe import SandboxWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Client(sandbox=True, cache_dir=tmp_path).close()
    assert not [w for w in caught if issubclass(w.category, SandboxWarning)]
    with pytest.warns(SandboxWarning, match="no API key is set"):
        Client(cache_dir=tmp_path).close()
