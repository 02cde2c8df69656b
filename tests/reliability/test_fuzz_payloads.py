"""Fuzzed payloads: the sandbox's malformed, drifted and truncated answers, through every
converter (all 31 endpoints, via the public loaders).

A loader either copes (a drifted optional field), or fails with ``PayloadError``, ``ApiError``
or ``TransportError`` naming the endpoint; batches carry these in ``BatchError.failures``.
Never a ``KeyError``, ``TypeError``, ``ValueError``, ``AttributeError``...
"""

from __future__ import annotations

import copy
import random
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd
import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import inchframe as ifr
import inchframe.client
import inchframe.frames._portfolio
from inchframe.client import Client
from inchframe.errors import ApiError, BatchError, PayloadError, TransportError

from ..conftest import BINANCE, ROUTER_V6, VITALIK
from ..loaders import PORTFOLIO_LOADERS

USDT = "0xdac17f958d2ee523a2206206994597c13d831ec7"
NATIVE = "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
WALLETS = [VITALIK, BINANCE]
p5, p4 = ifr.portfolio, ifr.portfolio.v4
ALLOWED = (PayloadError, ApiError, TransportError)
#: drifted fields are kept as extra columns with a warning: allowed, and not the subject here
pytestmark = pytest.mark.filterwarnings("ignore::inchframe.UnknownFieldsWarning")
ALLOWED_NAMES = {
    "PayloadError",
    "TransportError",
    "ApiError",
    "BadRequestError",
    "AuthError",
    "NotFoundError",
    "RateLimitError",
    "ServerError",
}

#: One call per loader shape, together reaching every one of the 31 endpoints.
LOADS: dict[str, Callable[[Client], Any]] = {
    "balances GET": lambda c: ifr.balances(VITALIK, 1, client=c),
    "balances POST": lambda c: ifr.balances(VITALIK, 1, tokens=[USDT, NATIVE], client=c),
    "balances walletsAndTokens": lambda c: ifr.balances(WALLETS, 1, tokens=[USDT], client=c),
    "balances aggregated": lambda c: ifr.balances(WALLETS, 1, client=c),
    "allowances GET": lambda c: ifr.allowances(VITALIK, ROUTER_V6, 1, client=c),
    "allowances POST": lambda c: ifr.allowances(VITALIK, ROUTER_V6, 1, tokens=[USDT], client=c),
    "balances_and_allowances GET": lambda c: ifr.balances_and_allowances(
        VITALIK, ROUTER_V6, 1, client=c
    ),
    "balances_and_allowances POST": lambda c: ifr.balances_and_allowances(
        VITALIK, ROUTER_V6, 1, tokens=[USDT, NATIVE], client=c
    ),
    "aggregated_balances": lambda c: ifr.aggregated_balances(
        WALLETS, ROUTER_V6, [1, 8453], client=c
    ),
    **PORTFOLIO_LOADERS,
}


@pytest.fixture
def fragile(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    """No cache (every run reaches the faults), no retries of any kind (faults surface at
    once; the retries themselves are tested in tests/test_http.py)."""
    monkeypatch.setattr(inchframe.client, "BODY_RETRIES", 0)
    with Client(
        "k", base_url=sandbox.url, cache=False, rate=1000, max_retries=0, progress=False
    ) as client:
        yield client


def _names_endpoint(message: str, endpoint: str) -> bool:
    """The message starts with the endpoint's name (the converters of the POST variants name
    the endpoint family: ``balance.allowances`` for ``balance.allowances_of_tokens``)."""
    named = message.split(":", 1)[0]
    names = {endpoint}
    if endpoint == "balance.token_metadata":  # an aggregated request, named either way
        names.add("balance.aggregated")
    return bool(named) and any(name.startswith(named) for name in names)


#: Columns a Portfolio frame fills from fields its converter requires (docs/frames-portfolio.md,
#: "Required fields"). Removing such a field must raise a PayloadError, never return a frame
#: where the column is silently all NaN / NA. (v5 metrics measures are optional in the contract:
#: only ``index`` is required there.)
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "v5.supported_chains": ("chain_id",),
    "v5.supported_protocols": ("chain_id", "protocol"),
    "v5.current_value": ("dimension", "key", "value_usd"),
    "v5.chart": ("timestamp", "value_usd"),
    "v5.protocols_snapshot": (
        "chain_id",
        "wallet",
        "position_index",
        "protocol",
        "contract_address",
        "position_value_usd",
        "token",
        "amount",
        "price_usd",
        "value_usd",
    ),
    "v5.protocols_metrics": ("position_index",),
    "v5.tokens_snapshot": (
        "chain_id",
        "wallet",
        "position_index",
        "token",
        "protocol",
        "amount",
        "price_usd",
        "value_usd",
    ),
    "v5.tokens_metrics": ("position_index",),
    "v4.supported_chains": ("chain_id",),
    "v4.supported_protocols": ("protocol",),
    "v4.current_value": ("wallet", "value_usd"),
    "v4.profit_and_loss": ("chain_id", "profit_usd", "roi"),
    "v4.value_chart": ("timestamp", "value_usd"),
    "v4.protocols_current_value": ("key", "chain_id", "value_usd"),
    "v4.protocols_profit_and_loss": ("chain_id", "profit_usd", "roi"),
    "v4.protocols_details": (
        "chain_id",
        "position_index",
        "contract_address",
        "protocol",
        "position_value_usd",
        "profit_usd",
        "roi",
        "token",
        "amount",
        "price_usd",
        "value_usd",
    ),
    "v4.tokens_current_value": ("key", "chain_id", "value_usd"),
    "v4.tokens_profit_and_loss": ("chain_id", "profit_usd", "roi"),
    "v4.tokens_details": (
        "chain_id",
        "token",
        "amount",
        "price_usd",
        "value_usd",
        "profit_usd",
        "roi",
    ),
}


def _filled(frame: Any) -> set[str]:
    """The required columns of a frame that hold at least one value."""
    if not isinstance(frame, pd.DataFrame):
        return set()
    return {
        col
        for cols in REQUIRED_COLUMNS.values()
        for col in cols
        if col in frame.columns and frame[col].notna().any()
    }


def _baseline(client: Client) -> dict[str, set[str]]:
    """Per Portfolio load, the required columns an undrifted answer fills."""
    return {
        name: _filled(PORTFOLIO_LOADERS[name](client)) & set(cols)
        for name, cols in REQUIRED_COLUMNS.items()
    }


def _silently_emptied(name: str, result: Any, baseline: dict[str, set[str]]) -> list[str]:
    """Required columns filled without drift but missing or all NaN / NA in ``result``."""
    if not isinstance(result, pd.DataFrame) or name not in baseline or result.empty:
        return []
    return sorted(
        col for col in baseline[name] if col not in result.columns or result[col].isna().all()
    )


def _outcome(name: str, load: Callable[[Client], Any], client: Client) -> str:
    """Run ``load``; return ``"ok"`` or the allowed error's class name. Anything else (or an
    allowed error that does not name its endpoint) fails the test with the details."""
    return _run(name, load, client)[0]


def _run(name: str, load: Callable[[Client], Any], client: Client) -> tuple[str, Any]:
    """:func:`_outcome`, plus the loaded frame (or bool) when the outcome is ``"ok"``."""
    try:
        result = load(client)
    except BatchError as error:
        assert isinstance(error.frame, pd.DataFrame)
        failures = error.failures
        assert len(failures), name
        assert set(failures["error"]) <= ALLOWED_NAMES, (name, failures.to_string())
        for row in failures.itertuples():
            assert _names_endpoint(row.message, row.endpoint), (name, row.message)
        return "BatchError(" + ",".join(sorted(set(failures["error"]))) + ")", None
    except ALLOWED as error:
        endpoint = getattr(error, "endpoint", None)
        assert endpoint and _names_endpoint(str(error), endpoint), (name, repr(error))
        return type(error).__name__, None
    except Exception as error:  # pragma: no cover - the failure message is the report
        pytest.fail(f"{name}: {type(error).__name__}: {error}")
    assert isinstance(result, (pd.DataFrame, bool)), (name, type(result))
    return "ok", result


def _sandbox_endpoints(sandbox: Any) -> set[str]:
    return set(requests.get(sandbox.url + "/_sandbox/endpoints", timeout=10).json())


def test_the_loads_reach_all_31_endpoints(sandbox: Any, fragile: Client) -> None:
    for load in LOADS.values():
        load(fragile)
    names = _sandbox_endpoints(sandbox)
    assert len(names) == 31
    assert set(sandbox.stats()["by_endpoint"]) == names


@pytest.mark.parametrize("quirks", ["observed", "documented", "legacy"])
def test_drifted_payloads(sandbox: Any, fragile: Client, quirks: str) -> None:
    """A required field removed or renamed, or amounts as JSON numbers, in every answer; each
    load repeated so that different fields drift (the variant changes with each request)."""
    sandbox.configure(quirks=quirks)
    baseline = _baseline(fragile)
    sandbox.configure(drift_rate=1.0)
    seen: Counter[str] = Counter()
    emptied: list[tuple[str, list[str]]] = []
    for _ in range(3):
        for name, load in LOADS.items():
            outcome, result = _run(name, load, fragile)
            seen[outcome] += 1
            if bad := _silently_emptied(name, result, baseline):
                emptied.append((name, bad))
    assert sandbox.stats()["by_status"] == {200: sandbox.stats()["total"]}
    assert seen["ok"] < sum(seen.values())  # drift is noticed, not silently absorbed
    assert not emptied, f"required field removed, frame returned with it all NaN: {emptied}"


@pytest.mark.parametrize("quirks", ["observed", "documented", "legacy"])
def test_removed_required_field_is_never_silently_nan(
    sandbox: Any, fragile: Client, quirks: str
) -> None:
    """Drift over seeds 0-11 (each seed drifts different fields): a Portfolio load whose answer
    lost a required field raises a PayloadError naming it; a load that returns a frame (the
    drifted field was optional, or renamed and kept as an extra column) never has a required
    column all NaN / NA."""
    sandbox.configure(quirks=quirks)
    baseline = _baseline(fragile)
    assert all(baseline[name] for name in REQUIRED_COLUMNS), baseline
    emptied: list[tuple[int, str, list[str]]] = []
    named: Counter[str] = Counter()
    for seed in range(12):
        sandbox.configure(quirks=quirks, drift_rate=1.0, seed=seed)
        for name in REQUIRED_COLUMNS:
            outcome, result = _run(name, PORTFOLIO_LOADERS[name], fragile)
            if bad := _silently_emptied(name, result, baseline):
                emptied.append((seed, name, bad))
            named[outcome] += 1
    assert not emptied, f"required field removed, frame returned with it all NaN: {emptied}"
    assert named["PayloadError"]  # removals of required fields are reported


@pytest.mark.parametrize("mode", ["malformed_rate", "truncate_rate"])
def test_malformed_and_truncated_bodies(sandbox: Any, fragile: Client, mode: str) -> None:
    sandbox.configure(**{mode: 1.0})
    expected = "PayloadError" if mode == "malformed_rate" else "TransportError"
    for name, load in LOADS.items():
        outcome = _outcome(name, load, fragile)
        assert outcome in (expected, f"BatchError({expected})"), (name, outcome)


def test_every_fault_at_once(sandbox: Any, fragile: Client) -> None:
    """Mixed faults, with ``errors="raise"`` and with ``errors="ignore"`` (which must return
    whatever arrived, and list the rest)."""
    sandbox.configure(
        error_rate=0.1, drop_rate=0.1, truncate_rate=0.2, malformed_rate=0.2, drift_rate=0.2, seed=3
    )
    seen: Counter[str] = Counter()
    for _ in range(3):
        for name, load in LOADS.items():
            seen[_outcome(name, load, fragile)] += 1
    assert seen["ok"] and len(seen) > 2
    ignored = ifr.balances(
        WALLETS,
        [1, 8453, 42161],
        tokens=[USDT],
        method="per_wallet",
        keep_zero=True,
        errors="ignore",
        client=fragile,
    )
    failures = ignored.attrs["inchframe"]["failures"]
    assert {f["error"] for f in failures} <= ALLOWED_NAMES
    arrived = set(zip(ignored.chain_id, ignored.wallet, strict=True))
    failed = {
        (f["chain_id"], w)
        for f in failures
        if f["endpoint"] != "balance.token_metadata"
        for w in f["wallets"].split(",")
    }
    wanted = {(c, w.lower()) for c in (1, 8453, 42161) for w in WALLETS}
    assert arrived | failed == wanted and not arrived & failed


def test_malformed_csv_report_is_noticed(sandbox: Any, fragile: Client) -> None:
    sandbox.configure(malformed_rate=1.0)
    assert _outcome("v5.report", LOADS["v5.report"], fragile) != "ok"


def test_aggregated_item_without_wallets_is_noticed(scripted: Any, tmp_path: Any) -> None:
    from ..conftest import Reply

    item = {
        "address": USDT,
        "symbol": "USDT",
        "name": "Tether USD",
        "decimals": 6,
        "logoURI": "",
        "tags": ["tokens"],
        "isCustom": False,
        "type": "token",
        "tracked": True,
    }  # "wallets": {wallet: {"balance": ..., "allowance": ...}} missing
    scripted.default = lambda method, path, body: Reply(200, [item])
    with Client("k", base_url=scripted.url, cache=False, rate=1000, progress=False) as client:
        outcome = _outcome("aggregated_balances", LOADS["aggregated_balances"], client)
    assert outcome != "ok"


# -- structure-aware mutations of real answers (hypothesis) ------------------------------------

ODD_VALUES: list[Any] = [
    None,
    "",
    "abc",
    -1,
    1.5,
    10**80,
    [],
    {},
    True,
    "NaN",
    "0x",
    [None],
    {"x": 1},
    "1e400",
    -0.0,
]


def _nodes(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths to every container entry of a JSON value."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            found.append((*path, key))
            found += _nodes(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value[:5]):
            found.append((*path, i))
            found += _nodes(item, (*path, i))
    return found


def mutate(payload: Any, rng: random.Random) -> Any:
    """``payload`` with 1-3 random structural changes: a key deleted or renamed, a value
    replaced by an odd one, a list emptied, the whole answer wrapped or replaced."""
    payload = copy.deepcopy(payload)
    for _ in range(rng.randint(1, 3)):
        nodes = _nodes(payload)
        if not nodes or rng.random() < 0.08:
            return rng.choice([*ODD_VALUES, {"result": payload}, [payload]])
        *parent_path, last = rng.choice(nodes)
        parent = payload
        for step in parent_path:
            parent = parent[step]
        action = rng.randrange(4)
        if action == 0 and isinstance(parent, dict):
            del parent[last]
        elif action == 1 and isinstance(parent, dict):
            parent[f"{last}X"] = parent.pop(last)
        elif action == 2 and isinstance(parent[last], list):
            parent[last] = parent[last][: rng.randint(0, 1)]
        else:
            parent[last] = rng.choice(ODD_VALUES)
    return payload


def _mutate_csv(text: str, rng: random.Random) -> str:
    lines = text.splitlines()
    i = rng.randrange(len(lines))
    cells = lines[i].split(",")
    if rng.random() < 0.5 and len(cells) > 1:
        del cells[rng.randrange(len(cells))]
    else:
        cells[rng.randrange(len(cells))] = rng.choice(["", "abc", "1e400", '"', "NaN"])
    lines[i] = ",".join(cells)
    return "\n".join(lines)


@settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(name=st.sampled_from(sorted(LOADS)), seed=st.integers(0, 2**32 - 1))
def test_mutated_answers(sandbox: Any, scripted: Any, name: str, seed: int) -> None:
    """Real sandbox answers, mutated on the way, through every loader: coped with, or an
    allowed error naming the endpoint."""
    from ..conftest import Reply

    rng = random.Random(seed)

    def proxy(method: str, path: str, body: bytes) -> Reply:
        real = requests.request(
            method,
            sandbox.url + path,
            data=body or None,
            timeout=30,
            headers={"Authorization": "Bearer k", "Content-Type": "application/json"},
        )
        if real.headers.get("Content-Type", "").startswith("text/csv"):
            return Reply(200, raw=_mutate_csv(real.text, rng).encode())
        return Reply(200, mutate(real.json(), rng))

    scripted.default = proxy
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unknown fields are kept with a warning: allowed
        with Client(
            "k", base_url=scripted.url, cache=False, max_retries=0, rate=1000, progress=False
        ) as client:
            _outcome(name, LOADS[name], client)


# -- one parse per body: the converter's PayloadError evicts and asks once more ---------------


def _snapshot_body(wallet: str, *, broken: bool) -> dict[str, Any]:
    item = {
        "index": "0x01",
        "chain": 1,
        "contract_address": NATIVE,
        "token_id": 0,
        "address": wallet,
        "block_number_created": 1,
        "protocol_type": "token",
        "protocol_handler_id": "native",
        "protocol_group_id": "token",
        "protocol_group_name": "Token",
        "protocol_group_icon": "",
        "contract_name": "Ether",
        "contract_symbol": "ETH",
        "asset_sign": 1,
        "value_usd": 2.0,
        "underlying_tokens": [
            {"chain": 1, "address": NATIVE, "decimals": 18, "amount": 1.0, "price_usd": 2.0}
        ],
    }
    if broken:
        del item["token_id"]  # a required field: a PayloadError, found only by the converter
    return {"result": [item]}


@pytest.mark.parametrize("kind", ["not_json", "missing_required"])
def test_a_bad_200_is_evicted_and_asked_once_more(scripted: Any, tmp_path: Any, kind: str) -> None:
    """The first answer is unusable (not JSON / a required field missing); the loader drops it
    from the cache, asks once more, and the second (good) answer makes the frame."""
    from ..conftest import Reply

    answers: list[int] = []

    def serve(method: str, path: str, body: bytes) -> Reply:
        answers.append(1)
        if len(answers) == 1:
            if kind == "not_json":
                return Reply(200, raw=b'{"result": [')
            return Reply(200, _snapshot_body(VITALIK, broken=True))
        return Reply(200, _snapshot_body(VITALIK, broken=False))

    scripted.default = serve
    with Client("k", base_url=scripted.url, cache_dir=tmp_path, rate=1000, progress=False) as c:
        frame = p5.tokens_snapshot(VITALIK, client=c)
        assert len(answers) == 2 and len(frame) == 1
        assert frame.attrs["inchframe"]["failures"] == []
        assert frame.attrs["inchframe"]["retries"] >= 1
        again = p5.tokens_snapshot(VITALIK, client=c)  # the good answer was cached
        assert len(answers) == 2
        pd.testing.assert_frame_equal(again, frame)


def test_a_bad_200_that_stays_bad_is_a_failure_and_not_cached(scripted: Any, tmp_path: Any) -> None:
    from ..conftest import Reply

    answers: list[int] = []

    def serve(method: str, path: str, body: bytes) -> Reply:
        answers.append(1)
        return Reply(200, _snapshot_body(VITALIK, broken=True))

    scripted.default = serve
    with Client("k", base_url=scripted.url, cache_dir=tmp_path, rate=1000, progress=False) as c:
        frame = p5.tokens_snapshot(VITALIK, client=c, errors="ignore")
        assert len(answers) == 2 and frame.empty  # asked, then retried once
        failures = frame.attrs["inchframe"]["failures"]
        assert [f["error"] for f in failures] == ["PayloadError"]
        assert "token_id" in failures[0]["message"]
        p5.tokens_snapshot(VITALIK, client=c, errors="ignore")
        assert len(answers) == 4  # nothing bad was kept in the cache


def test_the_loader_parses_each_body_once(
    sandbox: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The client no longer parses bodies for the loaders: one parse per body, by the
    converter."""
    import inchframe._json as ij

    calls: list[int] = []
    real = ij.loads_json

    def counting(content: bytes) -> Any:
        calls.append(len(content))
        return real(content)

    monkeypatch.setattr(inchframe.client, "loads_json", counting)
    monkeypatch.setattr(inchframe.frames._portfolio, "loads_json", counting)
    with Client("k", base_url=sandbox.url, cache_dir=tmp_path, rate=1000, progress=False) as c:
        frame = p4.tokens_details(WALLETS, client=c)
        requests_sent = frame.attrs["inchframe"]["requests"]
    assert len(calls) == requests_sent
