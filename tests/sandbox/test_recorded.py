"""Each recorded real body has a sandbox counterpart with the same keys and value types."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from inchframe.sandbox import Sandbox

from ._helpers import BAT, BINANCE, LPT, NATIVE, RECORDED, ROUTER, V4, V5, call

WALLET = "0x1C17622cfa9B6fD2043A76DfC39A5B5a109aa708"
B = "/balance/v1.2/1"
ADDRESS = re.compile(r"^0x[0-9a-f]{40}$")


def _recorded(name: str) -> Any:
    return json.loads((RECORDED / name).read_text())


def _shape(value: Any) -> Any:
    """Keys and value types, recursively (dict key sets; list element shapes merged)."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__


def _map_shape(payload: dict[str, Any]) -> set[str]:
    """Shapes of a ``{token address: value}`` map: keys must be lowercase addresses."""
    assert all(ADDRESS.match(k) for k in payload), list(payload)[:3]
    return {json.dumps(_shape(v), sort_keys=True) for v in payload.values()}


@pytest.mark.parametrize(
    ("fixture", "method", "path", "body"),
    [
        ("balance-balances-get__1.json", "GET", f"{B}/balances/{WALLET}", None),
        ("balance-balances-post__1.json", "POST", f"{B}/balances/{WALLET}", {"tokens": [BAT, LPT]}),
        ("balance-allowances-get__1.json", "GET", f"{B}/allowances/{BAT}/{WALLET}", None),
        (
            "balance-allowances-post__1.json",
            "POST",
            f"{B}/allowances/{BAT}/{WALLET}",
            {"tokens": [BAT, LPT]},
        ),
        (
            "balance-allowancesAndBalances-get__1.json",
            "GET",
            f"{B}/allowancesAndBalances/{ROUTER}/{WALLET}",
            None,
        ),
        (
            "balance-allowancesAndBalances-post__1.json",
            "POST",
            f"{B}/allowancesAndBalances/{BAT}/{WALLET}",
            {"tokens": [BAT, LPT]},
        ),
    ],
)
def test_balance_maps(sandbox: Sandbox, fixture: str, method: str, path: str, body: Any) -> None:
    expected = _recorded(fixture)
    reply = call(sandbox.url, path, method=method, body=body)
    assert reply.status == 200
    payload = reply.json()
    assert _map_shape(payload) == _map_shape(expected)
    if method == "POST":  # the same keys as the recorded answer to the same request
        assert set(payload) == set(expected)
    else:  # GET covers the whole token list; the recorded excerpts' list tokens are in it
        listed = [k for k in expected if sandbox.universe.token(1, k)]
        assert listed and set(listed) <= set(payload)
    if NATIVE in expected:
        native = payload[NATIVE]
        native_allowance = native["allowance"] if isinstance(native, dict) else native
        assert native_allowance == str(2**256 - 1)


def test_wallets_and_tokens(sandbox: Sandbox) -> None:
    expected = _recorded("balance-balances-multiple-walletsAndTokens__1.json")
    payload = call(
        sandbox.url,
        f"{B}/balances/multiple/walletsAndTokens",
        method="POST",
        body={"tokens": [BAT, LPT], "wallets": [WALLET, BINANCE]},
    ).json()
    assert list(payload) == list(expected)  # wallet keys keep the request casing
    assert _shape(payload) == _shape(expected)


def test_aggregated(sandbox: Sandbox) -> None:
    expected = _recorded("balance-aggregatedBalancesAndAllowances__1.json")
    payload = call(
        sandbox.url,
        f"{B}/aggregatedBalancesAndAllowances/{LPT}?wallets={WALLET},{BINANCE}&filterEmpty=true",
    ).json()
    assert isinstance(payload, list) and payload
    native = next(i for i in payload if i["address"] == NATIVE)
    assert _shape(native) == _shape(expected[0])
    assert native["type"] == "ethereum" and native["tags"] == ["native", "PEG:ETH"]
    assert native["logoURI"] == expected[0]["logoURI"]
    token = next(i for i in payload if i["address"] != NATIVE)
    assert set(token) - set(expected[1]) == {"tags"}  # the fixture omits the nil tags
    assert {k: v for k, v in _shape(token).items() if k != "tags"} == _shape(expected[1])
    assert list(native["wallets"]) == list(expected[0]["wallets"])


def test_v4_current_value_legacy_form() -> None:
    expected = _recorded("v4-general-current-value__1.json")
    with Sandbox(quirks="legacy") as sb:
        payload = call(
            sb.url,
            f"{V4}/general/current_value?addresses="
            "0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045&chain_id=1",
        ).json()
    assert _shape(payload) == _shape(expected)
    assert payload["result"][0]["address"] == expected["result"][0]["address"]


def test_v4_current_value_default_form(sandbox: Sandbox) -> None:
    expected = _recorded("v4-general-current-value__1.json")
    payload = call(
        sandbox.url,
        f"{V4}/general/current_value?addresses="
        "0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045&chain_id=1",
    ).json()
    assert set(payload) == {"result", "meta"}
    assert _shape(payload["meta"]["system"]) == _shape(expected["system"])


def _snapshot_keys() -> list[str]:
    text = (RECORDED / "v5-tokens-snapshot__1.txt").read_text()
    return re.findall(r"^ {8}(\w+):", text, flags=re.MULTILINE)


def test_v5_tokens_snapshot_item_keys(sandbox: Sandbox) -> None:
    keys = _snapshot_keys()
    assert len(keys) == 23 and keys[1] == "chain"
    payload = call(
        sandbox.url,
        f"{V5}/tokens/snapshot?addresses=0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045&chain_id=1",
    ).json()
    assert set(payload) == {"result", "meta"}
    native = next(i for i in payload["result"] if i["contract_address"] == NATIVE)
    assert list(native) == keys
    types = {
        "index": str,
        "chain": int,
        "contract_address": str,
        "token_id": int,
        "address": str,
        "block_number_created": int,
        "block_number": type(None),
        "timestamp": type(None),
        "protocol_type": str,
        "protocol_handler_id": str,
        "protocol_group_id": str,
        "protocol_group_name": str,
        "protocol_group_icon": str,
        "protocol_sub_group_id": type(None),
        "protocol_sub_group_name": type(None),
        "contract_name": str,
        "contract_symbol": str,
        "asset_sign": int,
        "status": int,
        "underlying_tokens": list,
        "reward_tokens": list,
        "value_usd": float,
        "locked": bool,
    }
    assert {k: type(v) for k, v in native.items()} == types
    assert re.fullmatch(r"0x[0-9a-f]{16}", native["index"])
    assert (
        native["protocol_handler_id"],
        native["protocol_group_id"],
        native["protocol_group_name"],
        native["protocol_group_icon"],
    ) == ("native", "token", "Token", "https://app.1inch.io/assets/overview/tokens.svg")
