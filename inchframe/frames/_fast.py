"""Fast paths: frames straight from response bytes, without a Python object per row (private).

Converters accept raw response bodies (``bytes``) as payloads, parsed JSON as before, or a mix.
When every payload of a batch is raw, ``balances_frame``, ``allowances_frame``,
``wallets_and_tokens_frame`` and ``aggregated_frame`` (Balance) and ``tokens_snapshot`` and
``protocols_snapshot`` (Portfolio v5.0) first try a fast path: the quote positions of compact flat
maps found with numpy, with Arrow string arrays laid over the bytes, or Arrow's JSON reader with
an explicit schema. A body that does not fit the fast path's assumptions raises :class:`NoFit`
and the whole batch is parsed (exactly, as the client does) and converted by the safe,
row-by-row path instead. Both paths give identical frames (the tests and the benchmarks check
it with ``pd.testing.assert_frame_equal``), so a fast path never decides an error message: bad
payloads always reach the safe path, which names the endpoint and the field.
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
    "flat_string_maps",
    "int_array",
    "is_raw",
    "parse_bodies",
    "parse_body",
    "read_json_objects",
    "split_raw",
    "string_array",
    "unique_per_object",
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


def parse_body(body: Any, endpoint: str) -> Any:
    """One raw body parsed as the client parses it (exact integers), or a PayloadError."""
    try:
        return loads_json(bytes(body))
    except (ValueError, RecursionError) as exc:
        raise PayloadError(endpoint, "body", f"not valid JSON: {exc}") from None


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


# ------------------------------------------------------------------ flat maps of strings

_QUOTE, _COLON, _COMMA, _OPEN, _CLOSE = (ord(c) for c in '":,{}')


def flat_string_maps(
    buffer: bytes, starts: np.ndarray, ends: np.ndarray
) -> tuple[pa.Array, pa.Array, np.ndarray]:
    """Keys, values and entry counts of the compact JSON objects ``{"k":"v",...}`` (strings
    only) at ``buffer[starts[i]:ends[i]]``, in order, without a Python object per entry.

    Raises :class:`NoFit` unless every object is exactly that: no whitespace, no escape, no
    nested value; the caller checks what the keys and values may contain. The quote positions
    give every key and value, so this is exact: an object passes only if it is rebuilt byte for
    byte from its entries.
    """
    if b"\\" in buffer:
        raise NoFit
    starts = np.asarray(starts, dtype=np.int64)
    ends = np.asarray(ends, dtype=np.int64)
    buf = np.frombuffer(buffer, dtype=np.uint8)
    quotes = np.flatnonzero(buf == _QUOTE)
    lo, hi = np.searchsorted(quotes, starts), np.searchsorted(quotes, ends)
    per_object = hi - lo
    if (per_object % 4).any():
        raise NoFit
    counts = per_object // 4
    if len(buf) and ((buf[starts] != _OPEN) | (buf[ends - 1] != _CLOSE)).any():
        raise NoFit
    empty = counts == 0
    if (ends[empty] - starts[empty] != 2).any():
        raise NoFit
    if int(counts.sum()) == 0:
        empty_str = pa.array([], type=_LARGE)
        return empty_str, empty_str, counts
    if (lo[1:] == hi[:-1]).all():  # no quote between the objects: one slice
        inside = quotes[lo[0] : hi[-1]]
    else:  # quotes of the objects only (the objects are sorted and do not overlap)
        step = np.zeros(len(quotes) + 1, dtype=np.int32)
        np.add.at(step, lo, 1)
        np.add.at(step, hi, -1)
        inside = quotes[np.cumsum(step[:-1]) > 0]
    k0, k1, v0, v1 = inside.reshape(-1, 4).T
    # inside each entry: "key":"value"
    if ((buf[k1 + 1] != _COLON) | (v0 != k1 + 2)).any():
        raise NoFit
    # between entries: exactly "," ; the first entry follows {, the last is followed by }
    first = np.zeros(len(k0), dtype=bool)
    last = np.zeros(len(k0), dtype=bool)
    ends_at = np.cumsum(counts)
    nonempty = ~empty
    first[(ends_at - counts)[nonempty]] = True
    last[(ends_at - 1)[nonempty]] = True
    if (k0[first] != starts[nonempty] + 1).any() or (v1[last] != ends[nonempty] - 2).any():
        raise NoFit
    inner = ~last
    if (
        (k0[1:][inner[:-1]] != v1[:-1][inner[:-1]] + 2) | (buf[v1[:-1][inner[:-1]] + 1] != _COMMA)
    ).any():
        raise NoFit
    # one string array over the buffer: key, ":", value, "," ... then every other element
    offsets = np.empty(4 * len(k0), dtype=np.int64)
    offsets[0::4], offsets[1::4], offsets[2::4], offsets[3::4] = k0 + 1, k1, v0 + 1, v1
    parts = pa.LargeStringArray.from_buffers(
        len(offsets) - 1, pa.py_buffer(offsets), pa.py_buffer(buffer)
    )
    n = len(k0)
    keys = parts.take(pa.array(np.arange(0, 4 * n, 4, dtype=np.int64)))
    values = parts.take(pa.array(np.arange(2, 4 * n, 4, dtype=np.int64)))
    return keys, values, counts


def unique_per_object(keys: pa.Array, counts: np.ndarray) -> bool:
    """No key repeats within one object (a repeat would collapse in a parsed dict)."""
    n = len(keys)
    if n < 2:
        return True
    segment = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    same_segment = segment[1:] == segment[:-1]
    increasing = np.asarray(
        pc.less(keys.slice(0, n - 1), keys.slice(1)).to_numpy(zero_copy_only=False), dtype=bool
    )
    if (increasing | ~same_segment).all():
        return True  # sorted within every object (token lists are): no repeats
    encoded = pc.dictionary_encode(keys)
    codes = segment * len(encoded.dictionary) + np.asarray(
        encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64
    )
    return not pd.Series(codes).duplicated().any()
