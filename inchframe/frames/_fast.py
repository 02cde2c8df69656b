"""Fast path of the Portfolio v5.0 snapshot converters: frames read from the bytes (private).

When every payload of a batch is a raw body, ``tokens_snapshot`` and ``protocols_snapshot``
first read the bodies with Arrow's JSON reader and an explicit schema (no Python object per
row). A body outside what the reader can decide (an absent field Arrow reads as null, a
precedence between two fields...) raises :class:`NoFit`, and the batch is parsed (exactly, as
the client parses) for the row-by-row converter; both give identical frames (the tests and the
benchmarks check it), so the fast path never decides an error message. The Balance converters
have one engine (see :mod:`inchframe.frames._decode`); merging these two is left to do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._json import loads_json
from ..errors import PayloadError

__all__ = [
    "RAW_TYPES",
    "NoFit",
    "ascii_addresses",
    "bool_array",
    "int_array",
    "is_raw",
    "parse_bodies",
    "read_json_objects",
    "split_raw",
    "string_array",
]

#: Payload types taken as raw response bodies.
RAW_TYPES = (bytes, bytearray, memoryview)
_LARGE = pa.large_string()
#: Characters Python's ``str.strip()`` may remove from an ASCII string (and a few more).
_EDGE_SPACE_RE2 = r"^[\x00-\x20]|[\x00-\x20]$"
_MIN_BLOCK = 1 << 22


class NoFit(Exception):
    """A payload is outside what a fast path handles; the caller takes the safe path."""


def is_raw(payload: Any) -> bool:
    return isinstance(payload, RAW_TYPES)


def split_raw(responses: Iterable[Any]) -> tuple[Any, bool]:
    """The batch as a list, and whether every payload is a raw body (an empty batch is not).

    Anything that is not an iterable of pairs is handed back as it is, for the safe path to
    reject with its own message.
    """
    if isinstance(responses, (Mapping, str, *RAW_TYPES)):
        return responses, False
    pairs = [tuple(p) if isinstance(p, (tuple, list)) and len(p) == 2 else p for p in responses]
    raw = bool(pairs) and all(isinstance(p, tuple) and len(p) == 2 and is_raw(p[1]) for p in pairs)
    return pairs, raw


def parse_bodies(pairs: Any, endpoint: str) -> Any:
    """The batch with its raw bodies parsed as the client parses them (exact integers);
    anything that is not a list of pairs is handed back for the safe path to reject."""
    if not isinstance(pairs, list) or not any(
        isinstance(p, tuple) and len(p) == 2 and is_raw(p[1]) for p in pairs
    ):
        return pairs
    out: list[Any] = []
    for pair in pairs:
        if isinstance(pair, tuple) and len(pair) == 2 and is_raw(pair[1]):
            try:
                payload = loads_json(bytes(pair[1]))
            except ValueError as exc:
                raise PayloadError(endpoint, "body", f"not valid JSON: {exc}") from None
            out.append((pair[0], payload))
        else:
            out.append(pair)
    return out


def _first_byte(body: bytes) -> bytes:
    for i in range(min(len(body), 64)):
        b = body[i : i + 1]
        if b not in b" \t\r\n":
            return b
    return b""


def read_json_objects(
    bodies: Sequence[bytes],
    schema: pa.Schema,
    *,
    wrap_arrays: str | None = None,
    exact: bool = True,
) -> pa.Table:
    """One row per body, read by Arrow's JSON reader with ``schema`` (other top-level fields
    are inferred and may be ignored by the caller).

    A body that is a JSON array is read as ``{wrap_arrays: body}`` when ``wrap_arrays`` is set.
    Raises :class:`NoFit` when a body is not one JSON object, when Arrow cannot read it with the
    schema's types, or (``exact``) when a nested object carries a field the schema does not
    list; with ``exact=False`` such fields are inferred and the caller checks them.
    """
    import pyarrow.json as pj

    parts: list[bytes] = []
    newlines = False
    longest = 0
    for body in bodies:
        data = bytes(body)
        first = _first_byte(data)
        if first == b"[" and wrap_arrays is not None:
            data = b'{"' + wrap_arrays.encode() + b'":' + data + b"}"
        elif first != b"{":
            raise NoFit
        newlines = newlines or b"\n" in data or b"\r" in data
        longest = max(longest, len(data))
        parts.append(data)
    joined = b"\n".join(parts)
    block = max(_MIN_BLOCK, longest + 1)
    try:
        table = pj.read_json(
            pa.BufferReader(joined),
            read_options=pj.ReadOptions(block_size=block, use_threads=True),
            parse_options=pj.ParseOptions(
                explicit_schema=schema,
                unexpected_field_behavior="infer",
                newlines_in_values=newlines,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        raise NoFit from None
    if table.num_rows != len(parts):
        raise NoFit
    for field in schema if exact else ():
        if table.schema.field(field.name).type != field.type:
            raise NoFit  # an unknown nested field was inferred: the safe path keeps it
    return table


def ascii_addresses(arr: pa.Array, *, required: bool) -> pa.Array:
    """``value.strip().lower()`` of address strings, when that is plain ASCII lowering."""
    if required and arr.null_count:
        raise NoFit
    if len(arr) == arr.null_count:
        return arr
    if not pc.all(pc.string_is_ascii(arr)).as_py():
        raise NoFit
    if pc.any(pc.match_substring_regex(arr, _EDGE_SPACE_RE2)).as_py():
        raise NoFit
    return pc.ascii_lower(arr)


def string_array(arr: pa.Array | pa.ChunkedArray) -> pd.api.extensions.ExtensionArray:
    """A pandas Arrow-backed string array (``large_string`` storage, like ``pd.array``)."""
    if arr.type != _LARGE:
        arr = arr.cast(_LARGE)
    return pd.arrays.ArrowStringArray(arr)


def int_array(arr: pa.Array) -> pd.api.extensions.ExtensionArray:
    """A nullable ``Int64`` array."""
    values = np.asarray(arr.fill_null(0).to_numpy(zero_copy_only=False), dtype=np.int64)
    mask = np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    return pd.arrays.IntegerArray(values, mask)


def bool_array(arr: pa.Array) -> pd.api.extensions.ExtensionArray:
    """A nullable ``boolean`` array."""
    values = np.asarray(arr.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
    mask = np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    return pd.arrays.BooleanArray(values, mask)
