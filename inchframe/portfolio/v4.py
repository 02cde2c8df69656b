"""Portfolio API v4 loaders (legacy; v5.0 is :mod:`inchframe.portfolio`).

The 1inch portal now documents v5.0 only and v4 may be retired (docs/api-contract.md); a retired
route answers 404, raised as :class:`~inchframe.errors.NotFoundError`. Column names match the
v5.0 frames (``chain_id``, ``wallet``, ``token``, ``amount``, ``value_usd``, ``profit_usd``,
``roi``...), so switching versions changes one call.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, overload

import pandas as pd

from .._loading import ErrorPolicy
from ..client import Client, Plan
from ..frames.schema import DtypeBackend
from ._common import ADDRESSES_PER_CALL, Spec, sum_chunks

__all__ = [
    "current_value",
    "is_available",
    "profit_and_loss",
    "protocols_current_value",
    "protocols_details",
    "protocols_profit_and_loss",
    "supported_chains",
    "supported_protocols",
    "tokens_current_value",
    "tokens_details",
    "tokens_profit_and_loss",
    "value_chart",
]

Addresses = str | Iterable[str]
Chain = int | str | Iterable[int | str] | None

_IS_AVAILABLE = Spec.of("v4.is_available")
_SUPPORTED_CHAINS = Spec.of("v4.supported_chains")
_SUPPORTED_PROTOCOLS = Spec.of("v4.supported_protocols")
_CURRENT_VALUE = Spec.of("v4.current_value", merge=sum_chunks("value_usd"), wallet_rows=True)
_PROFIT_AND_LOSS = Spec.of("v4.profit_and_loss", merge=sum_chunks("profit_usd"))
_VALUE_CHART = Spec.of("v4.value_chart", merge=sum_chunks("value_usd"))
_PROTOCOLS_CURRENT_VALUE = Spec.of("v4.protocols_current_value", merge=sum_chunks("value_usd"))
_PROTOCOLS_PROFIT_AND_LOSS = Spec.of("v4.protocols_profit_and_loss", merge=sum_chunks("profit_usd"))
_PROTOCOLS_DETAILS = Spec.of("v4.protocols_details", rows_carry_chain=True, wallet_rows=True)
_TOKENS_CURRENT_VALUE = Spec.of("v4.tokens_current_value", merge=sum_chunks("value_usd"))
_TOKENS_PROFIT_AND_LOSS = Spec.of("v4.tokens_profit_and_loss", merge=sum_chunks("profit_usd"))
_TOKENS_DETAILS = Spec.of("v4.tokens_details", rows_carry_chain=True)


def is_available(*, client: Client | None = None) -> bool:
    """GET general/is_available: is the v4 service up?"""
    return _IS_AVAILABLE.load_plain(client)


def supported_chains(*, client: Client | None = None) -> pd.DataFrame:
    """GET general/supported_chains (v4: a list of ids or of chain objects)."""
    return _SUPPORTED_CHAINS.load_plain(client)


def supported_protocols(*, client: Client | None = None) -> pd.DataFrame:
    """GET general/supported_protocols."""
    return _SUPPORTED_PROTOCOLS.load_plain(client)


@overload
def current_value(
    addresses: Addresses,
    chain: Chain = ...,
    *,
    use_cache: bool | None = ...,
    client: Client | None = ...,
    progress: bool | None = ...,
    errors: ErrorPolicy = ...,
    plan: Literal[False] = ...,
    chunk_size: int = ...,
    dtype_backend: DtypeBackend | None = ...,
) -> pd.DataFrame: ...
@overload
def current_value(
    addresses: Addresses,
    chain: Chain = ...,
    *,
    use_cache: bool | None = ...,
    client: Client | None = ...,
    progress: bool | None = ...,
    errors: ErrorPolicy = ...,
    plan: Literal[True],
    chunk_size: int = ...,
    dtype_backend: DtypeBackend | None = ...,
) -> Plan: ...


def current_value(
    addresses: Addresses,
    chain: Chain = None,
    *,
    use_cache: bool | None = None,
    client: Client | None = None,
    progress: bool | None = None,
    errors: ErrorPolicy = "raise",
    plan: bool = False,
    chunk_size: int = ADDRESSES_PER_CALL,
    dtype_backend: DtypeBackend | None = None,
) -> pd.DataFrame | Plan:
    """GET general/current_value: value per address (long frame, dimension ``address``)."""
    return _CURRENT_VALUE.load(locals())


@overload
def profit_and_loss(
    addresses: Addresses,
    chain: Chain = ...,
    timerange: str = ...,
    *,
    use_cache: bool | None = ...,
    client: Client | None = ...,
    progress: bool | None = ...,
    errors: ErrorPolicy = ...,
    plan: Literal[False] = ...,
    chunk_size: int = ...,
    dtype_backend: DtypeBackend | None = ...,
) -> pd.DataFrame: ...
@overload
def profit_and_loss(
    addresses: Addresses,
    chain: Chain = ...,
    timerange: str = ...,
    *,
    use_cache: bool | None = ...,
    client: Client | None = ...,
    progress: bool | None = ...,
    errors: ErrorPolicy = ...,
    plan: Literal[True],
    chunk_size: int = ...,
    dtype_backend: DtypeBackend | None = ...,
) -> Plan: ...


def profit_and_loss(
    addresses: Addresses,
    chain: Chain = None,
    timerange: str = "1year",
    *,
    use_cache: bool | None = None,
    client: Client | None = None,
    progress: bool | None = None,
    errors: ErrorPolicy = "raise",
    plan: bool = False,
    chunk_size: int = ADDRESSES_PER_CALL,
    dtype_backend: DtypeBackend | None = None,
) -> pd.DataFrame | Plan:
    """GET general/profit_and_loss: profit and ROI per chain plus the all-chains total."""
    return _PROFIT_AND_LOSS.load(locals())


@overload
def value_chart(
    addresses: Addresses,
    chain: Chain = ...,
    timerange: str = ...,
    *,
    use_cache: bool | None = ...,
    client: Client | None = ...,
    progress: bool | None = ...,
    errors: ErrorPolicy = ...,
    plan: Literal[False] = ...,
    chunk_size: int = ...,
    dtype_backend: DtypeBackend | None = ...,
) -> pd.DataFrame: ...
@overload
def value_chart(
    addresses: Addresses,
    chain: Chain = ...,
    timerange: str = ...,
    *,
    use_cache: bool | None = ...,
    client: Client | None = ...,
    progress: bool | None = ...,
    errors: ErrorPolicy = ...,
    plan: Literal[True],
    chunk_size: int = ...,
    dtype_backend: DtypeBackend | None = ...,
) -> Plan: ...


def value_chart(
    addresses: Addresses,
    chain: Chain = None,
    timerange: str = "1year",
    *,
    use_cache: bool | None = None,
    client: Client | None = None,
    progress: bool | None = None,
    errors: ErrorPolicy = "raise",
    plan: bool = False,
    chunk_size: int = ADDRESSES_PER_CALL,
    dtype_backend: DtypeBackend | None = None,
) -> pd.DataFrame | Plan:
    """GET general/value_chart: total value over time (v5.0: :func:`~inchframe.portfolio.chart`)."""
    return _VALUE_CHART.load(locals())


@overload
def protocols_current_value(
    addresses: Addresses,
    chain: Chain = ...,
    *,
    use_cache: bool | None = ...,
    client: Client | None = ...,
    progress: bool | None = ...,
    errors: ErrorPolicy = ...,
    plan: Literal[False] = ...,
    chunk_size: int = ...,
    dtype_backend: DtypeBackend | None = ...,
) -> pd.DataFrame: ...
@overload
def protocols_current_value(
    addresses: Addresses,
    chain: Chain = ...,
    *,
    use_cache: bool | None = ...,
    client: Client | None = ...,
    progress: bool | None = ...,
    errors: ErrorPolicy = ...,
    plan: Literal[True],
    chunk_size: int = ...,
    dtype_backend: DtypeBackend | None = ...,
) -> Plan: ...


def protocols_current_value(
    addresses: Addresses,
    chain: Chain = None,
    *,
    use_cache: bool | None = None,
    client: Client | None = None,
    progress: bool | None = None,
    errors: ErrorPolicy = "raise",
    plan: bool = False,
    chunk_size: int = ADDRESSES_PER_CALL,
    dtype_backend: DtypeBackend | None = None,
) -> pd.DataFrame | Plan:
    """GET overview/protocols/current_value: value per protocol (and per chain)."""
    return _PROTOCOLS_CURRENT_VALUE.load(locals())


@overload
def protocols_profit_and_loss(
    addresses: Addresses,
    chain: Chain = ...,
    timerange: str = ...,
    *,
    use_cache: bool | None = ...,
    client: Client | None = ...,
    progress: bool | None = ...,
    errors: ErrorPolicy = ...,
    plan: Literal[False] = ...,
    chunk_size: int = ...,
    dtype_backend: DtypeBackend | None = ...,
) -> pd.DataFrame: ...
@overload
def protocols_profit_and_loss(
    addresses: Addresses,
    chain: Chain = ...,
    timerange: str = ...,
    *,
    use_cache: bool | None = ...,
    client: Client | None = ...,
    progress: bool | None = ...,
    errors: ErrorPolicy = ...,
    plan: Literal[True],
    chunk_size: int = ...,
    dtype_backend: DtypeBackend | None = ...,
) -> Plan: ...


def protocols_profit_and_loss(
    addresses: Addresses,
    chain: Chain = None,
    timerange: str = "1year",
    *,
    use_cache: bool | None = None,
    client: Client | None = None,
    progress: bool | None = None,
    errors: ErrorPolicy = "raise",
    plan: bool = False,
    chunk_size: int = ADDRESSES_PER_CALL,
    dtype_backend: DtypeBackend | None = None,
) -> pd.DataFrame | Plan:
    """GET overview/protocols/profit_and_loss: protocol profit and ROI per chain."""
    return _PROTOCOLS_PROFIT_AND_LOSS.load(locals())


@overload
def protocols_details(
    addresses: Addresses,
    chain: Chain = ...,
    *,
    closed: bool | None = ...,
    closed_threshold: float | None = ...,
    use_cache: bool | None = ...,
    client: Client | None = ...,
    progress: bool | None = ...,
    errors: ErrorPolicy = ...,
    plan: Literal[False] = ...,
    chunk_size: int = ...,
    dtype_backend: DtypeBackend | None = ...,
) -> pd.DataFrame: ...
@overload
def protocols_details(
    addresses: Addresses,
    chain: Chain = ...,
    *,
    closed: bool | None = ...,
    closed_threshold: float | None = ...,
    use_cache: bool | None = ...,
    client: Client | None = ...,
    progress: bool | None = ...,
    errors: ErrorPolicy = ...,
    plan: Literal[True],
    chunk_size: int = ...,
    dtype_backend: DtypeBackend | None = ...,
) -> Plan: ...


def protocols_details(
    addresses: Addresses,
    chain: Chain = None,
    *,
    closed: bool | None = None,
    closed_threshold: float | None = None,
    use_cache: bool | None = None,
    client: Client | None = None,
    progress: bool | None = None,
    errors: ErrorPolicy = "raise",
    plan: bool = False,
    chunk_size: int = ADDRESSES_PER_CALL,
    dtype_backend: DtypeBackend | None = None,
) -> pd.DataFrame | Plan:
    """GET overview/protocols/details: positions with underlying tokens, profit, ROI, APR."""
    return _PROTOCOLS_DETAILS.load(locals())


@overload
def tokens_current_value(
    addresses: Addresses,
    chain: Chain = ...,
    *,
    use_cache: bool | None = ...,
    client: Client | None = ...,
    progress: bool | None = ...,
    errors: ErrorPolicy = ...,
    plan: Literal[False] = ...,
    chunk_size: int = ...,
    dtype_backend: DtypeBackend | None = ...,
) -> pd.DataFrame: ...
@overload
def tokens_current_value(
    addresses: Addresses,
    chain: Chain = ...,
    *,
    use_cache: bool | None = ...,
    client: Client | None = ...,
    progress: bool | None = ...,
    errors: ErrorPolicy = ...,
    plan: Literal[True],
    chunk_size: int = ...,
    dtype_backend: DtypeBackend | None = ...,
) -> Plan: ...


def tokens_current_value(
    addresses: Addresses,
    chain: Chain = None,
    *,
    use_cache: bool | None = None,
    client: Client | None = None,
    progress: bool | None = None,
    errors: ErrorPolicy = "raise",
    plan: bool = False,
    chunk_size: int = ADDRESSES_PER_CALL,
    dtype_backend: DtypeBackend | None = None,
) -> pd.DataFrame | Plan:
    """GET overview/erc20/current_value: value per token category (native, stable, token)."""
    return _TOKENS_CURRENT_VALUE.load(locals())


@overload
def tokens_profit_and_loss(
    addresses: Addresses,
    chain: Chain = ...,
    timerange: str = ...,
    *,
    use_cache: bool | None = ...,
    client: Client | None = ...,
    progress: bool | None = ...,
    errors: ErrorPolicy = ...,
    plan: Literal[False] = ...,
    chunk_size: int = ...,
    dtype_backend: DtypeBackend | None = ...,
) -> pd.DataFrame: ...
@overload
def tokens_profit_and_loss(
    addresses: Addresses,
    chain: Chain = ...,
    timerange: str = ...,
    *,
    use_cache: bool | None = ...,
    client: Client | None = ...,
    progress: bool | None = ...,
    errors: ErrorPolicy = ...,
    plan: Literal[True],
    chunk_size: int = ...,
    dtype_backend: DtypeBackend | None = ...,
) -> Plan: ...


def tokens_profit_and_loss(
    addresses: Addresses,
    chain: Chain = None,
    timerange: str = "1year",
    *,
    use_cache: bool | None = None,
    client: Client | None = None,
    progress: bool | None = None,
    errors: ErrorPolicy = "raise",
    plan: bool = False,
    chunk_size: int = ADDRESSES_PER_CALL,
    dtype_backend: DtypeBackend | None = None,
) -> pd.DataFrame | Plan:
    """GET overview/erc20/profit_and_loss: token profit and ROI per chain."""
    return _TOKENS_PROFIT_AND_LOSS.load(locals())


@overload
def tokens_details(
    addresses: Addresses,
    chain: Chain = ...,
    timerange: str = ...,
    *,
    closed: bool | None = ...,
    closed_threshold: float | None = ...,
    use_cache: bool | None = ...,
    client: Client | None = ...,
    progress: bool | None = ...,
    errors: ErrorPolicy = ...,
    plan: Literal[False] = ...,
    chunk_size: int = ...,
    dtype_backend: DtypeBackend | None = ...,
) -> pd.DataFrame: ...
@overload
def tokens_details(
    addresses: Addresses,
    chain: Chain = ...,
    timerange: str = ...,
    *,
    closed: bool | None = ...,
    closed_threshold: float | None = ...,
    use_cache: bool | None = ...,
    client: Client | None = ...,
    progress: bool | None = ...,
    errors: ErrorPolicy = ...,
    plan: Literal[True],
    chunk_size: int = ...,
    dtype_backend: DtypeBackend | None = ...,
) -> Plan: ...


def tokens_details(
    addresses: Addresses,
    chain: Chain = None,
    timerange: str = "1year",
    *,
    closed: bool | None = None,
    closed_threshold: float | None = None,
    use_cache: bool | None = None,
    client: Client | None = None,
    progress: bool | None = None,
    errors: ErrorPolicy = "raise",
    plan: bool = False,
    chunk_size: int = ADDRESSES_PER_CALL,
    dtype_backend: DtypeBackend | None = None,
) -> pd.DataFrame | Plan:
    """GET overview/erc20/details: per token amount, price, value, profit and ROI."""
    return _TOKENS_DETAILS.load(locals())
