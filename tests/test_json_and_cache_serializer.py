"""The client's JSON parsing (orjson when it gives json's answer) and the cache serializer
(JSON head + raw body; entries of requests-cache's json serializer still read)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inchframe._http import cache_serializer, open_cache
from inchframe._json import has_long_integer, loads_json

from .conftest import Reply, ScriptedServer

BIG = 2**256 - 1


@pytest.mark.parametrize(
    "body",
    [
        b'{"a": 1, "b": [1.5, "x", null, true]}',
        f'{{"amount": {BIG}}}'.encode(),  # orjson would make a float of it
        b'{"a": -9223372036854775809}',
        b"[NaN, Infinity]",  # orjson rejects these; json accepts them
        b'"\\ud800"',  # a lone surrogate
        b'{"a": 1, "a": 2}',
        b'{"price": 0.1234567890123456789}',
        b'{"token": "0x0000000000000000000000000000000000000001", "n": 18446744073709551616}',
        b"[-18446744073709551616, 1]",
        b"[\n18446744073709551616]",
        b'{"a":12345678901234567890123.5}',  # a float: orjson and json agree
    ],
)
def test_loads_json_gives_what_json_gives(body: bytes) -> None:
    got, expected = loads_json(body), json.loads(body)
    assert repr(got) == repr(expected)  # repr: NaN != NaN, and ints stay ints
    if isinstance(expected, dict) and "amount" in expected:
        assert type(got["amount"]) is int


@settings(max_examples=300, deadline=None)
@given(
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers(min_value=-(2**300), max_value=2**300)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(alphabet="0123456789x. -e"),
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=4)
        ),
        max_leaves=12,
    )
)
def test_loads_json_keeps_every_integer_exact(value: object) -> None:
    compact = json.dumps(value, separators=(",", ":"))
    for text in (json.dumps(value), json.dumps(value, indent=1), compact):
        got = loads_json(text.encode())
        assert repr(got) == repr(json.loads(text))


def test_long_integer_detection_skips_addresses_and_fractions() -> None:
    assert not has_long_integer(b'{"a": "0x0000000000000000000000000000000000000001"}')
    assert not has_long_integer(b'{"p": 0.00023058825425964879}')
    assert has_long_integer(b'{"a": 18446744073709551616}')
    assert has_long_integer(b"[-1234567890123456789]")
    assert has_long_integer(b"1234567890123456789")


def test_loads_json_errors_are_jsons() -> None:
    with pytest.raises(ValueError, match="Expecting"):
        loads_json(b'{"a": ')


def test_cache_entries_keep_the_body_bytes_and_read_old_entries(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    body = {"0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee": str(BIG), "note": "é ✓"}
    scripted.default = lambda method, path, data: Reply(200, body)
    session = open_cache(tmp_path)
    first = session.get(scripted.url + "/x", headers={"Authorization": "Bearer k"})
    hit = session.get(scripted.url + "/x", headers={"Authorization": "Bearer k"})
    assert hit.from_cache and hit.content == first.content and hit.json() == body
    assert hit.raw.read() == first.content
    entry = session.cache.responses.serializer.dumps(hit)
    assert isinstance(entry, bytes) and entry.startswith(b"IFC2")  # JSON head, zstd body
    assert b"Bearer" not in entry
    assert session.cache.responses.serializer.loads(entry).content == first.content
    # entries of the previous format (the raw body after the head) still read
    v1 = b"IFC1" + entry[4:8] + entry[8 : 8 + int.from_bytes(entry[4:8], "big")] + first.content
    assert cache_serializer().loads(v1).content == first.content
    # an entry written by requests-cache's own json serializer (older caches) still reads
    from requests_cache.serializers import json_serializer

    old = json_serializer.dumps(hit)
    assert isinstance(old, str)
    again = cache_serializer().loads(old)
    assert again.content == first.content and again.status_code == 200
    session.close()
    assert scripted.count() == 1
