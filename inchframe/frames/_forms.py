"""Which documented form a payload took: a recorder the converters report to.

The converters accept several forms where the sources disagree (``chain`` or ``chain_id``, an
envelope ``{"result": ...}`` or a bare list, ``meta.system`` or a top-level ``system``...). They
call :func:`observe` at each such place; nothing is recorded unless a caller (``inchframe
doctor``) opened :func:`recording`, so the cost outside it is one context-variable lookup.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterable, Iterator
from contextvars import ContextVar

__all__ = ["attribution", "observe", "recording"]

_RECORDER: ContextVar[Counter[tuple[str, str]] | None] = ContextVar("inchframe_forms", default=None)


def observe(question: str, form: str) -> None:
    """Note that the payload being converted answered ``question`` with ``form``."""
    recorder = _RECORDER.get()
    if recorder is not None:
        recorder[(question, form)] += 1


@contextlib.contextmanager
def recording() -> Iterator[Counter[tuple[str, str]]]:
    """Collect ``(question, form) -> count`` of the conversions run inside the block."""
    recorder: Counter[tuple[str, str]] = Counter()
    token = _RECORDER.set(recorder)
    try:
        yield recorder
    finally:
        _RECORDER.reset(token)


def attribution(address: str | None, asked: Iterable[str]) -> str:
    """How an item's ``address`` relates to the wallets asked for (for ``observe``)."""
    if address is None:
        return "absent"
    if set(address[2:]) == {"0"}:
        return "zero address"
    return "an asked wallet" if address in {a.lower() for a in asked} else "a wallet not asked for"
