"""Helpers of the sandbox tests: constants, a urllib client, OpenAPI loading."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SHARED = Path("/work/shared/api")
OPENAPI = SHARED / "openapi"
RECORDED = SHARED / "recorded"

VITALIK = "0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045"
BINANCE = "0x28C6c06298d514Db089934071355E5743bf21d60"
ROUTER = "0x111111125421ca6dc452d289314280a0f8842a65"
USDT = "0xdac17f958d2ee523a2206206994597c13d831ec7"
BAT = "0x0d8775f648430679a709e98d2b0cb6250d2887ef"
LPT = "0x58b6a8a3302369daec383334672404ee733ab239"
NATIVE = "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
V4 = "/portfolio/portfolio/v4"
V5 = "/portfolio/portfolio/v5.0"
AUTH = {"Authorization": "Bearer test-key"}


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


def call(
    base: str,
    path: str,
    *,
    method: str = "GET",
    body: Any = None,
    headers: dict[str, str] | None = None,
    auth: bool = True,
    timeout: float = 30,
) -> Response:
    """One request with urllib; HTTP errors are returned, not raised."""
    sent = dict(AUTH if auth else {})
    sent.update(headers or {})
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        sent.setdefault("Content-Type", "application/json")
    request = urllib.request.Request(base + path, data=data, method=method, headers=sent)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return Response(answer.status, dict(answer.headers), answer.read())
    except urllib.error.HTTPError as error:
        return Response(error.code, dict(error.headers), error.read())


def addresses_query(*wallets: str, **params: Any) -> str:
    parts = [f"addresses={w}" for w in wallets]
    parts += [f"{k}={v}" for k, v in params.items()]
    return "?" + "&".join(parts)


def load_openapi(name: str) -> dict[str, Any]:
    return json.loads((OPENAPI / name).read_text())
