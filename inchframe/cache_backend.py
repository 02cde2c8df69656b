"""The HTTP cache's storage: the SQLite backend, its serializer and its safety net (private).

This module is what :mod:`inchframe._http` builds the cached session from and what
:mod:`inchframe.cache` (``cache_info``/``clear_cache``) reads; it imports neither, so the
dependencies point one way: ``cache`` -> ``cache_backend`` <- ``_http``.

The one place a backend is made is :func:`build_backend` (hook for other backends).

The cache is one SQLite file in WAL mode, shared safely by the threads of a process and by
several processes; what can go wrong with it and what inchframe does is listed in
:mod:`inchframe.cache` and docs/reliability.md.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import os
import sqlite3
import threading
import time
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from .errors import CacheError

if TYPE_CHECKING:
    from .config import Settings

__all__ = [
    "BUSY_TIMEOUT_MS",
    "CACHE_FILE",
    "CHECKSUM_HEADER",
    "DICT_DIR",
    "DIGEST_HEADER",
    "SANDBOX_KEY_HOST",
    "CachedHit",
    "Dictionaries",
    "FastReader",
    "build_backend",
    "cache_error",
    "cache_serializer",
    "guarded",
    "is_intact",
    "open_backend",
    "open_cache",
    "stamp_digest",
]

CACHE_FILE = "http_cache.sqlite"
#: How long an operation waits for another connection's lock before :class:`CacheError`.
BUSY_TIMEOUT_MS = 30_000
#: Response header holding the CRC-32 of a body inchframe caches; checked on every cache hit.
CHECKSUM_HEADER = "X-Inchframe-Body-Crc32"
#: The same for SHA-256, in entries written by older versions (still checked when read).
DIGEST_HEADER = "X-Inchframe-Body-Sha256"

#: SQLite messages of conditions that pass when the other connections move on: a lock
#: ("database is locked", "database table is locked") or a wal-index race between processes
#: ("locking protocol", SQLITE_PROTOCOL, which SQLite returns after its own retries).
_TRANSIENT = ("locked", "busy", "locking protocol")
#: SQLite messages of a damaged file.
_DAMAGED = ("malformed", "not a database", "corrupt")
#: Retries of a read that met a transient error, and of a write that failed for another reason
#: (an I/O error while another process resizes the shared-memory file, say), before either
#: is reported.
_RETRIES = 5


def cache_error(path: str | os.PathLike[str], error: sqlite3.Error | OSError) -> CacheError:
    """The :class:`CacheError` for an SQLite (or OS) error on the cache file at ``path``."""
    text = str(error)
    lowered = text.lower()
    if any(word in lowered for word in _TRANSIENT):
        reason = "locked"
    elif any(word in lowered for word in _DAMAGED):
        reason = "damaged"  # "file is not a database", "database disk image is malformed"
    else:
        reason = "unusable"  # cannot open, read-only, disk full, I/O error, closed
    return CacheError(os.fspath(path), reason, text)


@contextmanager
def guarded(path: str | os.PathLike[str]) -> Iterator[None]:
    """Turn SQLite (and Redis) errors raised inside the block into :class:`CacheError` naming
    ``path``."""
    try:
        yield
    except sqlite3.Error as error:
        raise cache_error(path, error) from None
    except Exception as error:
        from .backends import backend_error, is_backend_error

        if not is_backend_error(error):
            raise
        raise backend_error(os.fspath(path), error) from None


def body_digest(content: bytes | None) -> str:
    """SHA-256 of a body: the checksum of entries written before CRC-32 (still checked)."""
    return hashlib.sha256(content or b"").hexdigest()


def body_checksum(content: bytes | None) -> str:
    """CRC-32 of a body, as 8 hex digits: the checksum stored with every new entry.

    It guards against bit rot and stray writes, not against an attacker who can write the cache
    file (who could as well rewrite the checksum): CRC-32 catches every burst error of up to 32
    bits and nearly every other change, at about 20 times SHA-256's speed on a cache hit.
    """
    return f"{zlib.crc32(content or b''):08x}"


def stamp_digest(response: Any, *args: Any, **kwargs: Any) -> Any:
    """``requests`` response hook: record the body's CRC-32 before requests-cache stores it."""
    if response.status_code == 200 and not getattr(response, "from_cache", False):
        response.headers[CHECKSUM_HEADER] = body_checksum(response.content)
    return response


def is_intact(response: Any) -> bool:
    """False when a cached body no longer matches the checksum stored with it: CRC-32
    (:data:`CHECKSUM_HEADER`), or SHA-256 (:data:`DIGEST_HEADER`) in older entries; True when
    there is neither."""
    headers = response.headers
    expected = headers.get(CHECKSUM_HEADER)
    if expected is not None:
        return bool(expected == body_checksum(response.content))
    expected = headers.get(DIGEST_HEADER)
    return expected is None or expected == body_digest(response.content)


@cache
def _backend_class() -> type:
    """A requests-cache ``SQLiteCache`` whose writes give up on a lock instead of spinning.

    Each override below works around a behaviour of requests-cache 1.3's ``SQLiteDict``
    (``requests_cache/backends/sqlite.py``) that is still there in 1.3.x; they use its
    attributes ``_lock``, ``_connection`` and ``_active_transaction``, which is why
    pyproject.toml caps requests-cache below 1.4. Each could go upstream as a fix:

    - ``connection(commit=True)``: 1.3 reads ``_active_transaction`` *after* releasing
      ``_lock``, so a thread can write, unlocked, inside another thread's open transaction.
    - ``_acquire_sqlite_lock``: 1.3 retries ``BEGIN IMMEDIATE`` in an endless loop (a lock held
      by another process hangs the client) and swallows every ``OperationalError`` of the write
      (a full disk was dropped silently; here it is a ``CacheError``, only a lost lock race is
      swallowed); it also never rolls back a transaction left open by an exception other than
      ``OperationalError``.
    - ``__getitem__``: 1.3 does not retry a read that met a passing wal-index race between
      processes ("locking protocol").
    - ``GuardedSQLiteCache.__init__``: 1.3's ``SQLiteCache`` builds plain ``SQLiteDict`` tables
      with no way to pass another class.
    """
    from requests_cache import SQLiteCache
    from requests_cache.backends.base import BaseCache
    from requests_cache.backends.sqlite import SQLiteDict

    class GuardedSQLiteDict(SQLiteDict):
        """One connection shared by a process's threads; writes serialised by ``self._lock``."""

        #: after a write gave up on a lock, the next writes try once without waiting until then
        _blocked_until = 0.0

        @contextmanager
        def connection(self, commit: bool = False) -> Iterator[sqlite3.Connection]:
            if not commit:  # reads go on in parallel, as in requests-cache
                with super().connection() as con:
                    yield con
                return
            # the flag is read once the lock is held (a `with` enters its items in order)
            with self._lock, super().connection(commit=not self._active_transaction) as con:
                yield con

        def _open_connection(self) -> sqlite3.Connection:
            """The shared connection (opened by ``connection()`` before any write)."""
            con = self._connection
            assert con is not None
            return con

        @contextmanager
        def _acquire_sqlite_lock(self) -> Iterator[None]:
            with self._lock:
                if self._open_connection().in_transaction:  # left open by an interrupted write
                    self._open_connection().rollback()
                self._begin_immediate()
                self._active_transaction = True
                try:
                    yield
                    self._open_connection().commit()
                except sqlite3.OperationalError as error:
                    self._rollback()
                    failure = cache_error(self.db_path, error)
                    if failure.reason != "locked":  # disk full, read-only, I/O error...
                        raise failure from None
                    # a write that lost a lock race is only a future miss
                except OSError as error:
                    self._rollback()
                    raise cache_error(self.db_path, error) from None
                except BaseException:
                    self._rollback()
                    raise
                finally:
                    self._active_transaction = False

        def _rollback(self) -> None:
            try:
                if self._open_connection().in_transaction:
                    self._open_connection().rollback()
            except sqlite3.Error:
                pass  # the next write rolls back what is still open (above)

        def __getitem__(self, key: str) -> Any:
            """Read, retrying the transient errors (a wal-index race) for a moment."""
            for attempt in range(_RETRIES):
                try:
                    return super().__getitem__(key)
                except sqlite3.OperationalError as error:
                    if cache_error(self.db_path, error).reason != "locked":
                        raise
                    time.sleep(0.01 * (attempt + 1))
            return super().__getitem__(key)

        def _begin_immediate(self) -> None:
            """BEGIN IMMEDIATE, retried for up to BUSY_TIMEOUT_MS, then CacheError.

            SQLite may answer "locked" at once, without waiting in its busy handler (another
            connection committed since this one's read snapshot), so a retry loop is needed;
            requests-cache's never ends. Once a write gave up, the writes queued behind it
            (``self._lock``) try once without waiting, instead of each waiting the full time.
            Other errors are retried a few times (an I/O error can be a passing race between
            processes) before they are reported: a read-only or full disk is not waited on.
            """
            fail_fast = time.monotonic() < self._blocked_until
            deadline = time.monotonic() + (0.0 if fail_fast else BUSY_TIMEOUT_MS / 1000)
            pause = 0.001
            other_failures = 0
            if fail_fast:
                self._open_connection().execute("PRAGMA busy_timeout=0")
            try:
                while True:
                    try:
                        self._open_connection().execute("BEGIN IMMEDIATE")
                    except sqlite3.Error as error:
                        failure = cache_error(self.db_path, error)
                        if failure.reason == "damaged":
                            raise failure from None
                        if failure.reason != "locked":
                            other_failures += 1
                            if other_failures > _RETRIES:
                                raise failure from None
                        elif time.monotonic() >= deadline:
                            self._blocked_until = time.monotonic() + BUSY_TIMEOUT_MS / 1000
                            raise failure from None
                        time.sleep(pause)
                        pause = min(2 * pause, 0.05)
                    else:
                        self._blocked_until = 0.0
                        return
            finally:
                if fail_fast:
                    self._open_connection().execute(f"PRAGMA busy_timeout={self.busy_timeout}")

    class GuardedSQLiteCache(SQLiteCache):
        def __init__(self, db_path: Any, serializer: Any = None, **kwargs: Any) -> None:
            BaseCache.__init__(self, cache_name=str(db_path), **kwargs)
            skwargs = {"serializer": serializer, **kwargs} if serializer else kwargs
            self.responses = GuardedSQLiteDict(db_path, table_name="responses", **skwargs)
            self.redirects = GuardedSQLiteDict(
                db_path,
                table_name="redirects",
                lock=self.responses._lock,
                serializer=None,
                **kwargs,
            )

        #: the client's reader of fresh hits (set by :func:`open_backend`)
        fast_reader: FastReader | None = None

        def close(self) -> None:
            if self.fast_reader is not None:
                self.fast_reader.close()
            super().close()

    return GuardedSQLiteCache


def open_backend(path: Path) -> Any:
    """The SQLite backend on ``path`` (inchframe's serializer, WAL, bounded lock waits).

    Raises :class:`CacheError` when the file is damaged, locked or cannot be opened.
    """
    backend = None
    try:
        serializer = cache_serializer(Path(path).parent / DICT_DIR)
        backend = _backend_class()(
            path, serializer=serializer, wal=True, busy_timeout=BUSY_TIMEOUT_MS
        )
        with backend.responses.connection() as con:  # reads the header and the schema
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        backend.fast_reader = FastReader(Path(path), _dictionaries(Path(path).parent / DICT_DIR))
    except sqlite3.Error as error:
        if backend is not None:
            backend.close()
        raise cache_error(path, error) from None
    return backend


def build_backend(settings: Settings) -> Any:
    """The requests-cache backend a client's session stores its answers in.

    The one place a backend is chosen (today: SQLite in ``settings.cache_dir``); another
    backend (Redis, say) plugs in here. Raises :class:`CacheError` when it cannot be opened.
    """
    if settings.cache_url:  # INCHFRAME_CACHE_URL: Redis (inchframe.backends)
        from .backends import open_redis_cache

        return open_redis_cache(settings.cache_url, cache_serializer())
    directory = Path(settings.cache_dir)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CacheError(str(directory / CACHE_FILE), "unusable", str(error)) from None
    return open_backend(directory / CACHE_FILE)


#: Marks an entry written by :func:`cache_serializer`: JSON head, then the body compressed.
_ENTRY_MAGIC = b"IFC2"
#: Marks an entry of the previous version (JSON head, then the raw body); still read.
_ENTRY_MAGIC_V1 = b"IFC1"
#: How a body is stored: as it is, zstd, or zstd against a dictionary shared by its group.
_RAW, _ZSTD, _ZSTD_DICT = 0, 1, 2
#: zstd level: 3 (zstd's default); decompression (what a hit pays) is as fast at any level.
ZSTD_LEVEL = 3
#: Folder next to the cache file holding the shared dictionaries (see :class:`Dictionaries`).
DICT_DIR = "http_cache.dicts"
#: Bytes of a body kept as a dictionary, and the least a body must have to become one.
_DICT_MAX, _DICT_MIN = 128 * 1024, 2048


@cache
def _zstd() -> Any:
    import pyarrow as pa

    return pa.Codec("zstd", compression_level=ZSTD_LEVEL)


def _zstandard() -> Any:
    try:
        import zstandard
    except ImportError:  # pragma: no cover - a dependency; without it: plain zstd
        return None
    return zstandard


def _group(response: Any) -> str:
    """The answers that look alike: one endpoint on one chain (``GET /balance/v1.2/1/balances``,
    the wallet left out; query parameter names, and the value of ``chain_id``)."""
    request = getattr(response, "request", None)
    parts = urlsplit(getattr(request, "url", None) or "")
    path = "/".join("*" if seg.startswith("0x") else seg for seg in parts.path.split("/"))
    query = parse_qsl(parts.query, keep_blank_values=True)
    names = sorted({k if k not in ("chain_id", "chainId") else f"{k}={v}" for k, v in query})
    return f"{getattr(request, 'method', 'GET')} {path} {'&'.join(names)}"


class Dictionaries:
    """zstd dictionaries shared by the entries of one cache: one per :func:`_group`, made of
    the first large body stored for that group (a "raw content" dictionary).

    Answers of one endpoint and chain repeat each other (a Balance answer lists the chain's
    whole token list, in the same order, for every wallet), which no compressor can find
    within one body: against such a dictionary a body shrinks about 100 times, and
    decompresses about ten times faster than without. Each dictionary is a file
    ``<group id>-<content id>.zdict`` in :data:`DICT_DIR`, written once (atomically) and never
    changed; the content id is its SHA-256, checked when it is read. An entry names its
    dictionary; if that file is gone the entry is a miss.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._lock = threading.Lock()
        self._by_group: dict[str, tuple[bytes, Any, bytes]] = {}
        self._by_id: dict[bytes, Any] = {}

    def for_body(self, group: str, body: bytes) -> tuple[bytes, Any] | None:
        """``(dictionary id, dictionary)`` for ``group``, made from ``body`` if there is none."""
        zstandard = _zstandard()
        if zstandard is None:
            return None
        group_id = hashlib.sha256(group.encode()).hexdigest()[:16]
        with self._lock:
            try:
                known = self._by_group.get(group_id)
                if known is not None:
                    dict_id, made, content = known
                    path = self.directory / f"{group_id}-{dict_id.hex()}.zdict"
                    if not path.exists():  # the cache was cleared since: write it again
                        self._write(path, content)
                    return dict_id, made
                for path in sorted(self.directory.glob(f"{group_id}-*.zdict")):
                    found = self._load(path, zstandard)
                    if found is not None:
                        self._by_group[group_id] = (*found, path.read_bytes())
                        return found
                if len(body) < _DICT_MIN:
                    return None
                content = body[:_DICT_MAX]
                dict_id = hashlib.sha256(content).digest()[:16]
                self._write(self.directory / f"{group_id}-{dict_id.hex()}.zdict", content)
            except OSError as error:
                raise cache_error(self.directory, error) from None
            made = self._make(content, zstandard)
            self._by_id[dict_id] = made
            self._by_group[group_id] = (dict_id, made, content)
            return dict_id, made

    def _write(self, path: Path, content: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".tmp{os.getpid()}-{threading.get_ident()}")
        temporary.write_bytes(content)
        os.replace(temporary, path)  # whole or absent, for every reader

    def by_id(self, dict_id: bytes) -> Any:
        """The dictionary ``dict_id`` names; ``ValueError`` when it is missing or damaged."""
        known = self._by_id.get(dict_id)
        if known is not None:
            return known
        zstandard = _zstandard()
        if zstandard is None:
            raise ValueError("the cache entry needs the zstandard package")
        with self._lock:
            for path in self.directory.glob(f"*-{dict_id.hex()}.zdict"):
                found = self._load(path, zstandard)
                if found is not None:
                    return found[1]
        raise ValueError(f"the cache entry's dictionary {dict_id.hex()} is missing")

    def _load(self, path: Path, zstandard: Any) -> tuple[bytes, Any] | None:
        try:
            content = path.read_bytes()
        except OSError:
            return None
        dict_id = hashlib.sha256(content).digest()[:16]
        if path.stem.rpartition("-")[2] != dict_id.hex():
            return None  # damaged: entries that need it become misses
        made = self._by_id.get(dict_id) or self._make(content, zstandard)
        self._by_id[dict_id] = made
        return dict_id, made

    @staticmethod
    def _make(content: bytes, zstandard: Any) -> Any:
        made = zstandard.ZstdCompressionDict(content, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
        made.precompute_compress(level=ZSTD_LEVEL)
        return made


@cache
def _dictionaries(dict_dir: Path) -> Dictionaries:
    """One :class:`Dictionaries` per folder in a process, shared by serializer and reader."""
    return Dictionaries(dict_dir)


def _pack_body(body: bytes, dictionary: tuple[bytes, Any] | None = None) -> bytes:
    """Flag byte, the body's length (8 bytes, big-endian), then the body: zstd-compressed
    (against ``dictionary``, whose 16-byte id comes first), or as it is when that is not
    smaller."""
    size = len(body).to_bytes(8, "big")
    if dictionary is not None:
        zstandard = _zstandard()
        dict_id, made = dictionary
        packed = zstandard.ZstdCompressor(dict_data=made, level=ZSTD_LEVEL).compress(body)
        if len(packed) + 16 < len(body):
            return bytes([_ZSTD_DICT]) + size + dict_id + packed
    packed = _zstd().compress(body, asbytes=True) if len(body) >= 64 else body
    if len(packed) >= len(body):
        return bytes([_RAW]) + size + body
    return bytes([_ZSTD]) + size + packed


def _unpack_body(data: memoryview, dictionaries: Dictionaries | None = None) -> bytes:
    flag, size = data[0], int.from_bytes(data[1:9], "big")
    try:
        if flag == _RAW:
            body = bytes(data[9:])
        elif flag == _ZSTD:
            body = _zstd().decompress(data[9:], decompressed_size=size, asbytes=True)
        elif flag == _ZSTD_DICT and dictionaries is not None:
            made = dictionaries.by_id(bytes(data[9:25]))
            body = _zstandard().ZstdDecompressor(dict_data=made).decompress(data[25:])
        else:
            raise ValueError(f"cache entry body has an unknown encoding {flag}")
    except ValueError:
        raise
    except Exception as error:  # pyarrow/zstandard raise OSError, ArrowInvalid, ZstdError
        raise ValueError(f"cache entry body does not decompress: {error}") from None
    if len(body) != size:
        raise ValueError("cache entry body has the wrong length")
    return body


@cache
def cache_serializer(dict_dir: Path | None = None) -> Any:
    """The cache's serializer: requests-cache's JSON form (never pickle) for everything but the
    body, and the body as the bytes that came over the wire, compressed with zstd.

    requests-cache's own ``"json"`` serializer writes the body as base64 inside the JSON text,
    so every hit decodes (and parses) a third more than the body itself. An entry is ``b"IFC2"``,
    the JSON head's length (4 bytes, big-endian), the head, then the body as
    :func:`_pack_body` writes it: with ``dict_dir``, against the :class:`Dictionaries` kept
    there (the zstandard package), otherwise with pyarrow's zstd. Entries of the previous format
    (``b"IFC1"``: the raw body) and of requests-cache's ``"json"`` serializer (older caches)
    are still read. A body that does not decompress is a ``ValueError``, which requests-cache
    treats as a miss.
    """
    from requests_cache.serializers import SerializerPipeline, Stage, json_serializer
    from requests_cache.serializers.preconf import json_preconf_stage

    head_stage = json_preconf_stage.copy()  # cattrs: the CachedResponse as JSON-able builtins
    head_stage.decode_content = False
    dictionaries = _dictionaries(dict_dir) if dict_dir is not None else None

    def dumps(response: Any) -> bytes:
        shell = copy.copy(response)
        shell._content = None
        head = json.dumps(head_stage.dumps(shell), separators=(",", ":")).encode()
        content = response._content or b""
        shared = (
            dictionaries.for_body(_group(response), content)
            if dictionaries is not None and len(content) >= 256
            else None
        )
        return _ENTRY_MAGIC + len(head).to_bytes(4, "big") + head + _pack_body(content, shared)

    def loads(entry: Any) -> Any:
        if isinstance(entry, str):
            return json_serializer.loads(entry)  # written by the stock "json" serializer
        view = memoryview(entry)
        magic = bytes(view[:4])
        if magic not in (_ENTRY_MAGIC, _ENTRY_MAGIC_V1):
            return json_serializer.loads(entry)
        end = 8 + int.from_bytes(view[4:8], "big")
        response = head_stage.loads(json.loads(bytes(view[8:end])))
        response._content = (
            _unpack_body(view[end:], dictionaries) if magic == _ENTRY_MAGIC else bytes(view[end:])
        )
        response.raw.reset(response._content)  # what requests' raw.read() would give
        return response

    return SerializerPipeline(
        [Stage(dumps=dumps, loads=loads)], name="inchframe-json", is_binary=True
    )


class CachedHit:
    """A fresh cache entry read by :class:`FastReader`: what the client reads of a response
    (status, headers, body, when it was fetched, its key and URL), without building
    requests-cache's ``CachedResponse`` (cattrs, urllib3 headers: most of a hit's cost)."""

    from_cache = True
    is_expired = False

    __slots__ = ("cache_key", "content", "created_at", "headers", "request", "status_code", "url")

    def __init__(self, key: str, head: dict[str, Any], content: bytes) -> None:
        from requests.structures import CaseInsensitiveDict

        self.cache_key = key
        self.content = content
        self.status_code = int(head["status_code"])
        self.headers = CaseInsensitiveDict(head.get("headers") or {})
        created = head.get("created_at")
        self.created_at = dt.datetime.fromisoformat(created) if created else None
        self.url = str(head.get("url") or "")
        self.request = _Request(str((head.get("request") or {}).get("url") or self.url))


class _Request:
    __slots__ = ("url",)

    def __init__(self, url: str) -> None:
        self.url = url


class FastReader:
    """Reads fresh entries of a cache file for the client's hits: one read-only SQLite
    connection per thread (WAL readers do not wait for each other or for the writer, and share
    no lock or statement cache), a parameterised query, and only the head fields a hit needs.

    :meth:`fresh` returns ``None`` for a miss or an expired entry, and :data:`SLOW_PATH` for an
    entry of an older format (read through requests-cache instead).
    """

    def __init__(self, path: Path, dictionaries: Dictionaries) -> None:
        self.path = Path(path)
        self.dictionaries = dictionaries
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: list[tuple[Any, sqlite3.Connection]] = []  # (thread ref, connection)

    def _connection(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is not None:
            return con
        import weakref

        con = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        con.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        con.execute("PRAGMA query_only=1")
        with self._lock:  # close the connections of threads that ended
            alive = []
            for ref, other in self._open:
                if ref() is None:
                    other.close()
                else:
                    alive.append((ref, other))
            alive.append((weakref.ref(threading.current_thread()), con))
            self._open = alive
        self._local.con = con
        return con

    def fresh(self, key: str) -> CachedHit | object | None:
        for attempt in range(_RETRIES + 1):
            try:
                row = (
                    self._connection()
                    .execute("SELECT value, expires FROM responses WHERE key = ?", (key,))
                    .fetchone()
                )
                break
            except sqlite3.OperationalError as error:
                if attempt == _RETRIES or cache_error(self.path, error).reason != "locked":
                    raise
                time.sleep(0.01 * (attempt + 1))
        return self._hit(key, row, time.time())

    def fresh_many(self, keys: Sequence[str]) -> list[CachedHit | object | None]:
        """:meth:`fresh` for each of ``keys``, read with one query per :data:`_KEYS_PER_QUERY`
        keys (a warm loader's hits cost one round trip to SQLite, not one each)."""
        found: dict[str, tuple[Any, Any]] = {}
        for start in range(0, len(keys), _KEYS_PER_QUERY):
            chunk = list(dict.fromkeys(keys[start : start + _KEYS_PER_QUERY]))
            marks = ",".join("?" * len(chunk))
            query = f"SELECT key, value, expires FROM responses WHERE key IN ({marks})"
            for attempt in range(_RETRIES + 1):
                try:
                    rows = self._connection().execute(query, chunk).fetchall()
                    break
                except sqlite3.OperationalError as error:
                    if attempt == _RETRIES or cache_error(self.path, error).reason != "locked":
                        raise
                    time.sleep(0.01 * (attempt + 1))
            found.update((key, (value, expires)) for key, value, expires in rows)
        now = time.time()
        return [self._hit(key, found.get(key), now) for key in keys]

    def _hit(self, key: str, row: tuple[Any, Any] | None, now: float) -> CachedHit | object | None:
        if row is None:
            return None
        value, expires = row
        if expires is not None and expires <= now:
            return None
        if isinstance(value, str) or bytes(value[:4]) != _ENTRY_MAGIC:
            return SLOW_PATH
        view = memoryview(value)
        end = 8 + int.from_bytes(view[4:8], "big")
        try:
            head = json.loads(bytes(view[8:end]))
            return CachedHit(key, head, _unpack_body(view[end:], self.dictionaries))
        except (ValueError, KeyError, TypeError):
            return None  # an entry that cannot be read is a miss, as in requests-cache

    def close(self) -> None:
        with self._lock:
            for _, con in self._open:
                con.close()
            self._open = []
        self._local = threading.local()


#: Keys read by one query of :meth:`FastReader.fresh_many` (SQLite allows 999 parameters at
#: least).
_KEYS_PER_QUERY = 500

#: :meth:`FastReader.fresh` for an entry it leaves to requests-cache.
SLOW_PATH = object()


#: Stands for the embedded sandbox in cache keys: its port changes every run, its answers don't.
SANDBOX_KEY_HOST = "http://inchframe-sandbox"


def _key_on_fixed_host(base_url: str) -> Any:
    """A requests-cache key function that files ``base_url`` under :data:`SANDBOX_KEY_HOST`."""
    from requests_cache import create_key

    def key(request: Any, **kwargs: Any) -> str:
        if request.url and request.url.startswith(base_url):
            request = request.copy()
            request.url = SANDBOX_KEY_HOST + request.url[len(base_url) :]
        return create_key(request, **kwargs)

    return key


def open_cache(
    cache_dir: Path,
    *,
    offline: bool = False,
    sandbox_url: str | None = None,
    backend: Any = None,
    secret_params: tuple[str, ...] = (),
) -> Any:
    """A requests-cache ``CachedSession`` on ``backend`` (default: the SQLite file in
    ``cache_dir``), configured as inchframe uses it.

    The backend gives up on a lock after :data:`BUSY_TIMEOUT_MS` and every stored body carries
    its SHA-256; a damaged, locked or unwritable file raises
    :class:`~inchframe.errors.CacheError` naming the file and the fix.

    Offline, expired entries are served too (``stale_if_error``): old data beats no data, and
    each reply's ``fetched_at`` says how old it is. ``sandbox_url``: the embedded sandbox the
    client started; its entries are keyed on a fixed host so later sessions reuse them.
    ``secret_params``: more query parameters (those of the base URL) left out of keys and
    stored requests, like the usual key parameters.
    """
    from requests_cache import CachedSession

    if backend is None:
        try:
            Path(cache_dir).mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CacheError(str(Path(cache_dir) / CACHE_FILE), "unusable", str(error)) from None
        backend = open_backend(Path(cache_dir) / CACHE_FILE)
    session = CachedSession(
        backend=backend,
        expire_after=300,
        allowable_methods=("GET", "POST"),
        allowable_codes=(200,),
        match_headers=False,
        ignored_parameters=(
            "Authorization",
            "apiKey",
            "api_key",
            "X-API-KEY",
            *secret_params,
        ),
        only_if_cached=offline,
        stale_if_error=offline,
        key_fn=_key_on_fixed_host(sandbox_url) if sandbox_url else None,
    )
    session.hooks["response"].append(stamp_digest)
    return session
