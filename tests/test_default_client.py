"""The default client is explicit and closable: ``inchframe.default_client()`` and
``inchframe.close()`` leave no sandbox thread and no open cache file behind."""

from __future__ import annotations

import os
import sys
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

import inchframe as ifr
from inchframe.errors import SandboxWarning

from .conftest import VITALIK

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="counts open files through /proc/self/fd"
)


def sandbox_threads(*, servers_only: bool = False) -> list[threading.Thread]:
    """The sandbox's threads: its server (``inchframe-sandbox:PORT``) and, unless
    ``servers_only``, those serving open connections (``inchframe-sandbox-conn:PORT``)."""
    prefix = "inchframe-sandbox:" if servers_only else "inchframe-sandbox"
    return [t for t in threading.enumerate() if t.name.startswith(prefix)]


def sandbox_threads_after_close() -> list[threading.Thread]:
    """Sandbox threads still alive once each had a second to end (connections close async)."""
    for thread in sandbox_threads():
        thread.join(timeout=1.0)
    return sandbox_threads()


def open_files_under(directory: Path) -> list[str]:
    """Paths under ``directory`` this process holds open (SQLite files and their journals)."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # closed meanwhile
            continue
        if target.startswith(str(directory)):
            found.append(target)
    return found


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("INCHFRAME_CACHE_DIR", str(tmp_path))
    ifr.close()  # start from no default client
    yield tmp_path
    ifr.close()


def test_default_client_is_shared_and_close_releases_everything(cache_dir: Path) -> None:
    before = sandbox_threads_after_close()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SandboxWarning)
        client = ifr.default_client()
        assert ifr.default_client() is client
        frame = ifr.portfolio.tokens_snapshot([VITALIK])  # the loaders use the same client
        ifr.balances(VITALIK, 1, progress=False)
    assert frame.attrs["inchframe"]["source"] == "sandbox" and client.is_sandbox
    assert len(sandbox_threads(servers_only=True)) == len(before) + 1
    assert any(p.endswith(".sqlite") for p in open_files_under(cache_dir))

    ifr.close()

    assert sandbox_threads_after_close() == before
    assert open_files_under(cache_dir) == []
    # the next call makes a new one, which works
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SandboxWarning)
        again = ifr.default_client()
        assert again is not client
        assert ifr.portfolio.status() is True
    ifr.close()
    assert sandbox_threads_after_close() == before
    assert open_files_under(cache_dir) == []


def test_close_without_a_default_client_does_nothing(cache_dir: Path) -> None:
    ifr.close()
    ifr.close()
    assert open_files_under(cache_dir) == []


def test_a_new_environment_gets_its_own_default(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = sandbox_threads_after_close()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SandboxWarning)
        first = ifr.default_client()
        monkeypatch.setenv("INCHFRAME_RATE", "7")
        second = ifr.default_client()
    assert second is not first and second.settings.rate == 7
    ifr.close()  # closes both
    assert sandbox_threads_after_close() == before
    assert open_files_under(cache_dir) == []


def test_client_is_a_context_manager(cache_dir: Path) -> None:
    before = sandbox_threads_after_close()
    with ifr.Client(sandbox=True, progress=False) as client:
        assert client.v5_status() is not None
        assert len(sandbox_threads(servers_only=True)) == len(before) + 1
    assert sandbox_threads_after_close() == before
    assert open_files_under(cache_dir) == []
