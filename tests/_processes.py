"""What the multi-process tests share: worker processes (``python -c`` source) that say when
they are ready and then wait to be released together, so they really run at the same time.

A worker's source gets ``{ready!r}`` and ``{go!r}`` (paths) to format in: it creates ``ready``
once it has imported what it needs, then waits for ``go`` to exist."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def ready_file(tmp_path: Path, name: str) -> Path:
    return tmp_path / f"ready-{name}"


def out_file(tmp_path: Path, name: str) -> Path:
    """Where worker ``name`` writes its JSON result (format it in as ``{out!r}``)."""
    return tmp_path / f"out-{name}.json"


def go_file(tmp_path: Path, names: Mapping[str, Any]) -> Path:
    """The release signal of one group of workers (unique per group in one ``tmp_path``)."""
    return tmp_path / f"go-{'-'.join(names)}"


def start_ready(
    tmp_path: Path,
    codes: Mapping[str, str],
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = 90,
) -> dict[str, subprocess.Popen[bytes]]:
    """Start one process per ``{name: source}`` (already formatted) and return once every one
    is ready; none is released yet (touch :func:`go_file`)."""
    procs = {
        name: subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(code)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, **(env or {})},
        )
        for name, code in codes.items()
    }
    deadline = time.monotonic() + timeout
    while not all(ready_file(tmp_path, name).exists() for name in codes):
        assert time.monotonic() < deadline, "the worker processes did not start"
        assert all(p.poll() is None for p in procs.values()), "a worker process died"
        time.sleep(0.05)
    return procs


def finish(
    tmp_path: Path, name: str, proc: subprocess.Popen[bytes], *, timeout: float = 300
) -> tuple[bytes, dict[str, Any]]:
    """Wait for worker ``name``: its stdout and stderr together, and its JSON result; it must
    have exited 0."""
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err.decode()
    return out + err, json.loads(out_file(tmp_path, name).read_text())
