"""Accessor, Parquet and plot tests: Agg backend, and plt.show() must never be called."""

from __future__ import annotations

from collections.abc import Iterator

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

import inchframe
import inchframe.accessor  # noqa: F401


@pytest.fixture(autouse=True)
def _no_show(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("plt.show() called: plot functions must never call show()")

    monkeypatch.setattr(plt, "show", fail)
    monkeypatch.setattr(plt.Figure, "show", fail)
    yield
    plt.close("all")
