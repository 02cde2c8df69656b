"""What the client, HTTP and cache tests share: a client on the scripted server, one wallet's
balances path and body."""

from __future__ import annotations

from pathlib import Path

from inchframe.client import Client

from .conftest import FAKE_KEY, VITALIK, ScriptedServer

WALLET = VITALIK.lower()
BALANCES_PATH = f"/balance/v1.2/1/balances/{WALLET}"
BODY = {"0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee": "1250000000000000000"}


def make_client(server: ScriptedServer, tmp_path: Path, **options: object) -> Client:
    options.setdefault("rate", 50)
    return Client(FAKE_KEY, base_url=server.url, cache_dir=tmp_path / "cache", **options)
