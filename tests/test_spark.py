"""pyspark (local mode) reads the Hive Parquet datasets inchframe writes, uint256 strings exact.

Delta through Spark needs the delta-spark package (and its jars), which is not installed here:
that case is skipped with the reason (docs/export.md says so)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import inchframe

from .accessor import frames as F

pytestmark = pytest.mark.slow  # a JVM starts: 30-80 s on a busy 2-core machine


def _java() -> str | None:
    java = shutil.which("java")
    if java is None:
        return None
    try:
        subprocess.run([java, "-version"], capture_output=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return java


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    pytest.importorskip("pyspark", reason="pyspark is not installed")
    if _java() is None:
        pytest.skip("Spark needs Java (a JRE 17+ on PATH); none found")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[1]")
        .appName("inchframe-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()


def test_spark_reads_a_hive_dataset(spark: Any, tmp_path: Path) -> None:
    alw = F.allowances()
    snap = F.tokens_snapshot()
    alw.inch.to_parquet(tmp_path / "allowances", partition_by="chain_id")
    snap.inch.to_parquet(tmp_path / "snap", partition_by=["chain_id"])
    snap.inch.to_parquet(tmp_path / "snap", partition_by=["chain_id"], mode="append")

    # the recipe of docs/export.md, as written there
    df = spark.read.parquet(str(tmp_path / "allowances"))
    rows = {(r.chain_id, r.wallet, r.token): r.allowance_raw for r in df.collect()}
    want = {(int(r.chain_id), r.wallet, r.token): r.allowance_raw for r in alw.itertuples()}
    assert rows == want  # every 78-digit string exact, partition column typed back
    assert dict(df.dtypes)["allowance_raw"] == "string"
    assert dict(df.dtypes)["chain_id"] in ("int", "bigint")
    assert str(2**256 - 1) in rows.values()

    counts = spark.read.parquet(str(tmp_path / "snap")).groupBy("chain_id").count().collect()
    assert {r.chain_id: r["count"] for r in counts} == {
        int(k): 2 * v for k, v in snap.chain_id.value_counts().items()
    }
    ts = spark.read.parquet(str(tmp_path / "snap")).select("timestamp").first()[0]
    assert ts is not None  # TIMESTAMP(MICROS), which Spark reads (nanoseconds it cannot)


def test_spark_reads_an_export(spark: Any, client: Any, tmp_path: Path) -> None:

    wallets = [f"0x{i:040x}" for i in range(1, 9)]
    inchframe.export(
        "balances",
        wallets,
        tmp_path / "out",
        chain=[1, 8453],
        batch_size=3,
        partition_by="chain_id",
        client=client,
        progress=False,
    )
    ours = inchframe.read_parquet(tmp_path / "out")
    df = spark.read.parquet(str(tmp_path / "out"))
    got = sorted(
        (r.chain_id, r.wallet, r.token, r.balance_raw, r.export_batch) for r in df.collect()
    )
    want = sorted(
        (int(r.chain_id), r.wallet, r.token, r.balance_raw, int(r.export_batch))
        for r in ours.itertuples()
    )
    assert got == want  # _failures/ and _inchframe_export/ are skipped, as by pyarrow


def test_delta_through_spark_needs_delta_spark() -> None:
    try:
        import delta  # noqa: F401  (the delta-spark package)
    except ImportError:
        pytest.skip("delta-spark is not installed (and its jars cannot be fetched offline)")
    pytest.skip("delta-spark found, but its jars must match the Spark version: not tested here")
