"""What every loader does around its converter: send the batch, keep what arrived, record where
it came from, and apply the ``errors=`` policy to what failed.

Provenance lives in ``df.attrs["inchframe"]`` as plain JSON-able values (so pandas can copy
and compare attrs, and Parquet files can carry them): endpoint, API version, chains, request
parameters (never the key), fetch times, cache hits, request and retry counts, failures.
"""

from __future__ import annotations

import atexit
import concurrent.futures as cf
import dataclasses
import datetime as dt
import logging
import os
import threading
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from . import __version__
from .client import BatchResult, Client, Failure, NotAttemptedError, Reply
from .config import ENV
from .endpoints import Call
from .errors import (
    ApiError,
    AttributionWarning,
    BatchError,
    InputError,
    OfflineCacheMiss,
    PartialResultWarning,
    PayloadError,
    TransportError,
    user_stacklevel,
)
from .frames.schema import DtypeBackend, with_dtype_backend
from .frames.schema import check_dtype_backend as _check_dtype_backend

__all__ = [
    "ATTRS_KEY",
    "Attribution",
    "ErrorPolicy",
    "PartialResultWarning",
    "check_choice",
    "check_dtype_backend",
    "check_errors_policy",
    "check_flag",
    "check_loader_options",
    "close",
    "default_client",
    "failures_frame",
    "get_client",
    "provenance",
    "run_batch",
    "shortened",
    "shown",
]

log = logging.getLogger("inchframe")

ATTRS_KEY = "inchframe"
ErrorPolicy = Literal["raise", "warn", "ignore"]
_POLICIES = ("raise", "warn", "ignore")


# -- the default client ---------------------------------------------------------------------

_default_lock = threading.Lock()
_default_clients: dict[tuple[str | None, ...], Client] = {}


def _environment_key() -> tuple[str | None, ...]:
    names = [v for k, v in vars(ENV).items() if k.isupper()]
    return tuple(os.environ.get(name) for name in sorted(names))


def default_client() -> Client:
    """The shared :class:`Client` the loaders use when called without ``client=``.

    One per configuration: the rate limit holds across loader calls and the sandbox (when
    used) starts once. Changing an ``INCHFRAME_*`` variable gives a new default client on the
    next call. It holds a cache file and, without an API key, a sandbox thread until
    :func:`close` (also run at interpreter exit).
    """
    key = _environment_key()
    with _default_lock:
        found = _default_clients.get(key)
        if found is None:
            found = _default_clients[key] = Client()
        return found


def close() -> None:
    """Close every default client: release its cache file and stop its embedded sandbox.

    The next loader call (or :func:`default_client`) makes a new one. Clients you made yourself
    are yours to close (``with inchframe.Client() as client: ...``).
    """
    with _default_lock:
        clients = list(_default_clients.values())
        _default_clients.clear()
    for client in clients:
        client.close()


atexit.register(close)


def get_client(client: Client | None) -> Client:
    """``client`` itself, or :func:`default_client` (after checking ``client`` is a Client)."""
    if client is not None:
        if not isinstance(client, Client):
            raise InputError(f"client={client!r}: expected an inchframe.Client or None")
        return client
    return default_client()


# -- policy and failures --------------------------------------------------------------------


_SHOWN_CHARS = 80


def shown(value: Any) -> str:
    """``repr(value)`` for an error message, cut to a readable length."""
    try:
        text = repr(value)
    except Exception:  # a hostile __repr__ must not hide the real problem
        text = f"<{type(value).__name__} object>"
    text = " ".join(text.split())  # arrays and frames print on several lines
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 3] + "..."


def shortened(error: InputError, values: Iterable[Any]) -> InputError:
    """``error`` with the full repr of any of ``values`` in its message cut short (a 5 kB
    string passed as an option is named, not copied out)."""
    message = str(error)
    for value in values:
        try:
            full = repr(value)
        except Exception:
            continue
        if len(full) > _SHOWN_CHARS and full in message:
            message = message.replace(full, shown(value))
    return error if message == str(error) else InputError(message)


def check_flag(name: str, value: Any, *, optional: bool = False) -> None:
    """Raise :class:`InputError` unless ``value`` is True or False (or None if ``optional``).

    numpy booleans, 0/1, ``pd.NA`` and strings such as ``"yes"`` are refused: an option must
    say exactly what it means.
    """
    if isinstance(value, bool) or (optional and value is None):
        return
    accepted = "True, False or None" if optional else "True or False"
    raise InputError(f"{name}={shown(value)}: expected {accepted}")


def check_choice(
    name: str, value: Any, accepted: Sequence[str], *, optional: bool = False
) -> str | None:
    """``value`` when it is one of the ``accepted`` strings (or None if ``optional``).

    Anything else (another string, ``pd.NA``, a number, an array or Series...) raises
    :class:`InputError` naming the parameter, the value and what is accepted; the check never
    compares a non-string, so odd objects cannot raise their own ``TypeError``/``ValueError``.
    """
    if optional and value is None:
        return None
    if isinstance(value, str) and value in accepted:
        return value
    listed = ", ".join(repr(a) for a in accepted) + (" or None" if optional else "")
    raise InputError(f"{name}={shown(value)}: accepted values are {listed}")


def check_errors_policy(errors: Any) -> ErrorPolicy:
    """``errors`` when it is ``"raise"``, ``"warn"`` or ``"ignore"``; else :class:`InputError`."""
    return check_choice("errors", errors, _POLICIES)  # type: ignore[return-value]


def check_dtype_backend(value: Any) -> DtypeBackend | None:
    """``dtype_backend`` checked (:func:`inchframe.frames.schema.check_dtype_backend`), a long
    value's repr cut short in the message."""
    try:
        return _check_dtype_backend(value)
    except InputError as error:
        raise shortened(error, [value]) from None


def check_loader_options(*, errors: Any, progress: Any, plan: Any) -> ErrorPolicy:
    """The options every batch loader takes, checked before anything else is done."""
    policy = check_errors_policy(errors)
    check_flag("progress", progress, optional=True)
    check_flag("plan", plan)
    return policy


#: Requests that carry metadata (token symbols and decimals, identity for other frames), not the
#: asked-for data. When every *other* request of a loader call failed, nothing asked for arrived,
#: however many of these did (the CLI exits 1 then; see ``data_requests`` in the provenance).
METADATA_ENDPOINTS = frozenset({"balance.token_metadata"})


def is_data_call(call: Call) -> bool:
    """True when ``call`` carries the asked-for data (not only metadata)."""
    return call.endpoint not in METADATA_ENDPOINTS


FAILURE_COLUMNS = [
    "endpoint",
    "chain_id",
    "wallets",
    "error",
    "status",
    "message",
    "request_id",
    "request",
]


def _failure_record(failure: Failure) -> dict[str, Any]:
    call, error = failure.call, failure.error
    wallets = call.context.get("wallets") or []
    return {
        "endpoint": call.endpoint,
        "chain_id": call.context.get("chain_id"),
        "wallets": ",".join(wallets),
        "error": type(error).__name__,
        "status": error.status if isinstance(error, ApiError) else None,
        "message": str(error),
        "request_id": error.request_id if isinstance(error, ApiError) else None,
        "request": call.describe(),
    }


def failures_frame(failures: Iterable[Failure]) -> pd.DataFrame:
    """One row per failed request: endpoint, chain, wallets, error class, status, message."""
    frame = pd.DataFrame([_failure_record(f) for f in failures], columns=FAILURE_COLUMNS)
    return frame.astype({"chain_id": "Int64", "status": "Int64"})


# -- provenance -----------------------------------------------------------------------------


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def provenance(
    client: Client,
    calls: Sequence[Call],
    batch: BatchResult,
    *,
    api: str,
    api_version: str,
    endpoint: str,
    frame: str,
    params: Mapping[str, Any],
) -> dict[str, Any]:
    """The ``df.attrs["inchframe"]`` record of a loader call (JSON-able; no secrets)."""
    fetched = [r.fetched_at for r in batch.replies]
    chains = sorted({c.context["chain_id"] for c in calls if c.context.get("chain_id") is not None})
    return {
        "library": "inchframe",
        "library_version": __version__,
        "api": api,
        "api_version": api_version,
        "endpoint": endpoint,
        "frame": frame,
        "endpoints": sorted({c.endpoint for c in calls}),
        "source": "sandbox" if client.is_sandbox else "api",
        "base_url": client.base_url if not client.is_sandbox else "sandbox",
        "chains": chains,
        "params": _jsonable(params),
        "fetched_at": _iso(min(fetched)) if fetched else None,
        "fetched_until": _iso(max(fetched)) if fetched else None,
        "from_cache": all(r.from_cache for r in batch.replies) if batch.replies else False,
        "requests": len(calls),
        "data_requests": sum(1 for c in calls if is_data_call(c)),
        "requests_from_cache": batch.from_cache,
        "retries": batch.retries,
        "failures": [_failure_record(f) for f in batch.failures],
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, dt.datetime):
        return _iso(value)
    return str(value)


# -- attribution: whose rows are these? -----------------------------------------------------

#: The zero address: what the one live v5 snapshot item on record carries as its ``address``.
ZERO_WALLET = "0x" + "0" * 40


@dataclass(frozen=True)
class Attribution:
    """How a loader checks that the rows of a multi-wallet answer name wallets it asked for.

    ``endpoints``: the endpoints whose answers say per row which wallet it belongs to (the
    others describe the asked wallets as a whole, or carry the wallet in the request); None:
    every request of the loader.
    ``rows``: the rows of some replies, with a ``wallet`` column. ``split``: the same request,
    once per wallet of ``call``.
    """

    endpoints: frozenset[str] | None
    rows: Callable[[list[Reply]], pd.DataFrame]
    split: Callable[[Call], list[Call]]
    #: rows without a wallet are fine (they describe the asked wallets together, e.g. the
    #: positions of v5 protocols/metrics); only zero and foreign wallets are re-asked
    missing_ok: bool = False


#: Set by :func:`run_batch` while it converts: :func:`attributed_rows` notes there that some
#: rows did not name a wallet of the batch, so the answers are checked one by one (and
#: re-asked) only then; the common, attributed case costs no second conversion.
_unattributed_seen: ContextVar[list[bool] | None] = ContextVar(
    "inchframe_unattributed_seen", default=None
)


def _asked(call: Call) -> list[str]:
    return list(call.context.get("wallets") or ())


def _why_unattributed(reply: Reply, attribution: Attribution) -> str | None:
    """Why the rows of a multi-wallet ``reply`` cannot be given to the wallets asked (or None).

    A row is attributed when its wallet is one of the request's (addresses are compared as
    normalised: hex lowercase). Zero, absent or foreign wallets are not; an answer that cannot
    be read at all is left to the converter (it becomes a ``PayloadError`` failure).
    """
    asked = {w.lower() for w in _asked(reply.call)}
    try:
        with warnings.catch_warnings():  # the real conversion warns; this check stays quiet
            warnings.simplefilter("ignore")
            frame = attribution.rows([reply])
    except PayloadError:
        return None  # the conversion proper reports it (a failure of this request)
    if "wallet" not in frame.columns or frame.empty:
        return None
    wallets = frame["wallet"]
    if wallets.isna().any() and not attribution.missing_ok:
        return "rows without an address"
    named = {str(w).lower() for w in wallets.dropna().unique()}
    if ZERO_WALLET in named:
        return "rows with the zero address"
    foreign = named - asked
    if foreign:
        return f"rows for {len(foreign)} wallet(s) not asked for"
    return None


def reask_unattributed(
    client: Client,
    batch: BatchResult,
    attribution: Attribution,
    *,
    endpoint: str,
    progress: bool | None,
) -> list[Call]:
    """Replace every multi-wallet reply whose rows cannot be attributed by one request per
    wallet (sent as one more batch); returns the calls it sent.

    Warns (:class:`~inchframe.errors.AttributionWarning`) and logs what it re-asked.
    """
    redo: list[tuple[Reply, str]] = []
    for reply in batch.replies:
        checked = attribution.endpoints is None or reply.call.endpoint in attribution.endpoints
        if checked and len(_asked(reply.call)) > 1:
            why = _why_unattributed(reply, attribution)
            if why is not None:
                redo.append((reply, why))
    if not redo:
        return []
    calls = [c for reply, _ in redo for c in attribution.split(reply.call)]
    reasons = sorted({why for _, why in redo})
    message = (
        f"{endpoint}: {len(redo)} multi-wallet answer(s) could not be attributed "
        f"({'; '.join(reasons)}); asked again once per wallet ({len(calls)} request(s))"
    )
    log.warning(message)
    warnings.warn(message, AttributionWarning, stacklevel=user_stacklevel())
    dropped = {id(reply) for reply, _ in redo}
    batch.replies[:] = [r for r in batch.replies if id(r) not in dropped]
    extra = client.fetch_many(
        calls, progress=progress, description=f"{endpoint} (per wallet)", raw=True
    )
    batch.replies.extend(extra.replies)
    batch.failures.extend(extra.failures)
    batch.retries += extra.retries
    batch.rate_waits += extra.rate_waits
    batch.elapsed += extra.elapsed
    return calls


def _owned(wallets: pd.Series, asked: set[str], missing_ok: bool) -> pd.Series:
    """Which rows name one of the ``asked`` wallets (or none, when ``missing_ok``)."""
    text = wallets.astype("string")
    owned = text.str.lower().isin(asked).fillna(False).astype(bool)
    return owned | text.isna() if missing_ok else owned


def attributed_rows(
    rows: Callable[[list[Reply]], pd.DataFrame],
    replies: list[Reply],
    *,
    missing_ok: bool = False,
) -> pd.DataFrame:
    """``rows(replies)``, with the rows of every single-wallet answer given to the asked wallet.

    The common case costs one check: when every row names a wallet its request asked for,
    nothing changes. Otherwise (or when single-wallet answers for different wallets are mixed,
    as after a re-ask) the replies are converted one by one; a single-wallet answer's rows get its
    wallet, a multi-wallet answer's rows that name no asked wallet are dropped (the loaders
    re-ask those answers per wallet first, see :func:`reask_unattributed`).
    """
    frame = rows(replies)
    if "wallet" not in frame.columns or frame.empty:
        return frame
    asked = {w.lower() for r in replies for w in _asked(r.call)}
    # a single-wallet answer naming another wallet of the batch passes the union check: with
    # such answers among several wallets, look at each answer on its own
    singles = any(len(_asked(r.call)) == 1 for r in replies)
    owned = bool(_owned(frame["wallet"], asked, missing_ok).all())
    if not owned and (seen := _unattributed_seen.get()) is not None:
        seen.append(True)
    if owned and (not singles or len(asked) == 1):
        return frame
    parts = []
    for reply in replies:
        with warnings.catch_warnings():  # warned once already, by the conversion above
            warnings.simplefilter("ignore")
            part = rows([reply])
        wallets = _asked(reply.call)
        if len(wallets) == 1:
            part = part.assign(wallet=wallets[0]).astype({"wallet": frame["wallet"].dtype})
        elif len(part):
            mine = {w.lower() for w in wallets}
            part = part[_owned(part["wallet"], mine, missing_ok)]
        if len(part):
            parts.append(part)
    if not parts:
        return frame.iloc[0:0]
    out = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].reset_index(drop=True)
    out.attrs = dict(frame.attrs)
    return out


# -- running a loader -----------------------------------------------------------------------


def _convert_keeping_good(
    client: Client, batch: BatchResult, convert: Callable[[list[Reply]], pd.DataFrame]
) -> pd.DataFrame:
    """Convert all replies at once; if one payload is unusable, find it and keep the rest.

    Bodies are parsed here, by the converter, and nowhere before. An unusable one
    (``PayloadError``: not JSON, the wrong shape, a required field missing) leaves the cache at
    once, so a malformed 200 is never kept, and its request is sent once more, as a malformed
    body was retried before. What is still unusable becomes a failure.
    """
    try:
        return convert(batch.replies)
    except PayloadError:
        pass
    good: list[Reply] = []
    bad: list[tuple[Reply, PayloadError]] = []
    for reply in batch.replies:
        try:
            convert([reply])
        except PayloadError as exc:
            client.forget(reply.call)
            bad.append((reply, exc))
        else:
            good.append(reply)
    retries0 = client.board.retries
    retried = _ask_again(client, [reply for reply, _ in bad])
    batch.retries += client.board.retries - retries0
    for (reply, first), again in zip(bad, retried, strict=True):
        if isinstance(again, Failure):
            batch.failures.append(again)
            continue
        problem: PayloadError = first
        if again is not None:
            try:
                convert([again])
            except PayloadError as exc:
                client.forget(again.call)
                problem = exc
            else:
                good.append(again)
                continue
        batch.failures.append(Failure(reply.call, problem))
    order = {id(call): i for i, call in enumerate(r.call for r in batch.replies)}
    good.sort(key=lambda r: order.get(id(r.call), len(order)))
    batch.replies[:] = good
    return convert(good)


def _slice_size(client: Client) -> int:
    """Calls per slice of a streamed batch until the size of its bodies is known (one per
    worker); a batch of more calls than this is streamed. Later slices are sized by the bytes
    of the bodies seen (:func:`_next_slice`)."""
    return max(8, client.max_workers)


#: Bytes of bodies a streamed slice aims to hold at once. A slice's bodies are all held until it
#: is converted, however many workers send it: concurrency does not multiply the peak.
SLICE_BYTES = 32 * 2**20
#: Calls of a streamed batch's first slice, sent before the size of its bodies is known.
FIRST_SLICE = 2


def _next_slice(limit: int, sent: int, body_bytes: int, budget: int | None = None) -> int:
    """Calls in the next slice: as many bodies of the mean size seen so far as fit in
    ``budget`` (:data:`SLICE_BYTES`); at least one, and at most ``limit`` or ``sent``, whichever
    is more.

    Small bodies (one-wallet answers of some 70 kB) make slices of hundreds of calls, so the
    per-slice costs (a converter call, a ``fetch_many``, handing pages back) stay small. A
    slice is at most as many calls as all the slices before it, so its size is never guessed
    from fewer bodies than it holds (a few small answers first do not make one slice of the
    whole batch).
    """
    if not sent or not body_bytes:
        return limit
    fits = (SLICE_BYTES if budget is None else budget) * sent // body_bytes
    return max(1, min(max(limit, sent), fits))


def _release_memory() -> None:
    """Hand the pages of the bodies just freed back to the system (glibc's ``malloc_trim``).

    A body of a few MB freed by one worker thread stays in that thread's malloc arena; the next
    slice's bodies, read by other threads, land elsewhere, so the process grows by a slice at a
    time although each slice is released. Elsewhere (no glibc), nothing is done.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


_TRIM: list[Any] = []


def _malloc_trim() -> Any:
    if not _TRIM:
        found = None
        try:
            import ctypes
            import ctypes.util

            name = ctypes.util.find_library("c")
            if name and os.name == "posix":
                found = getattr(ctypes.CDLL(name), "malloc_trim", None)
                if found is not None:
                    found.argtypes, found.restype = [ctypes.c_size_t], ctypes.c_int
        except (OSError, AttributeError):
            found = None
        _TRIM.append(found)
    return _TRIM[0]


def _convert_attributed(
    client: Client,
    batch: BatchResult,
    convert: Callable[[list[Reply]], pd.DataFrame],
    attribution: Attribution | None,
    *,
    endpoint: str,
    progress: bool | None,
) -> tuple[pd.DataFrame, list[Call]]:
    """``convert`` the batch's good replies; when rows name no wallet of their request, re-ask
    those answers per wallet (:func:`reask_unattributed`) and convert again. Returns the frame
    and the calls the re-ask sent."""
    seen: list[bool] = []
    token = _unattributed_seen.set(seen)
    try:
        result = _convert_keeping_good(client, batch, convert)
        if attribution is not None and seen:
            reasked = reask_unattributed(
                client, batch, attribution, endpoint=endpoint, progress=progress
            )
            if reasked:
                return _convert_keeping_good(client, batch, convert), reasked
        return result, []
    finally:
        _unattributed_seen.reset(token)


def _add(total: BatchResult, part: BatchResult, replies: list[Reply]) -> None:
    total.replies += replies
    total.failures += part.failures
    total.retries += part.retries
    total.rate_waits += part.rate_waits
    total.elapsed += part.elapsed


def _without_bodies(replies: Iterable[Reply]) -> list[Reply]:
    # provenance needs when and whence, not the bodies
    return [dataclasses.replace(r, content=b"") for r in replies]


class _Stop:
    """``stop_after`` across the slices of a streamed batch: each slice is one ``fetch_many``,
    whose count of transport failures in a row starts again at zero. This one carries the run
    from slice to slice (in the order of the calls), so a server that stopped answering costs
    ``stop_after`` requests in all, not per slice; the calls after are not attempted."""

    def __init__(self, client: Client) -> None:
        self.limit = client.settings.stop_after
        self.run = 0
        self.last: Failure | None = None

    def tripped(self, calls: Sequence[Call], part: BatchResult) -> bool:
        """Count ``part``, the outcomes of ``calls``; True when the batch must stop."""
        if any(isinstance(f.error, NotAttemptedError) for f in part.failures):
            return True  # the slice's own count tripped
        failed = {id(f.call): f for f in part.failures if isinstance(f.error, TransportError)}
        for call in calls:
            self.last = failed.get(id(call), self.last)
            self.run = self.run + 1 if id(call) in failed else 0
        if self.limit and self.run >= self.limit:
            log.warning(
                "%d requests in a row got no answer (last: %s); the batch sends no more",
                self.run,
                self.last.error if self.last is not None else None,
            )
            return True
        return False

    def refusals(self, calls: Sequence[Call]) -> list[Failure]:
        return [
            Failure(
                call,
                NotAttemptedError(
                    f"{call.endpoint}: not attempted: the batch stopped after {self.limit} "
                    f"consecutive transport failures"
                    + (f" (last: {self.last.error})" if self.last is not None else ""),
                    method=call.method,
                    endpoint=call.endpoint,
                ),
            )
            for call in calls
        ]


def _run_streamed(
    client: Client,
    calls: Sequence[Call],
    convert: Callable[[list[Reply]], pd.DataFrame],
    progress: bool | None,
    description: str,
    attribution: Attribution | None,
    endpoint: str,
    head: Sequence[Call] = (),
    slice_bytes: int | None = None,
) -> tuple[BatchResult, pd.DataFrame, list[Call]]:
    """``fetch_many`` + convert, slice by slice, keeping the frames and dropping the bodies.

    ``head``: calls sent (and checked by ``convert``) before the slices of ``calls``; their good
    replies are held to the end and come first in every slice given to ``convert``.
    """
    from .client import PROGRESS_THRESHOLD, _progress_bar

    total = BatchResult([], [])
    first: list[Reply] = []
    stop = _Stop(client)
    stopped = False
    if head:
        batch = client.fetch_many(head, progress=False, parse=False)
        stopped = stop.tripped(head, batch)
        _convert_keeping_good(client, batch, convert)  # unusable: asked again, then a failure
        first = batch.replies
        _add(total, batch, [])
    show = client.progress if progress is None else progress
    if show is None:
        show = len(head) + len(calls) >= PROGRESS_THRESHOLD
    bar = _progress_bar(len(head) + len(calls), description, enabled=bool(show))
    if head:
        bar.update(len(head))

    def convert_slice(replies: list[Reply]) -> pd.DataFrame:
        return convert([*first, *replies]) if first else convert(replies)

    parts: list[pd.DataFrame] = []
    reasked: list[Call] = []
    limit = _slice_size(client)
    ahead = cf.ThreadPoolExecutor(max_workers=1, thread_name_prefix="inchframe-next")

    def fetch(lo: int, hi: int) -> tuple[int, int, BatchResult]:
        return lo, hi, client.fetch_many(calls[lo:hi], progress=False, parse=False)

    # the next slice is read (hits) or sent (misses) while this one is converted: at most two
    # slices of bodies are held at once, and one slice's requests are in flight
    start = 0 if stopped else min(len(calls), limit, FIRST_SLICE)
    pending: cf.Future[tuple[int, int, BatchResult]] | None = (
        ahead.submit(fetch, 0, start) if start else None
    )
    sent = body_bytes = freed = 0
    # pages go back to the system once half a slice's worth of bodies is freed (each slice of
    # full size; the small first slices together): a trim costs a few ms
    trim_at = (SLICE_BYTES if slice_bytes is None else slice_bytes) // 2
    try:
        while pending is not None:
            lo, hi, part = pending.result()
            pending = None
            stopped = stop.tripped(calls[lo:hi], part)
            received = sum(len(r.content) for r in part.replies)
            sent += len(part.replies)
            body_bytes += received
            if start < len(calls) and not stopped:
                size = _next_slice(limit, sent, body_bytes, slice_bytes)
                pending = ahead.submit(fetch, start, min(len(calls), start + size))
                start += size
            frame, extra = _convert_attributed(
                client, part, convert_slice, attribution, endpoint=endpoint, progress=False
            )
            parts.append(frame)
            reasked += extra
            _add(total, part, _without_bodies(part.replies))  # the bodies go now
            bar.update(hi - lo)
            del part, frame
            freed += received
            if freed >= trim_at or pending is None:
                _release_memory()
                freed = 0
        if start < len(calls):  # stopped: the calls not sent are not attempted
            total.failures += stop.refusals(calls[start:])
            bar.update(len(calls) - start)
        if not parts:
            parts.append(convert_slice([]))
    finally:
        if pending is not None:
            pending.cancel()
        ahead.shutdown(wait=True, cancel_futures=True)
        bar.close()
    total.replies[:0] = _without_bodies(first)  # in the order of the calls: the head first
    kept = [p for p in parts if len(p)] or parts[:1]
    frame = kept[0] if len(kept) == 1 else pd.concat(kept, ignore_index=True)
    return total, frame, reasked


def _ask_again(client: Client, replies: Sequence[Reply]) -> list[Reply | Failure | None]:
    """The requests of ``replies`` sent once more (their cache entries are gone); None where
    asking again cannot help (offline: the cache was the only source)."""
    if not replies:
        return []
    if client.settings.offline:
        return [None] * len(replies)
    for _ in replies:
        client.board.count_retry()
    again = client.fetch_many([r.call for r in replies], progress=False, parse=False)
    by_call: dict[int, Reply | Failure] = {id(r.call): r for r in again.replies}
    by_call.update({id(f.call): f for f in again.failures})
    return [by_call.get(id(r.call)) for r in replies]


def run_batch(
    client: Client,
    calls: Sequence[Call],
    convert: Callable[[list[Reply]], pd.DataFrame],
    *,
    errors: ErrorPolicy,
    progress: bool | None,
    api: str,
    api_version: str,
    endpoint: str,
    frame: str,
    params: Mapping[str, Any],
    description: str | None = None,
    attribution: Attribution | None = None,
    failure_note: Callable[[Sequence[Failure]], str | None] | None = None,
    dtype_backend: DtypeBackend | None = None,
    stream: bool = False,
    first: Callable[[Call], bool] | None = None,
    slice_bytes: int | None = None,
) -> pd.DataFrame:
    """Send ``calls``, convert the replies to one frame, attach provenance, apply ``errors``.

    ``stream``: ``convert`` works on any run of consecutive replies and the frames of the runs
    concatenate to the frame of the whole (no reply depends on another). The calls are then
    sent in slices sized by the bytes of their bodies (:func:`_next_slice`); each slice's
    bodies are converted as soon as it has arrived and released, so the peak memory is the
    frame plus one slice of bodies, whatever the number of wallets. ``first``: the calls whose
    answers every other needs to be converted (the token lists behind symbols and decimals).
    When streamed, they are sent first, as one batch (an unusable answer asked again, then a
    failure), and their good replies are held to the end and passed to ``convert`` ahead of
    every slice's; ``convert`` must then give no rows of its own for them. ``slice_bytes``: the
    bodies a slice aims to hold (default :data:`SLICE_BYTES`); less when the converter's
    working set is many times its bodies.

    ``frame`` names the frame's schema (``"balances"``, ``"tokens_snapshot"``...) so Parquet
    files can restore it. ``attribution``: when the converted rows name wallets the batch did
    not ask for (zero, none, foreign), the multi-wallet answers are checked one by one and
    those at fault re-asked per wallet (:func:`reask_unattributed`), then converted again
    (slice by slice when streamed). ``failure_note``: what the failures mean for the frame
    beyond missing rows (added to the warning and the error). ``dtype_backend`` (pandas'
    convention: None, ``"numpy_nullable"``, ``"pyarrow"``) is checked before any request and
    applied to the frame at the end.
    """
    dtype_backend = check_dtype_backend(dtype_backend)
    # parse=False: replies hold the bodies as received; each is parsed once, by its converter
    check_flag("progress", progress, optional=True)
    head = [c for c in calls if first(c)] if first is not None else []
    rest = [c for c in calls if not first(c)] if first is not None else calls
    if stream and len(rest) > _slice_size(client):
        batch, converted, reasked = _run_streamed(
            client,
            rest,
            convert,
            progress,
            description or endpoint,
            attribution,
            endpoint,
            head,
            slice_bytes,
        )
    else:
        batch = client.fetch_many(
            calls, progress=progress, description=description or endpoint, parse=False
        )
        converted, reasked = _convert_attributed(
            client, batch, convert, attribution, endpoint=endpoint, progress=progress
        )
    calls = [*calls, *reasked]
    result = with_dtype_backend(converted, dtype_backend)
    if dtype_backend is not None:
        params = {**params, "dtype_backend": dtype_backend}
    result.attrs[ATTRS_KEY] = provenance(
        client,
        calls,
        batch,
        api=api,
        api_version=api_version,
        endpoint=endpoint,
        frame=frame,
        params=params,
    )
    if not batch.failures:
        return result
    note = failure_note(batch.failures) if failure_note is not None else None
    if errors == "raise":
        misses = [f.error for f in batch.failures if isinstance(f.error, OfflineCacheMiss)]
        if len(misses) == len(batch.failures):
            raise OfflineCacheMiss([url for miss in misses for url in miss.missing], frame=result)
        error = BatchError(result, failures_frame(batch.failures), total=len(calls))
        if note:
            error.args = (f"{error.args[0]}; {note}",)
        raise error
    if errors == "warn":
        kinds = sorted({type(f.error).__name__ for f in batch.failures})
        warnings.warn(
            f"{endpoint}: {len(batch.failures)} of {len(calls)} request(s) failed "
            f"({', '.join(kinds)}); the frame holds the {len(result)} row(s) that arrived and "
            f'df.attrs["inchframe"]["failures"] lists the rest' + (f"; {note}" if note else ""),
            PartialResultWarning,
            stacklevel=user_stacklevel(),
        )
    return result
