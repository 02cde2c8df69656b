"""Helpers of the sandbox tests: constants, a urllib client, OpenAPI loading."""

from __future__ import annotations

import functools
import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest

REPO = Path(__file__).resolve().parents[2]
#: Recorded real response bodies, kept in the repository (provenance: ``INDEX.md`` there).
RECORDED = REPO / "tests" / "data" / "recorded"

#: The one setting that locates the official 1inch OpenAPI documents (not shipped in the repo).
OPENAPI_ENV = "INCHFRAME_OPENAPI_DIR"
#: When set to ``1``, the contract tests fail instead of skipping without the documents (CI).
REQUIRE_ENV = "INCHFRAME_REQUIRE_CONTRACT_TESTS"
#: Where the documents are looked for when ``INCHFRAME_OPENAPI_DIR`` is not set.
DEFAULT_OPENAPI = REPO.parent / "shared" / "api" / "openapi"
OPENAPI_FILES = ("balance-v1.2.ethereum.json", "portfolio-v4.json", "portfolio-v5.0.json")
ENABLE_HINT = f"set {OPENAPI_ENV}=<folder with the 1inch OpenAPI JSON documents>"
#: Both settings as the test process started: a per-test environment isolation that clears
#: ``INCHFRAME_*`` variables must not silently turn the contract tests (or CI's requirement) off.
_STARTUP: dict[str, str | None] = {
    name: os.environ.get(name) for name in (OPENAPI_ENV, REQUIRE_ENV)
}


def _setting(name: str) -> str:
    """The variable as set now, else as it was when the test process started."""
    value = os.environ.get(name)
    if value is None:
        value = _STARTUP.get(name)
    return (value or "").strip()


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


def openapi_dir() -> Path | None:
    """The folder of the OpenAPI documents, or ``None`` when no such folder is configured.

    ``INCHFRAME_OPENAPI_DIR`` wins when set (even if wrong: a wrong setting is reported, never
    replaced by the default); otherwise ``../shared/api/openapi`` beside the repository, if present.
    """
    configured = _setting(OPENAPI_ENV)
    if configured:
        return Path(configured).expanduser()
    return DEFAULT_OPENAPI if DEFAULT_OPENAPI.is_dir() else None


def contract_tests_required() -> bool:
    return _setting(REQUIRE_ENV).lower() in {"1", "true", "yes", "on"}


def _unavailable(reason: str) -> NoReturn:
    """Skip the calling test with how to enable it, or fail when CI requires the contract tests."""
    message = f"OpenAPI contract test not run: {reason}; {ENABLE_HINT}"
    if contract_tests_required():
        pytest.fail(f"{message} ({REQUIRE_ENV}=1 forbids skipping)", pytrace=False)
    pytest.skip(message)


@functools.cache
def _read_openapi(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text())
    return document


def load_openapi(name: str) -> dict[str, Any]:
    """One official OpenAPI document by file name; skips (or fails, see above) when unavailable."""
    folder = openapi_dir()
    if folder is None:
        _unavailable(f"{OPENAPI_ENV} is not set and the default ../shared/api/openapi is absent")
    path = folder / name
    if not path.is_file():
        _unavailable(f"{name} not found in {OPENAPI_ENV} folder {folder}")
    try:
        return _read_openapi(path)
    except (OSError, ValueError) as error:
        pytest.fail(f"{path} is not a readable OpenAPI JSON document: {error}", pytrace=False)
