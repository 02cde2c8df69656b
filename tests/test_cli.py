"""The command line: demo, fetch, cache, sandbox; errors as one line, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import inchframe as ifr
from _inchframe_cli import build_parser, main

from .conftest import VITALIK


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "inchframe", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120)


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    for command in ("demo", "fetch", "sandbox", "cache"):
        assert command in text


def test_help_does_not_import_pandas() -> None:
    probe = ("import sys; from _inchframe_cli import main\n"
             "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
             "print('pandas' in sys.modules, 'inchframe' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out[-2:] == ["False", "False"]


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    result = run_cli("fetch", "balances", cwd=tmp_path)
    assert result.returncode == 2 and "usage" in result.stderr


def test_demo_writes_parquet_and_charts(tmp_path: Path) -> None:
    result = run_cli("demo", "--out", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "out"
    assert "unlimited" in result.stdout and "wrote 6 file(s)" in result.stdout
    assert "embedded sandbox" in result.stderr
    for name in ("composition-by-token.png", "composition-by-chain.png", "value-over-time.png"):
        png = out / "charts" / name
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    balances = ifr.read_parquet(out / "balances.parquet")
    assert set(balances["chain_id"]) == {1, 8453, 42161}
    assert balances.attrs["inchframe"]["endpoint"] == "balances"
    snapshots = ifr.read_parquet(out / "portfolio-snapshots")
    assert len(snapshots) > 0 and "snapshot_date" in snapshots.columns
    again = run_cli("demo", "--out", "out", cwd=tmp_path)  # appends a second snapshot batch
    assert again.returncode == 0
    assert len(ifr.read_parquet(out / "portfolio-snapshots")) == 2 * len(snapshots)


def test_demo_live_without_a_key_is_a_clear_error(tmp_path: Path) -> None:
    result = run_cli("demo", "--live", cwd=tmp_path)
    assert result.returncode == 1
    assert "INCHFRAME_API_KEY" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_fetch_writes_files(tmp_path: Path, suffix: str) -> None:
    result = run_cli("fetch", "balances", VITALIK, "--chain", "ethereum", "base",
                     "-o", f"bal{suffix}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    path = tmp_path / f"bal{suffix}"
    frame = ifr.read_parquet(path) if suffix == ".parquet" else pd.read_csv(path, dtype=str)
    assert len(frame) > 0 and set(frame["wallet"]) == {VITALIK.lower()}
    assert f"wrote {len(frame)} row(s)" in result.stdout


def test_fetch_prints_a_table_and_portfolio_views(tmp_path: Path) -> None:
    result = run_cli("fetch", "portfolio", VITALIK, "--view", "current-value", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "dimension" in result.stdout and "total" in result.stdout
    allowances = run_cli("fetch", "allowances", VITALIK, "--spender",
                         "0x111111125421ca6dc452d289314280a0f8842a65", cwd=tmp_path)
    assert allowances.returncode == 0 and "unlimited" in allowances.stdout


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("fetch", "balances", VITALIK[:-1] + "6"), "checksum"),
        (("fetch", "balances", VITALIK, "--chain", "ethereun"), "unknown chain"),
        (("fetch", "allowances", VITALIK), "--spender"),
        (("fetch", "balances", VITALIK, "-o", "out.xlsx"), ".parquet or .csv"),
        (("fetch", "portfolio", VITALIK, "--view", "chart", "--timerange", "2days"), "timerange"),
    ],
)
def test_user_mistakes_are_one_line_errors(tmp_path: Path, args: tuple[str, ...],
                                           fragment: str) -> None:
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == 1
    assert fragment in result.stderr and "Traceback" not in result.stderr


def test_cache_info_and_clear(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert run_cli("fetch", "balances", VITALIK, "--cache-dir", str(cache),
                   cwd=tmp_path).returncode == 0
    info = run_cli("cache", "info", "--cache-dir", str(cache), cwd=tmp_path)
    assert info.returncode == 0 and "balance.balances" in info.stdout
    cleared = run_cli("cache", "clear", "--cache-dir", str(cache), cwd=tmp_path)
    assert cleared.returncode == 0 and "removed 2" in cleared.stdout
    assert "entries:    0" in run_cli("cache", "info", "--cache-dir", str(cache),
                                      cwd=tmp_path).stdout


def test_sandbox_command_shares_the_sandbox_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["sandbox", "--help"])
    assert done.value.code == 0
    assert "--rate-limit" in capsys.readouterr().out
    assert build_parser().prog == "inchframe"
