"""Frame building per response family at 1k, 10k, 100k and 1M rows.

What is timed, from the same response bodies (bytes):

- **parse floor**: ``orjson.loads`` of every body, nothing else;
- **inchframe**: the converter given the raw bodies (parse + validate + build: the honest
  counterpart of "parse floor + baseline build"): the Balance converters decode each body once
  (msgspec, typed), the v5.0 snapshots take their Arrow fast path when the bodies fit it;
- **list-of-dicts**: ``orjson.loads`` + one dict per row + ``pd.DataFrame(rows)`` (+ the float
  amount), what a notebook user writes; for snapshots also **json_normalize**:
  ``orjson.loads`` + ``pd.json_normalize(items, record_path=..., meta=[...])``;
- **parsed input** (information): ``orjson.loads`` + the converter given parsed payloads (for
  the snapshots: their row-by-row path).

Every size (up to 100k rows for the snapshots, whose row-by-row path takes ~20 s per 1M rows)
also checks that raw bodies and parsed payloads give identical frames
(``pd.testing.assert_frame_equal(check_exact=True)``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
import pandas as pd

from . import payloads
from ._harness import Options, Result, check, median_times, timed

NAME = "frames"
SIZES = (1_000, 10_000, 100_000, 1_000_000)
QUICK_SIZES = (1_000, 10_000, 100_000)
REPEATS = {1_000: 15, 10_000: 7, 100_000: 5, 1_000_000: 3}
QUICK_REPEATS = {1_000: 9, 10_000: 5, 100_000: 3}


def _loads(pairs: payloads.Pairs) -> list[Any]:
    return [orjson.loads(body) for _, body in pairs]


# ------------------------------------------------------------------------------- baselines


def _lod_balances(pairs: payloads.Pairs) -> pd.DataFrame:
    rows = []
    for (chain, wallet), body in pairs:
        for token, balance in orjson.loads(body).items():
            rows.append(
                {"chain_id": chain, "wallet": wallet, "token": token, "balance_raw": balance}
            )
    frame = pd.DataFrame(rows)
    frame["balance"] = frame["balance_raw"].astype(float)
    return frame


def _lod_wallets_and_tokens(pairs: payloads.Pairs) -> pd.DataFrame:
    rows = []
    for (chain,), body in pairs:
        for wallet, tokens in orjson.loads(body).items():
            for token, balance in tokens.items():
                rows.append(
                    {"chain_id": chain, "wallet": wallet, "token": token, "balance_raw": balance}
                )
    frame = pd.DataFrame(rows)
    frame["balance"] = frame["balance_raw"].astype(float)
    return frame


def _lod_aggregated(pairs: payloads.Pairs) -> pd.DataFrame:
    rows = []
    for (chain, spender), body in pairs:
        for tok in orjson.loads(body):
            for wallet, entry in (tok.get("wallets") or {}).items():
                rows.append(
                    {
                        "chain_id": chain,
                        "wallet": wallet,
                        "spender": spender,
                        "token": tok["address"],
                        "symbol": tok["symbol"],
                        "name": tok["name"],
                        "decimals": tok["decimals"],
                        "balance_raw": entry["balance"],
                        "allowance_raw": entry["allowance"],
                    }
                )
    frame = pd.DataFrame(rows)
    frame["balance"] = frame["balance_raw"].astype(float) / 10.0 ** frame["decimals"]
    return frame


_ITEM_COLUMNS = {
    "chain_id": "chain",
    "wallet": "address",
    "position_index": "index",
    "protocol": "protocol_group_id",
    "protocol_name": "protocol_group_name",
    "position_type": "protocol_type",
    "protocol_handler": "protocol_handler_id",
    "asset_sign": "asset_sign",
    "status": "status",
    "locked": "locked",
    "token_id": "token_id",
    "block_number": "block_number",
    "block_number_created": "block_number_created",
    "timestamp": "timestamp",
}
_PROTOCOL_COLUMNS = {
    "protocol_sub_group": "protocol_sub_group_id",
    "protocol_sub_group_name": "protocol_sub_group_name",
    "protocol_icon": "protocol_group_icon",
    "contract_address": "contract_address",
    "contract_name": "contract_name",
    "contract_symbol": "contract_symbol",
    "position_value_usd": "value_usd",
}
_TOKEN_COLUMNS = {
    "token": "address",
    "symbol": "symbol",
    "name": "name",
    "decimals": "decimals",
    "amount": "amount",
    "price_usd": "price_usd",
    "value_usd": "value_usd",
}


def _lod_snapshot(pairs: payloads.Pairs, *, protocols: bool) -> pd.DataFrame:
    item_columns = {**_ITEM_COLUMNS, **(_PROTOCOL_COLUMNS if protocols else {})}
    lists = ("underlying_tokens", "reward_tokens") if protocols else ("underlying_tokens",)
    rows = []
    for _, body in pairs:
        for item in orjson.loads(body)["result"]:
            base = {column: item[field] for column, field in item_columns.items()}
            for field in lists:
                for j, tok in enumerate(item[field]):
                    row = dict(base)
                    for column, name in _TOKEN_COLUMNS.items():
                        row[column] = tok[name]
                    if protocols:
                        row["role"] = field.split("_")[0]
                        row["underlying_index"] = j
                    rows.append(row)
    frame = pd.DataFrame(rows)
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], unit="s", utc=True)
    return frame


def _normalize_snapshot(pairs: payloads.Pairs, *, protocols: bool) -> pd.DataFrame:
    items = [item for _, body in pairs for item in orjson.loads(body)["result"]]
    meta = list({**_ITEM_COLUMNS, **(_PROTOCOL_COLUMNS if protocols else {})}.values())
    frames = [
        pd.json_normalize(
            items,
            record_path="underlying_tokens",
            meta=meta,
            record_prefix="token.",
            errors="ignore",
        )
    ]
    if protocols:
        frames.append(
            pd.json_normalize(
                items,
                record_path="reward_tokens",
                meta=meta,
                record_prefix="token.",
                errors="ignore",
            )
        )
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], unit="s", utc=True)
    return frame


# ------------------------------------------------------------------------------- families


@dataclass(frozen=True)
class Family:
    name: str
    generate: Callable[[int], payloads.Pairs]
    convert: Callable[[list[Any]], pd.DataFrame]
    baselines: dict[str, Callable[[payloads.Pairs], pd.DataFrame]]
    floor_target: float  #: inchframe / parse floor, at most
    baseline_targets: dict[str, float]  #: baseline / inchframe, at least
    small_ms: float  #: at most, for calls up to 1k rows


def _families() -> list[Family]:
    from inchframe.frames import balance as fb
    from inchframe.frames import portfolio_v5 as p5

    def snap(protocols: bool) -> dict[str, Callable[[payloads.Pairs], pd.DataFrame]]:
        return {
            "list-of-dicts": lambda p: _lod_snapshot(p, protocols=protocols),
            "json_normalize": lambda p: _normalize_snapshot(p, protocols=protocols),
        }

    return [
        Family(
            "balances",
            payloads.balance_maps,
            lambda p: fb.balances_frame(p, keep_zero=True),
            {"list-of-dicts": _lod_balances},
            2.0,
            {"list-of-dicts": 1.5},
            5.0,
        ),
        Family(
            "walletsAndTokens",
            payloads.wallets_and_tokens,
            lambda p: fb.wallets_and_tokens_frame(p, keep_zero=True),
            {"list-of-dicts": _lod_wallets_and_tokens},
            2.0,
            {"list-of-dicts": 1.5},
            5.0,
        ),
        Family(
            "aggregated",
            payloads.aggregated,
            lambda p: fb.aggregated_frame(p, keep_zero=True),
            {"list-of-dicts": _lod_aggregated},
            1.5,
            {"list-of-dicts": 2.0},
            15.0,
        ),
        Family(
            "v5 tokens_snapshot",
            payloads.tokens_snapshot,
            p5.tokens_snapshot,
            snap(False),
            1.0,
            {"list-of-dicts": 4.0, "json_normalize": 5.0},
            15.0,
        ),
        Family(
            "v5 protocols_snapshot",
            payloads.protocols_snapshot,
            p5.protocols_snapshot,
            snap(True),
            1.0,
            {"list-of-dicts": 4.0, "json_normalize": 5.0},
            15.0,
        ),
    ]


def _label(rows: int) -> str:
    return f"{rows // 1_000_000}M" if rows >= 1_000_000 else f"{rows // 1_000}k"


def measure_family(family: Family, rows: int, repeats: int) -> list[Result]:
    pairs = family.generate(rows)
    size_mb = sum(len(body) for _, body in pairs) / 1e6
    # correctness first: raw bodies and parsed payloads agree; the row-by-row path
    # of the snapshots takes ~20 s per 1M rows, so there the check stops at 100k (the 1M build
    # runs the same code in more groups of bodies)
    check_safe = rows < 1_000_000 or not family.name.startswith("v5")
    fast = family.convert(pairs)
    n = len(fast)
    safe_s = None
    if check_safe:
        parsed = [(ctx, payload) for (ctx, _), payload in zip(pairs, _loads(pairs), strict=True)]
        safe_s, safe = timed(functools.partial(family.convert, parsed))
        pd.testing.assert_frame_equal(fast, safe, check_exact=True)
        del safe, parsed
    del fast
    candidates: dict[str, Callable[[], Any]] = {
        "floor": lambda: _loads(pairs),
        "inchframe": lambda: family.convert(pairs),
        **{name: (lambda fn=fn: fn(pairs)) for name, fn in family.baselines.items()},
    }
    slow = tuple(family.baselines) if rows >= 1_000_000 else ()
    t = median_times(candidates, repeats, once=slow)
    label = f"converter: {family.name} {_label(rows)}"  # bodies in memory, no I/O
    note = f"{n:,} rows, {len(pairs)} bodies, {size_mb:.1f} MB, median of {repeats}"
    small = rows <= 1_000  # judged by the small-call targets below
    floor_target = "" if small else f"≤ {family.floor_target:g}"
    out = [
        Result(
            NAME,
            f"{label}: inchframe / parse floor",
            t["inchframe"] * 1e3,
            t["floor"] * 1e3,
            "ms",
            t["inchframe"] / t["floor"],
            floor_target,
            check(t["inchframe"] / t["floor"], floor_target),
            note,
        )
    ]
    for name, target in family.baseline_targets.items():
        ratio = t[name] / t["inchframe"]
        goal = "" if small else f"≥ {target:g}"
        out.append(
            Result(
                NAME,
                f"{label}: {name} / inchframe",
                t["inchframe"] * 1e3,
                t[name] * 1e3,
                "ms",
                ratio,
                goal,
                check(ratio, goal),
                "baseline once" if name in slow else "",
            )
        )
    if rows <= 1_000:
        base = min(t[name] for name in family.baselines)
        ms = t["inchframe"] * 1e3
        out.append(
            Result(
                NAME,
                f"{label}: small call, time",
                ms,
                None,
                "ms",
                None,
                f"≤ {family.small_ms:g} ms",
                ms <= family.small_ms,
            )
        )
        ratio = t["inchframe"] / base
        out.append(
            Result(
                NAME,
                f"{label}: small call / fastest baseline",
                ms,
                base * 1e3,
                "ms",
                ratio,
                "≤ 1.5",
                check(ratio, "≤ 1.5"),
            )
        )
    if rows >= 100_000 and safe_s is not None:
        parse_and_safe = t["floor"] + safe_s
        out.append(
            Result(
                NAME,
                f"{label}: parsed input / parse floor",
                parse_and_safe * 1e3,
                t["floor"] * 1e3,
                "ms",
                parse_and_safe / t["floor"],
                "",
                None,
                "info: orjson parse + converter on parsed JSON, one run",
            )
        )
    return out


def run(options: Options, only_family: str | None = None) -> list[Result]:
    sizes = QUICK_SIZES if options.quick else SIZES
    repeats = QUICK_REPEATS if options.quick else REPEATS
    results: list[Result] = []
    for family in _families():
        if only_family and only_family not in family.name:
            continue
        for rows in sizes:
            results += measure_family(family, rows, repeats[rows])
            if options.verbose:
                for r in results[-3:]:
                    print(f"  {r.benchmark}: {r.measured:.2f} {r.unit} ratio {r.ratio}", flush=True)
    return results
