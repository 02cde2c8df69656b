"""Tolerant reading of response payloads, shared by the converters.

The 1inch APIs have drifted (docs/api-contract.md): lists arrive bare or in a ``{result}``
envelope, ``system`` sits at the top level or under ``meta``, snapshot items say ``chain`` or
``chain_id``. :func:`unwrap_result` accepts both list forms (an error body instead of a result is a
:class:`~inchframe.errors.PayloadError` naming the endpoint); :func:`warn_unknown_fields` says
when the API starts sending fields inchframe does not know.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import PayloadError, UnknownFieldsWarning
from ._forms import observe

__all__ = [
    "UnknownFieldsWarning",
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
