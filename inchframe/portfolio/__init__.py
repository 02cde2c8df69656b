"""Portfolio API v5.0 loaders (the current version); v4 is in :mod:`inchframe.portfolio.v4`.

Every loader takes one or many addresses and ``chain`` (``None`` = every chain, one chain, or a
list), plus ``client=``, ``progress=``, ``errors=`` (``"raise"``, ``"warn"``, ``"ignore"``),
``plan=True`` (return the request plan, send nothing) and ``chunk_size=`` (addresses per request).
The frames share column names with the v4 frames, so a notebook can switch versions by changing
one call; see docs/frames-portfolio.md for the columns and the v4-to-v5 mapping.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal, overload

import pandas as pd

from .._loading import ATTRS_KEY, ErrorPolicy, check_dtype_backend, get_client
from ..addresses import normalize_addresses
from ..client import Client, Plan
from ..frames.schema import DtypeBackend, with_dtype_backend
from ._common import ADDRESSES_PER_CALL, Spec, sum_chunks
from ._identity import PROTOCOL_IDENTITY, TOKEN_IDENTITY, with_identity

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

Addresses = str | Iterable[str]
Chain = int | str | Iterable[int | str] | None

_STATUS = Spec.of("v5.status")
_SUPPORTED_CHAINS = Spec.of("v5.supported_chains")
_SUPPORTED_PROTOCOLS = Spec.of("v5.supported_protocols")
_ADDRESS_CHECK = Spec.of("v5.address_check", wallet_rows=True)
_CURRENT_VALUE = Spec.of("v5.current_value", merge=sum_chunks("value_usd"))
_CHART = Spec.of("v5.chart", merge=sum_chunks("value_usd"))
_REPORT = Spec.of("v5.report")
_PROTOCOLS_SNAPSHOT = Spec.of(
    "v5.protocols_snapshot", rows_carry_chain=True, reads_bytes=True, wallet_rows=True
)
_PROTOCOLS_METRICS = Spec.of("v5.protocols_metrics", wallet_rows=True, wallet_optional=True)
_TOKENS_SNAPSHOT = Spec.of(
    "v5.tokens_snapshot", rows_carry_chain=True, reads_bytes=True, wallet_rows=True
)
_TOKENS_METRICS = Spec.of("v5.tokens_metrics")


def status(*, client: Client | None = None) -> bool:
    """GET general/status: is the Portfolio service available?"""
    return _STATUS.load_plain(client)


def supported_chains(*, client: Client | None = None) -> pd.DataFrame:
    """GET general/supported_chains: chain id, name, icon and native token."""
    return _SUPPORTED_CHAINS.load_plain(client)


def supported_protocols(*, client: Client | None = None) -> pd.DataFrame:
    """GET general/supported_protocols: protocol groups per chain."""
    return _SUPPORTED_PROTOCOLS.load_plain(client)


@overload
def address_check(
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
def address_check(
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
    return _ADDRESS_CHECK.load(locals())


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
    """GET general/current_value: the value breakdown as a long frame.

    One row per ``dimension`` (total, address, category, protocol, chain) and ``key``, with
    ``value_usd``. Several chains are asked one by one (``chain_id`` on the rows).
    """
    return _CURRENT_VALUE.load(locals())


@overload
def chart(
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
def chart(
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
    return _CHART.load(locals())


@overload
def report(
    addresses: Addresses,
    chain: Chain = ...,
    timerange: str = ...,
    *,
    closed: bool | None = ...,
    closed_threshold: float | None = ...,
    client: Client | None = ...,
    progress: bool | None = ...,
    errors: ErrorPolicy = ...,
    plan: Literal[False] = ...,
    chunk_size: int = ...,
    dtype_backend: DtypeBackend | None = ...,
) -> pd.DataFrame: ...
@overload
def report(
    addresses: Addresses,
    chain: Chain = ...,
    timerange: str = ...,
    *,
    closed: bool | None = ...,
    closed_threshold: float | None = ...,
    client: Client | None = ...,
    progress: bool | None = ...,
    errors: ErrorPolicy = ...,
    plan: Literal[True],
    chunk_size: int = ...,
    dtype_backend: DtypeBackend | None = ...,
) -> Plan: ...


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
    return _REPORT.load(locals())


@overload
def protocols_snapshot(
    addresses: Addresses,
    chain: Chain = ...,
    timestamp: Any = ...,
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
def protocols_snapshot(
    addresses: Addresses,
    chain: Chain = ...,
    timestamp: Any = ...,
    *,
    use_cache: bool | None = ...,
    client: Client | None = ...,
    progress: bool | None = ...,
    errors: ErrorPolicy = ...,
    plan: Literal[True],
    chunk_size: int = ...,
    dtype_backend: DtypeBackend | None = ...,
) -> Plan: ...


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
    return _PROTOCOLS_SNAPSHOT.load(locals())


@overload
def protocols_metrics(
    addresses: Addresses,
    chain: Chain = ...,
    *,
    protocol_group_id: str | None = ...,
    contract_address: str | None = ...,
    token_id: int | None = ...,
    timerange: str | None = ...,
    use_cache: bool | None = ...,
    client: Client | None = ...,
    progress: bool | None = ...,
    errors: ErrorPolicy = ...,
    plan: Literal[False] = ...,
    chunk_size: int = ...,
    dtype_backend: DtypeBackend | None = ...,
) -> pd.DataFrame: ...
@overload
def protocols_metrics(
    addresses: Addresses,
    chain: Chain = ...,
    *,
    protocol_group_id: str | None = ...,
    contract_address: str | None = ...,
    token_id: int | None = ...,
    timerange: str | None = ...,
    use_cache: bool | None = ...,
    client: Client | None = ...,
    progress: bool | None = ...,
    errors: ErrorPolicy = ...,
    plan: Literal[True],
    chunk_size: int = ...,
    dtype_backend: DtypeBackend | None = ...,
) -> Plan: ...


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
    """GET protocols/metrics: profit, ROI, APR, fees and rewards per position.

    Rows name their chain, wallet, protocol and symbols: from the body when it has them, else
    joined from ``protocols_snapshot`` of the same wallets (see docs/frames-portfolio.md).
    """
    return _metrics_with_identity(
        _PROTOCOLS_METRICS, protocols_snapshot, PROTOCOL_IDENTITY, locals()
    )


@overload
def tokens_snapshot(
    addresses: Addresses,
    chain: Chain = ...,
    timestamp: Any = ...,
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
def tokens_snapshot(
    addresses: Addresses,
    chain: Chain = ...,
    timestamp: Any = ...,
    *,
    use_cache: bool | None = ...,
    client: Client | None = ...,
    progress: bool | None = ...,
    errors: ErrorPolicy = ...,
    plan: Literal[True],
    chunk_size: int = ...,
    dtype_backend: DtypeBackend | None = ...,
) -> Plan: ...


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
    return _TOKENS_SNAPSHOT.load(locals())


@overload
def tokens_metrics(
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
def tokens_metrics(
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
    """GET tokens/metrics: profit and ROI per token position over ``timerange``.

    Rows name their chain, wallet, token and symbol: from the body when it has them, else
    joined from ``tokens_snapshot`` of the same wallets (see docs/frames-portfolio.md).
    """
    return _metrics_with_identity(_TOKENS_METRICS, tokens_snapshot, TOKEN_IDENTITY, locals())


def __getattr__(name: str) -> Any:
    if name == "v4":
        import importlib

        return importlib.import_module("inchframe.portfolio.v4")
    raise AttributeError(f"module 'inchframe.portfolio' has no attribute {name!r}")


def _metrics_with_identity(
    spec: Spec,
    snapshot: Callable[..., pd.DataFrame | Plan],
    pairs: Sequence[tuple[str, str]],
    arguments: dict[str, Any],
) -> pd.DataFrame | Plan:
    """Load a metrics frame (``spec``, a loader's ``locals()``) and fill its identity columns
    from ``snapshot`` of the same wallets (:func:`~inchframe.portfolio._identity.with_identity`).

    ``plan=True`` counts the snapshot requests the join may need too; ``dtype_backend`` is
    applied after the join, so joined columns get it as well.
    """
    backend = check_dtype_backend(arguments["dtype_backend"])
    frame = spec.load({**arguments, "dtype_backend": None})

    def load_snapshot(plan: bool = False) -> pd.DataFrame | Plan:
        return snapshot(
            arguments["addresses"], arguments["chain"], client=arguments["client"],
            progress=arguments["progress"], errors="ignore",
            chunk_size=arguments["chunk_size"], plan=plan,
        )  # fmt: skip

    if isinstance(frame, Plan):
        snapshot_plan = load_snapshot(plan=True)
        assert isinstance(snapshot_plan, Plan)
        return get_client(arguments["client"]).plan([*frame.calls, *snapshot_plan.calls])
    joined = with_identity(
        frame,
        load_snapshot,  # type: ignore[arg-type]  # plan=False: a frame
        pairs=pairs,
        snapshot_name=snapshot.__name__,
        asked_wallets=normalize_addresses(arguments["addresses"], what="wallet address"),
    )
    if backend is None:
        return joined
    joined.attrs[ATTRS_KEY]["params"]["dtype_backend"] = backend
    return with_dtype_backend(joined, backend)
