"""The endpoint table (``inchframe.endpoints.ENDPOINTS``) and everything that reads it agree:
request builders, client methods, cache expiry, reverse routes, loaders, the coverage page and
(independently written) the sandbox's own routes."""

from __future__ import annotations

import dataclasses
import inspect
import re
import typing
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import inchframe as ifr
from inchframe import endpoints as ep
from inchframe.client import Client
from inchframe.sandbox import Sandbox
from inchframe.sandbox.app import ENDPOINTS as SANDBOX_ROUTES
from inchframe.sandbox.app import App

from .conftest import BINANCE, FAKE_KEY, ROUTER_V6, VITALIK

REPO = Path(__file__).resolve().parents[1]
USDT = "0xdac17f958d2ee523a2206206994597c13d831ec7"
NAMES = [row.name for row in ep.ENDPOINTS]

#: a value for each builder argument, by name
SAMPLE: dict[str, Any] = {
    "chain": 1,
    "spender": ROUTER_V6,
    "wallet": VITALIK,
    "wallets": [VITALIK, BINANCE],
    "tokens": [USDT],
    "addresses": [VITALIK, BINANCE],
}


def sample_args(row: ep.Endpoint) -> dict[str, Any]:
    """Arguments for the row's builder (its required parameters only)."""
    signature = inspect.signature(row.build_function())
    return {
        name: SAMPLE[name]
        for name, p in signature.parameters.items()
        if p.default is inspect.Parameter.empty
    }


def test_the_table_has_31_rows_in_three_families() -> None:
    assert len(ep.ENDPOINTS) == 31
    assert len(set(NAMES)) == 31
    assert Counter(row.version for row in ep.ENDPOINTS) == {"v1.2": 8, "v4": 12, "v5.0": 11}
    assert set(ep.BY_NAME) == set(NAMES)
    assert {len(ep.BALANCE_ENDPOINTS), len(ep.PORTFOLIO_V4_ENDPOINTS)} == {8, 12}
    assert len(ep.PORTFOLIO_V5_ENDPOINTS) == 11
    for row in ep.ENDPOINTS:
        assert dataclasses.is_dataclass(row)
        with pytest.raises(dataclasses.FrozenInstanceError):
            row.name = "x"  # type: ignore[misc]
        assert row.path.startswith(ep.PREFIXES[row.version] + "/")
        assert row.name.split(".")[0] == ("balance" if row.api == "balance" else row.version[:2])
        placeholders = set(re.findall(r"\{(\w+)\}", row.path))
        assert placeholders == {p.name for p in row.params if p.where == "path"}, row.name
        assert row.expiry > 0 and row.summary
        assert (row.method == "POST") == any(p.where == "body" for p in row.params), row.name


@pytest.mark.parametrize("name", NAMES)
def test_each_builder_makes_the_call_its_row_describes(name: str) -> None:
    row = ep.BY_NAME[name]
    call = row.build(**sample_args(row))
    assert call.endpoint == name
    assert call.method == row.method
    assert call.response == row.response
    template = re.escape(row.path).replace(r"\{", "{").replace(r"\}", "}")
    assert re.fullmatch(re.sub(r"\{\w+\}", "[^/]+", template), call.path), call.path
    assert {k for k, _ in call.params} <= set(row.query_names())
    assert set(call.body or {}) == {p.name for p in row.params if p.where == "body"}
    # the reverse route names the recorded URL after the same row
    assert ep.endpoint_of(call.method, call.path) == name
    assert ep.endpoint_of(call.method, call.path + "/") == name
    assert ep.build(name, **sample_args(row)) == call


def test_reverse_routes_reject_what_is_not_an_endpoint() -> None:
    assert ep.endpoint_of("GET", "/balance/v1.2/1/balances/multiple/walletsAndTokens") == "other"
    assert ep.endpoint_of("DELETE", "/balance/v1.2/1/balances/0xabc") == "other"
    assert ep.endpoint_of("GET", "/portfolio/portfolio/v5.0/general/nope") == "other"
    assert ep.endpoint_of("GET", "/portfolio/portfolio/v6/general/status") == "other"


@pytest.mark.parametrize("name", NAMES)
def test_cache_expiry_is_the_rows(name: str) -> None:
    from inchframe._http import expiry_for

    row = ep.BY_NAME[name]
    assert expiry_for(name) == ep.expiry_for(name) == row.expiry
    assert expiry_for(name, historical=True) == ep.HISTORICAL_EXPIRY
    assert ep.expiry_for("balance.token_metadata") == ep.DAY


def test_historical_rows_take_a_timestamp() -> None:
    for row in ep.ENDPOINTS:
        takes = any(p.encoding == "timestamp" for p in row.params)
        assert takes == row.historical, row.name
        if row.historical:
            past = row.build(**sample_args(row), timestamp=1_700_000_000)
            assert past.historical and not row.build(**sample_args(row)).historical


def test_every_row_has_one_client_method_and_back() -> None:
    marked = {
        getattr(member, "endpoint", None): name
        for name, member in vars(Client).items()
        if callable(member) and getattr(member, "endpoint", None)
    }
    assert marked == {row.name: row.client_method for row in ep.ENDPOINTS}
    for row in ep.ENDPOINTS:
        method = getattr(Client, row.client_method)
        assert row.name in method.__doc__ and row.path in method.__doc__
        builder = inspect.signature(row.build_function()).parameters
        own = list(inspect.signature(method).parameters)[1:]
        assert [n for n in own if n != "options"] == [
            n for n in builder if n in own or builder[n].default is inspect.Parameter.empty
        ], row.name


@pytest.mark.parametrize("name", NAMES)
def test_client_methods_send_their_rows_call(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    row = ep.BY_NAME[name]
    sent: list[ep.Call] = []

    answer = SimpleNamespace(payload={"ok": True})
    client = Client(FAKE_KEY, base_url="http://127.0.0.1:9", cache=False, progress=False)
    with client:
        monkeypatch.setattr(client, "fetch", lambda call, **_: sent.append(call) or answer)
        assert getattr(client, row.client_method)(**sample_args(row)) == {"ok": True}
    assert [c.endpoint for c in sent] == [name]
    assert sent[0] == row.build(**sample_args(row))


def test_loaders_and_converters_resolve() -> None:
    for row in ep.ENDPOINTS:
        loader = row.load_function()
        assert callable(loader) and loader.__module__.startswith("inchframe"), row.name
        assert callable(row.converter_function()), row.name
    assert ep.BY_NAME["v5.tokens_snapshot"].load_function() is ifr.portfolio.tokens_snapshot
    assert ep.BY_NAME["v4.tokens_details"].load_function() is ifr.portfolio.v4.tokens_details
    assert ep.BY_NAME["balance.aggregated"].load_function() is ifr.aggregated_balances


def test_balance_frame_constants_name_table_rows() -> None:
    from inchframe.frames import balance as fb

    constants = {v for k, v in vars(fb).items() if k.startswith("ENDPOINT_")}
    assert constants and constants <= set(NAMES)


# -- the sandbox's own routes (written apart on purpose) ---------------------------------------


def test_the_sandbox_routes_are_the_table() -> None:
    table = {row.name: (row.method, row.path) for row in ep.ENDPOINTS}
    assert dict(SANDBOX_ROUTES) == table
    for route in App().routes:
        row = ep.BY_NAME[route.name]
        if row.api == "portfolio":
            assert set(route.params) == set(row.query_names()), route.name


def test_the_sandbox_serves_every_row(tmp_path: Path) -> None:
    with (
        Sandbox() as sandbox,
        Client(FAKE_KEY, base_url=sandbox.url, cache_dir=tmp_path, rate=500, progress=False) as c,
    ):
        calls = [row.build(**sample_args(row)) for row in ep.ENDPOINTS]
        batch = c.fetch_many(calls, progress=False)
        assert not batch.failures, batch.failures
        served = sandbox.stats()["by_endpoint"]
    assert {name: served.get(name) for name in NAMES} == dict.fromkeys(NAMES, 1)


# -- the coverage page -------------------------------------------------------------------------


def _coverage_rows() -> dict[str, list[str]]:
    text = (REPO / "docs" / "coverage.md").read_text(encoding="utf-8")
    rows = {}
    for line in text.splitlines():
        if re.match(r"^\| \d+ \|", line):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            rows[cells[2].strip("`")] = cells
    return rows


def test_the_coverage_page_lists_exactly_the_table() -> None:
    rows = _coverage_rows()
    assert list(rows) == NAMES  # same rows, same order
    for number, row in enumerate(ep.ENDPOINTS, 1):
        cells = rows[row.name]
        assert cells[0] == str(number)
        assert cells[1] == f"`{row.method} {row.route}`", row.name
        loader = row.loader.split(":")[1]
        assert re.search(rf"`(ifr\.)?{loader}[`(]", cells[3]), row.name
        assert cells[4].startswith(f"`{row.client_method}`"), row.name


# -- the tests' loader registry ----------------------------------------------------------------


def test_the_loader_registry_reaches_every_row(tmp_path: Path) -> None:
    from .loaders import LOADERS

    assert list(LOADERS) == NAMES
    with (
        Sandbox() as sandbox,
        Client(FAKE_KEY, base_url=sandbox.url, cache_dir=tmp_path, rate=500, progress=False) as c,
    ):
        for name, load in LOADERS.items():
            sandbox.reset_stats()
            load(c)
            served = set(sandbox.stats()["by_endpoint"])
            # one-wallet Balance loaders also ask for the token list (a variant of another row)
            side = {base for base, _ in ep.VARIANTS.values()}
            assert name in served and served <= {name, *side}, (name, served)


def test_loaders_take_their_rows_options_and_type_plan() -> None:
    from .loaders import loader_options

    for row in ep.ENDPOINTS:
        loader = row.load_function()
        parameters = inspect.signature(loader).parameters
        if row.api == "portfolio":
            assert set(loader_options(row)) <= set(parameters), row.name
        if "plan" not in parameters:
            continue
        # plan=True returns a Plan, plan=False (the default) a DataFrame: one @overload each
        returns = {
            str(o.__annotations__["plan"]): str(o.__annotations__["return"])
            for o in typing.get_overloads(loader)
        }
        assert returns == {"Literal[True]": "Plan", "Literal[False]": "pd.DataFrame"}, row.name
