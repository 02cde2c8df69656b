"""Portfolio v4 / v5.0 converters: composed examples, recorded bodies, drift, errors, fuzzing."""

from __future__ import annotations

import copy
import json
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inchframe import UnknownFieldsWarning
from inchframe.errors import PayloadError
from inchframe.frames import _portfolio as P
from inchframe.frames import portfolio_v4 as v4
from inchframe.frames import portfolio_v5 as v5
from inchframe.frames.reconcile import RECONCILE_COLUMNS, reconcile
from inchframe.frames.schema import FrameSchema

HERE = Path(__file__).resolve().parent
RECORDED = Path(__file__).resolve().parents[1] / "data" / "recorded"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "frames-portfolio.md"
EXAMPLES: dict[str, Any] = json.loads((HERE / "data" / "portfolio_examples.json").read_text())

W1 = "0x5a1f0c3c9b6f4e1d2a7b8c9d0e1f2a3b4c5d6e7f"
W2 = "0x3e9b7c2d1f0a4b5c6d7e8f9a0b1c2d3e4f5a6b7c"
ZERO = "0x0000000000000000000000000000000000000000"
ETH = "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
USDC = "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"
USDT = "0xdac17f958d2ee523a2206206994597c13d831ec7"

# endpoint name -> (converter, schema or None for bool results, context of the example request)
CTX1 = {"addresses": [W1], "chain_id": None, "timerange": "1year"}
CTX2 = {"addresses": [W1, W2], "chain_id": None, "timerange": "1year"}
CONVERTERS: dict[str, tuple[Any, FrameSchema | None, dict[str, Any]]] = {
    "v5.tokens_snapshot": (v5.tokens_snapshot, v5.TOKENS_SNAPSHOT, CTX1),
    "v5.protocols_snapshot": (v5.protocols_snapshot, v5.PROTOCOLS_SNAPSHOT, CTX1),
    "v5.tokens_metrics": (v5.tokens_metrics, v5.TOKENS_METRICS, CTX1),
    "v5.protocols_metrics": (v5.protocols_metrics, v5.PROTOCOLS_METRICS, CTX1),
    "v5.current_value": (v5.current_value, v5.CURRENT_VALUE, CTX1),
    "v5.chart": (v5.chart, v5.CHART, {**CTX1, "timerange": "1week"}),
    "v5.report": (v5.report, None, CTX1),
    "v5.status": (v5.status, None, {}),
    "v5.address_check": (v5.address_check, v5.ADDRESS_CHECK, CTX1),
    "v5.supported_chains": (v5.supported_chains, v5.SUPPORTED_CHAINS, {}),
    "v5.supported_protocols": (v5.supported_protocols, v5.SUPPORTED_PROTOCOLS, {}),
    "v4.is_available": (v4.is_available, None, {}),
    "v4.supported_chains": (v4.supported_chains, v4.SUPPORTED_CHAINS, {}),
    "v4.supported_protocols": (v4.supported_protocols, v4.SUPPORTED_PROTOCOLS, {}),
    "v4.current_value": (v4.current_value, v4.CURRENT_VALUE, CTX2),
    "v4.profit_and_loss": (v4.profit_and_loss, v4.PROFIT_AND_LOSS, CTX1),
    "v4.value_chart": (v4.value_chart, v4.VALUE_CHART, {**CTX1, "timerange": "1week"}),
    "v4.protocols_current_value": (v4.protocols_current_value, v4.PROTOCOLS_CURRENT_VALUE, CTX1),
    "v4.protocols_profit_and_loss": (
        v4.protocols_profit_and_loss,
        v4.PROTOCOLS_PROFIT_AND_LOSS,
        CTX1,
    ),
    "v4.protocols_details": (v4.protocols_details, v4.PROTOCOLS_DETAILS, CTX1),
    "v4.tokens_current_value": (v4.tokens_current_value, v4.TOKENS_CURRENT_VALUE, CTX1),
    "v4.tokens_profit_and_loss": (v4.tokens_profit_and_loss, v4.TOKENS_PROFIT_AND_LOSS, CTX1),
    "v4.tokens_details": (v4.tokens_details, v4.TOKENS_DETAILS, CTX1),
}
FRAME_ENDPOINTS = [name for name, (_, schema, _) in CONVERTERS.items() if schema is not None]


def example(name: str) -> Any:
    return copy.deepcopy(EXAMPLES[name])


def run(name: str, payload: Any = None, **ctx: Any) -> Any:
    func, _, default_ctx = CONVERTERS[name]
    return func([({**default_ctx, **ctx}, example(name) if payload is None else payload)])


def assert_schema(frame: pd.DataFrame, schema: FrameSchema) -> None:
    assert tuple(frame.columns[: len(schema.names)]) == schema.names
    for column in schema.columns:
        assert str(frame[column.name].dtype) == str(column.dtype), column.name


def recorded_or_skip(name: str) -> Path:
    path = RECORDED / name
    if not path.exists():
        pytest.fail(f"recorded body {name} missing from tests/data/recorded/")
    return path


# --------------------------------------------------------------------------------------------
# Every converter on its composed example (tests/frames/data/portfolio_examples.json)


@pytest.mark.parametrize("name", FRAME_ENDPOINTS)
def test_every_frame_converter_gives_its_schema(name: str) -> None:
    frame = run(name)
    _, schema, _ = CONVERTERS[name]
    assert isinstance(frame, pd.DataFrame) and len(frame) > 0
    assert_schema(frame, schema)
    version = "v5.0" if name.startswith("v5") else "v4"
    assert (frame["api_version"] == version).all()
    assert list(frame.columns) == list(schema.names), "examples carry no unknown fields"


@pytest.mark.parametrize("name", FRAME_ENDPOINTS)
def test_empty_results_give_the_documented_columns(name: str) -> None:
    func, schema, ctx = CONVERTERS[name]
    empty = {"result": {}} if name == "v5.current_value" else {"result": []}
    frame = func([(ctx, empty)])
    assert len(frame) == 0
    if name != "v5.address_check":
        assert_schema(frame, schema)
    assert_schema(func([]), schema)


def test_v5_tokens_snapshot_values() -> None:
    df = run("v5.tokens_snapshot")
    assert df["chain_id"].tolist() == [1, 1]
    assert df["wallet"].tolist() == [W1, W1]
    assert df["token"].tolist() == [ETH, USDC]
    assert df["symbol"].tolist() == ["ETH", "USDC"]
    assert df["decimals"].tolist() == [18, 6]
    assert df["amount"].tolist() == [1.25, 1523.45]
    assert df["price_usd"].tolist() == [3200.0, 0.9998]
    assert df["value_usd"].tolist() == [4000.0, 1523.15]
    assert df["position_index"].tolist() == ["0x9c1d7e2a44b0f613", "0x27e05b9d3c8a1f46"]
    assert df["protocol"].tolist() == ["token", "token"]
    assert df["position_type"].tolist() == ["token", "token"]
    assert df["protocol_handler"].tolist() == ["native", "erc20"]
    assert not df["is_debt"].any()
    assert df["timestamp"].isna().all() and df["block_number"].isna().all()
    assert df["token_id"].tolist() == ["0", "0"]


def test_v5_protocols_snapshot_values() -> None:
    df = run("v5.protocols_snapshot")
    assert len(df) == 2
    assert df["role"].tolist() == ["underlying", "underlying"]
    assert df["underlying_index"].tolist() == [0, 0]
    assert df["protocol"].tolist() == ["aave-v3", "aave-v3"]
    assert df["protocol_name"].tolist() == ["Aave V3", "Aave V3"]
    assert df["position_type"].tolist() == ["lending", "lending"]
    assert df["is_debt"].tolist() == [False, True]
    assert df["contract_symbol"].tolist() == ["aEthUSDC", "variableDebtEthUSDT"]
    assert df["position_value_usd"].tolist() == [5000.0, 1000.1]
    assert df["token"].tolist() == [USDC, USDT]
    assert df["block_number"].tolist() == [21212345, 21212345]
    assert df["timestamp"].iloc[0] == pd.Timestamp(1731888011, unit="s", tz="UTC")


def test_v5_protocols_snapshot_rewards_and_tokenless_positions() -> None:
    body = example("v5.protocols_snapshot")
    first = body["result"][0]
    aave = "0x7fc66500c84a76ad7e9c93437bfc5ac33e2ddae9"
    first["reward_tokens"] = [
        {
            "chain_id": 1,
            "address": aave,
            "decimals": 18,
            "symbol": "AAVE",
            "name": "Aave",
            "amount": 0.5,
            "price_usd": 150.0,
        }
    ]
    body["result"][1]["underlying_tokens"] = []
    df = run("v5.protocols_snapshot", body)
    assert df["role"].tolist()[:2] == ["underlying", "reward"]
    assert df["value_usd"].iloc[1] == pytest.approx(75.0)  # computed: amount x price
    tokenless = df.iloc[2]
    assert pd.isna(tokenless["role"]) and pd.isna(tokenless["underlying_index"])
    assert pd.isna(tokenless["token"])
    assert tokenless["position_value_usd"] == 1000.1
    assert df.groupby("position_index").ngroups == 2


def test_v5_metrics_values() -> None:
    df = run("v5.protocols_metrics")
    assert df["position_index"].tolist() == ["0x4f3c2a1b0e9d8c7b", "0x1b2c3d4e5f607182"]
    assert df["profit_usd"].tolist() == [143.2, -21.7]
    assert df["roi"].tolist() == [0.0295, -0.0217]
    assert df["apr"].tolist() == [0.0412, -0.0561]
    assert df["holding_time_days"].tolist() == [212, 41]
    assert df["rewards_usd"].iloc[0] == 0.0 and np.isnan(df["rewards_usd"].iloc[1])
    assert df["wallet"].tolist() == [W1, W1]
    assert not df["is_aggregate"].any()
    tm = run("v5.tokens_metrics", timerange="1month")
    assert tm["timerange"].tolist() == ["1month", "1month"]
    assert tm["apr"].isna().all()


def test_v5_metrics_joins_snapshot_on_position_index() -> None:
    snap = run("v5.protocols_snapshot")
    metrics = run("v5.protocols_metrics")
    joined = snap.merge(metrics[["position_index", "profit_usd"]], on="position_index")
    assert joined["profit_usd"].tolist() == [143.2, -21.7]


def test_v5_metrics_aggregate_position_index_is_flattened() -> None:
    body = example("v5.protocols_metrics")
    body["result"][1]["index"] = {
        "address": W2.upper().replace("0X", "0x"),
        "chain": {"id_num": 8453, "name": "base"},
        "contract_address": USDC,
        "token_id": 2**200,
        "protocol_sub_group_id": "pool-a",
    }
    df = run("v5.protocols_metrics", body, addresses=[W1, W2])
    agg = df.iloc[1]
    assert agg["is_aggregate"] and pd.isna(agg["position_index"])
    assert agg["wallet"] == W2 and agg["chain_id"] == 8453
    assert agg["contract_address"] == USDC
    assert agg["token_id"] == str(2**200)
    assert agg["protocol_sub_group"] == "pool-a"
    assert pd.isna(df["wallet"].iloc[0])  # two request addresses: a string index names no wallet


def test_v5_current_value_long_frame() -> None:
    df = run("v5.current_value")
    assert df["dimension"].tolist() == [
        "total",
        "address",
        "category",
        "category",
        "category",
        "protocol",
        "protocol",
        "chain",
    ]
    total = df[df["dimension"] == "total"].iloc[0]
    assert total["value_usd"] == 12373.18 and total["key"] == "total"
    cats = df[df["dimension"] == "category"]
    assert dict(zip(cats["key"], cats["value_usd"], strict=True)) == {
        "tokens": 3373.18,
        "native": 4000.0,
        "protocols": 5000.0,
    }
    assert cats["label"].tolist() == ["Tokens", "Native", "Protocols"]
    chain = df[df["dimension"] == "chain"].iloc[0]
    assert chain["chain_id"] == 1 and chain["key"] == "1" and chain["label"] == "Ethereum"
    assert df.loc[df["dimension"] != "chain", "chain_id"].isna().all()
    assert (df["wallet"] == W1).all()
    # a per-chain request: every non-chain row is about that chain
    per_chain = run("v5.current_value", chain_id=1)
    assert (per_chain["chain_id"] == 1).all()


def test_chart_frames() -> None:
    for name in ("v5.chart", "v4.value_chart"):
        df = run(name)
        assert len(df) == 8
        assert str(df["timestamp"].dtype) == "datetime64[ns, UTC]"
        assert df["timestamp"].iloc[0] == pd.Timestamp("2024-11-11", tz="UTC")
        assert df["value_usd"].iloc[-1] == 12373.18
        assert (df["timerange"] == "1week").all()
        assert df["timestamp"].is_monotonic_increasing


def test_v5_supported_chains_bare_and_enveloped() -> None:
    bare = run("v5.supported_chains")
    assert bare["chain_id"].tolist() == [1, 8453]
    assert bare["native_token"].tolist() == [ETH, ETH]
    assert bare["native_decimals"].tolist() == [18, 18]
    assert bare["native_symbol"].tolist() == ["ETH", "ETH"]
    enveloped = run("v5.supported_chains", {"result": example("v5.supported_chains"), "meta": None})
    pd.testing.assert_frame_equal(bare, enveloped)


def test_supported_protocols() -> None:
    df = run("v5.supported_protocols")
    assert df["chain_id"].tolist() == [1, 1, 8453]
    assert df["protocol"].tolist() == ["aave-v3", "uniswap-v3", "aerodrome"]
    assert pd.isna(df["protocol_icon"].iloc[2])
    df4 = run("v4.supported_protocols")
    assert df4["protocol"].tolist() == ["aave-v3", "uniswap-v3"]


@pytest.mark.parametrize(
    "payload",
    [
        ["aavev3", "lido"],
        {"result": ["aavev3", "lido"]},
        {"result": {"1": [{"protocol": "aavev3"}, {"protocol": "lido"}]}},
        {"result": {"aavev3": {"name": "Aave V3"}, "lido": {"name": "Lido"}}},
        [{"id": "aavev3", "title": "Aave V3", "chains": [1, 10]}, {"id": "lido", "title": "Lido"}],
    ],
)
def test_v4_supported_protocols_tolerates_unknown_shapes(payload: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownFieldsWarning)
        df = run("v4.supported_protocols", payload)
    assert df["protocol"].tolist() == ["aavev3", "lido"]
    assert_schema(df, v4.SUPPORTED_PROTOCOLS)


@pytest.mark.parametrize(
    "payload",
    [
        {"result": [1, 8453]},
        [1, 8453],
        {"result": [{"id": 1, "name": "Ethereum", "icon": "x"}, {"id": 8453, "name": "Base"}]},
        [
            {"icon_url": "x", "id_num": 1, "name": "eth", "name_readable": "Ethereum"},
            {"icon_url": "y", "id_num": 8453, "name": "base", "name_readable": "Base"},
        ],
    ],
)
def test_v4_supported_chains_forms(payload: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownFieldsWarning)
        df = run("v4.supported_chains", payload)
    assert df["chain_id"].tolist() == [1, 8453]
    assert df["chain_name"].tolist() == ["Ethereum", "Base"]
    assert_schema(df, v4.SUPPORTED_CHAINS)


def test_status_and_is_available() -> None:
    assert run("v5.status") is True
    assert run("v5.status", {"result": {"is_available": False}, "meta": None}) is False
    assert run("v4.is_available") is True
    assert run("v4.is_available", {"result": False}) is False
    assert run("v4.is_available", {"result": {"is_available": True}}) is True
    with pytest.raises(PayloadError, match=r"v5\.status"):
        run("v5.status", {"result": {"up": True}})
    with pytest.raises(PayloadError):
        v5.status([])


def test_v5_address_check_shapes() -> None:
    df = run("v5.address_check")
    assert df["wallet"].tolist() == [W1]
    assert df["is_compliant"].tolist() == [True]
    assert pd.isna(df["reason"].iloc[0])
    assert json.loads(df["raw"].iloc[0]) == {"is_compliant": True, "reason": None}
    flagged = run(
        "v5.address_check",
        {
            "result": {
                W1.upper().replace("0X", "0x"): {"is_compliant": False, "reason": "sanctioned"},
                W2: True,
            }
        },
        addresses=[W1, W2],
    )
    assert flagged["wallet"].tolist() == [W1, W2]
    assert flagged["is_compliant"].tolist() == [False, True]
    assert flagged["reason"].tolist()[0] == "sanctioned"
    listed = run("v5.address_check", [{"address": W1, "is_compliant": True}])
    assert listed["is_compliant"].tolist() == [True]
    odd = run("v5.address_check", {"result": "ok"}, addresses=[W1, W2])
    assert odd["wallet"].tolist() == [W1, W2]
    assert odd["is_compliant"].isna().all()
    assert odd["raw"].tolist() == ['"ok"', '"ok"']


def test_v5_report_csv() -> None:
    df = run("v5.report")
    assert df.columns[0] == "api_version"
    assert list(df.columns[1:]) == [
        "type",
        "chain_id",
        "address",
        "contract_address",
        "symbol",
        "amount",
        "price_usd",
        "value_usd",
        "profit_abs_usd",
        "roi",
    ]
    assert df["value_usd"].tolist() == [4000.0, 5000.0]
    assert str(df["symbol"].dtype) == str(v5.STRING)
    odd = run(
        "v5.report",
        {"result": b"\xef\xbb\xbfValue (USD),Chain Id,Chain Id,Address\n1.5,1,2,0xab\n"},
    )
    assert list(odd.columns) == ["api_version", "value_usd", "chain_id", "chain_id_1", "address"]
    clash = run("v5.report", "Value USD,value_usd,chain_id,address\n1,2,1,0xab\n")
    assert list(clash.columns) == ["api_version", "value_usd", "value_usd_2", "chain_id", "address"]
    with pytest.raises(PayloadError, match=r"v5\.report"):
        run("v5.report", "a,b\n1,2\n3,4,5\n")
    with pytest.raises(PayloadError, match=r"v5\.report"):
        run("v5.report", {"result": [1, 2]})


HEADER = "type,chain_id,address,contract_address,symbol,amount,price_usd,value_usd\n"


def test_v5_report_header_only_is_an_answer_without_rows() -> None:
    for body in (HEADER, HEADER.encode(), "\ufeff" + HEADER.rstrip("\n"), {"result": HEADER}):
        frame = run("v5.report", body)
        assert len(frame) == 0
        assert {"chain_id", "address", "value_usd"} <= set(frame.columns)


@pytest.mark.parametrize(
    "body",
    [
        "",
        b"",
        "  \n",
        "<html><body>502 Bad Gateway</body></html>",
        b"<!DOCTYPE html>\n<html></html>",
        "null",
        b"null",
        "[]",
        '{"result": []}',
        '{"detail": "Not found"}',
        '"type,chain_id"',
        "true",
        {"result": None},
        "type,symbol,amount\ntoken,ETH,1\n",  # a CSV, but not a report: no chain_id/address
        "chain_id,address\n1,0xab\n",  # value_usd missing (dropped by drift)
    ],
)
def test_v5_report_that_is_not_a_csv_report_is_a_payload_error(body: Any) -> None:
    with pytest.raises(PayloadError) as caught:
        run("v5.report", body)
    assert caught.value.endpoint == "v5.report"


def test_v5_report_drift_renaming_a_column_to_camel_case_still_reads() -> None:
    frame = run("v5.report", "chainId,address,valueUsd\n1,0xab,2.5\n")
    assert frame["value_usd"].tolist() == [2.5]


def test_v4_current_value_families() -> None:
    df = run("v4.current_value")
    assert df["dimension"].tolist() == ["address", "address"]
    assert df["wallet"].tolist() == [W1, W2]
    assert df["value_usd"].tolist() == [12373.18, 268.8]
    assert (df["wallets"] == f"{W1},{W2}").all()
    pv = run("v4.protocols_current_value")
    assert pv["dimension"].tolist() == ["protocol_chain", "protocol"] * 2
    assert pv["key"].tolist() == ["aavev3", "aavev3", "lido", "lido"]
    assert pv["chain_id"].tolist()[:2] == [1, pd.NA]
    assert pv["locked"].tolist() == [False] * 4
    tv = run("v4.tokens_current_value")
    cats = tv[tv["dimension"] == "category"]
    assert dict(zip(cats["key"], cats["value_usd"], strict=True)) == {
        "native": 4000.0,
        "stable": 1773.18,
        "token": 1600.0,
    }
    assert cats["chain_id"].isna().all()


@pytest.mark.parametrize(
    "name", ["v4.profit_and_loss", "v4.protocols_profit_and_loss", "v4.tokens_profit_and_loss"]
)
def test_v4_profit_and_loss_total_row(name: str) -> None:
    df = run(name)
    assert df["dimension"].tolist() == ["total", "chain"]
    assert pd.isna(df["chain_id"].iloc[0]) and df["chain_id"].iloc[1] == 1
    assert df["profit_usd"].iloc[0] == df["profit_usd"].iloc[1]
    assert (df["timerange"] == "1year").all()
    assert df["label"].iloc[0] == "All chains"
    # asked for one chain, the total row is that chain's, and says so
    one = run(name, chain_id=8453)
    assert one["label"].iloc[0] == "Base" and one["chain_id"].iloc[0] == 8453


def test_v4_protocols_details_values_and_index() -> None:
    df = run("v4.protocols_details")
    row = df.iloc[0]
    assert row["protocol"] == "aavev3" and row["protocol_name"] == "Aave V3"
    assert row["position_type"] == "lending" and row["position_subtype"] == "supply"
    assert row["wallet"] == W1 and not row["is_debt"]
    assert row["price_usd"] == 0.9998 and row["value_usd"] == 5000.0
    assert row["profit_usd"] == 143.2 and row["apr"] == 0.0412 and row["holding_time_days"] == 212
    assert json.loads(row["info"]) == {"apr": 0.0412}
    expected = P.synthetic_index(1, "0x98c23e9d8f34fefb1b7bd6a91b7ff122f4e16f5c", "0", [W1])
    assert row["position_index"] == expected
    assert re.fullmatch(r"v4:[0-9a-f]{16}", expected)
    # stable: the same position in another batch (other order of addresses) keeps its index
    assert P.synthetic_index(1, "0x98C23E9D8F34FEFB1B7BD6A91B7FF122F4E16F5C", "0", [W1]) == expected
    assert P.synthetic_index(1, USDC, None, [W2, W1]) == P.synthetic_index(1, USDC, "0", [W1, W2])
    assert P.synthetic_index(10, USDC, "0", [W1]) != P.synthetic_index(1, USDC, "0", [W1])


def test_v4_tokens_details_values() -> None:
    df = run("v4.tokens_details")
    assert df["token"].tolist() == [ETH, USDC, USDT, "0x6b175474e89094c44da98b954eedeac495271d0f"]
    assert df["price_usd"].tolist() == [3200.0, 0.9998, 1.0001, 1.0]
    assert df["profit_usd"].tolist()[:2] == [512.6, -0.31]
    assert np.isnan(df["roi"].iloc[2])
    assert df["status"].tolist() == [1, 1, 1, -1]
    assert df["decimals"].isna().all()


# --------------------------------------------------------------------------------------------
# Recorded bodies


def test_recorded_v4_current_value_with_top_level_system() -> None:
    body = json.loads(recorded_or_skip("v4-general-current-value__1.json").read_text())
    assert "system" in body and "meta" not in body
    # the request: addresses=0xd8dA6BF2...96045 (checksummed) & chain_id=1
    df = v4.current_value(
        [({"addresses": ["0xd8da6bf26964af9d7eed9e03e53415d37aa96045"], "chain_id": 1}, body)]
    )
    assert_schema(df, v4.CURRENT_VALUE)
    assert df["wallet"].tolist() == ["0xd8da6bf26964af9d7eed9e03e53415d37aa96045"]
    assert df["value_usd"].tolist() == [2746515.5134213683]
    assert df["chain_id"].tolist() == [1]
    # the same body in the 2025 form (system under meta) gives the same frame
    moved = {"result": body["result"], "meta": {"cached_at": None, "system": body["system"]}}
    pd.testing.assert_frame_equal(
        df,
        v4.current_value(
            [({"addresses": ["0xd8da6bf26964af9d7eed9e03e53415d37aa96045"], "chain_id": 1}, moved)]
        ),
    )


def node_dump_to_json(text: str, underlying: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The recorded Node console.log dump as JSON.

    The dump elides ``underlying_tokens`` as ``[Array]``; it is replaced by ``underlying`` (a
    plausible list, invented here: see the test). Keys are quoted, single quotes become double
    quotes, and the closing ``}`` the source wrote for the outer array becomes ``]``.
    """
    s = text.strip().replace("[Array]", '"__UNDERLYING__"')
    s = re.sub(r"^(\s*)([A-Za-z_][A-Za-z0-9_]*):", r'\1"\2":', s, flags=re.M)
    s = s.replace("'", '"')
    assert s.endswith("}")
    items = json.loads(s[:-1] + "]")
    for item in items:
        if item.get("underlying_tokens") == "__UNDERLYING__":
            item["underlying_tokens"] = copy.deepcopy(underlying)
    return items


def test_recorded_v5_tokens_snapshot_item() -> None:
    text = recorded_or_skip("v5-tokens-snapshot__1.txt").read_text()
    # NOT recorded: Node printed `underlying_tokens: [Array]`. This list is a plausible stand-in
    # in the observed TokenBalance naming (chain_id + value_usd, docs/api-contract.md#q1): the
    # native ETH on Base whose value equals the item's recorded value_usd; amount and price are
    # invented.
    underlying = [
        {
            "chain_id": 8453,
            "address": ETH,
            "decimals": 18,
            "symbol": "ETH",
            "name": "Ether",
            "amount": 0.000375,
            "price_usd": 3126.834418223171,
            "value_usd": 1.172562906833689,
        }
    ]
    items = node_dump_to_json(text, underlying)
    assert items[0]["chain"] == 8453 and items[0]["address"] == ZERO
    wallet = "0x1111111111111111111111111111111111111111"
    for body in ({"result": items}, items):  # observed envelope and documented bare array
        df = v5.tokens_snapshot([({"addresses": [wallet], "chain_id": 8453}, body)])
        assert_schema(df, v5.TOKENS_SNAPSHOT)
        row = df.iloc[0]
        assert row["wallet"] == wallet  # zero address + one requested address -> that address
        assert row["chain_id"] == 8453 and row["token"] == ETH and row["symbol"] == "ETH"
        assert row["position_index"] == "0x9f600a34199777fd"
        assert row["value_usd"] == 1.172562906833689
        assert row["protocol"] == "token" and row["protocol_handler"] == "native"
    # two requested addresses: the zero address is kept (documented)
    df = v5.tokens_snapshot([({"addresses": [W1, W2]}, {"result": items})])
    assert df["wallet"].tolist() == [ZERO]


# --------------------------------------------------------------------------------------------
# Drift forms (docs/api-contract.md#open-questions)


def test_chain_or_chain_id_at_item_and_token_level() -> None:
    base = run("v5.tokens_snapshot")
    body = example("v5.tokens_snapshot")
    for item in body["result"]:
        item["chain_id"] = item.pop("chain")
        for tok in item["underlying_tokens"]:
            tok["chain"] = tok.pop("chain_id")
    pd.testing.assert_frame_equal(base, run("v5.tokens_snapshot", body))
    # a Chain enum object or a chain name also work
    body["result"][0]["chain_id"] = {"id_num": 1, "name": "eth", "name_readable": "Ethereum"}
    body["result"][1]["chain_id"] = "eth"
    pd.testing.assert_frame_equal(base, run("v5.tokens_snapshot", body))


def test_bare_array_and_envelope_give_the_same_frame() -> None:
    for name in (
        "v5.tokens_snapshot",
        "v5.protocols_snapshot",
        "v5.tokens_metrics",
        "v5.chart",
        "v4.protocols_details",
        "v4.tokens_details",
        "v4.profit_and_loss",
    ):
        enveloped = run(name)
        bare = run(name, example(name)["result"])
        pd.testing.assert_frame_equal(enveloped, bare)


def test_meta_or_top_level_system_give_the_same_frame() -> None:
    for name in ("v5.tokens_snapshot", "v5.current_value", "v4.value_chart", "v4.tokens_details"):
        body = example(name)
        old_form = {"result": body["result"], "system": body["meta"]["system"]}
        pd.testing.assert_frame_equal(run(name), run(name, old_form))


def test_price_to_usd_and_missing_value_usd() -> None:
    body = example("v5.tokens_snapshot")
    for item in body["result"]:
        tok = item["underlying_tokens"][0]
        tok["price_to_usd"] = tok.pop("price_usd")
        del tok["value_usd"]
    df = run("v5.tokens_snapshot", body)
    assert df["price_usd"].tolist() == [3200.0, 0.9998]
    assert df["value_usd"].tolist() == pytest.approx([4000.0, 1523.45 * 0.9998])
    body4 = example("v4.protocols_details")
    tok4 = body4["result"][0]["underlying_tokens"][0]
    tok4["price_usd"] = tok4.pop("price_to_usd")
    assert run("v4.protocols_details", body4)["price_usd"].tolist() == [0.9998]


def test_snapshot_item_without_underlying_tokens_uses_the_contract() -> None:
    body = example("v5.tokens_snapshot")
    body["result"][0]["underlying_tokens"] = None
    df = run("v5.tokens_snapshot", body)
    assert df["token"].iloc[0] == ETH and df["symbol"].iloc[0] == "ETH"
    assert df["value_usd"].iloc[0] == 4000.0 and np.isnan(df["amount"].iloc[0])


def test_unknown_fields_are_kept_and_warned_once() -> None:
    body = example("v5.tokens_snapshot")
    for item in body["result"]:
        item["risk_score"] = 3
        item["labels"] = ["a", "b"]
        item["underlying_tokens"][0]["logo"] = "https://x/logo.png"
    with pytest.warns(UnknownFieldsWarning) as caught:
        df = run("v5.tokens_snapshot", body)
    assert len([w for w in caught if issubclass(w.category, UnknownFieldsWarning)]) == 1
    assert df["risk_score"].tolist() == [3, 3]
    assert df["labels"].tolist() == ['["a","b"]'] * 2
    assert df["token_logo"].tolist() == ["https://x/logo.png"] * 2
    assert_schema(df, v5.TOKENS_SNAPSHOT)


def test_batches_concatenate_responses_with_their_context() -> None:
    body = example("v5.tokens_snapshot")
    for item in body["result"]:
        item["address"] = ZERO
    batch = [({"addresses": [W1], "chain_id": 1}, body), ({"addresses": [W2], "chain_id": 1}, body)]
    df = v5.tokens_snapshot(batch)
    assert df["wallet"].tolist() == [W1, W1, W2, W2]
    with pytest.raises(TypeError, match="pairs"):
        v5.tokens_snapshot(body)  # a bare payload is not a batch
    assert len(v5.tokens_snapshot(v5.single(body, addresses=[W1]))) == 2


# --------------------------------------------------------------------------------------------
# Missing required fields -> PayloadError naming endpoint and field


def _drop(path: list[Any]):
    def mutate(body: Any) -> Any:
        target = body
        for part in path[:-1]:
            target = target[part]
        del target[path[-1]]
        return body

    return mutate


def _set(path: list[Any], value: Any):
    def mutate(body: Any) -> Any:
        target = body
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value
        return body

    return mutate


MISSING = [
    (
        "v5.tokens_snapshot",
        _drop(["result", 1, "underlying_tokens", 0, "address"]),
        "result[1].underlying_tokens[0].address",
    ),
    ("v5.tokens_snapshot", _drop(["result", 0, "chain"]), "result[0].chain"),
    ("v5.tokens_snapshot", _drop(["result", 0, "index"]), "result[0].index"),
    (
        "v5.tokens_snapshot",
        _set(["result", 1, "underlying_tokens", 0, "amount"], [1]),
        "result[1].underlying_tokens[0].amount",
    ),
    # an absent snapshot item ``address`` is the asked wallet (see the test below), not an error
    (
        "v5.protocols_snapshot",
        _set(["result", 0, "underlying_tokens"], "x"),
        "result[0].underlying_tokens",
    ),
    ("v5.protocols_metrics", _drop(["result", 1, "index"]), "result[1].index"),
    ("v5.tokens_metrics", _set(["result", 0, "roi"], "high"), "result[0].roi"),
    (
        "v5.current_value",
        _drop(["result", "by_chain", 0, "chain_id"]),
        "result.by_chain[0].chain_id",
    ),
    ("v5.current_value", _set(["result"], [1, 2]), "result"),
    ("v5.chart", _drop(["result", 3, "timestamp"]), "result[3].timestamp"),
    ("v5.supported_chains", _drop([0, "chain_id"]), "result[0].chain_id"),
    (
        "v5.supported_protocols",
        _drop(["result", 2, "protocol_group_id"]),
        "result[2].protocol_group_id",
    ),
    ("v4.current_value", _drop(["result", 1, "address"]), "result[1].address"),
    ("v4.profit_and_loss", _drop(["result", 0, "chain_id"]), "result[0].chain_id"),
    ("v4.value_chart", _set(["result", 0, "timestamp"], None), "result[0].timestamp"),
    ("v4.protocols_current_value", _drop(["result", 1, "result"]), "result[1].result"),
    ("v4.tokens_current_value", _drop(["result", 0, "protocol_name"]), "result[0].protocol_name"),
    (
        "v4.protocols_details",
        _drop(["result", 0, "contract_address"]),
        "result[0].contract_address",
    ),
    (
        "v4.protocols_details",
        _drop(["result", 0, "underlying_tokens", 0, "address"]),
        "result[0].underlying_tokens[0].address",
    ),
    ("v4.tokens_details", _drop(["result", 2, "contract_address"]), "result[2].contract_address"),
    ("v4.supported_chains", _set(["result", 0], [1]), "result[0]"),
    ("v4.is_available", _set(["result"], "maybe"), "result"),
]


@pytest.mark.parametrize(
    ("name", "mutate", "field"), MISSING, ids=[f"{n}:{f}" for n, _, f in MISSING]
)
def test_missing_required_field_raises_payload_error(name: str, mutate: Any, field: str) -> None:
    with pytest.raises(PayloadError) as info:
        run(name, mutate(example(name)))
    assert info.value.endpoint == name
    assert info.value.field == field
    assert name in str(info.value) and field in str(info.value)


@pytest.mark.parametrize("name", ["v5.tokens_snapshot", "v5.protocols_snapshot"])
def test_absent_snapshot_owner_is_the_single_asked_wallet(name: str) -> None:
    body = example(name)
    for item in body["result"]:
        del item["address"]
    assert set(run(name, body, addresses=[W2])["wallet"]) == {W2.lower()}
    # several wallets asked: the converter names none (the loaders re-ask per wallet)
    assert run(name, body, addresses=[W1, W2])["wallet"].isna().all()


@pytest.mark.parametrize("payload", [None, 5, "text", {"detail": [{"msg": "boom"}]}])
def test_non_payloads_raise_payload_error(payload: Any) -> None:
    for name in FRAME_ENDPOINTS:
        if name in ("v5.address_check", "v4.supported_protocols"):
            continue  # shape-agnostic by design (checked below)
        func, _, ctx = CONVERTERS[name]
        with pytest.raises(PayloadError):
            func([(ctx, payload)])


def test_error_names_the_response_in_the_batch() -> None:
    bad = example("v5.tokens_snapshot")
    del bad["result"][0]["index"]
    with pytest.raises(PayloadError, match=r"response 1: chain_id=None, addresses=\[0x3e9b"):
        v5.tokens_snapshot(
            [({"addresses": [W1]}, example("v5.tokens_snapshot")), ({"addresses": [W2]}, bad)]
        )


# --------------------------------------------------------------------------------------------
# Fuzzing: random mutations give a frame (or bool) or a PayloadError, never anything else


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            out.append((*prefix, key))
            out.extend(_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out.append((*prefix, i))
            out.extend(_paths(value, (*prefix, i)))
    return out


def _apply(body: Any, path: tuple[Any, ...], op: str, value: Any) -> Any:
    if not path:
        return value if op != "drop" else None
    target = body
    for part in path[:-1]:
        target = target[part]
    if op == "drop":
        del target[path[-1]]
    else:
        target[path[-1]] = copy.deepcopy(value)
    return body


REPLACEMENTS = st.sampled_from(
    [None, "garbage", "", "12", [], [1, "x"], {}, {"a": 1}, -1, 1.5, True, 2**70]
)
FUZZ_ENDPOINTS = sorted(name for name in CONVERTERS if name != "v5.report")


@pytest.mark.parametrize("name", FUZZ_ENDPOINTS)
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutations_give_a_frame_or_payload_error(name: str, data: st.DataObject) -> None:
    func, schema, ctx = CONVERTERS[name]
    body = example(name)
    for _ in range(data.draw(st.integers(1, 3))):
        paths = _paths(body)
        if not paths:
            break
        path = data.draw(st.sampled_from(paths))
        op = data.draw(st.sampled_from(["drop", "set"]))
        if op == "drop" and isinstance(path[-1], int):
            op = "set"
        body = _apply(body, path, op, data.draw(REPLACEMENTS))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            out = func([(ctx, body)])
        except PayloadError:
            return
    if schema is None:
        assert isinstance(out, bool)
    else:
        assert isinstance(out, pd.DataFrame)
        assert_schema(out, schema)


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=200))
def test_report_fuzz(text: str) -> None:
    try:
        out = v5.report([({}, text)])
    except PayloadError:
        return
    assert isinstance(out, pd.DataFrame) and "api_version" in out.columns


# --------------------------------------------------------------------------------------------
# v4 and v5 frames share column names


SHARED_TOKEN_COLUMNS = {
    "chain_id",
    "wallet",
    "token",
    "symbol",
    "name",
    "decimals",
    "amount",
    "price_usd",
    "value_usd",
    "status",
    "api_version",
}
SHARED_POSITION_COLUMNS = {
    "chain_id",
    "wallet",
    "position_index",
    "role",
    "underlying_index",
    "token",
    "symbol",
    "name",
    "decimals",
    "amount",
    "price_usd",
    "value_usd",
    "protocol",
    "protocol_name",
    "position_type",
    "protocol_icon",
    "contract_address",
    "contract_name",
    "token_id",
    "is_debt",
    "position_value_usd",
    "status",
    "api_version",
}


def test_v4_and_v5_share_column_names() -> None:
    assert set(v5.CURRENT_VALUE.names) == set(v4.CURRENT_VALUE.names)
    assert set(v4.CURRENT_VALUE.names) <= set(v4.PROTOCOLS_CURRENT_VALUE.names)
    assert set(v4.CURRENT_VALUE.names) == set(v4.TOKENS_CURRENT_VALUE.names)
    assert v5.CHART.names == v4.VALUE_CHART.names
    assert v5.SUPPORTED_CHAINS.names == v4.SUPPORTED_CHAINS.names
    assert v5.SUPPORTED_PROTOCOLS.names == v4.SUPPORTED_PROTOCOLS.names
    assert SHARED_TOKEN_COLUMNS.issubset(set(v5.TOKENS_SNAPSHOT.names))
    assert SHARED_TOKEN_COLUMNS.issubset(set(v4.TOKENS_DETAILS.names))
    assert SHARED_POSITION_COLUMNS.issubset(set(v5.PROTOCOLS_SNAPSHOT.names))
    assert SHARED_POSITION_COLUMNS.issubset(set(v4.PROTOCOLS_DETAILS.names))
    metric_cols = {"position_index", "profit_usd", "roi", "apr", "holding_time_days"}
    assert metric_cols.issubset(set(v5.PROTOCOLS_METRICS.names))
    assert metric_cols.issubset(set(v4.PROTOCOLS_DETAILS.names))
    # same name, same dtype (v4 erc20 chain_id may be null: Int64, documented)
    pairs = [
        (v5.CURRENT_VALUE, v4.CURRENT_VALUE),
        (v5.TOKENS_SNAPSHOT, v4.TOKENS_DETAILS),
        (v5.PROTOCOLS_SNAPSHOT, v4.PROTOCOLS_DETAILS),
        (v5.CHART, v4.VALUE_CHART),
    ]
    for a, b in pairs:
        shared = set(a.names) & set(b.names)
        if b is v4.TOKENS_DETAILS:
            shared.discard("chain_id")
        for name in shared:
            assert str(a.dtypes[name]) == str(b.dtypes[name]), (a.name, name)


def test_v4_and_v5_current_value_frames_line_up() -> None:
    f5 = run("v5.current_value")
    f4 = run("v4.current_value")
    assert list(f5.columns) == list(f4.columns)
    both = pd.concat([f5, f4], ignore_index=True)
    addresses = both[both["dimension"] == "address"]
    assert addresses.groupby("api_version")["value_usd"].first().to_dict() == {
        "v4": 12373.18,
        "v5.0": 12373.18,
    }
    t5 = run("v5.tokens_snapshot")[sorted(SHARED_TOKEN_COLUMNS)]
    t4 = run("v4.tokens_details")[sorted(SHARED_TOKEN_COLUMNS)]
    assert list(t5.columns) == list(t4.columns)


# --------------------------------------------------------------------------------------------
# Reconciliation


def _consistent_scenario() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    tokens = example("v5.tokens_snapshot")
    base_item = copy.deepcopy(tokens["result"][1])
    base_item.update(index="0xbase000000000001", chain=8453)
    base_item["underlying_tokens"][0].update(chain_id=8453, value_usd=100.0)
    tokens["result"].append(base_item)
    protocols = example("v5.protocols_snapshot")
    by_chain_1 = 4000.0 + 1523.15 + 5000.0 - 1000.1  # debt netted out
    cv = {
        "result": {
            "total": by_chain_1 + 100.0,
            "by_address": [{"value_usd": by_chain_1 + 100.0, "address": W1}],
            "by_category": [],
            "by_protocol_group": [],
            "by_chain": [
                {"value_usd": by_chain_1, "chain_id": 1, "chain_name": "Ethereum"},
                {"value_usd": 100.0, "chain_id": 8453, "chain_name": "Base"},
            ],
        },
        "meta": None,
    }
    return (
        run("v5.tokens_snapshot", tokens),
        run("v5.protocols_snapshot", protocols),
        run("v5.current_value", cv),
    )


def test_reconcile_nets_debt_by_default() -> None:
    tokens, protocols, cv = _consistent_scenario()
    out = reconcile(tokens, protocols, cv)
    assert list(out.columns) == list(RECONCILE_COLUMNS)
    assert out["chain_id"].tolist()[:2] == [1, 8453] and pd.isna(out["chain_id"].iloc[2])
    assert out["ok"].all()
    assert out["diff_usd"].abs().max() < 1e-6
    assert out.loc[0, "debt_usd"] == pytest.approx(1000.1)
    assert out.loc[0, "protocols_usd"] == pytest.approx(5000.0 - 1000.1)
    gross = reconcile(tokens, protocols, cv, debt="gross")
    assert gross.loc[0, "diff_usd"] == pytest.approx(2 * 1000.1)
    assert not gross.loc[0, "ok"]
    # a negative debt value from the API counts the same
    neg = protocols.copy()
    neg.loc[neg["is_debt"], ["value_usd", "position_value_usd"]] *= -1
    assert reconcile(tokens, neg, cv)["ok"].all()


def test_reconcile_without_protocols_and_with_v4_frames() -> None:
    tokens, _, cv = _consistent_scenario()
    out = reconcile(tokens, None, cv)
    assert out.loc[1, "ok"] and not out.loc[0, "ok"]  # base holds only tokens
    assert out.loc[0, "diff_usd"] == pytest.approx(-(5000.0 - 1000.1))
    t4 = run("v4.tokens_details")
    p4 = run("v4.protocols_details")
    cv4 = pd.concat([run("v4.tokens_current_value"), run("v4.protocols_current_value")])
    out4 = reconcile(t4, p4, cv4)
    assert out4.loc[0, "snapshot_usd"] == pytest.approx(4000 + 1523.15 + 250.03 + 5000.0)
    assert out4.loc[0, "current_value_usd"] == pytest.approx(12373.18)


# --------------------------------------------------------------------------------------------
# Speed and docs


def _big_tokens_batch(rows: int, per_response: int = 1000) -> list[tuple[dict, dict]]:
    item = example("v5.tokens_snapshot")["result"][1]
    batch = []
    for r in range(rows // per_response):
        wallet = f"0x{r:040x}"
        items = []
        for i in range(per_response):
            it = dict(item, index=f"0x{r * per_response + i:016x}", address=ZERO)
            tok = dict(item["underlying_tokens"][0], address=f"0x{i:040x}")
            it["underlying_tokens"] = [tok]
            items.append(it)
        batch.append(({"addresses": [wallet], "chain_id": 1}, {"result": items}))
    return batch


def test_100k_row_tokens_snapshot_builds_whole() -> None:
    # speed is measured in benchmarks/, never asserted here
    df = v5.tokens_snapshot(_big_tokens_batch(100_000))
    assert len(df) == 100_000 and df["wallet"].nunique() == 100
    assert not df.duplicated(["chain_id", "wallet", "token"]).any()


def test_docs_tables_match_the_schemas() -> None:
    if not DOCS.exists():
        pytest.skip("docs/frames-portfolio.md not present")
    text = DOCS.read_text()
    for module in (v5, v4):
        for name in module.__all__:
            schema = getattr(module, name)
            if isinstance(schema, FrameSchema):
                assert P.schema_markdown(schema) in text, (
                    f"{schema.name}: docs/frames-portfolio.md is stale; regenerate it with "
                    "python docs/make_portfolio_frames.py"
                )


@pytest.mark.parametrize("name", FRAME_ENDPOINTS)
@pytest.mark.parametrize("huge", [10**400, -(10**30), 2**64])
def test_an_unknown_field_with_a_huge_integer_is_kept_exactly(name: str, huge: int) -> None:
    """An integer beyond int64 (and beyond float) in an unknown field is kept as exact text,
    never an OverflowError, for parsed and raw bodies alike."""
    payload = example(name)
    items = payload["result"] if isinstance(payload, dict) else payload
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list) or not items or not isinstance(items[0], dict):
        pytest.skip("no item to extend")
    items[0]["brand_new_counter"] = huge
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownFieldsWarning)
        frame = run(name, payload)
    columns = [c for c in frame.columns if c.endswith("brand_new_counter")]
    if not columns:
        pytest.skip("this converter has no extra columns for this item")
    values = frame[columns[0]].dropna().tolist()
    assert str(huge) in [str(v) for v in values]


def test_huge_integer_next_to_floats_stays_exact() -> None:
    values = P._extra([1.5, None, 10**400])
    assert values[2] == 10**400 and values[0] == 1.5
    assert P._extra([None, 7])[1] == 7
    assert P._extra([2**70, 3]).tolist() == [str(2**70), "3"]


@pytest.mark.parametrize("raw", [False, True], ids=["parsed", "raw"])
@pytest.mark.parametrize("name", ["v5.tokens_snapshot", "v5.protocols_snapshot"])
def test_a_duplicated_snapshot_item_collapses_or_is_a_payload_error(name: str, raw: bool) -> None:
    convert, _, ctx = CONVERTERS[name]

    def enc(payload: Any) -> Any:
        return json.dumps(payload).encode() if raw else payload

    expected = convert([(ctx, enc(example(name)))])
    repeated = example(name)
    repeated["result"].append(copy.deepcopy(repeated["result"][0]))
    pd.testing.assert_frame_equal(convert([(ctx, enc(repeated))]), expected)
    repeated["result"][-1]["underlying_tokens"][0]["amount"] = 9.0
    with pytest.raises(PayloadError, match="two different items") as caught:
        convert([(ctx, enc(repeated))])
    assert caught.value.endpoint == name


def test_v4_and_v5_share_helpers_only_through_portfolio_module() -> None:
    """#14: the v4 converters depend on frames/_portfolio.py, never on v5 internals."""
    import ast
    from pathlib import Path

    import inchframe.frames.portfolio_v4 as v4

    tree = ast.parse(Path(v4.__file__).read_text(encoding="utf-8"))
    imported = {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module is not None
    }
    assert "portfolio_v5" not in imported and "inchframe.frames.portfolio_v5" not in imported
    # the v4 module names no v5 helper: what both versions build comes from _portfolio
    from inchframe.frames import _portfolio, portfolio_v5

    for name in ("chart_frame", "parse_token", "append_position_rows", "availability"):
        assert not hasattr(v4, name) and not hasattr(portfolio_v5, name)
        assert callable(getattr(_portfolio, name))
