"""The chains the Balance and Portfolio APIs serve, and how users may name them.

One table (:data:`CHAINS`) is the single source for chain ids, names, aliases and native coins;
the client, the frames and the sandbox all read it (see docs/api-contract.md).

Chain ids the table does not list are accepted too (the APIs add chains faster than inchframe
releases): any positive whole number, as an int, a numpy int or a digit string. The first use
of such an id in a process emits :class:`~inchframe.errors.UnknownChainWarning`; its label is
``"chain <id>"``. Unknown *names* are still refused, since a name cannot be sent.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from numbers import Integral

from .errors import InputError, UnknownChainWarning, user_stacklevel

__all__ = [
    "CHAINS",
    "MAX_CHAIN_ID",
    "NATIVE_TOKEN",
    "Chain",
    "chain_name",
    "resolve_chain",
    "resolve_chains",
]

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


#: Largest chain id accepted (ids are stored as 64-bit integers in frames and Parquet files).
MAX_CHAIN_ID = 2**63 - 1

_warned_lock = threading.Lock()
_warned: set[int] = set()


def _accepted() -> str:
    known = ", ".join(f"{c.id} ({c.aliases[0]})" for c in CHAINS.values() if not c.legacy)
    return f"any positive whole-number chain id, or a name of the known chains: {known}"


def _warn_unknown(chain_id: int) -> None:
    """Warn once per id per process that inchframe has no name for ``chain_id``."""
    with _warned_lock:
        if chain_id in _warned:
            return
        _warned.add(chain_id)
    warnings.warn(
        f"chain id {chain_id} is not in inchframe's chain table: it is sent as given and "
        f'labelled "chain {chain_id}" (no name, native coin or wrapped token known)',
        UnknownChainWarning,
        stacklevel=user_stacklevel(),
    )


def _chain_id(chain: object) -> int | None:
    """The id ``chain`` names, or None when it names none."""
    if isinstance(chain, bool):
        return None
    number: int | None = None
    if isinstance(chain, Integral):  # int, numpy.int64...
        number = int(chain)
    elif isinstance(chain, str):
        text = chain.strip().lower()
        if text.isascii() and text.isdigit():
            number = int(text)
        else:
            return _BY_NAME.get(text)
    if number is None or not 0 < number <= MAX_CHAIN_ID:
        return None
    return number


def resolve_chain(chain: int | str, *, api: str | None = None) -> int:
    """Return the chain id for an id or a name such as ``"ethereum"``, ``"base"`` or ``"bsc"``.

    Any positive whole number is accepted as an id (an int, a numpy int or a digit string); an
    id inchframe does not list emits :class:`~inchframe.errors.UnknownChainWarning` once per
    process. ``api`` (``"balance"`` or ``"portfolio"``) additionally checks that the API serves
    a *listed* chain (an unlisted id is left to the API to judge). Raises
    :class:`~inchframe.errors.InputError` for anything else (bools, 0, negatives, floats,
    unknown names), naming the value and what is accepted.
    """
    chain_id = _chain_id(chain)
    if chain_id is None:
        shown = repr(chain)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        raise InputError(f"unknown chain {shown}; accepted: {_accepted()}")
    known = CHAINS.get(chain_id)
    if known is None:
        _warn_unknown(chain_id)
    elif api == "balance" and not known.balance_api:
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
        raise InputError(f"no chain given; accepted: {_accepted()}")
    ids: list[int] = []
    for item in items:
        chain_id = resolve_chain(item, api=api)
        if chain_id not in ids:
            ids.append(chain_id)
    return ids


def chain_name(chain_id: int) -> str:
    """Human name of a chain id (``"Ethereum"``), or ``"chain <id>"`` when inchframe has none."""
    chain = CHAINS.get(chain_id)
    return chain.display_name if chain else f"chain {chain_id}"
