"""Raw-body fast paths of the converters: same frames as the safe path, and a fall-back to the
safe path for every payload outside the fast path's assumptions (checked by spying on it)."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from inchframe.errors import InputError, PayloadError
from inchframe.frames import _fast as F
from inchframe.frames import balance as fb
from inchframe.frames import portfolio_v5 as v5

HERE = Path(__file__).resolve().parent
EXAMPLES: dict[str, Any] = json.loads((HERE / "data" / "portfolio_examples.json").read_text())

W1 = "0x5a1f0c3c9b6f4e1d2a7b8c9d0e1f2a3b4c5d6e7f"
W2 = "0x3e9b7c2d1f0a4b5c6d7e8f9a0b1c2d3e4f5a6b7c"
W1_MIXED = "0x5A1f0C3c9b6F4e1D2a7b8c9d0e1f2a3b4c5d6e7F"
ETH = "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
USDC = "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"
USDT = "0xdac17f958d2ee523a2206206994597c13d831ec7"
ROUTER = "0x111111125421ca6dc452d289314280a0f8842a65"
MAX = str(2**256 - 1)

# unknown fields make the fast path step aside; the safe path then warns, as it should
pytestmark = pytest.mark.filterwarnings("ignore::inchframe.UnknownFieldsWarning")


def compact(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records each time a converter gave up its fast path and parsed the bodies."""
    calls: list[str] = []
    real = F.parse_bodies

    def parse_bodies(pairs: Any, endpoint: str) -> Any:
        if isinstance(pairs, list) and any(F.is_raw(p[1]) for p in pairs):
            calls.append(endpoint)
        return real(pairs, endpoint)

    monkeypatch.setattr(F, "parse_bodies", parse_bodies)
    monkeypatch.setattr(fb, "_AGG_ARROW_MIN_BYTES", 0)  # small test bodies take Arrow too
    return calls


def same(
    convert: Callable[[list[Any]], pd.DataFrame],
    pairs: list[tuple[Any, Any]],
    encode: Callable[[Any], bytes] = compact,
) -> pd.DataFrame:
    """The frame from raw bodies equals the frame from the same bodies parsed with json (what
    the client hands over), or both fail with the same error."""
    raw = [(ctx, encode(payload)) for ctx, payload in pairs]
    try:
        parsed = [(ctx, json.loads(body)) for ctx, body in raw]
    except ValueError:
        with pytest.raises(PayloadError, match="not valid JSON"):
            convert(raw)
        return pd.DataFrame()
    try:
        expected = convert(parsed)
    except (PayloadError, InputError) as exc:
        with pytest.raises(type(exc), match=re.escape(str(exc))):
            convert(raw)
        return pd.DataFrame()
    got = convert(raw)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    return got


# ------------------------------------------------------------------------ Balance flat maps

BALANCES = {ETH: "1250000000000000000", USDC: "0", USDT: "5000123"}


def balances(p: list[Any]) -> pd.DataFrame:
    return fb.balances_frame(p, keep_zero=True)


def test_balance_maps_take_the_fast_path(spy: list[str]) -> None:
    upper = {"0X" + k[2:].upper(): v for k, v in BALANCES.items()}  # lowercased by both
    pairs = [
        ((1, W1), BALANCES),
        ((8453, W2), {USDC: "007", ETH: MAX}),
        ((10, W1), {}),
        ((137, W1_MIXED), upper),
    ]
    frame = same(balances, pairs)
    assert spy == []
    assert frame["balance_raw"].tolist()[:5] == ["1250000000000000000", "0", "5000123", "7", MAX]
    assert frame["token"].tolist()[-3:] == list(BALANCES)
    same(lambda p: fb.balances_frame(p), pairs)  # zero rows dropped
    assert spy == []


@pytest.mark.parametrize(
    "variant",
    [
        "pretty",
        "numbers",
        "plus_sign",
        "duplicate",
        "too_big",
        "not_address",
        "nested",
        "bad_context",
        "escaped",
        "not_json",
    ],
)
def test_balance_maps_fall_back(spy: list[str], variant: str) -> None:
    payload: Any = dict(BALANCES)
    ctx: Any = (1, W1)
    encode = compact
    if variant == "pretty":
        encode = lambda p: json.dumps(p, indent=2).encode()  # noqa: E731
    elif variant == "numbers":
        payload = {k: int(v) for k, v in payload.items()}
    elif variant == "plus_sign":
        payload[USDC] = "+12"
    elif variant == "duplicate":
        encode = lambda p: compact(p)[:-1] + f',"{ETH}":"9"}}'.encode()  # noqa: E731
    elif variant == "too_big":
        payload[USDC] = str(2**256)
    elif variant == "not_address":
        payload["0x12"] = "1"
    elif variant == "nested":
        payload[USDC] = {"balance": "1"}
    elif variant == "bad_context":
        ctx = ("one", W1)
    elif variant == "escaped":
        encode = lambda p: compact(p).replace(b'"0"', b'"\\u0030"')  # noqa: E731
    elif variant == "not_json":
        encode = lambda p: compact(p)[:-1]  # noqa: E731
    same(balances, [(ctx, payload)], encode)
    assert spy == ["balance.balances"]


def test_duplicate_keys_keep_the_last_value_like_json() -> None:
    body = compact(BALANCES)[:-1] + f',"{ETH}":"9"}}'.encode()
    frame = balances([((1, W1), body)])
    assert frame.loc[frame["token"] == ETH, "balance_raw"].tolist() == ["9"]


def test_allowance_maps_take_the_fast_path(spy: list[str]) -> None:
    payload = {ETH: MAX, USDC: str(2**96 - 1), USDT: "0"}
    frame = same(lambda p: fb.allowances_frame(p, keep_zero=True), [((1, W1, ROUTER), payload)])
    assert frame["unlimited"].tolist() == [True, True, False]
    assert spy == []


def test_wallets_and_tokens_fast_and_fallback(spy: list[str]) -> None:
    payload = {W1_MIXED: {USDC: "1", USDT: "0"}, W2: {ETH: "5"}, ETH: {}}
    pairs = [((1,), payload), ((8453,), {W2: {USDC: "00"}})]
    frame = same(lambda p: fb.wallets_and_tokens_frame(p, keep_zero=True), pairs)
    assert frame["wallet"].tolist()[:2] == [W1, W1]
    assert spy == []
    odd = {W1_MIXED: {USDC: "1"}, W1: {USDC: "2"}}  # one wallet, two spellings: two rows
    same(lambda p: fb.wallets_and_tokens_frame(p, keep_zero=True), [((1,), odd)])
    assert spy == []
    same(lambda p: fb.wallets_and_tokens_frame(p), [((1,), {W1: {USDC: 1}})])
    assert spy[-1] == "balance.wallets_and_tokens"


# -------------------------------------------------------------------------------- aggregated


def token(address: str, symbol: str, decimals: Any, wallets: Any, **extra: Any) -> dict:
    return {
        "decimals": decimals,
        "symbol": symbol,
        "tags": ["tokens"],
        "address": address,
        "name": symbol.title(),
        "logoURI": None,
        "isCustom": False,
        "wallets": wallets,
        "type": "token",
        "tracked": True,
        **extra,
    }


def aggregated() -> list[Any]:
    entry = {"balance": "10", "allowance": "0"}
    zero = {"balance": "0", "allowance": "0"}
    return [
        token(USDC, "usdc", 6, {W1_MIXED: entry, W2: zero}),
        token(USDT, "usdt", None, {W2: {"balance": "3", "allowance": MAX}, W1_MIXED: zero}),
        token(ETH, "eth", 18, None),
    ]


def held() -> list[Any]:
    """:func:`aggregated` without the ``"wallets": null`` item (which takes the safe path)."""
    return [item for item in aggregated() if item["wallets"] is not None]


def agg(p: list[Any]) -> pd.DataFrame:
    return fb.aggregated_frame(p, keep_zero=True)


def test_aggregated_fast_path_matches(spy: list[str]) -> None:
    pairs = [
        ((1, ROUTER), held()),
        ((8453, ROUTER), [token(ETH, "eth", 18, {W1: {"balance": "1", "allowance": "2"}})]),
    ]
    frame = same(agg, pairs)
    assert spy == []
    assert frame["wallet"].tolist() == [W1, W1, W2, W2, W1]  # wallet-major, first appearance
    same(lambda p: fb.aggregated_frame(p), pairs)
    assert spy == []


@pytest.mark.parametrize(
    "variant",
    [
        "number_balance",
        "missing_allowance",
        "float_decimals",
        "tags_string",
        "two_spellings",
        "extra_entry_key",
        "not_address",
    ],
)
def test_aggregated_falls_back(spy: list[str], variant: str) -> None:
    body = aggregated()
    first = body[0]
    if variant == "number_balance":
        first["wallets"][W1_MIXED] = {"balance": 10, "allowance": "0"}
    elif variant == "missing_allowance":
        first["wallets"][W1_MIXED] = {"balance": "10"}
    elif variant == "float_decimals":
        first["decimals"] = 6.0
    elif variant == "tags_string":
        first["tags"] = "tokens"
    elif variant == "two_spellings":
        first["wallets"][W1] = {"balance": "1", "allowance": "1"}
    elif variant == "extra_entry_key":
        first["wallets"][W2]["note"] = "x"
    elif variant == "not_address":
        first["address"] = "0x12"
    same(agg, [((1, ROUTER), body)])
    assert spy == ["balance.aggregated"]


def test_aggregated_null_wallets_take_the_safe_path(spy: list[str]) -> None:
    # Arrow reads a missing "wallets" and "wallets": null alike; only the safe path can tell
    # them apart (null: no rows; missing: PayloadError)
    same(agg, [((1, ROUTER), aggregated())])
    assert spy == ["balance.aggregated"]


def test_aggregated_unknown_token_fields_are_ignored_on_both_paths(spy: list[str]) -> None:
    body = held()
    body[0]["eip2612"] = True
    same(agg, [((1, ROUTER), body)])
    assert spy == []


# ------------------------------------------------------------------------------- snapshots

SNAPSHOTS = [
    (v5.tokens_snapshot, "v5.tokens_snapshot"),
    (v5.protocols_snapshot, "v5.protocols_snapshot"),
]


def example(name: str) -> dict[str, Any]:
    return copy.deepcopy(EXAMPLES[name])


@pytest.mark.parametrize(("convert", "name"), SNAPSHOTS)
def test_snapshots_take_the_fast_path(spy: list[str], convert: Any, name: str) -> None:
    body = example(name)
    items = body["result"]
    items[0]["address"] = "0x0000000000000000000000000000000000000000"  # replaced: one wallet
    items[0]["timestamp"] = 1731888011000  # milliseconds
    items[1]["address"] = W1_MIXED  # lowercased by both paths
    items[-1]["underlying_tokens"] = []  # tokens snapshot: a row from the contract fields
    items[-1]["reward_tokens"] = (
        [copy.deepcopy(items[0]["underlying_tokens"][0])]
        if len(items[0]["underlying_tokens"])
        else []
    )
    pairs = [
        ({"addresses": [W1], "chain_id": None}, body),
        ({"addresses": [W1, W2]}, {"result": items[:1]}),
        ({"addresses": [W2]}, items),
    ]  # a bare list, as the swagger says
    same(convert, pairs)
    assert spy == []


@pytest.mark.parametrize(("convert", "name"), SNAPSHOTS)
@pytest.mark.parametrize(
    "variant",
    [
        "chain_id_key",
        "chain_null_with_chain_id",
        "chain_name",
        "unknown_item_field",
        "unknown_token_field",
        "price_to_usd",
        "string_amount",
        "null_item",
        "result_null",
        "padded_address",
        "float_decimals",
        "error_body",
        "missing_index",
        "huge_token_id",
        "bool_as_int",
        "nan",
        "two_objects",
    ],
)
def test_snapshots_fall_back(spy: list[str], convert: Any, name: str, variant: str) -> None:
    body: Any = example(name)
    item = body["result"][0]
    tok = item["underlying_tokens"][0]
    encode = compact
    ctx: dict[str, Any] = {"addresses": [W1], "chain_id": 1}
    if variant == "chain_id_key":  # documented form: every item says chain_id
        for it in body["result"]:
            it["chain_id"] = it.pop("chain")
        for t in (t for it in body["result"] for t in it["underlying_tokens"]):
            t["chain"] = t.pop("chain_id")
    elif variant == "chain_null_with_chain_id":
        item["chain"] = None
        item["chain_id"] = 10
    elif variant == "chain_name":
        item["chain"] = "base"
    elif variant == "unknown_item_field":
        item["brandNew"] = {"x": 1}
    elif variant == "unknown_token_field":
        tok["logo"] = None
    elif variant == "price_to_usd":
        tok["price_to_usd"] = tok.pop("price_usd")
    elif variant == "string_amount":
        tok["amount"] = "1.5"
    elif variant == "null_item":
        body["result"].append(None)
    elif variant == "result_null":
        body["result"] = None
    elif variant == "padded_address":
        item["address"] = f" {W1} "
    elif variant == "float_decimals":
        tok["decimals"] = 6.0
    elif variant == "error_body":
        body = {"detail": "Internal Server Error"}
    elif variant == "missing_index":
        del item["index"]
    elif variant == "huge_token_id":
        item["token_id"] = 2**70
    elif variant == "bool_as_int":
        item["locked"] = 0
    elif variant == "nan":
        encode = lambda p: compact(p).replace(b'"amount":', b'"amount":NaN,"x":', 1)  # noqa: E731
    elif variant == "two_objects":
        encode = lambda p: compact(p) + compact(p)  # noqa: E731
    if variant == "chain_id_key":
        same(convert, [(ctx, body)], encode)
        assert spy == []  # the documented form fits the fast path too
        return
    same(convert, [(ctx, body)], encode)
    assert spy == [name]


def test_empty_and_mixed_batches_use_the_safe_path(spy: list[str]) -> None:
    same(v5.tokens_snapshot, [({"addresses": [W1]}, {"result": []})])
    body = example("v5.tokens_snapshot")
    mixed = [({"addresses": [W1]}, compact(body)), ({"addresses": [W1]}, body)]
    pd.testing.assert_frame_equal(
        v5.tokens_snapshot(mixed), v5.tokens_snapshot([(c, body) for c, _ in mixed])
    )
    with pytest.raises(TypeError):
        v5.tokens_snapshot(compact(body))  # a bare body is not a batch


def test_large_batches_are_read_in_groups(monkeypatch: pytest.MonkeyPatch, spy: list[str]) -> None:
    monkeypatch.setattr(v5, "_CHUNK_BYTES", 1)  # one body per Arrow read
    body = example("v5.protocols_snapshot")
    pairs = [
        ({"addresses": [W1]}, body),
        ({"addresses": [W2]}, {"result": []}),
        ({"addresses": [W2]}, body),
    ]
    same(v5.protocols_snapshot, pairs)
    assert spy == []


def test_aggregated_zero_pairs_are_dropped_before_arrow_reads_them(spy: list[str]) -> None:
    """Zero entries first, last, alone and in between, mixed-case wallet keys, a zero entry in
    a spelling the byte filter does not know: the fast path (bodies filtered before Arrow
    reads them) gives the parsed path's frame, wallet order included."""
    import hashlib

    holders = ["0x" + hashlib.sha256(f"{i}".encode()).hexdigest()[:40] for i in range(300)]
    holders[7] = holders[7].upper().replace("0X", "0x")
    zero = {"balance": "0", "allowance": "0"}
    body = []
    for t in range(30):
        address = "0x" + hashlib.sha256(f"t{t}".encode()).hexdigest()[:40]
        wallets_map = {w: zero for w in holders}
        if t % 3 == 0:
            wallets_map[holders[(t * 7) % 300]] = {"balance": str(t + 1), "allowance": "0"}
        if t % 5 == 0:
            wallets_map[holders[-1]] = {"balance": "0", "allowance": str(10**30)}
        if t == 4:
            wallets_map = {holders[0]: zero}  # nothing but one zero entry
        body.append(token(address, f"t{t}", 18, wallets_map))
    encoded = compact(body).replace(
        b'"allowance":"0"}}', b'"allowance":"00"}}', 1
    )  # "00": a zero the byte filter leaves, dropped later
    assert len(encoded) > fb._AGG_ARROW_MIN_BYTES
    raw = [((1, ROUTER), encoded)]
    parsed = [((1, ROUTER), json.loads(encoded))]
    frame = fb.aggregated_frame(raw)
    assert spy == []
    pd.testing.assert_frame_equal(frame, fb.aggregated_frame(parsed), check_exact=True)
    assert set(frame["balance_raw"]) | set(frame["allowance_raw"]) > {"0"}
    assert len(frame) == 10 + 6


def test_aggregated_wallet_order_when_the_first_token_lists_few_wallets(spy: list[str]) -> None:
    import hashlib

    holders = ["0x" + hashlib.sha256(f"h{i}".encode()).hexdigest()[:40] for i in range(50)]
    zero = {"balance": "0", "allowance": "0"}
    body = [
        token(USDC, "usdc", 6, {holders[9]: zero, holders[3]: {"balance": "1", "allowance": "0"}})
    ]
    for t in range(5):
        address = "0x" + hashlib.sha256(f"x{t}".encode()).hexdigest()[:40]
        body.append(
            token(
                address,
                f"x{t}",
                18,
                {w: {"balance": str(i % 3), "allowance": "0"} for i, w in enumerate(holders)},
            )
        )
    raw = [((1, ROUTER), compact(body))]
    frame = fb.aggregated_frame(raw)
    assert spy == []
    pd.testing.assert_frame_equal(frame, fb.aggregated_frame([((1, ROUTER), body)]))
