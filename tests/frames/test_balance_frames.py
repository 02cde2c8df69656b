"""Balance API v1.2 converters: recorded bodies, composed examples, exactness, errors.

Recorded bodies: tests/data/recorded/ (provenance in its INDEX.md). Composed examples follow the
documented shapes of docs/api-contract.md#endpoints.
"""

from __future__ import annotations

import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inchframe import UnknownFieldsWarning
from inchframe.errors import InputError, PayloadError
from inchframe.frames import balance as fb
from inchframe.frames.schema import STRING, FrameSchema, raw_to_int

MAX = 2**256 - 1
MAX_S = str(MAX)
NATIVE = "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
W1 = "0x1C17622cfa9B6fD2043A76DfC39A5B5a109aa708"
W2 = "0x28C6c06298d514Db089934071355E5743bf21d60"
BAT = "0x0d8775f648430679a709e98d2b0cb6250d2887ef"
LPT = "0x58b6a8a3302369daec383334672404ee733ab239"
ROUTER = "0x111111125421ca6dc452d289314280a0f8842a65"
USDT = "0xdac17f958d2ee523a2206206994597c13d831ec7"
USDC = "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"
WETH = "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"
DAI = "0x6b175474e89094c44da98b954eedeac495271d0f"
ONEINCH = "0x111111111117dc0aa78b770fa6a738034120c302"
A = "0x5a1f0c3c9b6f4e1d2a7b8c9d0e1f2a3b4c5d6e7f"
B = "0x3e9b7c2d1f0a4b5c6d7e8f9a0b1c2d3e4f5a6b7c"
B_MIXED = "0x3E9b7C2d1F0a4B5c6D7e8F9a0B1c2D3e4F5a6B7c"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "frames-balance.md"

Load = Callable[[str], Any]


def assert_schema(df: pd.DataFrame, schema: FrameSchema) -> None:
    """Columns start with the schema's, in order, with exactly its dtypes."""
    assert tuple(df.columns[: len(schema.names)]) == schema.names
    for column in schema.columns:
        assert str(df[column.name].dtype) == str(column.dtype), column.name
    for name in schema.names:
        if str(schema.dtypes[name]) == "string":
            assert df[name].dtype == STRING, name
    assert df.index.equals(pd.RangeIndex(len(df)))


def token_info(rows: list[tuple[int, str, str, str, int, str | None]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["chain_id", "token", "symbol", "name", "decimals", "tags"])


MAINNET_INFO = token_info(
    [
        (1, NATIVE, "ETH", "Ether", 18, "native,PEG:ETH"),
        (1, USDT, "USDT", "Tether USD", 6, "PEG:USD,tokens"),
        (1, USDC, "USDC", "USD Coin", 6, "PEG:USD,tokens"),
        (1, WETH, "WETH", "Wrapped Ether", 18, "tokens"),
        (1, DAI, "DAI", "Dai Stablecoin", 18, "PEG:USD,tokens"),
        (1, BAT, "BAT", "Basic Attention Token", 18, "tokens"),
    ]
)


# ------------------------------------------------------------------------ recorded bodies


def test_recorded_balances_get(recorded_balance: Load) -> None:
    payload = recorded_balance("balances-get__1")
    df = fb.balances_frame([((1, W1), payload)], keep_zero=True)
    assert_schema(df, fb.BALANCES)
    assert df.token.tolist() == list(payload)  # payload order
    assert set(df.wallet) == {W1.lower()}
    assert df.balance_raw.tolist() == ["0", "1870790329879940053913181", "0"]
    assert df.symbol.isna().all() and df.decimals.isna().all() and df.balance.isna().all()
    assert not df.is_native.any()

    dropped = fb.balances_frame([((1, W1), payload)])
    assert dropped.token.tolist() == ["0xd26114cd6ee289accf82350c8d8487fedb8a0c07"]

    omg = token_info(
        [(1, "0xd26114cd6ee289accf82350c8d8487fedb8a0c07", "OMG", "OMG Network", 18, None)]
    )
    with_info = fb.balances_frame([((1, W1), payload)], token_info=omg)
    assert with_info.symbol.tolist() == ["OMG"]
    assert with_info.decimals.tolist() == [18]
    assert with_info.balance.iloc[0] == pytest.approx(1870790.329879940053913181, rel=1e-15)
    assert with_info.tags.isna().all()


def test_recorded_balances_post(recorded_balance: Load) -> None:
    df = fb.balances_frame(
        [((1, W1), recorded_balance("balances-post__1"))], token_info=MAINNET_INFO
    )
    assert_schema(df, fb.BALANCES)
    assert df.token.tolist() == [BAT, LPT]
    assert df.balance_raw.tolist() == ["1959358841794366748822851", "49288784831205560933732"]
    assert df.symbol.tolist()[0] == "BAT" and pd.isna(df.symbol.iloc[1])
    assert df.balance.iloc[0] == pytest.approx(1959358.841794366748822851)
    assert np.isnan(df.balance.iloc[1])


def test_recorded_wallets_and_tokens(recorded_balance: Load) -> None:
    payload = recorded_balance("balances-multiple-walletsAndTokens__1")
    assert W1 in payload  # the wire keeps the request casing ...
    df = fb.wallets_and_tokens_frame([((1,), payload)])
    assert_schema(df, fb.BALANCES)
    # ... the frame is lowercase, wallet order then token order as in the payload
    assert df.wallet.tolist() == [W1.lower(), W1.lower(), W2.lower(), W2.lower()]
    assert df.token.tolist() == [BAT, LPT, BAT, LPT]
    assert df.balance_raw.tolist() == [
        "1959358841794366748822851",
        "49288784831205560933732",
        "1161733852779267731316060",
        "63737723801972894816455",
    ]
    assert (df.chain_id == 1).all()
    # a bare chain id is accepted as the context
    assert fb.wallets_and_tokens_frame([(1, payload)]).equals(df)


def test_recorded_allowances_get(recorded_balance: Load) -> None:
    payload = recorded_balance("allowances-get__1")
    ctx = (1, W1, BAT)
    df = fb.allowances_frame([(ctx, payload)])
    assert_schema(df, fb.ALLOWANCES)
    assert df.token.tolist() == [NATIVE]
    row = df.iloc[0]
    assert row.allowance_raw == MAX_S and row.unlimited and row.is_native
    assert row.wallet == W1.lower() and row.spender == BAT
    # native metadata falls back to the chain table
    assert (row.symbol, row["name"], row.decimals) == ("ETH", "Ether", 18)
    assert row.allowance == pytest.approx(MAX / 10**18)

    full = fb.allowances_frame([(ctx, payload)], keep_zero=True)
    assert full.token.tolist() == list(payload)
    assert full.unlimited.tolist() == [False, True, False, False, False]
    assert full.allowance_raw.tolist() == [payload[t] for t in payload]


def test_recorded_allowances_post_keeps_unrequested_native(recorded_balance: Load) -> None:
    df = fb.allowances_frame(
        [((1, W1, BAT), recorded_balance("allowances-post__1"))], keep_zero=True
    )
    assert_schema(df, fb.ALLOWANCES)
    assert df.token.tolist() == [BAT, LPT, NATIVE]
    assert df.is_native.tolist() == [False, False, True]
    assert df.unlimited.tolist() == [False, False, True]


def test_recorded_allowances_and_balances_get(recorded_balance: Load) -> None:
    payload = recorded_balance("allowancesAndBalances-get__1")
    df = fb.balances_and_allowances_frame([((1, W1, ROUTER), payload)])
    assert_schema(df, fb.BALANCES_AND_ALLOWANCES)
    # rows where balance and allowance are both zero are dropped
    assert df.token.tolist() == [NATIVE, "0x39aa39c021dfbae8fac545936693ac917d5e7563"]
    assert df.balance_raw.tolist() == ["548417674176835310649", "61790806808"]
    assert df.allowance_raw.tolist() == [MAX_S, "0"]
    assert df.unlimited.tolist() == [True, False]
    assert df.balance.iloc[0] == pytest.approx(548.417674176835310649)
    assert np.isnan(df.balance.iloc[1])  # cUSDC decimals unknown without token_info
    assert len(fb.balances_and_allowances_frame([((1, W1, ROUTER), payload)], keep_zero=True)) == 6


def test_recorded_allowances_and_balances_post(recorded_balance: Load) -> None:
    df = fb.balances_and_allowances_frame(
        [((1, W1, BAT), recorded_balance("allowancesAndBalances-post__1"))],
        token_info=MAINNET_INFO,
    )
    assert_schema(df, fb.BALANCES_AND_ALLOWANCES)
    assert df.token.tolist() == [BAT, LPT]  # balance > 0 keeps the row despite allowance 0
    assert df.allowance.tolist()[0] == 0.0
    assert df.unlimited.tolist() == [False, False]
    assert df.symbol.tolist()[0] == "BAT"


def test_recorded_aggregated(recorded_balance: Load) -> None:
    payload = recorded_balance("aggregatedBalancesAndAllowances__1")
    df = fb.aggregated_frame([((1, LPT), payload)])
    assert_schema(df, fb.AGGREGATED)
    assert df.columns.tolist() == list(fb.AGGREGATED.names)
    bend = "0x0d02755a5700414b26ff040e1de35d337df56218"
    # wallet-major, tokens in payload order
    assert list(zip(df.wallet, df.token, strict=True)) == [
        (W1.lower(), NATIVE),
        (W1.lower(), bend),
        (W2.lower(), NATIVE),
        (W2.lower(), bend),
    ]
    eth = df[(df.wallet == W1.lower()) & df.is_native].iloc[0]
    assert eth.balance_raw == "18920076738417670657"
    assert eth.unlimited and eth.is_native
    assert eth.allowance_raw == MAX_S
    assert eth.balance == pytest.approx(18.920076738417670657, rel=1e-15)
    assert (eth.symbol, eth["name"], eth.decimals, eth.tags) == (
        "ETH",
        "Ether",
        18,
        "native,PEG:ETH",
    )
    assert eth.spender == LPT
    bend_rows = df[df.token == bend]
    assert bend_rows.tags.isna().all()  # the BEND object has no tags
    assert bend_rows.balance.tolist() == [2.0, 5.0]
    assert not bend_rows.unlimited.any()
    assert df[df.wallet == W2.lower()].balance_raw.iloc[0] == "45363705428251046849847"


def test_recorded_token_metadata(recorded_balance: Load) -> None:
    payload = recorded_balance("aggregatedBalancesAndAllowances__1")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the recorded body has no unknown fields
        meta = fb.token_metadata_frame([((1, LPT), payload)])
    assert_schema(meta, fb.TOKEN_METADATA)
    assert meta.columns.tolist() == list(fb.TOKEN_METADATA.names)
    assert meta.token.tolist() == [NATIVE, "0x0d02755a5700414b26ff040e1de35d337df56218"]
    assert meta.symbol.tolist() == ["ETH", "BEND"]
    assert meta.decimals.tolist() == [18, 18]
    assert meta.tags.iloc[0] == "native,PEG:ETH" and pd.isna(meta.tags.iloc[1])
    assert meta.is_native.tolist() == [True, False]
    assert meta.token_type.tolist() == ["ethereum", "token"]
    assert meta.is_custom.tolist() == [False, False]
    assert meta.tracked.tolist() == [True, True]
    assert meta.logo_uri.iloc[0] == f"https://tokens.1inch.io/{NATIVE}.png"


def test_token_metadata_feeds_token_info(recorded_balance: Load) -> None:
    meta = fb.token_metadata_frame(
        [((1, LPT), recorded_balance("aggregatedBalancesAndAllowances__1"))]
    )
    payload = {
        NATIVE: "5",
        "0x0d02755a5700414b26ff040e1de35d337df56218": "2500000000000000000",
        BAT: "7",
    }
    df = fb.balances_frame([((1, W1), payload)], token_info=meta)
    assert df.symbol.tolist()[:2] == ["ETH", "BEND"] and pd.isna(df.symbol.iloc[2])
    assert df.tags.tolist()[0] == "native,PEG:ETH"
    assert df.balance.tolist()[1] == 2.5
    # another chain: the native coin falls back to that chain's table, BEND is unknown there
    other = fb.balances_frame([((8453, W1), payload)], token_info=meta)
    assert other.symbol.iloc[0] == "ETH" and pd.isna(other.tags.iloc[0])
    assert other.decimals.isna().tolist() == [False, True, True]


# ------------------------- composed examples (documented shapes, docs/api-contract.md#endpoints)

AGG_EXAMPLE = [
    {
        "decimals": 18,
        "symbol": "ETH",
        "tags": ["native", "PEG:ETH"],
        "address": NATIVE,
        "name": "Ether",
        "logoURI": f"https://tokens.1inch.io/{NATIVE}.png",
        "isCustom": False,
        "type": "ethereum",
        "tracked": True,
        "wallets": {
            A: {"balance": "1250000000000000000", "allowance": MAX_S},
            B: {"balance": "84000000000000000", "allowance": MAX_S},
        },
    },
    {
        "decimals": 6,
        "symbol": "USDC",
        "tags": ["PEG:USD", "tokens"],
        "address": USDC,
        "name": "USD Coin",
        "logoURI": f"https://tokens.1inch.io/{USDC}.png",
        "isCustom": False,
        "type": "token",
        "tracked": True,
        "wallets": {
            A: {"balance": "1523450000", "allowance": MAX_S},
            B: {"balance": "0", "allowance": "0"},
        },
    },
]


#: The token-object fields the contract requires besides address, decimals and wallets, as nulls
#: (present null = NA; absent = PayloadError).
REQ: dict[str, Any] = {
    "symbol": None,
    "name": None,
    "logoURI": None,
    "isCustom": None,
    "type": None,
}


def test_reference_aggregated_example() -> None:
    df = fb.aggregated_frame([((1, ROUTER), AGG_EXAMPLE)])
    assert list(zip(df.wallet, df.symbol, strict=True)) == [(A, "ETH"), (A, "USDC"), (B, "ETH")]
    assert df.balance.tolist() == pytest.approx([1.25, 1523.45, 0.084])
    assert df.unlimited.all()
    assert df.tags.tolist()[1] == "PEG:USD,tokens"
    full = fb.aggregated_frame([((1, ROUTER), AGG_EXAMPLE)], keep_zero=True)
    assert list(zip(full.wallet, full.symbol, strict=True))[-1] == (B, "USDC")
    assert full.allowance.iloc[-1] == 0.0 and not full.unlimited.iloc[-1]


def test_reference_balances_example() -> None:
    payload = {
        NATIVE: "1250000000000000000",
        USDT: "250000000",
        USDC: "1523450000",
        WETH: "500000000000000000",
        DAI: "0",
        ONEINCH: "0",
    }
    df = fb.balances_frame([((1, A), payload)], token_info=MAINNET_INFO)
    assert df.symbol.tolist() == ["ETH", "USDT", "USDC", "WETH"]
    assert df.balance.tolist() == pytest.approx([1.25, 250.0, 1523.45, 0.5])
    full = fb.balances_frame([((1, A), payload)], token_info=MAINNET_INFO, keep_zero=True)
    assert full.symbol.tolist()[4] == "DAI" and pd.isna(full.symbol.iloc[5])  # 1INCH unknown
    assert full.balance.iloc[4] == 0.0 and np.isnan(full.balance.iloc[5])


def test_reference_wallets_and_tokens_example() -> None:
    payload = {
        A: {USDT: "250000000", NATIVE: "1250000000000000000"},
        B_MIXED: {USDT: "0", NATIVE: "84000000000000000"},
    }
    df = fb.wallets_and_tokens_frame([((1,), payload)], token_info=MAINNET_INFO)
    assert df.wallet.tolist() == [A, A, B]  # mixed-case key lowercased; B's USDT 0 dropped
    assert df.token.tolist() == [USDT, NATIVE, NATIVE]
    assert df.balance.tolist() == pytest.approx([250.0, 1.25, 0.084])


def test_reference_allowances_and_balances_example() -> None:
    payload = {
        NATIVE: {"balance": "1250000000000000000", "allowance": MAX_S},
        USDT: {"balance": "250000000", "allowance": "0"},
        USDC: {"balance": "1523450000", "allowance": MAX_S},
        WETH: {"balance": "500000000000000000", "allowance": "1000000000000000000"},
        DAI: {"balance": "0", "allowance": "0"},
    }
    df = fb.balances_and_allowances_frame([((1, A, ROUTER), payload)], token_info=MAINNET_INFO)
    assert df.symbol.tolist() == ["ETH", "USDT", "USDC", "WETH"]
    assert df.unlimited.tolist() == [True, False, True, False]
    assert df.allowance.tolist()[3] == 1.0
    assert df.allowance.tolist()[1] == 0.0


def test_reference_allowances_examples() -> None:
    get = {NATIVE: MAX_S, USDT: "0", USDC: MAX_S, WETH: "1000000000000000000"}
    post = {USDC: MAX_S, DAI: "0", NATIVE: MAX_S}
    df = fb.allowances_frame(
        [((1, A, ROUTER), get), ((1, B, ROUTER), post)], token_info=MAINNET_INFO
    )
    assert list(zip(df.wallet, df.symbol, df.unlimited, strict=True)) == [
        (A, "ETH", True),
        (A, "USDC", True),
        (A, "WETH", False),
        (B, "USDC", True),
        (B, "ETH", True),
    ]
    assert df.allowance.iloc[2] == 1.0


# ---------------------------------------------------------------- zero rows, order, batch


def test_keep_zero_uses_exact_strings() -> None:
    payload = {USDT: "0", USDC: "000", WETH: "00", DAI: "1", NATIVE: "0000000000000000001"}
    df = fb.balances_frame([((1, A), payload)], keep_zero=True)
    assert df.balance_raw.tolist() == ["0", "0", "0", "1", "1"]  # normalised
    kept = fb.balances_frame([((1, A), payload)])
    assert kept.token.tolist() == [DAI, NATIVE]
    # a tiny non-zero balance whose float is 0.0 in human units is still kept
    tiny = fb.balances_frame([((1, A), {WETH: "1"})], token_info=MAINNET_INFO)
    assert tiny.balance_raw.tolist() == ["1"] and tiny.balance.iloc[0] == pytest.approx(1e-18)


def test_combined_zero_rule() -> None:
    payload = {
        USDT: {"balance": "0", "allowance": "5"},
        USDC: {"balance": "5", "allowance": "0"},
        DAI: {"balance": "0", "allowance": "0"},
    }
    df = fb.balances_and_allowances_frame([((1, A, ROUTER), payload)])
    assert df.token.tolist() == [USDT, USDC]
    assert fb.balances_and_allowances_frame([((1, A, ROUTER), {DAI: payload[DAI]})]).empty


def test_batch_order_follows_responses() -> None:
    responses = [((8453, B_MIXED), {USDC: "2", NATIVE: "1"}), ((1, A), {NATIVE: "3"}), ((1, B), {})]
    df = fb.balances_frame(responses)
    assert df.chain_id.tolist() == [8453, 8453, 1]
    assert df.wallet.tolist() == [B, B, A]
    assert df.token.tolist() == [USDC, NATIVE, NATIVE]


def test_token_keys_lowercased() -> None:
    df = fb.balances_frame([((1, A), {"0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE": "1"})])
    assert df.token.tolist() == [NATIVE] and df.is_native.all()


def test_aggregated_wallet_order_per_response() -> None:
    p1 = [
        {
            **REQ,
            "address": USDC,
            "decimals": 6,
            "wallets": {B_MIXED: {"balance": "1", "allowance": "0"}},
        }
    ]
    p2 = [
        {
            **REQ,
            "address": USDC,
            "decimals": 6,
            "wallets": {
                A: {"balance": "1", "allowance": "0"},
                B: {"balance": "2", "allowance": "0"},
            },
        },
        {
            **REQ,
            "address": NATIVE,
            "decimals": 18,
            "wallets": {
                A: {"balance": "3", "allowance": MAX_S},
                B: {"balance": "4", "allowance": MAX_S},
            },
        },
    ]
    df = fb.aggregated_frame([((1, ROUTER), p1), ((10, ROUTER), p2)])
    assert list(zip(df.chain_id, df.wallet, df.balance_raw, strict=True)) == [
        (1, B, "1"),
        (10, A, "1"),
        (10, A, "3"),
        (10, B, "2"),
        (10, B, "4"),
    ]


FOREIGN = "0x" + "f0" * 20


def _agg_answer(wallet: str, balance: str, *, token: str = USDC) -> list[dict[str, Any]]:
    return [
        {
            "symbol": "USDC",
            "name": "USD Coin",
            "logoURI": "https://tokens.1inch.io/usdc.png",
            "isCustom": False,
            "type": "token",
            "tags": ["tokens"],
            "address": token,
            "decimals": 6,
            "wallets": {wallet: {"balance": balance, "allowance": "0"}},
        }
    ]


@pytest.mark.parametrize("raw", [False, True], ids=["parsed", "bytes"])
def test_aggregated_repeats_of_wallets_not_asked_are_checked_per_answer(raw: bool) -> None:
    """Re-asked single-wallet answers that both name one foreign wallet (the loader gives
    each to the wallet asked) are not two answers for one row: the frame keeps both."""
    import json

    def body(payload: Any) -> Any:
        return json.dumps(payload, separators=(",", ":")).encode() if raw else payload

    pairs = [
        ((1, ROUTER, [A]), body(_agg_answer(FOREIGN, "5"))),
        ((1, ROUTER, [B_MIXED]), body(_agg_answer(FOREIGN, "7"))),
    ]
    df = fb.aggregated_frame(pairs)
    assert list(zip(df.wallet, df.balance_raw, strict=True)) == [(FOREIGN, "5"), (FOREIGN, "7")]
    # without the asked wallets the converter cannot tell: two answers for one row
    with pytest.raises(PayloadError, match="two different answers"):
        fb.aggregated_frame([(ctx[:2], payload) for ctx, payload in pairs])
    # a wallet asked by both requests (or named by an answer that asked for it) is checked
    # across the batch: different answers for it stay an error, identical ones collapse
    for asked in ([A], [A, B]):
        twice = [
            ((1, ROUTER, [A]), body(_agg_answer(A, "5"))),
            ((1, ROUTER, asked), body(_agg_answer(A, "7"))),
        ]
        with pytest.raises(PayloadError, match="two different answers"):
            fb.aggregated_frame(twice)
    same = [
        ((1, ROUTER, [A]), body(_agg_answer(A, "5"))),
        ((1, ROUTER, [A, B]), body(_agg_answer(A, "5"))),
    ]
    assert list(fb.aggregated_frame(same).balance_raw) == ["5"]
    # within one answer a foreign wallet repeated in two spellings still conflicts
    one = _agg_answer(FOREIGN, "5")
    one[0]["wallets"][FOREIGN.upper().replace("0X", "0x")] = {"balance": "6", "allowance": "0"}
    with pytest.raises(PayloadError, match="two different answers"):
        fb.aggregated_frame([((1, ROUTER, [A]), body(one))])
    with pytest.raises(InputError, match="wallets asked"):
        fb.aggregated_frame([((1, ROUTER, A), body(_agg_answer(A, "5")))])


def test_large_batch() -> None:
    tokens = [f"0x{i:040x}" for i in range(1, 501)]
    payload = {t: str(i * 10**20) for i, t in enumerate(tokens)}
    wallets = [f"0x{i:040x}" for i in range(10**6, 10**6 + 200)]
    info = pd.DataFrame({"chain_id": 1, "token": tokens[::2], "decimals": 20})
    df = fb.balances_frame([((1, w), payload) for w in wallets], token_info=info)
    assert len(df) == 200 * 499
    assert df.wallet.iloc[0] == wallets[0] and df.wallet.iloc[-1] == wallets[-1]
    known = df.token.isin(tokens[::2])
    assert (df.balance[known] == df.balance_raw[known].astype(float) / 1e20).all()
    assert df.balance[~known].isna().all()


# ----------------------------------------------------------------------------- token_info


def test_token_info_join_tolerates_case_duplicates_and_missing_columns() -> None:
    info = pd.DataFrame(
        {
            "chain_id": [1, 1, 137],
            "token": [USDC.upper().replace("0X", "0x"), USDC, USDC],
            "symbol": ["USDC", "DUPLICATE", "USDC.e"],
            "decimals": [6, 9, 6],
        }
    )
    df = fb.balances_frame(
        [((1, A), {USDC: "1500000", DAI: "1"}), ((137, A), {USDC: "2000000"})], token_info=info
    )
    assert df.symbol.tolist()[0] == "USDC" and pd.isna(df.symbol.iloc[1])  # first row wins
    assert df.symbol.iloc[2] == "USDC.e"
    assert df.balance.tolist()[0] == 1.5 and np.isnan(df.balance.iloc[1])
    assert df["name"].isna().all() and df.tags.isna().all()  # columns token_info lacks
    assert_schema(df, fb.BALANCES)


def test_token_info_must_have_keys() -> None:
    with pytest.raises(InputError, match="chain_id and token"):
        fb.balances_frame([((1, A), {USDC: "1"})], token_info=pd.DataFrame({"token": [USDC]}))


def test_empty_token_info_and_no_info_native_fallback() -> None:
    empty = fb.token_metadata_frame([])
    df = fb.balances_frame([((56, A), {NATIVE: str(10**18)})], token_info=empty)
    assert (df.symbol.iloc[0], df["name"].iloc[0], df.balance.iloc[0]) == ("BNB", "BNB", 1.0)


# ------------------------------------------------------------------------ exactness rules


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(st.integers(0, MAX), min_size=1, max_size=40), zeros=st.integers(0, 3))
def test_uint256_round_trips_through_frame_and_parquet(values: list[int], zeros: int) -> None:
    tokens = [f"0x{i:040x}" for i in range(1, len(values) + 1)]
    # leading zeros are accepted within the 78 characters a uint256 string may have
    payload = {
        t: "0" * min(zeros, 78 - len(str(v))) + str(v) for t, v in zip(tokens, values, strict=True)
    }
    bal = fb.balances_frame([((1, A), payload)], keep_zero=True)
    alw = fb.allowances_frame([((1, A, ROUTER), payload)], keep_zero=True)
    assert bal.balance_raw.tolist() == [str(v) for v in values]
    assert raw_to_int(bal.balance_raw).tolist() == values
    assert alw.unlimited.tolist() == [v >= fb.UNLIMITED_THRESHOLD for v in values]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "balances.parquet"
        bal.to_parquet(path)
        back = pd.read_parquet(path)
    assert back.balance_raw.tolist() == [str(v) for v in values]
    assert [int(s) for s in back.balance_raw] == values
    assert back.balance_raw.str.len().max() <= 78


def test_frames_round_trip_through_parquet(tmp_path: Path, recorded_balance: Load) -> None:
    payload = recorded_balance("aggregatedBalancesAndAllowances__1")
    for name, df in {
        "agg": fb.aggregated_frame([((1, LPT), payload)]),
        "meta": fb.token_metadata_frame([((1, LPT), payload)]),
        "empty": fb.allowances_frame([]),
    }.items():
        df.to_parquet(tmp_path / f"{name}.parquet")
        back = pd.read_parquet(tmp_path / f"{name}.parquet")
        pd.testing.assert_frame_equal(back, df)


def test_max_uint256_exact_and_float() -> None:
    df = fb.allowances_frame([((1, A, ROUTER), {USDC: MAX_S})], token_info=MAINNET_INFO)
    assert df.allowance_raw.iloc[0] == MAX_S and len(MAX_S) == 78
    assert df.allowance.iloc[0] == pytest.approx(MAX / 10**6, rel=1e-15)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (0, False),
        (1, False),
        (10**18, False),
        (10**28, False),
        (2**96 - 2, False),
        (2**96 - 1, True),
        (2**96, True),
        (10**30, True),
        (2**128 - 1, True),
        (2**160 - 1, True),
        (2**255, True),
        (MAX - 12345, True),
        (MAX, True),
    ],
)
def test_unlimited_rule(raw: int, expected: bool) -> None:
    assert fb.is_unlimited(raw) is expected
    assert fb.is_unlimited(str(raw)) is expected
    df = fb.allowances_frame([((1, A, ROUTER), {USDC: str(raw)})], keep_zero=True)
    assert df.unlimited.tolist() == [expected]
    assert fb.UNLIMITED_THRESHOLD == 2**96 - 1


def test_json_integers_are_accepted_exactly() -> None:
    df = fb.balances_frame([((1, A), {USDC: 1523450000, DAI: MAX, WETH: 0})], keep_zero=True)
    assert df.balance_raw.tolist() == ["1523450000", MAX_S, "0"]


# ---------------------------------------------------------------------- malformed payloads


def _raises(fn: Callable[[], Any], endpoint: str, field: str) -> PayloadError:
    with pytest.raises(PayloadError) as info:
        fn()
    assert info.value.endpoint == endpoint
    assert field in info.value.field, (info.value.field, field)
    assert endpoint in str(info.value)
    return info.value


@pytest.mark.parametrize(
    "bad",
    [
        1.5e18,
        None,
        True,
        "-1",
        "1e18",
        "0x10",
        "",
        " 1",
        "1.0",
        "١٢",
        str(MAX + 1),
        "9" * 79,
        ["1"],
        {"balance": "1"},
    ],
)
def test_bad_balance_values(bad: Any) -> None:
    err = _raises(
        lambda: fb.balances_frame([((1, A), {USDT: "1", USDC: bad})]),
        fb.ENDPOINT_BALANCES,
        f"balances[{USDC}]",
    )
    assert A in str(err)  # the request is named too


def test_bad_shapes_for_every_endpoint() -> None:
    _raises(lambda: fb.balances_frame([((1, A), [USDC, "1"])]), fb.ENDPOINT_BALANCES, "balances")
    _raises(
        lambda: fb.balances_frame([((1, A), {"statusCode": 400})]),
        fb.ENDPOINT_BALANCES,
        "balances[statusCode]",
    )
    _raises(
        lambda: fb.wallets_and_tokens_frame([((1,), {A: [USDC]})]),
        fb.ENDPOINT_WALLETS_AND_TOKENS,
        f"walletsAndTokens[{A}]",
    )
    _raises(
        lambda: fb.wallets_and_tokens_frame([((1,), {"nope": {USDC: "1"}})]),
        fb.ENDPOINT_WALLETS_AND_TOKENS,
        "walletsAndTokens[nope]",
    )
    _raises(
        lambda: fb.wallets_and_tokens_frame([((1,), {B_MIXED: {USDC: None}})]),
        fb.ENDPOINT_WALLETS_AND_TOKENS,
        f"walletsAndTokens[{B_MIXED}][{USDC}]",
    )
    _raises(
        lambda: fb.allowances_frame([((1, A, ROUTER), {USDC: 1.0})]),
        fb.ENDPOINT_ALLOWANCES,
        f"allowances[{USDC}]",
    )
    _raises(
        lambda: fb.allowances_frame([((1, A, ROUTER), "oops")]),
        fb.ENDPOINT_ALLOWANCES,
        "allowances",
    )
    ab = fb.ENDPOINT_ALLOWANCES_AND_BALANCES
    _raises(
        lambda: fb.balances_and_allowances_frame([((1, A, ROUTER), {USDC: "1"})]),
        ab,
        f"allowancesAndBalances[{USDC}]",
    )
    _raises(
        lambda: fb.balances_and_allowances_frame([((1, A, ROUTER), {USDC: {"balance": "1"}})]),
        ab,
        f"[{USDC}].allowance",
    )
    _raises(
        lambda: fb.balances_and_allowances_frame(
            [((1, A, ROUTER), {USDC: {"balance": None, "allowance": "0"}})]
        ),
        ab,
        f"[{USDC}].balance",
    )


def test_bad_aggregated_payloads() -> None:
    ep = fb.ENDPOINT_AGGREGATED

    def agg(payload: Any) -> Callable[[], Any]:
        return lambda: fb.aggregated_frame([((1, ROUTER), payload)])

    token = {
        **REQ,
        "address": USDC,
        "decimals": 6,
        "wallets": {A: {"balance": "1", "allowance": "0"}},
    }
    _raises(agg({"address": USDC}), ep, "aggregated")
    for name in fb.AGGREGATED_REQUIRED:  # dropped or renamed by drift: never a silent NA
        dropped = {k: v for k, v in token.items() if k != name}
        _raises(agg([token, dropped]), ep, f"aggregated[1].{name}")
        renamed = {**dropped, name.capitalize(): token[name]}
        _raises(agg([renamed]), ep, f"aggregated[0].{name}")
        with pytest.raises(PayloadError, match=name):
            fb.token_metadata_frame([((1, ROUTER), [dropped])])
    _raises(agg([[token]]), ep, "aggregated[0]")
    _raises(agg([{**token, "address": None}]), ep, "aggregated[0].address")
    _raises(agg([{k: v for k, v in token.items() if k != "address"}]), ep, "aggregated[0].address")
    _raises(agg([token, {**token, "decimals": "6"}]), ep, "aggregated[1].decimals")
    _raises(agg([{**token, "decimals": -1}]), ep, "aggregated[0].decimals")
    _raises(agg([{**token, "tags": 5}]), ep, "aggregated[0].tags")
    _raises(agg([{**token, "symbol": ["USDC"]}]), ep, "aggregated[0].symbol")
    _raises(agg([{**token, "wallets": [A]}]), ep, "aggregated[0].wallets")
    _raises(
        agg([{**token, "wallets": {"x": {"balance": "1", "allowance": "0"}}}]),
        ep,
        "aggregated[0].wallets[x]",
    )
    _raises(
        agg([{**token, "wallets": {A: {"balance": "1"}}}]),
        ep,
        f"aggregated[0].wallets[{A}].allowance",
    )
    _raises(
        agg([{**token, "wallets": {A: {"balance": "1", "allowance": 2.5}}}]),
        ep,
        f"aggregated[0].wallets[{A}].allowance",
    )
    with pytest.raises(PayloadError):
        fb.token_metadata_frame([((1, ROUTER), [{**token, "isCustom": "no"}])])


def test_aggregated_tolerated_gaps() -> None:
    payload = [
        {**REQ, "address": USDC, "symbol": "USDC", "decimals": 6, "wallets": None},  # no rows
        {
            **REQ,
            "address": DAI,
            "symbol": "DAI",
            "decimals": None,  # present but null: NA; no tags at all (optional)
            "wallets": {A: {"balance": "5", "allowance": "0"}},
        },
        {**REQ, "address": WETH, "decimals": 18.0, "tags": [], "wallets": {}},
    ]
    df = fb.aggregated_frame([((1, ROUTER), payload)])
    assert_schema(df, fb.AGGREGATED)
    assert df.token.tolist() == [DAI]
    assert pd.isna(df.decimals.iloc[0]) and np.isnan(df.balance.iloc[0])
    assert pd.isna(df.tags.iloc[0])
    meta = fb.token_metadata_frame([((1, ROUTER), payload)])
    assert meta.token.tolist() == [USDC, DAI, WETH]
    assert meta.decimals.isna().tolist() == [False, True, False]
    assert meta.tags.iloc[2] == ""  # known to have no tags, unlike NA
    assert meta.is_custom.isna().all()
    assert fb.aggregated_frame([((1, ROUTER), [])]).empty


def test_unknown_aggregated_fields_are_kept_with_one_warning() -> None:
    payload = [
        {**REQ, "address": USDC, "decimals": 6, "eip2612": True, "rating": 9},
        {**REQ, "address": DAI, "decimals": 18, "rating": 7},
    ]
    with pytest.warns(UnknownFieldsWarning, match="eip2612, rating") as record:
        meta = fb.token_metadata_frame([((1, ROUTER), payload), ((1, ROUTER), payload)])
    assert len(record) == 1
    assert meta.columns.tolist()[-2:] in (["eip2612", "rating"], ["rating", "eip2612"])
    assert meta.rating.tolist() == [9, 7]  # de-duplicated per chain x token
    assert meta.eip2612.tolist() == [True, None]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fb.aggregated_frame(
            [((1, ROUTER), [{**item, "wallets": {}} for item in payload])], keep_zero=True
        )


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**257), 2**257)
    | st.floats()
    | st.text(max_size=90)
    | st.sampled_from(["0", "007", "+5", MAX_S, USDC, A, B_MIXED]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    USDC,
                    DAI,
                    A,
                    B_MIXED,
                    "balance",
                    "allowance",
                    "address",
                    "wallets",
                    "decimals",
                    "tags",
                    "x",
                ]
            ),
            inner,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(payload=JSON)
def test_any_json_gives_a_frame_or_a_payload_error(payload: Any) -> None:
    """Whatever the body, the converters raise PayloadError or nothing (no deep KeyError...)."""
    calls = [
        lambda: fb.balances_frame([((1, A), payload)], keep_zero=True),
        lambda: fb.balances_frame([((1, A), {USDC: payload})], keep_zero=True),
        lambda: fb.wallets_and_tokens_frame([((1,), payload)]),
        lambda: fb.allowances_frame([((1, A, ROUTER), payload)]),
        lambda: fb.balances_and_allowances_frame([((1, A, ROUTER), payload)]),
        lambda: fb.balances_and_allowances_frame([((1, A, ROUTER), {USDC: payload})]),
        lambda: fb.aggregated_frame([((1, ROUTER), payload)]),
        lambda: fb.aggregated_frame([((1, ROUTER), [payload])]),
        lambda: fb.token_metadata_frame([((1, ROUTER), [payload])]),
    ]
    for call in calls:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UnknownFieldsWarning)
                df = call()
        except PayloadError:
            continue
        assert isinstance(df, pd.DataFrame)
        for column in ("balance_raw", "allowance_raw"):
            if column in df:
                assert all(0 <= int(v) <= MAX and str(int(v)) == v for v in df[column])


def test_bad_contexts_are_input_errors() -> None:
    with pytest.raises(InputError, match="chain_id, wallet"):
        fb.balances_frame([((1,), {USDC: "1"})])
    with pytest.raises(InputError, match="not an integer"):
        fb.balances_frame([(("1", A), {USDC: "1"})])
    with pytest.raises(InputError, match="pair"):
        fb.balances_frame([{USDC: "1"}])  # type: ignore[list-item]


# -------------------------------------------------------------------------- schemas, docs


@pytest.mark.parametrize(
    ("convert", "schema"),
    [
        (fb.balances_frame, fb.BALANCES),
        (fb.wallets_and_tokens_frame, fb.BALANCES),
        (fb.allowances_frame, fb.ALLOWANCES),
        (fb.balances_and_allowances_frame, fb.BALANCES_AND_ALLOWANCES),
        (fb.aggregated_frame, fb.AGGREGATED),
        (fb.token_metadata_frame, fb.TOKEN_METADATA),
    ],
)
def test_empty_input_gives_documented_columns(
    convert: Callable[..., pd.DataFrame], schema: FrameSchema
) -> None:
    df = convert([])
    assert df.empty and df.columns.tolist() == list(schema.names)
    assert_schema(df, schema)


def test_all_zero_batch_gives_documented_columns() -> None:
    df = fb.balances_and_allowances_frame(
        [((1, A, ROUTER), {USDC: {"balance": "0", "allowance": "0"}})]
    )
    assert df.empty
    assert_schema(df, fb.BALANCES_AND_ALLOWANCES)


def test_schemas_use_the_shared_vocabulary() -> None:
    from inchframe.frames.schema import VOCABULARY

    for schema in (
        fb.BALANCES,
        fb.ALLOWANCES,
        fb.BALANCES_AND_ALLOWANCES,
        fb.AGGREGATED,
        fb.TOKEN_METADATA,
    ):
        for column in schema.columns:
            if column.name in VOCABULARY:
                assert str(column.dtype) == str(VOCABULARY[column.name].dtype), column.name
        assert set(schema.key) <= set(schema.names)
    assert fb.BALANCES_AND_ALLOWANCES.names == fb.AGGREGATED.names


def markdown_table(schema: FrameSchema) -> str:
    """The docs table of a schema, generated from ``schema.describe()``."""
    lines = ["| column | dtype | unit | meaning |", "|---|---|---|---|"]
    for row in schema.describe().itertuples(index=False):
        lines.append(f"| `{row.column}` | {row.dtype} | {row.unit} | {row.description} |")
    return "\n".join(lines)


def test_docs_tables_match_schemas() -> None:
    text = DOCS.read_text()
    for schema in (
        fb.BALANCES,
        fb.ALLOWANCES,
        fb.BALANCES_AND_ALLOWANCES,
        fb.AGGREGATED,
        fb.TOKEN_METADATA,
    ):
        assert markdown_table(schema) in text, schema.name


@pytest.mark.parametrize(
    "amount",
    ["+5", "+0", "-5", " 5", "5 ", "\t5", "5\n", "", "٥", "５", "1_000", "1,000", "0x10", "1" * 79],
)
@pytest.mark.parametrize("raw", [False, True], ids=["parsed", "raw"])
def test_a_uint256_string_is_plain_ascii_digits(amount: str, raw: bool) -> None:
    """``[0-9]+``, at most 78 digits: no sign, no whitespace, no other digits, for every
    converter of Balance amounts (parsed payloads and raw bodies alike)."""
    import json as _json

    def body(payload: Any) -> Any:
        return _json.dumps(payload).encode() if raw else payload

    cases = [
        lambda: fb.balances_frame([((1, A), body({USDC: amount, DAI: "1"}))], keep_zero=True),
        lambda: fb.allowances_frame([((1, A, ROUTER), body({USDC: amount}))], keep_zero=True),
        lambda: fb.wallets_and_tokens_frame([((1,), body({A: {USDC: amount}}))], keep_zero=True),
        lambda: fb.balances_and_allowances_frame(
            [((1, A, ROUTER), body({USDC: {"balance": amount, "allowance": "0"}}))]
        ),
        lambda: fb.aggregated_frame(
            [
                (
                    (1, ROUTER),
                    body(
                        [
                            {
                                **REQ,
                                "address": USDC,
                                "decimals": 6,
                                "wallets": {A: {"balance": "1", "allowance": amount}},
                            }
                        ]
                    ),
                )
            ]
        ),
    ]
    for case in cases:
        with pytest.raises(PayloadError):
            case()


def test_a_78_digit_amount_with_leading_zeros_is_accepted() -> None:
    amount = "0" * 70 + "12345678"
    df = fb.balances_frame([((1, A), {USDC: amount})])
    assert df.balance_raw.tolist() == ["12345678"]
    assert fb.balances_frame([((1, A), {USDC: MAX_S})]).balance_raw.tolist() == [MAX_S]


UM = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"  # USDC, checksummed


def _agg_item(address: str, balance: str) -> dict[str, Any]:
    return {
        **REQ,
        "address": address,
        "decimals": 6,
        "wallets": {A: {"balance": balance, "allowance": "0"}},
    }


#: (converter, payload with the token twice agreeing, the same disagreeing)
DUPLICATES: dict[str, tuple[Callable[..., Any], Any, Any, Any]] = {
    "balances": (fb.balances_frame, (1, A), {USDC: "5", UM: "5"}, {USDC: "5", UM: "7"}),
    "allowances": (fb.allowances_frame, (1, A, ROUTER), {USDC: "5", UM: "5"}, {UM: "0", USDC: "7"}),
    "walletsAndTokens": (
        fb.wallets_and_tokens_frame,
        (1,),
        {A: {USDC: "5", UM: "5"}},
        {A: {USDC: "5"}, A.upper().replace("0X", "0x"): {USDC: "6"}},
    ),
    "allowancesAndBalances": (
        fb.balances_and_allowances_frame,
        (1, A, ROUTER),
        {USDC: {"balance": "1", "allowance": "0"}, UM: {"balance": "1", "allowance": "0"}},
        {USDC: {"balance": "1", "allowance": "0"}, UM: {"balance": "2", "allowance": "0"}},
    ),
    "aggregated": (
        fb.aggregated_frame,
        (1, ROUTER),
        [_agg_item(USDC, "5"), _agg_item(UM, "5")],
        [_agg_item(USDC, "5"), _agg_item(USDC, "6")],
    ),
}


@pytest.mark.parametrize("raw", [False, True], ids=["parsed", "raw"])
@pytest.mark.parametrize("name", list(DUPLICATES))
def test_one_token_twice_collapses_or_is_a_payload_error(name: str, raw: bool) -> None:
    """Keys differing only in case (or a repeated token object) never give two rows for one
    token: identical answers collapse, different ones are a PayloadError."""
    import json as _json

    convert, ctx, agree, disagree = DUPLICATES[name]

    def enc(payload: Any) -> Any:
        return _json.dumps(payload).encode() if raw else payload

    frame = convert([(ctx, enc(agree))])
    assert len(frame) == 1 and frame.token.tolist() == [USDC]
    with pytest.raises(PayloadError, match="two different answers") as caught:
        convert([(ctx, enc(disagree))])
    assert caught.value.endpoint.startswith("balance.")
    assert USDC in caught.value.field


def test_repeated_requests_collapse_when_they_agree() -> None:
    once = fb.balances_frame([((1, A), {USDC: "5"})])
    twice = fb.balances_frame([((1, A), {USDC: "5"}), ((1, A), {USDC: "5"})])
    pd.testing.assert_frame_equal(once, twice)
    with pytest.raises(PayloadError):
        fb.balances_frame([((1, A), {USDC: "5"}), ((1, A), {USDC: "6"})])


def _zero_entries_by_regex(body: bytes) -> bytes:
    """The former two-pass regex filter: the oracle of ``_drop_zero_entries``."""
    import re

    entry = rb'"0x[0-9a-fA-F]{40}":\{"balance":"0","allowance":"0"\}'
    body = re.sub(entry + rb",", b"", body)
    return re.sub(rb",?" + entry + rb"(?=\})", b"", body)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.lists(
            st.tuples(
                st.sampled_from(["hex", "HEX", "short", "nothex"]),
                st.sampled_from(["0", "1"]),
                st.sampled_from(["0", "2"]),
            ),
            max_size=6,
        ),
        min_size=1,
        max_size=4,
    ),
    st.randoms(use_true_random=False),
)
def test_zero_entries_are_cut_from_the_bytes_like_the_regex(
    maps: list[list[tuple[str, str, str]]], rnd: Any
) -> None:
    made = iter(range(10**6))

    def key(kind: str) -> str:
        # distinct keys (a repeated key would collapse in the parsed map): a counter, then noise
        digits = f"{next(made):08x}" + "".join(rnd.choice("0123456789abcdef") for _ in range(32))
        return {
            "hex": "0x" + digits,
            "HEX": "0x" + digits.upper(),
            "short": "0x" + digits[:39],
            "nothex": "0x" + digits[:39] + "g",
        }[kind]

    objects = []
    for entries in maps:
        wallets = ",".join(
            f'"{key(kind)}":{{"balance":"{b}","allowance":"{a}"}}' for kind, b, a in entries
        )
        objects.append('{"address":"x","name":"a,}{","wallets":{' + wallets + '},"n":1}')
    body = ("[" + ",".join(objects) + "]").encode()
    cut = fb._drop_zero_entries(body)
    assert cut == _zero_entries_by_regex(body)
    import json

    parsed = json.loads(cut)  # still valid JSON, every non-zero entry kept
    assert [len(o["wallets"]) for o in parsed] == [
        sum(1 for kind, b, a in entries if (b, a) != ("0", "0") or kind in ("short", "nothex"))
        for entries in maps
    ]
