"""Required fields of the Portfolio converters (docs/frames-portfolio.md, "Required fields").

A field the contract requires on every item (the core measures and keys: ``value_usd``,
``amount``, ``price_usd``, ``abs_profit_usd``, ``roi``, ``asset_sign``, the protocol id...) that is
*absent* raises a PayloadError naming the endpoint and the field path: a field dropped by API drift
must not turn into a NaN column and wrong totals. The same field *present* with JSON ``null`` is
the API saying it does not know: NaN / NA, no error. The fast paths (raw bodies) agree: they fall
back to the safe path, which raises.
"""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import pandas as pd
import pytest

from inchframe.errors import PayloadError
from inchframe.frames import portfolio_v4 as v4
from inchframe.frames import portfolio_v5 as v5

from .test_portfolio_frames import CONVERTERS, EXAMPLES, run

Path = tuple[Any, ...]

#: (endpoint, path of the field to remove in the composed example, field named by the error)
MISSING: list[tuple[str, Path, str]] = [
    # v5.0 general/chart and v4 general/value_chart: AssetChartResponseItem {timestamp, value_usd}
    ("v5.chart", ("result", 0, "value_usd"), "result[0].value_usd"),
    ("v5.chart", ("result", 3, "timestamp"), "result[3].timestamp"),
    ("v4.value_chart", ("result", 0, "value_usd"), "result[0].value_usd"),
    # v5.0 general/current_value: CurrentValueResponse, all five fields and every value_usd
    ("v5.current_value", ("result", "total"), "result.total"),
    ("v5.current_value", ("result", "by_chain"), "result.by_chain"),
    ("v5.current_value", ("result", "by_address"), "result.by_address"),
    (
        "v5.current_value",
        ("result", "by_category", 1, "value_usd"),
        "result.by_category[1].value_usd",
    ),
    (
        "v5.current_value",
        ("result", "by_protocol_group", 0, "protocol_group_id"),
        "result.by_protocol_group[0].protocol_group_id",
    ),
    # v5.0 snapshots: AdapterResult and its TokenBalance items
    ("v5.tokens_snapshot", ("result", 0, "value_usd"), "result[0].value_usd"),
    ("v5.tokens_snapshot", ("result", 1, "protocol_group_id"), "result[1].protocol_group_id"),
    ("v5.tokens_snapshot", ("result", 0, "asset_sign"), "result[0].asset_sign"),
    ("v5.tokens_snapshot", ("result", 0, "contract_address"), "result[0].contract_address"),
    ("v5.tokens_snapshot", ("result", 0, "index"), "result[0].index"),
    ("v5.tokens_snapshot", ("result", 0, "underlying_tokens"), "result[0].underlying_tokens"),
    (
        "v5.tokens_snapshot",
        ("result", 1, "underlying_tokens", 0, "amount"),
        "result[1].underlying_tokens[0].amount",
    ),
    (
        "v5.tokens_snapshot",
        ("result", 0, "underlying_tokens", 0, "price_usd"),
        "result[0].underlying_tokens[0].price_usd",
    ),
    ("v5.protocols_snapshot", ("result", 1, "value_usd"), "result[1].value_usd"),
    ("v5.protocols_snapshot", ("result", 1, "asset_sign"), "result[1].asset_sign"),
    ("v5.protocols_snapshot", ("result", 0, "protocol_group_id"), "result[0].protocol_group_id"),
    ("v5.protocols_snapshot", ("result", 0, "underlying_tokens"), "result[0].underlying_tokens"),
    (
        "v5.protocols_snapshot",
        ("result", 0, "underlying_tokens", 0, "price_usd"),
        "result[0].underlying_tokens[0].price_usd",
    ),
    # v5.0 supported_protocols: chain_id is part of the row's key
    ("v5.supported_protocols", ("result", 2, "chain_id"), "result[2].chain_id"),
    # v4 current values
    ("v4.current_value", ("result", 1, "value_usd"), "result[1].value_usd"),
    (
        "v4.protocols_current_value",
        ("result", 0, "result", 1, "value_usd"),
        "result[0].result[1].value_usd",
    ),
    (
        "v4.tokens_current_value",
        ("result", 2, "result", 0, "value_usd"),
        "result[2].result[0].value_usd",
    ),
    # v4 profit and loss: {chain_id, abs_profit_usd, roi}
    ("v4.profit_and_loss", ("result", 0, "abs_profit_usd"), "result[0].abs_profit_usd"),
    ("v4.profit_and_loss", ("result", 1, "roi"), "result[1].roi"),
    ("v4.profit_and_loss", ("result", 1, "chain_id"), "result[1].chain_id"),
    ("v4.protocols_profit_and_loss", ("result", 0, "abs_profit_usd"), "result[0].abs_profit_usd"),
    ("v4.tokens_profit_and_loss", ("result", 1, "roi"), "result[1].roi"),
    # v4 details: ProtocolOverviewResponseItem / Erc20OverviewResponseItem
    ("v4.protocols_details", ("result", 0, "value_usd"), "result[0].value_usd"),
    ("v4.protocols_details", ("result", 0, "debt"), "result[0].debt"),
    ("v4.protocols_details", ("result", 0, "protocol"), "result[0].protocol"),
    ("v4.protocols_details", ("result", 0, "profit_abs_usd"), "result[0].profit_abs_usd"),
    ("v4.protocols_details", ("result", 0, "roi"), "result[0].roi"),
    ("v4.protocols_details", ("result", 0, "underlying_tokens"), "result[0].underlying_tokens"),
    (
        "v4.protocols_details",
        ("result", 0, "underlying_tokens", 0, "amount"),
        "result[0].underlying_tokens[0].amount",
    ),
    (
        "v4.protocols_details",
        ("result", 0, "underlying_tokens", 0, "price_to_usd"),
        "result[0].underlying_tokens[0].price_usd",
    ),
    ("v4.tokens_details", ("result", 0, "chain_id"), "result[0].chain_id"),
    ("v4.tokens_details", ("result", 1, "amount"), "result[1].amount"),
    ("v4.tokens_details", ("result", 1, "price_to_usd"), "result[1].price_usd"),
    ("v4.tokens_details", ("result", 2, "abs_profit_usd"), "result[2].abs_profit_usd"),
    ("v4.tokens_details", ("result", 2, "roi"), "result[2].roi"),
]

#: (endpoint, path of a measure set to null, frame column, row) -> NaN / NA, no error
NULLS: list[tuple[str, Path, str, int]] = [
    ("v5.chart", ("result", 0, "value_usd"), "value_usd", 0),
    ("v4.value_chart", ("result", 0, "value_usd"), "value_usd", 0),
    ("v5.current_value", ("result", "total"), "value_usd", 0),
    ("v5.tokens_snapshot", ("result", 0, "underlying_tokens", 0, "price_usd"), "price_usd", 0),
    ("v5.tokens_snapshot", ("result", 0, "underlying_tokens", 0, "amount"), "amount", 0),
    ("v5.protocols_snapshot", ("result", 0, "value_usd"), "position_value_usd", 0),
    ("v4.current_value", ("result", 1, "value_usd"), "value_usd", 1),
    ("v4.profit_and_loss", ("result", 0, "abs_profit_usd"), "profit_usd", 0),
    ("v4.profit_and_loss", ("result", 1, "roi"), "roi", 1),
    ("v4.protocols_current_value", ("result", 0, "result", 0, "value_usd"), "value_usd", 0),
    ("v4.protocols_details", ("result", 0, "roi"), "roi", 0),
    ("v4.tokens_details", ("result", 0, "abs_profit_usd"), "profit_usd", 0),
]


def _parent(payload: Any, path: Path) -> tuple[Any, Any]:
    node = payload
    for step in path[:-1]:
        node = node[step]
    return node, path[-1]


def without(name: str, path: Path) -> Any:
    payload = copy.deepcopy(EXAMPLES[name])
    parent, last = _parent(payload, path)
    assert last in parent, (name, path)
    del parent[last]
    return payload


def with_null(name: str, path: Path) -> Any:
    payload = copy.deepcopy(EXAMPLES[name])
    parent, last = _parent(payload, path)
    assert last in parent, (name, path)
    parent[last] = None
    return payload


@pytest.mark.parametrize(
    ("name", "path", "field"), MISSING, ids=[f"{n}:{f}" for n, _, f in MISSING]
)
def test_an_absent_required_field_is_a_payload_error(name: str, path: Path, field: str) -> None:
    with pytest.raises(PayloadError) as caught:
        run(name, without(name, path))
    assert caught.value.endpoint == name
    assert caught.value.field == field
    assert "required field is missing" in str(caught.value)


@pytest.mark.parametrize(
    ("name", "path", "column", "row"), NULLS, ids=[f"{n}:{c}" for n, _, c, _ in NULLS]
)
def test_a_null_required_measure_is_nan(name: str, path: Path, column: str, row: int) -> None:
    frame = run(name, with_null(name, path))
    assert pd.isna(frame[column].iloc[row])
    assert frame[column].notna().sum() == run(name)[column].notna().sum() - 1


@pytest.mark.parametrize("name", ["v5.tokens_metrics", "v5.protocols_metrics"])
@pytest.mark.parametrize("field", ["profit_abs_usd", "roi", "weighted_apr", "holding_time_days"])
def test_metrics_measures_stay_optional(name: str, field: str) -> None:
    """HistoryMetrics requires only ``index`` (the contract): its measures may be absent."""
    frame = run(name, without(name, ("result", 0, field)))
    column = {"profit_abs_usd": "profit_usd", "weighted_apr": "apr"}.get(field, field)
    assert pd.isna(frame[column].iloc[0])
    with pytest.raises(PayloadError, match=r"result\[0\]\.index"):
        run(name, without(name, ("result", 0, "index")))


def test_optional_snapshot_fields_may_be_absent() -> None:
    """AdapterResult fields the contract leaves optional stay optional (NA), as do reward
    lists."""
    payload = copy.deepcopy(EXAMPLES["v5.tokens_snapshot"])
    for field in (
        "block_number",
        "timestamp",
        "protocol_sub_group_id",
        "protocol_sub_group_name",
        "status",
        "locked",
        "reward_tokens",
    ):
        payload["result"][0].pop(field, None)
    del payload["result"][0]["underlying_tokens"][0]["value_usd"]  # amount x price
    frame = run("v5.tokens_snapshot", payload)
    assert frame["value_usd"].iloc[0] == 1.25 * 3200.0
    assert pd.isna(frame["status"].iloc[0])
    raw = CONVERTERS["v5.tokens_snapshot"][0](_raw("v5.tokens_snapshot", payload))
    pd.testing.assert_frame_equal(raw, frame)


def _drifted(name: str, field: str, rename: bool) -> Any:
    """The example with ``field`` of its first item dropped, or renamed as the sandbox's
    drift fault renames it (snake_case to camelCase)."""
    from inchframe.sandbox.faults import _renamed

    payload = copy.deepcopy(EXAMPLES[name])
    item = payload["result"][0]
    value = item.pop(field)
    if rename:
        item[_renamed(field)] = value
    return payload


REQUIRED_ITEMS = [
    (name, field)
    for name, fields in (
        ("v5.tokens_snapshot", v5.ITEM_REQUIRED),
        ("v5.protocols_snapshot", v5.ITEM_REQUIRED),
        ("v4.protocols_details", [f if isinstance(f, str) else f[0] for f in v4._DETAIL_REQUIRED]),
        ("v4.tokens_details", [f if isinstance(f, str) else f[0] for f in v4._ERC20_REQUIRED]),
    )
    for field in fields
    if field in EXAMPLES[name]["result"][0]
]


@pytest.mark.parametrize("rename", [False, True], ids=["dropped", "renamed"])
@pytest.mark.parametrize(
    ("name", "field"), REQUIRED_ITEMS, ids=[f"{n}:{f}" for n, f in REQUIRED_ITEMS]
)
def test_a_required_item_field_dropped_or_renamed_is_a_payload_error(
    name: str, field: str, rename: bool
) -> None:
    """The contract's required lists: ``token_id`` in snapshots, ``status`` in v4 details..."""
    payload = _drifted(name, field, rename)
    with pytest.raises(PayloadError) as caught:
        run(name, payload)
    assert caught.value.endpoint == name
    assert caught.value.field.startswith("result[0].")
    assert "required field is missing" in str(caught.value)
    if name.endswith("_snapshot"):  # the raw-body path agrees
        with pytest.raises(PayloadError) as raw:
            CONVERTERS[name][0](_raw(name, payload))
        assert raw.value.field == caught.value.field


def test_snapshot_status_is_optional_and_token_id_required() -> None:
    assert "status" not in v5.ITEM_REQUIRED and "token_id" in v5.ITEM_REQUIRED
    frame = run("v5.tokens_snapshot", _drifted("v5.tokens_snapshot", "status", rename=False))
    assert pd.isna(frame["status"].iloc[0])
    assert "status" in v4._ERC20_REQUIRED and "status" in v4._DETAIL_REQUIRED


def test_empty_current_value_object_is_no_rows() -> None:
    assert len(run("v5.current_value", {"result": {}})) == 0


# -- the fast path (raw bodies) agrees ---------------------------------------------------------

SNAPSHOT_MISSING = [case for case in MISSING if case[0].endswith("_snapshot")]


def _raw(name: str, payload: Any) -> list[tuple[Any, bytes]]:
    _, _, ctx = CONVERTERS[name]
    return [(ctx, json.dumps(payload, separators=(",", ":")).encode())]


@pytest.mark.parametrize(
    ("name", "path", "field"), SNAPSHOT_MISSING, ids=[f"{n}:{f}" for n, _, f in SNAPSHOT_MISSING]
)
def test_fast_path_falls_back_on_an_absent_required_field(
    name: str, path: Path, field: str
) -> None:
    convert = CONVERTERS[name][0]
    with pytest.raises(PayloadError) as caught:
        convert(_raw(name, without(name, path)))
    assert caught.value.endpoint == name
    assert caught.value.field == field


@pytest.mark.parametrize("name", ["v5.tokens_snapshot", "v5.protocols_snapshot"])
@pytest.mark.parametrize(
    "path",
    [
        ("result", 0, "value_usd"),
        ("result", 0, "asset_sign"),
        ("result", 0, "contract_address"),
        ("result", 0, "underlying_tokens", 0, "amount"),
        ("result", 0, "underlying_tokens", 0, "price_usd"),
    ],
)
def test_fast_path_and_safe_path_agree_on_nulls(name: str, path: Path) -> None:
    convert = CONVERTERS[name][0]
    payload = with_null(name, path)
    fast = convert(_raw(name, payload))
    safe = run(name, payload)
    pd.testing.assert_frame_equal(fast, safe)
    column = {
        ("result", 0, "value_usd"): "position_value_usd",
        ("result", 0, "underlying_tokens", 0, "amount"): "amount",
        ("result", 0, "underlying_tokens", 0, "price_usd"): "price_usd",
    }.get(path)
    if column in safe.columns:  # tokens_snapshot shows the token's value, not the item's
        assert math.isnan(safe[column].iloc[0])
