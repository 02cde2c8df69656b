"""The DeFi protocol groups of the sandbox universe, and chain icons.

Group ids follow the Portfolio API's pattern (``aave-v3``, ``uniswap-v3``, as the 2026
method pages give them), the
v4 ``protocol`` names come from the v4 ``ProtocolName`` enum, and the icon URLs follow the
``https://app.1inch.io/assets/overview/protocols/<name>.svg`` pattern of the documented
icons (the URLs are illustrative). A handful of position contracts use real addresses; the rest are
derived deterministically by the universe.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["CHAIN_ICONS", "KNOWN_CONTRACTS", "PROTOCOL_GROUPS", "TOKEN_GROUP", "ProtocolGroup"]


@dataclass(frozen=True, slots=True)
class ProtocolGroup:
    """One protocol group and the kinds of position it holds."""

    id: str  #: v5 ``protocol_group_id``
    name: str  #: v5 ``protocol_group_name``
    icon: str | None
    v4_name: str  #: v4 ``protocol`` / ``protocol_name`` (ProtocolName enum)
    protocol_type: str  #: v5 ``protocol_type``: lending, dex, staking
    kinds: tuple[str, ...]  #: position kinds: supply, debt, lp, staking
    chains: tuple[int, ...]


_ICON = "https://app.1inch.io/assets/overview/protocols/{}.svg"

#: The pseudo-group plain tokens belong to (observed in a live tokens/snapshot item).
TOKEN_GROUP: Final = ("token", "Token", "https://app.1inch.io/assets/overview/tokens.svg")

PROTOCOL_GROUPS: Final[tuple[ProtocolGroup, ...]] = (
    ProtocolGroup(
        "aave-v3",
        "Aave V3",
        _ICON.format("aave"),
        "aavev3",
        "lending",
        ("supply", "debt"),
        (1, 10, 56, 100, 137, 146, 324, 8453, 42161, 43114, 59144),
    ),
    ProtocolGroup(
        "compound-v3",
        "Compound V3",
        _ICON.format("compound"),
        "compoundv3",
        "lending",
        ("supply",),
        (1, 10, 137, 8453, 42161),
    ),
    ProtocolGroup(
        "uniswap-v3",
        "Uniswap V3",
        _ICON.format("uniswap"),
        "uniswapv3",
        "dex",
        ("lp",),
        (1, 10, 56, 130, 137, 8453, 42161, 43114),
    ),
    ProtocolGroup(
        "curve", "Curve", _ICON.format("curve"), "curve", "dex", ("lp",), (1, 10, 100, 137, 42161)
    ),
    ProtocolGroup(
        "pancakeswap-v3",
        "PancakeSwap V3",
        _ICON.format("pancakeswap"),
        "pancakeswapv3",
        "dex",
        ("lp",),
        (56,),
    ),
    ProtocolGroup(
        "aerodrome", "Aerodrome", _ICON.format("aerodrome"), "aerodromev2", "dex", ("lp",), (8453,)
    ),
    ProtocolGroup(
        "velodrome", "Velodrome", _ICON.format("velodrome"), "velodromev2", "dex", ("lp",), (10,)
    ),
    ProtocolGroup("lido", "Lido", _ICON.format("lido"), "lido", "staking", ("staking",), (1,)),
    ProtocolGroup(
        "1inch-staking",
        "1inch Staking",
        _ICON.format("1inch"),
        "staking1inchv2",
        "staking",
        ("staking",),
        (1,),
    ),
)

#: Real position contracts, keyed by (chain id, group id, kind, underlying symbol or "").
KNOWN_CONTRACTS: Final[dict[tuple[int, str, str, str], tuple[str, str, str]]] = {
    (1, "aave-v3", "supply", "USDC"): (
        "0x98c23e9d8f34fefb1b7bd6a91b7ff122f4e16f5c",
        "Aave Ethereum USDC",
        "aEthUSDC",
    ),
    (1, "aave-v3", "debt", "USDT"): (
        "0x6df1c1e379bc5a00a7b4c6e67a203333772f45a8",
        "Aave Ethereum Variable Debt USDT",
        "variableDebtEthUSDT",
    ),
    (1, "lido", "staking", "ETH"): (
        "0xae7ab96520de3a18e5e111b5eaab095312d7fe84",
        "Liquid staked Ether 2.0",
        "stETH",
    ),
    (1, "1inch-staking", "staking", "1INCH"): (
        "0x9a0c8ff858d273f57072d714bca7411d717501d7",
        "Staked 1INCH",
        "st1INCH",
    ),
}

#: Chain icon URLs as in the Portfolio ``Chain`` enum of the official OpenAPI documents.
CHAIN_ICONS: Final[dict[int, str]] = {
    chain_id: f"https://app.1inch.io/assets/images/network-logos/{name}.svg"
    for chain_id, name in (
        (1, "ethereum"),
        (137, "polygon_1"),
        (56, "bsc_2"),
        (42161, "arbitrum_2"),
        (250, "fantom"),
        (100, "gnosis"),
        (1313161554, "aurora"),
        (43114, "avalanche"),
        (10, "optimism"),
        (8217, "klaytn"),
        (324, "zksync-era"),
        (8453, "base"),
        (59144, "linea"),
        (130, "unichain"),
        (146, "sonic"),
    )
}
