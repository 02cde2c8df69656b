"""v5.0 metrics rows say which token, chain and wallet they are about.

The metrics bodies carry an ``index`` and figures only; the loaders join the snapshot of the same
wallets (same client and cache) on ``position_index``. A row is never given to a wallet that was
not asked for, an ambiguous index stays NA, and a snapshot that cannot be had is a warning.
"""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd

import inchframe as ifr
from inchframe.errors import OfflineCacheMiss, PartialResultWarning
from inchframe.frames import portfolio_v5 as p5
from inchframe.portfolio._identity import TOKEN_IDENTITY, with_identity

from .conftest import BINANCE, VITALIK

ZERO = "0x" + "0" * 40


def test_tokens_metrics_rows_name_their_token(client: Any) -> None:
    metrics = ifr.portfolio.tokens_metrics(VITALIK, client=client)
    snapshot = ifr.portfolio.tokens_snapshot(VITALIK, client=client)
    head = metrics.head()
    assert head[["chain_id", "wallet", "token", "symbol"]].notna().all().all(), head
    joined = metrics.merge(snapshot, on="position_index", suffixes=("", "_snap"))
    assert len(joined) > 0
    for column in ("chain_id", "wallet", "token", "symbol"):
        assert (joined[column] == joined[f"{column}_snap"]).all(), column
    # what the snapshot does not hold (positions closed in the time range) stays NA, not guessed
    unknown = metrics[~metrics["position_index"].isin(snapshot["position_index"])]
    assert unknown[["chain_id", "token", "symbol"]].isna().all().all()
    assert metrics.attrs["inchframe"]["identity"]["source"] == "tokens_snapshot"


def test_several_wallets_each_row_in_its_own_wallet(client: Any) -> None:
    metrics = ifr.portfolio.tokens_metrics([VITALIK, BINANCE], client=client)
    known = metrics.dropna(subset=["wallet"])
    assert set(known["wallet"]) == {VITALIK.lower(), BINANCE.lower()}
    for wallet in (VITALIK, BINANCE):
        own = ifr.portfolio.tokens_snapshot(wallet, client=client)
        rows = known[known["wallet"] == wallet.lower()]
        assert set(rows["position_index"]) <= set(own["position_index"])


def test_protocols_metrics_rows_name_their_protocol(client: Any) -> None:
    metrics = ifr.portfolio.protocols_metrics([VITALIK, BINANCE], client=client)
    assert len(metrics) > 0
    cols = ["chain_id", "wallet", "protocol", "protocol_name", "symbol"]
    assert metrics[cols].notna().all().all(), metrics[cols]
    snapshot = ifr.portfolio.protocols_snapshot([VITALIK, BINANCE], client=client)
    for _, row in metrics.iterrows():
        rows = snapshot[snapshot["position_index"] == row["position_index"]]
        assert row["protocol"] == rows["protocol"].iloc[0]
        underlying = rows[rows["role"] == "underlying"]["symbol"].dropna()
        assert row["symbol"] == "/".join(dict.fromkeys(underlying))


def test_identity_costs_no_request_when_the_snapshot_is_cached(client: Any, sandbox: Any) -> None:
    ifr.portfolio.tokens_metrics(VITALIK, client=client)
    before = sandbox.stats()["total"]
    again = ifr.portfolio.tokens_metrics(VITALIK, client=client)
    assert sandbox.stats()["total"] == before and again["symbol"].notna().any()


def test_plan_is_unchanged(client: Any) -> None:
    plan = ifr.portfolio.tokens_metrics(VITALIK, client=client, plan=True)
    assert not isinstance(plan, pd.DataFrame)


def _metrics_frame(wallet: str | None, indices: list[str]) -> pd.DataFrame:
    body = {"result": [{"index": i, "profit_abs_usd": 1.0, "roi": 0.1} for i in indices]}
    frame = p5.tokens_metrics(p5.single(body, addresses=[wallet] if wallet else [VITALIK, BINANCE]))
    frame.attrs["inchframe"] = {"endpoint": "tokens_metrics"}
    return frame


def _snapshot(rows: list[tuple[str, int, str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["position_index", "chain_id", "wallet", "token", "symbol"])


def test_a_zero_or_foreign_wallet_in_the_snapshot_attributes_nothing() -> None:
    frame = _metrics_frame(None, ["0xa", "0xb"])
    assert frame["wallet"].isna().all()  # a multi-wallet request: the body names no wallet
    snap = _snapshot(
        [
            ("0xa", 1, ZERO, "0x" + "1" * 40, "AAA"),  # the observed zero address
            ("0xb", 1, "0x" + "2" * 40, "0x" + "3" * 40, "BBB"),  # a wallet nobody asked for
        ]
    )
    out = with_identity(
        frame, lambda: snap, pairs=TOKEN_IDENTITY, snapshot_name="tokens_snapshot",
        asked_wallets=[VITALIK.lower(), BINANCE.lower()],
    )  # fmt: skip
    assert out[["wallet", "token", "symbol"]].isna().all().all()


def test_an_ambiguous_index_stays_na_and_body_values_win() -> None:
    frame = _metrics_frame(VITALIK.lower(), ["0xa", "0xb"])
    frame.loc[frame["position_index"] == "0xb", "symbol"] = "FROM-BODY"
    snap = _snapshot(
        [
            ("0xa", 1, VITALIK.lower(), "0x" + "1" * 40, "AAA"),
            ("0xa", 10, VITALIK.lower(), "0x" + "1" * 40, "AAA"),  # same index, other chain
            ("0xb", 1, VITALIK.lower(), "0x" + "4" * 40, "BBB"),
        ]
    )
    out = with_identity(
        frame, lambda: snap, pairs=TOKEN_IDENTITY, snapshot_name="tokens_snapshot",
        asked_wallets=[VITALIK.lower()],
    ).set_index("position_index")  # fmt: skip
    assert pd.isna(out.loc["0xa", "chain_id"]) and pd.isna(out.loc["0xa", "symbol"])
    assert out.loc["0xb", "symbol"] == "FROM-BODY" and out.loc["0xb", "chain_id"] == 1


def test_a_snapshot_that_cannot_be_had_is_a_warning_not_a_failure() -> None:
    frame = _metrics_frame(VITALIK.lower(), ["0xa"])

    def missing() -> pd.DataFrame:
        raise OfflineCacheMiss(["GET /portfolio/portfolio/v5.0/tokens/snapshot"])

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = with_identity(
            frame, missing, pairs=TOKEN_IDENTITY, snapshot_name="tokens_snapshot",
            asked_wallets=[VITALIK.lower()],
        )  # fmt: skip
    assert [w.category for w in caught] == [PartialResultWarning]
    assert "tokens_snapshot" in str(caught[0].message)
    assert len(out) == 1 and out.attrs["inchframe"]["identity"]["problem"]


def test_identity_fields_in_the_body_are_read() -> None:
    body = [
        {
            "index": "0xa",
            "chain_id": 10,
            "address": BINANCE,
            "token_address": "0x" + "A" * 40,
            "symbol": "OPX",
            "profit_abs_usd": 2.0,
        }
    ]
    frame = p5.tokens_metrics(p5.single(body, addresses=[VITALIK, BINANCE]))
    row = frame.iloc[0]
    assert (row["chain_id"], row["wallet"], row["token"], row["symbol"]) == (
        10, BINANCE.lower(), "0x" + "a" * 40, "OPX",
    )  # fmt: skip
    assert not {"chain_id_extra", "symbol_extra"} & set(frame.columns)
