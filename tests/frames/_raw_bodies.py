"""Raw response bodies against the same bodies parsed: the check both raw-body test files use."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

from inchframe.errors import InputError, PayloadError


def compact(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def same(
    convert: Callable[[list[Any]], pd.DataFrame],
    pairs: list[tuple[Any, Any]],
    encode: Callable[[Any], bytes] = compact,
) -> pd.DataFrame:
    """The frame from raw bodies equals the frame from the same bodies parsed with json (what
    the client hands over), or both fail with the same error."""
    raw = [(ctx, encode(payload)) for ctx, payload in pairs]
    try:
        parsed = [(ctx, json.loads(body)) for ctx, body in raw]
    except ValueError:
        with pytest.raises(PayloadError, match="not valid JSON"):
            convert(raw)
        return pd.DataFrame()
    try:
        expected = convert(parsed)
    except (PayloadError, InputError) as exc:
        with pytest.raises(type(exc), match=re.escape(str(exc))):
            convert(raw)
        return pd.DataFrame()
    got = convert(raw)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    return got
