"""Bounded waiting against stub servers on 127.0.0.1: ``timeout`` bounds a whole attempt
(connect, headers and body), a body that times out or breaks off midway is retried, and a batch
stops after a run of consecutive transport failures, reporting the rest as not attempted."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import inchframe
from inchframe import endpoints as ep
from inchframe.client import Client, NotAttemptedError
from inchframe.errors import BatchError, ConfigError, TransportError

from .conftest import FAKE_KEY, VITALIK

BODY = json.dumps({"0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee": "1250000000000000000"}).encode()


def wallet(i: int) -> str:
    return f"0x{i + 1:040x}"


class RawServer:
    """A TCP server on 127.0.0.1 whose connections ``behave(n, conn)`` handles (n counts from
    0): it can answer, trickle, stay silent or hang up. Closes what it opened at the end."""

    def __init__(self, behave: Callable[[int, socket.socket], None]) -> None:
        self.behave = behave
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.connections = 0
        self._stop = threading.Event()
        self._open: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            n = self.connections
            self.connections += 1
            self._open.append(conn)
            threading.Thread(target=self._run, args=(n, conn), daemon=True).start()

    def _run(self, n: int, conn: socket.socket) -> None:
        with contextlib.suppress(OSError):  # the client hung up
            self.behave(n, conn)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        for conn in self._open:
            conn.close()
        self.sock.close()


def read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def answer(conn: socket.socket, body: bytes = BODY) -> None:
    read_request(conn)
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        + body
    )
    conn.close()


#: body bytes the trickling server sent, in all tests (only ever grows)
TRICKLED: list[int] = []


def trickle(conn: socket.socket, *, every: float = 0.1) -> None:
    """Headers at once, then one byte of the body every ``every`` seconds."""
    read_request(conn)
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(BODY)}\r\n\r\n".encode()
    )
    for byte in BODY[:-1]:
        time.sleep(every)
        conn.sendall(bytes([byte]))
        TRICKLED.append(1)


def silent(conn: socket.socket) -> None:
    """Accepts and reads the request, never answers."""
    read_request(conn)
    time.sleep(60)


@pytest.fixture
def serve() -> Iterator[Callable[[Callable[[int, socket.socket], None]], RawServer]]:
    servers: list[RawServer] = []

    def start(behave: Callable[[int, socket.socket], None]) -> RawServer:
        servers.append(RawServer(behave))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def make_client(url: str, tmp_path: Path, **options: object) -> Client:
    options.setdefault("rate", 100)
    options.setdefault("progress", False)
    return Client(FAKE_KEY, base_url=url, cache_dir=tmp_path / "cache", **options)


def test_a_trickling_body_is_cut_off_at_the_timeout(serve: Callable, tmp_path: Path) -> None:
    server = serve(lambda n, conn: trickle(conn))  # the whole body would take 7 s
    before = len(TRICKLED)
    started = time.monotonic()
    with (
        make_client(server.url, tmp_path, timeout=0.5, max_retries=1) as client,
        pytest.raises(TransportError),
    ):
        client.balances(1, VITALIK)
    elapsed = time.monotonic() - started
    # two attempts of 0.5 s and one backoff (0.5 s + up to 0.5 s of jitter)
    assert elapsed < 3.5
    assert server.connections == 2  # the mid-body timeout was retried
    assert len(TRICKLED) - before >= 4  # the body was arriving: not a silent server


def test_a_mid_body_timeout_is_retried_and_then_succeeds(serve: Callable, tmp_path: Path) -> None:
    server = serve(lambda n, conn: trickle(conn) if n == 0 else answer(conn))
    before = len(TRICKLED)
    with make_client(server.url, tmp_path, timeout=0.5, max_retries=2) as client:
        assert client.fetch(ep.balances(1, VITALIK)).content == BODY
        assert client.board.retries >= 1
    assert server.connections == 2
    assert len(TRICKLED) - before >= 2


def test_a_body_that_breaks_off_is_retried(serve: Callable, tmp_path: Path) -> None:
    def cut_then_answer(n: int, conn: socket.socket) -> None:
        if n == 0:
            read_request(conn)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n" + BODY[:10])
            conn.close()
        else:
            answer(conn)

    server = serve(cut_then_answer)
    with make_client(server.url, tmp_path, timeout=2, max_retries=2) as client:
        assert client.fetch(ep.balances(1, VITALIK)).content == BODY
    assert server.connections == 2


def test_a_silent_server_costs_at_most_the_timeout_per_attempt(
    serve: Callable, tmp_path: Path
) -> None:
    server = serve(lambda n, conn: silent(conn))
    started = time.monotonic()
    with (
        make_client(server.url, tmp_path, timeout=0.5, max_retries=1) as client,
        pytest.raises(TransportError),
    ):
        client.balances(1, VITALIK)
    assert time.monotonic() - started < 3.5
    assert server.connections == 2


def test_a_batch_against_a_silent_server_stops_early(serve: Callable, tmp_path: Path) -> None:
    server = serve(lambda n, conn: silent(conn))
    calls = [ep.balances(1, wallet(i)) for i in range(200)]
    started = time.monotonic()
    with make_client(
        server.url, tmp_path, timeout=0.3, max_retries=0, stop_after=4, max_workers=2
    ) as client:
        batch = client.fetch_many(calls)
    elapsed = time.monotonic() - started
    assert not batch.replies and len(batch.failures) == len(calls)
    skipped = [f for f in batch.failures if isinstance(f.error, NotAttemptedError)]
    tried = [f for f in batch.failures if not isinstance(f.error, NotAttemptedError)]
    assert 4 <= len(tried) <= 4 + 2  # the run, plus what was in flight when it tripped
    assert len(skipped) == len(calls) - len(tried)
    assert server.connections == len(tried)
    assert "not attempted" in str(skipped[0].error) and "4 consecutive" in str(skipped[0].error)
    assert elapsed < 5  # 200 calls x 0.3 s would be a minute


def test_a_batch_against_a_closed_port_stops_early(tmp_path: Path) -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now: connection refused
    calls = [ep.balances(1, wallet(i)) for i in range(100)]
    with make_client(
        f"http://127.0.0.1:{port}", tmp_path, max_retries=0, stop_after=5, max_workers=4
    ) as client:
        batch = client.fetch_many(calls)
    kinds = [type(f.error) for f in batch.failures]
    assert len(kinds) == 100
    assert kinds.count(NotAttemptedError) >= 100 - 5 - 4
    assert all(issubclass(k, TransportError) for k in kinds)


def test_successes_reset_the_run_and_zero_never_stops(serve: Callable, tmp_path: Path) -> None:
    # every third connection is silent: never 2 failures in a row
    server = serve(lambda n, conn: silent(conn) if n % 3 == 2 else answer(conn))
    calls = [ep.balances(1, wallet(i)) for i in range(9)]
    with make_client(
        server.url, tmp_path, timeout=0.3, max_retries=0, stop_after=2, max_workers=1
    ) as client:
        batch = client.fetch_many(calls)
    assert len(batch.replies) == 6 and len(batch.failures) == 3
    assert not any(isinstance(f.error, NotAttemptedError) for f in batch.failures)

    dead = serve(lambda n, conn: silent(conn))
    with make_client(
        dead.url, tmp_path, timeout=0.2, max_retries=0, stop_after=0, max_workers=4
    ) as client:
        batch = client.fetch_many([ep.balances(1, wallet(i)) for i in range(8)])
    assert dead.connections == 8
    assert not any(isinstance(f.error, NotAttemptedError) for f in batch.failures)


def test_a_loader_reports_the_calls_not_attempted(serve: Callable, tmp_path: Path) -> None:
    server = serve(lambda n, conn: silent(conn))
    wallets = [wallet(i) for i in range(30)]
    with make_client(
        server.url, tmp_path, timeout=0.3, max_retries=0, stop_after=3, max_workers=1
    ) as client:
        with pytest.raises(BatchError) as info:
            inchframe.balances(wallets, chain=1, client=client, method="per_wallet")
        failures = info.value.failures
    assert len(failures) >= 30
    assert (failures["error"] == "NotAttemptedError").sum() >= 30 - 3 - 1
    assert server.connections <= 4


def test_stop_after_is_validated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for bad in (-1, 1.5, True, "3"):
        with pytest.raises(ConfigError):
            Client(FAKE_KEY, base_url="http://127.0.0.1:9", cache_dir=tmp_path, stop_after=bad)
    monkeypatch.setenv("INCHFRAME_STOP_AFTER", "7")
    with Client(FAKE_KEY, base_url="http://127.0.0.1:9", cache_dir=tmp_path) as client:
        assert client.settings.stop_after == 7
    monkeypatch.setenv("INCHFRAME_STOP_AFTER", "x")
    with pytest.raises(ConfigError, match="INCHFRAME_STOP_AFTER"):
        Client(FAKE_KEY, base_url="http://127.0.0.1:9", cache_dir=tmp_path)
