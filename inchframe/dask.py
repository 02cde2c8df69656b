"""Dask dataframes from the loaders: ``inchframe.dask.balances(wallets, chain=...)`` and the same
for every loader that takes wallets (``inchframe.dask.tokens_snapshot``,
``inchframe.dask.portfolio.v4.tokens_details``...).

Each returns a lazy ``dask.dataframe`` built with ``dd.from_map`` over the request plan's wallet
chunks (what ``plan=True`` shows), with ``meta`` from the documented schema
(:mod:`inchframe.frames.schema`). A partition runs the normal loader for its chunk inside the
worker, through a client with the driver client's configuration: the same cache directory and
rate settings (and the shared rate budget where the configuration provides one). The API key is
never shipped to workers: they read it from their own environment (``INCHFRAME_API_KEY``); a
sandbox client's placeholder key is the exception. See docs/dask.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pandas as pd

from ._workers import WorkerConfig, client_config, worker_client
from .errors import InputError

__all__ = ["client_config", "from_loader", "partitions", "worker_client"]

_RESERVED = ("plan", "progress", "client")


def partitions(loader: Any, wallets: Any, *, client: Any = None, **args: Any) -> list[list[str]]:
    """The wallet chunks of the loader's request plan, in plan order (one per partition)."""
    from ._loading import get_client
    from .exports import resolve_loader

    _, func = resolve_loader(loader)
    plan = func(wallets, **args, client=get_client(client), plan=True)
    seen: dict[tuple[str, ...], None] = {}
    for call in plan.calls:
        if call.endpoint == "balance.token_metadata":
            continue
        chunk = tuple(call.context.get("wallets") or ())
        if chunk:
            seen.setdefault(chunk)
    return [list(chunk) for chunk in seen]


@dataclass(frozen=True)
class _Chunk:
    """One partition's wallets (wrapped: from_map would unpack a bare list into arguments)."""

    wallets: tuple[str, ...]


def _load_partition(
    chunk: _Chunk, loader: str, loader_args: dict[str, Any], config: WorkerConfig, errors: str
) -> pd.DataFrame:
    from .exports import _frame_schema, resolve_loader

    name, func = resolve_loader(loader)
    frame = func(
        list(chunk.wallets),
        **loader_args,
        client=worker_client(config),
        progress=False,
        errors=errors,
    )
    schema = _frame_schema(name)
    if schema is not None:
        from .frames.schema import with_dtype_backend

        frame = schema.conform(frame)[list(schema.names)]
        frame = with_dtype_backend(frame, loader_args.get("dtype_backend"))
    frame.attrs = {}
    return frame.reset_index(drop=True)


def from_loader(
    loader: str | Callable[..., Any],
    wallets: str | Iterable[str],
    *,
    client: Any = None,
    errors: str = "raise",
    **args: Any,
) -> Any:
    """A ``dask.dataframe`` of ``loader`` over ``wallets``: one partition per wallet chunk of the
    request plan. ``args`` go to the loader (``chain=``, ``spender=``...), validated here before
    anything is sent. ``errors``: the loader's policy inside each partition (``"raise"`` fails
    the computation on a failed request). Frames that sum over their wallets (current value,
    charts, profit and loss) come as one aggregate per partition: group and sum them."""
    import dask.dataframe as dd

    from ._loading import check_errors_policy, get_client
    from .exports import _frame_schema, pinned_args, resolve_loader

    name, func = resolve_loader(loader)
    reserved = sorted(set(args) & set(_RESERVED))
    if reserved:
        raise InputError(f"{', '.join(reserved)}= cannot be passed to inchframe.dask loaders")
    check_errors_policy(errors)
    client = get_client(client)
    chunks = partitions(name, wallets, client=client, **args)
    total = sum(len(c) for c in chunks)
    call_args = pinned_args(func, args, total)
    schema = _frame_schema(name)
    meta = None
    if schema is not None:
        from .frames.schema import check_dtype_backend, empty_frame, with_dtype_backend

        # the partitions' dtypes: the schema's, under the dtype_backend the loader is given
        backend = check_dtype_backend(args.get("dtype_backend"))
        meta = with_dtype_backend(empty_frame(schema), backend)
    return dd.from_map(
        _load_partition,
        [_Chunk(tuple(c)) for c in chunks],
        loader=name,
        loader_args=call_args,
        config=client_config(client),
        errors=errors,
        meta=meta,
        label=f"inchframe-{name.replace('.', '-')}",
        enforce_metadata=False,
    )


def _loader_function(name: str) -> Callable[..., Any]:
    def load(wallets: str | Iterable[str], *args: Any, **kwargs: Any) -> Any:
        from .exports import export_loaders

        params = [p for p in _signature_names(export_loaders()[name])[1:] if p not in _RESERVED]
        if len(args) > len(params):
            raise InputError(f"{name}() takes at most {len(params)} positional argument(s)")
        kwargs.update(zip(params, args, strict=False))
        return from_loader(name, wallets, **kwargs)

    load.__name__ = name.rsplit(".", 1)[-1]
    load.__qualname__ = load.__name__
    load.__doc__ = f"``inchframe.{name}`` as a dask dataframe (see :func:`from_loader`)."
    return load


def _signature_names(func: Callable[..., Any]) -> list[str]:
    import inspect

    return list(inspect.signature(func).parameters)


def __getattr__(name: str) -> Any:
    from .exports import export_loaders

    loaders = export_loaders()
    if name == "portfolio":
        v5 = {k.split(".")[1]: _loader_function(k) for k in loaders if k.count(".") == 1}
        v4 = {
            k.split(".")[2]: _loader_function(k) for k in loaders if k.startswith("portfolio.v4.")
        }
        space = SimpleNamespace(**v5, v4=SimpleNamespace(**v4))
        globals()[name] = space
        return space
    for candidate in (name, f"portfolio.{name}"):
        if candidate in loaders:
            func = _loader_function(candidate)
            globals()[name] = func
            return func
    raise AttributeError(f"module 'inchframe.dask' has no attribute {name!r}")
