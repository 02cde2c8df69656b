"""Ethereum address checks (EIP-55) and normalisation.

Users may pass lowercase or EIP-55 checksummed addresses. A mixed-case address whose checksum is
wrong is almost always a typo, so it is rejected, as are wrong lengths and non-hex characters.
Requests carry lowercase addresses (see docs/api-contract.md): the Balance API echoes wallet
keys in the casing sent, so sending one casing keeps responses predictable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

from .errors import InputError

__all__ = [
    "ROUTER_V6",
    "is_address",
    "is_base58_address",
    "normalize_address",
    "normalize_addresses",
    "to_checksum_address",
]

#: The 1inch Aggregation Router v6, the usual spender to check allowances against.
ROUTER_V6 = "0x111111125421ca6dc452d289314280a0f8842a65"

_HEX_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
#: A base58 account address (Solana: 32 bytes, 32 to 44 characters); case is significant.
_BASE58_ADDRESS = re.compile(r"^[1-9A-HJ-NP-Za-km-z]{32,44}$")


def _shown(value: object) -> str:
    """``repr(value)`` cut to 80 characters, for messages."""
    text = " ".join(repr(value).split())
    return text if len(text) <= 80 else text[:77] + "..."


def is_base58_address(address: object) -> bool:
    """True for a base58 account address (e.g. Solana): its case is significant, never changed."""
    return isinstance(address, str) and _BASE58_ADDRESS.match(address) is not None


@lru_cache(maxsize=65536)
def to_checksum_address(address: str) -> str:
    """EIP-55 form of a 0x-prefixed 40-hex-digit address (any case)."""
    from eth_hash.auto import keccak

    lower = address[2:].lower()
    digest = keccak(lower.encode("ascii")).hex()
    return "0x" + "".join(
        ch.upper() if ch.isalpha() and int(digest[i], 16) >= 8 else ch for i, ch in enumerate(lower)
    )


def _problem(address: object) -> str | None:
    """Why ``address`` is not acceptable, or None when it is."""
    if not isinstance(address, str):
        return f"expected a string, got {type(address).__name__}"
    if not address.startswith(("0x", "0X")):
        return "must start with 0x"
    if len(address) != 42:
        return f"must be 42 characters (0x + 40 hex digits), got {len(address)}"
    if not _HEX_ADDRESS.match("0x" + address[2:]):
        return "contains characters that are not hexadecimal digits"
    body = address[2:]
    if body != body.lower() and body != body.upper() and to_checksum_address(address) != address:
        # No "did you mean": the checksummed form of a mistyped address is still the wrong address.
        return (
            "has mixed case but its EIP-55 checksum does not match: the address may be "
            "mistyped; copy it again from its source"
        )
    return None


def is_address(address: object) -> bool:
    """True when ``address`` would be accepted by :func:`normalize_address`."""
    return _problem(address) is None


def normalize_address(
    address: str,
    *,
    what: str = "address",
    position: int | None = None,
    allow_base58: bool = False,
) -> str:
    """Validate one address and return it lowercase (hex addresses only).

    ``allow_base58`` also accepts base58 account addresses (Solana), returned unchanged: their
    case is part of the address. Raises :class:`~inchframe.errors.InputError` naming the value,
    its ``position`` in a list when given, and what is accepted.
    """
    if allow_base58 and is_base58_address(address):
        return address
    problem = _problem(address)
    if problem is not None:
        where = f" at position {position}" if position is not None else ""
        raise InputError(
            f"invalid {what}{where}: {_shown(address)} {problem}. Accepted: 0x followed by 40 hex "
            "digits, all lowercase, all uppercase, or EIP-55 checksummed"
            + (" (or a base58 account address, 32 to 44 characters)" if allow_base58 else "")
        )
    return "0x" + address[2:].lower()


def normalize_addresses(
    addresses: str | Iterable[str],
    *,
    what: str = "address",
    allow_empty: bool = False,
    allow_base58: bool = False,
) -> list[str]:
    """Validate one or many addresses; return them normalised (hex lowercase, base58 as given
    when ``allow_base58``), de-duplicated, in the order given."""
    if isinstance(addresses, str):
        items = [addresses]
    elif isinstance(addresses, Iterable) and not isinstance(addresses, (bytes, Mapping)):
        items = list(addresses)
    else:
        raise InputError(
            f"invalid {what} list {_shown(addresses)}: pass one address string or a list of them"
        )
    if not items and not allow_empty:
        raise InputError(f"no {what} given: pass one address or a non-empty list of addresses")
    seen: dict[str, None] = {}
    for i, item in enumerate(items):
        position = i if len(items) > 1 else None
        seen.setdefault(
            normalize_address(item, what=what, position=position, allow_base58=allow_base58)
        )
    return list(seen)
