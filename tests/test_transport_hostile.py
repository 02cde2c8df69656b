"""Hostile answers stay inside inchframe's error tree: odd 422 ``detail``, bodies nested too
deeply to parse, junk ``Retry-After`` headers (real server on 127.0.0.1)."""

from __future__ import annotations

import pickle
import time
from pathlib import Path

import pytest

from inchframe import endpoints as ep
from inchframe._http import parse_retry_after
from inchframe._json import loads_json
from inchframe.client import Failure
from inchframe.errors import BadRequestError, InchframeError, PayloadError, RateLimitError

from ._client_helpers import BALANCES_PATH, BODY, make_client
from .conftest import VITALIK, Reply, ScriptedServer


@pytest.mark.parametrize(
    "detail",
    [
        [{"loc": 5, "msg": None}],
        [{"loc": None}],
        [{"loc": [{"a": 1}, None, True, 2], "msg": {"nested": [1, 2]}}],
        [{"loc": "query", "msg": 7, "type": 3}],
        "wallet is not valid",
        42,
        None,
        True,
        [[["deep", ["deeper"]]], 3, None, "text"],
        {"loc": ["query"], "msg": "one object"},
        [{}] * 500,
    ],
)
def test_odd_422_detail_is_a_bad_request_error(
    scripted: ScriptedServer, tmp_path: Path, detail: object
) -> None:
    scripted.script(BALANCES_PATH, Reply(422, {"detail": detail}))
    with make_client(scripted, tmp_path) as client, pytest.raises(BadRequestError) as info:
        client.balances(1, VITALIK)
    error = info.value
    assert error.status == 422 and BALANCES_PATH in str(error)
    for item in error.detail or []:  # always the documented shape
        assert isinstance(item["loc"], list) and isinstance(item["msg"], str)
    assert str(pickle.loads(pickle.dumps(error))) == str(error)


@pytest.mark.parametrize(
    "raw",
    [b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000, b"[" * 100_000],
)
def test_deeply_nested_bodies_are_payload_errors(
    scripted: ScriptedServer, tmp_path: Path, raw: bytes
) -> None:
    with pytest.raises(ValueError):
        loads_json(raw)
    scripted.script(BALANCES_PATH, Reply(200, raw=raw))
    with make_client(scripted, tmp_path) as client:
        with pytest.raises(PayloadError):
            client.balances(1, VITALIK)
        # in a batch, it is one failure among the replies; the batch goes on
        scripted.script(f"/balance/v1.2/1/balances/{'0x' + '1' * 40}", Reply(200, BODY))
        batch = client.fetch_many(
            [ep.balances(1, VITALIK), ep.balances(1, "0x" + "1" * 40)], progress=False
        )
    assert len(batch.replies) == 1 and len(batch.failures) == 1
    assert isinstance(batch.failures[0], Failure)
    assert isinstance(batch.failures[0].error, PayloadError)


def test_deeply_nested_422_body_is_still_a_bad_request_error(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    raw = b'{"detail":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    scripted.script(BALANCES_PATH, Reply(422, raw=raw))
    with make_client(scripted, tmp_path) as client, pytest.raises(BadRequestError) as info:
        client.balances(1, VITALIK)
    assert info.value.detail is None
    assert len(info.value.body) <= 1000  # an excerpt


@pytest.mark.parametrize("header", ["soon", "-5", "1e9", "1.5", "", "Thu, 99 Foo 2026", "٣"])
def test_junk_retry_after_counts_as_absent(
    scripted: ScriptedServer, tmp_path: Path, header: str
) -> None:
    scripted.script(
        BALANCES_PATH,
        Reply(429, {"error": "rate"}, headers={"Retry-After": header}),
        Reply(200, BODY),
    )
    started = time.monotonic()
    with make_client(scripted, tmp_path) as client:
        assert client.balances(1, VITALIK) == BODY  # retried after the backoff, not an error
    assert time.monotonic() - started < 5
    assert scripted.count(BALANCES_PATH) == 2


def test_junk_retry_after_on_the_last_429_is_a_rate_limit_error(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    scripted.script(BALANCES_PATH, Reply(429, {"error": "rate"}, headers={"Retry-After": "soon"}))
    with (
        make_client(scripted, tmp_path, max_retries=1) as client,
        pytest.raises(RateLimitError) as info,
    ):
        client.balances(1, VITALIK)
    assert info.value.retry_after is None
    assert isinstance(info.value, InchframeError)


def test_huge_retry_after_is_capped(scripted: ScriptedServer, tmp_path: Path) -> None:
    scripted.script(
        BALANCES_PATH,
        Reply(429, {"error": "rate"}, headers={"Retry-After": "9" * 5000}),
        Reply(200, BODY),
    )
    with make_client(scripted, tmp_path) as client:
        retry = client.session.get_adapter(scripted.url).max_retries
        retry.retry_after_max = 1  # the cap applies: a huge value waits 1 s, not forever
        started = time.monotonic()
        assert client.balances(1, VITALIK) == BODY
    assert 0.9 <= time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("soon", None),
        ("-5", None),
        ("  7 ", 7.0),
        ("0", 0.0),
        ("86400", 30.0),
        ("9" * 5000, 30.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # in the past
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, cap=30.0) == expected
