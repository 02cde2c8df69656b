"""Streamed batches (slices converted as they arrive) still re-ask unattributed answers.

A loader with more calls than one slice converts the answers slice by slice and releases the
bodies; the attribution check runs on every slice, so a multi-wallet answer whose rows name the
zero address is asked again per wallet whichever slice it arrived in, and the frame equals the
one of a sandbox whose items name their wallet.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import inchframe as ifr
import inchframe._loading as loading
from inchframe.client import Client
from inchframe.errors import AttributionWarning
from inchframe.sandbox import Sandbox

from .conftest import FAKE_KEY

WALLETS = ["0x" + hashlib.sha256(f"stream{i}".encode()).hexdigest()[:40] for i in range(24)]


def _key(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    cols = ["chain_id", "wallet", "position_index", "token", "amount"]
    return sorted(
        frame[[c for c in cols if c in frame.columns]]
        .astype(str)
        .itertuples(index=False, name=None)
    )


def _load(url: str, cache: Path) -> pd.DataFrame:
    with Client(FAKE_KEY, base_url=url, cache_dir=cache, rate=500, progress=False) as client:
        return ifr.portfolio.tokens_snapshot(WALLETS, client=client, chunk_size=2)


def test_every_slice_is_checked_and_reasked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slices: list[int] = []
    real = loading._convert_attributed

    def counting(client: Any, batch: Any, *args: Any, **kwargs: Any) -> Any:
        slices.append(len(batch.replies) + len(batch.failures))
        return real(client, batch, *args, **kwargs)

    monkeypatch.setattr(loading, "_slice_size", lambda client: 3)
    monkeypatch.setattr(loading, "_convert_attributed", counting)
    with Sandbox() as sb:
        truth = _load(sb.url, tmp_path / "truth")
    # 12 two-wallet calls in slices of at most 3 (a first slice of 2): streamed
    assert len(slices) >= 4 and sum(slices) == 12
    assert set(truth["wallet"]) <= set(WALLETS) and len(truth)
    slices.clear()
    with Sandbox(snapshot_address="zero") as sb:
        with pytest.warns(AttributionWarning, match="asked again once per wallet"):
            frame = _load(sb.url, tmp_path / "zero")
        assert sb.stats()["total"] == 12 + 24  # every two-wallet answer, then one per wallet
    assert len(slices) >= 4 and sum(slices) == 12  # every slice checked, re-asked in place
    info = frame.attrs["inchframe"]
    assert info["requests"] == 36 and not info["failures"]
    assert set(frame["wallet"]) <= set(WALLETS)
    assert _key(frame) == _key(truth)
