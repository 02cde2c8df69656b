"""Streaming, resumable exports: any loader that takes wallets, batch by batch, to a Hive
Parquet dataset or a Delta Lake table, exactly once.

>>> inchframe.export("balances", "wallets.csv", "out/balances", format="delta",
...                  chain=["ethereum", "base"], batch_size=500)

How it works (see docs/export.md):

- The wallets (a list, or a file: ``.csv`` with a ``wallet``/``address`` column, ``.parquet``,
  or one address per line) are validated, de-duplicated and cut into batches of
  ``batch_size``; the plan depends only on (loader, wallets, loader arguments, batch size,
  format, partitioning), and its fingerprint is stored in ``<to>/_inchframe_export/manifest.json``.
  A rerun into the same target with other arguments is refused unless ``restart=True``.
- Each batch calls the normal loader (``errors="ignore"``) and is written with a column
  ``export_batch``. Memory is one batch at a time, whatever the number of wallets.
- **Delta**: one commit per batch, carrying ``Transaction(app_id, batch)``; a rerun reads
  ``DeltaTable.transaction_version(app_id)`` and starts after it. Readers see whole batches.
- **Parquet**: per-batch files with deterministic names (``part-b000042-0.parquet``), staged in a
  hidden sibling directory, moved in with ``os.replace``, then a marker
  ``_inchframe_export/done/000042.json``. A rerun skips marked batches and rewrites an unmarked
  one (removing whatever part of it was moved in before the kill).
- What did not arrive (the loader's failures) goes to ``<to>/_failures/batch-000042.parquet``,
  written *before* the batch is committed; a rerun re-runs only those batches (the HTTP cache
  answers the requests that succeeded, so only the failed ones are sent again) and replaces
  them, then removes the failures file.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime as dt
import hashlib
import inspect
import json
import os
import shutil
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
import pyarrow as pa

from . import __version__
from .addresses import is_address, normalize_address
from .errors import InputError

if TYPE_CHECKING:
    from ._workers import WorkerConfig

__all__ = [
    "BATCH_COLUMN",
    "ExportResult",
    "export",
    "export_loaders",
    "read_failures",
    "read_wallets",
    "resolve_loader",
]

Format = Literal["parquet", "delta"]
#: Column added to every exported row: the batch that produced it.
BATCH_COLUMN = "export_batch"
#: Folder (inside the target) with the manifest and, for Parquet, the completed-batch markers.
STATE_DIR = "_inchframe_export"
#: Folder (inside the target) with one Parquet file of failures per batch that had some.
FAILURES_DIR = "_failures"
MANIFEST_VERSION = 1
DEFAULT_BATCH_SIZE = 250
_RESERVED = ("client", "progress", "errors", "plan")
_WALLET_COLUMNS = ("wallet", "address", "wallets", "addresses")

#: Test hook: called with a stage name and the batch number ("batch-fetched",
#: "failures-written", "part-moved", "committed"). Lets the crash tests kill at a precise point.
_stage_hook: Callable[[str, int], None] | None = None


def _stage(name: str, batch: int) -> None:
    if _stage_hook is not None:
        _stage_hook(name, batch)


# -- loaders --------------------------------------------------------------------------------


def export_loaders() -> dict[str, Callable[..., Any]]:
    """Every loader that takes wallets, by name (``balances``, ``portfolio.tokens_snapshot``,
    ``portfolio.v4.tokens_details``...). Portfolio v5.0 loaders also answer to their bare name."""
    from . import balance
    from . import portfolio as v5
    from .portfolio import v4

    found: dict[str, Callable[..., Any]] = {}
    for prefix, module in (("", balance), ("portfolio.", v5), ("portfolio.v4.", v4)):
        for name in getattr(module, "__all__", ()):
            func = getattr(module, name, None)
            if not inspect.isfunction(func) or name.startswith("plan_"):
                continue
            params = list(inspect.signature(func).parameters)
            if params and params[0] in ("wallets", "addresses") and "plan" in params:
                found[prefix + name] = func
    return found


def resolve_loader(loader: str | Callable[..., Any]) -> tuple[str, Callable[..., Any]]:
    """``(canonical name, function)`` of a loader given by name or as the function itself."""
    loaders = export_loaders()
    if callable(loader):
        for name, func in loaders.items():
            if func is loader:
                return name, func
        raise InputError(
            f"loader {getattr(loader, '__name__', loader)!r} is not an inchframe loader that "
            f"takes wallets; accepted: {', '.join(sorted(loaders))}"
        )
    if isinstance(loader, str):
        key = loader.strip().removeprefix("inchframe.")
        for candidate in (key, f"portfolio.{key}"):
            if candidate in loaders:
                return candidate, loaders[candidate]
    raise InputError(
        f"loader={loader!r}: accepted names are {', '.join(sorted(loaders))} (or the function)"
    )


def _frame_schema(name: str) -> Any:
    """The documented :class:`~inchframe.frames.schema.FrameSchema` of a loader, or None."""
    from .frames import balance as fb
    from .frames import portfolio_v4 as p4
    from .frames import portfolio_v5 as p5

    short = name.rsplit(".", 1)[-1]
    if not name.startswith("portfolio."):
        table = {
            "balances": fb.BALANCES,
            "allowances": fb.ALLOWANCES,
            "balances_and_allowances": fb.BALANCES_AND_ALLOWANCES,
            "aggregated_balances": fb.AGGREGATED,
        }
        return table.get(short)
    module = p4 if name.startswith("portfolio.v4.") else p5
    return getattr(module, short.upper(), None)


# -- wallets --------------------------------------------------------------------------------


def read_wallets(path: str | os.PathLike[str]) -> Iterator[str]:
    """The addresses in a file, as written (validation is the caller's), streamed.

    ``.csv``: the ``wallet`` (or ``address``) column, or the only column; ``.parquet``: the same
    columns; anything else: one address per line (blank lines and ``#`` comments skipped).
    """
    file = Path(path)
    if not file.is_file():
        raise InputError(f"wallets file {file} does not exist or is not a file")
    suffix = file.suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        parquet = pq.ParquetFile(file)
        column = _wallet_column(parquet.schema_arrow.names, file)
        for batch in parquet.iter_batches(batch_size=65536, columns=[column]):
            for value in batch.column(0).to_pylist():
                if value is not None:
                    yield str(value).strip()
        return
    with open(file, newline="", encoding="utf-8-sig") as handle:
        if suffix == ".csv":
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                return
            names = [h.strip() for h in header]
            if len(names) == 1 and is_address(names[0]):  # a CSV without a header row
                yield names[0]
                index = 0
            else:
                index = names.index(_wallet_column(names, file))
            for row in reader:
                if len(row) > index and row[index].strip():
                    yield row[index].strip()
            return
        for line in handle:
            text = line.split("#", 1)[0].strip()
            if text:
                yield text


def _wallet_column(names: Sequence[str], file: Path) -> str:
    lowered = {n.lower(): n for n in names}
    for wanted in _WALLET_COLUMNS:
        if wanted in lowered:
            return lowered[wanted]
    if len(names) == 1:
        return names[0]
    raise InputError(
        f"wallets file {file}: no 'wallet' or 'address' column (columns: {', '.join(names)})"
    )


class _SeenWallets:
    """The wallets seen so far, 20 bytes each: a sorted NumPy array of digests plus a set of
    the latest few (merged into the array when it fills). A Python set of ``bytes`` costs about
    90 bytes a wallet (9 MB per 100,000); this, 20 bytes plus the recent set's bounded size."""

    #: digests kept in the Python set before they are merged into the sorted array
    RECENT = 65536

    def __init__(self) -> None:
        import numpy as np

        self._np = np
        self._sorted = np.empty(0, dtype="S20")
        self._recent: set[bytes] = set()

    def add(self, digest: bytes) -> bool:
        """Record ``digest`` (20 bytes); False when it was seen before."""
        if digest in self._recent:
            return False
        if self._sorted.size:
            key = self._np.array([digest], dtype="S20")  # compared as NumPy bytes on both sides
            at = int(self._np.searchsorted(self._sorted, key)[0])
            if at < self._sorted.size and self._sorted[at] == key[0]:
                return False
        self._recent.add(digest)
        if len(self._recent) >= self.RECENT:
            merged = self._np.concatenate(
                [self._sorted, self._np.array(list(self._recent), dtype="S20")]
            )
            merged.sort()
            self._sorted = merged
            self._recent = set()
        return True


class _Wallets:
    """The validated, de-duplicated wallets, re-readable (two passes: plan, then export)."""

    def __init__(self, wallets: Any) -> None:
        if isinstance(wallets, os.PathLike) or (
            isinstance(wallets, str) and not is_address(wallets)
        ):
            self.file: Path | None = Path(wallets)
            if not self.file.is_file():
                raise InputError(
                    f"wallets={os.fspath(wallets)!r}: not an address and not an existing file "
                    "(.csv with a 'wallet' column, .parquet, or one address per line)"
                )
            self.items: Sequence[str] | None = None
        elif isinstance(wallets, str):
            self.file, self.items = None, [wallets]
        elif isinstance(wallets, Iterable) and not isinstance(wallets, bytes | Mapping):
            self.file = None
            self.items = wallets if isinstance(wallets, Sequence) else list(wallets)
        else:
            raise InputError(
                f"wallets={wallets!r}: pass addresses, or the path of a .csv, .parquet or text file"
            )

    def __iter__(self) -> Iterator[str]:
        """Lowercase addresses, first occurrence only (20 bytes per wallet kept: _SeenWallets)."""
        source = read_wallets(self.file) if self.file is not None else iter(self.items or ())
        seen = _SeenWallets()
        for position, raw in enumerate(source):
            where = f"line/row {position + 1} of {self.file}" if self.file else None
            try:
                address = normalize_address(raw, what="wallet address", position=position)
            except InputError as error:
                raise InputError(f"{error} ({where})" if where else str(error)) from None
            if seen.add(bytes.fromhex(address[2:])):
                yield address

    def batches(self, size: int) -> Iterator[list[str]]:
        batch: list[str] = []
        for address in self:
            batch.append(address)
            if len(batch) == size:
                yield batch
                batch = []
        if batch:
            yield batch

    def fingerprint(self) -> tuple[str, int]:
        """SHA-256 of the wallet list and its length (one streaming pass)."""
        digest, count = hashlib.sha256(), 0
        for address in self:
            digest.update(address.encode("ascii"))
            count += 1
        if count == 0:
            raise InputError("no wallets given: the list (or file) holds no address")
        return digest.hexdigest(), count


# -- results --------------------------------------------------------------------------------


@dataclasses.dataclass
class ExportResult:
    """What an :func:`export` run did."""

    path: Path
    format: str
    loader: str
    batches: int  #: batches in the plan
    written: int  #: batches fetched and committed by this run
    skipped: int  #: batches already complete from an earlier run
    retried: int  #: batches re-run because an earlier run recorded failures for them
    rows: int  #: rows written by this run
    requests: int  #: requests the loaders made in this run (cache hits included)
    from_cache: int  #: of which answered from the HTTP cache
    failures: int  #: failed requests recorded in the failures table after this run
    wallets: int
    elapsed: float

    @property
    def complete(self) -> bool:
        """Every batch written and nothing left in the failures table."""
        return self.failures == 0

    def __str__(self) -> str:
        return (
            f"{self.loader} -> {self.path} ({self.format}): {self.batches} batch(es) of "
            f"{self.wallets} wallet(s); {self.written} written, {self.skipped} already done, "
            f"{self.retried} retried; {self.rows} row(s), {self.requests} request(s) "
            f"({self.from_cache} from cache), {self.failures} failure(s) recorded, "
            f"{self.elapsed:.1f} s"
        )


# -- the plan ---------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(_jsonable(v) for v in value)
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, dt.datetime | pd.Timestamp):
        return value.isoformat()
    return str(value)


@dataclasses.dataclass(frozen=True)
class _Plan:
    loader: str
    func: Callable[..., Any]
    args: dict[str, Any]
    batch_size: int
    format: str
    partition_by: tuple[str, ...]
    wallets_sha256: str
    wallets: int

    @property
    def batches(self) -> int:
        return -(-self.wallets // self.batch_size)

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.describe(), sort_keys=True).encode()).hexdigest()

    @property
    def app_id(self) -> str:
        return f"inchframe-export-{self.fingerprint[:24]}"

    def describe(self) -> dict[str, Any]:
        return {
            "loader": self.loader,
            "args": _jsonable(self.args),
            "batch_size": self.batch_size,
            "format": self.format,
            "partition_by": list(self.partition_by),
            "wallets_sha256": self.wallets_sha256,
            "wallets": self.wallets,
        }

    def call_args(self) -> dict[str, Any]:
        return pinned_args(self.func, self.args, self.wallets)


def pinned_args(func: Callable[..., Any], args: Mapping[str, Any], wallets: int) -> dict[str, Any]:
    """Loader arguments for a part of ``wallets``: as given, with the request path pinned so that
    a short part asks the same endpoint as the whole list would (one wallet would switch the
    Balance loaders from the aggregated endpoint to the one-wallet endpoints)."""
    pinned = dict(args)
    params = inspect.signature(func).parameters
    if (
        "method" in params
        and pinned.get("method", "auto") == "auto"
        and pinned.get("tokens") is None
        and wallets > 1
    ):
        pinned["method"] = "aggregated"
    return pinned


def _check_args(func: Callable[..., Any], name: str, args: dict[str, Any]) -> None:
    reserved = sorted(set(args) & set(_RESERVED))
    if "errors" in reserved:
        raise InputError(
            "errors= is not an export option: failures are written to the failures table "
            f"(<to>/{FAILURES_DIR}/) and retried by the next run"
        )
    if reserved:
        raise InputError(f"{', '.join(reserved)}= cannot be passed to export as loader arguments")
    params = inspect.signature(func).parameters
    first = next(iter(params))
    unknown = sorted(k for k in args if k not in params or k == first)
    if unknown:
        accepted = [p for p in params if p != first and p not in _RESERVED]
        raise InputError(
            f"{name}() takes no argument(s) {', '.join(unknown)}; accepted: {', '.join(accepted)}"
        )


def _check_batch_size(batch_size: Any) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise InputError(f"batch_size={batch_size!r}: expected a whole number >= 1")
    return batch_size


def _check_partition_by(partition_by: Any, schema: Any) -> tuple[str, ...]:
    if partition_by is None:
        return ()
    parts = [partition_by] if isinstance(partition_by, str) else list(partition_by)
    if not all(isinstance(p, str) for p in parts):
        raise InputError(f"partition_by={partition_by!r}: expected column names")
    if schema is not None:
        unknown = [p for p in parts if p not in schema.names]
        if unknown:
            raise InputError(
                f"partition_by: no column {', '.join(map(repr, unknown))} in the "
                f"{schema.name} frame (columns: {', '.join(schema.names)})"
            )
    return tuple(parts)


# -- the target -----------------------------------------------------------------------------


def _atomic_json(path: Path, value: Any) -> None:
    from .io import _fsync_dir, _tmp_sibling

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_sibling(path, "tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(value, handle, sort_keys=True, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)


def _prepare_target(target: Path, plan: _Plan, restart: bool) -> None:
    """Create ``target`` with the plan's manifest, or check that its manifest is this plan's."""
    from .io import clean_stale

    manifest_path = target / STATE_DIR / "manifest.json"
    if target.exists() and not target.is_dir():
        raise InputError(f"export target {target} exists and is not a directory")
    clean_stale(target)
    if manifest_path.exists():
        try:
            old = json.loads(manifest_path.read_text("utf-8"))
        except (OSError, ValueError) as error:
            raise InputError(
                f"{manifest_path} cannot be read ({error}); pass restart=True"
            ) from None
        if old.get("fingerprint") != plan.fingerprint:
            if not restart:
                before, now = old.get("plan", {}), plan.describe()
                diff = sorted(k for k in now.keys() | before.keys() if now.get(k) != before.get(k))
                raise InputError(
                    f"{target} holds an export with other arguments (differs in: "
                    f"{', '.join(diff) or 'fingerprint'}); use the same arguments to resume, "
                    "another target, or restart=True (--restart) to start over"
                )
            _remove_tree(target)
        elif restart:
            _remove_tree(target)
    elif target.exists() and any(p.name != STATE_DIR for p in target.iterdir()):
        # (a run killed while writing its manifest leaves only the state folder: not "busy")
        raise InputError(
            f"{target} is not empty and holds no inchframe export; choose an empty or new folder"
        )
    if not manifest_path.exists():
        target.mkdir(parents=True, exist_ok=True)
        _atomic_json(
            manifest_path,
            {
                "manifest_version": MANIFEST_VERSION,
                "inchframe_version": __version__,
                "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "fingerprint": plan.fingerprint,
                "app_id": plan.app_id,
                "batches": plan.batches,
                "plan": plan.describe(),
            },
        )


def _remove_tree(target: Path) -> None:
    """Remove an old export: renamed away first, so a kill leaves no half-deleted table."""
    from .io import _tmp_sibling

    doomed = _tmp_sibling(target, "old")
    os.replace(target, doomed)
    shutil.rmtree(doomed, ignore_errors=True)


def _failures_path(target: Path, batch: int) -> Path:
    return target / FAILURES_DIR / f"batch-{batch:06d}.parquet"


def read_failures(to: str | os.PathLike[str]) -> pd.DataFrame:
    """The failures table of an export: one row per failed request, with its ``export_batch``."""
    from ._loading import FAILURE_COLUMNS
    from .io import read_parquet

    folder = Path(to) / FAILURES_DIR
    files = sorted(folder.glob("batch-*.parquet")) if folder.is_dir() else []
    if not files:
        empty = pd.DataFrame(columns=[BATCH_COLUMN, *FAILURE_COLUMNS])
        return empty.astype({BATCH_COLUMN: "int64", "chain_id": "Int64", "status": "Int64"})
    return pd.concat([read_parquet(f) for f in files], ignore_index=True)


def _write_failures(target: Path, batch: int, failures: pd.DataFrame) -> None:
    from .io import _write_file

    path = _failures_path(target, batch)
    if failures.empty:
        if path.exists():
            path.unlink()
            from .io import _fsync_dir

            _fsync_dir(path.parent)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = failures.copy()
    frame.insert(0, BATCH_COLUMN, batch)
    _write_file(pa.Table.from_pandas(frame, preserve_index=False), path, "zstd")


# -- one batch ------------------------------------------------------------------------------


@dataclasses.dataclass
class _Fetched:
    batch: int
    frame: pd.DataFrame
    failures: pd.DataFrame
    requests: int
    from_cache: int
    wallets: int


def _fetch_batch(
    func: Callable[..., Any],
    batch: int,
    wallets: list[str],
    args: dict[str, Any],
    client: Any,
    schema: Any,
) -> _Fetched:
    """Run the loader on one batch (errors kept, not raised) and tag its rows."""
    from ._loading import failures_frame

    frame = func(wallets, **args, client=client, progress=False, errors="ignore")
    info = frame.attrs.get("inchframe", {})
    records = info.get("failures") or []
    if schema is not None:
        frame = schema.conform(frame)
    frame = frame.reset_index(drop=True)
    frame[BATCH_COLUMN] = pd.Series(batch, index=frame.index, dtype="int64")
    failures = (
        pd.DataFrame.from_records(records, columns=list(failures_frame([]).columns)).astype(
            {"chain_id": "Int64", "status": "Int64"}
        )
        if records
        else failures_frame([])
    )
    return _Fetched(
        batch,
        frame,
        failures,
        int(info.get("requests") or 0),
        int(info.get("requests_from_cache") or 0),
        len(wallets),
    )


def _batch_attrs(plan: _Plan, first: pd.DataFrame) -> dict[str, Any]:
    """Provenance shared by every batch (per-batch details go to the markers/commit info)."""
    info = dict(first.attrs.get("inchframe") or {})
    params = dict(info.get("params") or {})
    for key in ("wallets", "addresses"):
        if key in params:
            params[key] = f"{plan.wallets} wallet(s), sha256 {plan.wallets_sha256}"
    keep = ("library", "api", "api_version", "endpoint", "frame", "source", "base_url")
    attrs = {k: info[k] for k in keep if k in info}
    attrs.update(
        library_version=__version__,
        params=_jsonable(params),
        export={
            "loader": plan.loader,
            "fingerprint": plan.fingerprint,
            "batch_size": plan.batch_size,
            "batches": plan.batches,
            "wallets": plan.wallets,
            "batch_column": BATCH_COLUMN,
        },
    )
    return attrs


class _Writer:
    """Commits batches to one format; ``done()`` tells which are already there."""

    def __init__(self, target: Path, plan: _Plan) -> None:
        self.target = target
        self.plan = plan
        self.schema: pa.Schema | None = None
        self.attrs: dict[str, Any] | None = None

    def _table(self, fetched: _Fetched) -> pa.Table:
        from .io import _metadata, _to_table

        frame = fetched.frame
        if self.attrs is None:
            self.attrs = _batch_attrs(self.plan, frame)
        frame.attrs = {"inchframe": self.attrs}
        meta = _metadata(frame, list(self.plan.partition_by), None, _now())
        meta["export_batch"] = fetched.batch
        table = _to_table(frame, meta, preserve_index=False)
        if self.schema is None:
            self.schema = self._existing_schema() or table.schema
        try:
            table = table.cast(self.schema.remove_metadata()).replace_schema_metadata(
                table.schema.metadata
            )
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError) as error:
            raise InputError(
                f"batch {fetched.batch}: its columns do not match the table's ({error})"
            ) from None
        return table

    def _existing_schema(self) -> pa.Schema | None:
        return None

    def done(self) -> set[int]:
        raise NotImplementedError

    def commit(self, fetched: _Fetched, *, replace: bool) -> None:
        raise NotImplementedError


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


class _ParquetWriter(_Writer):
    """Hive dataset; idempotent per-batch files plus a marker per completed batch."""

    @property
    def markers(self) -> Path:
        return self.target / STATE_DIR / "done"

    def done(self) -> set[int]:
        if not self.markers.is_dir():
            return set()
        return {int(p.stem) for p in self.markers.glob("*.json") if p.stem.isdigit()}

    def _batch_files(self, batch: int) -> list[Path]:
        prefix = f"part-b{batch:06d}-"
        found = []
        for dirpath, dirnames, files in os.walk(self.target):
            dirnames[:] = [d for d in dirnames if not d.startswith((".", "_"))]
            found += [Path(dirpath, f) for f in files if f.startswith(prefix)]
        return found

    def commit(self, fetched: _Fetched, *, replace: bool) -> None:
        import pyarrow.dataset as ds

        from .io import _fsync_dir, _fsync_tree, _partition_schema, _tmp_sibling

        table = self._table(fetched)
        parts = list(self.plan.partition_by)
        staging = _tmp_sibling(self.target, "batch")
        try:
            if table.num_rows:
                part_schema = _partition_schema(table, parts) if parts else None
                ds.write_dataset(
                    table,
                    staging,
                    format="parquet",
                    file_options=ds.ParquetFileFormat().make_write_options(compression="zstd"),
                    partitioning=(
                        ds.partitioning(part_schema, flavor="hive") if part_schema else None
                    ),
                    basename_template=f"part-b{fetched.batch:06d}-{{i}}.parquet",
                    existing_data_behavior="error",
                )
                _fsync_tree(staging)
            if not replace:
                _write_failures(self.target, fetched.batch, fetched.failures)
                _stage("failures-written", fetched.batch)
            for old in self._batch_files(fetched.batch):  # a killed earlier attempt's files
                old.unlink()
            for file in sorted(staging.rglob("*.parquet")) if staging.exists() else []:
                dest = self.target / file.relative_to(staging)
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(file, dest)
                _fsync_dir(dest.parent)
                _stage("part-moved", fetched.batch)
            _atomic_json(
                self.markers / f"{fetched.batch:06d}.json",
                {
                    "batch": fetched.batch,
                    "rows": table.num_rows,
                    "wallets": fetched.wallets,
                    "failures": len(fetched.failures),
                    "written_at": _now(),
                },
            )
            _stage("committed", fetched.batch)
            if replace:
                _write_failures(self.target, fetched.batch, fetched.failures)
        finally:
            shutil.rmtree(staging, ignore_errors=True)


#: ``delta.checkpointInterval`` of the tables an export creates (deltalake's default is 100).
#: Each commit reloads the table's state from the last checkpoint plus the JSON commits after
#: it, so with 100 that replay grows to 99 commits (and the commit time with it) before every
#: checkpoint; with 10 it stays under 10 (measured, 400 commits of one 250-wallet batch:
#: 13 s instead of 33 s, and 25 MB less growth of the process). The checkpoints keep the
#: application transactions, so resuming reads the same last batch.
DELTA_CHECKPOINT_INTERVAL = 10


class _DeltaWriter(_Writer):
    """Delta Lake table: one commit per batch with an application transaction."""

    def _table_or_none(self) -> Any:
        from deltalake import DeltaTable

        if not (self.target / "_delta_log").is_dir():
            return None
        try:
            return DeltaTable(str(self.target))
        except Exception:  # a log folder without a first commit (killed while creating)
            return None

    def done(self) -> set[int]:
        table = self._table_or_none()
        if table is None:
            return set()
        version = table.transaction_version(self.plan.app_id)
        return set() if version is None else set(range(version + 1))

    def _existing_schema(self) -> pa.Schema | None:
        table = self._table_or_none()
        if table is None:
            return None
        return pa.schema(table.schema().to_arrow())

    def commit(self, fetched: _Fetched, *, replace: bool) -> None:
        from deltalake import CommitProperties, Transaction, write_deltalake

        table = self._table(fetched)
        meta = json.loads(table.schema.metadata[b"inchframe"])
        table = table.replace_schema_metadata(None)
        if not replace:
            _write_failures(self.target, fetched.batch, fetched.failures)
            _stage("failures-written", fetched.batch)
        properties = CommitProperties(
            custom_metadata={"inchframe": json.dumps(meta, sort_keys=True)},
            app_transactions=[Transaction(self.plan.app_id, fetched.batch)] if not replace else [],
        )
        kwargs: dict[str, Any] = {}
        if replace:
            kwargs = {"mode": "overwrite", "predicate": f"{BATCH_COLUMN} = {fetched.batch}"}
        else:
            kwargs = {"mode": "append"}
        write_deltalake(
            str(self.target),
            table,
            partition_by=list(self.plan.partition_by) or None,
            # used when this commit creates the table; an existing table keeps its own settings
            configuration={"delta.checkpointInterval": str(DELTA_CHECKPOINT_INTERVAL)},
            commit_properties=properties,
            **kwargs,
        )
        _stage("committed", fetched.batch)
        if replace:
            _write_failures(self.target, fetched.batch, fetched.failures)


# -- memory ---------------------------------------------------------------------------------

#: glibc malloc arenas an export process may use (``MALLOC_ARENA_MAX`` in the environment wins).
MALLOC_ARENAS = 2
_M_ARENA_MAX = -8  # glibc's mallopt parameter number (malloc.h)


def _glibc() -> Any:
    """The C library when it is glibc (mallopt, malloc_trim), else None."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # noqa: B018 - glibc only (not musl)
        return libc
    except (OSError, AttributeError):
        return None


def _bound_malloc_arenas() -> None:
    """Cap glibc's malloc arenas for this process (once, before the fetch threads run).

    glibc gives each new thread an arena, up to 8 per core; the loader's fetch threads each
    decode bodies of megabytes, and every arena keeps its high-water mark, so the process grew
    with the number of batches until every arena had held a large body (measured: 440 MB at
    batch 100 vs 330 MB with 2 arenas, 3,000 wallets x 3 chains). A process-wide setting:
    skipped when ``MALLOC_ARENA_MAX`` is set (glibc read it at start) and off glibc.
    """
    libc = _glibc()
    if libc is not None and "MALLOC_ARENA_MAX" not in os.environ:
        libc.mallopt(_M_ARENA_MAX, MALLOC_ARENAS)


def _release_memory() -> None:
    """After a batch: hand freed memory back to the system (Arrow's pool, glibc's heap)."""
    pa.default_memory_pool().release_unused()
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


# -- export ---------------------------------------------------------------------------------


def export(
    loader: str | Callable[..., Any],
    wallets: Any,
    to: str | os.PathLike[str],
    *,
    format: Format = "parquet",
    partition_by: Sequence[str] | str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    restart: bool = False,
    client: Any = None,
    progress: bool | None = None,
    scheduler: Any = None,
    **loader_args: Any,
) -> ExportResult:
    """Export ``loader`` over ``wallets`` to ``to``, batch by batch, exactly once.

    ``loader``: a loader that takes wallets, as the function or its name (``"balances"``,
    ``"portfolio.tokens_snapshot"``, ``"portfolio.v4.tokens_details"``; see
    :func:`export_loaders`). ``wallets``: addresses, or the path of a ``.csv`` (``wallet`` or
    ``address`` column), ``.parquet`` or text file (one per line). ``format``: ``"parquet"``
    (Hive dataset) or ``"delta"`` (Delta Lake table). ``partition_by``: frame columns
    (e.g. ``"chain_id"``). ``batch_size``: wallets per batch (memory is one batch's frame).
    ``loader_args`` go to the loader (``chain=``, ``spender=``, ``timestamp=``...).

    Run it again with the same arguments after a crash or a kill: completed batches are skipped,
    a half-written one is rewritten, and batches with recorded failures are retried. Other
    arguments into the same target raise :class:`~inchframe.errors.InputError` unless
    ``restart=True``. ``scheduler``: a ``distributed.Client`` to fetch batches on a Dask
    cluster (commits stay on this process, in batch order).
    """
    started = time.perf_counter()
    _bound_malloc_arenas()
    name, func = resolve_loader(loader)
    if format not in ("parquet", "delta"):
        raise InputError(f"format={format!r}: accepted values are 'parquet' and 'delta'")
    if not isinstance(restart, bool):
        raise InputError(f"restart={restart!r}: expected True or False")
    size = _check_batch_size(batch_size)
    schema = _frame_schema(name)
    parts = _check_partition_by(partition_by, schema)
    _check_args(func, name, loader_args)
    if scheduler is not None and not hasattr(scheduler, "submit"):
        raise InputError(f"scheduler={scheduler!r}: expected a distributed.Client or None")
    if format == "delta":
        try:
            import deltalake  # noqa: F401
        except ImportError:
            raise InputError(
                "format='delta' needs the deltalake package: pip install 'inchframe[delta]'"
            ) from None
    wallet_source = _Wallets(wallets)
    sha, count = wallet_source.fingerprint()
    plan = _Plan(name, func, dict(loader_args), size, format, parts, sha, count)
    args = plan.call_args()
    from ._loading import get_client

    client = get_client(client)
    first = next(wallet_source.batches(1))
    func(first, **args, client=client, plan=True)  # validates the loader arguments, sends nothing

    target = Path(to)
    _prepare_target(target, plan, restart)
    writer: _Writer = (
        _DeltaWriter(target, plan) if format == "delta" else _ParquetWriter(target, plan)
    )
    done = writer.done()
    failed = {
        int(p.stem.removeprefix("batch-"))
        for p in (target / FAILURES_DIR).glob("batch-*.parquet")
        if p.stem.removeprefix("batch-").isdigit()
    }
    result = ExportResult(target, format, name, plan.batches, 0, 0, 0, 0, 0, 0, 0, count, 0.0)
    bar = _Progress(progress, count, name)
    todo: Iterator[tuple[int, list[str], bool]] = (
        (k, batch, k in done)
        for k, batch in enumerate(wallet_source.batches(size))
        if k not in done or k in failed
    )

    def account(fetched: _Fetched, replace: bool) -> None:
        writer.commit(fetched, replace=replace)
        rows = len(fetched.frame)
        fetched.frame = fetched.failures = pd.DataFrame()  # this batch's memory can go now
        _release_memory()
        result.rows += rows
        result.requests += fetched.requests
        result.from_cache += fetched.from_cache
        result.retried += replace
        result.written += not replace
        bar.update(
            0 if replace else fetched.wallets,
            rows=result.rows,
            requests=result.requests,
            cached=result.from_cache,
        )

    result.skipped = len(done - failed)
    if done:
        last = plan.batches - 1
        skipped_wallets = sum(size if k < last else count - size * last for k in done)
        bar.update(skipped_wallets)
    try:
        if scheduler is None:
            for k, batch, replace in todo:
                fetched = _fetch_batch(func, k, batch, args, client, schema)
                _stage("batch-fetched", k)
                account(fetched, replace)
        else:
            _run_on_cluster(scheduler, todo, name, args, client, account)
    finally:
        bar.close()
    result.failures = len(read_failures(target))
    result.elapsed = time.perf_counter() - started
    return result


def _run_on_cluster(
    scheduler: Any,
    todo: Iterator[tuple[int, list[str], bool]],
    name: str,
    args: dict[str, Any],
    client: Any,
    account: Callable[[_Fetched, bool], None],
) -> None:
    """Fetch batches on Dask workers, a bounded number in flight; commit them here, in order."""
    from ._workers import client_config

    config = client_config(client)
    try:
        workers = max(1, len(scheduler.scheduler_info().get("workers", {})))
    except Exception:
        workers = 1
    window: deque[tuple[Any, bool]] = deque()
    for k, batch, replace in todo:
        window.append(
            (
                scheduler.submit(_remote_batch, name, k, batch, args, config, pure=False),
                replace,
            )
        )
        if len(window) >= 2 * workers:
            future, again = window.popleft()
            account(future.result(), again)
    while window:
        future, again = window.popleft()
        account(future.result(), again)


def _remote_batch(
    name: str, batch: int, wallets: list[str], args: dict[str, Any], config: WorkerConfig
) -> _Fetched:
    """One batch on a Dask worker, through the worker's client (same configuration)."""
    from ._workers import worker_client

    _, func = resolve_loader(name)
    return _fetch_batch(func, batch, wallets, args, worker_client(config), _frame_schema(name))


class _Progress:
    """A tqdm bar of wallets with rows, requests and cache hits (ETA from tqdm), or nothing."""

    def __init__(self, progress: bool | None, total: int, name: str) -> None:
        self._bar: Any = None
        if progress is not False:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, desc=f"export {name}", unit="wallet", leave=True)

    def update(self, wallets: int, **postfix: int) -> None:
        if self._bar is not None:
            if postfix:
                self._bar.set_postfix(postfix, refresh=False)
            self._bar.update(wallets)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
