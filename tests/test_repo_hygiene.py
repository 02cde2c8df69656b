"""The repository stands on its own: no machine's absolute path, no pointer to a file outside it.

A fresh clone must pass its tests and read sensibly with nothing beside it, so every tracked text
file under README.md, docs/, inchframe/, notebooks/, tests/ and benchmarks/ is scanned for

- absolute paths of some machine (this workplace's top-level work and root folders, a home
  folder of a user on Linux or macOS, ``C:\\Users``), and
- references to the reference notes that are not in the repository (``REFERENCE.md``,
  ``REFERENCE section 6``, ``REFERENCE 5.8``, ``shared/api/...``). The facts those notes held are
  in docs/api-contract.md, which is what code and docs cite.

The one allowed mention of ``../shared/api/openapi`` is the documented default of the
``INCHFRAME_OPENAPI_DIR`` setting (tests/sandbox/_helpers.py).
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCOPE = ("README.md", "docs", "inchframe", "notebooks", "tests", "benchmarks")
THIS = Path(__file__).resolve().relative_to(REPO).as_posix()

#: Top-level folders of the machines this project is built on (spelled apart so that this file,
#: which must name them, does not contain the paths it forbids).
MACHINE_DIRS = ("wo" + "rk", "ro" + "ot")
ABSOLUTE_PATH = re.compile(
    r"(?<![\w.~-])/(?:" + "|".join(MACHINE_DIRS) + r")/"  # top-level folders (not a URL's path)
    r"|(?<![\w.~-])/home/[A-Za-z0-9_.-]+"  # /home/<user>
    r"|(?<![\w.~-])/Users/[A-Za-z0-9_.-]+"  # macOS /Users/<user>
    r"|\b[A-Za-z]:(?:\\\\|\\|/)Users\b",  # C:\Users, C:\\Users (escaped), C:/Users
)
#: ``REFERENCE`` in capitals is how the tree cited those notes ("REFERENCE section 6", "REFERENCE
#: 5.8", "REFERENCE marks ... INFERRED"); the lowercase word is free.
EXTERNAL_REFERENCE = re.compile(r"REFERENCE\.md|\bREFERENCE\b|\bshared/api/")
#: The documented default of INCHFRAME_OPENAPI_DIR, the only sanctioned mention of ../shared.
ALLOWED = re.compile(r"\.\./shared/api/openapi(?![\w/])")


@dataclass(frozen=True)
class Hit:
    path: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text.strip()[:160]}"


def _tracked_files() -> list[str]:
    """Tracked files in scope (git ls-files); a plain walk when this is not a git checkout."""
    try:
        listed = subprocess.run(
            ["git", "-C", str(REPO), "ls-files", "-z", "--", *SCOPE],
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout.decode("utf-8", "surrogateescape")
        files = [name for name in listed.split("\0") if name]
    except (OSError, subprocess.SubprocessError):
        files = []
    if files:
        return files
    found: list[str] = []
    for top in SCOPE:
        root = REPO / top
        candidates = [root] if root.is_file() else sorted(root.rglob("*"))
        for path in candidates:
            parts = set(path.relative_to(REPO).parts)
            if path.is_file() and not parts & {"__pycache__", ".ipynb_checkpoints"}:
                found.append(path.relative_to(REPO).as_posix())
    return found


def _text(name: str) -> str | None:
    try:
        data = (REPO / name).read_bytes()
    except OSError:  # listed by git but deleted in the work tree
        return None
    if b"\0" in data[:8192]:  # binary (images, Parquet)
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _scan(pattern: re.Pattern[str], names: list[str]) -> list[Hit]:
    hits: list[Hit] = []
    for name in names:
        if name == THIS:
            continue
        text = _text(name)
        if text is None:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if pattern.search(ALLOWED.sub("", line)):
                hits.append(Hit(name, number, line))
    return hits


def _package_non_sandbox(name: str) -> bool:
    return name.startswith("inchframe/") and not name.startswith("inchframe/sandbox/")


FILES = _tracked_files()


def test_scope_is_not_empty() -> None:
    """The scan sees the tree (a broken file listing must not pass the checks below vacuously)."""
    assert "README.md" in FILES
    assert any(name.startswith("docs/") for name in FILES)
    assert any(name.startswith("inchframe/") for name in FILES)
    assert any(name.startswith("tests/data/recorded/") for name in FILES)


def test_no_absolute_machine_paths() -> None:
    hits = _scan(ABSOLUTE_PATH, FILES)
    assert not hits, "absolute machine paths:\n" + "\n".join(map(str, hits))


def test_no_references_outside_the_repo() -> None:
    """README, docs, notebooks, tests, benchmarks and the sandbox cite docs/api-contract.md."""
    names = [name for name in FILES if not _package_non_sandbox(name)]
    hits = _scan(EXTERNAL_REFERENCE, names)
    assert not hits, "references to files outside the repository:\n" + "\n".join(map(str, hits))


def test_no_references_outside_the_repo_in_package_comments() -> None:
    names = [name for name in FILES if _package_non_sandbox(name)]
    hits = _scan(EXTERNAL_REFERENCE, names)
    assert not hits, "references to files outside the repository:\n" + "\n".join(map(str, hits))


def test_recorded_bodies_carry_no_credentials() -> None:
    """No API key or Authorization value in the recorded bodies (they may be replayed or shared)."""
    recorded = REPO / "tests" / "data" / "recorded"
    bodies = [p for p in sorted(recorded.iterdir()) if p.is_file() and p.name != "INDEX.md"]
    assert bodies, "tests/data/recorded/ holds no bodies"
    secret = re.compile(
        r"authorization|bearer\s+\S|api[_-]?key|x-api-key|[?&](?:key|token)=", re.IGNORECASE
    )
    leaks = [f"{p.name}: {m.group(0)}" for p in bodies for m in secret.finditer(p.read_text())]
    assert not leaks, leaks


def test_patterns_catch_what_they_are_meant_to() -> None:
    """The checks above can fail: each pattern matches its targets and not the look-alikes."""
    for bad in (
        f'SHARED = Path("/{MACHINE_DIRS[0]}/shared/api")',
        f"see /{MACHINE_DIRS[1]}/.cache/x",
        "in /home/alice/project",
        "C:\\Users\\bob",
        '"C:\\\\Users\\\\bob"',
        "/Users/carol/src",
    ):
        assert ABSOLUTE_PATH.search(bad), bad
    for fine in (
        f"https://example.com/{MACHINE_DIRS[0]}/x",
        f"~/{MACHINE_DIRS[0]}/notes",
        "tmp/home",
        "users/",
    ):
        assert not ABSOLUTE_PATH.search(fine), fine
    for bad in (
        "shared/api/REFERENCE.md",
        "(REFERENCE section 6)",
        "REFERENCE sections 4 and 5",
        "REFERENCE 5.8",
        "where REFERENCE marks something INFERRED",
        "../shared/api/recorded",
    ):
        assert EXTERNAL_REFERENCE.search(ALLOWED.sub("", bad)), bad
    for fine in (
        "defaulting to ../shared/api/openapi when present",
        "a reference to nothing",
        "REFERENCES_SEEN = 1",
    ):
        assert not EXTERNAL_REFERENCE.search(ALLOWED.sub("", fine)), fine
