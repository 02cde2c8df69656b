"""The request builders (``inchframe.endpoints``): bad input fails before any request.

The endpoint table itself is checked in ``tests/test_endpoints_table.py``."""

from __future__ import annotations

from pathlib import Path

import pytest

from inchframe.errors import InputError

from ._client_helpers import make_client
from .conftest import VITALIK, ScriptedServer


def test_bad_input_fails_before_any_request(scripted: ScriptedServer, tmp_path: Path) -> None:
    with make_client(scripted, tmp_path) as client:
        for call in (
            lambda: client.balances(1, VITALIK[:-1] + "6"),
            lambda: client.balances("ethereun", VITALIK),
            lambda: client.allowances(1, "0x123", VITALIK),
            lambda: client.balances_of_tokens(1, VITALIK, []),
            lambda: client.balances_of_tokens(1, VITALIK, ["usdt"]),
            lambda: client.v5_chart(VITALIK, timerange="2days"),
            lambda: client.v5_tokens_snapshot([], 1),
            lambda: client.v5_tokens_snapshot(VITALIK, timestamp=-5),
            lambda: client.v5_protocols_metrics(VITALIK, token_id=-1),
            lambda: client.v4_tokens_details(VITALIK, closed_threshold=-1.0),
        ):
            with pytest.raises(InputError):
                call()
    assert scripted.count() == 0
