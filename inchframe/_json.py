"""Parsing JSON response bodies exactly, as fast as the installed parsers allow (private)."""

from __future__ import annotations

import json
from typing import Any

try:  # optional: about 2.5x faster than json on Portfolio bodies
    import orjson as _orjson
except ImportError:  # pragma: no cover - orjson is not a dependency
    _orjson = None  # type: ignore[assignment]

__all__ = ["loads_json"]

#: Maps every digit to "1" and every other byte to "0", to find long runs of digits.
_DIGIT_RUNS = bytes(0x31 if 0x30 <= b <= 0x39 else 0x30 for b in range(256))


#: Bytes after which a run of digits starts a JSON number (outside strings), and the minus sign.
_NUMBER_STARTS = frozenset(b"[:, \t\r\n")
_MINUS = 0x2D
_LONG_RUN = b"1" * 19


def has_long_integer(content: bytes) -> bool:
    """Whether ``content`` may hold a JSON integer of 19 digits or more.

    Runs of digits inside strings (hex addresses: ``0x000...01``) or after a decimal point (a
    float's fraction) are not integers; a run that starts after ``[``, ``:``, ``,`` or
    whitespace (and an optional minus) may be. False positives only cost speed.
    """
    digits = content.translate(_DIGIT_RUNS)
    start = digits.find(_LONG_RUN)
    while start != -1:
        before = start - 1
        if before >= 0 and content[before] == _MINUS:
            before -= 1
        if before < 0 or content[before] in _NUMBER_STARTS:
            return True
        end = digits.find(b"0", start)
        if end == -1:
            return False
        start = digits.find(_LONG_RUN, end)
    return False


def loads_json(content: bytes) -> Any:
    """``json.loads``, with orjson doing the work when it gives the same result.

    orjson turns integers outside [-2**63, 2**64) into floats, and json keeps them exact (the
    Balance API's uint256 amounts), so a body that may hold an integer of 19 digits or more goes
    to json; so does anything orjson rejects (NaN, lone surrogates, ...), so errors are json's
    own.

    Every failure is a ``ValueError``: json's ``RecursionError`` on a body nested deeper than
    the interpreter's stack allows (orjson refuses more than 1,024 levels, and json then meets
    the recursion limit) becomes one too, so that callers treat it as the malformed body it is.
    """
    if _orjson is not None and not has_long_integer(content):
        try:
            return _orjson.loads(content)
        except _orjson.JSONDecodeError as exc:
            if str(exc).startswith("depth limit exceeded"):
                # deeper than 1,024 levels: json would fail too, after recursing to the
                # interpreter's limit (where a finalizer run by the GC cannot even be reported)
                raise ValueError("the JSON is nested too deeply to parse") from None
    try:
        return json.loads(content)
    except RecursionError:
        raise ValueError("the JSON is nested too deeply to parse") from None
