"""The command line: demo, fetch, cache, sandbox; errors as one line, never a traceback."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import inchframe as ifr
from _inchframe_cli import build_parser, main

from .conftest import BINANCE, FAKE_KEY, VITALIK


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inchframe", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    for command in ("demo", "fetch", "sandbox", "cache"):
        assert command in text


def test_help_does_not_import_pandas() -> None:
    probe = (
        "import sys; from _inchframe_cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('pandas' in sys.modules, 'inchframe' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()
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
    again = run_cli("demo", "--out", "out", cwd=tmp_path)  # same day: replaces the snapshot
    assert again.returncode == 0, again.stderr
    rerun = ifr.read_parquet(out / "portfolio-snapshots")
    key = ["snapshot_date", "chain_id", "wallet", "token", "position_index"]
    assert len(rerun) == len(snapshots) and not rerun.duplicated(key).any()


def test_demo_live_without_a_key_is_a_clear_error(tmp_path: Path) -> None:
    result = run_cli("demo", "--live", cwd=tmp_path)
    assert result.returncode == 1
    assert "INCHFRAME_API_KEY" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_fetch_writes_files(tmp_path: Path, suffix: str) -> None:
    result = run_cli(
        "fetch",
        "balances",
        VITALIK,
        "--chain",
        "ethereum",
        "base",
        "-o",
        f"bal{suffix}",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    path = tmp_path / f"bal{suffix}"
    frame = ifr.read_parquet(path) if suffix == ".parquet" else pd.read_csv(path, dtype=str)
    assert len(frame) > 0 and set(frame["wallet"]) == {VITALIK.lower()}
    assert f"wrote {len(frame)} row(s)" in result.stdout


def test_fetch_prints_a_table_and_portfolio_views(tmp_path: Path) -> None:
    result = run_cli("fetch", "portfolio", VITALIK, "--view", "current-value", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "dimension" in result.stdout and "total" in result.stdout
    allowances = run_cli(
        "fetch",
        "allowances",
        VITALIK,
        "--spender",
        "0x111111125421ca6dc452d289314280a0f8842a65",
        cwd=tmp_path,
    )
    assert allowances.returncode == 0 and "unlimited" in allowances.stdout


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("fetch", "balances", VITALIK[:-1] + "6"), "checksum"),
        (("fetch", "balances", VITALIK, "--chain", "ethereun"), "unknown chain"),
        (("fetch", "allowances", VITALIK), "--spender"),
        (("fetch", "balances", VITALIK, "-o", "out.xlsx"), ".parquet or .csv"),
        (("fetch", "portfolio", VITALIK, "--view", "chart", "--timerange", "2days"), "timerange"),
        (
            ("fetch", "portfolio", VITALIK, "--timerange", "5years"),
            "--view chart and --view metrics",
        ),
        (
            ("fetch", "portfolio", VITALIK, "--view", "protocols", "--timerange", "1year"),
            "--timerange applies only",
        ),
        (("fetch", "balances", VITALIK, "--timerange", "1year"), "--timerange applies only"),
    ],
)
def test_user_mistakes_are_one_line_errors(
    tmp_path: Path, args: tuple[str, ...], fragment: str
) -> None:
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == 1
    assert fragment in result.stderr and "Traceback" not in result.stderr


def test_cache_info_and_clear(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert (
        run_cli("fetch", "balances", VITALIK, "--cache-dir", str(cache), cwd=tmp_path).returncode
        == 0
    )
    info = run_cli("cache", "info", "--cache-dir", str(cache), cwd=tmp_path)
    assert info.returncode == 0 and "balance.balances" in info.stdout
    cleared = run_cli("cache", "clear", "--cache-dir", str(cache), cwd=tmp_path)
    assert cleared.returncode == 0 and "removed 2" in cleared.stdout
    assert (
        "entries:    0" in run_cli("cache", "info", "--cache-dir", str(cache), cwd=tmp_path).stdout
    )


def test_sandbox_command_shares_the_sandbox_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["sandbox", "--help"])
    assert done.value.code == 0
    assert "--rate-limit" in capsys.readouterr().out
    assert build_parser().prog == "inchframe"


# -- file-system and environment errors: one line, exit 1, never a traceback ------------------


def _one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("inchframe: error")]
    assert len(errors) == 1, result.stderr
    for fragment in fragments:
        assert fragment in errors[0]


@pytest.mark.parametrize("name", ["b.parquet", "b.csv"])
def test_fetch_output_under_a_file_is_an_error(tmp_path: Path, name: str) -> None:
    (tmp_path / "existing").write_text("a file")
    result = run_cli("fetch", "balances", VITALIK, "-o", f"existing/{name}", cwd=tmp_path)
    _one_line_error(result, f"existing/{name}", "existing is a file, not a directory")


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_fetch_output_where_files_cannot_be_created(tmp_path: Path) -> None:
    result = run_cli("fetch", "balances", VITALIK, "-o", "/proc/x.parquet", cwd=tmp_path)
    _one_line_error(result, "cannot write /proc/x.parquet")
    assert "inchframe-tmp" not in result.stderr  # the temporary name is not the user's


def test_demo_out_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "existing").write_text("a file")
    _one_line_error(
        run_cli("demo", "--out", "existing", cwd=tmp_path), "--out existing", "not a directory"
    )
    _one_line_error(
        run_cli("demo", "--out", "existing/sub", cwd=tmp_path), "existing/sub", "existing is a file"
    )


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_demo_out_cannot_be_created(tmp_path: Path) -> None:
    _one_line_error(run_cli("demo", "--out", "/proc/x", cwd=tmp_path), "/proc/x")


def test_unexpected_os_errors_are_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from inchframe import cli

    monkeypatch.setenv("INCHFRAME_API_KEY", "sekret-key-123")

    def broken(args: object) -> int:
        raise PermissionError(13, "Permission denied", "/data/sekret-key-123/file")

    monkeypatch.setattr(cli, "run_cache", broken)
    assert main(["cache", "info"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == "inchframe: error: /data/***/file: Permission denied"


def test_sandbox_port_out_of_range_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    for port in ("99999", "-1"):
        with pytest.raises(SystemExit) as done:
            main(["sandbox", "--port", port])
        assert done.value.code == 2
        assert "0-65535" in capsys.readouterr().err


def test_sandbox_port_in_use_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["sandbox", "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert f"127.0.0.1:{port}" in err and "Traceback" not in err and len(err.splitlines()) == 1


# -- partial and total failures ---------------------------------------------------------------


def test_offline_with_an_empty_cache_is_an_error(tmp_path: Path) -> None:
    result = run_cli(
        "fetch",
        "balances",
        VITALIK,
        "--offline",
        "--no-progress",
        "--cache-dir",
        str(tmp_path / "empty"),
        cwd=tmp_path,
    )
    _one_line_error(result, "not in the cache", "without --offline")
    assert "PartialResultWarning" not in result.stderr and "Empty DataFrame" not in result.stdout


def test_demo_with_nothing_cached_offline_is_an_error(tmp_path: Path) -> None:
    result = run_cli(
        "demo",
        "--out",
        "out",
        "--offline",
        "--no-progress",
        "--cache-dir",
        str(tmp_path / "empty"),
        cwd=tmp_path,
    )
    _one_line_error(result, "not in the cache")
    assert ".py:" not in result.stderr  # loader warnings are one line each, no source line
    assert not (tmp_path / "out").exists()


def test_partial_failure_is_a_one_line_notice(tmp_path: Path) -> None:
    cache = str(tmp_path / "cache")
    assert (
        run_cli(
            "fetch", "balances", VITALIK, "--cache-dir", cache, "--no-progress", cwd=tmp_path
        ).returncode
        == 0
    )  # ethereum only: base is not cached
    result = run_cli(
        "fetch",
        "balances",
        VITALIK,
        "--chain",
        "ethereum",
        "base",
        "--offline",
        "--cache-dir",
        cache,
        "--no-progress",
        "-o",
        "bal.parquet",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    notices = [line for line in result.stderr.splitlines() if "warning" in line.lower()]
    assert notices == [
        f"inchframe: warning: 2 of 4 request(s) failed (2 OfflineCacheMiss); the output holds "
        f"the {len(ifr.read_parquet(tmp_path / 'bal.parquet'))} row(s) that arrived"
    ]
    assert "PartialResultWarning" not in result.stderr and ".py:" not in result.stderr
    quiet = run_cli(
        "fetch",
        "balances",
        VITALIK,
        "--chain",
        "ethereum",
        "base",
        "--offline",
        "--cache-dir",
        cache,
        "--no-progress",
        "--errors",
        "ignore",
        cwd=tmp_path,
    )
    assert quiet.returncode == 0 and "warning" not in quiet.stderr
    strict = run_cli(
        "fetch",
        "balances",
        VITALIK,
        "--chain",
        "ethereum",
        "base",
        "--offline",
        "--cache-dir",
        cache,
        "--no-progress",
        "--errors",
        "raise",
        "-o",
        "x.csv",
        cwd=tmp_path,
    )
    _one_line_error(strict, "not in the cache")
    assert not (tmp_path / "x.csv").exists()


# -- cache directory ------------------------------------------------------------------------


def test_cache_dir_that_cannot_exist_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    for action in ("info", "clear"):
        _one_line_error(
            run_cli("cache", action, "--cache-dir", "file", cwd=tmp_path), "file", "not a directory"
        )
        _one_line_error(
            run_cli("cache", action, "--cache-dir", "file/sub", cwd=tmp_path),
            "file/sub",
            "file is a file",
        )


@pytest.mark.skipif(not Path("/proc/1").is_dir(), reason="needs Linux /proc")
def test_cache_dir_that_cannot_be_created_is_an_error(tmp_path: Path) -> None:
    _one_line_error(
        run_cli("cache", "info", "--cache-dir", "/proc/1/nope", cwd=tmp_path),
        "/proc/1/nope",
        "cannot be created",
    )


def test_missing_cache_dir_is_an_empty_cache(tmp_path: Path) -> None:
    info = run_cli("cache", "info", "--cache-dir", "new/cache", cwd=tmp_path)
    assert info.returncode == 0 and "entries:    0" in info.stdout
    assert not (tmp_path / "new").exists()  # read-only: nothing created


# -- first-hour traps: data vs metadata requests, hints, pipes, file modes ----------------------


def _cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INCHFRAME_", "ONEINCH_"))}
    return {**env, **extra}


def _run(*args: str, cwd: Path, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inchframe", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        env=kwargs.pop("env", None) or _cli_env(),
        **kwargs,
    )


@pytest.mark.parametrize(
    "kind",
    [["balances"], ["allowances", "--spender", "0x111111125421ca6dc452d289314280a0f8842a65"]],
)
@pytest.mark.parametrize("output", ["out.csv", "out.parquet"])
def test_offline_with_only_metadata_cached_is_an_error(
    tmp_path: Path, kind: list[str], output: str
) -> None:
    """The chain's token list (metadata) is cached, the wallet's data is not: that is no answer,
    so the command exits 1 and writes nothing (not a header-only file and exit 0)."""
    cache = str(tmp_path / "cache")
    first = _run("fetch", *kind[:1], BINANCE, *kind[1:], "--cache-dir", cache, "--no-progress",
                 cwd=tmp_path)  # fmt: skip
    assert first.returncode == 0, first.stderr  # fills the token list of Ethereum
    for policy in ("warn", "ignore"):
        result = _run("fetch", *kind[:1], VITALIK, *kind[1:], "--offline", "--cache-dir", cache,
                      "--no-progress", "--errors", policy, "-o", output, cwd=tmp_path)  # fmt: skip
        _one_line_error(result, "not in the cache", "without --offline")
        assert not (tmp_path / output).exists()
        assert "wrote" not in result.stdout


def test_offline_with_data_cached_but_not_metadata_still_writes(tmp_path: Path) -> None:
    """The reverse holds too: the data arrived, so a metadata miss is a partial failure."""
    cache = str(tmp_path / "cache")
    assert _run("fetch", "balances", VITALIK, "--cache-dir", cache, "--no-progress",
                cwd=tmp_path).returncode == 0  # fmt: skip
    result = _run("fetch", "balances", VITALIK, "--offline", "--cache-dir", cache,
                  "--no-progress", "-o", "b.csv", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0 and (tmp_path / "b.csv").exists(), result.stderr


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (["fetch", "balances", VITALIK], "set INCHFRAME_API_KEY for the real API"),
        (["fetch", "portfolio", VITALIK, "--view", "current-value"], "set INCHFRAME_API_KEY for"),
        (["demo", "--out", "d", "--wallets", VITALIK, "--chains", "ethereum"], "pass --live"),
    ],
)
def test_sandbox_hint_is_true_to_the_command(tmp_path: Path, args: list[str], hint: str) -> None:
    result = _run(*args, "--no-progress", "--cache-dir", str(tmp_path / "c"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stderr.splitlines() if "embedded sandbox" in x)
    assert hint in line
    if args[0] == "fetch":  # fetch has no --live: the hint must not offer it
        assert "--live" not in line and "(demo)" not in line
        assert "--live" not in build_parser().parse_args(args).__dict__


def test_sandbox_hint_with_a_key_and_sandbox_flag(tmp_path: Path) -> None:
    env = _cli_env(INCHFRAME_API_KEY=FAKE_KEY)
    result = _run("fetch", "balances", VITALIK, "--sandbox", "--no-progress", "--cache-dir",
                  str(tmp_path / "c"), cwd=tmp_path, env=env)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "drop --sandbox for the real API" in result.stderr
    assert FAKE_KEY not in result.stderr + result.stdout


def test_closed_stdout_pipe_exits_quietly(tmp_path: Path) -> None:
    """``inchframe fetch ... | head``: the reader leaves; no traceback, no error line, exit 141."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "inchframe", "fetch", "balances", BINANCE, "--no-progress",
         "--cache-dir", str(tmp_path / "c")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path, env=_cli_env(),
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the table is printed
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=120) == 141
    assert "Broken pipe" not in err and "Traceback" not in err and "Exception ignored" not in err
    assert "error" not in err


@pytest.mark.skipif(os.name != "posix", reason="file modes and umask are POSIX")
@pytest.mark.parametrize("umask", [0o022, 0o027, 0o077])
def test_outputs_honour_the_umask(tmp_path: Path, umask: int) -> None:
    for name in ("bal.csv", "bal.parquet"):
        result = _run("fetch", "balances", VITALIK, "--no-progress", "--cache-dir",
                      str(tmp_path / "c"), "-o", name, cwd=tmp_path, umask=umask)  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o666 & ~umask, name
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".bal")]  # no temp files left
