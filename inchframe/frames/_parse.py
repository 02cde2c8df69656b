"""Tolerant reading of response payloads, shared by the converters.

The 1inch APIs have drifted (REFERENCE section 6): lists arrive bare or in a ``{result}``
envelope, ``system`` sits at the top level or under ``meta``, snapshot items say ``chain`` or
``chain_id``. These helpers accept every recorded form and turn a missing required field into a
:class:`~inchframe.errors.PayloadError` that names the endpoint and the field, never a KeyError.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import PayloadError, UnknownFieldsWarning
from ._forms import observe

__all__ = [
    "UnknownFieldsWarning",
    "expect_list",
    "expect_mapping",
    "first_present",
    "meta_of",
    "require",
    "unwrap_result",
    "warn_unknown_fields",
]


def unwrap_result(payload: Any, endpoint: str) -> Any:
    """The ``result`` of an enveloped payload, or the payload itself when it is bare."""
    if isinstance(payload, Mapping) and "result" in payload:
        observe("envelope", "{result: ...}")
        return payload["result"]
    observe("envelope", "bare " + type(payload).__name__)
    if isinstance(payload, Mapping) and "detail" in payload and len(payload) == 1:
        raise PayloadError(endpoint, "result", f"got an error body instead: {payload['detail']!r}")
    return payload


def meta_of(payload: Any) -> dict[str, Any]:
    """``meta`` of an enveloped payload, with a top-level ``system`` (2024 form) folded in."""
    if not isinstance(payload, Mapping):
        return {}
    meta = dict(payload.get("meta") or {})
    if "system" in meta:
        observe("system location", "meta.system")
    elif "system" in payload:
        observe("system location", "top-level system")
    else:
        observe("system location", "absent")
    if "system" in payload and "system" not in meta:
        meta["system"] = payload["system"]
    return meta


def expect_list(value: Any, endpoint: str, field: str) -> list[Any]:
    """``value`` as a list, or a PayloadError naming ``field``."""
    if isinstance(value, list):
        return value
    raise PayloadError(endpoint, field, f"expected a list, got {type(value).__name__}")


def expect_mapping(value: Any, endpoint: str, field: str) -> Mapping[str, Any]:
    """``value`` as a mapping, or a PayloadError naming ``field``."""
    if isinstance(value, Mapping):
        return value
    raise PayloadError(endpoint, field, f"expected an object, got {type(value).__name__}")


def require(item: Mapping[str, Any], name: str, endpoint: str, where: str) -> Any:
    """``item[name]``, or a PayloadError naming ``where.name`` when it is absent."""
    try:
        return item[name]
    except (KeyError, TypeError):
        raise PayloadError(endpoint, f"{where}.{name}", "required field is missing") from None


def first_present(item: Mapping[str, Any], names: Iterable[str], endpoint: str, where: str) -> Any:
    """The value of the first of ``names`` present in ``item`` (e.g. ``chain`` or ``chain_id``)."""
    names = tuple(names)
    for name in names:
        if name in item:
            return item[name]
    raise PayloadError(endpoint, f"{where}.{names[0]}", f"none of {', '.join(names)} is present")


def warn_unknown_fields(endpoint: str, seen: Iterable[str], known: Iterable[str]) -> None:
    """Warn about new field names; the fields themselves are kept.

    Python's default warning filter shows an identical message once per call site, so a
    batch of a thousand responses warns once.
    """
    unknown = frozenset(seen) - frozenset(known)
    if not unknown:
        return
    warnings.warn(
        f"{endpoint}: the response has fields inchframe does not know yet: "
        f"{', '.join(sorted(unknown))}; they are kept as extra columns",
        UnknownFieldsWarning,
        stacklevel=3,
    )
