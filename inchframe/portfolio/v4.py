"""Portfolio API v4 loaders (legacy; v5.0 is :mod:`inchframe.portfolio`).

The 1inch portal now documents v5.0 only and v4 may be retired (REFERENCE section 4); a retired
route answers 404, raised as :class:`~inchframe.errors.NotFoundError`. Column names match the
v5.0 frames (``chain_id``, ``wallet``, ``token``, ``amount``, ``value_usd``, ``profit_usd``,
``roi``...), so switching versions changes one call.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from .. import endpoints as ep
from .._loading import ErrorPolicy
from ..client import Client, Plan
from ..frames import portfolio_v4 as p4
from ..frames.schema import DtypeBackend
from ._common import ADDRESSES_PER_CALL, Spec, load, load_plain, sum_chunks

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

V = "v4"
Addresses = str | Iterable[str]
Chain = int | str | Iterable[int | str] | None

_IS_AVAILABLE = Spec(ep.v4_is_available, p4.is_available, "", V)
_SUPPORTED_CHAINS = Spec(ep.v4_supported_chains, p4.supported_chains, "supported_chains", V)
_SUPPORTED_PROTOCOLS = Spec(
    ep.v4_supported_protocols, p4.supported_protocols, "supported_protocols", V
)
_CURRENT_VALUE = Spec(
    ep.v4_current_value, p4.current_value, "current_value", V, merge=sum_chunks("value_usd")
)
_PROFIT_AND_LOSS = Spec(
    ep.v4_profit_and_loss, p4.profit_and_loss, "profit_and_loss", V, merge=sum_chunks("profit_usd")
)
_VALUE_CHART = Spec(ep.v4_value_chart, p4.value_chart, "chart", V, merge=sum_chunks("value_usd"))
_PROTOCOLS_CURRENT_VALUE = Spec(
    ep.v4_protocols_current_value,
    p4.protocols_current_value,
    "current_value",
    V,
    merge=sum_chunks("value_usd"),
)
_PROTOCOLS_PROFIT_AND_LOSS = Spec(
    ep.v4_protocols_profit_and_loss,
    p4.protocols_profit_and_loss,
    "profit_and_loss",
    V,
    merge=sum_chunks("profit_usd"),
)
_PROTOCOLS_DETAILS = Spec(
    ep.v4_protocols_details, p4.protocols_details, "protocols_details", V, rows_carry_chain=True
)
_TOKENS_CURRENT_VALUE = Spec(
    ep.v4_tokens_current_value,
    p4.tokens_current_value,
    "current_value",
    V,
    merge=sum_chunks("value_usd"),
)
_TOKENS_PROFIT_AND_LOSS = Spec(
    ep.v4_tokens_profit_and_loss,
    p4.tokens_profit_and_loss,
    "profit_and_loss",
    V,
    merge=sum_chunks("profit_usd"),
)
_TOKENS_DETAILS = Spec(
    ep.v4_tokens_details, p4.tokens_details, "tokens_details", V, rows_carry_chain=True
)


def is_available(*, client: Client | None = None) -> bool:
    """GET general/is_available: is the v4 service up?"""
    return load_plain(_IS_AVAILABLE, client=client, name="v4.is_available")


def supported_chains(*, client: Client | None = None) -> pd.DataFrame:
    """GET general/supported_chains (v4: a list of ids or of chain objects)."""
    return load_plain(_SUPPORTED_CHAINS, client=client, name="v4.supported_chains")


def supported_protocols(*, client: Client | None = None) -> pd.DataFrame:
    """GET general/supported_protocols."""
    return load_plain(_SUPPORTED_PROTOCOLS, client=client, name="v4.supported_protocols")


def _batch(
    spec: Spec,
    name: str,
    addresses: Addresses,
    chain: Chain,
    options: dict[str, Any],
    client: Client | None,
    progress: bool | None,
    errors: ErrorPolicy,
    plan: bool,
    chunk_size: int,
    dtype_backend: DtypeBackend | None = None,
) -> pd.DataFrame | Plan:
    return load(
        spec,
        addresses,
        chain,
        options,
        client=client,
        progress=progress,
        errors=errors,
        plan=plan,
        chunk_size=chunk_size,
        name=f"v4.{name}",
        dtype_backend=dtype_backend,
    )


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
    return _batch(
        _CURRENT_VALUE,
        "current_value",
        addresses,
        chain,
        {"use_cache": use_cache},
        client,
        progress,
        errors,
        plan,
        chunk_size,
        dtype_backend=dtype_backend,
    )


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
    return _batch(
        _PROFIT_AND_LOSS,
        "profit_and_loss",
        addresses,
        chain,
        {"timerange": timerange, "use_cache": use_cache},
        client,
        progress,
        errors,
        plan,
        chunk_size,
        dtype_backend=dtype_backend,
    )


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
    return _batch(
        _VALUE_CHART,
        "value_chart",
        addresses,
        chain,
        {"timerange": timerange, "use_cache": use_cache},
        client,
        progress,
        errors,
        plan,
        chunk_size,
        dtype_backend=dtype_backend,
    )


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
    return _batch(
        _PROTOCOLS_CURRENT_VALUE,
        "protocols_current_value",
        addresses,
        chain,
        {"use_cache": use_cache},
        client,
        progress,
        errors,
        plan,
        chunk_size,
        dtype_backend=dtype_backend,
    )


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
    return _batch(
        _PROTOCOLS_PROFIT_AND_LOSS,
        "protocols_profit_and_loss",
        addresses,
        chain,
        {"timerange": timerange, "use_cache": use_cache},
        client,
        progress,
        errors,
        plan,
        chunk_size,
        dtype_backend=dtype_backend,
    )


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
    return _batch(
        _PROTOCOLS_DETAILS,
        "protocols_details",
        addresses,
        chain,
        {"closed": closed, "closed_threshold": closed_threshold, "use_cache": use_cache},
        client,
        progress,
        errors,
        plan,
        chunk_size,
        dtype_backend=dtype_backend,
    )


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
    return _batch(
        _TOKENS_CURRENT_VALUE,
        "tokens_current_value",
        addresses,
        chain,
        {"use_cache": use_cache},
        client,
        progress,
        errors,
        plan,
        chunk_size,
        dtype_backend=dtype_backend,
    )


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
    return _batch(
        _TOKENS_PROFIT_AND_LOSS,
        "tokens_profit_and_loss",
        addresses,
        chain,
        {"timerange": timerange, "use_cache": use_cache},
        client,
        progress,
        errors,
        plan,
        chunk_size,
        dtype_backend=dtype_backend,
    )


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
    return _batch(
        _TOKENS_DETAILS,
        "tokens_details",
        addresses,
        chain,
        {
            "timerange": timerange,
            "closed": closed,
            "closed_threshold": closed_threshold,
            "use_cache": use_cache,
        },
        client,
        progress,
        errors,
        plan,
        chunk_size,
        dtype_backend=dtype_backend,
    )
