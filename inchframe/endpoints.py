"""The 31 endpoints: one table (:data:`ENDPOINTS`) and the request builders that read it.

Each row (:class:`Endpoint`) holds everything inchframe knows about one endpoint: name, API
family and version, method, path template, parameters and their encodings, cache expiry,
response kind, whether it takes a past timestamp, and the names of its builder, ``Client``
method, loader and converter. The client's methods, the cache expiry, the cache report's
reverse routes (:func:`endpoint_of`), the Portfolio loaders and docs/coverage.md read it; the
sandbox keeps its own routes on purpose and ``tests/test_endpoints_table.py`` compares the two.

Each builder checks its arguments and returns a :class:`Call`; nothing here touches the network
(or imports pandas). The :class:`~inchframe.client.Client` sends calls, and the loaders build
many calls (chunks of wallets x chains) and send them as one batch. Invalid input raises
:class:`~inchframe.errors.InputError` here, before any request exists.

Endpoint names (``Call.endpoint``) are stable: they appear in errors, progress bars, the cache
report and ``df.attrs``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from .addresses import normalize_address, normalize_addresses
from .chains import resolve_chain
from .errors import InputError

__all__ = [
    "BALANCE_ENDPOINTS",
    "BY_NAME",
    "ENDPOINTS",
    "HISTORICAL_EXPIRY",
    "PORTFOLIO_V4_ENDPOINTS",
    "PORTFOLIO_V5_ENDPOINTS",
    "TIMERANGES",
    "VARIANTS",
    "Call",
    "Endpoint",
    "Param",
    "build",
    "endpoint",
    "endpoint_of",
    "expiry_for",
    "normalize_timerange",
    "normalize_timestamp",
]

TIMERANGES = ("1day", "1week", "1month", "1year", "3years")


@dataclass(frozen=True)
class Call:
    """One HTTP request to make: what, where, and the context its rows belong to."""

    endpoint: str  #: inchframe's name, e.g. ``"balance.balances"``
    method: Literal["GET", "POST"]
    path: str  #: path after the base URL
    params: tuple[tuple[str, str], ...] = ()
    body: Any = None  #: JSON body (POST)
    context: Mapping[str, Any] = field(default_factory=dict)
    response: Literal["json", "text"] = "json"
    historical: bool = False  #: a snapshot of the past: it never changes, cache it long

    def describe(self) -> str:
        """``METHOD path?query`` for messages (no credentials ever appear in a call)."""
        query = "&".join(f"{k}={v}" for k, v in self.params)
        return f"{self.method} {self.path}" + (f"?{query}" if query else "")


# -- the table ----------------------------------------------------------------------------------

MINUTE, HOUR, DAY = 60, 3600, 86400
#: Snapshots at a given past timestamp do not change.
HISTORICAL_EXPIRY = 7 * DAY

ParamIn = Literal["path", "query", "body"]


@dataclass(frozen=True)
class Param:
    """One request parameter as the API takes it.

    ``encoding`` says how inchframe writes the value: ``chain`` (a chain id resolved from a name
    or number), ``address`` (one lowercase 0x address), ``addresses`` (repeated
    ``addresses=a&addresses=b``), ``csv-addresses`` (``wallets=a,b``), ``address-list`` (a JSON
    array), ``bool`` (``true``/``false``), ``timerange`` (one of :data:`TIMERANGES`),
    ``timestamp`` (unix seconds), ``number``, ``integer`` or ``string``.
    """

    name: str  #: the API's name (``chain_id``, ``filterEmpty``...)
    where: ParamIn
    encoding: str
    required: bool = False


@dataclass(frozen=True)
class Endpoint:
    """One row of :data:`ENDPOINTS`: everything inchframe knows about one endpoint.

    ``builder`` names the request builder in this module, ``client_method`` the
    :class:`~inchframe.client.Client` method, ``loader`` the public loader reaching it
    (``module:function``), ``converter`` the function turning replies into a frame
    (``module:function``), ``frame`` the frame's schema name.
    """

    name: str  #: inchframe's name, e.g. ``"balance.balances"`` (errors, provenance, cache)
    api: Literal["balance", "portfolio"]
    version: Literal["v1.2", "v4", "v5.0"]
    method: Literal["GET", "POST"]
    path: str  #: template after the base URL, e.g. ``/balance/v1.2/{chain}/balances/{wallet}``
    params: tuple[Param, ...]
    expiry: int  #: seconds an answer stays fresh in the cache
    summary: str
    builder: str
    client_method: str
    loader: str
    converter: str
    frame: str
    response: Literal["json", "text"] = "json"
    #: takes a past ``timestamp``: such answers never change (cached :data:`HISTORICAL_EXPIRY`)
    historical: bool = False

    @property
    def route(self) -> str:
        """The path after the API's prefix (``balances/{wallet}``, ``general/chart``)."""
        return self.path[len(PREFIXES[self.version]) + 1 :].removeprefix("{chain}/")

    def format_path(self, **values: Any) -> str:
        return self.path.format(**values)

    def query_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params if p.where == "query")

    def build(self, *args: Any, **kwargs: Any) -> Call:
        """The request builder of this row, called with ``args``."""
        return self.build_function()(*args, **kwargs)

    def build_function(self) -> Callable[..., Call]:
        builder: Callable[..., Call] = globals()[self.builder]
        return builder

    def load_function(self) -> Callable[..., Any]:
        return _resolve(self.loader)

    def converter_function(self) -> Callable[..., Any]:
        return _resolve(self.converter)


def _resolve(target: str) -> Callable[..., Any]:
    """``"package.module:name"`` -> the object (imported when asked: no cycle, no pandas)."""
    import importlib

    module, _, name = target.partition(":")
    obj: Any = importlib.import_module(module)
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


BALANCE_PREFIX = "/balance/v1.2"
V4_PREFIX = "/portfolio/portfolio/v4"
V5_PREFIX = "/portfolio/portfolio/v5.0"
PREFIXES = {"v1.2": BALANCE_PREFIX, "v4": V4_PREFIX, "v5.0": V5_PREFIX}

_CHAIN = Param("chain", "path", "chain", required=True)
_WALLET = Param("wallet", "path", "address", required=True)
_SPENDER = Param("spender", "path", "address", required=True)
_TOKENS = Param("tokens", "body", "address-list", required=True)
_ADDRESSES = Param("addresses", "query", "addresses", required=True)
_CHAIN_ID = Param("chain_id", "query", "chain")
_TIMERANGE = Param("timerange", "query", "timerange")
_USE_CACHE = Param("use_cache", "query", "bool")
_CLOSED = Param("closed", "query", "bool")
_CLOSED_THRESHOLD = Param("closed_threshold", "query", "number")
_DATA = (_ADDRESSES, _CHAIN_ID, _USE_CACHE)
_RANGED = (_ADDRESSES, _CHAIN_ID, _TIMERANGE, _USE_CACHE)
_SNAPSHOT = (_ADDRESSES, _CHAIN_ID, Param("timestamp", "query", "timestamp"), _USE_CACHE)

_BAL = "inchframe.frames.balance"
_P4 = "inchframe.frames.portfolio_v4"
_P5 = "inchframe.frames.portfolio_v5"


def _balance(
    name: str,
    method: Literal["GET", "POST"],
    route: str,
    params: tuple[Param, ...],
    summary: str,
    builder: str,
    loader: str,
    converter: str,
    frame: str,
) -> Endpoint:
    return Endpoint(
        name=f"balance.{name}",
        api="balance",
        version="v1.2",
        method=method,
        path=f"{BALANCE_PREFIX}/{{chain}}/{route}",
        params=(_CHAIN, *params),
        expiry=5 * MINUTE,  # balances and allowances move with every block
        summary=summary,
        builder=builder,
        client_method=builder,
        loader=f"inchframe:{loader}",
        converter=f"{_BAL}:{converter}",
        frame=frame,
    )


def _portfolio(
    version: Literal["v4", "v5.0"],
    name: str,
    route: str,
    params: tuple[Param, ...],
    expiry: int,
    summary: str,
    *,
    frame: str | None = None,
    response: Literal["json", "text"] = "json",
    historical: bool = False,
) -> Endpoint:
    short = version[:2]
    return Endpoint(
        name=f"{short}.{name}",
        api="portfolio",
        version=version,
        method="GET",
        path=f"{PREFIXES[version]}/{route}",
        params=params,
        expiry=expiry,
        summary=summary,
        builder=f"{short}_{name}",
        client_method=f"{short}_{name}",
        loader=f"inchframe.portfolio{'.v4' if version == 'v4' else ''}:{name}",
        converter=f"{_P4 if version == 'v4' else _P5}:{name}",
        frame=name if frame is None else frame,
        response=response,
        historical=historical,
    )


#: The 31 endpoints, in the order of docs/api-contract.md: Balance v1.2 (8), Portfolio v4 (12),
#: Portfolio v5.0 (11). The builders, the client's methods, the cache expiry, the cache
#: report's names, the loaders and docs/coverage.md read it; the sandbox keeps its own routes
#: on purpose and a test compares the two.
ENDPOINTS: tuple[Endpoint, ...] = (
    # -- Balance API v1.2 (paths after /balance/v1.2/{chain})
    _balance(
        "aggregated",
        "GET",
        "aggregatedBalancesAndAllowances/{spender}",
        (
            _SPENDER,
            Param("wallets", "query", "csv-addresses", required=True),
            Param("filterEmpty", "query", "bool"),
        ),
        "token metadata plus the balance and allowance of each wallet",
        "aggregated_balances_and_allowances",
        "aggregated_balances",
        "aggregated_frame",
        "aggregated",
    ),
    _balance(
        "balances",
        "GET",
        "balances/{wallet}",
        (_WALLET,),
        "balances of every token in the chain's 1inch token list",
        "balances",
        "balances",
        "balances_frame",
        "balances",
    ),
    _balance(
        "balances_of_tokens",
        "POST",
        "balances/{wallet}",
        (_WALLET, _TOKENS),
        "balances of the given tokens",
        "balances_of_tokens",
        "balances",
        "balances_frame",
        "balances",
    ),
    _balance(
        "wallets_and_tokens",
        "POST",
        "balances/multiple/walletsAndTokens",
        (_TOKENS, Param("wallets", "body", "address-list", required=True)),
        "balances of the given tokens for several wallets",
        "balances_of_wallets_and_tokens",
        "balances",
        "wallets_and_tokens_frame",
        "balances",
    ),
    _balance(
        "allowances_and_balances",
        "GET",
        "allowancesAndBalances/{spender}/{wallet}",
        (_SPENDER, _WALLET),
        "balance and allowance of every list token",
        "allowances_and_balances",
        "balances_and_allowances",
        "balances_and_allowances_frame",
        "balances_and_allowances",
    ),
    _balance(
        "allowances_and_balances_of_tokens",
        "POST",
        "allowancesAndBalances/{spender}/{wallet}",
        (_SPENDER, _WALLET, _TOKENS),
        "balance and allowance of the given tokens",
        "allowances_and_balances_of_tokens",
        "balances_and_allowances",
        "balances_and_allowances_frame",
        "balances_and_allowances",
    ),
    _balance(
        "allowances",
        "GET",
        "allowances/{spender}/{wallet}",
        (_SPENDER, _WALLET),
        "allowance of every list token",
        "allowances",
        "allowances",
        "allowances_frame",
        "allowances",
    ),
    _balance(
        "allowances_of_tokens",
        "POST",
        "allowances/{spender}/{wallet}",
        (_SPENDER, _WALLET, _TOKENS),
        "allowances of the given tokens",
        "allowances_of_tokens",
        "allowances",
        "allowances_frame",
        "allowances",
    ),
    # -- Portfolio API v4 (paths after /portfolio/portfolio/v4)
    _portfolio(
        "v4",
        "is_available",
        "general/is_available",
        (),
        MINUTE,
        "whether the service is up",
        frame="",
    ),
    _portfolio(
        "v4", "supported_chains", "general/supported_chains", (), DAY, "the supported chains"
    ),
    _portfolio(
        "v4",
        "supported_protocols",
        "general/supported_protocols",
        (),
        DAY,
        "the supported protocol groups",
    ),
    _portfolio(
        "v4", "current_value", "general/current_value", _DATA, 5 * MINUTE, "value breakdown"
    ),
    _portfolio(
        "v4",
        "profit_and_loss",
        "general/profit_and_loss",
        _RANGED,
        HOUR,
        "profit and ROI over a timerange",
    ),
    _portfolio(
        "v4",
        "value_chart",
        "general/value_chart",
        _RANGED,
        HOUR,
        "total value over a timerange",
        frame="chart",
    ),
    _portfolio(
        "v4",
        "protocols_current_value",
        "overview/protocols/current_value",
        _DATA,
        5 * MINUTE,
        "value per protocol",
        frame="current_value",
    ),
    _portfolio(
        "v4",
        "protocols_profit_and_loss",
        "overview/protocols/profit_and_loss",
        _RANGED,
        HOUR,
        "profit and ROI per protocol over a timerange",
        frame="profit_and_loss",
    ),
    _portfolio(
        "v4",
        "protocols_details",
        "overview/protocols/details",
        (_ADDRESSES, _CHAIN_ID, _CLOSED, _CLOSED_THRESHOLD, _USE_CACHE),
        5 * MINUTE,
        "DeFi positions in detail",
    ),
    _portfolio(
        "v4",
        "tokens_current_value",
        "overview/erc20/current_value",
        _DATA,
        5 * MINUTE,
        "value per token",
        frame="current_value",
    ),
    _portfolio(
        "v4",
        "tokens_profit_and_loss",
        "overview/erc20/profit_and_loss",
        _RANGED,
        HOUR,
        "profit and ROI per token over a timerange",
        frame="profit_and_loss",
    ),
    _portfolio(
        "v4",
        "tokens_details",
        "overview/erc20/details",
        (_ADDRESSES, _CHAIN_ID, _TIMERANGE, _CLOSED, _CLOSED_THRESHOLD, _USE_CACHE),
        5 * MINUTE,
        "token holdings in detail",
    ),
    # -- Portfolio API v5.0 (paths after /portfolio/portfolio/v5.0)
    _portfolio(
        "v5.0", "status", "general/status", (), MINUTE, "whether the service is up", frame=""
    ),
    _portfolio(
        "v5.0",
        "address_check",
        "general/address_check",
        _DATA,
        HOUR,
        "compliance and limit checks per address",
    ),
    _portfolio(
        "v5.0", "supported_chains", "general/supported_chains", (), DAY, "the supported chains"
    ),
    _portfolio(
        "v5.0",
        "supported_protocols",
        "general/supported_protocols",
        (),
        DAY,
        "the supported protocol groups",
    ),
    _portfolio(
        "v5.0", "current_value", "general/current_value", _DATA, 5 * MINUTE, "value breakdown"
    ),
    _portfolio("v5.0", "chart", "general/chart", _RANGED, HOUR, "total value over a timerange"),
    _portfolio(
        "v5.0",
        "report",
        "general/report",
        (_ADDRESSES, _CHAIN_ID, _TIMERANGE, _CLOSED, _CLOSED_THRESHOLD),
        HOUR,
        "the CSV report",
        response="text",
    ),
    _portfolio(
        "v5.0",
        "protocols_snapshot",
        "protocols/snapshot",
        _SNAPSHOT,
        5 * MINUTE,
        "DeFi positions now or at a past timestamp",
        historical=True,
    ),
    _portfolio(
        "v5.0",
        "protocols_metrics",
        "protocols/metrics",
        (
            _ADDRESSES,
            _CHAIN_ID,
            Param("protocol_group_id", "query", "string"),
            Param("contract_address", "query", "address"),
            Param("token_id", "query", "integer"),
            _TIMERANGE,
            _USE_CACHE,
        ),
        HOUR,
        "profit, ROI, APR, fees and rewards per position",
    ),
    _portfolio(
        "v5.0",
        "tokens_snapshot",
        "tokens/snapshot",
        _SNAPSHOT,
        5 * MINUTE,
        "token holdings now or at a past timestamp",
        historical=True,
    ),
    _portfolio(
        "v5.0",
        "tokens_metrics",
        "tokens/metrics",
        _RANGED,
        HOUR,
        "profit and ROI per token position over a timerange",
    ),
)

#: Row by endpoint name.
BY_NAME: Mapping[str, Endpoint] = MappingProxyType({row.name: row for row in ENDPOINTS})

#: Calls sent under another name than their row's, with their own expiry: the per-chain token
#: list behind symbols and decimals is ``balance.aggregated`` asked for the zero address.
VARIANTS: Mapping[str, tuple[str, int]] = MappingProxyType(
    {"balance.token_metadata": ("balance.aggregated", DAY)}
)


def endpoint(name: str) -> Endpoint:
    """The row named ``name`` (:class:`KeyError` naming the known ones otherwise)."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"no endpoint {name!r}; known: {', '.join(BY_NAME)}") from None


def expiry_for(name: str, *, historical: bool = False) -> int:
    """Seconds an answer of endpoint ``name`` stays fresh in the cache (5 minutes if unknown)."""
    if historical:
        return HISTORICAL_EXPIRY
    row = BY_NAME.get(name)
    if row is not None:
        return row.expiry
    variant = VARIANTS.get(name)
    return variant[1] if variant else 5 * MINUTE


def build(name: str, *args: Any, **kwargs: Any) -> Call:
    """The :class:`Call` for endpoint ``name`` with the builder's arguments."""
    return endpoint(name).build(*args, **kwargs)


def _call(name: str, path_values: Mapping[str, Any], **fields: Any) -> Call:
    """A :class:`Call` of row ``name``: its method, path (filled in) and response kind."""
    row = BY_NAME[name]
    return Call(
        name,
        row.method,
        row.format_path(**path_values),
        response=row.response,
        **fields,
    )


# -- argument checks ------------------------------------------------------------------------


def normalize_timerange(timerange: str) -> str:
    """Check a Portfolio ``timerange``; the API is case-sensitive, so only exact values pass."""
    if not isinstance(timerange, str) or timerange not in TIMERANGES:  # pd.NA, arrays: refused
        raise InputError(f"invalid timerange {timerange!r}; accepted: {', '.join(TIMERANGES)}")
    return timerange


def normalize_timestamp(timestamp: int | float | str | dt.datetime | dt.date | None) -> int | None:
    """Unix seconds (0 <= t < 2**32) from an int, an ISO string, a datetime or a date.

    Naive datetimes and dates are taken as UTC; fractions of a second are dropped.
    """
    try:
        return _unix_seconds(timestamp)
    except (ValueError, OverflowError, TypeError) as error:  # NaT, 10**400, odd objects
        if isinstance(error, InputError):
            raise
        raise InputError(
            f"invalid timestamp {timestamp!r}; accepted: unix seconds in [0, 2**32), an ISO "
            "8601 string such as '2025-01-31T00:00:00Z', a datetime or a date"
        ) from None


def _unix_seconds(timestamp: object) -> int | None:
    # ``object``, not the public hint: a caller may pass anything (a pandas or numpy scalar,
    # an object with ``.timestamp()``), and this is where it is checked
    if timestamp is None:
        return None
    if isinstance(timestamp, bool):
        raise InputError(f"invalid timestamp {timestamp!r}; accepted: unix seconds or a datetime")
    value: float
    if isinstance(timestamp, dt.datetime):
        moment = timestamp if timestamp.tzinfo else timestamp.replace(tzinfo=dt.UTC)
        value = moment.timestamp()
    elif isinstance(timestamp, dt.date):
        value = dt.datetime(
            timestamp.year, timestamp.month, timestamp.day, tzinfo=dt.UTC
        ).timestamp()
    elif isinstance(timestamp, str):
        try:
            return normalize_timestamp(dt.datetime.fromisoformat(timestamp.replace("Z", "+00:00")))
        except ValueError:
            raise InputError(
                f"invalid timestamp {timestamp!r}; accepted: unix seconds, an ISO 8601 string "
                "such as '2025-01-31T00:00:00Z', a datetime or a date"
            ) from None
    elif isinstance(timestamp, (int, float)):
        value = float(timestamp)
    elif hasattr(timestamp, "timestamp"):  # pandas.Timestamp, numpy datetime wrappers
        return normalize_timestamp(
            timestamp.to_pydatetime()
            if hasattr(timestamp, "to_pydatetime")
            else dt.datetime.fromtimestamp(timestamp.timestamp(), dt.UTC)
        )
    else:
        raise InputError(f"invalid timestamp {timestamp!r}; accepted: unix seconds or a datetime")
    if not math.isfinite(value) or not 0 <= value < 2**32:
        raise InputError(f"invalid timestamp {timestamp!r}: must be unix seconds in [0, 2**32)")
    return math.floor(value)  # the API takes whole seconds; a fraction is dropped


def _tokens(tokens: str | Iterable[str]) -> list[str]:
    return normalize_addresses(tokens, what="token address")


def _bool(value: bool, name: str) -> str:
    if not isinstance(value, bool):
        raise InputError(f"{name}={value!r}: expected True or False")
    return "true" if value else "false"


def _portfolio_chain(chain: int | str | None) -> int | None:
    return None if chain is None else resolve_chain(chain, api="portfolio")


def _portfolio_params(
    row: Endpoint,
    addresses: Sequence[str],
    chain_id: int | None,
    use_cache: bool | None,
    **extra: Any,
) -> tuple[tuple[str, str], ...]:
    """Query parameters in the API's encoding, as the row declares them: ``addresses``
    repeated, booleans in lowercase, ``use_cache`` last."""
    encodings = {p.name: p.encoding for p in row.params if p.where == "query"}
    params: list[tuple[str, str]] = [("addresses", a) for a in addresses]
    if chain_id is not None:
        params.append(("chain_id", str(chain_id)))
    for name, value in extra.items():
        if name not in encodings:  # a builder sending what its row does not declare
            raise AssertionError(f"{row.name}: parameter {name!r} is not in its row")
        if value is None:
            continue
        params.append((name, _bool(value, name) if encodings[name] == "bool" else str(value)))
    if use_cache is not None:
        params.append(("use_cache", _bool(use_cache, "use_cache")))
    return tuple(params)


def _addresses(addresses: str | Iterable[str], *, allow_base58: bool = False) -> list[str]:
    return normalize_addresses(addresses, what="wallet address", allow_base58=allow_base58)


# -- Balance API v1.2 ---------------------------------------------------------------------------


def aggregated_balances_and_allowances(
    chain: int | str,
    spender: str,
    wallets: str | Iterable[str],
    *,
    filter_empty: bool | None = None,
) -> Call:
    """GET ``aggregatedBalancesAndAllowances/{spender}?wallets=a,b``: token metadata plus the
    balance and allowance of each wallet."""
    chain_id = resolve_chain(chain, api="balance")
    spender = normalize_address(spender, what="spender address")
    wallet_list = _addresses(wallets)
    params: list[tuple[str, str]] = [("wallets", ",".join(wallet_list))]
    if filter_empty is not None:
        params.append(("filterEmpty", _bool(filter_empty, "filter_empty")))
    return _call(
        "balance.aggregated",
        {"chain": chain_id, "spender": spender},
        params=tuple(params),
        context={"chain_id": chain_id, "spender": spender, "wallets": wallet_list},
    )


def balances(chain: int | str, wallet: str) -> Call:
    """GET ``balances/{wallet}``: balances of every token in the chain's 1inch token list."""
    chain_id = resolve_chain(chain, api="balance")
    wallet = normalize_address(wallet, what="wallet address")
    return _call(
        "balance.balances",
        {"chain": chain_id, "wallet": wallet},
        context={"chain_id": chain_id, "wallet": wallet, "wallets": [wallet]},
    )


def balances_of_tokens(chain: int | str, wallet: str, tokens: str | Iterable[str]) -> Call:
    """POST ``balances/{wallet}`` with ``{"tokens": [...]}``."""
    chain_id = resolve_chain(chain, api="balance")
    wallet = normalize_address(wallet, what="wallet address")
    token_list = _tokens(tokens)
    return _call(
        "balance.balances_of_tokens",
        {"chain": chain_id, "wallet": wallet},
        body={"tokens": token_list},
        context={"chain_id": chain_id, "wallet": wallet, "wallets": [wallet], "tokens": token_list},
    )


def balances_of_wallets_and_tokens(
    chain: int | str, wallets: str | Iterable[str], tokens: str | Iterable[str]
) -> Call:
    """POST ``balances/multiple/walletsAndTokens`` with ``{"tokens": [...], "wallets": [...]}``."""
    chain_id = resolve_chain(chain, api="balance")
    wallet_list = _addresses(wallets)
    token_list = _tokens(tokens)
    return _call(
        "balance.wallets_and_tokens",
        {"chain": chain_id},
        body={"tokens": token_list, "wallets": wallet_list},
        context={"chain_id": chain_id, "wallets": wallet_list, "tokens": token_list},
    )


def _spender_call(
    name: str,
    chain: int | str,
    spender: str,
    wallet: str,
    tokens: str | Iterable[str] | None,
) -> Call:
    chain_id = resolve_chain(chain, api="balance")
    spender = normalize_address(spender, what="spender address")
    wallet = normalize_address(wallet, what="wallet address")
    context: dict[str, Any] = {
        "chain_id": chain_id,
        "spender": spender,
        "wallet": wallet,
        "wallets": [wallet],
    }
    where = {"chain": chain_id, "spender": spender, "wallet": wallet}
    if tokens is None:
        return _call(name, where, context=context)
    context["tokens"] = token_list = _tokens(tokens)
    return _call(f"{name}_of_tokens", where, body={"tokens": token_list}, context=context)


def allowances_and_balances(chain: int | str, spender: str, wallet: str) -> Call:
    """GET ``allowancesAndBalances/{spender}/{wallet}``: every list token."""
    return _spender_call("balance.allowances_and_balances", chain, spender, wallet, None)


def allowances_and_balances_of_tokens(
    chain: int | str, spender: str, wallet: str, tokens: str | Iterable[str]
) -> Call:
    """POST ``allowancesAndBalances/{spender}/{wallet}`` with ``{"tokens": [...]}``."""
    return _spender_call("balance.allowances_and_balances", chain, spender, wallet, tokens)


def allowances(chain: int | str, spender: str, wallet: str) -> Call:
    """GET ``allowances/{spender}/{wallet}``: every list token."""
    return _spender_call("balance.allowances", chain, spender, wallet, None)


def allowances_of_tokens(
    chain: int | str, spender: str, wallet: str, tokens: str | Iterable[str]
) -> Call:
    """POST ``allowances/{spender}/{wallet}`` with ``{"tokens": [...]}``."""
    return _spender_call("balance.allowances", chain, spender, wallet, tokens)


# -- Portfolio API (shared shapes) --------------------------------------------------------------


def _data_call(
    name: str,
    addresses: str | Iterable[str],
    chain: int | str | None,
    use_cache: bool | None,
    *,
    historical: bool = False,
    context: Mapping[str, Any] | None = None,
    **extra: Any,
) -> Call:
    address_list = _addresses(addresses, allow_base58=True)  # Portfolio: Solana wallets too
    chain_id = _portfolio_chain(chain)
    return _call(
        name,
        {},
        params=_portfolio_params(BY_NAME[name], address_list, chain_id, use_cache, **extra),
        context={
            "addresses": address_list,
            "wallets": address_list,
            "chain_id": chain_id,
            **(context or {}),
        },
        historical=historical,
    )


def _closed_threshold(value: float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise InputError(f"closed_threshold={value!r}: expected a number >= 0 (USD)")
    return value


def _plain(name: str) -> Callable[[], Call]:
    """The builder of an endpoint without parameters (status, supported chains...)."""

    def build() -> Call:
        return _call(name, {})

    row = BY_NAME[name]
    build.__name__ = build.__qualname__ = row.builder
    build.__doc__ = f"GET ``{row.route}``: {row.summary}."
    return build


def _value(name: str) -> Callable[..., Call]:
    """The builder of an endpoint taking addresses, a chain and ``use_cache``."""

    def build(
        addresses: str | Iterable[str],
        chain: int | str | None = None,
        *,
        use_cache: bool | None = None,
    ) -> Call:
        return _data_call(name, addresses, chain, use_cache)

    row = BY_NAME[name]
    build.__name__ = build.__qualname__ = row.builder
    build.__doc__ = f"GET ``{row.route}``: {row.summary}."
    return build


def _ranged(name: str) -> Callable[..., Call]:
    """The builder of an endpoint taking addresses, a chain, a ``timerange`` and ``use_cache``."""

    def build(
        addresses: str | Iterable[str],
        chain: int | str | None = None,
        *,
        timerange: str = "1year",
        use_cache: bool | None = None,
    ) -> Call:
        return _data_call(
            name,
            addresses,
            chain,
            use_cache,
            context={"timerange": normalize_timerange(timerange)},
            timerange=timerange,
        )

    row = BY_NAME[name]
    build.__name__ = build.__qualname__ = row.builder
    build.__doc__ = f"GET ``{row.route}`` over a ``timerange``: {row.summary}."
    return build


def _snapshot(name: str) -> Callable[..., Call]:
    """The builder of a snapshot: now, or at a past ``timestamp`` (an answer that never changes)."""

    def build(
        addresses: str | Iterable[str],
        chain: int | str | None = None,
        *,
        timestamp: Any = None,
        use_cache: bool | None = None,
    ) -> Call:
        ts = normalize_timestamp(timestamp)
        return _data_call(
            name,
            addresses,
            chain,
            use_cache,
            historical=ts is not None,
            context={"timestamp": ts},
            timestamp=ts,
        )

    row = BY_NAME[name]
    build.__name__ = build.__qualname__ = row.builder
    build.__doc__ = f"GET ``{row.route}``, now or at a past ``timestamp``: {row.summary}."
    return build


# -- Portfolio API v4 ---------------------------------------------------------------------------

v4_is_available = _plain("v4.is_available")
v4_supported_chains = _plain("v4.supported_chains")
v4_supported_protocols = _plain("v4.supported_protocols")
v4_current_value = _value("v4.current_value")
v4_protocols_current_value = _value("v4.protocols_current_value")
v4_tokens_current_value = _value("v4.tokens_current_value")
v4_profit_and_loss = _ranged("v4.profit_and_loss")
v4_value_chart = _ranged("v4.value_chart")
v4_protocols_profit_and_loss = _ranged("v4.protocols_profit_and_loss")
v4_tokens_profit_and_loss = _ranged("v4.tokens_profit_and_loss")


def v4_protocols_details(
    addresses: str | Iterable[str],
    chain: int | str | None = None,
    *,
    closed: bool | None = None,
    closed_threshold: float | None = None,
    use_cache: bool | None = None,
) -> Call:
    """GET ``overview/protocols/details`` (no timerange in any swagger)."""
    return _data_call(
        "v4.protocols_details",
        addresses,
        chain,
        use_cache,
        closed=closed,
        closed_threshold=_closed_threshold(closed_threshold),
    )


def v4_tokens_details(
    addresses: str | Iterable[str],
    chain: int | str | None = None,
    *,
    timerange: str = "1year",
    closed: bool | None = None,
    closed_threshold: float | None = None,
    use_cache: bool | None = None,
) -> Call:
    """GET ``overview/erc20/details``."""
    return _data_call(
        "v4.tokens_details",
        addresses,
        chain,
        use_cache,
        context={"timerange": normalize_timerange(timerange)},
        timerange=timerange,
        closed=closed,
        closed_threshold=_closed_threshold(closed_threshold),
    )


# -- Portfolio API v5.0 -------------------------------------------------------------------------

v5_status = _plain("v5.status")
v5_supported_chains = _plain("v5.supported_chains")
v5_supported_protocols = _plain("v5.supported_protocols")
v5_address_check = _value("v5.address_check")
v5_current_value = _value("v5.current_value")
v5_chart = _ranged("v5.chart")
v5_tokens_metrics = _ranged("v5.tokens_metrics")
v5_tokens_snapshot = _snapshot("v5.tokens_snapshot")
v5_protocols_snapshot = _snapshot("v5.protocols_snapshot")


def v5_report(
    addresses: str | Iterable[str],
    chain: int | str | None = None,
    *,
    timerange: str = "1year",
    closed: bool | None = None,
    closed_threshold: float | None = None,
) -> Call:
    """GET ``general/report``: a CSV text (no ``use_cache`` parameter)."""
    return _data_call(
        "v5.report",
        addresses,
        chain,
        None,
        context={"timerange": normalize_timerange(timerange)},
        timerange=timerange,
        closed=closed,
        closed_threshold=_closed_threshold(closed_threshold),
    )


def v5_protocols_metrics(
    addresses: str | Iterable[str],
    chain: int | str | None = None,
    *,
    protocol_group_id: str | None = None,
    contract_address: str | None = None,
    token_id: int | None = None,
    timerange: str | None = None,
    use_cache: bool | None = None,
) -> Call:
    """GET ``protocols/metrics``, optionally filtered to one protocol group, contract or NFT."""
    if protocol_group_id is not None and (
        not isinstance(protocol_group_id, str) or not protocol_group_id.strip()
    ):
        raise InputError(
            f"protocol_group_id={protocol_group_id!r}: expected a non-empty string "
            "such as 'aave-v3'"
        )
    if contract_address is not None:
        contract_address = normalize_address(contract_address, what="contract address")
    if token_id is not None and (
        isinstance(token_id, bool) or not isinstance(token_id, int) or not 0 <= token_id < 2**256
    ):
        raise InputError(f"token_id={token_id!r}: expected a whole number in [0, 2**256)")
    if timerange is not None:
        normalize_timerange(timerange)
    return _data_call(
        "v5.protocols_metrics",
        addresses,
        chain,
        use_cache,
        context={"timerange": timerange},
        protocol_group_id=protocol_group_id,
        contract_address=contract_address,
        token_id=token_id,
        timerange=timerange,
    )


# -- the builders by family (read from the table) -----------------------------------------------


def _builders(version: str) -> dict[str, Callable[..., Call]]:
    return {row.name: row.build_function() for row in ENDPOINTS if row.version == version}


BALANCE_ENDPOINTS = _builders("v1.2")
PORTFOLIO_V4_ENDPOINTS = _builders("v4")
PORTFOLIO_V5_ENDPOINTS = _builders("v5.0")


# -- naming a recorded URL (cache reports) ------------------------------------------------------


def _route_pattern(row: Endpoint) -> re.Pattern[str]:
    parts = re.split(r"(\{[a-z_]+\})", row.path)
    return re.compile(
        "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts if p) + "/?"
    )


_ROUTES: tuple[tuple[str, re.Pattern[str], str], ...] = tuple(
    (row.method, _route_pattern(row), row.name) for row in ENDPOINTS
)


def endpoint_of(method: str, path: str) -> str:
    """inchframe's endpoint name for a request path (``"other"`` when it is not one of the 31)."""
    method = method.upper()
    for route_method, pattern, name in _ROUTES:
        if route_method == method and pattern.fullmatch(path):
            return name
    return "other"
