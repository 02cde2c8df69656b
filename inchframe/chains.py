"""The chains the Balance and Portfolio APIs serve, and how users may name them.

One table (:data:`CHAINS`) is the single source for chain ids, names, aliases and native coins;
the client, the frames and the sandbox all read it. See REFERENCE section 2.7.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from numbers import Integral

from .errors import InputError

__all__ = ["CHAINS", "NATIVE_TOKEN", "Chain", "chain_name", "resolve_chain", "resolve_chains"]

#: The native coin's pseudo-address in Balance and Portfolio responses (lowercase on the wire).
NATIVE_TOKEN = "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"


@dataclass(frozen=True, slots=True)
class Chain:
    """One chain: its id, the Portfolio API's short name, and what users may call it."""

    id: int
    name: str  #: short name as in the Portfolio ``Chain`` enum, e.g. ``"eth"``
    display_name: str  #: e.g. ``"Ethereum"``
    aliases: tuple[str, ...]
    native_symbol: str
    native_name: str
    wrapped_native: str | None  #: lowercase address of the wrapped native token, if known
    balance_api: bool  #: served by Balance API v1.2
    portfolio_api: bool  #: in the Portfolio API's current list of supported chains
    legacy: bool = False  #: only in the Portfolio ChainId enum (no longer listed as supported)


CHAINS: dict[int, Chain] = {
    c.id: c
    for c in (
        Chain(
            1,
            "eth",
            "Ethereum",
            ("ethereum", "eth", "mainnet"),
            "ETH",
            "Ether",
            "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2",
            True,
            True,
        ),
        Chain(
            10,
            "optimism",
            "Optimism",
            ("optimism", "op"),
            "ETH",
            "Ether",
            "0x4200000000000000000000000000000000000006",
            True,
            True,
        ),
        Chain(
            56,
            "bsc",
            "BNB Chain",
            ("bsc", "bnb", "binance", "bnb chain"),
            "BNB",
            "BNB",
            "0xbb4cdb9cbd36b01bd1cbaebf2de08d9173bc095c",
            True,
            True,
        ),
        Chain(
            100,
            "gnosis",
            "Gnosis",
            ("gnosis", "xdai"),
            "xDAI",
            "xDAI",
            "0xe91d153e0b41518a2ce8dd3d7944fa863463a97d",
            True,
            True,
        ),
        Chain(
            130,
            "unichain",
            "Unichain",
            ("unichain",),
            "ETH",
            "Ether",
            "0x4200000000000000000000000000000000000006",
            True,
            True,
        ),
        Chain(
            137,
            "polygon",
            "Polygon",
            ("polygon", "matic", "pol"),
            "POL",
            "Polygon Ecosystem Token",
            "0x0d500b1d8e8ef31e21c99d1db9a6444d3adf1270",
            True,
            True,
        ),
        Chain(
            146,
            "sonic",
            "Sonic",
            ("sonic",),
            "S",
            "Sonic",
            "0x039e2fb66102314ce7b64ce5ce3e5183bc94ad38",
            True,
            True,
        ),
        Chain(
            250,
            "fantom",
            "Fantom",
            ("fantom", "ftm"),
            "FTM",
            "Fantom",
            "0x21be370d5312f44cb42ce377bc9b8a0cef1a4c83",
            False,
            False,
            legacy=True,
        ),
        Chain(
            324,
            "zksyncera",
            "zkSync Era",
            ("zksync", "zksyncera", "zksync era", "era"),
            "ETH",
            "Ether",
            "0x5aea5775959fbc2557cc8789bc1bf90a239d9a91",
            True,
            True,
        ),
        Chain(
            8217,
            "klaytn",
            "Klaytn",
            ("klaytn", "kaia"),
            "KLAY",
            "Klaytn",
            None,
            False,
            False,
            legacy=True,
        ),
        Chain(
            8453,
            "base",
            "Base",
            ("base",),
            "ETH",
            "Ether",
            "0x4200000000000000000000000000000000000006",
            True,
            True,
        ),
        Chain(
            42161,
            "arbitrum",
            "Arbitrum",
            ("arbitrum", "arb", "arbitrum one"),
            "ETH",
            "Ether",
            "0x82af49447d8a07e3bd95bd0d56f35241523fbab1",
            True,
            True,
        ),
        Chain(
            43114,
            "avax",
            "Avalanche",
            ("avalanche", "avax"),
            "AVAX",
            "Avalanche",
            "0xb31f66aa3c1e785363f0875a1b74e27b85fd66c7",
            True,
            True,
        ),
        Chain(
            59144,
            "linea",
            "Linea",
            ("linea",),
            "ETH",
            "Ether",
            "0xe5d7c2a44ffddf6b295a15c148167daaaf5cf34f",
            True,
            True,
        ),
        Chain(
            1313161554,
            "aurora",
            "Aurora",
            ("aurora",),
            "ETH",
            "Ether",
            None,
            False,
            False,
            legacy=True,
        ),
    )
}

_BY_NAME: dict[str, int] = {}
for _chain in CHAINS.values():
    for _alias in (_chain.name, _chain.display_name.lower(), *_chain.aliases):
        _BY_NAME[_alias] = _chain.id


def _accepted() -> str:
    return ", ".join(f"{c.id} ({c.aliases[0]})" for c in CHAINS.values() if not c.legacy)


def resolve_chain(chain: int | str, *, api: str | None = None) -> int:
    """Return the chain id for an id or a name such as ``"ethereum"``, ``"base"`` or ``"bsc"``.

    ``api`` (``"balance"`` or ``"portfolio"``) additionally checks that the API serves the chain.
    Raises :class:`~inchframe.errors.InputError` listing the known chains otherwise.
    """
    chain_id: int | None
    if isinstance(chain, bool):
        chain_id = None
    elif isinstance(chain, Integral):  # int, numpy.int64...
        chain_id = int(chain) if int(chain) in CHAINS else None
    elif isinstance(chain, str):
        text = chain.strip().lower()
        digits = text.isascii() and text.isdigit()
        chain_id = int(text) if digits and int(text) in CHAINS else _BY_NAME.get(text)
    else:
        chain_id = None
    if chain_id is None:
        raise InputError(f"unknown chain {chain!r}; known chains: {_accepted()}")
    if api == "balance" and not CHAINS[chain_id].balance_api:
        served = ", ".join(str(c.id) for c in CHAINS.values() if c.balance_api)
        raise InputError(f"chain {chain!r} is not served by the Balance API; it serves {served}")
    return chain_id


def resolve_chains(chains: int | str | Iterable[int | str], *, api: str | None = None) -> list[int]:
    """Resolve one chain or a list of chains to unique ids, keeping the order given."""
    if isinstance(chains, (str, Integral)) or not isinstance(chains, Iterable):
        items = [chains]  # one chain (or something resolve_chain will reject by name)
    else:
        items = list(chains)
    if not items:
        raise InputError(f"no chain given; known chains: {_accepted()}")
    ids: list[int] = []
    for item in items:
        chain_id = resolve_chain(item, api=api)
        if chain_id not in ids:
            ids.append(chain_id)
    return ids


def chain_name(chain_id: int) -> str:
    """Human name of a chain id (``"Ethereum"``), or the id as text when unknown."""
    chain = CHAINS.get(chain_id)
    return chain.display_name if chain else str(chain_id)
