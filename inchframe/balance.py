"""Balance API v1.2 loaders: balances and allowances of many wallets on many chains, as tidy
frames with exact raw amounts.

Request economy: with several wallets on a chain and no token list, the loaders use the
``aggregatedBalancesAndAllowances`` endpoint, which answers for up to
:data:`MAX_WALLETS_PER_CALL` wallets at once and carries token metadata, instead of one request
per wallet. ``method="per_wallet"`` forces the one-wallet endpoints. Symbols and decimals for the
one-wallet endpoints come from one extra request per chain (the token list), cached for a day.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal, overload

import pandas as pd

from . import endpoints as ep
from ._loading import (
    Attribution,
    ErrorPolicy,
    attributed_rows,
    check_choice,
    check_dtype_backend,
    check_flag,
    check_loader_options,
    get_client,
    run_batch,
)
from .addresses import ROUTER_V6, normalize_address, normalize_addresses
from .chains import chain_name, resolve_chains
from .client import Client, Failure, Plan, Reply
from .errors import InputError
from .frames import balance as fb
from .frames.schema import DtypeBackend, FrameSchema, empty_frame

__all__ = [
    "MAX_TOKENS_PER_CALL",
    "MAX_WALLETS_PER_CALL",
    "aggregated_balances",
    "allowances",
    "balances",
    "balances_and_allowances",
    "plan_balances",
]

#: Wallets per aggregated / walletsAndTokens request: keeps URLs under ~5 kB.
MAX_WALLETS_PER_CALL = 100
#: Tokens per POST body.
MAX_TOKENS_PER_CALL = 500
# Spender for aggregated requests made only for balances: ROUTER_V6 (inchframe.addresses).
# The endpoint needs some spender; its allowances are dropped from balance frames.
#: Wallet for the per-chain token-list request (balances all zero; only the metadata is used).
METADATA_WALLET = "0x0000000000000000000000000000000000000000"

#: Bytes of one-wallet answers converted at once (a slice of a streamed load). They list every
#: token of the chain, zeros included, and the converter parses every entry before dropping the
#: zeros: its working set is several times the bodies (about 5x), so their slices hold half of
#: :data:`inchframe._loading.SLICE_BYTES` (at 1,000 wallets x 5 chains, 32 MiB slices peaked
#: 316 MiB above the start, 16 MiB ones 161 MiB, in about the same time).
PER_WALLET_SLICE_BYTES = 16 * 2**20

Method = Literal["auto", "per_wallet", "aggregated"]
_METHODS = ("auto", "per_wallet", "aggregated")
API = {"api": "balance", "api_version": "v1.2"}


def _chunks(items: Sequence[str], size: int) -> list[list[str]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def _check_method(method: Any) -> Method:
    return check_choice("method", method, _METHODS)  # type: ignore[return-value]


def _use_aggregated(method: Method, n_wallets: int, tokens: list[str] | None) -> bool:
    if method == "aggregated":
        if tokens is not None:
            raise InputError(
                "method='aggregated' covers the whole token list; drop tokens= or use method='auto'"
            )
        return True
    return method == "auto" and tokens is None and n_wallets > 1


def metadata_call(chain_id: int, wallets: Sequence[str] = ()) -> ep.Call:
    """The per-chain token-list request behind symbols, names and decimals (cached a day).

    ``wallets``: the wallets whose rows on this chain need the metadata; a failure of this
    request names them (the request itself asks about :data:`METADATA_WALLET` only).
    """
    call = ep.aggregated_balances_and_allowances(
        chain_id, ROUTER_V6, [METADATA_WALLET], filter_empty=False
    )
    context = {**call.context, "wallets": list(wallets), "metadata": True}
    return dataclasses.replace(call, endpoint="balance.token_metadata", context=context)


def _metadata_note(failures: Sequence[Failure]) -> str | None:
    """What a failed token-list request means for the frame (None when none failed)."""
    chains = sorted(
        {
            f.call.context["chain_id"]
            for f in failures
            if f.call.endpoint == "balance.token_metadata"
        }
    )
    if not chains:
        return None
    named = ", ".join(f"{c} ({chain_name(c)})" for c in chains)
    return (
        f"token metadata (symbol, name, decimals, balance in units) is missing for chain(s) "
        f"{named}: their rows keep balance_raw; the failures table lists the wallets affected"
    )


#: Balance endpoints whose answers name the wallet of each row (keys of the answer).
_MULTI_WALLET = frozenset({"balance.aggregated", "balance.wallets_and_tokens"})


def _wallet_rows(replies: list[Reply]) -> pd.DataFrame:
    """Rows of multi-wallet Balance answers, each with the wallet the answer names."""
    parts = [
        fb.aggregated_frame(
            _pairs(replies, "balance.aggregated", "chain_id", "spender", raw=True), keep_zero=True
        ),
        fb.wallets_and_tokens_frame(
            _pairs(replies, "balance.wallets_and_tokens", "chain_id", raw=True),
            token_info=None,
            keep_zero=True,
        ),
    ]
    parts = [p[["chain_id", "wallet", "token"]] for p in parts if len(p)]
    if not parts:
        return pd.DataFrame({"chain_id": [], "wallet": pd.array([], dtype="string")})
    return pd.concat(parts, ignore_index=True)


def _split_call(call: ep.Call) -> list[ep.Call]:
    """The same Balance request once per wallet of ``call``."""
    ctx = call.context
    if call.endpoint == "balance.wallets_and_tokens":
        return [
            ep.balances_of_wallets_and_tokens(ctx["chain_id"], [w], ctx["tokens"])
            for w in ctx["wallets"]
        ]
    flag = dict(call.params).get("filterEmpty")
    filter_empty = None if flag is None else flag == "true"
    return [
        ep.aggregated_balances_and_allowances(
            ctx["chain_id"], ctx["spender"], [w], filter_empty=filter_empty
        )
        for w in ctx["wallets"]
    ]


#: Multi-wallet answers that do not name asked wallets are asked again per wallet.
ATTRIBUTION = Attribution(_MULTI_WALLET, _wallet_rows, _split_call)


def _aggregated_calls(
    chains: list[int], spender: str, wallets: list[str], *, filter_empty: bool
) -> list[ep.Call]:
    return [
        ep.aggregated_balances_and_allowances(chain_id, spender, chunk, filter_empty=filter_empty)
        for chain_id in chains
        for chunk in _chunks(wallets, MAX_WALLETS_PER_CALL)
    ]


def _pairs(
    replies: Iterable[Reply], endpoints: str | tuple[str, ...], *names: str, raw: bool = False
) -> list[tuple]:
    """``(context tuple, payload)`` pairs of the replies from the named endpoint(s); ``raw``:
    the bodies as received, for the converters that decode them once."""
    wanted = (endpoints,) if isinstance(endpoints, str) else endpoints
    return [
        (tuple(r.call.context[n] for n in names), r.content if raw else r.payload)
        for r in replies
        if r.call.endpoint in wanted
    ]


def _token_info(replies: Iterable[Reply]) -> pd.DataFrame | None:
    pairs = _pairs(replies, "balance.token_metadata", "chain_id")
    return fb.token_metadata_frame(pairs) if pairs else None


def _is_token_list(call: ep.Call) -> bool:
    """The token-list request of a chain (:func:`metadata_call`): converting the one-wallet
    answers needs its answer first."""
    return call.endpoint == "balance.token_metadata"


def _slice_bytes(calls: Sequence[ep.Call]) -> int | None:
    """The bytes of a streamed slice: :data:`PER_WALLET_SLICE_BYTES` for one-wallet answers."""
    one_wallet = any(c.endpoint != "balance.aggregated" for c in calls)
    return PER_WALLET_SLICE_BYTES if one_wallet else None


class _TokenInfo:
    """:func:`_token_info` of a loader call, parsed once: a streamed load passes the same
    token-list replies with every slice (``run_batch(first=...)``)."""

    def __init__(self) -> None:
        self._replies: list[Reply] = []
        self._info: pd.DataFrame | None = None

    def __call__(self, replies: Iterable[Reply]) -> pd.DataFrame | None:
        lists = [r for r in replies if _is_token_list(r.call)]
        same = len(lists) == len(self._replies) and all(
            a is b for a, b in zip(lists, self._replies, strict=True)
        )
        if not same:
            self._replies, self._info = lists, _token_info(lists)
        return self._info


def _from_aggregated(
    replies: list[Reply], schema: FrameSchema, keep: Callable[[pd.DataFrame], pd.Series] | None
) -> pd.DataFrame:
    """Rows of the aggregated endpoint reshaped to ``schema`` (e.g. balances only)."""
    frame = _aggregated_rows(
        [r for r in replies if r.call.endpoint == "balance.aggregated"],
        keep_zero=keep is None,  # every keep rule drops the pairs where both are "0": now
    )
    if keep is not None:
        frame = frame[keep(frame)]
    return schema.conform(frame[list(schema.names)].reset_index(drop=True))


def _aggregated_rows(replies: list[Reply], keep_zero: bool = True) -> pd.DataFrame:
    """The aggregated frame of ``replies``, single-wallet answers given to the wallet asked."""

    def rows(some: list[Reply]) -> pd.DataFrame:
        # the wallets asked ride along: the converter checks repeats of rows naming a wallet
        # their request did not ask for within that answer only (they are re-attributed here)
        pairs = _pairs(some, "balance.aggregated", "chain_id", "spender", "wallets", raw=True)
        return fb.aggregated_frame(pairs, keep_zero=keep_zero)

    return attributed_rows(rows, replies)


def _nonzero(column: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda frame: frame[column] != "0"


# -- balances -------------------------------------------------------------------------------


def plan_balances(
    wallets: str | Iterable[str],
    chain: Any = 1,
    *,
    tokens: str | Iterable[str] | None = None,
    keep_zero: bool = False,
    method: Method = "auto",
) -> list[ep.Call]:
    """The requests :func:`balances` would send (validated; nothing is sent)."""
    check_flag("keep_zero", keep_zero)
    wallet_list = normalize_addresses(wallets, what="wallet address")
    chains = resolve_chains(chain, api="balance")
    token_list = None if tokens is None else normalize_addresses(tokens, what="token address")
    if _use_aggregated(_check_method(method), len(wallet_list), token_list):
        return _aggregated_calls(chains, ROUTER_V6, wallet_list, filter_empty=not keep_zero)
    calls = [metadata_call(c, wallet_list) for c in chains]
    for chain_id in chains:
        if token_list is None:
            calls += [ep.balances(chain_id, w) for w in wallet_list]
        elif len(wallet_list) == 1 or method == "per_wallet":
            calls += [
                ep.balances_of_tokens(chain_id, wallet, chunk)
                for wallet in wallet_list
                for chunk in _chunks(token_list, MAX_TOKENS_PER_CALL)
            ]
        else:
            calls += [
                ep.balances_of_wallets_and_tokens(chain_id, w_chunk, t_chunk)
                for w_chunk in _chunks(wallet_list, MAX_WALLETS_PER_CALL)
                for t_chunk in _chunks(token_list, MAX_TOKENS_PER_CALL)
            ]
    return calls


def _convert_balances(keep_zero: bool) -> Callable[[list[Reply]], pd.DataFrame]:
    token_info = _TokenInfo()

    def convert(replies: list[Reply]) -> pd.DataFrame:
        if any(r.call.endpoint == "balance.aggregated" for r in replies):
            return _from_aggregated(
                replies, fb.BALANCES, None if keep_zero else _nonzero("balance_raw")
            )
        info = token_info(replies)
        parts = [
            fb.balances_frame(
                _pairs(
                    replies,
                    ("balance.balances", "balance.balances_of_tokens"),
                    "chain_id",
                    "wallet",
                    raw=True,
                ),
                token_info=info,
                keep_zero=keep_zero,
            ),
            attributed_rows(
                lambda some: fb.wallets_and_tokens_frame(
                    _pairs(some, "balance.wallets_and_tokens", "chain_id", raw=True),
                    token_info=info,
                    keep_zero=keep_zero,
                ),
                [r for r in replies if r.call.endpoint == "balance.wallets_and_tokens"],
            ),
        ]
        return _concat(fb.BALANCES, parts)

    return convert


def _concat(schema: FrameSchema, parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_frame(schema)
    return schema.conform(pd.concat(parts, ignore_index=True)) if len(parts) > 1 else parts[0]


@overload
def balances(
    wallets: str | Iterable[str],
    chain: Any = ...,
    *,
    tokens: str | Iterable[str] | None = ...,
    keep_zero: bool = ...,
    method: Method = ...,
    client: Client | None = ...,
    progress: bool | None = ...,
    errors: ErrorPolicy = ...,
    plan: Literal[False] = ...,
    dtype_backend: DtypeBackend | None = ...,
) -> pd.DataFrame: ...
@overload
def balances(
    wallets: str | Iterable[str],
    chain: Any = ...,
    *,
    tokens: str | Iterable[str] | None = ...,
    keep_zero: bool = ...,
    method: Method = ...,
    client: Client | None = ...,
    progress: bool | None = ...,
    errors: ErrorPolicy = ...,
    plan: Literal[True],
    dtype_backend: DtypeBackend | None = ...,
) -> Plan: ...


def balances(
    wallets: str | Iterable[str],
    chain: int | str | Iterable[int | str] = 1,
    *,
    tokens: str | Iterable[str] | None = None,
    keep_zero: bool = False,
    method: Method = "auto",
    client: Client | None = None,
    progress: bool | None = None,
    errors: ErrorPolicy = "raise",
    plan: bool = False,
    dtype_backend: DtypeBackend | None = None,
) -> pd.DataFrame | Plan:
    """Token balances of one or many wallets on one or many chains.

    One row per chain x wallet x token with ``balance_raw`` (exact) and ``balance`` (human
    units); zero balances are dropped unless ``keep_zero``. Without ``tokens``, every token of
    the chain's 1inch token list; with ``tokens``, just those (POST endpoints).

    ``errors="raise"`` raises :class:`~inchframe.errors.BatchError` carrying the partial frame
    when some requests fail; ``"warn"``/``"ignore"`` return the partial frame and list the
    failures in ``df.attrs["inchframe"]["failures"]``. ``plan=True`` returns the
    :class:`~inchframe.client.Plan` (requests, cache hits, time at the rate) without sending.
    """
    errors = check_loader_options(errors=errors, progress=progress, plan=plan)
    dtype_backend = check_dtype_backend(dtype_backend)
    calls = plan_balances(wallets, chain, tokens=tokens, keep_zero=keep_zero, method=method)
    client = get_client(client)
    if plan:
        return client.plan(calls)
    return run_batch(
        client,
        calls,
        _convert_balances(keep_zero),
        errors=errors,
        progress=progress,
        endpoint="balances",
        frame="balances",
        params={
            "wallets": _wallets_of(calls),
            "chains": _chains_of(calls),
            "tokens": _tokens_of(tokens),
            "keep_zero": keep_zero,
            "method": method,
        },
        attribution=ATTRIBUTION,
        failure_note=_metadata_note,
        dtype_backend=dtype_backend,
        stream=True,  # the token lists first (per-wallet endpoints), then slices
        first=_is_token_list,
        slice_bytes=_slice_bytes(calls),
        **API,
    )


def _wallets_of(calls: Sequence[ep.Call]) -> list[str]:
    seen: dict[str, None] = {}
    for call in calls:
        if call.endpoint != "balance.token_metadata":
            for wallet in call.context.get("wallets", ()):
                seen.setdefault(wallet)
    return list(seen)


def _tokens_of(tokens: str | Iterable[str] | None) -> list[str] | None:
    """The token list as recorded in provenance (validated, lowercase)."""
    return None if tokens is None else normalize_addresses(tokens, what="token address")


def _chains_of(calls: Sequence[ep.Call]) -> list[int]:
    return sorted({call.context["chain_id"] for call in calls})


# -- allowances -----------------------------------------------------------------------------


def _spender(spender: str | None) -> str:
    if spender is None:
        raise InputError(
            f"spender is required: the address allowed to spend, e.g. the 1inch router {ROUTER_V6}"
        )
    return normalize_address(spender, what="spender address")


def _spender_calls(
    wallets: str | Iterable[str],
    spender: str,
    chain: Any,
    tokens: str | Iterable[str] | None,
    method: str,
    keep_zero: bool,
    *,
    one_wallet: Callable[..., ep.Call],
    one_wallet_tokens: Callable[..., ep.Call],
) -> list[ep.Call]:
    check_flag("keep_zero", keep_zero)
    wallet_list = normalize_addresses(wallets, what="wallet address")
    chains = resolve_chains(chain, api="balance")
    token_list = None if tokens is None else normalize_addresses(tokens, what="token address")
    if _use_aggregated(_check_method(method), len(wallet_list), token_list):
        return _aggregated_calls(chains, spender, wallet_list, filter_empty=not keep_zero)
    calls = [metadata_call(c, wallet_list) for c in chains]
    for chain_id in chains:
        for wallet in wallet_list:
            if token_list is None:
                calls.append(one_wallet(chain_id, spender, wallet))
            else:
                calls += [
                    one_wallet_tokens(chain_id, spender, wallet, chunk)
                    for chunk in _chunks(token_list, MAX_TOKENS_PER_CALL)
                ]
    return calls


@dataclasses.dataclass(frozen=True)
class _SpenderKind:
    """What differs between the allowance loaders: endpoints, frame and which rows count."""

    name: str
    endpoint: str
    schema: FrameSchema
    converter: Callable[..., pd.DataFrame]
    one_wallet: Callable[..., ep.Call]
    one_wallet_tokens: Callable[..., ep.Call]
    keep: Callable[[pd.DataFrame], pd.Series]
    #: the converter is given the response bodies as bytes (it decodes them once)
    reads_bytes: bool = False


_ALLOWANCES = _SpenderKind(
    "allowances",
    "balance.allowances",
    fb.ALLOWANCES,
    fb.allowances_frame,
    ep.allowances,
    ep.allowances_of_tokens,
    _nonzero("allowance_raw"),
    reads_bytes=True,
)
_BALANCES_AND_ALLOWANCES = _SpenderKind(
    "balances_and_allowances",
    "balance.allowances_and_balances",
    fb.BALANCES_AND_ALLOWANCES,
    fb.balances_and_allowances_frame,
    ep.allowances_and_balances,
    ep.allowances_and_balances_of_tokens,
    lambda f: (f["balance_raw"] != "0") | (f["allowance_raw"] != "0"),
)


def _convert_spender(kind: _SpenderKind, keep_zero: bool) -> Callable[[list[Reply]], pd.DataFrame]:
    token_info = _TokenInfo()

    def convert(replies: list[Reply]) -> pd.DataFrame:
        if any(r.call.endpoint == "balance.aggregated" for r in replies):
            return _from_aggregated(replies, kind.schema, None if keep_zero else kind.keep)
        pairs = _pairs(
            replies,
            (kind.endpoint, f"{kind.endpoint}_of_tokens"),
            "chain_id",
            "wallet",
            "spender",
            raw=kind.reads_bytes,
        )
        return kind.converter(pairs, token_info=token_info(replies), keep_zero=keep_zero)

    return convert


def _load_spender(
    kind: _SpenderKind,
    wallets: str | Iterable[str],
    spender: str | None,
    chain: Any,
    *,
    tokens: str | Iterable[str] | None,
    keep_zero: bool,
    method: Method,
    client: Client | None,
    progress: bool | None,
    errors: ErrorPolicy,
    plan: bool,
    dtype_backend: DtypeBackend | None = None,
) -> pd.DataFrame | Plan:
    errors = check_loader_options(errors=errors, progress=progress, plan=plan)
    dtype_backend = check_dtype_backend(dtype_backend)
    spender = _spender(spender)
    calls = _spender_calls(
        wallets,
        spender,
        chain,
        tokens,
        method,
        keep_zero,
        one_wallet=kind.one_wallet,
        one_wallet_tokens=kind.one_wallet_tokens,
    )
    client = get_client(client)
    if plan:
        return client.plan(calls)
    convert = _convert_spender(kind, keep_zero)
    params = {
        "wallets": _wallets_of(calls),
        "spender": spender,
        "chains": _chains_of(calls),
        "tokens": _tokens_of(tokens),
        "keep_zero": keep_zero,
        "method": method,
    }
    return run_batch(
        client,
        calls,
        convert,
        errors=errors,
        progress=progress,
        endpoint=kind.name,
        frame=kind.name,
        params=params,
        attribution=ATTRIBUTION,
        failure_note=_metadata_note,
        dtype_backend=dtype_backend,
        stream=True,  # the token lists first (per-wallet endpoints), then slices
        first=_is_token_list,
        slice_bytes=_slice_bytes(calls),
        **API,
    )


@overload
def allowances(
    wallets: str | Iterable[str],
    spender: str,
    chain: int | str | Iterable[int | str] = ...,
    *,
    tokens: str | Iterable[str] | None = ...,
    keep_zero: bool = ...,
    method: Method = ...,
    client: Client | None = ...,
    progress: bool | None = ...,
    errors: ErrorPolicy = ...,
    plan: Literal[False] = ...,
    dtype_backend: DtypeBackend | None = ...,
) -> pd.DataFrame: ...
@overload
def allowances(
    wallets: str | Iterable[str],
    spender: str,
    chain: int | str | Iterable[int | str] = ...,
    *,
    tokens: str | Iterable[str] | None = ...,
    keep_zero: bool = ...,
    method: Method = ...,
    client: Client | None = ...,
    progress: bool | None = ...,
    errors: ErrorPolicy = ...,
    plan: Literal[True],
    dtype_backend: DtypeBackend | None = ...,
) -> Plan: ...


def allowances(
    wallets: str | Iterable[str],
    spender: str,
    chain: int | str | Iterable[int | str] = 1,
    *,
    tokens: str | Iterable[str] | None = None,
    keep_zero: bool = False,
    method: Method = "auto",
    client: Client | None = None,
    progress: bool | None = None,
    errors: ErrorPolicy = "raise",
    plan: bool = False,
    dtype_backend: DtypeBackend | None = None,
) -> pd.DataFrame | Plan:
    """Allowances granted to ``spender`` by one or many wallets, on one or many chains.

    One row per chain x wallet x token with ``allowance_raw`` (exact), ``allowance`` and
    ``unlimited`` (2**256-1 and the other "infinite" sentinels). Zero allowances are dropped
    unless ``keep_zero``. The native coin always reports an unlimited allowance (the API's
    convention). See :func:`balances` for ``errors``, ``progress`` and ``plan``.
    """
    return _load_spender(
        _ALLOWANCES,
        wallets,
        spender,
        chain,
        tokens=tokens,
        keep_zero=keep_zero,
        method=method,
        client=client,
        progress=progress,
        errors=errors,
        plan=plan,
        dtype_backend=dtype_backend,
    )


@overload
def balances_and_allowances(
    wallets: str | Iterable[str],
    spender: str,
    chain: int | str | Iterable[int | str] = ...,
    *,
    tokens: str | Iterable[str] | None = ...,
    keep_zero: bool = ...,
    method: Method = ...,
    client: Client | None = ...,
    progress: bool | None = ...,
    errors: ErrorPolicy = ...,
    plan: Literal[False] = ...,
    dtype_backend: DtypeBackend | None = ...,
) -> pd.DataFrame: ...
@overload
def balances_and_allowances(
    wallets: str | Iterable[str],
    spender: str,
    chain: int | str | Iterable[int | str] = ...,
    *,
    tokens: str | Iterable[str] | None = ...,
    keep_zero: bool = ...,
    method: Method = ...,
    client: Client | None = ...,
    progress: bool | None = ...,
    errors: ErrorPolicy = ...,
    plan: Literal[True],
    dtype_backend: DtypeBackend | None = ...,
) -> Plan: ...


def balances_and_allowances(
    wallets: str | Iterable[str],
    spender: str,
    chain: int | str | Iterable[int | str] = 1,
    *,
    tokens: str | Iterable[str] | None = None,
    keep_zero: bool = False,
    method: Method = "auto",
    client: Client | None = None,
    progress: bool | None = None,
    errors: ErrorPolicy = "raise",
    plan: bool = False,
    dtype_backend: DtypeBackend | None = None,
) -> pd.DataFrame | Plan:
    """Balance and allowance to ``spender`` per chain x wallet x token.

    Rows where both are zero are dropped unless ``keep_zero``. See :func:`balances`.
    """
    return _load_spender(
        _BALANCES_AND_ALLOWANCES,
        wallets,
        spender,
        chain,
        tokens=tokens,
        keep_zero=keep_zero,
        method=method,
        client=client,
        progress=progress,
        errors=errors,
        plan=plan,
        dtype_backend=dtype_backend,
    )


@overload
def aggregated_balances(
    wallets: str | Iterable[str],
    spender: str,
    chain: int | str | Iterable[int | str] = ...,
    *,
    filter_empty: bool = ...,
    keep_zero: bool = ...,
    client: Client | None = ...,
    progress: bool | None = ...,
    errors: ErrorPolicy = ...,
    plan: Literal[False] = ...,
    dtype_backend: DtypeBackend | None = ...,
) -> pd.DataFrame: ...
@overload
def aggregated_balances(
    wallets: str | Iterable[str],
    spender: str,
    chain: int | str | Iterable[int | str] = ...,
    *,
    filter_empty: bool = ...,
    keep_zero: bool = ...,
    client: Client | None = ...,
    progress: bool | None = ...,
    errors: ErrorPolicy = ...,
    plan: Literal[True],
    dtype_backend: DtypeBackend | None = ...,
) -> Plan: ...


def aggregated_balances(
    wallets: str | Iterable[str],
    spender: str,
    chain: int | str | Iterable[int | str] = 1,
    *,
    filter_empty: bool = True,
    keep_zero: bool = False,
    client: Client | None = None,
    progress: bool | None = None,
    errors: ErrorPolicy = "raise",
    plan: bool = False,
    dtype_backend: DtypeBackend | None = None,
) -> pd.DataFrame | Plan:
    """The ``aggregatedBalancesAndAllowances`` endpoint: token metadata, balance and allowance
    per chain x wallet x token, for many wallets per request.

    ``filter_empty`` asks the API to leave out tokens no wallet holds or approved; rows where
    balance and allowance are both zero are dropped unless ``keep_zero``.
    """
    errors = check_loader_options(errors=errors, progress=progress, plan=plan)
    dtype_backend = check_dtype_backend(dtype_backend)
    check_flag("filter_empty", filter_empty)
    check_flag("keep_zero", keep_zero)
    spender = _spender(spender)
    wallet_list = normalize_addresses(wallets, what="wallet address")
    calls = _aggregated_calls(
        resolve_chains(chain, api="balance"), spender, wallet_list, filter_empty=filter_empty
    )
    client = get_client(client)
    if plan:
        return client.plan(calls)

    def convert(replies: list[Reply]) -> pd.DataFrame:
        return _aggregated_rows(replies, keep_zero=keep_zero)

    return run_batch(
        client,
        calls,
        convert,
        errors=errors,
        progress=progress,
        endpoint="aggregated_balances",
        frame="aggregated",
        params={
            "wallets": wallet_list,
            "spender": spender,
            "chains": _chains_of(calls),
            "filter_empty": filter_empty,
            "keep_zero": keep_zero,
        },
        attribution=ATTRIBUTION,
        failure_note=_metadata_note,
        dtype_backend=dtype_backend,
        stream=True,  # the token lists first (per-wallet endpoints), then slices
        first=_is_token_list,
        slice_bytes=_slice_bytes(calls),
        **API,
    )
