"""Where the sandbox follows evidence rather than a guess (docs/api-contract.md, open questions).

- v4 ``general/supported_chains`` is served as ``{"result": [{id, name, icon}]}``, the form public
  client code typed (Q5), and inchframe converts it; the Go SDK's bare-id form is still accepted.
- Methods the API does not route (TRACE, OPTIONS, HEAD, CONNECT, extension tokens) get 405 with
  an ``Allow`` header on a known path, not the 501 of Python's ``http.server``.
"""

from __future__ import annotations

import http.client
import warnings
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
import pytest

from inchframe import chains
from inchframe.client import Client
from inchframe.errors import PayloadError
from inchframe.frames import portfolio_v4
from inchframe.portfolio import v4 as v4_loaders
from inchframe.sandbox import Sandbox

from ._helpers import AUTH, V4, V5, VITALIK, call


def test_v4_supported_chains_is_a_list_of_id_name_icon_objects(sandbox: Sandbox) -> None:
    reply = call(sandbox.url, f"{V4}/general/supported_chains")
    assert reply.status == 200
    payload = reply.json()
    assert set(payload) == {"result"}
    items = payload["result"]
    assert [item["id"] for item in items] == sorted(sandbox.universe.chains("portfolio"))
    for item in items:
        assert set(item) == {"id", "name", "icon"}
        assert isinstance(item["id"], int) and not isinstance(item["id"], bool)
        assert item["name"] == chains.CHAINS[item["id"]].display_name
        assert item["icon"].startswith("https://") and item["icon"].endswith(".svg")


def test_v4_supported_chains_agrees_with_v5(sandbox: Sandbox) -> None:
    """The two versions describe the same chains with the same names and icons."""
    v4_items = call(sandbox.url, f"{V4}/general/supported_chains").json()["result"]
    v5_body = call(sandbox.url, f"{V5}/general/supported_chains").json()
    v5_items = v5_body["result"] if isinstance(v5_body, dict) else v5_body
    assert [(i["id"], i["name"], i["icon"]) for i in v4_items] == [
        (i["chain_id"], i["chain_name"], i["chain_icon"]) for i in v5_items
    ]


def test_v4_supported_chains_loader_converts_the_served_form(client: Client) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the served objects hold no unknown field
        frame = v4_loaders.supported_chains(client=client)
    served = call(client.base_url, f"{V4}/general/supported_chains").json()["result"]
    assert frame["chain_id"].tolist() == [item["id"] for item in served]
    assert frame["chain_name"].tolist() == [item["name"] for item in served]
    assert frame["chain_icon"].tolist() == [item["icon"] for item in served]


LINEA = {"id": 59144, "name": "Linea", "icon": "https://x/linea.svg"}


@pytest.mark.parametrize(
    ("payload", "icons"),
    [
        ({"result": [LINEA, {"id": 1}]}, ["https://x/linea.svg", None]),
        ([LINEA, {"id": 1}], ["https://x/linea.svg", None]),
        ({"result": [59144, 1]}, [None, None]),
        ([59144, 1], [None, None]),
    ],
    ids=["objects-enveloped", "objects-bare", "ids-enveloped", "ids-bare"],
)
def test_v4_supported_chains_converter_accepts_objects_and_bare_ids(
    payload: Any, icons: list[str | None]
) -> None:
    frame = portfolio_v4.supported_chains([({}, payload)])
    assert list(frame.columns) == list(portfolio_v4.SUPPORTED_CHAINS.names)
    assert frame["chain_id"].tolist() == [59144, 1]
    # a name the answer leaves out comes from the local chain table
    assert frame["chain_name"].tolist() == ["Linea", chains.CHAINS[1].display_name]
    assert [None if icon is pd.NA else icon for icon in frame["chain_icon"]] == icons


def test_v4_supported_chains_object_without_id_is_a_payload_error() -> None:
    with pytest.raises(PayloadError, match=r"v4\.supported_chains"):
        portfolio_v4.supported_chains([({}, {"result": [{"name": "Ethereum", "icon": "x"}]})])


def _raw(base: str, method: str, path: str, auth: bool = True) -> tuple[int, dict[str, str], bytes]:
    """One request with http.client (urllib refuses some methods); the connection is closed."""
    where = urlsplit(base)
    connection = http.client.HTTPConnection(where.hostname or "127.0.0.1", where.port, timeout=10)
    try:
        connection.request(method, path, headers=dict(AUTH) if auth else {})
        answer = connection.getresponse()
        body = b"" if method == "HEAD" else answer.read()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, body
    finally:
        connection.close()


@pytest.mark.parametrize("method", ["TRACE", "OPTIONS", "CONNECT", "PROPFIND", "PUT", "DELETE"])
@pytest.mark.parametrize(
    ("path", "allow", "portfolio"),
    [
        (f"{V5}/general/status", "GET", True),
        (f"{V4}/general/supported_chains", "GET", True),
        (f"/balance/v1.2/1/balances/{VITALIK}", "GET, POST", False),
    ],
)
def test_unrouted_methods_get_405_with_allow(
    sandbox: Sandbox, method: str, path: str, allow: str, portfolio: bool
) -> None:
    status, headers, body = _raw(sandbox.url, method, path)
    assert status == 405, body[:200]
    assert headers["allow"] == allow
    assert headers.get("x-request-id")
    if portfolio:
        assert body == b'{"detail":"Method Not Allowed"}'
    else:
        assert b'"statusCode":405' in body


def test_head_gets_405_without_a_body_and_the_connection_stays_usable(sandbox: Sandbox) -> None:
    where = urlsplit(sandbox.url)
    connection = http.client.HTTPConnection(where.hostname or "127.0.0.1", where.port, timeout=10)
    try:
        connection.request("HEAD", f"{V5}/general/status", headers=dict(AUTH))
        head = connection.getresponse()
        assert head.status == 405 and head.getheader("Allow") == "GET"
        assert head.read() == b""
        # the same keep-alive connection answers the next request correctly
        connection.request("GET", f"{V5}/general/status", headers=dict(AUTH))
        after = connection.getresponse()
        assert after.status == 200 and b"is_available" in after.read()
    finally:
        connection.close()


def test_unrouted_method_on_an_unknown_path_is_404(sandbox: Sandbox) -> None:
    status, _, body = _raw(sandbox.url, "TRACE", f"{V5}/general/nothing_here")
    assert status == 404, body[:200]


def test_unrouted_method_without_a_key_is_401(sandbox: Sandbox) -> None:
    status, headers, _ = _raw(sandbox.url, "TRACE", f"{V5}/general/status", auth=False)
    assert status == 401 and headers["www-authenticate"] == "Bearer"
