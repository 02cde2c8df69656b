"""The 31 endpoints as request descriptions: path, parameters, body, and input validation.

Each builder checks its arguments and returns a :class:`Call`; nothing here touches the network.
The :class:`~inchframe.client.Client` sends calls, and the loaders build many calls (chunks of
wallets x chains) and send them as one batch. Invalid input raises
:class:`~inchframe.errors.InputError` here, before any request exists.

Endpoint names (``Call.endpoint``) are stable: they appear in errors, progress bars, the cache
report and ``df.attrs``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .addresses import normalize_address, normalize_addresses
from .chains import resolve_chain
from .errors import InputError

__all__ = [
    "BALANCE_ENDPOINTS",
    "PORTFOLIO_V4_ENDPOINTS",
    "PORTFOLIO_V5_ENDPOINTS",
    "TIMERANGES",
    "Call",
    "normalize_timerange",
    "normalize_timestamp",
]

TIMERANGES = ("1day", "1week", "1month", "1year", "3years")
BOOL_PARAMS = frozenset({"closed", "use_cache"})
BALANCE_PREFIX = "/balance/v1.2"
V4_PREFIX = "/portfolio/portfolio/v4"
V5_PREFIX = "/portfolio/portfolio/v5.0"


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


def _unix_seconds(timestamp: int | float | str | dt.datetime | dt.date | None) -> int | None:
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
    addresses: Sequence[str],
    chain_id: int | None,
    use_cache: bool | None,
    **extra: Any,
) -> tuple[tuple[str, str], ...]:
    """Query parameters in the API's encoding: ``addresses`` repeated, lowercase booleans."""
    params: list[tuple[str, str]] = [("addresses", a) for a in addresses]
    if chain_id is not None:
        params.append(("chain_id", str(chain_id)))
    for name, value in extra.items():
        if value is None:
            continue
        params.append((name, _bool(value, name) if name in BOOL_PARAMS else str(value)))
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
    return Call(
        "balance.aggregated",
        "GET",
        f"{BALANCE_PREFIX}/{chain_id}/aggregatedBalancesAndAllowances/{spender}",
        tuple(params),
        context={"chain_id": chain_id, "spender": spender, "wallets": wallet_list},
    )


def balances(chain: int | str, wallet: str) -> Call:
    """GET ``balances/{wallet}``: balances of every token in the chain's 1inch token list."""
    chain_id = resolve_chain(chain, api="balance")
    wallet = normalize_address(wallet, what="wallet address")
    return Call(
        "balance.balances",
        "GET",
        f"{BALANCE_PREFIX}/{chain_id}/balances/{wallet}",
        context={"chain_id": chain_id, "wallet": wallet, "wallets": [wallet]},
    )


def balances_of_tokens(chain: int | str, wallet: str, tokens: str | Iterable[str]) -> Call:
    """POST ``balances/{wallet}`` with ``{"tokens": [...]}``."""
    chain_id = resolve_chain(chain, api="balance")
    wallet = normalize_address(wallet, what="wallet address")
    token_list = _tokens(tokens)
    return Call(
        "balance.balances_of_tokens",
        "POST",
        f"{BALANCE_PREFIX}/{chain_id}/balances/{wallet}",
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
    return Call(
        "balance.wallets_and_tokens",
        "POST",
        f"{BALANCE_PREFIX}/{chain_id}/balances/multiple/walletsAndTokens",
        body={"tokens": token_list, "wallets": wallet_list},
        context={"chain_id": chain_id, "wallets": wallet_list, "tokens": token_list},
    )


def _spender_call(
    endpoint: str,
    route: str,
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
    path = f"{BALANCE_PREFIX}/{chain_id}/{route}/{spender}/{wallet}"
    if tokens is None:
        return Call(endpoint, "GET", path, context=context)
    context["tokens"] = token_list = _tokens(tokens)
    return Call(f"{endpoint}_of_tokens", "POST", path, body={"tokens": token_list}, context=context)


def allowances_and_balances(chain: int | str, spender: str, wallet: str) -> Call:
    """GET ``allowancesAndBalances/{spender}/{wallet}``: every list token."""
    return _spender_call(
        "balance.allowances_and_balances", "allowancesAndBalances", chain, spender, wallet, None
    )


def allowances_and_balances_of_tokens(
    chain: int | str, spender: str, wallet: str, tokens: str | Iterable[str]
) -> Call:
    """POST ``allowancesAndBalances/{spender}/{wallet}`` with ``{"tokens": [...]}``."""
    return _spender_call(
        "balance.allowances_and_balances", "allowancesAndBalances", chain, spender, wallet, tokens
    )


def allowances(chain: int | str, spender: str, wallet: str) -> Call:
    """GET ``allowances/{spender}/{wallet}``: every list token."""
    return _spender_call("balance.allowances", "allowances", chain, spender, wallet, None)


def allowances_of_tokens(
    chain: int | str, spender: str, wallet: str, tokens: str | Iterable[str]
) -> Call:
    """POST ``allowances/{spender}/{wallet}`` with ``{"tokens": [...]}``."""
    return _spender_call("balance.allowances", "allowances", chain, spender, wallet, tokens)


BALANCE_ENDPOINTS = {
    "balance.aggregated": aggregated_balances_and_allowances,
    "balance.balances": balances,
    "balance.balances_of_tokens": balances_of_tokens,
    "balance.wallets_and_tokens": balances_of_wallets_and_tokens,
    "balance.allowances_and_balances": allowances_and_balances,
    "balance.allowances_and_balances_of_tokens": allowances_and_balances_of_tokens,
    "balance.allowances": allowances,
    "balance.allowances_of_tokens": allowances_of_tokens,
}


# -- Portfolio API (shared shapes) --------------------------------------------------------------


def _no_params(endpoint: str, path: str) -> Call:
    return Call(endpoint, "GET", path)


def _data_call(
    endpoint: str,
    path: str,
    addresses: str | Iterable[str],
    chain: int | str | None,
    use_cache: bool | None,
    *,
    response: Literal["json", "text"] = "json",
    historical: bool = False,
    context: Mapping[str, Any] | None = None,
    **extra: Any,
) -> Call:
    address_list = _addresses(addresses, allow_base58=True)  # Portfolio: Solana wallets too
    chain_id = _portfolio_chain(chain)
    return Call(
        endpoint,
        "GET",
        path,
        _portfolio_params(address_list, chain_id, use_cache, **extra),
        context={
            "addresses": address_list,
            "wallets": address_list,
            "chain_id": chain_id,
            **(context or {}),
        },
        response=response,
        historical=historical,
    )


def _closed_threshold(value: float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise InputError(f"closed_threshold={value!r}: expected a number >= 0 (USD)")
    return value


# -- Portfolio API v4 ---------------------------------------------------------------------------


def v4_is_available() -> Call:
    return _no_params("v4.is_available", f"{V4_PREFIX}/general/is_available")


def v4_supported_chains() -> Call:
    return _no_params("v4.supported_chains", f"{V4_PREFIX}/general/supported_chains")


def v4_supported_protocols() -> Call:
    return _no_params("v4.supported_protocols", f"{V4_PREFIX}/general/supported_protocols")


def _v4_value(endpoint: str, route: str):
    def build(
        addresses: str | Iterable[str],
        chain: int | str | None = None,
        *,
        use_cache: bool | None = None,
    ) -> Call:
        return _data_call(endpoint, f"{V4_PREFIX}/{route}", addresses, chain, use_cache)

    build.__name__ = endpoint.split(".", 1)[1]
    build.__doc__ = f"GET ``{route}``."
    return build


def _v4_timerange(endpoint: str, route: str):
    def build(
        addresses: str | Iterable[str],
        chain: int | str | None = None,
        *,
        timerange: str = "1year",
        use_cache: bool | None = None,
    ) -> Call:
        return _data_call(
            endpoint,
            f"{V4_PREFIX}/{route}",
            addresses,
            chain,
            use_cache,
            context={"timerange": normalize_timerange(timerange)},
            timerange=timerange,
        )

    build.__name__ = endpoint.split(".", 1)[1]
    build.__doc__ = f"GET ``{route}`` over a ``timerange``."
    return build


v4_current_value = _v4_value("v4.current_value", "general/current_value")
v4_protocols_current_value = _v4_value(
    "v4.protocols_current_value", "overview/protocols/current_value"
)
v4_tokens_current_value = _v4_value("v4.tokens_current_value", "overview/erc20/current_value")
v4_profit_and_loss = _v4_timerange("v4.profit_and_loss", "general/profit_and_loss")
v4_value_chart = _v4_timerange("v4.value_chart", "general/value_chart")
v4_protocols_profit_and_loss = _v4_timerange(
    "v4.protocols_profit_and_loss", "overview/protocols/profit_and_loss"
)
v4_tokens_profit_and_loss = _v4_timerange(
    "v4.tokens_profit_and_loss", "overview/erc20/profit_and_loss"
)


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
        f"{V4_PREFIX}/overview/protocols/details",
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
        f"{V4_PREFIX}/overview/erc20/details",
        addresses,
        chain,
        use_cache,
        context={"timerange": normalize_timerange(timerange)},
        timerange=timerange,
        closed=closed,
        closed_threshold=_closed_threshold(closed_threshold),
    )


PORTFOLIO_V4_ENDPOINTS = {
    "v4.is_available": v4_is_available,
    "v4.supported_chains": v4_supported_chains,
    "v4.supported_protocols": v4_supported_protocols,
    "v4.current_value": v4_current_value,
    "v4.profit_and_loss": v4_profit_and_loss,
    "v4.value_chart": v4_value_chart,
    "v4.protocols_current_value": v4_protocols_current_value,
    "v4.protocols_profit_and_loss": v4_protocols_profit_and_loss,
    "v4.protocols_details": v4_protocols_details,
    "v4.tokens_current_value": v4_tokens_current_value,
    "v4.tokens_profit_and_loss": v4_tokens_profit_and_loss,
    "v4.tokens_details": v4_tokens_details,
}


# -- Portfolio API v5.0 -------------------------------------------------------------------------


def v5_status() -> Call:
    return _no_params("v5.status", f"{V5_PREFIX}/general/status")


def v5_supported_chains() -> Call:
    return _no_params("v5.supported_chains", f"{V5_PREFIX}/general/supported_chains")


def v5_supported_protocols() -> Call:
    return _no_params("v5.supported_protocols", f"{V5_PREFIX}/general/supported_protocols")


def v5_address_check(
    addresses: str | Iterable[str], chain: int | str | None = None, *, use_cache: bool | None = None
) -> Call:
    return _data_call(
        "v5.address_check", f"{V5_PREFIX}/general/address_check", addresses, chain, use_cache
    )


def v5_current_value(
    addresses: str | Iterable[str], chain: int | str | None = None, *, use_cache: bool | None = None
) -> Call:
    return _data_call(
        "v5.current_value", f"{V5_PREFIX}/general/current_value", addresses, chain, use_cache
    )


def v5_chart(
    addresses: str | Iterable[str],
    chain: int | str | None = None,
    *,
    timerange: str = "1year",
    use_cache: bool | None = None,
) -> Call:
    return _data_call(
        "v5.chart",
        f"{V5_PREFIX}/general/chart",
        addresses,
        chain,
        use_cache,
        context={"timerange": normalize_timerange(timerange)},
        timerange=timerange,
    )


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
        f"{V5_PREFIX}/general/report",
        addresses,
        chain,
        None,
        response="text",
        context={"timerange": normalize_timerange(timerange)},
        timerange=timerange,
        closed=closed,
        closed_threshold=_closed_threshold(closed_threshold),
    )


def _snapshot(endpoint: str, route: str):
    def build(
        addresses: str | Iterable[str],
        chain: int | str | None = None,
        *,
        timestamp: Any = None,
        use_cache: bool | None = None,
    ) -> Call:
        ts = normalize_timestamp(timestamp)
        return _data_call(
            endpoint,
            f"{V5_PREFIX}/{route}",
            addresses,
            chain,
            use_cache,
            historical=ts is not None,
            context={"timestamp": ts},
            timestamp=ts,
        )

    build.__name__ = endpoint.split(".", 1)[1]
    build.__doc__ = f"GET ``{route}``, now or at a past ``timestamp``."
    return build


v5_tokens_snapshot = _snapshot("v5.tokens_snapshot", "tokens/snapshot")
v5_protocols_snapshot = _snapshot("v5.protocols_snapshot", "protocols/snapshot")


def v5_tokens_metrics(
    addresses: str | Iterable[str],
    chain: int | str | None = None,
    *,
    timerange: str = "1year",
    use_cache: bool | None = None,
) -> Call:
    return _data_call(
        "v5.tokens_metrics",
        f"{V5_PREFIX}/tokens/metrics",
        addresses,
        chain,
        use_cache,
        context={"timerange": normalize_timerange(timerange)},
        timerange=timerange,
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
        f"{V5_PREFIX}/protocols/metrics",
        addresses,
        chain,
        use_cache,
        context={"timerange": timerange},
        protocol_group_id=protocol_group_id,
        contract_address=contract_address,
        token_id=token_id,
        timerange=timerange,
    )


PORTFOLIO_V5_ENDPOINTS = {
    "v5.status": v5_status,
    "v5.address_check": v5_address_check,
    "v5.supported_chains": v5_supported_chains,
    "v5.supported_protocols": v5_supported_protocols,
    "v5.current_value": v5_current_value,
    "v5.chart": v5_chart,
    "v5.report": v5_report,
    "v5.protocols_snapshot": v5_protocols_snapshot,
    "v5.protocols_metrics": v5_protocols_metrics,
    "v5.tokens_snapshot": v5_tokens_snapshot,
    "v5.tokens_metrics": v5_tokens_metrics,
}


# -- naming a recorded URL (cache reports) ------------------------------------------------------

_ROUTES: tuple[tuple[str, str, str], ...] = (
    ("GET", "/aggregatedBalancesAndAllowances/", "balance.aggregated"),
    ("POST", "/balances/multiple/walletsAndTokens", "balance.wallets_and_tokens"),
    ("GET", "/balances/", "balance.balances"),
    ("POST", "/balances/", "balance.balances_of_tokens"),
    ("GET", "/allowancesAndBalances/", "balance.allowances_and_balances"),
    ("POST", "/allowancesAndBalances/", "balance.allowances_and_balances_of_tokens"),
    ("GET", "/allowances/", "balance.allowances"),
    ("POST", "/allowances/", "balance.allowances_of_tokens"),
)
_PORTFOLIO_ROUTES = {
    "general/is_available": "is_available",
    "general/status": "status",
    "general/address_check": "address_check",
    "general/supported_chains": "supported_chains",
    "general/supported_protocols": "supported_protocols",
    "general/current_value": "current_value",
    "general/profit_and_loss": "profit_and_loss",
    "general/value_chart": "value_chart",
    "general/chart": "chart",
    "general/report": "report",
    "overview/protocols/current_value": "protocols_current_value",
    "overview/protocols/profit_and_loss": "protocols_profit_and_loss",
    "overview/protocols/details": "protocols_details",
    "overview/erc20/current_value": "tokens_current_value",
    "overview/erc20/profit_and_loss": "tokens_profit_and_loss",
    "overview/erc20/details": "tokens_details",
    "protocols/snapshot": "protocols_snapshot",
    "protocols/metrics": "protocols_metrics",
    "tokens/snapshot": "tokens_snapshot",
    "tokens/metrics": "tokens_metrics",
}


def endpoint_of(method: str, path: str) -> str:
    """inchframe's endpoint name for a request path (``"other"`` when it is not one of the 31)."""
    if path.startswith(BALANCE_PREFIX + "/"):
        for route_method, fragment, name in _ROUTES:
            if method.upper() == route_method and fragment in path:
                return name
        return "other"
    for prefix, version in ((V4_PREFIX, "v4"), (V5_PREFIX, "v5")):
        if path.startswith(prefix + "/"):
            route = _PORTFOLIO_ROUTES.get(path[len(prefix) + 1 :].rstrip("/"))
            return f"{version}.{route}" if route else "other"
    return "other"
