"""The sandbox's deterministic universe: tokens, prices, holdings, allowances, positions, history.

Everything is a pure function of ``(seed, now)`` and the request: the same inputs always give the
same numbers, in any process. Results are cached per :class:`Universe` instance (never globally),
so two sandboxes with different seeds in one process stay independent.

Rules a client test can rely on (see docs/sandbox.md for the full list):

- ``balances(chain, wallet)`` are the non-zero raw balances (exact ints) of list tokens; every
  other list token has balance 0. The Balance API reports exactly these.
- a holding's ``amount`` is ``raw / 10**decimals`` and its ``value_usd`` is ``amount * price_usd``;
  the Portfolio token snapshot reports exactly these.
- a position's net contribution is ``asset_sign * value_usd`` (debt has a positive ``value_usd``
  and ``asset_sign == -1``); the value of a wallet on a chain is the sum of its holdings' values
  plus its positions' net contributions.
- profit over a timerange is the sum of per-item profits; the value chart of that timerange starts
  at ``current value - profit`` and ends at the current value.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from ..chains import CHAINS, NATIVE_TOKEN
from .protocols import KNOWN_CONTRACTS, PROTOCOL_GROUPS, TOKEN_GROUP, ProtocolGroup
from .tokens import NATIVE_PRICES, WELL_KNOWN

__all__ = [
    "DEFAULT_NOW",
    "MAX_UINT256",
    "TIMERANGES",
    "Holding",
    "Position",
    "Token",
    "TokenList",
    "Underlying",
    "Universe",
    "position_index",
]

#: Default "current time" of the universe: 2026-01-01T00:00:00Z (fixed, so bytes are stable).
DEFAULT_NOW: Final = 1767225600
MAX_UINT256: Final = 2**256 - 1

#: timerange -> (point spacing in seconds, number of points). The last point is "now".
TIMERANGES: Final[dict[str, tuple[int, int]]] = {
    "1day": (3600, 25),
    "1week": (86400, 8),
    "1month": (86400, 31),
    "1year": (7 * 86400, 53),
    "3years": (30 * 86400, 37),
}
#: Typical size of returns over each timerange (drives per-item ROI).
_PROFIT_SCALE: Final[dict[str, float]] = {
    "1day": 0.02,
    "1week": 0.05,
    "1month": 0.1,
    "1year": 0.35,
    "3years": 0.6,
}
#: Token list size per chain (native + well-known + synthetic long tail).
_LIST_SIZE: Final[dict[int, int]] = {
    1: 1800,
    56: 1500,
    137: 1400,
    42161: 1300,
    8453: 1300,
    10: 1200,
    43114: 1100,
}
_DEFAULT_LIST_SIZE: Final = 1000
#: Probability that a wallet holds anything on a chain.
_PRESENCE: Final[dict[int, float]] = {
    1: 0.85,
    8453: 0.6,
    42161: 0.6,
    56: 0.5,
    137: 0.5,
    10: 0.45,
}
_DEFAULT_PRESENCE: Final = 0.3
_WHALE_SHARE: Final = 0.03
_REF_TIME: Final = 1735689600  # 2025-01-01, reference point of the block-number model
_BLOCKS: Final[dict[int, tuple[int, float]]] = {  # chain -> (block at _REF_TIME, block time)
    1: (21_525_000, 12.0),
    10: (130_400_000, 2.0),
    56: (45_300_000, 3.0),
    100: (37_700_000, 5.0),
    130: (5_000_000, 1.0),
    137: (66_200_000, 2.1),
    146: (3_000_000, 1.0),
    324: (53_000_000, 1.0),
    8453: (24_800_000, 2.0),
    42161: (290_000_000, 0.25),
    43114: (55_000_000, 2.0),
    59144: (14_000_000, 2.0),
}
_HEX_ADDRESS = re.compile(r"^0x[0-9a-f]{40}$")
_SYLLABLES: Final = (
    "ka",
    "zo",
    "mi",
    "ra",
    "te",
    "lu",
    "no",
    "vi",
    "sa",
    "qu",
    "xe",
    "do",
    "fi",
    "pa",
    "ny",
    "ro",
    "ge",
    "bi",
    "ta",
    "wu",
    "me",
    "li",
    "co",
    "de",
    "zy",
    "ha",
    "jo",
    "ke",
    "mo",
    "ve",
)
_NAME_SUFFIXES: Final = (
    "Token",
    "Finance",
    "Protocol",
    "Coin",
    "DAO",
    "Network",
    "AI",
    "Swap",
    "Inu",
    "Labs",
)
_DECIMALS_CHOICES: Final = ((18, 70), (6, 10), (8, 7), (9, 5), (0, 3), (12, 3), (2, 2))


def _key(parts: Iterable[object]) -> str:
    return ":".join(str(p) for p in parts)


def _rng(*parts: object) -> random.Random:
    """A private RNG seeded from the parts (stable across processes and Python runs)."""
    return random.Random(_key(parts))


def _unit(*parts: object) -> float:
    """A deterministic number in [0, 1) from the parts."""
    digest = hashlib.blake2b(_key(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _hex40(*parts: object) -> str:
    return "0x" + hashlib.sha256(_key(parts).encode()).hexdigest()[:40]


def position_index(
    address: str, chain_id: int, contract_address: str, token_id: int, protocol: str = ""
) -> str:
    """The 16-hex-digit ``index`` of a (holder, chain, contract, token id[, protocol]) row.

    A protocol position names its protocol group, so a position and a token row on the same
    contract (stETH held, and the wallet's Lido position) never share an index.
    """
    text = f"{address.lower()}:{chain_id}:{contract_address.lower()}:{token_id}"
    if protocol:
        text += f":{protocol}"
    return "0x" + hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Token:
    """One entry of a chain's token list, with its (seeded) USD price."""

    chain_id: int
    address: str  #: lowercase
    symbol: str
    name: str
    decimals: int
    tags: tuple[str, ...]
    category: str  #: "native", "stable" or "token" (v4 erc20 ``protocol_name``)
    tracked: bool
    well_known: bool
    price_usd: float

    @property
    def logo_uri(self) -> str:
        return f"https://tokens.1inch.io/{self.address}.png"

    @property
    def is_native(self) -> bool:
        return self.category == "native"


@dataclass(frozen=True, slots=True)
class TokenList:
    """A chain's token list (sorted by address) and its lookup tables."""

    tokens: tuple[Token, ...]
    by_address: dict[str, Token]
    by_symbol: dict[str, Token]  #: native and well-known tokens only
    native_idx: tuple[int, ...]
    known_idx: tuple[int, ...]
    tail_idx: tuple[int, ...]
    index_of: dict[str, int]  #: address -> position in ``tokens``


@dataclass(frozen=True, slots=True)
class Holding:
    """A non-zero balance of a list token: ``raw`` is exact, the rest derives from it."""

    token: Token
    raw: int

    @property
    def amount(self) -> float:
        return self.raw / 10**self.token.decimals

    @property
    def price_usd(self) -> float:
        return self.token.price_usd

    @property
    def value_usd(self) -> float:
        return self.amount * self.token.price_usd


@dataclass(frozen=True, slots=True)
class Underlying:
    """A token inside a position (underlying, reward or fee)."""

    token: Token
    amount: float

    @property
    def value_usd(self) -> float:
        return self.amount * self.token.price_usd


@dataclass(frozen=True, slots=True)
class Position:
    """A DeFi position of one wallet on one chain."""

    chain_id: int
    wallet: str
    index: str
    group: ProtocolGroup
    kind: str  #: supply, debt, lp, staking
    contract_address: str
    token_id: int
    contract_name: str
    contract_symbol: str
    asset_sign: int  #: -1 for debt
    underlying: tuple[Underlying, ...]
    rewards: tuple[Underlying, ...]
    fees: tuple[Underlying, ...]  #: unclaimed fees (LP positions)
    apr: float
    holding_time_days: int
    block_number_created: int

    @property
    def value_usd(self) -> float:
        """Positive USD value of the underlying tokens (rewards and fees excluded)."""
        return sum(u.value_usd for u in self.underlying)

    @property
    def net_value_usd(self) -> float:
        return self.asset_sign * self.value_usd

    @property
    def token_address(self) -> str | None:
        return self.underlying[0].token.address if len(self.underlying) == 1 else None


@dataclass(frozen=True, slots=True)
class ClosedToken:
    """A token the wallet held during the timerange and no longer holds (status -1)."""

    token: Token
    index: str
    holding_time_days: int


@dataclass(frozen=True, slots=True)
class Profit:
    """Profit of one item over a timerange; ``roi = profit_usd / start_usd``."""

    profit_usd: float
    start_usd: float

    @property
    def roi(self) -> float:
        return self.profit_usd / self.start_usd if self.start_usd > 0 else 0.0


class Universe:
    """The deterministic world the sandbox serves, for one ``seed`` and reference time ``now``.

    All wallet and token addresses are case-insensitive inputs; results use lowercase.
    """

    def __init__(self, seed: int = 0, *, now: int = DEFAULT_NOW, cache_size: int = 16384) -> None:
        self.seed = int(seed)
        self.now = int(now)
        self._tokens = lru_cache(maxsize=None)(self._build_tokens)
        self._holdings = lru_cache(maxsize=cache_size)(self._build_holdings)
        self._allowances = lru_cache(maxsize=cache_size)(self._build_allowances)
        self._positions = lru_cache(maxsize=cache_size)(self._build_positions)
        self._closed = lru_cache(maxsize=cache_size)(self._build_closed)
        self._profits = lru_cache(maxsize=cache_size)(self._build_profits)

    def __repr__(self) -> str:
        return f"Universe(seed={self.seed}, now={self.now})"

    # ------------------------------------------------------------------ chains and tokens
    @staticmethod
    def chains(api: str | None = None) -> list[int]:
        """Chain ids served: ``api`` "balance", "portfolio", or None for either."""
        return [
            c.id
            for c in CHAINS.values()
            if (api == "balance" and c.balance_api)
            or (api == "portfolio" and c.portfolio_api)
            or (api is None and (c.balance_api or c.portfolio_api))
        ]

    def tokens(self, chain_id: int) -> tuple[Token, ...]:
        """The chain's token list (native coin, well-known tokens, synthetic long tail)."""
        return self._tokens(chain_id).tokens

    def token_list(self, chain_id: int) -> TokenList:
        """The chain's token list with its lookup tables."""
        return self._tokens(chain_id)

    def token(self, chain_id: int, address: str) -> Token | None:
        """A list token by address (any case), or None for a custom (unlisted) token."""
        return self._tokens(chain_id).by_address.get(address.lower())

    def token_by_symbol(self, chain_id: int, symbol: str) -> Token | None:
        """The native coin or a well-known token by symbol."""
        return self._tokens(chain_id).by_symbol.get(symbol)

    def price(self, chain_id: int, address: str) -> float:
        """USD price of a list token (0.0 for an unlisted one)."""
        token = self.token(chain_id, address)
        return token.price_usd if token else 0.0

    def _build_tokens(self, chain_id: int) -> TokenList:
        chain = CHAINS[chain_id]
        rng = _rng("tokens", self.seed, chain_id)

        def jitter(base: float, stable: bool) -> float:
            return base * (1.0 + rng.uniform(-1, 1) * (0.002 if stable else 0.02))

        native_price = NATIVE_PRICES.get(chain.native_symbol, 1.0)
        native = Token(
            chain_id,
            NATIVE_TOKEN,
            chain.native_symbol,
            chain.native_name,
            18,
            ("native", f"PEG:{chain.native_symbol}"),
            "native",
            True,
            True,
            jitter(native_price, False),
        )
        tokens = [native]
        symbols = {native.symbol}
        for address, symbol, name, decimals, price, kind in WELL_KNOWN.get(chain_id, ()):
            tags: tuple[str, ...]
            if kind == "stable":
                tags, category = ("PEG:USD", "tokens"), "stable"
            elif kind == "wrapped":
                tags, category = (f"PEG:{chain.native_symbol}", "tokens"), "token"
                price = native.price_usd  # a wrapped native is priced as the native coin
            else:
                tags, category = ("tokens",), "token"
            tokens.append(
                Token(
                    chain_id,
                    address,
                    symbol,
                    name,
                    decimals,
                    tags,
                    category,
                    True,
                    True,
                    price if kind == "wrapped" else jitter(price, kind == "stable"),
                )
            )
            symbols.add(symbol)
        decimals_values = [d for d, _ in _DECIMALS_CHOICES]
        decimals_weights = [w for _, w in _DECIMALS_CHOICES]
        target = _LIST_SIZE.get(chain_id, _DEFAULT_LIST_SIZE)
        i = 0
        while len(tokens) < target:
            i += 1
            word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 3)))
            symbol = word.upper()[: rng.randint(3, 6)]
            if symbol in symbols or len(symbol) < 2:
                continue
            symbols.add(symbol)
            name = f"{word.capitalize()} {rng.choice(_NAME_SUFFIXES)}"
            decimals = rng.choices(decimals_values, decimals_weights)[0]
            price = 10 ** rng.uniform(-6.0, 2.5)
            tracked = rng.random() > 0.1
            tokens.append(
                Token(
                    chain_id,
                    _hex40("token", self.seed, chain_id, i),
                    symbol,
                    name,
                    decimals,
                    ("tokens",),
                    "token",
                    tracked,
                    False,
                    price,
                )
            )
        tokens.sort(key=lambda t: t.address)
        by_symbol: dict[str, Token] = {}
        for t in tokens:
            if t.well_known:
                by_symbol.setdefault(t.symbol, t)
        return TokenList(
            tokens=tuple(tokens),
            by_address={t.address: t for t in tokens},
            by_symbol=by_symbol,
            native_idx=tuple(i for i, t in enumerate(tokens) if t.is_native),
            known_idx=tuple(i for i, t in enumerate(tokens) if t.well_known and not t.is_native),
            tail_idx=tuple(i for i, t in enumerate(tokens) if not t.well_known),
            index_of={t.address: i for i, t in enumerate(tokens)},
        )

    # ------------------------------------------------------------------ wallets
    def is_whale(self, wallet: str) -> bool:
        """A deterministic few percent of wallets hold raw balances above 10**24."""
        return _unit("whale", self.seed, wallet.lower()) < _WHALE_SHARE

    def is_active(self, chain_id: int, wallet: str) -> bool:
        """Whether the wallet holds anything on the chain (every valid wallet is active somewhere;
        Ethereum is the fallback)."""
        wallet = wallet.lower()
        if chain_id not in CHAINS or not _HEX_ADDRESS.match(wallet):
            return False
        if not (CHAINS[chain_id].balance_api or CHAINS[chain_id].portfolio_api):
            return False
        if self._present(chain_id, wallet):
            return True
        return chain_id == 1 and not any(self._present(c, wallet) for c in self.chains())

    def _present(self, chain_id: int, wallet: str) -> bool:
        share = _PRESENCE.get(chain_id, _DEFAULT_PRESENCE)
        return _unit("present", self.seed, chain_id, wallet) < share

    def holdings(self, chain_id: int, wallet: str) -> tuple[Holding, ...]:
        """Non-zero list-token holdings, in token-list order."""
        return self._holdings(chain_id, wallet.lower())

    def balances(self, chain_id: int, wallet: str) -> dict[str, int]:
        """Non-zero raw balances of list tokens: token address -> exact int (others are 0)."""
        return {h.token.address: h.raw for h in self.holdings(chain_id, wallet)}

    def balance(self, chain_id: int, wallet: str, token: str) -> int:
        """Raw balance of any token, listed or custom."""
        token = token.lower()
        if self.token(chain_id, token) is not None:
            return self.balances(chain_id, wallet).get(token, 0)
        return self._custom_balance(chain_id, wallet.lower(), token)

    def _custom_balance(self, chain_id: int, wallet: str, token: str) -> int:
        """Unlisted tokens: a quarter of (wallet, token) pairs hold something (Balance API only)."""
        if not self.is_active(chain_id, wallet):
            return 0
        rng = _rng("custom", self.seed, chain_id, wallet, token)
        return rng.randint(10**6, 10**24) if rng.random() < 0.25 else 0

    def _build_holdings(self, chain_id: int, wallet: str) -> tuple[Holding, ...]:
        if not self.is_active(chain_id, wallet):
            return ()
        rng = _rng("hold", self.seed, chain_id, wallet)
        table = self._tokens(chain_id)
        tokens = table.tokens
        count = rng.randint(5, 40)
        chosen: set[int] = set()
        if rng.random() < 0.85:
            chosen.update(table.native_idx)
        chosen.update(rng.sample(table.known_idx, min(len(table.known_idx), rng.randint(1, 6))))
        chosen.update(rng.sample(table.tail_idx, max(0, count - len(chosen))))
        whale = self.is_whale(wallet)
        raws: dict[int, int] = {}
        for i in sorted(chosen):
            token = tokens[i]
            roll = rng.random()
            if roll < 0.15:  # dust
                raw = rng.randint(1, 10 ** max(1, token.decimals // 3))
            else:
                usd = 10 ** rng.uniform(0.3, 4.3) * (100 if whale else 1)
                raw = _to_raw(usd / token.price_usd, token.decimals, rng)
            raws[i] = max(raw, 1)
        if whale:
            big = [
                i for i in sorted(chosen) if tokens[i].decimals >= 18 and not tokens[i].is_native
            ]
            cheap = [i for i in big if tokens[i].price_usd < 5] or big
            for i in cheap[: rng.randint(1, 3)]:
                raws[i] = rng.randint(10**24, 6 * 10**25)
        return tuple(Holding(tokens[i], raws[i]) for i in sorted(raws))

    # ------------------------------------------------------------------ allowances
    def allowances(self, chain_id: int, wallet: str, spender: str) -> dict[str, int]:
        """Non-zero allowances of list tokens other than the native coin (always max uint256)."""
        return self._allowances(chain_id, wallet.lower(), spender.lower())

    def allowance(self, chain_id: int, wallet: str, spender: str, token: str) -> int:
        """Allowance of ``spender`` over ``wallet``'s ``token``: native is always max uint256."""
        token = token.lower()
        if token == NATIVE_TOKEN:
            return MAX_UINT256
        if self.token(chain_id, token) is not None:
            return self.allowances(chain_id, wallet, spender).get(token, 0)
        if not self.is_active(chain_id, wallet):
            return 0
        rng = _rng("custom-allow", self.seed, chain_id, wallet.lower(), spender.lower(), token)
        return MAX_UINT256 if rng.random() < 0.1 else 0

    def _build_allowances(self, chain_id: int, wallet: str, spender: str) -> dict[str, int]:
        if not self.is_active(chain_id, wallet):
            return {}
        rng = _rng("allow", self.seed, chain_id, wallet, spender)
        held = [h for h in self.holdings(chain_id, wallet) if not h.token.is_native]
        count = rng.choices((0, 1, 2, 3, 5, 8), (35, 20, 15, 12, 10, 8))[0]
        result: dict[str, int] = {}
        for h in rng.sample(held, min(count, len(held))):
            roll = rng.random()
            if roll < 0.45:
                result[h.token.address] = MAX_UINT256
            elif roll < 0.7:
                result[h.token.address] = h.raw
            else:
                result[h.token.address] = _to_raw(10 ** rng.uniform(0, 5), h.token.decimals, rng)
        if count and rng.random() < 0.3:  # an approval of a token no longer held
            table = self._tokens(chain_id)
            others = [
                table.tokens[i] for i in table.known_idx if table.tokens[i].address not in result
            ]
            if others:
                result[rng.choice(others).address] = MAX_UINT256
        return dict(sorted(result.items()))

    # ------------------------------------------------------------------ positions
    def positions(self, chain_id: int, wallet: str) -> tuple[Position, ...]:
        """Open DeFi positions of the wallet on the chain."""
        return self._positions(chain_id, wallet.lower())

    def _build_positions(self, chain_id: int, wallet: str) -> tuple[Position, ...]:
        if not self.is_active(chain_id, wallet):
            return ()
        rng = _rng("pos", self.seed, chain_id, wallet)
        if rng.random() > 0.55:
            return ()
        groups = [g for g in PROTOCOL_GROUPS if chain_id in g.chains]
        picked = rng.sample(groups, rng.randint(1, min(3, len(groups))))
        picked.sort(key=PROTOCOL_GROUPS.index)
        scale = 100.0 if self.is_whale(wallet) else 1.0
        table = self._tokens(chain_id)
        known = [table.tokens[i] for i in table.known_idx]
        stables = [t for t in known if t.category == "stable"] or known
        majors = [t for t in known if t.category != "stable" and t.price_usd > 100] or known
        result: list[Position] = []

        def make(
            group: ProtocolGroup,
            kind: str,
            under: Sequence[Underlying],
            rewards: Sequence[Underlying] = (),
            fees: Sequence[Underlying] = (),
            token_id: int = 0,
            apr: float = 0.0,
        ) -> Position:
            label = "/".join(u.token.symbol for u in under)
            known_contract = KNOWN_CONTRACTS.get((chain_id, group.id, kind, label))
            if known_contract:
                contract, name, symbol = known_contract
            else:
                contract = _hex40("contract", chain_id, group.id, kind, label)
                name, symbol = _contract_names(group, kind, label, CHAINS[chain_id].display_name)
            if group.id == "uniswap-v3" and chain_id in (1, 10, 137, 42161):
                contract = "0xc36442b4a4522e871399cd717abdd847ab11fe88"
            return Position(
                chain_id=chain_id,
                wallet=wallet,
                index=position_index(wallet, chain_id, contract, token_id, group.id),
                group=group,
                kind=kind,
                contract_address=contract,
                token_id=token_id,
                contract_name=name,
                contract_symbol=symbol,
                asset_sign=-1 if kind == "debt" else 1,
                underlying=tuple(under),
                rewards=tuple(rewards),
                fees=tuple(fees),
                apr=apr,
                holding_time_days=rng.randint(1, 900),
                block_number_created=self.block_number(chain_id, self.now)
                - rng.randint(1_000, 3_000_000),
            )

        def part(token: Token, usd: float) -> Underlying:
            return Underlying(token, usd / token.price_usd)

        for group in picked:
            usd = 10 ** rng.uniform(2.0, 4.7) * scale
            if "supply" in group.kinds:
                asset = rng.choice(stables + majors)
                result.append(
                    make(group, "supply", [part(asset, usd)], apr=rng.uniform(0.005, 0.08))
                )
                if "debt" in group.kinds and rng.random() < 0.5:
                    borrowed = rng.choice(stables)
                    debt = part(borrowed, usd * rng.uniform(0.15, 0.6))
                    result.append(make(group, "debt", [debt], apr=-rng.uniform(0.02, 0.09)))
            elif "lp" in group.kinds:
                pool = rng.sample(known, 2) if len(known) >= 2 else [known[0], known[0]]
                share = rng.uniform(0.3, 0.7)
                under = [part(pool[0], usd * share), part(pool[1], usd * (1 - share))]
                fees = [part(t, usd * rng.uniform(0.0005, 0.01)) for t in pool]
                reward = _REWARD_SYMBOL.get(group.id)
                reward_token = self.token_by_symbol(chain_id, reward) if reward else None
                rewards = (
                    [part(reward_token, usd * rng.uniform(0.001, 0.02))] if reward_token else []
                )
                token_id = rng.randint(100_000, 999_999) if group.id.endswith("-v3") else 0
                result.append(
                    make(group, "lp", under, rewards, fees, token_id, apr=rng.uniform(0.02, 0.35))
                )
            else:  # staking
                symbol = "ETH" if group.id == "lido" else "1INCH"
                asset = self.token_by_symbol(chain_id, symbol) or majors[0]
                reward = _REWARD_SYMBOL.get(group.id)
                reward_token = self.token_by_symbol(chain_id, reward) if reward else None
                rewards = (
                    [part(reward_token, usd * rng.uniform(0.002, 0.03))] if reward_token else []
                )
                result.append(
                    make(group, "staking", [part(asset, usd)], rewards, apr=rng.uniform(0.02, 0.12))
                )
        return tuple(result)

    def closed_tokens(self, chain_id: int, wallet: str) -> tuple[ClosedToken, ...]:
        """Tokens held during the history but not now (status -1; ``closed=true`` rows)."""
        return self._closed(chain_id, wallet.lower())

    def _build_closed(self, chain_id: int, wallet: str) -> tuple[ClosedToken, ...]:
        if not self.is_active(chain_id, wallet):
            return ()
        rng = _rng("closed", self.seed, chain_id, wallet)
        count = rng.choices((0, 1, 2), (60, 30, 10))[0]
        held = {h.token.address for h in self.holdings(chain_id, wallet)}
        table = self._tokens(chain_id)
        candidates = [
            table.tokens[i] for i in table.known_idx if table.tokens[i].address not in held
        ]
        return tuple(
            ClosedToken(t, position_index(wallet, chain_id, t.address, 0), rng.randint(1, 700))
            for t in rng.sample(candidates, min(count, len(candidates)))
        )

    def token_index(self, chain_id: int, wallet: str, token: str) -> str:
        """``index`` of a token row of the wallet (tokens snapshot / metrics)."""
        return position_index(wallet, chain_id, token, 0)

    def holding_time_days(self, index: str) -> int:
        """Days a token row has been held (deterministic from its index)."""
        return 1 + int(_unit("held", self.seed, index) * 900)

    # ------------------------------------------------------------------ values and history
    def chain_value(self, chain_id: int, wallet: str) -> float:
        """Net USD value: holdings plus ``asset_sign * value_usd`` of positions."""
        return sum(h.value_usd for h in self.holdings(chain_id, wallet)) + sum(
            p.net_value_usd for p in self.positions(chain_id, wallet)
        )

    def profits(self, chain_id: int, wallet: str, timerange: str) -> dict[str, Profit]:
        """Per-item profit over ``timerange``, keyed by item ``index`` (tokens held, closed
        tokens, positions)."""
        return self._profits(chain_id, wallet.lower(), timerange)

    def _build_profits(self, chain_id: int, wallet: str, timerange: str) -> dict[str, Profit]:
        scale = _PROFIT_SCALE[timerange]
        rng = _rng("pnl", self.seed, chain_id, wallet, timerange)
        holdings = self.holdings(chain_id, wallet)
        items: dict[str, tuple[float, float]] = {}  # index -> (profit, start)
        tokens_value = 0.0
        for h in holdings:
            s = scale * (0.05 if h.token.category == "stable" else 1.0)
            roi = rng.uniform(-0.6 * s, s)
            value = h.value_usd
            tokens_value += value
            start = value / (1 + roi)
            items[self.token_index(chain_id, wallet, h.token.address)] = (value - start, start)
        for closed in self.closed_tokens(chain_id, wallet):
            invested = tokens_value * rng.uniform(0.01, 0.08)
            items[closed.index] = (invested * rng.uniform(-0.4, 0.8) * scale, invested)
        for p in self.positions(chain_id, wallet):
            value = p.value_usd
            if p.kind == "debt":
                start = value * (1 - rng.uniform(0, 0.1) * scale)
                items[p.index] = (-(value - start), start)
            else:
                roi = rng.uniform(-0.3 * scale, scale)
                start = value / (1 + roi)
                items[p.index] = (value - start, start)
        current = self.chain_value(chain_id, wallet)
        total = sum(profit for profit, _ in items.values())
        factor = 1.0
        if current > 0 and total > 0.9 * current:  # keep the chart's start positive
            factor = 0.9 * current / total
        return {k: Profit(profit * factor, start) for k, (profit, start) in items.items()}

    def profit(self, chain_id: int, wallet: str, timerange: str, part: str = "all") -> Profit:
        """Summed profit of one part ("tokens", "protocols" or "all") of a wallet on a chain."""
        profits = self.profits(chain_id, wallet, timerange)
        position_ids = {p.index for p in self.positions(chain_id, wallet)}
        chosen = [
            v
            for k, v in profits.items()
            if part == "all" or (k in position_ids) == (part == "protocols")
        ]
        return Profit(sum(p.profit_usd for p in chosen), sum(p.start_usd for p in chosen))

    def chart_timestamps(self, timerange: str) -> list[int]:
        """Point timestamps of a timerange: evenly spaced, the last one is ``now`` (to the hour)."""
        step, count = TIMERANGES[timerange]
        end = self.now - self.now % 3600
        return [end - (count - 1 - k) * step for k in range(count)]

    def chart(self, chain_id: int, wallet: str, timerange: str) -> list[float]:
        """Value history of one wallet on one chain: from ``value - profit`` to ``value``."""
        count = TIMERANGES[timerange][1]
        end_value = self.chain_value(chain_id, wallet)
        profit = sum(p.profit_usd for p in self.profits(chain_id, wallet, timerange).values())
        start_value = end_value - profit
        if end_value == 0 and start_value == 0:
            return [0.0] * count
        rng = _rng("chart", self.seed, chain_id, wallet.lower(), timerange)
        amplitude = 0.05 * max(0.0, min(start_value, end_value))
        last = count - 1
        values = []
        for k in range(count):
            trend = start_value + (end_value - start_value) * k / last
            bridge = math.sqrt(k * (last - k)) / (last / 2)
            values.append(max(0.0, trend + amplitude * bridge * rng.uniform(-1, 1)))
        values[0], values[-1] = start_value, end_value
        return values

    def block_number(self, chain_id: int, timestamp: int) -> int:
        """A plausible block number of ``chain_id`` at ``timestamp``."""
        ref_block, block_time = _BLOCKS.get(chain_id, (10_000_000, 2.0))
        return max(0, ref_block + int((timestamp - _REF_TIME) / block_time))

    # ------------------------------------------------------------------ aggregates
    def current_value(self, wallets: Sequence[str], chain_id: int | None = None) -> dict:
        """The v5 ``general/current_value`` result for lowercase ``wallets``.

        ``total`` = tokens + native + protocols (net of debt); every breakdown sums to it.
        """
        chains = [chain_id] if chain_id is not None else self.chains("portfolio")
        chains = [c for c in chains if c in CHAINS and CHAINS[c].portfolio_api]
        by_address = {w: 0.0 for w in wallets}
        by_category = {"tokens": 0.0, "native": 0.0, "protocols": 0.0}
        by_group: dict[str, float] = {}
        by_chain: dict[int, float] = {}
        for chain in chains:
            for wallet in wallets:
                holdings = self.holdings(chain, wallet)
                positions = self.positions(chain, wallet)
                if not holdings and not positions:
                    continue
                for h in holdings:
                    value = h.value_usd
                    by_category["native" if h.token.is_native else "tokens"] += value
                    by_group[TOKEN_GROUP[0]] = by_group.get(TOKEN_GROUP[0], 0.0) + value
                    by_address[wallet] += value
                    by_chain[chain] = by_chain.get(chain, 0.0) + value
                for p in positions:
                    value = p.net_value_usd
                    by_category["protocols"] += value
                    by_group[p.group.id] = by_group.get(p.group.id, 0.0) + value
                    by_address[wallet] += value
                    by_chain[chain] = by_chain.get(chain, 0.0) + value
        names = {g.id: g.name for g in PROTOCOL_GROUPS} | {TOKEN_GROUP[0]: TOKEN_GROUP[1]}
        order = [TOKEN_GROUP[0], *(g.id for g in PROTOCOL_GROUPS)]
        return {
            "total": sum(by_category.values()),
            "by_address": [{"value_usd": v, "address": a} for a, v in by_address.items()],
            "by_category": [
                {"value_usd": v, "category_id": k, "category_name": k.capitalize()}
                for k, v in by_category.items()
            ],
            "by_protocol_group": [
                {"value_usd": by_group[g], "protocol_group_id": g, "protocol_group_name": names[g]}
                for g in order
                if g in by_group
            ],
            "by_chain": [
                {"value_usd": v, "chain_id": c, "chain_name": CHAINS[c].display_name}
                for c, v in by_chain.items()
            ],
        }


_REWARD_SYMBOL: Final[dict[str, str]] = {
    "aerodrome": "AERO",
    "curve": "CRV",
    "1inch-staking": "1INCH",
}


def _to_raw(amount: float, decimals: int, rng: random.Random) -> int:
    """Exact raw units for a human amount, with realistic (random) trailing digits."""
    significant = min(decimals, 6)
    head = int(amount * 10**significant)
    rest = decimals - significant
    return head * 10**rest + (rng.randrange(10**rest) if rest else 0)


def _contract_names(
    group: ProtocolGroup, kind: str, label: str, chain_name: str
) -> tuple[str, str]:
    compact = label.replace("/", "-")
    if group.id == "aave-v3":
        if kind == "debt":
            return f"Aave {chain_name} Variable Debt {label}", f"variableDebt{label}"
        return f"Aave {chain_name} {label}", f"a{label}"
    if group.id == "compound-v3":
        return f"Compound {label}", f"c{label}v3"
    if group.id in ("uniswap-v3", "pancakeswap-v3"):
        return f"{group.name} {label} Position", f"{group.name.split()[0].upper()}-V3-POS"
    if kind == "lp":
        return f"{group.name} {label} Pool", f"{compact}-LP"
    return f"{group.name} {label}", f"st{label}"
