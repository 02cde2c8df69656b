"""pytest set-up for the notebooks (run by ``pytest --nbmake``).

nbmake starts each notebook's kernel as a child process that inherits this process's
environment; pytest fixtures do not reach it. So the environment is set here, once per session,
before any notebook runs, and restored at the end:

- ``INCHFRAME_CACHE_DIR`` points at a temporary directory, so executing the notebooks never
  writes into the user's real cache;
- ``TMPDIR`` points the kernels' ``tempfile`` (where the notebooks write their Parquet files)
  at a temporary directory too; both are removed when the session ends;
- the API key and connection variables are removed, so the notebooks run against the embedded
  sandbox and need no network. Set ``INCHFRAME_NOTEBOOKS_LIVE=1`` to keep them and run the
  notebooks against the real API instead.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

#: Variables that would point the notebooks away from the sandbox or the temporary cache.
CONNECTION_VARIABLES = (
    "INCHFRAME_API_KEY",
    "ONEINCH_API_KEY",
    "INCHFRAME_BASE_URL",
    "INCHFRAME_SANDBOX",
    "INCHFRAME_OFFLINE",
    "INCHFRAME_CACHE",
)
_saved: dict[str, str | None] = {}
_session_dirs: list[Path] = []


def _set(name: str, value: str | None) -> None:
    _saved.setdefault(name, os.environ.get(name))
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


def pytest_configure(config: pytest.Config) -> None:
    tempfile.gettempdir()  # fix this process's own temp dir before TMPDIR changes
    root = Path(tempfile.mkdtemp(prefix="inchframe-notebooks-"))
    _session_dirs.append(root)
    (root / "cache").mkdir()
    (root / "tmp").mkdir()
    _set("INCHFRAME_CACHE_DIR", str(root / "cache"))
    _set("TMPDIR", str(root / "tmp"))
    if os.environ.get("INCHFRAME_NOTEBOOKS_LIVE") != "1":
        for name in CONNECTION_VARIABLES:
            _set(name, None)


def pytest_unconfigure(config: pytest.Config) -> None:
    for name, value in _saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    _saved.clear()
    while _session_dirs:
        shutil.rmtree(_session_dirs.pop(), ignore_errors=True)
