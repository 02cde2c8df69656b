"""The Python code in README.md and docs/*.md runs, so the documentation cannot rot.

Every fenced ```` ```python ```` block of a page is executed, in page order, in one namespace per
page, in a temporary working directory, against the embedded sandbox (no API key; the cache in a
temporary directory: ``tests/conftest.py`` isolates the environment).

- **Doctest-style blocks** (lines starting with ``>>>``): the statements run; the printed
  results are illustrations and are not compared (the pages show the output of other data), but
  an expected exception (a result line such as ``AttributeError: ...``) must be raised.
- **Signature blocks** such as ``composition(frame, *, by="symbol", ax=None) -> Axes`` are not
  run: the documented parameters, their order, kinds and defaults must match the function's
  real signature in inchframe.
- ``<!-- no-test: reason -->`` on the line(s) before a block skips it (for code that needs a
  Spark session, an object store or the real API). Keep these rare.
- ``<!-- requires: polars, dask -->`` runs the block only when those packages are installed.
- :data:`PAGE_SETUP` defines the names a page takes as given (``wallets``, a loaded frame, a raw
  payload), so the pages stay free of boilerplate. It runs before the page's first block.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import importlib.util
import inspect
import io
import re
import textwrap
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGES = sorted(
    [p for p in [REPO / "README.md"] if p.exists()] + list((REPO / "docs").glob("*.md")),
    key=lambda p: (p.parent != REPO, p.name),
)

#: Modules searched for the function a signature block documents.
SIGNATURE_MODULES = (
    "inchframe",
    "inchframe.plot",
    "inchframe.io",
    "inchframe.cache",
    "inchframe.balance",
    "inchframe.portfolio",
    "inchframe.portfolio.v4",
)

_WALLETS = """
wallets = [
    "0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045",
    "0x28C6c06298d514Db089934071355E5743bf21d60",
    "0x1a9C8182C09F50C8318d769245beA52c32BE35BC",
]
wallet = wallets[0]
"""

#: Names each page uses without defining them (keyed by file name).
PAGE_SETUP: dict[str, str] = {
    "accessor.md": _WALLETS
    + """
import pandas as pd
import inchframe as ifr
router = "0x111111125421ca6dc452d289314280a0f8842a65"
alw = ifr.allowances(wallets, router, chain=["ethereum", "base"])
tokens = ifr.portfolio.tokens_snapshot(wallets)
protocols = ifr.portfolio.protocols_snapshot(wallets)
metrics = ifr.portfolio.tokens_metrics(wallets)
""",
    "frames-balance.md": _WALLETS
    + """
import inchframe as ifr
from inchframe.balance import METADATA_WALLET
router = "0x111111125421ca6dc452d289314280a0f8842a65"
client = ifr.Client()
aggregated_payload = client.aggregated_balances_and_allowances(1, router, [METADATA_WALLET])
fetched = [(w, client.balances(1, w)) for w in wallets]
""",
    "frames-portfolio.md": _WALLETS
    + """
import inchframe as ifr
client = ifr.Client()
chunk = wallets[:1]
body = client.v5_tokens_snapshot(chunk)
fetched = [(chunk, body)]
pbatch = [({"addresses": chunk, "chain_id": None}, client.v5_protocols_snapshot(chunk))]
cbatch = [({"addresses": chunk, "chain_id": None}, client.v5_current_value(chunk))]
""",
    "parquet.md": _WALLETS,
    "plotting.md": _WALLETS + "\nimport inchframe as ifr\n",
}

#: Packages a ``<!-- requires: ... -->`` block may name (anything else is a typo).
OPTIONAL_PACKAGES = {"polars", "dask", "pyspark", "duckdb", "IPython", "deltalake", "distributed"}

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^\n`]*)$")
_COMMENT = re.compile(r"<!--\s*(?P<kind>no-test|requires)\s*(?::\s*(?P<arg>.*?))?\s*-->")
_EXCEPTION_LINE = re.compile(
    r"^(?:Traceback \(most recent call last\)|(?P<name>[A-Za-z_][\w.]*)"
    r"(?::|$))"
)


@dataclass
class Block:
    page: Path
    line: int  #: 1-based line of the opening fence
    code: str
    skip: str | None = None  #: reason given by <!-- no-test -->
    requires: tuple[str, ...] = ()

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(REPO)}:{self.line}"


def extract_blocks(page: Path) -> list[Block]:
    """The ```python blocks of ``page`` with the markers that precede them."""
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        fence, indent = match["fence"], len(match["indent"])
        language = (match["info"].strip().split() or [""])[0].lower()
        end = i + 1
        while end < len(lines) and not lines[end].strip().startswith(fence):
            end += 1
        if language in ("python", "py", "python3", "pycon"):
            body = "\n".join(_unindent(line, indent) for line in lines[i + 1 : end])
            block = Block(page, i + 1, textwrap.dedent(body))
            _apply_markers(block, lines, i)
            blocks.append(block)
        i = end + 1
    return blocks


def _unindent(line: str, indent: int) -> str:
    """``line`` without the indentation of its fence (a block inside a list item)."""
    strip = len(line) - len(line.lstrip(" \t"))
    return line[min(indent, strip) :]


def _apply_markers(block: Block, lines: list[str], fence_index: int) -> None:
    """Read ``<!-- no-test -->`` / ``<!-- requires -->`` comments just above the fence."""
    j = fence_index - 1
    while j >= 0 and (not lines[j].strip() or _COMMENT.search(lines[j])):
        for found in _COMMENT.finditer(lines[j]):
            if found["kind"] == "no-test":
                block.skip = found["arg"] or "marked no-test"
            else:
                block.requires += tuple(
                    name.strip() for name in (found["arg"] or "").split(",") if name.strip()
                )
        j -= 1


# -- kinds of blocks ---------------------------------------------------------------------------


def is_doctest(code: str) -> bool:
    return code.lstrip().startswith(">>>")


def doctest_examples(code: str) -> list[tuple[str, str]]:
    """``(source, expected output)`` pairs of a ``>>>`` block."""
    examples: list[tuple[list[str], list[str]]] = []
    for line in code.splitlines():
        if line.startswith(">>>"):
            examples.append(([line[4:]], []))
        elif line.startswith("...") and examples and not examples[-1][1]:
            examples[-1][0].append(line[4:])
        elif examples:
            examples[-1][1].append(line)
    return [("\n".join(src), "\n".join(out).strip()) for src, out in examples]


def expected_exception(output: str) -> str | None:
    """The exception class named by an expected output, e.g. ``AttributeError: ...``."""
    first = output.splitlines()[0] if output else ""
    found = _EXCEPTION_LINE.match(first)
    if not found:
        return None
    if found["name"] is None:  # a traceback: the last line names the exception
        last = output.splitlines()[-1]
        return last.split(":", 1)[0].strip().rsplit(".", 1)[-1]
    name = found["name"].rsplit(".", 1)[-1]
    return name if re.search(r"(Error|Exception|Miss|Warning)$", name) else None


@dataclass
class Signature:
    qualname: str  #: as written: ``composition``, ``ifr.portfolio.v4.current_value``...
    node: ast.FunctionDef


def signature_of_block(code: str) -> Signature | None:
    """A block that is one function signature (``name(args) -> Type``), parsed; else None.

    The name may be qualified: ``ifr.portfolio.v4.current_value(...)``,
    ``Client.v5_chart(...)`` (methods are documented without ``self``).
    """
    try:
        compile(code, "<block>", "exec")
        return None
    except SyntaxError:
        pass
    text = code.strip()
    found = re.match(r"^([A-Za-z_][\w.]*)\(", text)
    if not found:
        return None
    qualname = found[1]
    try:
        tree = ast.parse(f"def {qualname.rsplit('.', 1)[-1]}{text[len(qualname) :]}: ...")
    except SyntaxError:
        return None
    node = tree.body[0]
    return Signature(qualname, node) if isinstance(node, ast.FunctionDef) else None


def _resolve(qualname: str) -> Any:
    parts = qualname.split(".")
    if parts[0] in ("ifr", "inchframe"):
        parts = parts[1:]
    if len(parts) > 1:
        target: Any = importlib.import_module("inchframe")
        for part in parts:
            target = getattr(target, part, None)
        return target
    for module_name in SIGNATURE_MODULES:
        target = getattr(importlib.import_module(module_name), parts[0], None)
        if callable(target):
            return target
    return None


def check_signature(signature: Signature, where: str) -> None:
    """The documented parameters (names, kinds, order, defaults) match the real function."""
    target = _resolve(signature.qualname)
    if not callable(target):
        pytest.fail(
            f"{where}: documented function {signature.qualname}() not found (searched "
            f"inchframe and {', '.join(SIGNATURE_MODULES)})"
        )
    documented = _documented_parameters(signature.node)
    actual = [
        (p.name, p.kind.name, None if p.default is p.empty else repr(p.default))
        for p in inspect.signature(target).parameters.values()
    ]
    if actual and actual[0][0] == "self" and (not documented or documented[0][0] != "self"):
        actual = actual[1:]
    assert documented == actual, (
        f"{where}: the documented signature of {signature.qualname}() differs from the code\n"
        f"  documented: {documented}\n  actual:     {actual}"
    )


def _documented_parameters(node: ast.FunctionDef) -> list[tuple[str, str, str | None]]:
    args = node.args
    out: list[tuple[str, str, str | None]] = []
    positional = [*args.posonlyargs, *args.args]
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    for index, (arg, default) in enumerate(zip(positional, defaults, strict=True)):
        kind = "POSITIONAL_ONLY" if index < len(args.posonlyargs) else "POSITIONAL_OR_KEYWORD"
        out.append((arg.arg, kind, _literal(default)))
    if args.vararg:
        out.append((args.vararg.arg, "VAR_POSITIONAL", None))
    for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        out.append((arg.arg, "KEYWORD_ONLY", _literal(default)))
    if args.kwarg:
        out.append((args.kwarg.arg, "VAR_KEYWORD", None))
    return out


def _literal(node: ast.expr | None) -> str | None:
    return None if node is None else repr(ast.literal_eval(node))


# -- running a page ----------------------------------------------------------------------------


@contextlib.contextmanager
def _quiet_plots() -> Iterator[None]:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    try:
        yield
    finally:
        plt.close("all")


def _close_default_clients() -> None:
    """Stop the sandboxes the page's loaders started (one default client per environment)."""
    import inchframe

    inchframe.close()


def _run(code: str, namespace: dict[str, Any], where: str) -> None:
    exec(compile(code, where, "exec"), namespace)


def run_block(block: Block, namespace: dict[str, Any]) -> None:
    signature = signature_of_block(block.code)
    if signature is not None:
        check_signature(signature, block.where)
        return
    if not is_doctest(block.code):
        _run(block.code, namespace, block.where)
        return
    for source, output in doctest_examples(block.code):
        exception = expected_exception(output)
        if exception is None:
            _run(source, namespace, block.where)
            continue
        try:
            _run(source, namespace, block.where)
        except Exception as error:
            names = [cls.__name__ for cls in type(error).__mro__]
            assert exception in names, (
                f"{block.where}: `{source}` should raise {exception}, raised {names[0]}: {error}"
            )
        else:
            pytest.fail(f"{block.where}: `{source}` should raise {exception}, raised nothing")


def _failure_of(block: Block, namespace: dict[str, Any]) -> str | None:
    """Run ``block``; a report naming the block and its code if it raised unexpectedly."""
    try:
        run_block(block, namespace)
    except (AssertionError, pytest.fail.Exception):
        raise
    except Exception as error:
        return (
            f"{block.where}: {type(error).__name__}: {error}\n\n"
            f"{textwrap.indent(block.code, '    ')}"
        )
    return None


def _missing(packages: tuple[str, ...]) -> list[str]:
    unknown = [p for p in packages if p not in OPTIONAL_PACKAGES]
    assert not unknown, f"<!-- requires: --> names unknown package(s) {unknown}"
    return [p for p in packages if importlib.util.find_spec(p) is None]


PAGES_WITH_CODE = [page for page in PAGES if extract_blocks(page)]


def _sandbox_warning() -> type[Warning]:
    from inchframe import SandboxWarning

    return SandboxWarning


@pytest.mark.parametrize(
    "page", PAGES_WITH_CODE, ids=[str(p.relative_to(REPO)) for p in PAGES_WITH_CODE]
)
def test_page_code_runs(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = extract_blocks(page)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("INCHFRAME_RATE", "100")  # the sandbox has no limit; keep the test fast
    namespace: dict[str, Any] = {"__name__": f"docs:{page.name}"}
    try:
        with _quiet_plots(), contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=_sandbox_warning())
            warnings.filterwarnings("ignore", module="dask")  # dask's own pandas deprecations
            setup = PAGE_SETUP.get(page.name)
            if setup:
                _run(setup, namespace, f"PAGE_SETUP[{page.name!r}]")
            for block in blocks:
                if block.skip or _missing(block.requires):
                    continue
                failure = _failure_of(block, namespace)
                if failure:
                    pytest.fail(failure, pytrace=False)
    finally:
        from inchframe.client import Client

        for value in list(namespace.values()):
            if isinstance(value, Client):  # clients a page (or its setup) made itself
                value.close()
        _close_default_clients()


# -- the machinery itself -------------------------------------------------------------------------


def test_extracts_blocks_markers_and_doctests(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "# t\n\n```python\nx = 1\n```\n\n<!-- no-test: needs Spark -->\n```python\nspark\n```\n\n"
        "<!-- requires: polars -->\n\n```py\nimport polars\n```\n\n```bash\nls\n```\n\n"
        "- item\n\n  ```python\n  y = 2\n  ```\n",
        encoding="utf-8",
    )
    blocks = extract_blocks(page)
    assert [b.code.strip() for b in blocks] == ["x = 1", "spark", "import polars", "y = 2"]
    assert [b.skip for b in blocks] == [None, "needs Spark", None, None]
    assert blocks[2].requires == ("polars",)
    assert [b.line for b in blocks] == [3, 8, 14, 24]

    code = ">>> a = 1\n>>> f(a,\n...   2)\n3\n>>> df.inch\nAttributeError: no\nmore text\n"
    assert doctest_examples(code) == [
        ("a = 1", ""),
        ("f(a,\n  2)", "3"),
        ("df.inch", "AttributeError: no\nmore text"),
    ]
    assert expected_exception("AttributeError: no") == "AttributeError"
    assert expected_exception("inchframe.errors.InputError: bad") == "InputError"
    assert expected_exception("Traceback (most recent call last):\n ...\nKeyError: 3") == "KeyError"
    assert expected_exception("np.float64(1.0)") is None
    assert expected_exception("wallet") is None


def test_signature_blocks_are_checked() -> None:
    found = signature_of_block("format_usd(value, *, signed=False, decimals=1) -> str")
    assert found is not None and found.node.name == "format_usd"
    check_signature(found, "here")
    wrong = signature_of_block("format_usd(value, *, signed=True) -> str")
    assert wrong is not None
    with pytest.raises(AssertionError, match="differs from the code"):
        check_signature(wrong, "here")
    method = signature_of_block("Client.balances(chain, wallet) -> dict")
    assert method is not None
    check_signature(method, "here")
    qualified = signature_of_block("ifr.portfolio.v4.is_available(*, client=None) -> bool")
    assert qualified is not None
    check_signature(qualified, "here")
    assert signature_of_block("x = f(1)") is None
    assert signature_of_block("print(1)") is None


# -- reference pages agree with the code ----------------------------------------------------------

_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)|!\[[^\]]*\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")


def _without_code(text: str) -> str:
    """``text`` with fenced blocks and inline code spans blanked (links there are not links)."""
    out, fence = [], None
    for line in text.splitlines():
        match = _FENCE.match(line)
        if match and (fence is None or line.strip().startswith(fence)):
            fence = match["fence"] if fence is None else None
            out.append("")
            continue
        out.append("" if fence else re.sub(r"`[^`\n]*`", "``", line))
    return "\n".join(out)


def github_slug(heading: str) -> str:
    """The anchor GitHub (and Python-Markdown's toc) gives a heading."""
    text = heading.strip().lower().replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors_of(page: Path) -> set[str]:
    slugs: set[str] = set()
    fence = None
    for line in page.read_text(encoding="utf-8").splitlines():
        fenced = _FENCE.match(line)
        if fenced and (fence is None or line.strip().startswith(fence)):
            fence = fenced["fence"] if fence is None else None
            continue
        match = None if fence else _HEADING.match(line)
        if match:
            slugs.add(github_slug(match[1]))
    return slugs


def broken_links(markdown: str, page: Path) -> list[str]:
    """Relative links of ``markdown`` (written in ``page``) to missing files or headings."""
    broken = []
    for match in _LINK.finditer(_without_code(markdown)):
        target = match[1] or match[2]
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
            continue
        path_part, _, anchor = target.partition("#")
        resolved = (page.parent / path_part).resolve() if path_part else page
        if not resolved.exists():
            broken.append(f"{target} (no such file)")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors_of(resolved):
            broken.append(f"{target} (no heading with anchor #{anchor})")
    return broken


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(REPO)) for p in PAGES])
def test_local_links_resolve(page: Path) -> None:
    broken = broken_links(page.read_text(encoding="utf-8"), page)
    assert not broken, f"{page.name}: broken links: " + "; ".join(broken)


def _page(name: str) -> str:
    path = REPO / "docs" / name
    if not path.exists():
        pytest.skip(f"docs/{name} not present")
    return path.read_text(encoding="utf-8")


def test_configuration_page_lists_every_variable() -> None:
    from inchframe.config import ENV

    text = _page("configuration.md")
    names = [value for key, value in vars(ENV).items() if key.isupper()]
    missing = [name for name in names if f"`{name}`" not in text]
    assert not missing, f"docs/configuration.md does not document {missing}"


def _duration(seconds: int) -> str:
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}" + ("s" if count != 1 else "")
    return f"{seconds} seconds"


def test_caching_page_matches_the_expiry_table() -> None:
    from inchframe.endpoints import ENDPOINTS, HISTORICAL_EXPIRY, VARIANTS

    text = _page("caching.md")
    expiry = {row.name: row.expiry for row in ENDPOINTS}
    expiry.update({name: seconds for name, (_, seconds) in VARIANTS.items()})
    wrong = [
        f"{name}: {_duration(seconds)}"
        for name, seconds in expiry.items()
        if not re.search(rf"^\| `{re.escape(name)}` \| {_duration(seconds)} \|", text, re.M)
    ]
    assert not wrong, f"docs/caching.md's expiry table differs from ENDPOINTS: {wrong}"
    assert f"kept for {_duration(HISTORICAL_EXPIRY)}" in text


def test_coverage_page_lists_every_endpoint() -> None:
    import inchframe as ifr
    from inchframe import endpoints as ep

    text = _page("coverage.md")
    rows = {
        line.split("|")[3].strip(): line
        for line in text.splitlines()
        if re.match(r"^\| \d+ \|", line)
    }
    assert len(rows) == 31
    problems = []
    for catalogue in (ep.BALANCE_ENDPOINTS, ep.PORTFOLIO_V4_ENDPOINTS, ep.PORTFOLIO_V5_ENDPOINTS):
        for name, build in catalogue.items():
            method = build.__name__
            if not hasattr(ifr.Client, method):  # v4/v5 builders are named without the prefix
                method = name.replace(".", "_")
            row = rows.get(f"`{name}`")
            if row is None:
                problems.append(f"{name}: no row")
            elif f"`{method}`" not in row or not callable(getattr(ifr.Client, method, None)):
                problems.append(f"{name}: Client.{method} not in its row")
    assert not problems, "docs/coverage.md: " + "; ".join(problems)


NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_links_resolve(notebook: Path) -> None:
    import json

    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    broken = broken_links(text, notebook)
    assert not broken, f"{notebook.name}: broken links: " + "; ".join(broken)
