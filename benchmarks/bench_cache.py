"""Cache speed: a warm re-run of a batch against its cold run, and one cache hit against a plain
keep-alive GET of the same ~200 kB body.

- **warm / cold**: 100 ``balances/{wallet}`` requests (about 88 kB each) through
  :meth:`inchframe.Client.fetch_many` against the sandbox limiting to 20 requests/s, client at
  20/s, fresh cache; then the same batch again (all hits). Also the loader end to end
  (``inchframe.balances(..., method="per_wallet")``), frame building included (information).
- **hit / plain GET**: a v5 ``tokens/snapshot`` body of about 200 kB. The plain GET is a
  ``requests.Session`` keep-alive GET of the sandbox on 127.0.0.1 (which renders the body each
  time, as a server does); the same bytes from a static server that does no work are shown too
  (transport only). The hit is what inchframe's cache does on a hit: ``CachedSession.get`` on
  the configured SQLite backend plus the body checksum check (:func:`inchframe.cache.is_intact`).
  Other requests-cache configurations are measured for comparison (information).
"""

from __future__ import annotations

import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from . import payloads
from ._harness import Options, Result, check

NAME = "cache"
KEY = "bench-key"
HEADERS = {"Authorization": f"Bearer {KEY}"}


@contextmanager
def static_server(body: bytes, content_type: str = "application/json") -> Iterator[str]:
    """A keep-alive HTTP/1.1 server on 127.0.0.1 answering every GET with ``body``."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            head = (
                f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode()
            self.wfile.write(head + body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _median_ms(fn: Callable[[], Any], n: int) -> float:
    for _ in range(5):
        fn()
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def _interleaved_ms(candidates: dict[str, Callable[[], Any]], n: int) -> dict[str, float]:
    for fn in candidates.values():
        for _ in range(5):
            fn()
    times: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(n):
        for name, fn in candidates.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(v) * 1e3 for name, v in times.items()}


def warm_vs_cold(n_wallets: int = 100, rate: float = 20) -> list[Result]:
    import inchframe
    from inchframe import endpoints as ep
    from inchframe.client import Client
    from inchframe.sandbox import Sandbox

    wallets = [payloads.wallet(i) for i in range(n_wallets)]
    calls = [ep.balances(1, w) for w in wallets]
    out = []
    with Sandbox(rate_limit=rate) as sandbox, tempfile.TemporaryDirectory() as tmp:
        with Client(
            KEY, base_url=sandbox.url, cache_dir=f"{tmp}/a", rate=rate, progress=False
        ) as client:
            cold = client.fetch_many(calls, progress=False)
            warm_runs = [client.fetch_many(calls, progress=False) for _ in range(5)]
        assert not cold.failures and all(r.from_cache == len(calls) for r in warm_runs)
        warm = statistics.median(r.elapsed for r in warm_runs)
        ratio = cold.elapsed / warm
        out.append(
            Result(
                NAME,
                f"warm / cold batch, {len(calls)} requests at R={rate:g}",
                warm * 1e3,
                cold.elapsed * 1e3,
                "ms",
                ratio,
                "≥ 50",
                check(ratio, "≥ 50"),
                f"Client.fetch_many, median of 5 warm runs; {ratio:.0f}x faster",
            )
        )
        time.sleep(1.1)  # let the server's bucket refill
        with Client(
            KEY, base_url=sandbox.url, cache_dir=f"{tmp}/b", rate=rate, progress=False
        ) as client:
            start = time.perf_counter()
            inchframe.balances(wallets, 1, method="per_wallet", client=client)
            cold_s = time.perf_counter() - start
            warm_s = []
            for _ in range(3):
                start = time.perf_counter()
                frame = inchframe.balances(wallets, 1, method="per_wallet", client=client)
                warm_s.append(time.perf_counter() - start)
        loader_ratio = cold_s / statistics.median(warm_s)
        out.append(
            Result(
                NAME,
                "warm / cold loader, inchframe.balances (per_wallet)",
                statistics.median(warm_s) * 1e3,
                cold_s * 1e3,
                "ms",
                loader_ratio,
                "",
                None,
                f"info: {len(calls) + 1} requests, {len(frame):,} rows built each time",
            )
        )
    return out


def _alternatives(url: str, tmp: str) -> dict[str, Any]:
    """requests-cache sessions configured other ways, for the comparison rows."""
    from requests_cache import CachedSession, FileCache, SQLiteCache

    from inchframe import _http

    common = {
        "allowable_codes": (200,),
        "match_headers": False,
        "ignored_parameters": ("Authorization",),
        "expire_after": 300,
    }
    sessions = {
        "SQLite WAL, json serializer": CachedSession(
            backend=SQLiteCache(f"{tmp}/json.sqlite", serializer="json", wal=True), **common
        ),
        "filesystem, json serializer": CachedSession(
            backend=FileCache(f"{tmp}/files", serializer="json"), **common
        ),
    }
    sessions["SQLite WAL, inchframe serializer, no checksum"] = CachedSession(
        backend=SQLiteCache(f"{tmp}/split.sqlite", serializer=_http.cache_serializer(), wal=True),
        **common,
    )
    for session in sessions.values():
        session.get(url, headers=HEADERS)
    return sessions


def hit_vs_plain(n: int) -> list[Result]:
    import requests

    from inchframe import endpoints as ep
    from inchframe._http import open_cache
    from inchframe.cache import is_intact
    from inchframe.sandbox import Sandbox

    out = []
    wallets = [payloads.wallet(i) for i in (402, 403)]  # a 200 kB body
    with Sandbox() as sandbox, tempfile.TemporaryDirectory() as tmp:
        call = ep.v5_tokens_snapshot(wallets)
        url = (
            requests.Request("GET", sandbox.url + call.path, params=list(call.params)).prepare().url
        )
        plain = requests.Session()
        body = plain.get(url, headers=HEADERS).content
        cached = open_cache(Path(tmp) / "inchframe")
        first = cached.get(url, headers=HEADERS)
        assert not first.from_cache and first.content == body

        def hit() -> bytes:
            response = cached.get(url, headers=HEADERS)
            assert response.from_cache and is_intact(response)
            return response.content

        assert hit() == body
        alternatives = _alternatives(url, tmp)
        with static_server(body) as static:
            static_url = static + "/portfolio"
            assert plain.get(static_url).content == body
            t = _interleaved_ms(
                {
                    "static": lambda: plain.get(static_url).content,
                    "sandbox": lambda: plain.get(url, headers=HEADERS).content,
                    "hit": hit,
                    **{
                        name: (lambda s=s: s.get(url, headers=HEADERS).content)
                        for name, s in alternatives.items()
                    },
                },
                n,
            )
        cached.close()
        for session in alternatives.values():
            session.close()
        plain.close()
    size = f"{len(body) / 1000:.0f} kB body, median of {n} interleaved"
    out.append(
        Result(NAME, "cache hit, time", t["hit"], None, "ms", None, "≤ 1 ms", t["hit"] <= 1.0, size)
    )
    ratio = t["hit"] / t["sandbox"]
    out.append(
        Result(
            NAME,
            "cache hit / plain keep-alive GET of the sandbox",
            t["hit"],
            t["sandbox"],
            "ms",
            ratio,
            "≤ 0.75",
            check(ratio, "≤ 0.75"),
            size + "; the sandbox renders the body on each request",
        )
    )
    out.append(
        Result(
            NAME,
            "cache hit / plain keep-alive GET, static server (transport only)",
            t["hit"],
            t["static"],
            "ms",
            t["hit"] / t["static"],
            "",
            None,
            "info: the same bytes from a server that does no work",
        )
    )
    for name in alternatives:
        out.append(
            Result(
                NAME,
                f"hit with {name} / plain GET (static)",
                t[name],
                t["static"],
                "ms",
                t[name] / t["static"],
                "",
                None,
                "info",
            )
        )
    return out


def footprint_and_warm_loader(n_wallets: int = 1000, chains: tuple[int, ...] = (1, 10, 8453)):
    """Bytes the cache holds against the raw bodies, and a warm loader against its converter.

    ``inchframe.balances(per_wallet)`` for ``n_wallets`` x ``chains`` against the sandbox (no
    rate limit): the cache file (and its WAL) against the sum of the bodies' lengths; then the
    loader warm (every answer a hit; median of 3, GC on, as users have it) against the
    loader's own converter on the same replies held in memory, and one hit's cost.
    """
    import gc

    import inchframe
    from inchframe.balance import _convert_balances, plan_balances
    from inchframe.cache import cache_info
    from inchframe.client import Client
    from inchframe.sandbox import Sandbox

    wallets = [payloads.wallet(i) for i in range(n_wallets)]
    calls = plan_balances(wallets, list(chains), method="per_wallet")
    out = []
    with (
        Sandbox() as sandbox,
        tempfile.TemporaryDirectory() as tmp,
        Client(KEY, base_url=sandbox.url, cache_dir=tmp, rate=10_000, progress=False) as client,
    ):
        inchframe.balances(wallets, list(chains), method="per_wallet", client=client)
        batch = client.fetch_many(calls, progress=False, raw=True)
        assert batch.from_cache == len(calls), "every answer should be a hit"
        raw_bytes = sum(len(r.content) for r in batch.replies)
        con = client.session.cache.responses._connection
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # what stays on disk
        disk = cache_info(tmp).bytes
        replies = batch.replies

        def median_s(fn: Callable[[], Any], n: int = 3) -> float:
            runs = []
            for _ in range(n):
                gc.collect()
                start = time.perf_counter()
                fn()
                runs.append(time.perf_counter() - start)
            return statistics.median(runs)

        loader = median_s(
            lambda: inchframe.balances(wallets, list(chains), method="per_wallet", client=client)
        )
        # a new converter each time, as each loader call makes: one parses the token lists once
        converter = median_s(lambda: _convert_balances(False)(replies))
        hits = median_s(lambda: client.fetch_many(calls, progress=False, raw=True))
    ratio = disk / raw_bytes
    out.append(
        Result(
            NAME,
            f"cache on disk / raw bodies, {n_wallets:,} wallets x {len(chains)} chains",
            disk / 1e6,
            raw_bytes / 1e6,
            "MB",
            ratio,
            "≤ 0.3",
            check(ratio, "≤ 0.3"),
            f"{len(calls):,} entries; zstd bodies, JSON heads",
        )
    )
    warm = loader / converter
    out.append(
        Result(
            NAME,
            f"warm loader / its converter, balances per_wallet, {len(calls):,} hits",
            loader * 1e3,
            converter * 1e3,
            "ms",
            warm,
            "≤ 1.3",
            check(warm, "≤ 1.3"),
            f"GC on; the hits alone (fetch_many) {hits * 1e3:.0f} ms, "
            f"{hits / len(calls) * 1e6:.0f} µs per hit",
        )
    )
    return out


def run(options: Options) -> list[Result]:
    return (
        hit_vs_plain(100 if options.quick else 300)
        + warm_vs_cold()
        + footprint_and_warm_loader(200 if options.quick else 1000)
    )


def free_port() -> int:  # pragma: no cover - helper for ad-hoc runs
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
