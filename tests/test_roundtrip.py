"""Frames from every loader survive Parquet exactly: data, dtypes, raw amounts, provenance;
and the files carry no trace of the API key."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import inchframe as ifr
from inchframe import endpoints as ep

from .conftest import BINANCE, FAKE_KEY, ROUTER_V6, VITALIK
from .loaders import PORTFOLIO_LOADERS

WALLETS = [VITALIK, BINANCE]


LOADERS: dict[str, Callable[[Any], pd.DataFrame]] = {
    "balances": lambda c: ifr.balances(WALLETS, [1, 8453], client=c),
    "balances_one_wallet": lambda c: ifr.balances(VITALIK, 1, keep_zero=True, client=c),
    "allowances": lambda c: ifr.allowances(WALLETS, ROUTER_V6, [1, 42161], client=c),
    "balances_and_allowances": lambda c: ifr.balances_and_allowances(
        VITALIK, ROUTER_V6, 1, client=c
    ),
    "aggregated_balances": lambda c: ifr.aggregated_balances(WALLETS, ROUTER_V6, 1, client=c),
    # every Portfolio loader that returns a frame (status and is_available return a bool)
    **{name: load for name, load in PORTFOLIO_LOADERS.items() if ep.BY_NAME[name].frame},
}


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_parquet_round_trip_is_exact(client, tmp_path: Path, name: str) -> None:
    frame = LOADERS[name](client)
    assert len(frame) > 0
    path = frame.inch.to_parquet(tmp_path / f"{name}.parquet")
    back = ifr.read_parquet(path)
    pd.testing.assert_frame_equal(back, frame)
    for column in [c for c in frame.columns if c.endswith("_raw")]:
        assert list(back[column]) == list(frame[column])
    assert back.attrs["inchframe"]["endpoint"] == frame.attrs["inchframe"]["endpoint"]
    assert back.attrs["inchframe"]["params"] == frame.attrs["inchframe"]["params"]
    assert FAKE_KEY.encode() not in path.read_bytes()
