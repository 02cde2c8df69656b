"""A client aimed at a sandbox you started yourself (``inchframe sandbox``) needs no key.

docs/cli.md says: start ``inchframe sandbox`` and point ``INCHFRAME_BASE_URL`` (or
``Client(base_url=...)``) at it. The rule that makes this work: a loopback base URL
(127.0.0.0/8, ``localhost``, ``::1``) needs no API key; any other host does.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import inchframe as ifr
from inchframe.client import Client
from inchframe.config import is_loopback_url
from inchframe.errors import ConfigError

from .conftest import FAKE_KEY, VITALIK, api_requests


@pytest.fixture
def keyless(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in list(os.environ):
        if name.startswith(("INCHFRAME_", "ONEINCH_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("INCHFRAME_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


@pytest.fixture
def local() -> Iterator[Any]:
    from inchframe.sandbox import Sandbox

    with Sandbox() as server:
        yield server


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8765", True),
        ("http://127.1.2.3:80/", True),
        ("http://localhost:8765", True),
        ("http://LOCALHOST", True),
        ("http://[::1]:8765", True),
        ("https://api.1inch.dev", False),
        ("https://api.1inch.com", False),
        ("http://127.0.0.1.example.com", False),
        ("http://localhost.example.com:8765", False),
        ("http://10.0.0.1:8765", False),
        ("http://[::2]:80", False),
        ("http://[bad", False),
    ],
)
def test_loopback_rule(url: str, loopback: bool) -> None:
    assert is_loopback_url(url) is loopback


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_client_on_my_own_sandbox_needs_no_key(keyless: Path, local: Any, host: str) -> None:
    with Client(base_url=local.url.replace("127.0.0.1", host), progress=False) as client:
        assert not client.is_sandbox  # the user's server, not an embedded one
        frame = ifr.balances(VITALIK, "ethereum", client=client)
    assert len(frame) > 0 and set(frame["wallet"]) == {VITALIK.lower()}
    assert api_requests(local) >= 1  # the answer came from *that* sandbox


def test_base_url_variable_routes_loaders(
    keyless: Path, local: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INCHFRAME_BASE_URL", local.url)
    frame = ifr.portfolio.current_value(VITALIK)
    assert len(frame) > 0 and api_requests(local) >= 1
    assert frame.attrs["inchframe"]["base_url"] == local.url


def test_base_url_variable_routes_the_cli(keyless: Path, local: Any) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INCHFRAME_", "ONEINCH_"))}
    env["INCHFRAME_BASE_URL"] = local.url
    env["INCHFRAME_CACHE_DIR"] = str(keyless / "cli-cache")
    result = subprocess.run(
        [sys.executable, "-m", "inchframe", "fetch", "balances", VITALIK, "--no-progress"],
        capture_output=True, text=True, env=env, cwd=keyless, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "embedded sandbox" not in result.stderr and api_requests(local) >= 1


@pytest.mark.parametrize("url", ["https://api.1inch.dev", "http://10.255.255.1:9"])
def test_other_hosts_still_need_a_key(keyless: Path, url: str) -> None:
    with (
        Client(base_url=url, progress=False) as client,
        pytest.raises(ConfigError, match="INCHFRAME_API_KEY") as info,
    ):
        ifr.balances(VITALIK, "ethereum", client=client)
    message = str(info.value)
    assert "127.0.0.1" in message  # says how to reach a local sandbox without a key


def test_a_key_given_is_sent_to_a_local_sandbox(keyless: Path) -> None:
    from inchframe.sandbox import Sandbox

    with Sandbox(api_keys=(FAKE_KEY,)) as strict:
        with Client(FAKE_KEY, base_url=strict.url, progress=False, cache=False) as client:
            assert len(ifr.balances(VITALIK, "ethereum", client=client)) > 0
        with (
            Client(base_url=strict.url, progress=False, cache=False) as client,
            pytest.raises(ifr.errors.InchframeError),  # the placeholder key is refused there
        ):
            ifr.balances(VITALIK, "ethereum", client=client)
