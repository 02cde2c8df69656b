"""Notebooks are stored without outputs: no results, no execution counts, no widget state.

Outputs bloat diffs, go stale, and could leak whatever a run printed. ``pytest --nbmake`` runs
the notebooks without writing them back, so only saving from Jupyter adds outputs. To clean a
notebook, clear all outputs in Jupyter and save, or run::

    python tests/test_notebooks_clean.py notebooks/*.ipynb
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def problems_of(notebook: dict) -> list[str]:
    """What keeps ``notebook`` (parsed JSON) from being clean; empty when it is clean."""
    cells = [c for c in notebook.get("cells", []) if c.get("cell_type") == "code"]
    with_outputs = [
        i
        for i, c in enumerate(notebook.get("cells", []), 1)
        if c.get("cell_type") == "code" and c.get("outputs")
    ]
    with_counts = [
        i
        for i, c in enumerate(notebook.get("cells", []), 1)
        if c.get("cell_type") == "code" and c.get("execution_count") is not None
    ]
    found = []
    if with_outputs:
        found.append(
            f"{len(with_outputs)} of {len(cells)} code cells have outputs "
            f"(cells {_numbers(with_outputs)})"
        )
    if with_counts:
        found.append(
            f"{len(with_counts)} code cells have execution counts (cells {_numbers(with_counts)})"
        )
    if "widgets" in notebook.get("metadata", {}):
        found.append("the notebook metadata holds widget state")
    return found


def _numbers(numbers: list[int]) -> str:
    shown = ", ".join(map(str, numbers[:8]))
    return shown + (", ..." if len(numbers) > 8 else "")


def clear_outputs(path: Path) -> None:
    """Remove outputs, execution counts and widget state from the notebook at ``path``."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    notebook.get("metadata", {}).pop("widgets", None)
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS, "notebooks/ holds no .ipynb files"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_stripped(path: Path) -> None:
    found = problems_of(json.loads(path.read_text(encoding="utf-8")))
    assert not found, (
        f"{path.name}: {'; '.join(found)}. Notebooks are committed without outputs: run "
        f"`python tests/test_notebooks_clean.py notebooks/{path.name}` (or clear all outputs "
        "in Jupyter and save)."
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_uses_the_python3_kernel(path: Path) -> None:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    assert notebook["metadata"].get("kernelspec", {}).get("name") == "python3"


def test_clear_outputs_cleans(tmp_path: Path) -> None:
    dirty = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "# t"},
            {
                "cell_type": "code",
                "metadata": {},
                "source": "1",
                "execution_count": 3,
                "outputs": [
                    {
                        "output_type": "execute_result",
                        "execution_count": 3,
                        "data": {"text/plain": "1"},
                        "metadata": {},
                    }
                ],
            },
        ],
        "metadata": {"widgets": {}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = tmp_path / "dirty.ipynb"
    path.write_text(json.dumps(dirty), encoding="utf-8")
    assert len(problems_of(dirty)) == 3
    clear_outputs(path)
    assert problems_of(json.loads(path.read_text(encoding="utf-8"))) == []


if __name__ == "__main__":
    for name in sys.argv[1:]:
        clear_outputs(Path(name))
