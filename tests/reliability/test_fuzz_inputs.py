"""Fuzzed inputs: every public loader (with ``plan=True``, so nothing is sent) and every
``inchframe.endpoints`` builder either accepts its arguments or raises ``InputError``; never
another exception type.

Inputs that once raised something else (a number for a wallet list, None or a float for a
chain, '²', 10**400 and NaT as timestamps) are kept as explicit regression cases in
:func:`test_former_input_defects`, and the strategies draw them too.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import inchframe as ifr
from inchframe import endpoints as ep
from inchframe.addresses import to_checksum_address
from inchframe.chains import CHAINS
from inchframe.client import Client, Plan
from inchframe.errors import InputError

from ..loaders import loader_options, takes_addresses

FUZZ = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
p5, p4 = ifr.portfolio, ifr.portfolio.v4

# -- strategies ---------------------------------------------------------------------------------

_hex40 = st.binary(min_size=20, max_size=20).map(bytes.hex)


def mostly(valid: st.SearchStrategy[Any], odd: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``valid`` about three times in four, so most examples get past the first check."""
    return st.integers(0, 3).flatmap(lambda i: odd if i == 3 else valid)


#: objects that once raised TypeError/ValueError from an option check (``pd.NA == "raise"`` is
#: NA, an array compared to a string is an array): every option must refuse them with InputError
odd_objects = st.one_of(
    st.sampled_from([pd.NA, np.nan, np.bool_(True), np.int64(1), b"raise", 1.5, object()]),
    st.lists(st.sampled_from(["raise", "auto", "1year", "x"]), max_size=3).map(np.array),
    st.lists(st.sampled_from(["raise", "auto", "1year", "x"]), max_size=3).map(pd.Series),
    st.lists(st.booleans(), max_size=3).map(np.array),
    st.just(pd.array([True, None], dtype="boolean")),
    st.text(min_size=200, max_size=400),
)


def _cased(body: str, how: int) -> str:
    if how == 0:
        return "0x" + body
    if how == 1:
        return "0x" + body.upper()
    return to_checksum_address("0x" + body)


valid_address = st.builds(_cased, _hex40, st.integers(0, 2))


@st.composite
def broken_address(draw: st.DrawFn) -> str:
    """Near misses: wrong length, a non-hex character, a wrong checksum, no prefix."""
    good = draw(valid_address)
    kind = draw(st.integers(0, 4))
    if kind == 0:
        return good[: draw(st.integers(0, 41))]
    if kind == 1:
        return good + draw(st.text(min_size=1, max_size=3))
    if kind == 2:
        i = draw(st.integers(2, 41))
        return (
            good[:i]
            + draw(st.characters(blacklist_characters="0123456789abcdefABCDEF"))
            + good[i + 1 :]
        )
    if kind == 3:
        body = "".join(
            c.swapcase() if c.isalpha() and j % 3 == 0 else c for j, c in enumerate(good[2:])
        )
        return "0x" + body
    return good[2:]


address_like = mostly(valid_address, st.one_of(broken_address(), st.text(max_size=50)))
address_items = mostly(
    address_like, st.one_of(st.integers(), st.none(), st.binary(max_size=4), st.floats())
)
#: one address, or a list/tuple/set of items (any type); not a bare non-iterable scalar
addresses = mostly(
    st.one_of(valid_address, st.lists(valid_address, min_size=1, max_size=4)),
    st.one_of(
        address_like,
        st.lists(address_items, max_size=4),
        st.lists(valid_address, min_size=1, max_size=4).map(tuple),
        st.lists(valid_address, min_size=1, max_size=4).map(set),
        st.lists(valid_address, min_size=1, max_size=3).map(pd.Series),
    ),
)

_names = sorted({alias for c in CHAINS.values() for alias in (c.name, *c.aliases)})


_known_chain = st.one_of(
    st.sampled_from(sorted(CHAINS)),
    st.sampled_from(_names).map(lambda n: f" {n.upper()} "),
    st.sampled_from(_names),
    st.sampled_from(sorted(CHAINS)).map(str),
)
chain_item = mostly(
    _known_chain,
    st.one_of(
        st.integers(),
        st.text(max_size=12),
        st.booleans(),
        st.none(),
        st.floats(),
        st.just(np.int64(1)),
    ),
)
#: one chain, or a list of items of any type
chains = mostly(
    st.one_of(_known_chain, st.lists(_known_chain, min_size=1, max_size=3)),
    st.one_of(chain_item, st.lists(st.one_of(chain_item, st.none(), st.floats()), max_size=4)),
)
portfolio_chains = st.one_of(st.none(), chains)
timeranges = mostly(
    st.sampled_from(ep.TIMERANGES),
    st.one_of(
        st.text(max_size=8),
        st.sampled_from(["1DAY", "1 day", "", "1years"]),
        st.integers(),
        odd_objects,
    ),
)
_valid_timestamps = st.one_of(
    st.integers(min_value=0, max_value=2**32 - 1),
    st.datetimes(
        min_value=dt.datetime(1970, 1, 2),
        max_value=dt.datetime(2106, 2, 6),
        timezones=st.one_of(st.none(), st.timezones()),
    ),
    st.dates(min_value=dt.date(1970, 1, 1), max_value=dt.date(2106, 2, 6)),
    st.datetimes(min_value=dt.datetime(1970, 1, 2), max_value=dt.datetime(2262, 4, 10)).map(
        pd.Timestamp
    ),
    st.sampled_from(["2025-01-31T00:00:00Z", "2025-01-31", "1970-01-01T00:00:00+00:00"]),
)
timestamps = mostly(
    st.one_of(st.none(), _valid_timestamps),
    st.one_of(
        st.integers(min_value=-(2**1400), max_value=2**1400),  # far beyond the float range
        st.just(pd.NaT),
        st.floats(allow_nan=True, allow_infinity=True),
        st.booleans(),
        st.datetimes(timezones=st.one_of(st.none(), st.timezones())),
        st.dates(),
        st.text(max_size=30),
        st.sampled_from(["2106-02-07T06:28:16Z", "0001-01-01T00:00:00+14:00", "1969-12-31"]),
        st.sampled_from([np.int64(1_735_689_600), np.float64("nan"), np.datetime64("2025-01-01")]),
    ),
)
flags = mostly(
    st.one_of(st.none(), st.booleans()),
    st.one_of(st.integers(-1, 2), st.text(max_size=5), odd_objects),
)
numbers = mostly(
    st.one_of(st.none(), st.integers(0, 10**6), st.floats(0, 1e6)),
    st.one_of(st.integers(), st.floats(), st.text(max_size=5), st.booleans()),
)
token_lists = st.one_of(st.none(), addresses)
methods = mostly(
    st.sampled_from(["auto", "per_wallet", "aggregated"]),
    st.one_of(st.text(max_size=10), odd_objects),
)
policies = mostly(
    st.sampled_from(["raise", "warn", "ignore"]),
    st.one_of(st.text(max_size=6), st.none(), odd_objects),
)
#: ``plan=True`` (or an odd value, which must be refused: ``plan`` takes only a bool)
plans = mostly(st.just(True), st.one_of(st.sampled_from(["yes", 1, "True", None]), odd_objects))
progresses = mostly(st.one_of(st.none(), st.booleans()), odd_objects)
chunk_sizes = mostly(
    st.integers(1, 60),
    st.one_of(st.integers(-2, 0), st.floats(), st.booleans(), st.text(max_size=3), odd_objects),
)


# -- the loaders --------------------------------------------------------------------------------


@pytest.fixture
def planner(sandbox: Any, tmp_path: Path) -> Iterator[Client]:
    """A client whose only use is ``plan=True``: the sandbox must see no request at all."""
    with Client(
        "k", base_url=sandbox.url, cache_dir=str(tmp_path / "cache"), progress=False
    ) as client:
        yield client
    assert sandbox.stats()["total"] == 0


def _accepted_or_input_error(action: Callable[[], Any]) -> None:
    try:
        result = action()
    except InputError as error:
        assert str(error)  # says what was wrong
        return
    assert isinstance(result, Plan), type(result)
    assert result.requests == len(result.calls) >= 1


@FUZZ
@given(
    wallets=addresses,
    chain=chains,
    tokens=token_lists,
    method=methods,
    spender=address_like,
    keep_zero=flags,
    errors=policies,
    filter_empty=flags,
    which=st.integers(0, 3),
    plan=plans,
    progress=progresses,
)
def test_balance_loaders_accept_or_raise_input_error(
    planner: Client,
    wallets: Any,
    chain: Any,
    tokens: Any,
    method: Any,
    spender: Any,
    keep_zero: Any,
    errors: Any,
    filter_empty: Any,
    which: int,
    plan: Any,
    progress: Any,
) -> None:
    common = {
        "client": planner,
        "plan": plan,
        "errors": errors,
        "keep_zero": keep_zero,
        "progress": progress,
    }
    actions = [
        lambda: ifr.balances(wallets, chain, tokens=tokens, method=method, **common),
        lambda: ifr.allowances(wallets, spender, chain, tokens=tokens, method=method, **common),
        lambda: ifr.balances_and_allowances(
            wallets, spender, chain, tokens=tokens, method=method, **common
        ),
        lambda: ifr.aggregated_balances(
            wallets, spender, chain, filter_empty=filter_empty, **common
        ),
    ]
    _accepted_or_input_error(actions[which])


#: A strategy for each Portfolio loader option (by the row's query parameter name).
LOADER_OPTIONS: dict[str, st.SearchStrategy[Any]] = {
    "use_cache": flags,
    "timerange": timeranges,
    "timestamp": timestamps,
    "closed": flags,
    "closed_threshold": numbers,
    "protocol_group_id": st.one_of(st.none(), st.text(max_size=10), st.integers()),
    "contract_address": st.one_of(st.none(), address_like),
    "token_id": st.one_of(
        st.none(),
        st.integers(min_value=-5, max_value=2**300),
        st.floats(),
        st.text(max_size=4),
    ),
}
#: where one endpoint accepts more than the others (protocols/metrics: no timerange at all)
_OPTION_OVERRIDES = {"v5.protocols_metrics": {"timerange": st.one_of(st.none(), timeranges)}}

#: Portfolio loaders with addresses: name -> (function, extra keyword strategies), from the
#: endpoint table (the tests' one loader registry)
PORTFOLIO_LOADERS: dict[str, tuple[Callable[..., Any], dict[str, st.SearchStrategy[Any]]]] = {
    row.name: (
        row.load_function(),
        {
            option: _OPTION_OVERRIDES.get(row.name, {}).get(option, LOADER_OPTIONS[option])
            for option in loader_options(row)
        },
    )
    for row in ep.ENDPOINTS
    if row.api == "portfolio" and takes_addresses(row)
}


def test_every_portfolio_loader_with_addresses_is_fuzzed() -> None:
    names = {f"v5.{n}" for n in p5.__all__} | {f"v4.{n}" for n in p4.__all__}
    plain = {
        "v5.status",
        "v5.supported_chains",
        "v5.supported_protocols",
        "v5.v4",
        "v4.is_available",
        "v4.supported_chains",
        "v4.supported_protocols",
    }
    assert set(PORTFOLIO_LOADERS) == names - plain
    for name, (loader, options) in PORTFOLIO_LOADERS.items():
        accepted = set(inspect.signature(loader).parameters)
        assert set(options) <= accepted, name


@FUZZ
@given(
    data=st.data(),
    name=st.sampled_from(sorted(PORTFOLIO_LOADERS)),
    wallets=addresses,
    chain=portfolio_chains,
    errors=policies,
    chunk_size=chunk_sizes,
    plan=plans,
    progress=progresses,
)
def test_portfolio_loaders_accept_or_raise_input_error(
    planner: Client,
    data: st.DataObject,
    name: str,
    wallets: Any,
    chain: Any,
    errors: Any,
    chunk_size: Any,
    plan: Any,
    progress: Any,
) -> None:
    loader, extras = PORTFOLIO_LOADERS[name]
    options = {
        key: data.draw(strategy, label=key)
        for key, strategy in extras.items()
        if data.draw(st.booleans(), label=f"pass {key}")
    }
    _accepted_or_input_error(
        lambda: loader(
            wallets,
            chain,
            client=planner,
            plan=plan,
            errors=errors,
            chunk_size=chunk_size,
            progress=progress,
            **options,
        )
    )


# -- every option of every loader, odd objects ------------------------------------------------

_W = "0x" + "1" * 40
#: every batch loader with the positional arguments it needs
ALL_LOADERS: dict[str, tuple[Callable[..., Any], tuple[Any, ...]]] = {
    "balances": (ifr.balances, ([_W],)),
    "allowances": (ifr.allowances, ([_W], _W)),
    "balances_and_allowances": (ifr.balances_and_allowances, ([_W], _W)),
    "aggregated_balances": (ifr.aggregated_balances, ([_W], _W)),
    **{name: (loader, ([_W],)) for name, (loader, _) in PORTFOLIO_LOADERS.items()},
}
#: values no option accepts (wallets, chains and timestamps have their own strategies above)
ODD_VALUES = {
    "pd.NA": pd.NA,
    "np.array(str)": np.array(["raise", "warn"]),
    "np.array(1 str)": np.array(["raise"]),
    "Series": pd.Series(["auto"]),
    "np.bool_": np.bool_(True),
    "nan": float("nan"),
    "yes": "yes",
    "long": "x" * 5000,
}
#: options that accept one of the values: protocol_group_id is any non-empty string
_SKIP = {("protocol_group_id", "yes"), ("protocol_group_id", "long")}


def _options(loader: Callable[..., Any]) -> list[str]:
    """Every option parameter of a loader (all but the wallets/spender it is given and client)."""
    skip = {"wallets", "addresses", "spender", "client"}
    return [p for p in inspect.signature(loader).parameters if p not in skip]


def test_every_option_of_every_loader_refuses_odd_objects_with_input_error(
    planner: Client,
) -> None:
    """``pd.NA``, arrays, Series... as any option: an InputError naming the parameter, with the
    value's repr cut short, before any request (the planner sees none)."""
    checked = 0
    for name, (loader, args) in ALL_LOADERS.items():
        for option in _options(loader):
            for label, value in ODD_VALUES.items():
                if (option, label) in _SKIP:
                    continue
                kwargs = {"client": planner, "plan": True, option: value}
                with pytest.raises(InputError) as info:
                    loader(*args, **kwargs)
                message = str(info.value)
                assert len(message) < 1500, (name, option, label)
                if option not in ("chain", "tokens", "timestamp", "contract_address"):
                    assert f"{option}=" in message, (name, option, label, message)
                checked += 1
    assert checked > 500
    assert set(ALL_LOADERS) >= {"balances", "v5.tokens_snapshot", "v4.tokens_details"}


@pytest.mark.parametrize("value", ["yes", 1, 0, None, np.bool_(True), "True"])
def test_plan_accepts_only_a_bool(planner: Client, value: Any) -> None:
    for loader, args in ALL_LOADERS.values():
        with pytest.raises(InputError, match="plan="):
            loader(*args, client=planner, plan=value)


# -- the endpoint builders ----------------------------------------------------------------------

#: argument name -> strategy, for every parameter any builder takes
ARGUMENTS: dict[str, st.SearchStrategy[Any]] = {
    "chain": chains,
    "spender": address_like,
    "wallet": address_like,
    "wallets": addresses,
    "addresses": addresses,
    "tokens": addresses,
    "filter_empty": flags,
    "use_cache": flags,
    "timerange": timeranges,
    "timestamp": timestamps,
    "closed": flags,
    "closed_threshold": numbers,
    "protocol_group_id": st.one_of(st.none(), st.text(max_size=10), st.integers()),
    "contract_address": st.one_of(st.none(), address_like),
    "token_id": st.one_of(st.none(), st.integers(min_value=-5, max_value=2**300), st.floats()),
}
BUILDERS = {**ep.BALANCE_ENDPOINTS, **ep.PORTFOLIO_V4_ENDPOINTS, **ep.PORTFOLIO_V5_ENDPOINTS}


def test_every_endpoint_builder_is_fuzzed() -> None:
    assert len(BUILDERS) == 31
    for builder in BUILDERS.values():
        assert set(inspect.signature(builder).parameters) <= set(ARGUMENTS), builder


def _well_formed(call: ep.Call) -> None:
    assert call.path.startswith("/") and call.method in ("GET", "POST")
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in call.params)
    assert " " not in call.path
    chain = call.context.get("chain_id")
    assert chain is None or (isinstance(chain, int) and chain > 0)
    call.describe()


@FUZZ
@given(data=st.data(), name=st.sampled_from(sorted(BUILDERS)))
def test_endpoint_builders_accept_or_raise_input_error(data: st.DataObject, name: str) -> None:
    builder = BUILDERS[name]
    params = inspect.signature(builder).parameters.values()
    args = []
    kwargs = {}
    for param in params:
        value = data.draw(ARGUMENTS[param.name], label=param.name)
        if param.kind is inspect.Parameter.KEYWORD_ONLY:
            if data.draw(st.booleans(), label=f"pass {param.name}"):
                kwargs[param.name] = value
        else:
            args.append(value)
    try:
        call = builder(*args, **kwargs)
    except InputError:
        return
    assert call.endpoint.split(".")[0] in ("balance", "v4", "v5")
    _well_formed(call)


@FUZZ
@given(value=timestamps)
def test_normalize_timestamp(value: Any) -> None:
    try:
        result = ep.normalize_timestamp(value)
    except InputError:
        return
    assert result is None or (isinstance(result, int) and 0 <= result < 2**32)


# -- former defects, fixed: each must now be accepted or an InputError --------------------

FORMER_DEFECTS = {
    "balances(wallets=123)": lambda c: ifr.balances(123, client=c, plan=True),
    "balances(wallets=None)": lambda c: ifr.balances(None, client=c, plan=True),
    "balances(tokens=5)": lambda c: ifr.balances("0x" + "1" * 40, tokens=5, client=c, plan=True),
    "balances(chain=None)": lambda c: ifr.balances("0x" + "1" * 40, None, client=c, plan=True),
    "balances(chain=1.0)": lambda c: ifr.balances("0x" + "1" * 40, 1.0, client=c, plan=True),
    "balances(chain='²')": lambda c: ifr.balances("0x" + "1" * 40, "²", client=c, plan=True),
    "balances(chain=np.int64(1))": lambda c: ifr.balances(
        "0x" + "1" * 40, np.int64(1), client=c, plan=True
    ),
    "tokens_snapshot(timestamp=10**400)": lambda c: p5.tokens_snapshot(
        "0x" + "1" * 40, timestamp=10**400, client=c, plan=True
    ),
    "tokens_snapshot(timestamp=pd.NaT)": lambda c: p5.tokens_snapshot(
        "0x" + "1" * 40, timestamp=pd.NaT, client=c, plan=True
    ),
}


@pytest.mark.parametrize("case", sorted(FORMER_DEFECTS))
def test_former_input_defects(planner: Client, case: str) -> None:
    _accepted_or_input_error(lambda: FORMER_DEFECTS[case](planner))
