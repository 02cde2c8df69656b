"""Synthetic response bodies of any size, shaped exactly like the sandbox's (and the API's).

Token metadata (addresses, symbols, names, decimals, prices) comes from the sandbox universe, so
the bodies look like real ones; holdings are drawn from a seeded RNG, so every run builds the
same bytes. Each generator returns ``(context, body)`` pairs in the form the converters take,
with ``body`` the compact JSON bytes a server sends; ``rows`` is the number of rows the frame
will have (balances with ``keep_zero=True``).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from functools import cache
from typing import Any

import orjson

CHAINS = (1, 56, 137, 8453, 42161)
ROUTER = "0x111111125421ca6dc452d289314280a0f8842a65"
Pairs = list[tuple[Any, bytes]]


@cache
def tokens(chain: int) -> tuple[Any, ...]:
    """The sandbox's token list of ``chain`` (1,300-1,800 tokens)."""
    from inchframe.sandbox import Universe

    return tuple(Universe(0).tokens(chain))


def wallet(i: int, *, mixed_case: bool = False) -> str:
    """A deterministic wallet address; ``mixed_case`` mimics an EIP-55 request echo."""
    hexits = hashlib.sha256(f"bench-wallet-{i}".encode()).hexdigest()[:40]
    if mixed_case:
        hexits = "".join(
            c.upper() if c.isalpha() and j % 3 == 0 else c for j, c in enumerate(hexits)
        )
    return "0x" + hexits


def _amount(rng: random.Random) -> str:
    return str(rng.randrange(10**5, 10 ** rng.choice((9, 18, 21, 24, 27))))


def _balance(rng: random.Random, zero_share: float) -> str:
    return "0" if rng.random() < zero_share else _amount(rng)


def balance_maps(rows: int, *, per_response: int = 1000, seed: int = 1) -> Pairs:
    """GET ``balances/{wallet}``: ``{token: "balance"}`` per (chain, wallet), 80% zeros."""
    rng = random.Random(seed)
    out: Pairs = []
    i = 0
    while rows > 0:
        chain = CHAINS[i % len(CHAINS)]
        listed = tokens(chain)[: min(rows, per_response)]
        body = {t.address: _balance(rng, 0.8) for t in listed}
        out.append(((chain, wallet(i)), orjson.dumps(body)))
        rows -= len(listed)
        i += 1
    return out


def wallets_and_tokens(
    rows: int, *, wallets: int = 20, per_wallet: int = 50, seed: int = 2
) -> Pairs:
    """POST ``balances/multiple/walletsAndTokens``: ``{wallet: {token: "balance"}}``."""
    rng = random.Random(seed)
    out: Pairs = []
    i = 0
    while rows > 0:
        chain = CHAINS[len(out) % len(CHAINS)]
        listed = tokens(chain)
        body: dict[str, dict[str, str]] = {}
        for _ in range(wallets):
            if rows <= 0:
                break
            n = min(rows, per_wallet)
            start = rng.randrange(0, len(listed) - n)
            body[wallet(i, mixed_case=True)] = {
                t.address: _balance(rng, 0.3) for t in listed[start : start + n]
            }
            rows -= n
            i += 1
        out.append(((chain,), orjson.dumps(body)))
    return out


def aggregated(rows: int, *, wallets: int = 100, seed: int = 3) -> Pairs:
    """``aggregatedBalancesAndAllowances``: token objects, each listing every wallet asked."""
    rng = random.Random(seed)
    out: Pairs = []
    w0 = 0
    while rows > 0:
        chain = CHAINS[len(out) % len(CHAINS)]
        n_wallets = min(wallets, rows)
        names = [wallet(w0 + k, mixed_case=True) for k in range(n_wallets)]
        w0 += n_wallets
        listed = tokens(chain)
        n_tokens = max(1, min(len(listed), rows // n_wallets))
        body = []
        for t in listed[:n_tokens]:
            body.append(
                {
                    "decimals": t.decimals,
                    "symbol": t.symbol,
                    "tags": list(t.tags),
                    "address": t.address,
                    "name": t.name,
                    "logoURI": f"https://tokens.1inch.io/{t.address}.png",
                    "isCustom": False,
                    "wallets": {
                        w: {
                            "balance": _balance(rng, 0.7),
                            "allowance": "0" if rng.random() < 0.9 else _amount(rng),
                        }
                        for w in names
                    },
                    "type": "ethereum" if t.address.startswith("0xeeee") else "token",
                    "tracked": t.tracked,
                }
            )
        rows -= n_tokens * n_wallets
        out.append(((chain, ROUTER), orjson.dumps(body)))
    return out


_META = {
    "cached_at": None,
    "system": {
        "click_time": 0.05,
        "node_time": 0.02,
        "microservices_time": 0.04,
        "redis_time": 0.004,
        "total_time": 0.09,
    },
}


def _snapshot_item(
    rng: random.Random, chain: int, holder: str, n_underlying: int, n_reward: int, protocol: bool
) -> dict[str, Any]:
    listed = tokens(chain)

    def token_balance() -> dict[str, Any]:
        t = listed[rng.randrange(len(listed))]
        amount = round(rng.random() * 10 ** rng.randrange(0, 6), 6)
        return {
            "chain_id": chain,
            "address": t.address,
            "decimals": t.decimals,
            "symbol": t.symbol,
            "name": t.name,
            "amount": amount,
            "price_usd": t.price_usd,
            "value_usd": amount * t.price_usd,
        }

    under = [token_balance() for _ in range(n_underlying)]
    reward = [token_balance() for _ in range(n_reward)]
    contract = under[0]["address"] if under else "0x" + rng.randbytes(20).hex()
    index = "0x" + rng.randbytes(8).hex()
    return {
        "index": index,
        "chain": chain,
        "contract_address": contract,
        "token_id": rng.randrange(1, 10**6) if protocol else 0,
        "address": holder,
        "block_number_created": 21_000_000 if protocol else 0,
        "block_number": 21_600_000 if protocol else None,
        "timestamp": 1767225600 if protocol else None,
        "protocol_type": "dex" if protocol else "token",
        "protocol_handler_id": "uniswapv3" if protocol else "erc20",
        "protocol_group_id": "uniswap-v3" if protocol else "token",
        "protocol_group_name": "Uniswap V3" if protocol else "Token",
        "protocol_group_icon": "https://app.1inch.io/assets/overview/tokens.svg",
        "protocol_sub_group_id": None,
        "protocol_sub_group_name": None,
        "contract_name": under[0]["name"] if under else "Position",
        "contract_symbol": under[0]["symbol"] if under else "POS",
        "asset_sign": -1 if protocol and rng.random() < 0.1 else 1,
        "status": 1,
        "underlying_tokens": under,
        "reward_tokens": reward,
        "value_usd": sum(u["value_usd"] for u in under),
        "locked": False,
    }


def tokens_snapshot(
    rows: int, *, addresses: int = 20, per_response: int = 1000, seed: int = 4
) -> Pairs:
    """v5.0 ``tokens/snapshot`` (``{result, meta}``): one underlying token per item."""
    rng = random.Random(seed)
    out: Pairs = []
    w0 = 0
    while rows > 0:
        n = min(rows, per_response)
        holders = [wallet(w0 + k) for k in range(addresses)]
        w0 += addresses
        items = [
            _snapshot_item(rng, CHAINS[k % len(CHAINS)], holders[k % addresses], 1, 0, False)
            for k in range(n)
        ]
        out.append(
            (
                {"addresses": holders, "chain_id": None},
                orjson.dumps({"result": items, "meta": _META}),
            )
        )
        rows -= n
    return out


def protocols_snapshot(
    rows: int, *, addresses: int = 20, per_response: int = 1000, seed: int = 5
) -> Pairs:
    """v5.0 ``protocols/snapshot``: positions with 1-2 underlying and 0-1 reward tokens."""
    rng = random.Random(seed)
    out: Pairs = []
    w0 = 0
    while rows > 0:
        holders = [wallet(w0 + k) for k in range(addresses)]
        w0 += addresses
        items = []
        n = 0
        while n < min(rows, per_response):
            left = min(rows, per_response) - n
            under = min(left, rng.choice((1, 2, 2)))
            reward = min(left - under, rng.choice((0, 0, 1)))
            items.append(
                _snapshot_item(
                    rng,
                    CHAINS[len(items) % len(CHAINS)],
                    holders[len(items) % addresses],
                    under,
                    reward,
                    True,
                )
            )
            n += max(1, under + reward)
        out.append(
            (
                {"addresses": holders, "chain_id": None},
                orjson.dumps({"result": items, "meta": _META}),
            )
        )
        rows -= n
    return out


GENERATORS: dict[str, Callable[[int], Pairs]] = {
    "balances": balance_maps,
    "wallets_and_tokens": wallets_and_tokens,
    "aggregated": aggregated,
    "tokens_snapshot": tokens_snapshot,
    "protocols_snapshot": protocols_snapshot,
}
