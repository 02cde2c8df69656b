"""Fixtures of the sandbox tests: shared running sandboxes (default and documented quirks)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from inchframe.sandbox import Sandbox


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    """One shared sandbox with default options (tests must not reconfigure it)."""
    with Sandbox(seed=0) as sb:
        yield sb


@pytest.fixture(scope="session")
def documented() -> Iterator[Sandbox]:
    """A sandbox in the documented quirk mode (the OpenAPI documents' shapes)."""
    with Sandbox(seed=0, quirks="documented") as sb:
        yield sb


@pytest.fixture
def fresh() -> Iterator[Sandbox]:
    """A private sandbox a test may reconfigure freely."""
    with Sandbox(seed=3) as sb:
        yield sb
