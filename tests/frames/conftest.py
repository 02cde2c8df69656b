"""Fixtures shared by the frame-converter tests (pure: no HTTP, no cache)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

#: Recorded real response bodies, kept in the repository (provenance: ``INDEX.md`` there).
RECORDED_DIR = Path(__file__).resolve().parents[1] / "data" / "recorded"


@pytest.fixture
def recorded_balance() -> Callable[[str], Any]:
    """Load ``balance-<name>.json`` from the recorded bodies, e.g. ``"balances-get__1"``."""

    def load(name: str) -> Any:
        path = RECORDED_DIR / f"balance-{name}.json"
        if not path.exists():
            pytest.fail(f"recorded body missing: {path.name} (expected in tests/data/recorded/)")
        return json.loads(path.read_text())

    return load
