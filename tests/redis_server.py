"""A real ``redis-server`` for tests: started on a free port on 127.0.0.1 in a temp directory.

The ``redis_url`` fixture (tests/conftest.py) uses :func:`start_redis`. When no server can be
started (no ``redis-server`` binary, no ``redis`` package) the tests using it are skipped with
the reason, unless ``INCHFRAME_REQUIRE_REDIS=1`` (set by ``.ci/run``), where they fail.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REQUIRE_ENV = "INCHFRAME_REQUIRE_REDIS"


class RedisUnavailable(Exception):
    """No redis-server could be started here (the message says why)."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def start_redis(directory: Path, *, timeout: float = 15.0) -> Iterator[str]:
    """Run ``redis-server`` (no persistence) until the block ends; yields its URL (db 0)."""
    try:
        import redis
    except ImportError:
        raise RedisUnavailable(
            "the redis package is not installed (pip install 'inchframe[redis]')"
        ) from None
    binary = shutil.which("redis-server")
    if binary is None:
        raise RedisUnavailable("no redis-server on PATH (apt-get install redis-server)")
    directory.mkdir(parents=True, exist_ok=True)
    log = directory / "redis.log"
    last_error = ""
    for _ in range(3):  # a free port can be taken by someone else before the server binds it
        port = _free_port()
        proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(directory),
                "--save",
                "",
                "--appendonly",
                "no",
                "--logfile",
                str(log),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        url = f"redis://127.0.0.1:{port}/0"
        client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    if client.ping():
                        break
                except redis.RedisError as error:
                    last_error = str(error)
                    time.sleep(0.05)
            else:
                err = proc.stderr.read().decode() if proc.poll() is not None and proc.stderr else ""
                last_error = err or (log.read_text() if log.exists() else last_error)
                continue
            try:
                yield url
            finally:
                client.close()
            return
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
    raise RedisUnavailable(f"redis-server did not start: {last_error.strip()[-500:]}")


def required() -> bool:
    return os.environ.get(REQUIRE_ENV, "").strip() == "1"
