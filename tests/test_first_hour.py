"""The documented first steps do what they say (issue: "the first hour without traps").

The README Quickstart and docs/quickstart.md are run by ``tests/test_docs.py``; these tests
check what their cells *show*: the allowance filter shows real approvals (not only the
native-coin rows the docs say to drop), the snapshot recipe can be rerun the same day without
doubling rows, every ``to_parquet`` mode is documented, and the benchmark's verdict is explained.
"""

from __future__ import annotations

import ast
import re
import textwrap
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]


def _python_blocks(page: Path) -> list[str]:
    return [textwrap.dedent(b) for b in re.findall(r"```python\n(.*?)```", page.read_text(), re.S)]


def _quickstart_block(page: Path, marker: str) -> str:
    return next(b for b in _python_blocks(page) if marker in b)


def _run_until(block: str, stop: str, namespace: dict[str, Any]) -> Any:
    """Execute ``block`` up to the statement containing ``stop``; return that expression."""
    tree = ast.parse(block)
    for node in tree.body:
        source = ast.get_source_segment(block, node) or ""
        if stop in source and isinstance(node, ast.Expr):
            return eval(compile(ast.Expression(node.value), "<doc>", "eval"), namespace)
        exec(compile(ast.Module([node], []), "<doc>", "exec"), namespace)
    raise AssertionError(f"{stop!r} not found in the block")


@pytest.fixture
def sandboxed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    import os

    for name in list(os.environ):
        if name.startswith(("INCHFRAME_", "ONEINCH_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("INCHFRAME_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    warnings.simplefilter("ignore")
    return tmp_path


@pytest.mark.parametrize(
    ("page", "marker"),
    [("README.md", "ifr.allowances("), ("docs/quickstart.md", "ifr.allowances(")],
)
def test_allowance_example_shows_real_approvals(sandboxed: Path, page: str, marker: str) -> None:
    path = REPO / page
    block = _quickstart_block(path, marker)
    namespace: dict[str, Any] = {}
    if "wallets =" not in block:  # docs/quickstart.md defines them in an earlier block
        exec(_quickstart_block(path, "wallets = ["), namespace)
    shown = _run_until(block, "alw[", namespace)
    alw = namespace["alw"]
    assert isinstance(shown, pd.DataFrame) and len(shown) > 0, "the example shows nothing"
    native = set(alw.loc[alw["is_native"], "symbol"])
    assert not set(shown.get("symbol", pd.Series(dtype=str))) & native, shown
    unlimited = alw[alw["unlimited"] & ~alw["is_native"]]
    assert len(shown) == len(unlimited)  # exactly the infinite ERC-20 approvals


@pytest.mark.parametrize("page", ["README.md", "docs/quickstart.md", "docs/accessor.md"])
def test_snapshot_recipe_rerun_the_same_day_does_not_double(sandboxed: Path, page: str) -> None:
    import inchframe as ifr

    recipes = [b for b in _python_blocks(REPO / page) if ".to_parquet(" in b]
    assert recipes, page
    for recipe in recipes:
        call = re.search(
            r"(\w+)\.inch\.with_snapshot_time\(\)\.inch\.to_parquet\((.*?)\)\n", recipe, re.S
        )
        if call is None:
            continue
        assert 'mode="append"' not in call.group(2), f"{page}: recipe doubles rows on a rerun"
        frame = ifr.portfolio.tokens_snapshot(
            [
                "0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045",
                "0x28C6c06298d514Db089934071355E5743bf21d60",
            ]
        )
        namespace = {call.group(1): frame, "ifr": ifr}
        statement = f"{call.group(1)}.inch.with_snapshot_time().inch.to_parquet({call.group(2)})"
        exec(statement, namespace)
        first = len(ifr.read_parquet("snapshots/"))
        exec(statement, namespace)  # the notebook cell, rerun the same day
        assert len(ifr.read_parquet("snapshots/")) == first == len(frame)


def test_accessor_page_lists_every_parquet_mode() -> None:
    from inchframe import io

    text = (REPO / "docs" / "accessor.md").read_text()
    section = text.split("### `df.inch.to_parquet", 1)[1].split("\n## ", 1)[0]
    rows = {
        m: line
        for line in section.splitlines()
        if line.startswith("| `")
        for m in io._MODES
        if line.startswith(f'| `"{m}"`')
    }
    assert set(rows) == set(io._MODES), f"modes not documented: {set(io._MODES) - set(rows)}"
    for mode, line in rows.items():
        assert line.startswith("|") and len(line) > 40, f"{mode}: say what it does"


def test_benchmark_verdict_is_explained() -> None:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Benchmarks", 1)[1].split("\n## ", 1)[0]
    for words in ("target", "baseline", "NO", "noisy", "matter to a user"):
        assert words in section, words
    source = (REPO / "benchmarks" / "run.py").read_text()
    footer = source.split("targets met", 1)[1]
    assert "NO means" in footer and "baseline" in footer
