"""The one loader registry of the tests: for every row of ``inchframe.endpoints.ENDPOINTS``, a
call of the row's public loader that reaches that endpoint (two wallets where it takes several).

The loader comes from the row (``row.load_function()``), so a new row is in every test that
walks this registry (key safety, payload fuzzing, input fuzzing) without editing them;
``tests/test_endpoints_table.py`` checks that each entry reaches its own endpoint.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from inchframe import endpoints as ep
from inchframe.client import Client

from .conftest import BINANCE, ROUTER_V6, VITALIK

WALLETS = [VITALIK, BINANCE]
USDT = "0xdac17f958d2ee523a2206206994597c13d831ec7"

#: Arguments that differ from the rule below (kept from the tests that first used them).
_POSITIONAL: dict[str, tuple[Any, ...]] = {
    "v5.chart": (WALLETS, 1, "1week"),
    "v5.tokens_snapshot": (WALLETS, [1, 8453]),
}

#: A loader's own options per endpoint: the row's query parameters minus addresses and chain.
_NOT_OPTIONS = frozenset({"addresses", "chain_id", "wallets"})


def loader_options(row: ep.Endpoint) -> tuple[str, ...]:
    """The keyword options a Portfolio loader passes on to the row's request."""
    return tuple(p.name for p in row.params if p.where == "query" and p.name not in _NOT_OPTIONS)


def takes_addresses(row: ep.Endpoint) -> bool:
    return any(p.name in ("addresses", "wallet", "wallets") for p in row.params)


def _arguments(row: ep.Endpoint) -> tuple[tuple[Any, ...], dict[str, Any]]:
    if row.name in _POSITIONAL:
        return _POSITIONAL[row.name], {}
    if row.api == "portfolio":
        return ((WALLETS,) if takes_addresses(row) else ()), {}
    names = {p.name for p in row.params}
    # one-wallet endpoints have the wallet in the path; the others take several
    wallets = VITALIK if "wallet" in names else WALLETS
    args: tuple[Any, ...] = (wallets, ROUTER_V6, 1) if "spender" in names else (wallets, 1)
    return args, ({"tokens": [USDT]} if "tokens" in names else {})


def _call(row: ep.Endpoint) -> Callable[[Client], Any]:
    loader = row.load_function()
    args, kwargs = _arguments(row)
    return lambda client: loader(*args, client=client, **kwargs)


#: endpoint name -> ``f(client)`` calling the row's loader; all 31 rows, in the table's order
LOADERS: dict[str, Callable[[Client], Any]] = {row.name: _call(row) for row in ep.ENDPOINTS}
#: the 23 Portfolio ones (v5.0 and v4)
PORTFOLIO_LOADERS: dict[str, Callable[[Client], Any]] = {
    name: load for name, load in LOADERS.items() if ep.BY_NAME[name].api == "portfolio"
}
#: the 8 Balance ones
BALANCE_LOADERS: dict[str, Callable[[Client], Any]] = {
    name: load for name, load in LOADERS.items() if ep.BY_NAME[name].api == "balance"
}
