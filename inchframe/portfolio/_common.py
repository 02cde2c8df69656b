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

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral
from typing import Any

import pandas as pd

from .._loading import (
    ATTRS_KEY,
    Attribution,
    ErrorPolicy,
    attributed_rows,
    check_choice,
    check_dtype_backend,
    check_flag,
    check_loader_options,
    get_client,
    provenance,
    run_batch,
    shortened,
    shown,
)
from ..addresses import is_base58_address, normalize_addresses
from ..chains import resolve_chains
from ..client import BatchResult, Client, Plan, Reply
from ..endpoints import TIMERANGES, Call, endpoint
from ..errors import InputError
from ..frames.schema import DtypeBackend

__all__ = ["ADDRESSES_PER_CALL", "Spec", "load", "load_plain", "sum_chunks"]

#: Addresses per Portfolio request (``chunk_size=`` overrides it per call).
ADDRESSES_PER_CALL = 20

Converter = Callable[[list[tuple[Any, Any]]], Any]
#: Query parameters that are not a loader's own options (every loader takes them positionally).
_NOT_OPTIONS = frozenset({"addresses", "chain_id"})


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
    #: the converter is given the response bodies as bytes (it decodes them once)
    reads_bytes: bool = False
    #: rows name their wallet from the answer (``address`` of each item): multi-wallet answers
    #: that do not name asked wallets are re-asked per wallet (see :func:`attribution`)
    wallet_rows: bool = False
    #: with ``wallet_rows``: rows may name no wallet (they describe the asked ones together)
    wallet_optional: bool = False
    #: the loader's name in provenance and messages (``"chart"``, ``"v4.value_chart"``)
    name: str = ""
    #: the loader's own keyword options, passed on to the request builder
    options: tuple[str, ...] = ()

    @classmethod
    def of(
        cls,
        name: str,
        *,
        rows_carry_chain: bool = False,
        merge: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
        reads_bytes: bool = False,
        wallet_rows: bool = False,
        wallet_optional: bool = False,
    ) -> Spec:
        """The spec of endpoint ``name``: builder, converter, frame and version from its row in
        :data:`inchframe.endpoints.ENDPOINTS`, plus how to load it."""
        row = endpoint(name)
        return cls(
            row.build_function(),
            row.converter_function(),
            row.frame,
            row.version,
            rows_carry_chain=rows_carry_chain,
            merge=merge,
            reads_bytes=reads_bytes,
            wallet_rows=wallet_rows,
            wallet_optional=wallet_optional,
            # v5.0 loaders are named without their version in provenance (as they always were)
            name=row.name if row.version == "v4" else row.name.split(".", 1)[1],
            options=tuple(
                p.name for p in row.params if p.where == "query" and p.name not in _NOT_OPTIONS
            ),
        )

    def load(self, arguments: Mapping[str, Any]) -> pd.DataFrame | Plan:
        """Run :func:`load` with a loader's arguments (its ``locals()``): addresses, chain, the
        row's options, and ``client``, ``progress``, ``errors``, ``plan``, ``chunk_size``,
        ``dtype_backend``."""
        return load(
            self,
            arguments["addresses"],
            arguments["chain"],
            {option: arguments[option] for option in self.options},
            client=arguments["client"],
            progress=arguments["progress"],
            errors=arguments["errors"],
            plan=arguments["plan"],
            chunk_size=arguments["chunk_size"],
            name=self.name,
            dtype_backend=arguments.get("dtype_backend"),
        )

    def load_plain(self, client: Client | None) -> Any:
        """Run :func:`load_plain` (endpoints without parameters)."""
        return load_plain(self, client=client, name=self.name)

    def pairs(self, replies: Iterable[Reply]) -> list[tuple[Any, Any]]:
        """``(context, payload)`` pairs for the converter (bodies as received if it reads bytes)."""
        return [(r.call.context, r.content if self.reads_bytes else r.payload) for r in replies]


def _check_chunk_size(chunk_size: Any) -> int:
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, Integral) or chunk_size < 1:
        raise InputError(f"chunk_size={shown(chunk_size)}: expected a whole number >= 1")
    return int(chunk_size)


#: Portfolio options whose values are flags (sent as ``true``/``false``; None = not sent).
_FLAG_OPTIONS = ("use_cache", "closed")


def check_options(options: dict[str, Any]) -> None:
    """Check a Portfolio loader's query options before any request is planned.

    ``timerange`` must be one of :data:`~inchframe.endpoints.TIMERANGES` (exact strings: the
    API is case-sensitive) and the flags True, False or None; the endpoint builders check the
    rest (timestamps, thresholds, ids) with the same :class:`InputError` messages.
    """
    if "timerange" in options:
        check_choice("timerange", options["timerange"], TIMERANGES, optional=True)
    for name in _FLAG_OPTIONS:
        if name in options:
            check_flag(name, options[name], optional=True)


def attribution(spec: Spec, options: dict[str, Any]) -> Attribution | None:
    """The attribution check of ``spec``'s loader (None when its rows do not name wallets).

    A multi-wallet request whose answer gives rows the zero address, no address or a wallet
    that was not asked is sent again once per wallet (``options``: the loader's other query
    options, kept); single-wallet answers belong to the wallet asked.
    """
    if not spec.wallet_rows:
        return None

    def rows(replies: list[Reply]) -> pd.DataFrame:
        return spec.convert(spec.pairs(replies))

    def split(call: Call) -> list[Call]:
        chain = call.context.get("chain_id")
        return [spec.build([w], chain, **options) for w in call.context["addresses"]]

    # None: every request of the loader (one endpoint)
    return Attribution(None, rows, split, missing_ok=spec.wallet_optional)


def _base58_case(frame: pd.DataFrame, addresses: Sequence[str]) -> pd.DataFrame:
    """Give base58 wallets (Solana) back the case they were asked in: the converters lowercase
    addresses, which is right for hex addresses only."""
    cased = {a.lower(): a for a in addresses if is_base58_address(a)}
    if not cased or frame.empty:
        return frame
    frame = frame.copy()
    if "wallet" in frame.columns:
        frame["wallet"] = (
            frame["wallet"]
            .map(lambda w: cased.get(str(w).lower(), w), na_action="ignore")
            .astype(frame["wallet"].dtype)
        )
    if "wallets" in frame.columns:
        frame["wallets"] = (
            frame["wallets"]
            .map(
                lambda text: ",".join(cased.get(w.lower(), w) for w in str(text).split(",")),
                na_action="ignore",
            )
            .astype(frame["wallets"].dtype)
        )
    return frame


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
    errors = check_loader_options(errors=errors, progress=progress, plan=plan)
    dtype_backend = check_dtype_backend(dtype_backend)
    check_options(options)
    address_list = normalize_addresses(addresses, what="wallet address", allow_base58=True)
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
    try:
        calls = [spec.build(chunk, c, **options) for c in request_chains for chunk in chunks]
    except InputError as error:
        raise shortened(error, options.values()) from None
    client = get_client(client)
    if plan:
        return client.plan(calls)

    attribute = attribution(spec, options)

    def convert(replies: list[Reply]) -> pd.DataFrame:
        if attribute is not None:
            frame = attributed_rows(attribute.rows, replies, missing_ok=attribute.missing_ok)
        else:
            frame = spec.convert(spec.pairs(replies))
        frame = _base58_case(frame, address_list)
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
        attribution=attribute,
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
