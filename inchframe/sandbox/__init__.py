"""The embedded 1inch sandbox: a real HTTP server on 127.0.0.1 speaking the Balance API v1.2 and
Portfolio API v4 / v5.0 contract (docs/api-contract.md) over a deterministic, consistent universe.

Standard library only; importing this package starts nothing and does no I/O::

    from inchframe.sandbox import Sandbox, Universe, serve

    with Sandbox(seed=7, quirks="documented") as sb:
        ...  # sb.url, sb.configure(error_rate=0.1), sb.stats()

    Universe(7).balances(1, "0x...")  # what the Balance API will report, without HTTP

See docs/sandbox.md for every option, endpoint name and universe rule.
"""

from __future__ import annotations

from .app import ENDPOINTS
from .cli import add_arguments, run
from .options import QUIRK_PRESETS, SandboxOptions
from .server import Sandbox, serve
from .universe import (
    DEFAULT_NOW,
    MAX_UINT256,
    TIMERANGES,
    Holding,
    Position,
    Token,
    Universe,
    position_index,
)

__all__ = [
    "DEFAULT_NOW",
    "ENDPOINTS",
    "MAX_UINT256",
    "QUIRK_PRESETS",
    "TIMERANGES",
    "Holding",
    "Position",
    "Sandbox",
    "SandboxOptions",
    "Token",
    "Universe",
    "add_arguments",
    "position_index",
    "run",
    "serve",
]
