"""Delta Lake: df.inch.to_delta / inchframe.read_delta round trips (dtypes, exact uint256
strings, provenance without secrets), the modes, and the cleanup of killed Parquet writers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from deltalake import DeltaTable

import inchframe
from inchframe.errors import InputError
from inchframe.io import clean_stale, read_delta, write_delta, write_parquet

from .accessor import frames as F

SECRET = "ifr-test-key-7d1f0c5e9a3b4e62b8c1"


@pytest.mark.parametrize("kind", sorted(F.ALL_KINDS))
def test_round_trip_every_kind(tmp_path: Path, kind: str) -> None:
    df = F.ALL_KINDS[kind]()
    path = df.inch.to_delta(tmp_path / kind)
    back = read_delta(path)
    assert back.attrs == df.attrs
    columns = list(df.columns)  # Delta keeps no row order: compare sorted
    pd.testing.assert_frame_equal(
        back.sort_values(columns).reset_index(drop=True),
        df.sort_values(columns).reset_index(drop=True),
    )
    assert inchframe.read_delta is read_delta


def test_uint256_exact_and_nulls(tmp_path: Path) -> None:
    alw = F.allowances()
    alw.loc[len(alw)] = alw.iloc[0]
    alw.loc[len(alw) - 1, "allowance_raw"] = pd.NA
    alw.loc[len(alw) - 1, "decimals"] = pd.NA
    write_delta(alw, tmp_path / "t", partition_by="chain_id")
    back = read_delta(tmp_path / "t")
    assert back["allowance_raw"].isna().sum() == 1 and back["decimals"].isna().sum() == 1
    assert sorted(back["allowance_raw"].dropna()) == sorted(alw["allowance_raw"].dropna())
    assert back.dtypes.to_dict() == alw.dtypes.to_dict()
    assert str(2**256 - 1) in set(back["allowance_raw"].dropna())
    # read without inchframe: plain strings, the 78 digits intact
    raw = DeltaTable(str(tmp_path / "t")).to_pyarrow_table().column("allowance_raw").to_pylist()
    assert str(2**256 - 1) in raw


def test_modes(tmp_path: Path) -> None:
    bal = F.balances()
    path = tmp_path / "bal"
    write_delta(bal, path, partition_by="chain_id")
    write_delta(bal, path)  # append: the table's partitioning is kept
    assert len(read_delta(path)) == 2 * len(bal)
    assert DeltaTable(str(path)).metadata().partition_columns == ["chain_id"]
    # replace_partitions: chain 1 rewritten from the frame, other chains untouched
    one = bal[bal.chain_id == 1].copy()
    one["balance"] = 7.0
    write_delta(one, path, mode="replace_partitions")
    back = read_delta(path)
    assert (back[back.chain_id == 1]["balance"] == 7.0).all()
    assert len(back[back.chain_id == 1]) == len(one)
    assert len(back[back.chain_id != 1]) == 2 * len(bal[bal.chain_id != 1])
    write_delta(bal, path, mode="overwrite")
    assert len(read_delta(path)) == len(bal)
    with pytest.raises(FileExistsError):
        write_delta(bal, path, mode="error")
    with pytest.raises(InputError, match="partitioned by"):
        write_delta(bal, path, partition_by="wallet")
    with pytest.raises(InputError, match=r"columns or types|cannot write the Delta table"):
        write_delta(bal.assign(balance="x"), path)
    with pytest.raises(InputError, match="mode="):
        write_delta(bal, path, mode="upsert")  # type: ignore[arg-type]
    old = read_delta(path, version=0)
    assert len(old) == len(bal)  # time travel


def test_no_secret_in_the_log(tmp_path: Path) -> None:
    bal = F.balances()
    bal.attrs["inchframe"] = {**bal.attrs["inchframe"], "api_key": SECRET}
    bal.attrs["inchframe"]["base_url"] = f"https://u:{SECRET}@host/?apiKey={SECRET}"
    write_delta(bal, tmp_path / "t")
    for file in (tmp_path / "t").rglob("*"):
        if file.is_file():
            assert SECRET.encode() not in file.read_bytes(), file
    assert "api_key" not in read_delta(tmp_path / "t").attrs["inchframe"]


def test_provenance_of_several_commits(tmp_path: Path) -> None:
    a, b = F.balances(), F.balances()
    b.attrs["inchframe"] = {**b.attrs["inchframe"], "fetched_at": "2030-01-01T00:00:00+00:00"}
    write_delta(a, tmp_path / "t")
    write_delta(b, tmp_path / "t")
    attrs = read_delta(tmp_path / "t").attrs["inchframe"]
    assert attrs["fetched_at"] == "2030-01-01T00:00:00+00:00"
    assert len(attrs["batches"]) == 2
    entry = DeltaTable(str(tmp_path / "t")).history(1)[0]
    assert json.loads(entry["inchframe"])["frame"]["rows"] == len(b)


# -- staging folders of killed writers -------------------------------------------------------


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_stale_staging_removed_on_next_write(tmp_path: Path) -> None:
    bal = F.balances()
    target = tmp_path / "ds"
    write_parquet(bal, target, partition_by="chain_id")
    dead, live = _dead_pid(), os.getpid()
    stale = [
        tmp_path / f".ds.inchframe-new-{dead}-{'a' * 12}",
        tmp_path / f".ds.inchframe-old-{dead}-{'b' * 12}",
        target / f".chain_id=1.inchframe-old-{dead}-{'c' * 12}",  # a partition swap's
    ]
    for folder in stale:
        (folder / "chain_id=1").mkdir(parents=True)
        (folder / "chain_id=1" / "part-x.parquet").write_bytes(b"x")
    tmp_file = tmp_path / f".ds.inchframe-tmp-{dead}-{'d' * 12}"
    tmp_file.write_bytes(b"x")
    ongoing = tmp_path / f".ds.inchframe-new-{live}-{'e' * 12}"  # a live writer's: kept
    ongoing.mkdir()
    other = tmp_path / f".other.inchframe-new-{dead}-{'f' * 12}"  # another target's: kept
    other.mkdir()
    write_parquet(bal, target, partition_by="chain_id", mode="append")
    for leftover in [*stale, tmp_file]:
        assert not leftover.exists(), leftover
    assert ongoing.exists() and other.exists()
    assert len(inchframe.read_parquet(target)) == 2 * len(bal)


def test_only_copy_of_the_data_is_never_removed(tmp_path: Path) -> None:
    dead = _dead_pid()
    # a swap killed between its two renames: the target is missing, -old- holds the data
    old = tmp_path / f".ds.inchframe-old-{dead}-{'a' * 12}"
    new = tmp_path / f".ds.inchframe-new-{dead}-{'b' * 12}"
    old.mkdir()
    new.mkdir()
    assert clean_stale(tmp_path / "ds") == []
    assert old.exists() and new.exists()
