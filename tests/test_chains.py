"""Forward-compatible chains: any positive whole-number id is accepted (warned about once when
inchframe has no name for it), names stay strict, and the sandbox answers unknown ids as the
real API plausibly does (valid request, empty result), not with a schema-invalid 422."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import inchframe as ifr
from inchframe import chains as ch
from inchframe.addresses import normalize_address, normalize_addresses
from inchframe.chains import CHAINS, chain_name, resolve_chain, resolve_chains
from inchframe.client import Client
from inchframe.errors import InputError, UnknownChainWarning

from .conftest import FAKE_KEY, VITALIK

SOLANA = "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM"


@pytest.fixture(autouse=True)
def _fresh_warning_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ch, "_warned", set())


@pytest.mark.parametrize("value", [4663, "4663", " 4663 ", np.int64(4663), np.uint32(4663)])
def test_unknown_positive_ids_are_accepted_with_one_warning(value: Any) -> None:
    with pytest.warns(UnknownChainWarning, match="4663"):
        assert resolve_chain(value) == 4663
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert resolve_chain(value) == 4663  # once per id per process
    with pytest.warns(UnknownChainWarning, match="501"):
        assert resolve_chains([501, "4663", 1]) == [501, 4663, 1]


def test_known_chains_keep_names_and_do_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert resolve_chain("Base") == 8453
        assert resolve_chain(np.int64(1)) == 1
        assert resolve_chain("42161") == 42161
    assert chain_name(8453) == "Base"
    assert chain_name(4663) == "chain 4663"


@pytest.mark.parametrize(
    "value",
    [True, False, 0, -1, "-5", "0", 1.0, 4663.0, "1.5", "solana2", "", None, 2**63, object()],
)
def test_other_values_are_refused_listing_what_is_accepted(value: Any) -> None:
    with pytest.raises(InputError, match="positive whole-number chain id") as info:
        resolve_chain(value)
    assert "ethereum" in str(info.value)


def test_balance_check_applies_to_listed_chains_only() -> None:
    with pytest.raises(InputError, match="not served by the Balance API"):
        resolve_chain(250, api="balance")  # listed, legacy
    with pytest.warns(UnknownChainWarning):
        assert resolve_chain(4663, api="balance") == 4663  # the API judges unlisted ids


def test_base58_addresses_keep_their_case_where_allowed() -> None:
    assert normalize_address(SOLANA, allow_base58=True) == SOLANA
    assert normalize_addresses([SOLANA, VITALIK.upper()], allow_base58=True) == [
        SOLANA,
        VITALIK.lower(),
    ]
    with pytest.raises(InputError, match="base58"):
        normalize_address("0OIl" * 9, allow_base58=True)  # not the base58 alphabet
    with pytest.raises(InputError):
        normalize_address(SOLANA)  # the Balance API takes EVM addresses only


def test_loaders_send_unknown_chain_ids_and_the_sandbox_answers_empty(
    sandbox: Any, tmp_path: Path
) -> None:
    with Client(
        FAKE_KEY, base_url=sandbox.url, cache_dir=tmp_path / "c", rate=500, progress=False
    ) as client:
        with pytest.warns(UnknownChainWarning):
            snap = ifr.portfolio.tokens_snapshot(VITALIK, 4663, client=client)
        assert len(snap) == 0
        assert snap.attrs["inchframe"]["chains"] == [4663]
        for loader in (
            lambda: ifr.portfolio.current_value(VITALIK, 4663, client=client),
            lambda: ifr.portfolio.chart(VITALIK, 4663, "1week", client=client),
            lambda: ifr.portfolio.protocols_snapshot(VITALIK, "4663", client=client),
            lambda: ifr.portfolio.v4.tokens_details(VITALIK, 4663, client=client),
        ):
            loader()  # no 422 from the sandbox: chain_id is a plain integer
        assert sandbox.stats()["total"] == 5


def test_sandbox_accepts_any_integer_chain_id(sandbox: Any) -> None:
    import requests

    url = f"{sandbox.url}/portfolio/portfolio/v5.0/tokens/snapshot"
    headers = {"Authorization": f"Bearer {FAKE_KEY}"}
    ok = requests.get(url, params={"addresses": VITALIK, "chain_id": 4663}, headers=headers)
    assert ok.status_code == 200, ok.text
    bad = requests.get(url, params={"addresses": VITALIK, "chain_id": "eth"}, headers=headers)
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["type"] == "int_parsing"
    assert 4663 not in CHAINS


def test_base58_wallets_keep_their_case_in_frames(scripted: Any, tmp_path: Path) -> None:
    """A stub answers a Solana wallet's tokens/snapshot (the sandbox, like the documented
    schema, takes 42-character addresses only): rows carry the wallet as asked."""
    from .conftest import Reply
    from .test_attribution import _per_wallet_bodies

    body = _per_wallet_bodies()[VITALIK.lower()]
    for item in body["result"]:
        item["address"] = SOLANA
    scripted.default = lambda method, path, raw: Reply(200, body)
    with (
        Client(
            FAKE_KEY, base_url=scripted.url, cache_dir=tmp_path / "c", rate=500, progress=False
        ) as client,
        pytest.warns(UnknownChainWarning),
    ):
        frame = ifr.portfolio.tokens_snapshot([SOLANA], 501, client=client)
    assert len(frame) == len(body["result"]) > 0
    assert set(frame["wallet"]) == {SOLANA}
    assert f"addresses={SOLANA}" in scripted.hits[0].path
