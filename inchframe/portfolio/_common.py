"""Loading machinery shared by the Portfolio v5.0 and v4 loaders.

Addresses are sent in chunks of :data:`ADDRESSES_PER_CALL` (the per-call limit is undocumented;
chunks keep URLs short). Chains: ``None`` asks once for every chain; one chain passes
``chain_id``; several chains either ask once for every chain and keep the requested ones (for
frames whose rows carry a ``chain_id``: snapshots and details) or ask once per chain.

Frames that describe the requested addresses as a whole (current value, charts, profit and
loss) are merged across chunks: values and profits are summed per key, ROI is recomputed as
total profit / total invested.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .._loading import (
    ATTRS_KEY,
    ErrorPolicy,
    check_errors_policy,
    get_client,
    provenance,
    run_batch,
)
from ..addresses import normalize_addresses
from ..chains import resolve_chains
from ..client import BatchResult, Client, Plan, Reply
from ..endpoints import Call
from ..errors import InputError
from ..frames.schema import DtypeBackend, check_dtype_backend

__all__ = ["ADDRESSES_PER_CALL", "Spec", "load", "load_plain", "sum_chunks"]

#: Addresses per Portfolio request (``chunk_size=`` overrides it per call).
ADDRESSES_PER_CALL = 20

Converter = Callable[[list[tuple[Any, Any]]], Any]


@dataclass(frozen=True)
class Spec:
    """How to load one endpoint: its request builder, converter and frame name."""

    build: Callable[..., Call]
    convert: Converter
    frame: str
    api_version: str
    #: rows carry ``chain_id``, so one all-chains request can serve several chains
    rows_carry_chain: bool = False
    #: combines the frames of several address chunks into one (aggregate endpoints)
    merge: Callable[[pd.DataFrame], pd.DataFrame] | None = None
    #: the converter has a fast path reading response bodies as bytes
    reads_bytes: bool = False

    def pairs(self, replies: Iterable[Reply]) -> list[tuple[Any, Any]]:
        """``(context, payload)`` pairs for the converter (bodies as received if it reads bytes)."""
        return [(r.call.context, r.content if self.reads_bytes else r.payload) for r in replies]


def _check_chunk_size(chunk_size: int) -> int:
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise InputError(f"chunk_size={chunk_size!r}: expected a whole number >= 1")
    return chunk_size


def load(
    spec: Spec,
    addresses: str | Iterable[str],
    chain: Any,
    options: dict[str, Any],
    *,
    client: Client | None,
    progress: bool | None,
    errors: ErrorPolicy,
    plan: bool,
    chunk_size: int,
    name: str,
    dtype_backend: DtypeBackend | None = None,
) -> pd.DataFrame | Plan:
    """Validate, plan the requests, send them, convert, merge and attach provenance."""
    errors = check_errors_policy(errors)
    dtype_backend = check_dtype_backend(dtype_backend)
    address_list = normalize_addresses(addresses, what="wallet address")
    chains = None if chain is None else resolve_chains(chain, api="portfolio")
    size = _check_chunk_size(chunk_size)
    chunks = [address_list[i : i + size] for i in range(0, len(address_list), size)]
    keep_chains: list[int] | None = None
    if chains is None:
        request_chains: Sequence[int | None] = [None]
    elif len(chains) == 1:
        request_chains = chains
    elif spec.rows_carry_chain:
        request_chains, keep_chains = [None], chains
    else:
        request_chains = chains
    calls = [spec.build(chunk, c, **options) for c in request_chains for chunk in chunks]
    client = get_client(client)
    if plan:
        return client.plan(calls)

    def convert(replies: list[Reply]) -> pd.DataFrame:
        frame = spec.convert(spec.pairs(replies))
        if keep_chains is not None:
            frame = frame[frame["chain_id"].isin(keep_chains)].reset_index(drop=True)
        if spec.merge is not None and len(chunks) > 1:
            frame = spec.merge(frame)
        return frame

    return run_batch(
        client,
        calls,
        convert,
        errors=errors,
        progress=progress,
        api="portfolio",
        api_version=spec.api_version,
        endpoint=name,
        frame=spec.frame,
        params={"addresses": address_list, "chains": chains, **options, "chunk_size": size},
        dtype_backend=dtype_backend,
        stream=spec.merge is None or len(chunks) == 1,  # merged frames need every chunk
    )


def load_plain(spec: Spec, *, client: Client | None, name: str) -> Any:
    """Endpoints without parameters (status, supported chains...): one request, errors raised
    as they are (there is no partial result to keep)."""
    client = get_client(client)
    call = spec.build()
    reply = client.fetch(call)
    result = spec.convert(spec.pairs([reply]))
    if isinstance(result, pd.DataFrame):
        result.attrs[ATTRS_KEY] = provenance(
            client,
            [call],
            BatchResult([reply], []),
            api="portfolio",
            api_version=spec.api_version,
            endpoint=name,
            frame=spec.frame,
            params={},
        )
    return result


def sum_chunks(*measures: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """A merge that sums ``measures`` over rows that differ only by their address chunk.

    ``roi`` (when present) is recomputed as total profit / total invested, where a chunk's
    invested amount is its profit / roi.
    """

    def merge(frame: pd.DataFrame) -> pd.DataFrame:
        if frame.empty:
            return frame
        work = frame.copy()
        if "wallet" in work.columns:
            # a one-address chunk names its wallet on every row; merged rows describe them all
            per_address = (
                (work["dimension"] == "address")
                if "dimension" in work.columns
                else pd.Series(False, index=work.index)
            )
            work["wallet"] = work["wallet"].where(per_address)
        has_roi = "roi" in work.columns and "profit_usd" in work.columns
        if has_roi:
            roi = work["roi"].where(work["roi"] != 0)
            work["_invested"] = work["profit_usd"] / roi
        summed = [*measures, *(["_invested"] if has_roi else [])]
        keys = [c for c in work.columns if c not in (*summed, "wallets", "roi")]
        merged = work.groupby(keys, dropna=False, sort=False)[summed].sum(min_count=1).reset_index()
        if has_roi:
            merged["roi"] = merged["profit_usd"] / merged.pop("_invested")
        if "wallets" in frame.columns:
            merged["wallets"] = ",".join(
                dict.fromkeys(w for text in frame["wallets"].dropna() for w in str(text).split(","))
            )
        return merged[list(frame.columns)].astype(frame.dtypes.to_dict())

    return merge
