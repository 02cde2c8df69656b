"""What every loader does around its converter: send the batch, keep what arrived, record where
it came from, and apply the ``errors=`` policy to what failed.

Provenance lives in ``df.attrs["inchframe"]`` as plain JSON-able values (so pandas can copy
and compare attrs, and Parquet files can carry them): endpoint, API version, chains, request
parameters (never the key), fetch times, cache hits, request and retry counts, failures.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import threading
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal

import pandas as pd

from . import __version__
from .client import BatchResult, Client, Failure, Reply
from .config import ENV
from .endpoints import Call
from .errors import (
    ApiError,
    BatchError,
    InputError,
    OfflineCacheMiss,
    PartialResultWarning,
    PayloadError,
    user_stacklevel,
)
from .frames.schema import DtypeBackend, check_dtype_backend, with_dtype_backend

__all__ = [
    "ATTRS_KEY",
    "ErrorPolicy",
    "PartialResultWarning",
    "check_errors_policy",
    "check_flag",
    "failures_frame",
    "get_client",
    "provenance",
    "run_batch",
]

ATTRS_KEY = "inchframe"
ErrorPolicy = Literal["raise", "warn", "ignore"]
_POLICIES = ("raise", "warn", "ignore")


# -- the default client ---------------------------------------------------------------------

_default_lock = threading.Lock()
_default_clients: dict[tuple[str | None, ...], Client] = {}


def _environment_key() -> tuple[str | None, ...]:
    names = [v for k, v in vars(ENV).items() if k.isupper()]
    return tuple(os.environ.get(name) for name in sorted(names))


def get_client(client: Client | None) -> Client:
    """``client`` itself, or the default client for the current environment.

    Loaders called without ``client=`` share one client per configuration, so the rate limit
    holds across calls and the sandbox (when used) starts once. Changing an ``INCHFRAME_*``
    variable gives a new default client on the next call.
    """
    if client is not None:
        if not isinstance(client, Client):
            raise InputError(f"client={client!r}: expected an inchframe.Client or None")
        return client
    key = _environment_key()
    with _default_lock:
        found = _default_clients.get(key)
        if found is None:
            found = _default_clients[key] = Client()
        return found


# -- policy and failures --------------------------------------------------------------------


def check_flag(name: str, value: Any, *, optional: bool = False) -> None:
    """Raise :class:`InputError` unless ``value`` is True or False (or None if ``optional``)."""
    if isinstance(value, bool) or (optional and value is None):
        return
    accepted = "True, False or None" if optional else "True or False"
    raise InputError(f"{name}={value!r}: expected {accepted}")


def check_errors_policy(errors: str) -> ErrorPolicy:
    if errors not in _POLICIES:
        raise InputError(f"errors={errors!r}: accepted values are {', '.join(_POLICIES)}")
    return errors  # type: ignore[return-value]


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
    """Calls per slice of a streamed batch: one per worker, so concurrency does not multiply
    the bodies held at once."""
    return max(8, client.max_workers)


def _run_streamed(
    client: Client,
    calls: Sequence[Call],
    convert: Callable[[list[Reply]], pd.DataFrame],
    progress: bool | None,
    description: str,
) -> tuple[BatchResult, pd.DataFrame]:
    """``fetch_many`` + convert, slice by slice, keeping the frames and dropping the bodies."""
    from .client import PROGRESS_THRESHOLD, _progress_bar

    show = client.progress if progress is None else progress
    if show is None:
        show = len(calls) >= PROGRESS_THRESHOLD
    bar = _progress_bar(len(calls), description, enabled=bool(show))
    total = BatchResult([], [])
    parts: list[pd.DataFrame] = []
    size = _slice_size(client)
    try:
        for start in range(0, len(calls), size):
            part = client.fetch_many(calls[start : start + size], progress=False, parse=False)
            parts.append(_convert_keeping_good(client, part, convert))
            # provenance needs when and whence, not the bodies: let them go now
            total.replies += [dataclasses.replace(r, content=b"") for r in part.replies]
            total.failures += part.failures
            total.retries += part.retries
            total.rate_waits += part.rate_waits
            total.elapsed += part.elapsed
            bar.update(len(part.replies) + len(part.failures))
            del part
    finally:
        bar.close()
    kept = [p for p in parts if len(p)] or parts[:1]
    frame = kept[0] if len(kept) == 1 else pd.concat(kept, ignore_index=True)
    return total, frame


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
    dtype_backend: DtypeBackend | None = None,
    stream: bool = False,
) -> pd.DataFrame:
    """Send ``calls``, convert the replies to one frame, attach provenance, apply ``errors``.

    ``stream``: ``convert`` works on any run of consecutive replies and the frames of the runs
    concatenate to the frame of the whole (no reply depends on another). The calls are then
    sent in slices of a few times the client's concurrency; each slice's bodies are converted
    as soon as it has arrived and released, so the peak memory is the frame plus one slice of
    bodies, whatever the number of wallets.

    ``frame`` names the frame's schema (``"balances"``, ``"tokens_snapshot"``...) so Parquet
    files can restore it. ``dtype_backend`` (pandas' convention: None, ``"numpy_nullable"``,
    ``"pyarrow"``) is checked before any request and applied to the frame at the end.
    """
    dtype_backend = check_dtype_backend(dtype_backend)
    # parse=False: replies hold the bodies as received; each is parsed once, by its converter
    check_flag("progress", progress, optional=True)
    if stream and len(calls) > _slice_size(client):
        batch, converted = _run_streamed(client, calls, convert, progress, description or endpoint)
    else:
        batch = client.fetch_many(
            calls, progress=progress, description=description or endpoint, parse=False
        )
        converted = _convert_keeping_good(client, batch, convert)
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
    if errors == "raise":
        misses = [f for f in batch.failures if isinstance(f.error, OfflineCacheMiss)]
        if len(misses) == len(batch.failures):
            raise OfflineCacheMiss([url for f in misses for url in f.error.missing], frame=result)
        raise BatchError(result, failures_frame(batch.failures), total=len(calls))
    if errors == "warn":
        kinds = sorted({type(f.error).__name__ for f in batch.failures})
        warnings.warn(
            f"{endpoint}: {len(batch.failures)} of {len(calls)} request(s) failed "
            f"({', '.join(kinds)}); the frame holds the {len(result)} row(s) that arrived and "
            f'df.attrs["inchframe"]["failures"] lists the rest',
            PartialResultWarning,
            stacklevel=user_stacklevel(),
        )
    return result
