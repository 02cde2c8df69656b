"""Configuration: explicit argument > environment > default, read when a client is made."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from inchframe.config import DEFAULT_BASE_URL, ApiKey, resolve_settings
from inchframe.errors import ConfigError

from .conftest import FAKE_KEY


def test_defaults_without_environment(tmp_path: Path) -> None:
    settings = resolve_settings(environ={})
    assert settings.api_key is None
    assert settings.base_url == DEFAULT_BASE_URL
    assert settings.rate == 50.0  # the sandbox has no quota to respect
    assert settings.offline is False
    assert settings.cache is True
    assert settings.sandbox is True  # no key, no base URL: nothing real to talk to
    assert settings.cache_dir.name == "inchframe"


def test_default_rate_is_the_free_plan_with_a_key() -> None:
    assert resolve_settings(api_key=FAKE_KEY, environ={}).rate == 1.0
    assert resolve_settings(sandbox=True, rate=2, environ={}).rate == 2.0


def test_environment_is_read() -> None:
    env = {
        "INCHFRAME_API_KEY": FAKE_KEY,
        "INCHFRAME_BASE_URL": "https://api.1inch.com/",
        "INCHFRAME_CACHE_DIR": "/tmp/somewhere",
        "INCHFRAME_RATE": "5",
        "INCHFRAME_OFFLINE": "1",
        "INCHFRAME_MAX_RETRIES": "2",
        "INCHFRAME_TIMEOUT": "12",
    }
    s = resolve_settings(environ=env)
    assert s.api_key == ApiKey(FAKE_KEY)
    assert s.base_url == "https://api.1inch.com"
    assert s.cache_dir == Path("/tmp/somewhere")
    assert (s.rate, s.offline, s.max_retries, s.read_timeout) == (5.0, True, 2, 12.0)
    assert s.sandbox is False


def test_oneinch_api_key_is_accepted_and_inchframe_wins() -> None:
    assert resolve_settings(environ={"ONEINCH_API_KEY": "a"}).api_key == ApiKey("a")
    both = {"ONEINCH_API_KEY": "a", "INCHFRAME_API_KEY": "b"}
    assert resolve_settings(environ=both).api_key == ApiKey("b")


def test_explicit_arguments_beat_environment() -> None:
    env = {
        "INCHFRAME_API_KEY": "env-key",
        "INCHFRAME_RATE": "5",
        "INCHFRAME_OFFLINE": "1",
        "INCHFRAME_BASE_URL": "https://api.1inch.com",
    }
    s = resolve_settings(
        api_key="arg-key", rate=2, offline=False, base_url="http://x:1", environ=env
    )
    assert (s.api_key, s.rate, s.offline, s.base_url) == (
        ApiKey("arg-key"),
        2.0,
        False,
        "http://x:1",
    )


def test_sandbox_switch() -> None:
    assert resolve_settings(environ={"INCHFRAME_SANDBOX": "1", "INCHFRAME_API_KEY": "k"}).sandbox
    assert not resolve_settings(environ={"INCHFRAME_SANDBOX": "0"}).sandbox
    assert not resolve_settings(environ={"INCHFRAME_BASE_URL": "http://127.0.0.1:1"}).sandbox


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"INCHFRAME_RATE": "fast"}, "INCHFRAME_RATE"),
        ({"INCHFRAME_RATE": "0"}, "INCHFRAME_RATE"),
        ({"INCHFRAME_RATE": "nan"}, "INCHFRAME_RATE"),
        ({"INCHFRAME_OFFLINE": "maybe"}, "INCHFRAME_OFFLINE"),
        ({"INCHFRAME_MAX_RETRIES": "1.5"}, "INCHFRAME_MAX_RETRIES"),
        ({"INCHFRAME_BASE_URL": "api.1inch.dev"}, "http"),
        ({"INCHFRAME_SANDBOX": "sometimes"}, "INCHFRAME_SANDBOX"),
        ({"INCHFRAME_OFFLINE": "1", "INCHFRAME_CACHE": "0"}, "cache"),
    ],
)
def test_bad_settings_name_the_variable(env: dict[str, str], fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        resolve_settings(environ=env)


def test_environment_is_read_when_the_client_is_made(monkeypatch: pytest.MonkeyPatch) -> None:
    import inchframe
    from inchframe.client import Client

    monkeypatch.setenv("INCHFRAME_RATE", "7")
    monkeypatch.setenv("INCHFRAME_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("INCHFRAME_API_KEY", FAKE_KEY)
    with Client() as client:
        assert client.settings.rate == 7.0
    monkeypatch.setenv("INCHFRAME_RATE", "3")
    with inchframe.Client() as client:
        assert client.settings.rate == 3.0


def test_api_key_never_shows_itself() -> None:
    key = ApiKey(FAKE_KEY)
    settings = resolve_settings(api_key=FAKE_KEY, environ={})
    for text in (repr(key), str(key), f"{key}", repr(settings), str(settings)):
        assert FAKE_KEY not in text
    with pytest.raises(TypeError):
        pickle.dumps(key)
    assert key.reveal() == FAKE_KEY


@pytest.mark.parametrize("bad", ["", "   ", "two words"])
def test_bad_api_key(bad: str) -> None:
    with pytest.raises(ConfigError):
        ApiKey(bad)


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        ({"api_key": ""}, "empty"),  # explicit: not "no key" (it would hide the environment's)
        ({"api_key": 12345}, "api_key"),
        ({"timeout": 0}, "timeout"),
        ({"timeout": -1}, "timeout"),
        ({"timeout": "x"}, "timeout"),
        ({"timeout": True}, "timeout"),
        ({"rate": True}, "rate"),
        ({"max_retries": False}, "max_retries"),
    ],
)
def test_bad_arguments_are_named(arguments: dict[str, object], fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        resolve_settings(environ={"INCHFRAME_API_KEY": FAKE_KEY}, **arguments)  # type: ignore[arg-type]


def test_an_empty_key_variable_counts_as_unset() -> None:
    settings = resolve_settings(environ={"INCHFRAME_API_KEY": "", "ONEINCH_API_KEY": FAKE_KEY})
    assert settings.api_key is not None and settings.api_key.reveal() == FAKE_KEY
