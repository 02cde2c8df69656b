"""Import and start-up time, each in fresh processes (medians).

- ``import inchframe``: timed inside the child around the import statement (interpreter start-up
  excluded);
- ``inchframe --help``: the installed console script, wall time of the whole process
  (interpreter start-up included), next to ``python -c pass`` for reference.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from ._harness import Options, Result

NAME = "import"


def _import_seconds() -> float:
    code = "import time; t = time.perf_counter(); import inchframe; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def _wall(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, capture_output=True, check=True)
    return time.perf_counter() - start


def _cli() -> tuple[list[str], str]:
    script = Path(sys.executable).with_name("inchframe")
    if script.exists() or shutil.which("inchframe"):
        argv = [str(script) if script.exists() else "inchframe", "--help"]
        try:
            subprocess.run(argv, capture_output=True, check=True, timeout=30)
            return argv, "the installed console script"
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            pass
    root = Path(__file__).resolve().parents[1]
    return [sys.executable, str(root / "_inchframe_cli.py"), "--help"], (
        "python _inchframe_cli.py (console script missing or failing: pip install -e .)"
    )


def run(options: Options) -> list[Result]:
    n = 5 if options.quick else 9
    _import_seconds()  # warm the file system cache and the bytecode
    imports = [_import_seconds() for _ in range(n)]
    argv, what = _cli()
    _wall(argv)
    helps, bare = [], []
    for _ in range(n):
        helps.append(_wall(argv))
        bare.append(_wall([sys.executable, "-c", "pass"]))
    imp, hlp, py = (statistics.median(x) for x in (imports, helps, bare))
    return [
        Result(
            NAME,
            "import inchframe",
            imp,
            None,
            "s",
            None,
            "≤ 0.65 s",
            imp <= 0.65,
            f"median of {n} fresh processes, the import statement only",
        ),
        Result(
            NAME,
            "inchframe --help (whole process)",
            hlp,
            py,
            "s",
            hlp / py,
            "≤ 0.25 s",
            hlp <= 0.25,
            f"{what}; baseline: python -c pass",
        ),
    ]
