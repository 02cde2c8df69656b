"""``inchframe demo`` run again in the same folder replaces the day's snapshot partitions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

import inchframe as ifr
from inchframe.demo import Demo

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
