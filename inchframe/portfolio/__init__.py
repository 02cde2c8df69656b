"""Portfolio API v5.0 loaders (the current version); v4 is in :mod:`inchframe.portfolio.v4`.

Every loader takes one or many addresses and ``chain`` (``None`` = every chain, one chain, or a
list), plus ``client=``, ``progress=``, ``errors=`` (``"raise"``, ``"warn"``, ``"ignore"``),
``plan=True`` (return the request plan, send nothing) and ``chunk_size=`` (addresses per request).
The frames share column names with the v4 frames, so a notebook can switch versions by changing
one call; see docs/frames-portfolio.md for the columns and the v4-to-v5 mapping.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from .. import endpoints as ep
from .._loading import ErrorPolicy
from ..client import Client, Plan
from ..frames import portfolio_v5 as p5
from ..frames.schema import DtypeBackend
from ._common import ADDRESSES_PER_CALL, Spec, load, load_plain, sum_chunks

__all__ = [
    "address_check",
    "chart",
    "current_value",
    "protocols_metrics",
    "protocols_snapshot",
    "report",
    "status",
    "supported_chains",
    "supported_protocols",
    "tokens_metrics",
    "tokens_snapshot",
    "v4",
]

V = "v5.0"
Addresses = str | Iterable[str]
Chain = int | str | Iterable[int | str] | None

_STATUS = Spec(ep.v5_status, p5.status, "", V)
_SUPPORTED_CHAINS = Spec(ep.v5_supported_chains, p5.supported_chains, "supported_chains", V)
_SUPPORTED_PROTOCOLS = Spec(
    ep.v5_supported_protocols, p5.supported_protocols, "supported_protocols", V
)
_ADDRESS_CHECK = Spec(ep.v5_address_check, p5.address_check, "address_check", V)
_CURRENT_VALUE = Spec(
    ep.v5_current_value, p5.current_value, "current_value", V, merge=sum_chunks("value_usd")
)
_CHART = Spec(ep.v5_chart, p5.chart, "chart", V, merge=sum_chunks("value_usd"))
_REPORT = Spec(ep.v5_report, p5.report, "report", V)
_PROTOCOLS_SNAPSHOT = Spec(
    ep.v5_protocols_snapshot,
    p5.protocols_snapshot,
    "protocols_snapshot",
    V,
    rows_carry_chain=True,
    reads_bytes=True,
)
_PROTOCOLS_METRICS = Spec(ep.v5_protocols_metrics, p5.protocols_metrics, "protocols_metrics", V)
_TOKENS_SNAPSHOT = Spec(
    ep.v5_tokens_snapshot,
    p5.tokens_snapshot,
    "tokens_snapshot",
    V,
    rows_carry_chain=True,
    reads_bytes=True,
)
_TOKENS_METRICS = Spec(ep.v5_tokens_metrics, p5.tokens_metrics, "tokens_metrics", V)


def status(*, client: Client | None = None) -> bool:
    """GET general/status: is the Portfolio service available?"""
    return load_plain(_STATUS, client=client, name="status")


def supported_chains(*, client: Client | None = None) -> pd.DataFrame:
    """GET general/supported_chains: chain id, name, icon and native token."""
    return load_plain(_SUPPORTED_CHAINS, client=client, name="supported_chains")


def supported_protocols(*, client: Client | None = None) -> pd.DataFrame:
    """GET general/supported_protocols: protocol groups per chain."""
    return load_plain(_SUPPORTED_PROTOCOLS, client=client, name="supported_protocols")


def address_check(
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
    """GET general/address_check: compliance and limit checks per address (shape
    undocumented; unknown forms are kept in a ``raw`` column)."""
    return load(
        _ADDRESS_CHECK,
        addresses,
        chain,
        {"use_cache": use_cache},
        client=client,
        progress=progress,
        errors=errors,
        plan=plan,
        chunk_size=chunk_size,
        dtype_backend=dtype_backend,
        name="address_check",
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
    """GET general/current_value: the value breakdown as a long frame.

    One row per ``dimension`` (total, address, category, protocol, chain) and ``key``, with
    ``value_usd``. Several chains are asked one by one (``chain_id`` on the rows).
    """
    return load(
        _CURRENT_VALUE,
        addresses,
        chain,
        {"use_cache": use_cache},
        client=client,
        progress=progress,
        errors=errors,
        plan=plan,
        chunk_size=chunk_size,
        dtype_backend=dtype_backend,
        name="current_value",
    )


def chart(
    addresses: Addresses,
    chain: Chain = None,
    timerange: str = "1month",
    *,
    use_cache: bool | None = None,
    client: Client | None = None,
    progress: bool | None = None,
    errors: ErrorPolicy = "raise",
    plan: bool = False,
    chunk_size: int = ADDRESSES_PER_CALL,
    dtype_backend: DtypeBackend | None = None,
) -> pd.DataFrame | Plan:
    """GET general/chart: total value over time (UTC ``timestamp``, ``value_usd``).

    ``timerange``: 1day, 1week, 1month, 1year or 3years.
    """
    return load(
        _CHART,
        addresses,
        chain,
        {"timerange": timerange, "use_cache": use_cache},
        client=client,
        progress=progress,
        errors=errors,
        plan=plan,
        chunk_size=chunk_size,
        dtype_backend=dtype_backend,
        name="chart",
    )


def report(
    addresses: Addresses,
    chain: Chain = None,
    timerange: str = "1year",
    *,
    closed: bool | None = None,
    closed_threshold: float | None = None,
    client: Client | None = None,
    progress: bool | None = None,
    errors: ErrorPolicy = "raise",
    plan: bool = False,
    chunk_size: int = ADDRESSES_PER_CALL,
    dtype_backend: DtypeBackend | None = None,
) -> pd.DataFrame | Plan:
    """GET general/report: the CSV report as a frame (columns as the API sends them)."""
    return load(
        _REPORT,
        addresses,
        chain,
        {"timerange": timerange, "closed": closed, "closed_threshold": closed_threshold},
        client=client,
        progress=progress,
        errors=errors,
        plan=plan,
        chunk_size=chunk_size,
        dtype_backend=dtype_backend,
        name="report",
    )


def protocols_snapshot(
    addresses: Addresses,
    chain: Chain = None,
    timestamp: Any = None,
    *,
    use_cache: bool | None = None,
    client: Client | None = None,
    progress: bool | None = None,
    errors: ErrorPolicy = "raise",
    plan: bool = False,
    chunk_size: int = ADDRESSES_PER_CALL,
    dtype_backend: DtypeBackend | None = None,
) -> pd.DataFrame | Plan:
    """GET protocols/snapshot: DeFi positions now, or at a past ``timestamp``.

    One row per chain x wallet x position x underlying (or reward) token; ``position_index``
    re-assembles positions and joins :func:`protocols_metrics`.
    """
    return load(
        _PROTOCOLS_SNAPSHOT,
        addresses,
        chain,
        {"timestamp": timestamp, "use_cache": use_cache},
        client=client,
        progress=progress,
        errors=errors,
        plan=plan,
        chunk_size=chunk_size,
        dtype_backend=dtype_backend,
        name="protocols_snapshot",
    )


def protocols_metrics(
    addresses: Addresses,
    chain: Chain = None,
    *,
    protocol_group_id: str | None = None,
    contract_address: str | None = None,
    token_id: int | None = None,
    timerange: str | None = None,
    use_cache: bool | None = None,
    client: Client | None = None,
    progress: bool | None = None,
    errors: ErrorPolicy = "raise",
    plan: bool = False,
    chunk_size: int = ADDRESSES_PER_CALL,
    dtype_backend: DtypeBackend | None = None,
) -> pd.DataFrame | Plan:
    """GET protocols/metrics: profit, ROI, APR, fees and rewards per position."""
    return load(
        _PROTOCOLS_METRICS,
        addresses,
        chain,
        {
            "protocol_group_id": protocol_group_id,
            "contract_address": contract_address,
            "token_id": token_id,
            "timerange": timerange,
            "use_cache": use_cache,
        },
        client=client,
        progress=progress,
        errors=errors,
        plan=plan,
        chunk_size=chunk_size,
        dtype_backend=dtype_backend,
        name="protocols_metrics",
    )


def tokens_snapshot(
    addresses: Addresses,
    chain: Chain = None,
    timestamp: Any = None,
    *,
    use_cache: bool | None = None,
    client: Client | None = None,
    progress: bool | None = None,
    errors: ErrorPolicy = "raise",
    plan: bool = False,
    chunk_size: int = ADDRESSES_PER_CALL,
    dtype_backend: DtypeBackend | None = None,
) -> pd.DataFrame | Plan:
    """GET tokens/snapshot: token holdings now, or at a past ``timestamp``.

    One row per chain x wallet x token with ``amount``, ``price_usd`` and ``value_usd``.
    """
    return load(
        _TOKENS_SNAPSHOT,
        addresses,
        chain,
        {"timestamp": timestamp, "use_cache": use_cache},
        client=client,
        progress=progress,
        errors=errors,
        plan=plan,
        chunk_size=chunk_size,
        dtype_backend=dtype_backend,
        name="tokens_snapshot",
    )


def tokens_metrics(
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
    """GET tokens/metrics: profit and ROI per token position over ``timerange``."""
    return load(
        _TOKENS_METRICS,
        addresses,
        chain,
        {"timerange": timerange, "use_cache": use_cache},
        client=client,
        progress=progress,
        errors=errors,
        plan=plan,
        chunk_size=chunk_size,
        dtype_backend=dtype_backend,
        name="tokens_metrics",
    )


def __getattr__(name: str) -> Any:
    if name == "v4":
        import importlib

        return importlib.import_module("inchframe.portfolio.v4")
    raise AttributeError(f"module 'inchframe.portfolio' has no attribute {name!r}")
