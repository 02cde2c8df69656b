"""Export at research scale: ``inchframe export balances`` of N wallets x 3 chains to Delta.

Everything runs in separate processes on 127.0.0.1: the sandbox (no rate limit) in one, each
export in another. Its peak RSS is the kernel's high-water mark of the export process itself
(``VmHWM`` in ``/proc/self/status``, written by the child as it exits: :func:`child`).
Not ``wait4``'s ``ru_maxrss``: Linux carries the high-water mark of the process that called
``exec`` over into the new program's ``ru_maxrss``, and ``subprocess`` starts children with
``vfork``, so every child's ``ru_maxrss`` was at least this harness's own peak (about 1 GB once
it had compared the 10,000-wallet tables). That is what read as "964 MB at 100,000 wallets".

Rows, per N:

- peak RSS of the export process (target <= 500 MB), rows/s (information);
- SIGKILL and resume: a second export into another table (same cache: warm at 10,000 wallets;
  at 100,000 the first run's entries, 5 minutes by default, have expired), killed with SIGKILL
  as soon as 40% of the batches are committed, then run again with the same command; the resumed
  table must hold exactly the uninterrupted table's rows, read through deltalake (its own
  engine, ``QueryBuilder``) and through pyarrow (the files the log names), compared as
  multisets of whole rows with DuckDB both ways: no duplicate, no gap;
- flatness: peak RSS at the largest N within 20% of the peak at 10,000 (``--full``).

Batches of 250 wallets (``inchframe.export``'s default).
Quick mode (the default here) uses N = 1,000; ``--full`` runs 10,000 and 100,000.
``python -m benchmarks.bench_export [--full] [--n 10000 30000] [--batch-size 1000]``
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ._harness import Options, Result, check

NAME = "export"
CHAINS = ("1", "8453", "42161")
REPO = Path(__file__).resolve().parents[1]
#: inchframe.export's default; 40 batches at 10,000 wallets, 400 at 100,000
BATCH_SIZE = 250


def _env(cache: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "INCHFRAME_CACHE_DIR": str(cache)}
    env["INCHFRAME_API_KEY"] = "bench-export-key"
    for name in ("INCHFRAME_BASE_URL", "INCHFRAME_SANDBOX", "INCHFRAME_OFFLINE"):
        env.pop(name, None)
    return env


def _start_sandbox() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "inchframe.sandbox", "--port", "0", "--seed", "1"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    if not url.startswith("http://"):
        proc.kill()
        raise RuntimeError(f"the sandbox did not start: {url!r}")
    return proc, url


#: Environment variable naming the file where :func:`child` writes its peak RSS.
PEAK_FILE = "INCHFRAME_BENCH_PEAK_FILE"


def _vm_hwm() -> int | None:
    """This process's peak RSS in bytes (``VmHWM``: since its ``exec``, not inherited), or None
    off Linux."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def child(argv: list[str]) -> int:
    """The export child: the ``inchframe`` command line (as ``python -m inchframe``) with
    ``argv``, then its own peak RSS written to the file named by :data:`PEAK_FILE` (also after
    an error; not after SIGKILL)."""
    from _inchframe_cli import main as cli_main

    try:
        return cli_main(argv)
    finally:
        peak = _vm_hwm()
        where = os.environ.get(PEAK_FILE)
        if where and peak is not None:
            Path(where).write_text(str(peak))


def _command(url: str, wallets: Path, to: Path, batch_size: int) -> list[str]:
    return [
        sys.executable,
        "-c",
        "import sys; from benchmarks.bench_export import child; sys.exit(child(sys.argv[1:]))",
        "export",
        "balances",
        "--wallets",
        str(wallets),
        "--to",
        str(to),
        "--format",
        "delta",
        "--chain",
        *CHAINS,
        "--batch-size",
        str(batch_size),
        "--base-url",
        url,
        "--rate",
        "10000",
        "--no-progress",
    ]


def _commits(table: Path) -> int:
    log = table / "_delta_log"
    return len(list(log.glob("*.json"))) if log.is_dir() else 0


def _run(
    cmd: list[str], env: dict[str, str], kill_at: tuple[Path, int] | None = None
) -> dict[str, Any]:
    """Run ``cmd``; its exit status, wall time, peak RSS (bytes, the child's own ``VmHWM``; not
    written by a killed child) and stdout.

    ``kill_at=(table, n)``: SIGKILL the process as soon as the Delta table has ``n`` commits
    (it is then fetching or writing the next batch)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryDirectory() as scratch:
        peak_file = Path(scratch, "peak")
        env = {**env, PEAK_FILE: str(peak_file)}
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.DEVNULL, text=True)
        reaped = None
        if kill_at is not None:  # poll with wait4 (not Popen.poll, which would reap it)
            table, commits = kill_at
            while _commits(table) < commits:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    reaped = (pid, status, usage)
                    break
                time.sleep(0.01)
            if reaped is None:
                os.kill(proc.pid, signal.SIGKILL)
        _, status, usage = reaped or os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.perf_counter() - started
        out.seek(0)
        text = out.read()
        # off Linux (no VmHWM) the child writes nothing: wait4's figure, with its caveat
        peak = int(peak_file.read_text()) if peak_file.exists() else usage.ru_maxrss * 1024
    return {
        "code": proc.returncode,
        "seconds": elapsed,
        "peak_rss": peak,
        # includes this harness's own high-water mark (see the module docstring): kept to show it
        "wait4_maxrss": usage.ru_maxrss * 1024,
        "stdout": text.strip(),
    }


def _rows_of(stdout: str) -> int:
    # "... ; 123 row(s), 45 request(s) ..."
    for part in stdout.replace(";", ",").split(","):
        part = part.strip()
        if part.endswith("row(s)"):
            return int(part.split()[0])
    return 0


READERS = ("deltalake", "pyarrow")


def _read_table(path: Path, reader: str) -> Any:
    """The Delta table's current rows as an Arrow table, read by ``reader``: deltalake's own
    engine (``QueryBuilder``, DataFusion), or pyarrow over the files the log names."""
    import pyarrow as pa
    import pyarrow.dataset as ds
    from deltalake import DeltaTable, QueryBuilder

    table = DeltaTable(str(path))
    if reader == "deltalake":
        return pa.table(QueryBuilder().register("t", table).execute("SELECT * FROM t").read_all())
    return ds.dataset(table.file_uris(), format="parquet").to_table()


def _compare(a: Path, b: Path) -> dict[str, int]:
    """Per reader: row counts of two Delta tables, duplicates in the second, and the rows of each
    missing from the other (multisets of whole rows, DuckDB's EXCEPT ALL)."""
    import duckdb

    found: dict[str, int] = {}
    for reader in READERS:
        con = duckdb.connect()
        con.register("ta", _read_table(a, reader))
        con.register("tb", _read_table(b, reader))

        def one(sql: str, con: Any = con) -> Any:
            return con.execute(sql).fetchall()[0][0]

        found.update(
            {
                f"rows_uninterrupted_{reader}": one("SELECT count(*) FROM ta"),
                f"rows_resumed_{reader}": one("SELECT count(*) FROM tb"),
                f"duplicates_resumed_{reader}": one(
                    "SELECT count(*) - count(DISTINCT (chain_id, wallet, token)) FROM tb"
                ),
                f"missing_from_resumed_{reader}": one(
                    "SELECT count(*) FROM (SELECT * FROM ta EXCEPT ALL SELECT * FROM tb)"
                ),
                f"extra_in_resumed_{reader}": one(
                    "SELECT count(*) FROM (SELECT * FROM tb EXCEPT ALL SELECT * FROM ta)"
                ),
            }
        )
        con.close()
    for what in ("rows_uninterrupted", "rows_resumed"):  # the readers agree
        found[what] = found[f"{what}_deltalake"]
        if found[f"{what}_pyarrow"] != found[what]:
            found[what] = -1
    for what in ("duplicates_resumed", "missing_from_resumed", "extra_in_resumed"):
        found[what] = max(found[f"{what}_{reader}"] for reader in READERS)
    return found


def _mb(value: int) -> float:
    return round(value / 2**20, 1)


def measure(n: int, url: str, root: Path, batch_size: int) -> dict[str, Any]:
    """One N: an uninterrupted export (cold cache), then a killed one resumed (same cache,
    whatever of it has not expired)."""
    rng = random.Random(n)
    wallets = root / f"wallets-{n}.txt"
    with open(wallets, "w") as handle:
        for _ in range(n):
            handle.write(f"0x{rng.getrandbits(160):040x}\n")
    env = _env(root / f"cache-{n}")
    full = _run(_command(url, wallets, root / f"full-{n}", batch_size), env)
    if full["code"] != 0:
        raise RuntimeError(f"export of {n} wallets failed: {full['stdout']}")
    resumed_to = root / f"resumed-{n}"
    batches = -(-n // batch_size)
    killed = _run(
        _command(url, wallets, resumed_to, batch_size),
        env,
        kill_at=(resumed_to, max(1, int(0.4 * batches))),
    )
    again = _run(_command(url, wallets, resumed_to, batch_size), env)
    rows = _rows_of(full["stdout"])
    report = {
        "wallets": n,
        "chains": len(CHAINS),
        "batch_size": batch_size,
        "rows": rows,
        "seconds": round(full["seconds"], 1),
        "rows_per_second": round(rows / full["seconds"]),
        "peak_rss_mb": _mb(full["peak_rss"]),
        "wait4_maxrss_mb": _mb(full["wait4_maxrss"]),
        "killed_exit": killed["code"],
        "killed_after_s": round(killed["seconds"], 1),
        "resume_exit": again["code"],
        "resume_seconds": round(again["seconds"], 1),
        "resume_peak_rss_mb": _mb(again["peak_rss"]),
        "resume_output": again["stdout"],
        **_compare(root / f"full-{n}", resumed_to),
    }
    report["exactly_once"] = (
        report["killed_exit"] == -signal.SIGKILL
        and report["resume_exit"] == 0
        and report["rows_uninterrupted"] == report["rows_resumed"] > 0
        and report["missing_from_resumed"] == 0
        and report["extra_in_resumed"] == 0
        and report["duplicates_resumed"] == 0
    )
    return report


def measure_all(sizes: list[int], batch_size: int, keep: Path | None = None) -> list[dict]:
    root = keep or Path(tempfile.mkdtemp(prefix="inchframe-bench-export-"))
    sandbox, url = _start_sandbox()
    try:
        reports = []
        for n in sizes:
            reports.append(measure(n, url, root, batch_size))
            print(json.dumps(reports[-1]), flush=True)  # kept even if a larger N fails
        return reports
    finally:
        sandbox.terminate()
        sandbox.wait(10)
        if keep is None:
            shutil.rmtree(root, ignore_errors=True)


def results(reports: list[dict]) -> list[Result]:
    rows: list[Result] = []
    for r in reports:
        n = f"{r['wallets']:,} wallets x {r['chains']} chains"
        rows.append(
            Result(
                NAME,
                f"export to Delta, {n}: peak RSS",
                r["peak_rss_mb"],
                None,
                "MB",
                r["peak_rss_mb"],
                "≤ 500",
                check(r["peak_rss_mb"], "≤ 500"),
                f"{r['rows']:,} rows in {r['seconds']} s, batch {r['batch_size']}",
                extra=r,
            )
        )
        rows.append(
            Result(
                NAME,
                f"export to Delta, {n}: rows/s",
                r["rows_per_second"],
                None,
                "rows/s",
                None,
                "",
                None,
                "cold cache, sandbox in another process",
            )
        )
        rows.append(
            Result(
                NAME,
                f"export to Delta, {n}: SIGKILL at 40% of the batches, resume",
                float(r["exactly_once"]),
                None,
                "exactly once",
                None,
                "",
                bool(r["exactly_once"]),
                f"{r['rows_resumed']:,} rows resumed vs {r['rows_uninterrupted']:,}; "
                f"missing {r['missing_from_resumed']}, extra {r['extra_in_resumed']}, "
                f"duplicates {r['duplicates_resumed']} (read through deltalake and through "
                f"pyarrow); killed after {r['killed_after_s']} s, resumed in "
                f"{r['resume_seconds']} s",
            )
        )
    base = next((r for r in reports if r["wallets"] == 10_000), None)
    largest = max(reports, key=lambda r: r["wallets"])
    if base is not None and largest is not base:
        ratio = largest["peak_rss_mb"] / base["peak_rss_mb"]
        rows.append(
            Result(
                NAME,
                f"peak RSS {largest['wallets']:,} / 10,000 wallets",
                round(ratio, 3),
                base["peak_rss_mb"],
                "x",
                round(ratio, 3),
                "≤ 1.2",
                check(ratio, "≤ 1.2"),
                "memory independent of the number of wallets",
            )
        )
    return rows


def run(options: Options) -> list[Result]:
    """The benchmark runner's entry point (quick: 1,000 wallets; else 10,000 and 100,000)."""
    sizes = [1_000] if options.quick else [10_000, 100_000]
    return results(measure_all(sizes, BATCH_SIZE))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_export")
    parser.add_argument("--full", action="store_true", help="N = 10,000 and 100,000")
    parser.add_argument("--n", type=int, nargs="+", help="wallet counts (overrides the modes)")
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    parser.add_argument("--json", help="also write the reports to this JSON file")
    args = parser.parse_args(argv)
    sizes = args.n or ([10_000, 100_000] if args.full else [1_000])
    reports = measure_all(sizes, args.batch_size)
    for row in results(reports):
        verdict = {True: "met", False: "MISSED", None: "info"}[row.met]
        print(
            f"{row.benchmark:60s} {row.measured:>12,.1f} {row.unit:12s} {row.target:7s} "
            f"{verdict:6s} {row.note}"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(reports, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
