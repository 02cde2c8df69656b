"""Response bodies decoded once, exactly, into the shape each converter reads (private).

Every converter accepts parsed JSON or raw response bodies (``bytes``). A raw body is decoded
here with msgspec, typed when the converter gives the shape the API sends (``dict[str, str]``
for a balance map: no Python object is made for a JSON value of another type, and the check
is done in C), untyped otherwise. A body outside the typed shape (a number where a string was
expected, a null...) is decoded again untyped, exactly as the client parses (integers of any
size stay exact), and the converter's own checks accept it or name the field: the shape only
makes the common case fast, it never decides what is accepted. There is one converter per
endpoint family; this module only turns bytes into what it reads.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from .._json import loads_json
from ..errors import PayloadError

__all__ = ["ADDRESS_KEY", "RAW_TYPES", "Decoder", "decode", "is_raw"]

#: Payload types taken as raw response bodies.
RAW_TYPES = (bytes, bytearray, memoryview)

#: A map key that can be an address (``0x`` + 40 hex digits: 42 characters); the digits are
#: checked by the converter, vectorised.
ADDRESS_KEY = Annotated[str, msgspec.Meta(min_length=42, max_length=42)]

Decoder = msgspec.json.Decoder

_UNTYPED = msgspec.json.Decoder()


def is_raw(payload: Any) -> bool:
    return isinstance(payload, RAW_TYPES)


def decode(body: Any, endpoint: str, decoder: Decoder[Any] | None = None) -> Any:
    """``body`` decoded: with ``decoder`` when it fits that shape, else exactly as the client
    parses it; a body that is not JSON is a :class:`PayloadError`."""
    if isinstance(body, memoryview) and not body.c_contiguous:
        body = body.tobytes()  # msgspec reads contiguous buffers only
    if decoder is not None:
        try:
            return decoder.decode(body)
        except msgspec.ValidationError:
            pass  # another shape: decoded untyped below, for the converter to judge
        except msgspec.DecodeError:
            return _exact(body, endpoint)  # json's own verdict and message
    try:
        value = _UNTYPED.decode(body)
    except (msgspec.DecodeError, RecursionError):  # msgspec recurses on nesting: json's verdict
        return _exact(body, endpoint)
    return value


def _exact(body: Any, endpoint: str) -> Any:
    try:
        return loads_json(bytes(body))
    except (ValueError, RecursionError) as exc:
        raise PayloadError(endpoint, "body", f"not valid JSON: {exc}") from None
