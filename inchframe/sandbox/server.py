"""The HTTP server: :class:`Sandbox` (start/stop, live configuration, stats) and :func:`serve`.

A standard-library ``ThreadingHTTPServer`` speaking HTTP/1.1 with keep-alive. Every response is
written with a single ``sendall`` (headers and body together) and ``TCP_NODELAY``, which keeps
small keep-alive requests fast. Stopping closes idle keep-alive connections and joins every
handler thread, so nothing leaks.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from .app import ENDPOINTS, App, Reply
from .options import SandboxOptions
from .stats import Stats
from .universe import Universe

__all__ = ["Sandbox", "serve"]


class _Server(ThreadingHTTPServer):
    """Tracks its connections and (daemon) handler threads itself: the standard library does
    not join daemon threads, and idle keep-alive connections would keep them alive."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._handlers: set[threading.Thread] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            daemon=True,
            name=f"inchframe-sandbox-conn:{self.server_address[1]}",
        )
        with self._connections_lock:
            self._connections.add(request)
            self._handlers.add(thread)
        thread.start()

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._connections_lock:
                self._handlers.discard(threading.current_thread())

    def join_handlers(self, timeout: float = 10.0) -> None:
        with self._connections_lock:
            handlers = list(self._handlers)
        for thread in handlers:
            thread.join(timeout)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Wake handler threads waiting on idle keep-alive connections."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "inchframe-sandbox"
    sys_version = ""
    disable_nagle_algorithm = True
    timeout = 120  # idle keep-alive connections are closed after this many seconds
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the sandbox never writes request lines (they may carry ``apiKey``)."""

    # -- methods
    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def __getattr__(self, name: str) -> Any:
        """Every other method (HEAD, OPTIONS, TRACE, CONNECT, extension tokens) is dispatched too.

        The API routes only GET and POST, so such a request on a known path is answered 405 with
        an ``Allow`` header, as the real stack answers (not the 501 ``BaseHTTPRequestHandler``
        sends for a method it has no ``do_`` handler for); an unknown path is 404 as usual.
        """
        if name.startswith("do_") and name[3:].isascii() and name[3:].isupper():
            return self._serve
        raise AttributeError(name)

    # -- plumbing
    def _read_body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if length and length.strip().isdigit():
            return self.rfile.read(int(length))
        return b""

    def _serve(self) -> None:
        sandbox = self.server.sandbox
        body = self._read_body()
        if self.path.startswith("/_sandbox"):
            self._write(sandbox._control(self.command, self.path, body), None)
            return
        options = sandbox.options
        headers = {k.lower(): v for k, v in self.headers.items()}
        reply = sandbox.app.dispatch(options, self.command, self.path, headers, body)
        sandbox._stats.record(
            self.command, urlsplit(self.path).path, reply.endpoint, reply.status, reply.n_addresses
        )
        self._write(reply, options)

    def _head(
        self,
        status: int,
        content_type: str,
        length: int,
        headers: list[tuple[str, str]],
        close: bool,
    ) -> bytes:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = ""
        lines = [
            f"HTTP/1.1 {status} {phrase}",
            f"Server: {self.server_version}",
            f"Date: {self.date_time_string()}",
            f"Content-Type: {content_type}",
            f"Content-Length: {length}",
        ]
        lines.extend(f"{name}: {value}" for name, value in headers)
        if close:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _abort(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _write(self, reply: Reply, options: SandboxOptions | None) -> None:
        fault = reply.fault
        if fault.drop:
            self._abort()
            return
        close = reply.close or self.close_connection or fault.truncate
        if close:
            self.close_connection = True
        body = reply.body()
        head = self._head(reply.status, reply.content_type, len(body), reply.headers, close)
        try:
            if fault.truncate:
                self.wfile.write(head + body[: len(body) // 2])
                self._abort()
            elif fault.slow and options is not None:
                self.wfile.write(head)
                step = options.slow_chunk
                for start in range(0, len(body), step):
                    if self.server.stopping.is_set():
                        self._abort()
                        return
                    if start:
                        time.sleep(options.slow_pause)
                    self.wfile.write(body[start : start + step])
            elif self.command == "HEAD":  # a HEAD answer has headers only (RFC 9110 9.3.2)
                self.wfile.write(head)
            else:
                self.wfile.write(head + body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Protocol-level errors (bad request line, URL over 64 KiB, ...) as JSON too."""
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "Error"
        request_id = str(uuid.uuid4())
        payload = {
            "error": phrase,
            "statusCode": code,
            "description": message or phrase,
            "requestId": request_id,
        }
        reply = Reply(code, payload, headers=[("X-Request-Id", request_id)], close=True)
        self._write(reply, None)


class Sandbox:
    """An embedded 1inch Balance + Portfolio API server on 127.0.0.1.

    >>> with Sandbox(seed=1) as sb:          # doctest: +SKIP
    ...     requests.get(sb.url + "/portfolio/portfolio/v5.0/general/status",
    ...                  headers={"Authorization": "Bearer test"})

    ``options`` are those of :class:`~inchframe.sandbox.options.SandboxOptions`
    (see docs/sandbox.md). ``port=0`` picks a free port.
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, **options: Any) -> None:
        self._options = SandboxOptions.create(**options)
        self._options_lock = threading.Lock()
        self.host = host
        self.port = port
        self.app = App()
        self._stats = Stats(self._options.recent_log_size)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        state = self.url if self._server else "stopped"
        return f"<Sandbox {state} seed={self._options.seed}>"

    # -- lifecycle
    def start(self) -> Sandbox:
        """Bind and serve in a background daemon thread (idempotent)."""
        if self._server is not None:
            return self
        server = _Server((self.host, self.port), self)
        self.port = server.server_address[1]
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"inchframe-sandbox:{self.port}",
            daemon=True,
        )
        thread.start()
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        """Stop serving, close every connection and join every thread (idempotent)."""
        server, thread = self._server, self._thread
        if server is None:
            return
        server.stopping.set()
        server.shutdown()
        server.close_connections()
        server.server_close()
        server.join_handlers()
        if thread is not None:
            thread.join()
        self._server = self._thread = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. ``http://127.0.0.1:54321``."""
        if self._server is None:
            raise RuntimeError("the sandbox is not running; call start() first")
        return f"http://{self.host}:{self.port}"

    # -- configuration and state
    @property
    def options(self) -> SandboxOptions:
        return self._options

    @property
    def universe(self) -> Universe:
        """The universe currently served (depends on the ``seed`` and ``now`` options)."""
        return self.app.universe(self._options)

    def configure(self, **options: Any) -> SandboxOptions:
        """Change options live (faults, quirks, rate limit, seed...); returns the new options."""
        with self._options_lock:
            self._options = self._options.updated(**options)
            if "recent_log_size" in options:
                self._stats.resize(self._options.recent_log_size)
            return self._options

    def stats(self) -> dict[str, Any]:
        """Total requests, counts per endpoint name and status, 429 count, recent requests."""
        return self._stats.snapshot()

    def reset_stats(self) -> None:
        self._stats.reset(self._options.recent_log_size)

    def reset(self) -> None:
        """Reset stats, fault counters (replays start over) and rate-limit buckets."""
        self.reset_stats()
        self.app.reset()

    # -- control endpoint (/_sandbox/*, no auth)
    def _control(self, method: str, target: str, body: bytes) -> Reply:
        path = urlsplit(target).path.rstrip("/")
        request_id = str(uuid.uuid4())
        headers = [("X-Request-Id", request_id)]
        if method == "GET" and path == "/_sandbox/stats":
            return Reply(200, self.stats(), headers=headers)
        if method == "GET" and path == "/_sandbox/config":
            return Reply(200, self._options.to_dict(), headers=headers)
        if method == "GET" and path == "/_sandbox/endpoints":
            return Reply(
                200,
                {n: {"method": m, "path": p} for n, (m, p) in ENDPOINTS.items()},
                headers=headers,
            )
        if method == "GET" and path == "/_sandbox/health":
            return Reply(200, {"ok": True}, headers=headers)
        if method == "POST" and path == "/_sandbox/reset":
            self.reset()
            return Reply(200, {"ok": True}, headers=headers)
        if method == "POST" and path == "/_sandbox/config":
            try:
                changes = json.loads(body or b"{}")
                if not isinstance(changes, dict):
                    raise ValueError("the body must be a JSON object of options")
                options = self.configure(**changes)
            except (ValueError, TypeError) as error:
                return Reply(
                    400,
                    {"error": "Bad Request", "statusCode": 400, "description": str(error)},
                    headers=headers,
                )
            return Reply(200, options.to_dict(), headers=headers)
        return Reply(
            404,
            {"error": "Not Found", "statusCode": 404, "description": f"Cannot {method} {path}"},
            headers=headers,
        )


@contextlib.contextmanager
def serve(**options: Any) -> Iterator[str]:
    """Run a :class:`Sandbox` for the duration of a ``with`` block; yields its base URL."""
    sandbox = Sandbox(**options)
    sandbox.start()
    try:
        yield sandbox.url
    finally:
        sandbox.stop()
