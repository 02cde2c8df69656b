"""``python -m inchframe.sandbox`` prints its URL, serves, and exits 0 on Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys

from inchframe.sandbox import add_arguments, run
from inchframe.sandbox.cli import options_from_args

from ._helpers import V5, call


def test_arguments_map_to_options() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(
        [
            "--port",
            "0",
            "--seed",
            "9",
            "--quirks",
            "documented",
            "--no-tokens-snapshot-envelope",
            "--error-rate",
            "0.1",
            "--error-statuses",
            "502,503",
            "--fault-endpoints",
            "v5.chart,v5.report",
            "--api-key",
            "k1",
            "--now",
            "live",
        ]
    )
    options = options_from_args(args)
    assert options["seed"] == 9 and options["quirks"] == "documented"
    assert options["tokens_snapshot_envelope"] is False
    assert options["error_statuses"] == [502, 503]
    assert options["fault_endpoints"] == ["v5.chart", "v5.report"]
    assert options["api_keys"] == ["k1"]
    assert options["now"] % 3600 == 0
    assert "rate_limit" not in options and callable(run)


def test_module_serves_and_exits_cleanly() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "inchframe.sandbox", "--port", "0", "--seed", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert call(url, f"{V5}/general/status").status == 200
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
        process.stdout.close()
        process.stderr.close()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_bad_option_exits_2() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "inchframe.sandbox", "--port", "0", "--error-rate", "3"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2 and "error_rate" in result.stderr
