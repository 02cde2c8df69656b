"""``inchframe doctor``: every endpoint once, every converter, a key-free report.

- On the embedded sandbox, in every quirk preset, doctor exits 0 and names the forms it saw.
- ``--live --record DIR`` against a separately started sandbox process (a fake key) writes one
  body per endpoint, none containing the key, and the replay of that folder is green.
- ``INCHFRAME_RECORDED_DIR=DIR`` replays a folder recorded elsewhere (a user's report):
  every converter on every body, no error and no silent empty frame.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from inchframe import checkup as dr
from inchframe.client import Client
from inchframe.sandbox.options import QUIRK_PRESETS

from .conftest import FAKE_KEY, VITALIK

#: What each preset serves, and so what doctor must report having seen.
EXPECTED = {
    "observed": {"chain key": "chain", "envelope": "{result: ...}"},
    "documented": {"chain key": "chain_id", "envelope": "bare list"},
    "legacy": {"chain key": "chain", "envelope": "{result: ...}"},
}


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INCHFRAME_", "ONEINCH_"))}
    return {**env, **extra}


def test_endpoint_table_covers_the_31() -> None:
    from inchframe import endpoints as ep

    every = {**ep.BALANCE_ENDPOINTS, **ep.PORTFOLIO_V4_ENDPOINTS, **ep.PORTFOLIO_V5_ENDPOINTS}
    assert set(dr.ENDPOINTS) == set(every) and len(dr.ENDPOINTS) == 31


@pytest.mark.parametrize("preset", sorted(QUIRK_PRESETS))
def test_doctor_is_green_on_every_quirk_preset(preset: str) -> None:
    from inchframe.sandbox import Sandbox

    with (
        Sandbox(quirks=preset) as server,
        Client(FAKE_KEY, base_url=server.url, cache=False, rate=500, progress=False) as client,
    ):
        report = dr.doctor(client=client)
    assert report.ok, report.text()
    assert report.exit_code == 0 and len(report.checks) == 31
    observed = report.observed()
    for question, form in EXPECTED.get(preset, {}).items():
        assert form in observed[question], (question, observed[question])
    text = report.text()
    assert "OK: 31 of 31" in text and FAKE_KEY not in text
    for q in dr.OPEN_QUESTIONS:  # every open question is answered or said to be unobserved
        assert f"- {q.name}: " in text


def test_doctor_reports_failing_endpoints() -> None:
    from inchframe.sandbox import Sandbox

    with (
        Sandbox() as server,
        Client(
            FAKE_KEY, base_url=server.url, cache=False, rate=500, progress=False, max_retries=0
        ) as client,
    ):
        server.configure(error_rate=1.0)
        report = dr.doctor([VITALIK], client=client)
    assert not report.ok and report.exit_code == 1
    assert all(c.status.startswith("error") for c in report.checks)
    assert "PROBLEMS: 0 of 31" in report.text()


def test_cli_doctor_on_the_embedded_sandbox(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "inchframe", "doctor", "--no-progress"],
        capture_output=True, text=True, cwd=tmp_path, env=_env(), timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK: 31 of 31" in result.stdout and "chain key" in result.stdout
    assert "embedded sandbox" in result.stderr and "--live" in result.stderr


def test_cli_doctor_live_without_a_key_is_a_clear_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "inchframe", "doctor", "--live"],
        capture_output=True, text=True, cwd=tmp_path, env=_env(), timeout=120,
    )  # fmt: skip
    assert result.returncode == 1 and "INCHFRAME_API_KEY" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def sandbox_process() -> Iterator[str]:
    """``python -m inchframe.sandbox`` in its own process, accepting only FAKE_KEY."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "inchframe.sandbox", "--port", "0", "--api-key", FAKE_KEY],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(),
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), proc.stderr.read() if proc.stderr else url
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def recorded(sandbox_process: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("doctor") / "rec"
    env = _env(INCHFRAME_API_KEY=FAKE_KEY, INCHFRAME_BASE_URL=sandbox_process)
    result = subprocess.run(
        [sys.executable, "-m", "inchframe", "doctor", "--live", "--record", str(out),
         "--rate", "100", "--no-progress"],
        capture_output=True, text=True, env=env, timeout=300, cwd=out.parent,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK: 31 of 31" in result.stdout
    assert FAKE_KEY not in result.stdout + result.stderr
    return out


def test_live_record_writes_one_key_free_body_per_endpoint(recorded: Path) -> None:
    index = json.loads((recorded / "index.json").read_text())
    entries = index["bodies"]
    assert sorted(e["endpoint"] for e in entries) == sorted(dr.ENDPOINTS)
    files = {p.name for p in recorded.iterdir()}
    assert files == {e["file"] for e in entries} | {"index.json", "INDEX.md"}
    assert len({e["file"] for e in entries}) == 31
    for path in recorded.iterdir():
        data = path.read_bytes()
        assert FAKE_KEY.encode() not in data, path.name
        if path.name not in ("INDEX.md", "index.json"):  # (INDEX.md says it is never recorded)
            assert b"Authorization" not in data and b"Bearer" not in data, path.name
    # the layout of the recorded test data: <api>-<route>[-get|-post]__<n>.<ext>
    assert "balance-balances-get__1.json" in files and "v5-tokens-snapshot__1.json" in files
    assert "balance-balances-multiple-walletsAndTokens__1.json" in files


def test_replay_of_the_recorded_folder_is_green(recorded: Path) -> None:
    _replay(recorded)


def _replay(directory: Path) -> None:
    entries = dr.load_recorded(directory)
    assert entries, f"{directory} holds no recorded bodies"
    problems = []
    for entry in entries:
        check = dr.convert_recorded(directory, entry)
        if not check.ok:
            problems.append(f"{entry['file']} ({entry['endpoint']}): {check.status}")
    assert not problems, "\n".join(problems)


@pytest.mark.skipif(
    not os.environ.get("INCHFRAME_RECORDED_DIR"),
    reason="set INCHFRAME_RECORDED_DIR to a folder written by `inchframe doctor --record DIR` "
    "to replay it",
)
def test_replay_recorded_dir_from_the_environment() -> None:
    """Every body of a user's recorded folder converts: no error, no silent empty frame."""
    _replay(Path(os.environ["INCHFRAME_RECORDED_DIR"]))


def test_replay_catches_a_broken_body(recorded: Path, tmp_path: Path) -> None:
    """The replay can fail: a body whose required field was dropped is reported."""
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(recorded, copy)
    target = copy / "v5-tokens-snapshot__1.json"
    body: Any = json.loads(target.read_text())
    items = body["result"] if isinstance(body, dict) else body
    for item in items:
        item.pop("index", None)
    target.write_text(json.dumps(body))
    with pytest.raises(AssertionError, match="v5-tokens-snapshot"):
        _replay(copy)


def test_a_raw_body_converted_unlike_its_parsed_json_is_reported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The doctor gives the loaders' converters the body as bytes and as parsed JSON: a row
    count that differs is reported, so a decoding defect cannot pass as an OK answer."""
    import pandas as pd

    from inchframe import endpoints as ep

    build, _ = dr.ENDPOINTS["balance.balances"]

    def convert(call: Any, body: Any) -> pd.DataFrame:
        return pd.DataFrame({"n": range(1 if isinstance(body, bytes) else 2)})

    monkeypatch.setitem(dr.ENDPOINTS, "balance.balances", (build, convert))
    call = ep.balances(1, VITALIK)
    _, check = dr._convert("balance.balances", call, json.dumps({"0x" + "1" * 40: "1"}).encode())
    assert "the raw body gave 1 rows, its parsed JSON 2" in check.fallbacks
