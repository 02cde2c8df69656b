"""``inchframe demo`` run again in the same folder replaces the day's snapshot partitions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

import inchframe as ifr
from inchframe.demo import Demo
from inchframe.io import write_parquet

from .conftest import VITALIK

OTHER = "0x28C6c06298d514Db089934071355E5743bf21d60"
KEY = ["snapshot_date", "chain_id", "wallet", "token", "position_index"]


def _run(client: Any, out: Path, wallets: list[str], chains: list[str]) -> pd.DataFrame:
    Demo(client, wallets, chains, out, say=lambda *_: None).run()
    return ifr.read_parquet(out / "portfolio-snapshots")


def _rows(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(KEY).reset_index(drop=True)[KEY]


def test_rerun_replaces_the_chains_fetched_again(client: Any, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = _run(client, out, [VITALIK, OTHER], ["ethereum", "arbitrum"])
    assert len(first) > 0 and not first.duplicated(KEY).any()
    assert set(first.chain_id) == {1, 42161}
    again = _run(client, out, [VITALIK, OTHER], ["ethereum", "arbitrum"])
    pd.testing.assert_frame_equal(_rows(again), _rows(first))

    # a run on one chain replaces that chain's partition and keeps the other chain's
    narrow = _run(client, out, [VITALIK], ["ethereum"])
    assert not narrow.duplicated(KEY).any()
    pd.testing.assert_frame_equal(
        _rows(narrow[narrow.chain_id == 42161]), _rows(first[first.chain_id == 42161])
    )
    ethereum = narrow[narrow.chain_id == 1]
    assert set(ethereum.wallet) == {VITALIK.lower()}


EMPTY = "0x1111111111111111111111111111111111111111"  # holds no token on base in the sandbox


def test_demo_with_an_empty_snapshot_writes_what_it_has(client: Any, tmp_path: Path) -> None:
    """``inchframe demo --wallets W --chains base`` with no token: replace_partitions into a
    new folder used to fail (pyarrow writes no staging folder for zero rows)."""
    out = tmp_path / "out"
    lines: list[str] = []
    for _ in range(2):  # a first run into a new folder, then a rerun into the same one
        Demo(client, [EMPTY], ["base"], out, say=lines.append).run()
        tokens = ifr.portfolio.tokens_snapshot([EMPTY], chain="base", client=client)
        assert tokens.empty
        snapshots = out / "portfolio-snapshots"
        assert snapshots.is_dir() and not any(snapshots.rglob("*.parquet"))
        assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no staging left
        assert ifr.read_parquet(out / "balances.parquet").empty
        assert (out / "charts" / "value-over-time.png").stat().st_size > 0
        assert any(line.startswith("skipped charts/composition-by-token.png") for line in lines)
    # a snapshot with rows afterwards lands in the same (so far empty) dataset
    _run(client, out, [VITALIK], ["ethereum"])
    assert set(ifr.read_parquet(out / "portfolio-snapshots").chain_id) == {1}


def test_replace_partitions_of_an_empty_frame(tmp_path: Path) -> None:
    """An empty frame into a new dataset folder: an empty dataset, no error, nothing left over;
    into an existing one: the partitions stay as they were."""
    frame = pd.DataFrame({"chain_id": pd.Series([1, 8453], dtype="int64"), "x": [1.0, 2.0]})
    target = tmp_path / "new"
    write_parquet(frame.head(0), target, partition_by="chain_id", mode="replace_partitions")
    assert target.is_dir() and list(target.iterdir()) == []
    assert [p.name for p in tmp_path.iterdir()] == ["new"]
    write_parquet(frame, target, partition_by="chain_id", mode="replace_partitions")
    write_parquet(frame.head(0), target, partition_by="chain_id", mode="replace_partitions")
    back = ifr.read_parquet(target).sort_values("chain_id").reset_index(drop=True)
    assert back["x"].tolist() == [1.0, 2.0]
    assert [p.name for p in tmp_path.iterdir()] == ["new"]
