"""Cache entries: bodies stored compressed (zstd against a dictionary shared per endpoint and
chain), checked with CRC-32 on every hit, and older entries (raw body, SHA-256) still read."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from inchframe import endpoints as ep
from inchframe.cache import cache_info, clear_cache
from inchframe.cache_backend import (
    CACHE_FILE,
    CHECKSUM_HEADER,
    DICT_DIR,
    DIGEST_HEADER,
    cache_serializer,
    is_intact,
)
from inchframe.client import Client
from inchframe.sandbox import Sandbox

from .conftest import FAKE_KEY


def wallet(i: int) -> str:
    return "0x" + hashlib.sha256(f"w{i}".encode()).hexdigest()[:40]


CALLS = [ep.balances(chain, wallet(i)) for chain in (1, 8453) for i in range(40)]


@pytest.fixture
def sandbox() -> Any:
    with Sandbox() as server:
        yield server


def make_client(sandbox: Any, cache_dir: Path) -> Client:
    return Client(FAKE_KEY, base_url=sandbox.url, cache_dir=cache_dir, rate=500, progress=False)


def stored(cache_dir: Path) -> list[tuple[str, bytes]]:
    con = sqlite3.connect(cache_dir / CACHE_FILE)
    try:
        return [(k, bytes(v)) for k, v in con.execute("SELECT key, value FROM responses")]
    finally:
        con.close()


def test_bodies_are_stored_in_under_a_tenth_and_read_back_exactly(
    sandbox: Any, tmp_path: Path
) -> None:
    with make_client(sandbox, tmp_path) as client:
        cold = client.fetch_many(CALLS, raw=True)
        warm = client.fetch_many(CALLS, raw=True)
    assert not cold.failures and warm.from_cache == len(CALLS)
    assert [r.content for r in warm.replies] == [r.content for r in cold.replies]
    raw = sum(len(r.content) for r in cold.replies)
    entries = sum(len(value) for _, value in stored(tmp_path))
    dictionaries = sum(p.stat().st_size for p in (tmp_path / DICT_DIR).glob("*.zdict"))
    assert len(list((tmp_path / DICT_DIR).glob("*.zdict"))) == 2  # one per chain
    assert (entries + dictionaries) / raw < 0.1, (entries, dictionaries, raw)
    info = cache_info(tmp_path)
    assert info.entries == len(CALLS) and info.bytes >= entries + dictionaries
    # a new client (another process, later) reuses the dictionaries it finds
    with make_client(sandbox, tmp_path) as client:
        client.forget(CALLS[0])
        assert not client.fetch(CALLS[0]).from_cache
        assert client.fetch(CALLS[0]).from_cache
    assert len(list((tmp_path / DICT_DIR).glob("*.zdict"))) == 2
    assert clear_cache(tmp_path) == len(CALLS)
    assert not (tmp_path / DICT_DIR).exists()
    # entries written after the clear, in the same process, find their dictionary on disk
    with make_client(sandbox, tmp_path) as client:
        client.fetch(CALLS[0])
    assert len(list((tmp_path / DICT_DIR).glob("*.zdict"))) == 1


@pytest.mark.parametrize("damage", ["missing", "altered"])
def test_an_entry_whose_dictionary_is_gone_or_damaged_is_a_miss(
    sandbox: Any, tmp_path: Path, damage: str
) -> None:
    with make_client(sandbox, tmp_path) as client:
        truth = [r.content for r in client.fetch_many(CALLS[:5], raw=True).replies]
    (path,) = (tmp_path / DICT_DIR).glob("*.zdict")
    if damage == "missing":
        path.unlink()
    else:
        path.write_bytes(b"x" + path.read_bytes()[1:])
    from inchframe.cache_backend import _dictionaries

    cache_serializer.cache_clear()  # a fresh process: no dictionary in memory
    _dictionaries.cache_clear()
    with make_client(sandbox, tmp_path) as client:
        sandbox.reset_stats()
        first = client.fetch(CALLS[0], raw=True)
        assert not first.from_cache and sandbox.stats()["total"] == 1  # a miss, not an error
        # the others: misses too, or hits once the dictionary was written again (the same
        # body makes the same dictionary); never an error, never a wrong body
        again = [first] + [client.fetch(call, raw=True) for call in CALLS[1:5]]
        assert [r.content for r in again] == truth
        assert all(client.fetch(call, raw=True).from_cache for call in CALLS[:5])


def test_entries_of_the_previous_format_still_read(sandbox: Any, tmp_path: Path) -> None:
    """``IFC1`` entries (raw body, SHA-256 header) and requests-cache's JSON entries."""
    from requests_cache.serializers import json_serializer

    with make_client(sandbox, tmp_path) as client:
        truth = [r.content for r in client.fetch_many(CALLS[:3], raw=True).replies]
        serializer = client.session.cache.responses.serializer
        rows = dict(stored(tmp_path))
        old: dict[str, Any] = {}
        for n, (key, value) in enumerate(rows.items()):
            response = serializer.loads(value)
            del response.headers[CHECKSUM_HEADER]
            response.headers[DIGEST_HEADER] = hashlib.sha256(response.content).hexdigest()
            if n % 2:
                old[key] = json_serializer.dumps(response)
            else:
                entry = serializer.dumps(response)
                end = 8 + int.from_bytes(entry[4:8], "big")
                old[key] = b"IFC1" + entry[4:end] + response.content
        con = client.session.cache.responses._connection
        for key, value in old.items():
            con.execute("UPDATE responses SET value = ? WHERE key = ?", (value, key))
        hits = [client.fetch(call, raw=True) for call in CALLS[:3]]
    assert all(h.from_cache for h in hits)
    assert [h.content for h in hits] == truth


def test_crc_catches_a_changed_body() -> None:
    class Fake:
        def __init__(self, content: bytes, headers: dict[str, str]) -> None:
            self.content, self.headers = content, headers

    from inchframe.cache_backend import body_checksum, body_digest

    body = b'{"0xeeee": "1000"}'
    assert is_intact(Fake(body, {CHECKSUM_HEADER: body_checksum(body)}))
    assert not is_intact(Fake(body.replace(b"1", b"2"), {CHECKSUM_HEADER: body_checksum(body)}))
    assert not is_intact(Fake(body[:-1], {DIGEST_HEADER: body_digest(body)}))
    assert is_intact(Fake(body, {}))
