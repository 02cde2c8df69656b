"""Crash safety: a SIGKILLed writer leaves the previous data intact; a damaged or locked cache
gives a clear error (or a documented recovery), never a wrong answer.

``tests/accessor/test_io.py`` already kills Parquet writers at each named stage and a
single-file overwrite at random moments; here: dataset appends killed at random moments (the
user path, ``df.inch.to_parquet(..., mode="append")``), the SQLite cache killed mid-write, and
damaged (garbage, truncated, altered) and locked cache files.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import requests

import inchframe
import inchframe.cache_backend
from inchframe import endpoints as ep
from inchframe.cache import cache_info, clear_cache
from inchframe.client import Client
from inchframe.errors import CacheError
from inchframe.io import read_parquet

from ..accessor import frames as F
from ..conftest import FAKE_KEY, REPO

CACHE_FILE = "http_cache.sqlite"
ROW_KEY = ["snapshot_date", "chain_id", "wallet", "token"]
#: Seeded so a failure replays with the same kill delays.
RNG = random.Random(9)


def _wallet(i: int) -> str:
    return f"0x{i:040x}"


def _start(code: str, ready: Path) -> subprocess.Popen[bytes]:
    """Start ``code`` in a subprocess and wait (bounded) until it has written ``ready``."""
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], stderr=subprocess.PIPE)
    for _ in range(1200):  # 60 s at most
        if ready.exists() or proc.poll() is not None:
            break
        time.sleep(0.05)
    assert ready.exists(), proc.stderr.read().decode() if proc.stderr else ""
    return proc


def _kill(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read().decode() if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()


# -- Parquet dataset appends killed at random moments ------------------------------------------

_APPENDER = """
    import sys
    sys.path.insert(0, {repo!r})
    import pandas as pd
    import inchframe.accessor
    from tests.accessor import frames as F
    base = F.tokens_snapshot()
    i = {first}
    while True:
        day = pd.Timestamp("2026-01-01", tz="UTC") + pd.Timedelta(days=i)
        base.inch.with_snapshot_time(day).inch.to_parquet(
            {root!r}, partition_by=["snapshot_date", "chain_id"], mode="append")
        with open({done!r}, "a") as fh:  # recorded only after the append returned
            fh.write(day.strftime("%Y-%m-%d") + "\\n")
            fh.flush()
        open({ready!r}, "w").close()
        i += 1
"""


def _check_dataset(root: Path, done: Path, base: pd.DataFrame, kills: int) -> tuple[int, int]:
    """Every completed append is whole; an interrupted one holds only whole part files.

    Returns (completed snapshots, partial snapshots)."""
    back = read_parquet(root)
    completed = set(done.read_text().split()) if done.exists() else set()
    assert not back.duplicated(ROW_KEY).any()
    per_chain = base.groupby("chain_id").size().to_dict()
    partial = 0
    for day, rows in back.groupby("snapshot_date", observed=True):
        counts = rows.groupby("chain_id").size().to_dict()
        # each chain's rows come from one part file, which is either all there or absent
        assert all(counts[c] == per_chain[c] for c in counts), (day, counts)
        if str(day) in completed:
            assert counts == per_chain, day
            pd.testing.assert_series_equal(
                rows.sort_values(["chain_id", "wallet", "token"])["value_usd"].reset_index(
                    drop=True
                ),
                base.sort_values(["chain_id", "wallet", "token"])["value_usd"].reset_index(
                    drop=True
                ),
            )
        else:
            partial += 1
    assert completed <= {str(d) for d in back["snapshot_date"].unique()}
    assert partial <= kills  # at most the append in flight at each kill
    import duckdb  # a reader that does not skip hidden files sees exactly the same rows

    count = duckdb.sql(
        f"select count(*) from read_parquet('{root}/**/*.parquet', hive_partitioning=true)"
    ).fetchall()[0][0]
    assert count == len(back)
    return len(completed), partial


def test_dataset_appends_killed_at_random_moments(tmp_path: Path) -> None:
    root, done, ready = tmp_path / "snapshots", tmp_path / "done.txt", tmp_path / "ready"
    base = F.tokens_snapshot()
    for run in range(3):
        proc = _start(
            _APPENDER.format(
                repo=str(REPO), first=100 * run, root=str(root), done=str(done), ready=str(ready)
            ),
            ready,
        )
        try:
            time.sleep(RNG.uniform(0.05, 0.6))
        finally:
            _kill(proc)
        ready.unlink()
        completed, _ = _check_dataset(root, done, base, kills=run + 1)
        assert completed >= run + 1
    # the crashes left hidden staging siblings at most; the next append works and reads back
    leftovers = [p.name for p in tmp_path.iterdir() if p.name not in ("snapshots", "done.txt")]
    assert all(name.startswith(".") for name in leftovers), leftovers
    before = len(read_parquet(root))
    base.inch.with_snapshot_time("2027-01-01").inch.to_parquet(
        root, partition_by=["snapshot_date", "chain_id"], mode="append"
    )
    assert len(read_parquet(root)) == before + len(base)


# -- the SQLite cache killed mid-write ----------------------------------------------------------

_CACHE_WRITER = """
    import sys
    sys.path.insert(0, {repo!r})
    from inchframe import endpoints as ep
    from inchframe.client import Client
    with Client({key!r}, base_url={url!r}, cache_dir={cache!r}, rate=1000, progress=False) as c:
        i = {first}
        while True:
            c.fetch(ep.balances(1, "0x%040x" % i))  # about 90 kB per cached answer
            with open({done!r}, "a") as fh:
                fh.write("%d\\n" % i)
            open({ready!r}, "w").close()
            i += 1
"""


def _expected(sandbox: Any, call: ep.Call) -> Any:
    """The sandbox's answer to ``call``, fetched without any cache."""
    response = requests.request(
        call.method,
        sandbox.url + call.path,
        params=list(call.params),
        json=call.body,
        headers={"Authorization": f"Bearer {FAKE_KEY}"},
        timeout=30,
    )
    response.raise_for_status()
    return response.json()


def _cached_entries(cache_dir: Path) -> list[tuple[str, Any]]:
    """``(url, payload)`` of every cached response, read through inchframe's cache layer."""
    from inchframe._http import open_cache
    from inchframe.cache import is_intact

    session = open_cache(cache_dir)
    try:
        entries = []
        for response in session.cache.responses.values():
            assert response is not None  # every stored entry deserializes
            assert response.status_code == 200 and is_intact(response)
            entries.append((response.url, json.loads(response.content)))
        return entries
    finally:
        session.close()


def test_cache_writer_killed_at_random_moments(sandbox: Any, tmp_path: Path) -> None:
    cache, done, ready = tmp_path / "cache", tmp_path / "done.txt", tmp_path / "ready"
    for run in range(3):
        proc = _start(
            _CACHE_WRITER.format(
                repo=str(REPO),
                key=FAKE_KEY,
                url=sandbox.url,
                cache=str(cache),
                first=1 + 1000 * run,
                done=str(done),
                ready=str(ready),
            ),
            ready,
        )
        try:
            time.sleep(RNG.uniform(0.05, 0.5))
        finally:
            _kill(proc)
        ready.unlink()
        entries = _cached_entries(cache)
        finished = {int(n) for n in done.read_text().split()}
        stored = {url.rsplit("/", 1)[1] for url, _ in entries}
        assert {_wallet(i) for i in finished} <= stored  # every completed write survived
        assert cache_info(cache).entries == len(entries)
    # every payload read back equals the sandbox's answer
    for url, payload in entries:
        assert payload == _expected(sandbox, ep.balances(1, url.rsplit("/", 1)[1]))
    # and the cache is writable and served after the crashes
    with Client(FAKE_KEY, base_url=sandbox.url, cache_dir=str(cache), progress=False) as client:
        call = ep.balances(1, _wallet(999_999))
        assert client.fetch(call).payload == _expected(sandbox, call)
        assert client.fetch(call).from_cache


# -- damaged and locked cache files -------------------------------------------------------------

CALLS = [ep.balances(1, _wallet(i)) for i in range(1, 41)]


@pytest.fixture
def filled(sandbox: Any, tmp_path: Path) -> Iterator[Path]:
    """A cache directory holding the answers to :data:`CALLS`."""
    cache = tmp_path / "cache"
    with Client(
        FAKE_KEY, base_url=sandbox.url, cache_dir=str(cache), rate=1000, progress=False
    ) as client:
        batch = client.fetch_many(CALLS)
        assert not batch.failures
    assert not Path(f"{cache / CACHE_FILE}-wal").exists()  # checkpointed into the main file
    yield cache


def _assert_clear_error(error: CacheError, path: Path, reason: str) -> None:
    text = str(error)
    assert error.reason == reason
    assert str(path) in text and error.path == str(path)
    if reason == "damaged":
        assert "inchframe cache clear" in text and "delete the file" in text
    else:
        assert "another process" in text and "cache=False" in text


def _answers_or_cache_error(sandbox: Any, cache: Path) -> int:
    """Fetch every call: each answer must be right, or the failure a CacheError. Returns the
    number of right answers."""
    right = 0
    try:
        with Client(
            FAKE_KEY, base_url=sandbox.url, cache_dir=str(cache), rate=1000, progress=False
        ) as client:
            for call in CALLS:
                try:
                    reply = client.fetch(call)
                except CacheError as error:
                    _assert_clear_error(error, cache / CACHE_FILE, "damaged")
                    continue
                assert reply.payload == _expected(sandbox, call)
                right += 1
    except CacheError as error:  # already when opening
        _assert_clear_error(error, cache / CACHE_FILE, "damaged")
    return right


def _damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "garbage":
        path.write_bytes(random.Random(1).randbytes(len(data)))
    elif how == "truncated-third":
        path.write_bytes(data[: len(data) // 3])
    elif how == "truncated-odd":
        path.write_bytes(data[:5000])  # not even a whole page
    elif how == "header-only":
        path.write_bytes(data[:100])
    elif how == "middle-pages":
        middle = len(data) // 2
        path.write_bytes(data[:middle] + random.Random(2).randbytes(65536) + data[middle + 65536 :])
    else:
        raise AssertionError(how)


@pytest.mark.parametrize(
    "how", ["garbage", "truncated-third", "truncated-odd", "header-only", "middle-pages"]
)
def test_damaged_cache_is_a_clear_error_and_clear_fixes_it(
    sandbox: Any, filled: Path, how: str
) -> None:
    path = filled / CACHE_FILE
    _damage(path, how)
    right = _answers_or_cache_error(sandbox, filled)
    assert right < len(CALLS) or how == "middle-pages"
    # the documented fix: `inchframe cache clear` (the command once, the function otherwise)
    if how == "garbage":
        proc = subprocess.run(
            [sys.executable, "-m", "inchframe", "cache", "clear", "--cache-dir", str(filled)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
    else:
        clear_cache(filled)
    assert _answers_or_cache_error(sandbox, filled) == len(CALLS)
    assert cache_info(filled).entries == len(CALLS)


def test_empty_cache_file_is_a_fresh_cache(sandbox: Any, filled: Path) -> None:
    """A file truncated to zero bytes is, to SQLite, a new empty database: recovered."""
    (filled / CACHE_FILE).write_bytes(b"")
    assert _answers_or_cache_error(sandbox, filled) == len(CALLS)


def test_damaged_cache_info_names_the_file(filled: Path) -> None:
    _damage(filled / CACHE_FILE, "garbage")
    with pytest.raises(CacheError) as info:
        cache_info(filled)
    _assert_clear_error(info.value, filled / CACHE_FILE, "damaged")
    with pytest.raises(CacheError) as info:
        clear_cache(filled, expired_only=True)  # a selective clear cannot read it
    _assert_clear_error(info.value, filled / CACHE_FILE, "damaged")
    assert clear_cache(filled) == 0  # clearing everything deletes the damaged file
    assert not (filled / CACHE_FILE).exists()


def test_altered_body_is_never_served(
    sandbox: Any, filled: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Bytes of a stored body changed but still valid JSON (bit rot SQLite cannot notice): the
    checksum stored with the body catches it; the entry is dropped and fetched again."""
    import base64

    call = CALLS[0]
    truth = _expected(sandbox, call)
    forged = dict(truth)
    token = next(iter(forged))
    forged[token] = str(int(forged[token]) + 1)
    con = sqlite3.connect(filled / CACHE_FILE)
    try:
        rows = con.execute("SELECT key, value FROM responses").fetchall()
        key, value = next((k, v) for k, v in rows if call.path.encode() in _raw(v))
        body = json.dumps(forged).encode()
        if _raw(value).startswith(b"IFC2"):  # compressed: the same entry with another body
            from inchframe.cache_backend import DICT_DIR, cache_serializer

            serializer = cache_serializer(filled / DICT_DIR)
            stored_response = serializer.loads(_raw(value))
            stored_response._content = body  # keeps the checksum stored with the true body
            altered: bytes | str = serializer.dumps(stored_response)
        elif _raw(value).startswith(b"IFC1"):  # JSON head, then the raw body
            end = 8 + int.from_bytes(_raw(value)[4:8], "big")
            altered = _raw(value)[:end] + body
        else:  # requests-cache's JSON entry: the body in base64
            stored = json.loads(_raw(value))
            stored["_content"] = base64.b64encode(body).decode()
            altered = json.dumps(stored)
        with con:
            con.execute("UPDATE responses SET value = ? WHERE key = ?", (altered, key))
    finally:
        con.close()
    with Client(FAKE_KEY, base_url=sandbox.url, cache_dir=str(filled), progress=False) as client:
        sandbox.reset_stats()
        reply = client.fetch(call)
        assert reply.payload == truth and not reply.from_cache
        assert sandbox.stats()["total"] == 1
        assert any("damaged" in r.getMessage() for r in caplog.records)
        assert client.fetch(call).from_cache  # the right answer replaced the altered one
        assert client.fetch(CALLS[1]).from_cache  # the other entries are untouched


def _raw(value: bytes | str) -> bytes:
    return value.encode() if isinstance(value, str) else bytes(value)


@pytest.fixture
def short_busy_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give up on a held lock after 0.3 s instead of 30 s."""
    monkeypatch.setattr(inchframe.cache_backend, "BUSY_TIMEOUT_MS", 300)


@pytest.mark.parametrize("lock", ["write", "read-write"])
def test_locked_cache_is_a_clear_error(
    sandbox: Any, filled: Path, short_busy_timeout: None, lock: str
) -> None:
    path = filled / CACHE_FILE
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        if lock == "read-write":  # the exclusive locking mode also blocks readers
            holder.execute("PRAGMA locking_mode=EXCLUSIVE")
            holder.execute("BEGIN EXCLUSIVE")
            holder.execute("DELETE FROM responses WHERE 0")
        else:
            holder.execute("BEGIN EXCLUSIVE")
        with pytest.raises(CacheError) as info:
            Client(FAKE_KEY, base_url=sandbox.url, cache_dir=str(filled))
        _assert_clear_error(info.value, path, "locked")
        with pytest.raises(CacheError) as info:
            clear_cache(filled)
        _assert_clear_error(info.value, path, "locked")
    finally:
        holder.close()
    assert path.exists()  # a locked file is never deleted
    assert _answers_or_cache_error(sandbox, filled) == len(CALLS)


def test_lock_taken_mid_batch_stops_the_batch_with_a_clear_error(
    sandbox: Any, tmp_path: Path, short_busy_timeout: None
) -> None:
    calls = [ep.balances(1, _wallet(i)) for i in range(1, 201)]
    with Client(
        FAKE_KEY, base_url=sandbox.url, cache_dir=str(tmp_path), rate=1000, progress=False
    ) as client:
        client.fetch(calls[0])
        holder = sqlite3.connect(tmp_path / CACHE_FILE, isolation_level=None)
        try:
            holder.execute("BEGIN EXCLUSIVE")  # WAL: readers go on, every write waits
            sandbox.reset_stats()
            with pytest.raises(CacheError) as info:
                inchframe.balances(
                    [_wallet(i) for i in range(1, 201)], method="per_wallet", client=client
                )
            _assert_clear_error(info.value, tmp_path / CACHE_FILE, "locked")
            assert sandbox.stats()["total"] < len(calls)  # the queued calls were not sent
        finally:
            holder.close()
        assert client.fetch(calls[1]).payload == _expected(sandbox, calls[1])


def test_cache_dir_that_is_a_file_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(CacheError) as info:
        Client(FAKE_KEY, base_url="http://127.0.0.1:9", cache_dir=str(blocker / "cache"))
    assert info.value.reason == "unusable" and str(blocker) in str(info.value)
    assert "cache=False" in str(info.value)
