"""Parquet export and import: atomic, lossless, self-describing.

- **Atomic**: a single file is written to a hidden temporary file in the same directory, fsynced
  and moved over the target with ``os.replace``; a crash leaves the previous file intact.
  A dataset batch is written to a hidden sibling directory first, so readers of the dataset
  never see a half-written file (see :func:`write_parquet` for the exact guarantees).
- **Lossless**: every dtype round-trips (``*_raw`` uint256 strings of 78 digits, ``Int64`` with
  NA, UTC timestamps, bools, Arrow strings); Hive partition columns are cast back to the dtypes
  recorded at write time.
- **Self-describing**: the Arrow schema carries a namespaced, versioned key ``inchframe`` whose
  JSON value holds the frame's provenance (``df.attrs["inchframe"]``) with secrets removed.
- **Portable**: plain Hive-partitioned Parquet (zstd) that pyarrow.dataset, DuckDB, polars,
  Dask and Spark read without inchframe.
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import ctypes.util
import datetime as dt
import json
import os
import re
import shutil
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from . import __version__
from .errors import InputError, redact_url

__all__ = [
    "METADATA_KEY",
    "SCHEMA_VERSION",
    "clean_stale",
    "read_delta",
    "read_metadata",
    "read_parquet",
    "write_delta",
    "write_parquet",
]

#: Key of inchframe's entry in the Arrow schema metadata of every file it writes.
METADATA_KEY = b"inchframe"
#: Version of the metadata layout; readers accept this version and older.
SCHEMA_VERSION = 1

Mode = Literal["overwrite", "append", "replace_partitions", "error"]
_MODES = ("overwrite", "append", "replace_partitions", "error")
_SECRET_NAME = re.compile(
    r"api[_\-]?key|apikey|authori[sz]ation|bearer|secret|passw(or)?d|access[_\-]?token|"
    r"credential|private[_\-]?key|cookie",
    re.IGNORECASE,
)
_BEARER = re.compile(r"^\s*bearer\s+\S+", re.IGNORECASE)
_PART_RE = re.compile(r"^part-.*\.parquet$")

#: Test hook: called with a stage name ("file-written", "before-replace", "dataset-staged",
#: "part-moved", "before-swap"). Lets the crash tests kill the writer at a precise point.
_stage_hook: Callable[[str], None] | None = None


def _stage(name: str) -> None:
    if _stage_hook is not None:
        _stage_hook(name)


# -- metadata ---------------------------------------------------------------------------------


def _scrub(value: Any) -> Any:
    """A JSON-able copy of ``value`` without anything that looks like a credential.

    Keys named like api_key/authorization/secret are dropped, ``Bearer ...`` strings and URL
    credentials (user-info, ``apiKey=`` query) are redacted. Defensive: loaders never put the
    key in ``attrs``, but a user may.
    """
    if isinstance(value, Mapping):
        return {str(k): _scrub(v) for k, v in value.items() if not _SECRET_NAME.search(str(k))}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_scrub(v) for v in value]
    if isinstance(value, str):
        if _BEARER.match(value):
            return "***"
        return redact_url(value) if "://" in value else value
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, dt.datetime | pd.Timestamp):
        return value.isoformat()
    return _scrub(str(value))


def _dtype_spec(dtype: Any) -> str:
    """A string :func:`_dtype_from_spec` turns back into exactly ``dtype``."""
    if isinstance(dtype, pd.StringDtype):
        return f"string[{dtype.storage}]" if dtype.na_value is pd.NA else f"str[{dtype.storage}]"
    return str(dtype)


def _dtype_from_spec(spec: str) -> Any:
    match = re.fullmatch(r"str\[(\w+)\]", spec)
    if match:
        return pd.StringDtype(match.group(1), na_value=float("nan"))
    return pd.api.types.pandas_dtype(spec)


def _frame_name(attrs: Mapping[str, Any]) -> str | None:
    return attrs.get("endpoint") if isinstance(attrs, Mapping) else None


def _metadata(
    frame: pd.DataFrame, partition_by: Sequence[str], part_schema: pa.Schema | None, written_at: str
) -> dict[str, Any]:
    attrs = frame.attrs.get("inchframe")
    return {
        "schema_version": SCHEMA_VERSION,
        "inchframe_version": __version__,
        "written_at": written_at,
        "frame": {
            "name": _frame_name(attrs) if isinstance(attrs, Mapping) else None,
            "columns": [str(c) for c in frame.columns],
            "dtypes": {str(c): _dtype_spec(t) for c, t in frame.dtypes.items()},
            "rows": len(frame),
            "partition_by": list(partition_by),
            "partition_schema": (
                base64.b64encode(part_schema.serialize().to_pybytes()).decode("ascii")
                if part_schema is not None
                else None
            ),
        },
        "attrs": _scrub(attrs) if attrs is not None else None,
    }


def _to_table(
    frame: pd.DataFrame, meta: dict[str, Any], *, preserve_index: bool | None
) -> pa.Table:
    if frame.columns.duplicated().any():
        raise InputError("Parquet needs unique column names; rename the duplicated columns")
    clean = frame.copy(deep=False)
    clean.attrs = _scrub(dict(frame.attrs))  # pyarrow also stores attrs in the pandas metadata
    table = _microseconds(pa.Table.from_pandas(clean, preserve_index=preserve_index))
    existing = dict(table.schema.metadata or {})
    existing[METADATA_KEY] = json.dumps(meta, sort_keys=True).encode("utf-8")
    return table.replace_schema_metadata(existing)


def _microseconds(table: pa.Table) -> pa.Table:
    """Store nanosecond timestamps as microseconds when no digit is lost.

    Spark (and older Hive/Impala) cannot read Parquet TIMESTAMP(NANOS); API timestamps have
    second resolution, so this costs nothing. :func:`read_parquet` casts back to the recorded
    pandas dtype; a column with real nanoseconds stays in nanoseconds.
    """
    for i, field in enumerate(table.schema):
        typ = field.type
        if pa.types.is_timestamp(typ) and typ.unit == "ns":
            try:
                column = table.column(i).cast(pa.timestamp("us", typ.tz), safe=True)
            except pa.ArrowInvalid:
                continue
            table = table.set_column(i, field.with_type(column.type), column)
    return table


def _read_key(schema: pa.Schema) -> dict[str, Any] | None:
    raw = (schema.metadata or {}).get(METADATA_KEY)
    if raw is None:
        return None
    meta = json.loads(raw)
    version = meta.get("schema_version")
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise InputError(
            f"this file's inchframe metadata is version {version!r}; this inchframe "
            f"({__version__}) reads up to version {SCHEMA_VERSION}: upgrade inchframe"
        )
    return meta


# -- filesystem helpers -----------------------------------------------------------------------


def _fsync_dir(path: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    for dirpath, _, files in os.walk(root):
        for name in files:
            fd = os.open(os.path.join(dirpath, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(Path(dirpath))


def _tmp_sibling(path: Path, what: str) -> Path:
    """A hidden name next to ``path`` (readers and globs skip names starting with '.').

    The name carries the writer's process id, so :func:`clean_stale` can tell a killed
    writer's leftovers from a live writer's work in progress.
    """
    return path.parent / f".{path.name}.inchframe-{what}-{os.getpid()}-{uuid.uuid4().hex[:12]}"


_LEFTOVER = re.compile(
    r"^\.(?P<name>.+)\.inchframe-(?P<what>tmp|new|old|batch)-(?:(?P<pid>\d+)-)?[0-9a-f]{12}$"
)
#: Leftovers from before names carried a process id are removed once this old (seconds).
_UNOWNED_AGE = 3600.0


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: some other user's live process
        return True
    return True


def _stale(entry: Path, match: re.Match[str]) -> bool:
    pid = match.group("pid")
    if pid is not None:
        return not _alive(int(pid))
    try:
        return time.time() - entry.lstat().st_mtime > _UNOWNED_AGE
    except OSError:
        return False


def clean_stale(path: str | os.PathLike[str]) -> list[Path]:
    """Remove what killed writers left next to and inside ``path``; returns what was removed.

    Staging folders and temporary files (``.name.inchframe-new-*``, ``-tmp-``, ``-batch-``,
    ``-old-``) are removed when the process that made them is gone (leftovers without a process
    id: when older than an hour). Never removed: anything of a live process, and the one case
    where a leftover is the only copy of the data (``path`` missing while an ``-old-`` sibling
    holds the previous dataset: rename it back by hand, see docs/parquet.md).
    """
    target = Path(path)
    removed: list[Path] = []
    folders = [target.parent]
    if target.is_dir():
        for dirpath, dirnames, _ in os.walk(target):
            folders.append(Path(dirpath))
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
    for folder in folders:
        try:
            entries = list(folder.iterdir())
        except OSError:
            continue
        names = {e.name for e in entries}
        for entry in entries:
            match = _LEFTOVER.match(entry.name)
            if match is None or (folder == target.parent and match.group("name") != target.name):
                continue
            owner = match.group("name")
            orphaned_old = any(
                n.startswith(f".{owner}.inchframe-old-") for n in names if n != entry.name
            )
            if owner not in names and (match.group("what") == "old" or orphaned_old):
                continue  # the only copy of the data (a swap killed between its two renames)
            if not _stale(entry, match):
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    entry.unlink()
            removed.append(entry)
    return removed


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two directories (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return result == 0


def _is_dataset_path(path: Path, raw: str, partition_by: Sequence[str] | None) -> bool:
    return bool(partition_by) or path.is_dir() or raw.endswith(("/", os.sep))


def _dataset_files(root: Path) -> list[Path]:
    """Visible Parquet files of a dataset, as pyarrow finds them (hidden and _ names skipped)."""
    found = []
    for dirpath, dirnames, files in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "_")))
        found += [
            Path(dirpath, f)
            for f in sorted(files)
            if not f.startswith((".", "_")) and f.endswith(".parquet")
        ]
    return found


# -- writing ----------------------------------------------------------------------------------


def _partition_schema(table: pa.Table, partition_by: Sequence[str]) -> pa.Schema:
    fields = []
    for name in partition_by:
        if name not in table.schema.names:
            raise InputError(f"partition_by: no column {name!r} in the frame")
        typ = table.schema.field(name).type
        if pa.types.is_large_string(typ) or pa.types.is_string(typ) or pa.types.is_dictionary(typ):
            typ = pa.string()
        elif not (pa.types.is_integer(typ) or pa.types.is_boolean(typ) or pa.types.is_date(typ)):
            raise InputError(
                f"partition_by: column {name!r} has type {typ}; partition on integer, string, "
                "bool or date columns (e.g. chain_id, wallet, snapshot_date)"
            )
        fields.append(pa.field(name, typ))
    return pa.schema(fields)


def _write_file(table: pa.Table, target: Path, compression: str | None) -> None:
    tmp = _tmp_sibling(target, "tmp")
    try:
        with open(tmp, "wb") as fh:
            pq.write_table(table, fh, compression=compression)
            fh.flush()
            os.fsync(fh.fileno())
        _stage("before-replace")
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(target.parent)


def _write_dataset_to(
    table: pa.Table, directory: Path, part_schema: pa.Schema, compression: str | None, stamp: str
) -> None:
    options = ds.ParquetFileFormat().make_write_options(compression=compression)
    ds.write_dataset(
        table,
        directory,
        format="parquet",
        file_options=options,
        partitioning=ds.partitioning(part_schema, flavor="hive") if part_schema.names else None,
        basename_template=f"part-{stamp}-{uuid.uuid4().hex[:8]}-{{i}}.parquet",
        existing_data_behavior="error",
    )
    _fsync_tree(directory)


def _check_compatible(root: Path, meta: dict[str, Any]) -> None:
    files = _dataset_files(root)
    if not files:
        return
    old = _read_key(pq.read_schema(files[0]))
    if old is None:
        raise InputError(f"{root} holds Parquet files not written by inchframe; append refused")
    old_frame, new_frame = old["frame"], meta["frame"]
    if old_frame["partition_by"] != new_frame["partition_by"]:
        raise InputError(
            f"append: the dataset is partitioned by {old_frame['partition_by']}, not by "
            f"{new_frame['partition_by']}"
        )
    if old_frame["dtypes"] != new_frame["dtypes"]:
        old_d, new_d = old_frame["dtypes"], new_frame["dtypes"]
        diff = sorted(
            {c for c in old_d.keys() ^ new_d.keys()}
            | {c for c in old_d.keys() & new_d.keys() if old_d[c] != new_d[c]}
        )
        raise InputError(
            f"append: columns or dtypes differ from the dataset's: {', '.join(diff)}; "
            "conform the frame or write a new dataset"
        )


def write_parquet(
    frame: pd.DataFrame,
    path: str | os.PathLike[str],
    partition_by: Sequence[str] | str | None = None,
    *,
    mode: Mode = "overwrite",
    compression: str | None = "zstd",
) -> Path:
    """Write ``frame`` to a Parquet file or a Hive-partitioned dataset; returns the path.

    A **single file** unless ``partition_by`` is given, ``path`` is an existing directory or
    ends with ``/``. The file is written to a hidden temporary file in the same directory,
    fsynced, then moved over ``path`` with ``os.replace``: readers see the old file or the new
    one, never a mix, and a crash leaves the old file intact (plus, at worst, a hidden
    ``.name.inchframe-tmp-*`` file). ``mode="append"`` needs a dataset: Parquet files are
    immutable.

    A **dataset** is a directory of ``part-<time>-<id>-<n>.parquet`` files under Hive
    directories (``chain_id=1/snapshot_date=2026-05-01/``). Each write is first staged in a
    hidden sibling directory and fsynced.

    - ``mode="append"`` (snapshots over time) moves the staged files into the dataset one
      ``rename`` each: a reader or a crash sees the previous dataset plus zero or more complete
      new files, never a partial file. Columns and dtypes must match the dataset's.
    - ``mode="overwrite"`` stages the complete new dataset, then swaps the directories. On
      Linux the swap is one atomic ``renameat2(RENAME_EXCHANGE)``; elsewhere it is two renames
      with a tiny window in which ``path`` does not exist (a crash there leaves the data in a
      hidden ``.name.inchframe-new-*`` sibling, to rename back by hand).
    - ``mode="replace_partitions"`` (a snapshot taken again) replaces, one directory swap each,
      the partitions the frame has rows for, and leaves the others alone: a rerun of today's
      snapshot replaces today's ``chain_id=...`` directories instead of doubling them. A reader
      or a crash sees each partition old or new, never a mix or a partial file. Columns and
      dtypes must match the dataset's.
    - ``mode="error"`` refuses to write when ``path`` exists.

    Row order and the index are kept for single files; a dataset is read back grouped by
    partition, without the index unless it was a non-default index (then stored as columns).
    """
    if mode not in _MODES:
        raise InputError(f"mode={mode!r}: accepted values are {', '.join(_MODES)}")
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    raw = os.fspath(path)
    target = Path(raw)
    parts = [partition_by] if isinstance(partition_by, str) else list(partition_by or [])
    compression = None if compression in (None, "none") else compression
    now = dt.datetime.now(dt.UTC)
    written_at = now.isoformat(timespec="milliseconds")
    stamp = now.strftime("%Y%m%dT%H%M%S%fZ")
    clean_stale(target)  # what an earlier, killed write left behind

    if not _is_dataset_path(target, raw, parts):
        if mode in ("append", "replace_partitions"):
            raise InputError(
                f"mode={mode!r} needs a dataset: pass a directory path (ending with '/') or "
                "partition_by=[...]; a Parquet file cannot be appended to"
            )
        if mode == "error" and target.exists():
            raise FileExistsError(f"{target} exists (mode='error')")
        table = _to_table(frame, _metadata(frame, [], None, written_at), preserve_index=None)
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_file(table, target, compression)
        return target

    default_index = isinstance(frame.index, pd.RangeIndex) and frame.index.name is None
    probe = pa.Table.from_pandas(frame.head(0), preserve_index=not default_index)
    part_schema = _partition_schema(probe, parts)
    meta = _metadata(frame, parts, part_schema, written_at)
    table = _to_table(frame, meta, preserve_index=not default_index)
    exists = target.exists() and any(target.iterdir()) if target.is_dir() else target.exists()
    if exists and not target.is_dir():
        raise InputError(f"{target} exists and is not a directory; cannot write a dataset there")
    if mode == "error" and exists:
        raise FileExistsError(f"{target} exists (mode='error')")
    target.parent.mkdir(parents=True, exist_ok=True)

    staging = _tmp_sibling(target, "new")
    try:
        _write_dataset_to(table, staging, part_schema, compression, stamp)
        staging.mkdir(exist_ok=True)  # pyarrow writes no folder for a frame without rows
        _stage("dataset-staged")
        if mode == "append" and exists:
            _check_compatible(target, meta)
            for file in sorted(p for p in staging.rglob("*.parquet")):
                dest = target / file.relative_to(staging)
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(file, dest)
                _fsync_dir(dest.parent)
                _stage("part-moved")
            shutil.rmtree(staging, ignore_errors=True)
        elif mode == "replace_partitions" and exists:
            _check_compatible(target, meta)
            _replace_partitions(staging, target)
            shutil.rmtree(staging, ignore_errors=True)
        elif not target.exists() or (target.is_dir() and not any(target.iterdir())):
            if target.exists():
                target.rmdir()
            os.replace(staging, target)
        else:
            _stage("before-swap")
            if _exchange(staging, target):
                old = staging  # after the exchange the staging name holds the old dataset
            else:
                old = _tmp_sibling(target, "old")
                os.replace(target, old)
                os.replace(staging, target)  # the non-atomic window is between these renames
            _fsync_dir(target.parent)
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if staging.exists() and staging != target:
            shutil.rmtree(staging, ignore_errors=True)
    _fsync_dir(target.parent)
    return target


def _replace_partitions(staging: Path, target: Path) -> None:
    """Swap each leaf partition directory of ``staging`` into ``target``."""
    for leaf in sorted({file.parent for file in staging.rglob("*.parquet")}):
        dest = target / leaf.relative_to(staging)
        dest.parent.mkdir(parents=True, exist_ok=True)
        if not dest.exists():
            os.replace(leaf, dest)
        elif _exchange(leaf, dest):
            shutil.rmtree(leaf, ignore_errors=True)  # after the exchange it holds the old files
        else:
            old = _tmp_sibling(dest, "old")
            os.replace(dest, old)
            os.replace(leaf, dest)  # the non-atomic window is between these renames
            shutil.rmtree(old, ignore_errors=True)
        _fsync_dir(dest.parent)
        _stage("partition-replaced")


# -- reading ----------------------------------------------------------------------------------


def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """inchframe's metadata of a file (or of a dataset's first file); None if it has none."""
    target = Path(path)
    if target.is_dir():
        files = _dataset_files(target)
        if not files:
            raise FileNotFoundError(f"no Parquet files in {target}")
        target = files[0]
    return _read_key(pq.read_schema(target))


def _distinct_attrs(files: Iterable[Path]) -> list[tuple[str, Any]]:
    """(written_at, attrs) of each distinct batch, oldest first."""
    seen: dict[str, tuple[str, Any]] = {}
    for file in files:
        meta = _read_key(pq.read_schema(file))
        if meta is None or meta.get("attrs") is None:
            continue
        key = json.dumps(meta["attrs"], sort_keys=True)
        if key not in seen:
            seen[key] = (meta.get("written_at") or "", meta["attrs"])
    return sorted(seen.values(), key=lambda item: item[0])


def _restore_dtypes(frame: pd.DataFrame, meta: dict[str, Any] | None) -> pd.DataFrame:
    if meta is None:
        return frame
    info = meta["frame"]
    order = [c for c in info["columns"] if c in frame.columns]
    extras = [c for c in frame.columns if c not in order]
    frame = frame[order + extras]
    casts = {}
    for col, spec in info["dtypes"].items():
        if col in frame.columns:
            want = _dtype_from_spec(spec)
            if frame[col].dtype != want:
                casts[col] = want
    for col, want in casts.items():
        current = frame[col]
        if isinstance(current.dtype, pd.CategoricalDtype):
            current = current.astype(current.cat.categories.dtype)
        frame[col] = current.astype(want)
    return frame


def read_parquet(
    path: str | os.PathLike[str],
    *,
    filters: Any = None,
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Read a file or dataset written by :func:`write_parquet`, dtypes and provenance restored.

    ``filters``: a pyarrow expression (``pyarrow.dataset.field("chain_id") == 1``) or DNF
    tuples (``[("chain_id", "=", 1)]``); partition filters skip whole directories.
    ``columns``: the columns to read. Hive partition columns come back with their original
    dtypes (``chain_id`` int64, not categorical). ``df.attrs["inchframe"]`` is the stored
    provenance; for a dataset written in several batches it is the newest batch's, with
    ``"batches"`` listing every distinct batch's provenance, oldest first.
    Files without inchframe metadata are read as plain Parquet.
    """
    target = Path(path)
    if not target.exists():
        raise FileNotFoundError(f"no such Parquet file or dataset: {target}")
    wanted = list(columns) if columns is not None else None
    if target.is_dir():
        files = _dataset_files(target)
        if not files:
            raise FileNotFoundError(f"no Parquet files in {target}")
        meta = _read_key(pq.read_schema(files[0]))
        encoded = meta["frame"].get("partition_schema") if meta else None
        if encoded:
            part_schema = pa.ipc.read_schema(pa.py_buffer(base64.b64decode(encoded)))
            partitioning: Any = ds.partitioning(part_schema, flavor="hive")
        else:
            partitioning = "hive"
        table = pq.read_table(target, columns=wanted, filters=filters, partitioning=partitioning)
        batches = _distinct_attrs(files)
    else:
        meta = _read_key(pq.read_schema(target))
        table = pq.read_table(target, columns=wanted, filters=filters)
        batches = [(meta.get("written_at", ""), meta["attrs"])] if meta and meta["attrs"] else []
    frame = table.to_pandas()
    frame = _restore_dtypes(frame, meta)
    if wanted is not None:
        frame = frame[[c for c in wanted if c in frame.columns]]
    attrs = {k: v for k, v in frame.attrs.items() if k != "inchframe"}
    if batches:
        newest = dict(batches[-1][1])
        if len(batches) > 1:
            newest["batches"] = [b for _, b in batches]
        attrs["inchframe"] = newest
    frame.attrs = attrs
    return frame


# -- Delta Lake -------------------------------------------------------------------------------

DeltaMode = Literal["append", "overwrite", "replace_partitions", "error"]
_DELTA_MODES = ("append", "overwrite", "replace_partitions", "error")


def _sql_literal(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        raise InputError("replace_partitions: a partition value is missing (null)")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    return "'" + text.replace("'", "''") + "'"


def _partition_predicate(table: pa.Table, partition_by: Sequence[str]) -> str:
    """``(a = 1 AND b = 'x') OR ...`` over the distinct partition values of ``table``."""
    combos = table.select(list(partition_by)).group_by(list(partition_by)).aggregate([])
    clauses = []
    for row in combos.to_pylist():
        parts = [f"{name} = {_sql_literal(row[name])}" for name in partition_by]
        clauses.append("(" + " AND ".join(parts) + ")")
    return " OR ".join(clauses)


def write_delta(
    frame: pd.DataFrame,
    path: str | os.PathLike[str],
    partition_by: Sequence[str] | str | None = None,
    *,
    mode: DeltaMode = "append",
    custom_metadata: Mapping[str, str] | None = None,
) -> Path:
    """Write ``frame`` to a Delta Lake table (``deltalake``), one atomic commit; returns the path.

    Readers see the table before the commit or after it, never a part of it (the commit is one
    file in ``_delta_log``). ``mode``: ``"append"`` adds the rows; ``"overwrite"`` replaces the
    table; ``"replace_partitions"`` replaces, with a predicate, the partitions the frame has rows
    for and keeps the others; ``"error"`` refuses to write into an existing table. The provenance
    (``df.attrs["inchframe"]``, secrets removed) and the pandas dtypes go into the commit's
    metadata, so :func:`read_delta` restores them; ``*_raw`` uint256 strings stay strings.
    """
    if mode not in _DELTA_MODES:
        raise InputError(f"mode={mode!r}: accepted values are {', '.join(_DELTA_MODES)}")
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    try:
        from deltalake import CommitProperties, DeltaTable, write_deltalake
        from deltalake.exceptions import DeltaError, SchemaMismatchError
    except ImportError:
        raise InputError("Delta Lake needs the deltalake package: pip install deltalake") from None
    target = Path(path)
    parts = [partition_by] if isinstance(partition_by, str) else list(partition_by or [])
    written_at = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
    default_index = isinstance(frame.index, pd.RangeIndex) and frame.index.name is None
    probe = pa.Table.from_pandas(frame.head(0), preserve_index=not default_index)
    part_schema = _partition_schema(probe, parts) if parts else None
    meta = _metadata(frame, parts, part_schema, written_at)
    table = _to_table(frame, meta, preserve_index=not default_index).replace_schema_metadata(None)
    exists = (target / "_delta_log").is_dir() and any((target / "_delta_log").glob("*.json"))
    if exists:
        current = DeltaTable(str(target)).metadata().partition_columns
        if parts and list(current) != parts:
            raise InputError(
                f"{target} is partitioned by {list(current)}, not by {parts}; "
                "write with the table's partitioning or to a new table"
            )
        parts = list(current)
    elif target.exists() and target.is_dir() and any(target.iterdir()):
        raise InputError(f"{target} is not empty and is not a Delta table")
    metadata = {"inchframe": json.dumps(meta, sort_keys=True), **(custom_metadata or {})}
    kwargs: dict[str, Any] = {"mode": "append" if mode == "append" else mode}
    if mode == "replace_partitions":
        if not parts:
            raise InputError("mode='replace_partitions' needs a partitioned table (partition_by=)")
        kwargs = {"mode": "overwrite"}
        if exists and table.num_rows:
            kwargs["predicate"] = _partition_predicate(table, parts)
        elif exists:
            return target  # no rows: no partition to replace
    elif mode == "error" and exists:
        raise FileExistsError(f"{target} is a Delta table already (mode='error')")
    elif mode == "overwrite":
        kwargs["schema_mode"] = "overwrite"
    try:
        write_deltalake(
            str(target),
            table,
            partition_by=parts or None,
            commit_properties=CommitProperties(custom_metadata=metadata),
            **kwargs,
        )
    except SchemaMismatchError as error:
        raise InputError(
            f"the frame's columns or types differ from the Delta table's at {target}: {error}"
        ) from None
    except DeltaError as error:
        raise InputError(f"cannot write the Delta table at {target}: {error}") from None
    return target


def _delta_metas(table: Any) -> list[dict[str, Any]]:
    """inchframe metadata of the commits behind the current snapshot, oldest first (back to the
    last full overwrite)."""
    found: list[dict[str, Any]] = []
    for entry in table.history():  # newest first
        raw = entry.get("inchframe")
        if isinstance(raw, str):
            with contextlib.suppress(ValueError, InputError):
                meta = _read_key(pa.schema([]).with_metadata({METADATA_KEY: raw.encode()}))
                if meta is not None:
                    found.append(meta)
        params = entry.get("operationParameters") or {}
        overwrite = str(params.get("mode", "")).lower() == "overwrite"
        if entry.get("operation") in ("CREATE TABLE", "CREATE OR REPLACE TABLE") or (
            overwrite and not params.get("predicate")
        ):
            break
    return found[::-1]


def read_delta(
    path: str | os.PathLike[str],
    *,
    version: int | None = None,
    columns: Sequence[str] | None = None,
    filters: Any = None,
) -> pd.DataFrame:
    """Read a Delta table (``deltalake``) with the dtypes and provenance :func:`write_delta` and
    ``inchframe.export(..., format="delta")`` stored; ``version``: time travel.

    ``filters``: a pyarrow expression or DNF tuples, as for :func:`read_parquet`.
    ``df.attrs["inchframe"]`` is the newest commit's provenance, with ``"batches"`` listing each
    distinct one when several commits differ. Tables not written by inchframe read as they are.
    """
    try:
        from deltalake import DeltaTable
        from deltalake.exceptions import TableNotFoundError
    except ImportError:
        raise InputError("Delta Lake needs the deltalake package: pip install deltalake") from None
    target = Path(path)
    try:
        table = DeltaTable(str(target), version=version)
    except TableNotFoundError:
        raise FileNotFoundError(f"no Delta table at {target}") from None
    wanted = list(columns) if columns is not None else None
    if isinstance(filters, list):
        arrow = table.to_pyarrow_table(columns=wanted, filters=filters)
    else:
        arrow = table.to_pyarrow_dataset().to_table(columns=wanted, filter=filters)
    metas = _delta_metas(table)
    meta = metas[-1] if metas else None
    frame = _restore_dtypes(arrow.to_pandas(), meta)
    if wanted is not None:
        frame = frame[[c for c in wanted if c in frame.columns]]
    distinct: dict[str, Any] = {}
    for item in metas:
        if item.get("attrs") is not None:
            distinct[json.dumps(item["attrs"], sort_keys=True)] = item["attrs"]
    attrs = {k: v for k, v in frame.attrs.items() if k != "inchframe"}
    if distinct:
        values = list(distinct.values())
        newest = dict(values[-1])
        if len(values) > 1:
            newest["batches"] = values
        attrs["inchframe"] = newest
    frame.attrs = attrs
    return frame
