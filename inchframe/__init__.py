"""inchframe: 1inch Balance and Portfolio API data as tidy pandas frames.

>>> import inchframe as ifr
>>> bal = ifr.balances(["0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045"], chain=["ethereum", "base"])
>>> pos = ifr.portfolio.tokens_snapshot(wallets)

Importing inchframe does no I/O, opens no socket and does not import matplotlib; heavier
modules load on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "ApiError",
    "AttributionWarning",
    "AuthError",
    "BadRequestError",
    "BatchError",
    "CacheError",
    "Client",
    "ConfigError",
    "InchframeError",
    "InchframeWarning",
    "InputError",
    "NotFoundError",
    "OfflineCacheMiss",
    "PartialResultWarning",
    "PayloadError",
    "RateLimitError",
    "SandboxWarning",
    "ServerError",
    "TransportError",
    "UnknownChainWarning",
    "UnknownFieldsWarning",
    "__version__",
    "aggregated_balances",
    "allowances",
    "balances",
    "balances_and_allowances",
    "cache_info",
    "clear_cache",
    "close",
    "dask",
    "default_client",
    "doctor",
    "export",
    "portfolio",
    "read_delta",
    "read_failures",
    "read_parquet",
    "sandbox",
]

#: public name -> module that defines it (imported on first access)
_LAZY = {
    "Client": "inchframe.client",
    "balances": "inchframe.balance",
    "allowances": "inchframe.balance",
    "balances_and_allowances": "inchframe.balance",
    "aggregated_balances": "inchframe.balance",
    "cache_info": "inchframe.cache",
    "clear_cache": "inchframe.cache",
    "close": "inchframe._loading",
    "default_client": "inchframe._loading",
    "read_parquet": "inchframe.io",
    "read_delta": "inchframe.io",
    "export": "inchframe.exports",
    "read_failures": "inchframe.exports",
    "doctor": "inchframe.checkup",
}
_SUBMODULES = {"portfolio", "sandbox", "dask"}

from . import accessor as _accessor  # noqa: E402, F401 - registers df.inch (imports only pandas)
from .errors import (  # noqa: E402 - the light, dependency-free part of the API
    ApiError,
    AttributionWarning,
    AuthError,
    BadRequestError,
    BatchError,
    CacheError,
    ConfigError,
    InchframeError,
    InchframeWarning,
    InputError,
    NotFoundError,
    OfflineCacheMiss,
    PartialResultWarning,
    PayloadError,
    RateLimitError,
    SandboxWarning,
    ServerError,
    TransportError,
    UnknownChainWarning,
    UnknownFieldsWarning,
)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"inchframe.{name}")
    raise AttributeError(f"module 'inchframe' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:
    from . import dask, portfolio, sandbox
    from ._loading import close, default_client
    from .balance import aggregated_balances, allowances, balances, balances_and_allowances
    from .cache import cache_info, clear_cache
    from .checkup import doctor
    from .client import Client
    from .exports import export, read_failures
    from .io import read_delta, read_parquet
