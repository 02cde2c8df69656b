"""Frames from every loader survive Parquet exactly: data, dtypes, raw amounts, provenance;
and the files carry no trace of the API key."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import inchframe as ifr
from inchframe import portfolio as pf
from inchframe.portfolio import v4

from .conftest import BINANCE, FAKE_KEY, ROUTER_V6, VITALIK

WALLETS = [VITALIK, BINANCE]


def _for_wallets(module: Any, name: str) -> Callable[[Any], pd.DataFrame]:
    loader = getattr(module, name)
    return lambda client: loader(WALLETS, client=client)


LOADERS: dict[str, Callable[[Any], pd.DataFrame]] = {
    "balances": lambda c: ifr.balances(WALLETS, [1, 8453], client=c),
    "balances_one_wallet": lambda c: ifr.balances(VITALIK, 1, keep_zero=True, client=c),
    "allowances": lambda c: ifr.allowances(WALLETS, ROUTER_V6, [1, 42161], client=c),
    "balances_and_allowances": lambda c: ifr.balances_and_allowances(
        VITALIK, ROUTER_V6, 1, client=c
    ),
    "aggregated_balances": lambda c: ifr.aggregated_balances(WALLETS, ROUTER_V6, 1, client=c),
    **{
        f"v5.{name}": _for_wallets(pf, name)
        for name in (
            "address_check",
            "current_value",
            "chart",
            "report",
            "protocols_snapshot",
            "protocols_metrics",
            "tokens_snapshot",
            "tokens_metrics",
        )
    },
    "v5.supported_chains": lambda c: pf.supported_chains(client=c),
    "v5.supported_protocols": lambda c: pf.supported_protocols(client=c),
    **{
        f"v4.{name}": _for_wallets(v4, name)
        for name in (
            "current_value",
            "profit_and_loss",
            "value_chart",
            "protocols_current_value",
            "protocols_profit_and_loss",
            "protocols_details",
            "tokens_current_value",
            "tokens_profit_and_loss",
            "tokens_details",
        )
    },
    "v4.supported_chains": lambda c: v4.supported_chains(client=c),
    "v4.supported_protocols": lambda c: v4.supported_protocols(client=c),
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
