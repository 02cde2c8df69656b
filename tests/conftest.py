"""Shared fixtures: isolated environment, a scriptable HTTP server, recorded bodies."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
#: Recorded real response bodies (provenance: ``tests/data/recorded/INDEX.md``).
RECORDED = REPO / "tests" / "data" / "recorded"
#: A key distinctive enough that a byte scan for it cannot hit anything by chance.
FAKE_KEY = "ifr-test-key-7d1f0c5e9a3b4e62b8c1"

VITALIK = "0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045"
BINANCE = "0x28C6c06298d514Db089934071355E5743bf21d60"
ROUTER_V6 = "0x111111125421ca6dc452d289314280a0f8842a65"


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test reads the developer's key or writes to the real user cache."""
    for name in (
        "INCHFRAME_API_KEY",
        "ONEINCH_API_KEY",
        "INCHFRAME_BASE_URL",
        "INCHFRAME_SANDBOX",
        "INCHFRAME_OFFLINE",
        "INCHFRAME_RATE",
        "INCHFRAME_CACHE",
        "INCHFRAME_TIMEOUT",
        "INCHFRAME_MAX_RETRIES",
        "INCHFRAME_STOP_AFTER",
        "INCHFRAME_CACHE_URL",
        "INCHFRAME_LIMITER_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INCHFRAME_CACHE_DIR", str(tmp_path_factory.mktemp("user-cache")))


@dataclass
class Reply:
    """What the scripted server answers: a status, a JSON body, headers, or a dropped socket."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  #: close the socket without answering
    truncate: bool = False  #: promise more bytes than are sent, then close
    raw: bytes | None = None  #: send these bytes as the body instead of JSON
    delay: float = 0.0


@dataclass
class Hit:
    t: float
    method: str
    path: str
    body: bytes
    authorization: str | None


class ScriptedServer:
    """A real HTTP server on 127.0.0.1 whose answers a test scripts per path prefix.

    ``script(prefix, *replies)`` queues replies for matching requests (the last one repeats);
    unscripted paths answer ``default(method, path, body)``. Every request is logged in ``hits``.
    """

    def __init__(self) -> None:
        self.hits: list[Hit] = []
        self._scripts: dict[str, deque[Reply]] = {}
        self._lock = threading.Lock()
        self.default: Callable[[str, str, bytes], Reply] = lambda m, p, b: Reply(200, {"ok": True})
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                reply = server._next(self.command, self.path, body, self.headers)
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.drop:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                data = reply.raw if reply.raw is not None else json.dumps(reply.body).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data) + (100 if reply.truncate else 0)))
                self.send_header("X-Request-Id", f"req-{len(server.hits)}")
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
                if reply.truncate:
                    self.close_connection = True
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)

            do_GET = do_POST = _handle

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def _next(self, method: str, path: str, body: bytes, headers: Any) -> Reply:
        with self._lock:
            self.hits.append(
                Hit(time.monotonic(), method, path, body, headers.get("Authorization"))
            )
            for prefix, queue in self._scripts.items():
                if path.startswith(prefix):
                    return queue.popleft() if len(queue) > 1 else queue[0]
        return self.default(method, path, body)

    def script(self, prefix: str, *replies: Reply) -> None:
        with self._lock:
            self._scripts[prefix] = deque(replies)

    def count(self, prefix: str = "") -> int:
        return sum(h.path.startswith(prefix) for h in self.hits)

    def start(self) -> ScriptedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def scripted() -> Iterator[ScriptedServer]:
    server = ScriptedServer().start()
    try:
        yield server
    finally:
        server.stop()


def load_recorded(name: str) -> Any:
    return json.loads((RECORDED / name).read_text())


@pytest.fixture
def sandbox() -> Iterator[Any]:
    """A fresh embedded sandbox (seed 0, no faults) for one test."""
    from inchframe.sandbox import Sandbox

    with Sandbox() as server:
        yield server


@pytest.fixture
def client(sandbox: Any, tmp_path: Path) -> Iterator[Any]:
    """A client on the test's sandbox with a fresh cache, fast enough for batches."""
    from inchframe.client import Client

    with Client(
        FAKE_KEY, base_url=sandbox.url, cache_dir=tmp_path / "cache", rate=500, progress=False
    ) as made:
        yield made


def api_requests(sandbox: Any) -> int:
    """Requests the sandbox answered (control requests excluded)."""
    return int(sandbox.stats()["total"])


@pytest.fixture
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server of this test's own on 127.0.0.1 (tests/redis_server.py): skipped
    with the reason when none can be started, failed instead under INCHFRAME_REQUIRE_REDIS=1."""
    from .redis_server import REQUIRE_ENV, RedisUnavailable, required, start_redis

    try:
        with start_redis(tmp_path_factory.mktemp("redis")) as url:
            yield url
    except RedisUnavailable as why:
        if required():
            pytest.fail(f"{REQUIRE_ENV}=1 but {why}")
        pytest.skip(str(why))
