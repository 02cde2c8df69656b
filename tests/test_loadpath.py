"""The loader path around the converters: warm hits read together and answered without a worker
thread or the rate limiter, streamed slices sized by bytes and releasing their bodies."""

from __future__ import annotations

import concurrent.futures as cf
import gc
import hashlib
import weakref
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from inchframe import _loading
from inchframe import endpoints as ep
from inchframe._http import ObservedLimiterAdapter
from inchframe.cache_backend import FastReader
from inchframe.client import Reply as ClientReply

from ._client_helpers import make_client
from .conftest import Reply, ScriptedServer


def _wallets(n: int) -> list[str]:
    return ["0x" + hashlib.sha256(f"w{i}".encode()).hexdigest()[:40] for i in range(n)]


def _calls(n: int) -> list[ep.Call]:
    return [ep.balances(1, w) for w in _wallets(n)]


class _Counter:
    def __init__(self) -> None:
        self.calls = 0

    def wrap(self, method: Any) -> Any:
        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return method(*args, **kwargs)

        return counted


def test_warm_hits_touch_neither_the_limiter_nor_a_worker_nor_one_query_each(
    scripted: ScriptedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _calls(30)
    with make_client(scripted, tmp_path, rate=1000) as client:
        cold = client.fetch_many(calls, progress=False, parse=False)
        assert len(cold.replies) == 30 and cold.from_cache == 0
        sent = scripted.count()
        tokens, submits, single = _Counter(), _Counter(), _Counter()
        monkeypatch.setattr(
            ObservedLimiterAdapter, "take_token", tokens.wrap(ObservedLimiterAdapter.take_token)
        )
        monkeypatch.setattr(
            cf.ThreadPoolExecutor, "submit", submits.wrap(cf.ThreadPoolExecutor.submit)
        )
        monkeypatch.setattr(FastReader, "fresh", single.wrap(FastReader.fresh))
        warm = client.fetch_many(calls, progress=False, parse=False)
    assert [r.call for r in warm.replies] == calls  # in the order of the calls
    assert warm.from_cache == 30 and not warm.failures
    assert [r.content for r in warm.replies] == [r.content for r in cold.replies]
    assert scripted.count() == sent  # nothing sent
    assert tokens.calls == 0  # no rate-limit token taken for a hit
    assert submits.calls == 0  # no worker thread: hits are answered in the calling thread
    assert single.calls == 0  # read together (fresh_many), not one query per key


def test_misses_among_hits_go_through_the_session_in_order(
    scripted: ScriptedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _calls(12)
    with make_client(scripted, tmp_path, rate=1000) as client:
        client.fetch_many(calls[::2], progress=False, parse=False)  # every other one cached
        sent = scripted.count()
        tokens = _Counter()
        monkeypatch.setattr(
            ObservedLimiterAdapter, "take_token", tokens.wrap(ObservedLimiterAdapter.take_token)
        )
        batch = client.fetch_many(calls, progress=False, parse=False)
    assert [r.call for r in batch.replies] == calls
    assert [r.from_cache for r in batch.replies] == [True, False] * 6
    assert scripted.count() == sent + 6
    assert tokens.calls == 6  # one token per request sent, none for the hits


def test_a_damaged_hit_read_together_is_fetched_again(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    calls = _calls(3)
    with make_client(scripted, tmp_path, rate=1000) as client:
        client.fetch_many(calls, progress=False, parse=False)
        con = client._backend.responses.connection  # the stored entry
        key = client._cache_key(calls[1])
        with con(commit=True) as db:
            row = db.execute("SELECT value FROM responses WHERE key=?", (key,)).fetchone()
        value = bytes(row[0])
        sent = scripted.count()
        # flip the stored CRC-32 in the head: the body no longer matches its checksum
        damaged = value
        head_at = damaged.index(b"X-Inchframe-Body-Crc32") + len(b'X-Inchframe-Body-Crc32":"')
        digit = b"0" if damaged[head_at : head_at + 1] != b"0" else b"1"
        damaged = damaged[:head_at] + digit + damaged[head_at + 1 :]
        with con(commit=True) as db:
            db.execute("UPDATE responses SET value=? WHERE key=?", (damaged, key))
        batch = client.fetch_many(calls, progress=False, parse=False)
    assert not batch.failures and [r.call for r in batch.replies] == calls
    assert [r.from_cache for r in batch.replies] == [True, False, True]
    assert scripted.count() == sent + 1


def _run(client: Any, calls: list[ep.Call], convert: Any) -> pd.DataFrame:
    return _loading.run_batch(
        client,
        calls,
        convert,
        errors="raise",
        progress=False,
        api="balance",
        api_version="v1.2",
        endpoint="test",
        frame="test",
        params={},
        stream=True,
    )


def test_streamed_slices_release_their_bodies(
    scripted: ScriptedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a slice is converted, no reply of an earlier slice is alive (weak references):
    the bodies held are one slice's (plus the next one, being read)."""
    monkeypatch.setattr(_loading, "_slice_size", lambda client: 4)
    seen: list[weakref.ref[ClientReply]] = []
    sizes: list[int] = []
    stale: list[int] = []

    def convert(replies: list[ClientReply]) -> pd.DataFrame:
        gc.collect()
        stale.append(sum(ref() is not None for ref in seen))
        seen.extend(weakref.ref(r) for r in replies)
        sizes.append(len(replies))
        return pd.DataFrame({"n": [len(r.content) for r in replies]})

    calls = _calls(22)
    with make_client(scripted, tmp_path, rate=1000) as client:
        frame = _run(client, calls, convert)
        for cached in (False, True):  # cold, then warm (hits read ahead)
            assert len(frame) == 22
            assert stale and max(stale) == 0
            # 2 first, then at most the limit or as many as all the slices before
            assert sizes == [_loading.FIRST_SLICE, 4, 6, 10]
            assert sum(sizes) == 22
            info = frame.attrs["inchframe"]
            assert info["requests"] == 22 and info["requests_from_cache"] == (22 if cached else 0)
            seen.clear(), sizes.clear(), stale.clear()
            frame = _run(client, calls, convert)
    gc.collect()
    assert all(ref() is None for ref in seen)


def test_streamed_slices_are_sized_by_the_bytes_of_their_bodies(
    scripted: ScriptedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scripted.default = lambda m, p, b: Reply(200, {"0x" + "e" * 40: "1" * 1000})
    monkeypatch.setattr(_loading, "_slice_size", lambda client: 16)
    monkeypatch.setattr(_loading, "SLICE_BYTES", 3000)  # three bodies of about 1 kB
    sizes: list[int] = []

    def convert(replies: list[ClientReply]) -> pd.DataFrame:
        sizes.append(len(replies))
        return pd.DataFrame({"n": [len(r.content) for r in replies]})

    with make_client(scripted, tmp_path, rate=1000) as client:
        frame = _run(client, _calls(20), convert)
    assert len(frame) == 20
    assert sizes[0] == _loading.FIRST_SLICE and set(sizes[1:-1]) == {2}


def test_slice_sizes() -> None:
    assert _loading.SLICE_BYTES == 32 * 2**20
    assert _loading._next_slice(16, 4, 4 * 10 * 2**20) == 3  # 10 MiB bodies in 32 MiB
    assert _loading._next_slice(16, 4, 4 * 1000) == 16  # small bodies: one per worker
    assert _loading._next_slice(16, 2, 2 * 100 * 2**20) == 1  # huge bodies: one at a time
    # small bodies: as many as fit in 32 MiB, at most as many as all the slices before
    assert _loading._next_slice(16, 100, 100 * 70_000) == 100
    assert _loading._next_slice(16, 2000, 2000 * 70_000) == 479
