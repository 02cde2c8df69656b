"""Parquet: lossless round trips, metadata without secrets, datasets, modes, crash safety."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

import inchframe
from inchframe.errors import InputError
from inchframe.io import METADATA_KEY, read_metadata, read_parquet, write_parquet

from . import frames as F

FAKE_KEY = "ifr-test-key-7d1f0c5e9a3b4e62b8c1"
REPO = Path(__file__).resolve().parents[2]
PARTS = ["snapshot_date", "chain_id"]
ROW_KEY = ["snapshot_date", "chain_id", "wallet", "token"]


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize("kind", sorted(F.ALL_KINDS))
def test_single_file_round_trip(tmp_path: Path, kind: str) -> None:
    df = F.ALL_KINDS[kind]()
    path = df.inch.to_parquet(tmp_path / f"{kind}.parquet")
    back = read_parquet(path)
    pd.testing.assert_frame_equal(back, df)
    assert back.attrs == df.attrs
    assert inchframe.read_parquet is read_parquet
    meta = read_metadata(path)
    assert meta["schema_version"] == 1
    assert meta["frame"]["name"] == df.attrs["inchframe"]["endpoint"]
    assert meta["attrs"]["api_version"] == df.attrs["inchframe"]["api_version"]
    assert pq.ParquetFile(path).metadata.row_group(0).column(0).compression == "ZSTD"


def test_raw_amounts_byte_exact_and_dtypes(tmp_path: Path) -> None:
    alw = F.allowances()
    alw.loc[len(alw)] = alw.iloc[0]
    alw.loc[len(alw) - 1, "allowance_raw"] = pd.NA
    alw.loc[len(alw) - 1, "decimals"] = pd.NA
    path = write_parquet(alw, tmp_path / "a.parquet")
    back = read_parquet(path)
    pd.testing.assert_frame_equal(back, alw)
    assert back.allowance_raw.iloc[0] == str(2**256 - 1) and len(back.allowance_raw.iloc[0]) == 78
    assert back.allowance_raw.isna().iloc[-1] and back.decimals.isna().iloc[-1]
    # readable without inchframe, as plain UTF-8 strings
    plain = pq.read_table(path).column("allowance_raw").to_pylist()
    assert plain[0] == str(2**256 - 1)
    tok = F.tokens_snapshot()
    back = read_parquet(write_parquet(tok, tmp_path / "t.parquet"))
    assert str(back.timestamp.dtype) == "datetime64[ns, UTC]"
    assert back.locked.dtype == "boolean" and back.is_debt.dtype == bool
    assert back.block_number_created.isna().all() and back.block_number_created.dtype == "Int64"


def test_filtered_index_is_kept(tmp_path: Path) -> None:
    df = F.balances()
    sub = df[df.chain_id == 8453]
    pd.testing.assert_frame_equal(read_parquet(write_parquet(sub, tmp_path / "s.parquet")), sub)


def test_no_secret_reaches_the_file(tmp_path: Path) -> None:
    df = F.tokens_snapshot()
    df.attrs["inchframe"]["params"]["api_key"] = FAKE_KEY
    df.attrs["inchframe"]["headers"] = {"Authorization": f"Bearer {FAKE_KEY}"}
    df.attrs["inchframe"]["base_url"] = f"https://api.1inch.dev/?apiKey={FAKE_KEY}"
    df.attrs["inchframe"]["note"] = f"Bearer {FAKE_KEY}"
    df.attrs["user"] = {"ApiKey": FAKE_KEY, "ok": "kept"}
    for path in (
        write_parquet(df, tmp_path / "f.parquet"),
        write_parquet(df, tmp_path / "ds", partition_by=["chain_id"]),
    ):
        for file in [path] if path.is_file() else _files(path):
            assert FAKE_KEY.encode() not in file.read_bytes(), file
        back = read_parquet(path)
        text = json.dumps(back.attrs)
        assert FAKE_KEY not in text
        assert back.attrs["user"] == {"ok": "kept"}
        assert back.attrs["inchframe"]["endpoint"] == "portfolio.v5.tokens_snapshot"
        assert "api_key" not in back.attrs["inchframe"]["params"]


def test_metadata_format(tmp_path: Path) -> None:
    df = F.balances()
    path = write_parquet(df, tmp_path / "b.parquet")
    raw = pq.read_schema(path).metadata[METADATA_KEY]
    meta = json.loads(raw)
    assert set(meta) == {"schema_version", "inchframe_version", "written_at", "frame", "attrs"}
    assert meta["inchframe_version"] == inchframe.__version__
    assert meta["frame"]["dtypes"]["balance_raw"] == "string[pyarrow]"
    assert meta["frame"]["dtypes"]["chain_id"] == "int64"
    assert meta["frame"]["columns"] == list(df.columns)
    assert meta["attrs"] == df.attrs["inchframe"]


def test_dataset_two_appends_read_everywhere(tmp_path: Path) -> None:
    root = tmp_path / "snapshots"
    day1 = F.tokens_snapshot().inch.with_snapshot_time("2026-05-01T12:00Z")
    day2 = F.tokens_snapshot().inch.with_snapshot_time("2026-05-02T12:00Z")
    day2.attrs["inchframe"]["fetched_at"] = "2026-05-02T12:00:00+00:00"
    day1.inch.to_parquet(root, partition_by=PARTS, mode="append")
    day2.inch.to_parquet(root, partition_by=PARTS, mode="append")
    assert all(not p.name.startswith((".", "_")) for p in _files(root))
    assert (root / "snapshot_date=2026-05-01" / "chain_id=1").is_dir()
    total = len(day1) + len(day2)

    back = read_parquet(root)
    expected = pd.concat([day1, day2], ignore_index=True).sort_values(ROW_KEY, ignore_index=True)
    pd.testing.assert_frame_equal(back.sort_values(ROW_KEY, ignore_index=True), expected)
    assert back.chain_id.dtype == "int64" and isinstance(back.snapshot_date.dtype, pd.StringDtype)
    assert back.attrs["inchframe"]["fetched_at"] == "2026-05-02T12:00:00+00:00"
    assert [b["fetched_at"] for b in back.attrs["inchframe"]["batches"]] == [
        "2026-05-01T12:00:00+00:00",
        "2026-05-02T12:00:00+00:00",
    ]

    assert ds.dataset(root, format="parquet", partitioning="hive").count_rows() == total
    import duckdb

    con = duckdb.connect()
    rows, days, raw_ok = con.sql(
        f"select count(*), count(distinct snapshot_date), "
        f"sum(value_usd) from read_parquet('{root}/**/*.parquet', hive_partitioning=true)"
    ).fetchall()[0]
    assert rows == total and days == 2
    assert raw_ok == pytest.approx(day1.value_usd.sum() + day2.value_usd.sum())


def test_dataset_readable_by_polars_and_dask(tmp_path: Path) -> None:
    root = tmp_path / "ds"
    df = F.balances().inch.with_snapshot_time()
    df.inch.to_parquet(root, partition_by=PARTS)
    pl = pytest.importorskip("polars")
    frame = pl.read_parquet(f"{root}/**/*.parquet", hive_partitioning=True)
    assert frame.height == len(df)
    assert sorted(frame["balance_raw"].to_list()) == sorted(df.balance_raw.tolist())
    dd = pytest.importorskip("dask.dataframe")
    assert len(dd.read_parquet(str(root), engine="pyarrow")) == len(df)


def test_filters_and_columns(tmp_path: Path) -> None:
    root = tmp_path / "ds"
    df = F.tokens_snapshot().inch.with_snapshot_time()
    df.inch.to_parquet(root, partition_by=PARTS)
    eth = read_parquet(root, filters=[("chain_id", "=", 1)])
    assert set(eth.chain_id) == {1} and len(eth) == (df.chain_id == 1).sum()
    assert eth.chain_id.dtype == "int64"
    cols = read_parquet(
        root, columns=["wallet", "value_usd", "chain_id"], filters=ds.field("chain_id") == 8453
    )
    assert list(cols.columns) == ["wallet", "value_usd", "chain_id"]
    assert cols.value_usd.sum() == pytest.approx(df[df.chain_id == 8453].value_usd.sum())
    single = write_parquet(df, tmp_path / "one.parquet")
    assert (
        len(read_parquet(single, filters=[("symbol", "=", "USDC")])) == (df.symbol == "USDC").sum()
    )


def test_nullable_partition_column(tmp_path: Path) -> None:
    chart = F.chart()  # chain_id is Int64 and all NA (all chains)
    root = write_parquet(chart, tmp_path / "chart", partition_by=["chain_id", "wallet"])
    back = read_parquet(root).sort_values(["wallet", "timestamp"], ignore_index=True)
    pd.testing.assert_frame_equal(
        back, chart.sort_values(["wallet", "timestamp"], ignore_index=True)
    )


def test_overwrite_and_modes(tmp_path: Path) -> None:
    root = tmp_path / "ds"
    bal = F.balances()
    write_parquet(bal, root, partition_by=["chain_id"])
    write_parquet(bal.head(5), root, partition_by=["chain_id"])  # overwrite (default)
    assert len(read_parquet(root)) == 5
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    with pytest.raises(FileExistsError):
        write_parquet(bal, root, partition_by=["chain_id"], mode="error")
    with pytest.raises(InputError, match="append"):
        write_parquet(bal, tmp_path / "f.parquet", mode="append")
    with pytest.raises(InputError, match="partitioned by"):
        write_parquet(bal, root, partition_by=["wallet"], mode="append")
    with pytest.raises(InputError, match="balance"):
        write_parquet(bal.drop(columns="balance"), root, partition_by=["chain_id"], mode="append")
    with pytest.raises(InputError, match="mode"):
        write_parquet(bal, root, mode="upsert")  # type: ignore[arg-type]
    file = write_parquet(bal, tmp_path / "f.parquet")
    with pytest.raises(FileExistsError):
        write_parquet(bal, file, mode="error")
    write_parquet(bal.head(2), file)
    assert len(read_parquet(file)) == 2
    # an unpartitioned dataset: a directory of part files
    flat = write_parquet(bal, f"{tmp_path}/flat/", mode="append")
    write_parquet(bal, flat, mode="append")
    assert len(read_parquet(flat)) == 2 * len(bal)


def test_readers_skip_hidden_and_underscore_files(tmp_path: Path) -> None:
    """pyarrow skips '.' and '_' names; DuckDB's glob does NOT, which is why inchframe stages
    outside the dataset directory (a sibling) rather than under a hidden name inside it."""
    root = tmp_path / "ds"
    df = F.balances()
    write_parquet(df, root, partition_by=["chain_id"])
    (root / "chain_id=1" / ".part-tmp.parquet").write_bytes(b"half-written")
    (root / "chain_id=1" / "_part-tmp.parquet").write_bytes(b"half-written")
    assert ds.dataset(root, partitioning="hive").count_rows() == len(df)
    assert len(read_parquet(root)) == len(df)
    import duckdb

    with pytest.raises(duckdb.Error):
        duckdb.sql(f"select count(*) from read_parquet('{root}/**/*.parquet')").fetchall()


# -- crash safety ---------------------------------------------------------------------------

_WRITER = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, {repo!r})
    import pandas as pd
    import inchframe.accessor
    import inchframe.io as io
    from tests.accessor import frames as F
    stage, target, partitioned = {stage!r}, {target!r}, {partitioned!r}
    def hook(name):
        if name == stage:
            os.kill(os.getpid(), signal.SIGKILL)
    io._stage_hook = hook
    df = F.tokens_snapshot().inch.with_snapshot_time("2026-05-09T00:00Z")
    if partitioned:
        io.write_parquet(df, target, partition_by=["snapshot_date", "chain_id"],
                         mode={mode!r})
    else:
        io.write_parquet(df.head(3), target)
    print("not killed")
""")


def _run_killed(stage: str, target: Path, *, partitioned: bool, mode: str = "append") -> None:
    code = _WRITER.format(
        repo=str(REPO), stage=stage, target=str(target), partitioned=partitioned, mode=mode
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr


def test_killed_before_replace_keeps_old_file(tmp_path: Path) -> None:
    path = tmp_path / "bal.parquet"
    old = F.tokens_snapshot()
    write_parquet(old, path)
    _run_killed("before-replace", path, partitioned=False)
    pd.testing.assert_frame_equal(read_parquet(path), old)
    leftovers = [p.name for p in tmp_path.iterdir() if p != path]
    assert leftovers and all(n.startswith(".") and not n.endswith(".parquet") for n in leftovers)


def test_replace_partitions_replaces_only_what_the_batch_holds(tmp_path: Path) -> None:
    root = tmp_path / "snapshots"
    day1 = F.tokens_snapshot().inch.with_snapshot_time("2026-05-01T12:00Z")
    day2 = F.tokens_snapshot().inch.with_snapshot_time("2026-05-02T12:00Z")
    chains = sorted(day2["chain_id"].unique())
    assert len(chains) >= 2
    day1.inch.to_parquet(root, partition_by=PARTS, mode="replace_partitions")  # a new dataset
    day2.inch.to_parquet(root, partition_by=PARTS, mode="append")
    # day 2 taken again, one chain only and with its values changed
    again = day2[day2["chain_id"] == chains[0]].reset_index(drop=True)
    again["value_usd"] = again["value_usd"] * 2
    again.inch.to_parquet(root, partition_by=PARTS, mode="replace_partitions")

    back = read_parquet(root)
    assert not back.duplicated(ROW_KEY).any()
    assert len(back) == len(day1) + len(day2)
    first = chains[0]
    got = back[(back.snapshot_date == "2026-05-02") & (back.chain_id == first)]
    assert sorted(got.value_usd) == sorted(again.value_usd)
    kept = back[(back.snapshot_date == "2026-05-02") & (back.chain_id != first)]
    assert len(kept) == (day2.chain_id != first).sum()  # chains the re-run did not fetch stay
    assert len(back[back.snapshot_date == "2026-05-01"]) == len(day1)
    assert all(not p.name.startswith((".", "_")) for p in _files(root))
    assert not [p for p in tmp_path.rglob(".*")]  # no staging or old directory left behind
    with pytest.raises(InputError, match="needs a dataset"):
        day1.inch.to_parquet(tmp_path / "one.parquet", mode="replace_partitions")
    changed = again.astype({"value_usd": "string"})
    with pytest.raises(InputError, match="value_usd"):
        changed.inch.to_parquet(root, partition_by=PARTS, mode="replace_partitions")


def test_killed_mid_append_leaves_dataset_readable(tmp_path: Path) -> None:
    root = tmp_path / "ds"
    old = F.tokens_snapshot().inch.with_snapshot_time("2026-05-01T00:00Z")
    write_parquet(old, root, partition_by=PARTS)
    _run_killed("dataset-staged", root, partitioned=True)
    pd.testing.assert_frame_equal(
        read_parquet(root).sort_values(ROW_KEY, ignore_index=True),
        old.sort_values(ROW_KEY, ignore_index=True),
    )
    _run_killed("part-moved", root, partitioned=True)  # after the first of 4 new part files
    back = read_parquet(root)
    assert len(back) > len(old)
    new = back[back.snapshot_date == "2026-05-09"]
    assert new.chain_id.nunique() == 1  # one complete part file of the batch, no partial file
    import duckdb

    count = duckdb.sql(
        f"select count(*) from read_parquet('{root}/**/*.parquet', hive_partitioning=true)"
    ).fetchall()[0][0]
    assert count == len(back)


def test_killed_before_swap_keeps_old_dataset(tmp_path: Path) -> None:
    root = tmp_path / "ds"
    old = F.tokens_snapshot().inch.with_snapshot_time("2026-05-01T00:00Z")
    write_parquet(old, root, partition_by=PARTS)
    _run_killed("before-swap", root, partitioned=True, mode="overwrite")
    assert len(read_parquet(root)) == len(old)


def test_killed_at_random_moments_never_corrupts(tmp_path: Path) -> None:
    """A writer overwriting a large file in a loop is SIGKILLed at an arbitrary moment."""
    path = tmp_path / "big.parquet"
    ready = tmp_path / "ready"
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(REPO)!r})
        import numpy as np, pandas as pd
        from inchframe.io import write_parquet
        n = 400_000
        df = pd.DataFrame({{
            "chain_id": np.ones(n, dtype="int64"),
            "wallet": pd.array(["0x" + "ab" * 20] * n, dtype=pd.StringDtype("pyarrow")),
            "balance_raw": pd.array([str(2**256 - 1 - i) for i in range(n)],
                                    dtype=pd.StringDtype("pyarrow")),
        }})
        i = 0
        while True:
            write_parquet(df.assign(chain_id=i), {str(path)!r}, compression="none")
            open({str(ready)!r}, "w").write(str(i))
            i += 1
    """)
    for delay in (0.05, 0.23):
        proc = subprocess.Popen([sys.executable, "-c", code])
        try:
            deadline = time.monotonic() + 60
            while not ready.exists() and time.monotonic() < deadline:
                time.sleep(0.02)
            assert ready.exists()
            time.sleep(delay)
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        back = read_parquet(path, columns=["chain_id", "balance_raw"])
        assert len(back) == 400_000 and back.chain_id.nunique() == 1
        assert back.balance_raw.iloc[0] == str(2**256 - 1)
        ready.unlink()


def test_timestamps_stored_as_microseconds_when_lossless(tmp_path: Path) -> None:
    tok = F.tokens_snapshot()
    path = write_parquet(tok, tmp_path / "t.parquet")
    assert str(pq.read_schema(path).field("timestamp").type) == "timestamp[us, tz=UTC]"
    precise = tok.assign(timestamp=tok.timestamp + pd.Timedelta(1, "ns"))
    path = write_parquet(precise, tmp_path / "p.parquet")
    assert str(pq.read_schema(path).field("timestamp").type) == "timestamp[ns, tz=UTC]"
    pd.testing.assert_frame_equal(read_parquet(path), precise)


def test_what_a_killed_writer_leaves_is_removed_by_the_next_write(tmp_path: Path) -> None:
    """Real SIGKILLs (not made-up names): mid-append and mid-replace_partitions each leave a
    hidden staging sibling; the next write to the same target removes it, and a rerun of the
    killed replace_partitions ends with each partition once (no mix, no doubles)."""
    root = tmp_path / "ds"
    old = F.tokens_snapshot().inch.with_snapshot_time("2026-05-01T00:00Z")
    write_parquet(old, root, partition_by=PARTS)

    def staging() -> list[str]:
        return sorted(p.name for p in tmp_path.rglob(".*inchframe-*"))

    _run_killed("part-moved", root, partitioned=True)  # append killed after one part file
    left = staging()
    assert left and all(n.startswith(".ds.inchframe-new-") for n in left)
    _run_killed("partition-replaced", root, partitioned=True, mode="replace_partitions")
    assert len(staging()) == 1  # the append's leftover went; this run's is there now
    assert staging() != left

    new = F.tokens_snapshot().inch.with_snapshot_time("2026-05-09T00:00Z")
    write_parquet(new, root, partition_by=PARTS, mode="replace_partitions")  # the rerun
    assert staging() == []
    back = read_parquet(root)
    assert not back.duplicated(ROW_KEY).any()
    assert len(back) == len(old) + len(new)
