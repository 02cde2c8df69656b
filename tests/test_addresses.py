"""Addresses (EIP-55) and chains are checked before any request."""

from __future__ import annotations

import re

import pytest

from inchframe.addresses import (
    is_address,
    normalize_address,
    normalize_addresses,
    to_checksum_address,
)
from inchframe.chains import CHAINS, resolve_chain, resolve_chains
from inchframe.errors import InputError

from .conftest import VITALIK


def test_checksum_of_known_addresses() -> None:
    assert to_checksum_address(VITALIK.lower()) == VITALIK
    assert (
        to_checksum_address("0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee")
        == "0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE"
    )


@pytest.mark.parametrize("form", [VITALIK, VITALIK.lower(), "0x" + VITALIK[2:].upper()])
def test_accepted_forms_normalise_to_lowercase(form: str) -> None:
    assert normalize_address(form) == VITALIK.lower()
    assert is_address(form)


@pytest.mark.parametrize(
    ("bad", "fragment"),
    [
        (VITALIK[:-1] + "6", "checksum"),  # one digit changed in a checksummed address
        (VITALIK.replace("dA6", "Da6"), "checksum"),
        (VITALIK[:-2], "42 characters"),
        (VITALIK + "0", "42 characters"),
        ("d8dA6BF26964aF9D7eEd9e03E53415D37aA96045ab", "0x"),
        ("0x" + "g" * 40, "hexadecimal"),
        (12345, "string"),
    ],
)
def test_rejections_name_the_problem(bad: object, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment) as info:
        normalize_address(bad)  # type: ignore[arg-type]
    assert "Accepted" in str(info.value)
    assert not is_address(bad)


def test_error_names_the_position_in_a_list() -> None:
    with pytest.raises(InputError, match="position 2") as info:
        normalize_addresses([VITALIK, VITALIK.lower(), "0x1234"])
    assert "'0x1234'" in str(info.value)


def test_list_is_deduplicated_in_order() -> None:
    other = "0x" + "1" * 40
    assert normalize_addresses([other, VITALIK, VITALIK.lower()]) == [other, VITALIK.lower()]


def test_empty_list_is_rejected() -> None:
    with pytest.raises(InputError, match="no address"):
        normalize_addresses([])


@pytest.mark.parametrize(
    ("name", "chain_id"),
    [
        ("ethereum", 1),
        ("eth", 1),
        ("Mainnet", 1),
        (" base ", 8453),
        ("arbitrum", 42161),
        ("bsc", 56),
        ("binance", 56),
        ("polygon", 137),
        ("optimism", 10),
        ("gnosis", 100),
        ("avalanche", 43114),
        ("zksync", 324),
        ("linea", 59144),
        ("sonic", 146),
        ("unichain", 130),
        (8453, 8453),
        ("8453", 8453),
    ],
)
def test_chain_names_and_ids(name: int | str, chain_id: int) -> None:
    assert resolve_chain(name) == chain_id


@pytest.mark.parametrize("bad", ["ethereun", -2, 0, True, None, 1.0, "solana"])
def test_unknown_chain_lists_the_known_ones(bad: object) -> None:
    with pytest.raises(InputError, match="known chains: 1 \\(ethereum\\)") as info:
        resolve_chain(bad)  # type: ignore[arg-type]
    assert "8453 (base)" in str(info.value)


def test_balance_api_rejects_legacy_chains() -> None:
    assert CHAINS[250].legacy
    with pytest.raises(InputError, match="not served by the Balance API"):
        resolve_chain("fantom", api="balance")


def test_resolve_chains_deduplicates_and_rejects_empty() -> None:
    assert resolve_chains(["ethereum", 1, "base"]) == [1, 8453]
    assert resolve_chains("base") == [8453]
    with pytest.raises(InputError, match="no chain"):
        resolve_chains([])


@pytest.mark.parametrize(
    "typo",
    [
        VITALIK[:-1] + "6",  # one digit changed: its checksummed form is another, wrong address
        VITALIK.replace("dA6", "Da6"),  # one letter's case flipped
        "0x" + VITALIK[3:] + "5",  # digits shifted
    ],
)
def test_checksum_hint_never_offers_an_address(typo: str) -> None:
    """A bad checksum says the address may be mistyped and offers no address to paste."""
    with pytest.raises(InputError) as info:
        normalize_address(typo)
    message = str(info.value)
    assert "may be mistyped" in message
    assert "did you mean" not in message.lower()
    offered = {m.lower() for m in re.findall(r"0x[0-9a-fA-F]{40}", message)}
    assert offered == {typo.lower()}  # only the value the user typed, quoted back
    assert to_checksum_address(typo) not in message
