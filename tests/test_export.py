"""inchframe.export: exactly once through SIGKILL, the CLI form, the failures table and its retry,
input checks before any request, and every loader that takes wallets.

The kill tests run the export in a subprocess (the CLI, with a stage hook that SIGKILLs the
process at a precise point, or killed from outside at a random moment) against a sandbox server
running in another process, restart it with the same command, and compare the result row by
row with an uninterrupted export, read through deltalake and through pyarrow.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.dataset as ds
import pytest

import inchframe
from inchframe.client import Client
from inchframe.errors import InputError
from inchframe.exports import BATCH_COLUMN, export, export_loaders, read_failures

from .conftest import FAKE_KEY, REPO, ROUTER_V6, api_requests

CHAINS = ["1", "8453"]
KEY = ["chain_id", "wallet", "token"]
RNG = random.Random(15)


def _wallets(n: int, seed: int = 4) -> list[str]:
    rng = random.Random(seed)
    return [f"0x{rng.getrandbits(160):040x}" for _ in range(n)]


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


# -- a sandbox in its own process -------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "inchframe.sandbox", "--port", "0", "--seed", "3"],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        text=True,
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), url
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()


_RUNNER = """
    import os, signal, sys
    sys.path.insert(0, {repo!r})
    import inchframe.exports as E
    stage, batch = {stage!r}, {batch!r}
    def hook(name, k):
        if name == stage and k == batch:
            os.kill(os.getpid(), signal.SIGKILL)
    E._stage_hook = hook
    from inchframe.cli import main
    sys.exit(main({argv!r}))
"""


def _env(cache: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "INCHFRAME_API_KEY": FAKE_KEY,
        "INCHFRAME_CACHE_DIR": str(cache),
    }


def _argv(url: str, wallets: Path, to: Path, fmt: str) -> list[str]:
    return [
        "export",
        "balances",
        "--wallets",
        str(wallets),
        "--to",
        str(to),
        "--format",
        fmt,
        "--chain",
        *CHAINS,
        "--batch-size",
        "8",
        "--partition-by",
        "chain_id",
        "--base-url",
        url,
        "--rate",
        "1000",
        "--no-progress",
    ]


def _read(to: Path, fmt: str) -> pd.DataFrame:
    """The table as a reader without inchframe sees it."""
    if fmt == "delta":
        from deltalake import DeltaTable

        table = DeltaTable(str(to)).to_pyarrow_table()
    else:
        table = ds.dataset(to, format="parquet", partitioning="hive").to_table()
    frame = table.to_pandas()
    frame["chain_id"] = frame["chain_id"].astype("int64")
    return _sorted(frame[sorted(frame.columns)].astype(str))


@pytest.fixture(scope="module")
def reference(server: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """An uninterrupted export of 40 wallets (5 batches) in each format, and a warm cache."""
    root = tmp_path_factory.mktemp("reference")
    wallets = root / "wallets.csv"
    wallets.write_text(
        "label,wallet\n" + "".join(f"w{i},{w}\n" for i, w in enumerate(_wallets(40)))
    )
    cache = root / "cache"
    out: dict[str, Any] = {"wallets": wallets, "cache": cache}
    for fmt in ("delta", "parquet"):
        to = root / fmt
        done = subprocess.run(
            [sys.executable, "-m", "inchframe", *_argv(server, wallets, to, fmt)],
            env=_env(cache),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        out[fmt] = _read(to, fmt)
    return out


def test_reference_exports_agree_with_the_loader(server: str, reference: dict[str, Any]) -> None:
    delta, parquet = reference["delta"], reference["parquet"]
    pd.testing.assert_frame_equal(delta, parquet)
    assert sorted(delta[BATCH_COLUMN].astype(int).unique()) == [0, 1, 2, 3, 4]
    with Client(FAKE_KEY, base_url=server, cache=False, rate=1000, progress=False) as client:
        direct = inchframe.balances(_wallets(40), chain=[1, 8453], client=client)
    expected = direct.astype(str)
    got = delta.drop(columns=BATCH_COLUMN)[sorted(expected.columns)]
    pd.testing.assert_frame_equal(got, _sorted(expected[sorted(expected.columns)]))
    # exact uint256 strings, never floats
    assert got["balance_raw"].str.fullmatch(r"\d+").all()


KILLS = [
    ("delta", "committed", 0),  # after one whole batch
    ("delta", "failures-written", 2),  # mid-batch, before its commit
    ("parquet", "part-moved", 1),  # mid-batch: part of batch 1 visible, no marker
    ("parquet", "committed", 3),
]


@pytest.mark.parametrize(("fmt", "stage", "batch"), KILLS)
def test_sigkill_at_a_stage_then_rerun(
    server: str, reference: dict[str, Any], tmp_path: Path, fmt: str, stage: str, batch: int
) -> None:
    to = tmp_path / "out"
    argv = _argv(server, reference["wallets"], to, fmt)
    code = _RUNNER.format(repo=str(REPO), stage=stage, batch=batch, argv=argv)
    killed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=_env(reference["cache"]),
        capture_output=True,
        timeout=120,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()
    if fmt == "delta":
        from deltalake import DeltaTable

        seen = DeltaTable(str(to)).to_pyarrow_table().column(BATCH_COLUMN).to_pylist()
        assert set(seen) == set(range(batch + (stage == "committed")))  # whole batches only
    else:
        markers = list((to / "_inchframe_export" / "done").glob("*.json"))
        assert len(markers) == batch + (stage == "committed")
        if stage == "part-moved":  # the killed batch is partly visible until the rerun
            assert list(to.rglob(f"part-b{batch:06d}-*.parquet"))
    resumed = subprocess.run(
        [sys.executable, "-m", "inchframe", *argv],
        env=_env(reference["cache"]),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "already done" in resumed.stdout
    pd.testing.assert_frame_equal(_read(to, fmt), reference[fmt])


@pytest.mark.xfail(
    strict=False,
    reason="a random kill moment can miss a fast warm run ('no run was killed'); the kills at "
    "fixed points above are the deterministic checks",
)
@pytest.mark.parametrize("fmt", ["delta", "parquet"])
def test_sigkill_at_a_random_moment_then_rerun(
    server: str, reference: dict[str, Any], tmp_path: Path, fmt: str
) -> None:
    to = tmp_path / "out"
    argv = _argv(server, reference["wallets"], to, fmt)
    env = _env(reference["cache"])
    kills = 0
    for _ in range(2):  # killed again, wherever it happens to be
        proc = subprocess.Popen(
            [sys.executable, "-m", "inchframe", *argv], env=env, stderr=subprocess.DEVNULL
        )
        time.sleep(RNG.uniform(1.2, 2.5))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        kills += proc.wait() == -signal.SIGKILL
    assert kills, "no run was killed before it finished: lower the delays"
    done = subprocess.run(
        [sys.executable, "-m", "inchframe", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    pd.testing.assert_frame_equal(_read(to, fmt), reference[fmt])
    assert not list(to.parent.glob(".*inchframe-*")), "staging left behind"


# -- the CLI on a CSV of wallets --------------------------------------------------------------


def test_cli_csv_of_wallets(sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from inchframe.cli import main

    wallets = _wallets(7, seed=9)
    csv = tmp_path / "wallets.csv"
    csv.write_text("address\n" + "\n".join(w.upper().replace("0X", "0x") for w in wallets) + "\n")
    to = tmp_path / "tokens"
    os.environ["INCHFRAME_API_KEY"] = FAKE_KEY
    try:
        argv = ["export", "portfolio.tokens_snapshot", "--wallets", str(csv), "--to", str(to)]
        argv += ["--chain", "1", "--batch-size", "3", "--base-url", sandbox.url, "--no-progress"]
        assert main(argv) == 0
        assert "3 written" in capsys.readouterr().out
        assert main(argv) == 0  # nothing left to do
        assert "3 already done" in capsys.readouterr().out
        assert main([*argv[:-1], "--batch-size", "4"]) == 1  # other arguments: refused
        assert "other arguments" in capsys.readouterr().err
    finally:
        del os.environ["INCHFRAME_API_KEY"]
    got = inchframe.read_parquet(to)
    with Client(FAKE_KEY, base_url=sandbox.url, cache=False, progress=False) as client:
        direct = inchframe.portfolio.tokens_snapshot(wallets, chain=1, client=client)
    pd.testing.assert_frame_equal(
        _sorted(got.drop(columns=BATCH_COLUMN).astype(str)), _sorted(direct.astype(str))
    )
    assert got.attrs["inchframe"]["export"]["wallets"] == 7


def test_wallet_files(tmp_path: Path) -> None:
    from inchframe.exports import _Wallets

    wallets = _wallets(5)
    text = tmp_path / "w.txt"
    text.write_text("# my wallets\n" + "\n".join(wallets + wallets[:2]) + "\n\n")
    pd.DataFrame({"x": range(5), "wallet": wallets}).to_parquet(tmp_path / "w.parquet")
    bare = tmp_path / "bare.csv"
    bare.write_text("\n".join(wallets) + "\n")
    for path in (text, tmp_path / "w.parquet", bare):
        assert list(_Wallets(path)) == wallets  # de-duplicated, in order
    assert [len(b) for b in _Wallets(wallets).batches(2)] == [2, 2, 1]
    bad = tmp_path / "bad.txt"
    bad.write_text(wallets[0] + "\n0x123\n")
    with pytest.raises(InputError, match="position 1"):
        list(_Wallets(bad))


# -- failures, and a rerun that retries only them ---------------------------------------------


def test_failures_table_and_retry_only_failures(tmp_path: Path) -> None:
    from inchframe.sandbox import Sandbox

    wallets = _wallets(30, seed=5)
    with (
        Sandbox(seed=3) as clean,
        Client(FAKE_KEY, base_url=clean.url, cache=False, rate=1000, progress=False) as client,
    ):
        expected = export(
            "balances",
            wallets,
            tmp_path / "clean",
            chain=[1, 8453],
            batch_size=5,
            client=client,
            format="delta",
            progress=False,
        )
    assert expected.failures == 0
    with (
        Sandbox(seed=3, error_rate=0.35, error_statuses=(503,)) as sb,
        Client(
            FAKE_KEY,
            base_url=sb.url,
            cache_dir=tmp_path / "cache",
            rate=1000,
            progress=False,
            max_retries=0,
        ) as client,
    ):
        to = tmp_path / "faulty"
        first = export(
            "balances",
            wallets,
            to,
            chain=[1, 8453],
            batch_size=5,
            client=client,
            format="delta",
            progress=False,
        )
        failures = read_failures(to)
        assert first.failures == len(failures) > 0
        assert set(failures["status"]) == {503}
        assert set(failures["endpoint"]) == {"balance.aggregated"}
        missing = set(failures[BATCH_COLUMN])
        assert first.batches == 6 and not first.complete
        partial = inchframe.read_delta(to)
        assert len(partial) < len(inchframe.read_delta(tmp_path / "clean"))

        sb.configure(error_rate=0.0)
        before = api_requests(sb)
        second = export(
            "balances",
            wallets,
            to,
            chain=[1, 8453],
            batch_size=5,
            client=client,
            format="delta",
            progress=False,
        )
        assert api_requests(sb) - before == len(failures)  # only what failed is asked again
        assert second.retried == len(missing) and second.written == 0
        assert second.complete and read_failures(to).empty
    key = [*KEY, BATCH_COLUMN]
    got = inchframe.read_delta(to).sort_values(key).reset_index(drop=True)
    want = inchframe.read_delta(tmp_path / "clean").sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want)


# -- input errors before any request ----------------------------------------------------------


def test_bad_input_is_refused_before_any_request(sandbox: Any, tmp_path: Path) -> None:
    wallets = _wallets(3)
    with Client(FAKE_KEY, base_url=sandbox.url, cache=False, progress=False) as client:
        cases: list[tuple[dict[str, Any], str]] = [
            ({"loader": "no_such_loader"}, "accepted names"),
            ({"loader": inchframe.portfolio.status}, "not an inchframe loader"),
            ({"format": "csv"}, "format="),
            ({"batch_size": 0}, "batch_size"),
            ({"partition_by": "nope"}, "partition_by"),
            ({"errors": "raise"}, "failures table"),
            ({"timerange": "1day"}, "takes no argument"),
            ({"chain": "atlantis"}, "chain"),
            ({"wallets": ["0x123"]}, "wallet address"),
            ({"wallets": str(tmp_path / "missing.csv")}, "not an existing file"),
            ({"wallets": []}, "no wallets"),
            ({"scheduler": "local"}, "scheduler"),
        ]
        for change, message in cases:
            kwargs: dict[str, Any] = {"loader": "balances", "wallets": wallets, **change}
            with pytest.raises(InputError, match=message):
                export(
                    kwargs.pop("loader"),
                    kwargs.pop("wallets"),
                    tmp_path / "out",
                    client=client,
                    progress=False,
                    **kwargs,
                )
        (tmp_path / "busy").mkdir()
        (tmp_path / "busy" / "data.txt").write_text("mine")
        with pytest.raises(InputError, match="holds no inchframe export"):
            export("balances", wallets, tmp_path / "busy", client=client, progress=False)
    assert api_requests(sandbox) == 0
    assert (tmp_path / "busy" / "data.txt").read_text() == "mine"


def test_restart_starts_over(client: Any, tmp_path: Path) -> None:
    wallets = _wallets(4)
    to = tmp_path / "out"
    export("balances", wallets, to, batch_size=2, client=client, progress=False)
    with pytest.raises(InputError, match="other arguments"):
        export("balances", wallets, to, batch_size=3, client=client, progress=False)
    again = export(
        "balances", wallets, to, batch_size=3, client=client, progress=False, restart=True
    )
    assert again.written == 2
    assert sorted(inchframe.read_parquet(to)[BATCH_COLUMN].unique()) == [0, 1]


def test_delta_checkpoints_keep_the_resume_point(client: Any, tmp_path: Path) -> None:
    """Export tables checkpoint every DELTA_CHECKPOINT_INTERVAL commits; a rerun after the
    checkpoints reads the last batch from them (the application transaction) and sends nothing."""
    from deltalake import DeltaTable

    from inchframe.exports import DELTA_CHECKPOINT_INTERVAL

    wallets = _wallets(2 * DELTA_CHECKPOINT_INTERVAL + 3, seed=21)
    to = tmp_path / "out"
    first = export(
        "balances", wallets, to, format="delta", batch_size=1, client=client, progress=False
    )
    assert first.written == len(wallets)
    table = DeltaTable(str(to))
    assert table.metadata().configuration["delta.checkpointInterval"] == str(
        DELTA_CHECKPOINT_INTERVAL
    )
    assert len(list((to / "_delta_log").glob("*.checkpoint.parquet"))) == 2
    again = export(
        "balances", wallets, to, format="delta", batch_size=1, client=client, progress=False
    )
    assert (again.written, again.skipped, again.requests) == (0, len(wallets), 0)
    assert DeltaTable(str(to)).version() == table.version()
    rows = inchframe.read_delta(to)
    assert len(rows) == first.rows > 0 and not rows.duplicated(KEY).any()
    assert set(rows[BATCH_COLUMN]) <= set(range(len(wallets)))  # (some wallets hold nothing)


# -- every loader that takes wallets ----------------------------------------------------------

_NEEDS = {
    "allowances": {"spender": ROUTER_V6},
    "balances_and_allowances": {"spender": ROUTER_V6},
    "aggregated_balances": {"spender": ROUTER_V6},
}


@pytest.mark.parametrize("name", sorted(export_loaders()))
def test_every_wallet_loader_exports(client: Any, tmp_path: Path, name: str) -> None:
    func = export_loaders()[name]
    wallets = _wallets(3, seed=11)
    args = {"chain": 1, **_NEEDS.get(name.rsplit(".", 1)[-1], {})}
    result = export(
        name, wallets, tmp_path / "out", batch_size=2, client=client, progress=False, **args
    )
    assert result.batches == 2 and result.failures == 0
    got = inchframe.read_parquet(tmp_path / "out") if result.rows else pd.DataFrame()
    per_batch = pd.concat(
        [func(wallets[:2], **args, client=client), func(wallets[2:], **args, client=client)],
        ignore_index=True,
    )
    assert len(got) == len(per_batch)
    if len(got):
        columns = [c for c in per_batch.columns]
        pd.testing.assert_frame_equal(
            _sorted(got[columns].astype(str)), _sorted(per_batch.astype(str)), check_dtype=False
        )


def test_killed_while_writing_the_manifest(client: Any, tmp_path: Path) -> None:
    """A run killed before its manifest landed leaves only a temporary file: the rerun starts."""
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    state = tmp_path / "out" / "_inchframe_export"
    state.mkdir(parents=True)
    leftover = state / f".manifest.json.inchframe-tmp-{dead.pid}-{'a' * 12}"
    leftover.write_text("{")
    result = export("balances", _wallets(2), tmp_path / "out", client=client, progress=False)
    assert result.written == 1 and not leftover.exists()


def test_wallet_dedupe_keeps_first_occurrences_across_merges(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The compact seen-set (sorted 20-byte digests plus a small recent set) drops exactly the
    repeats, also across merges and for digests ending in zero bytes (NumPy strips those)."""
    from inchframe import exports as export_module

    monkeypatch.setattr(export_module._SeenWallets, "RECENT", 7)
    rng = random.Random(3)
    distinct = [f"0x{rng.getrandbits(160):040x}" for _ in range(60)]
    distinct += [
        f"0x{rng.getrandbits(120):030x}0000000000",
        "0x" + "00" * 19 + "01",
        "0x" + "0" * 40,
    ]
    distinct += ["0x" + "00" * 19 + "0a", "0x" + "ab" + "00" * 19]
    listed = distinct + [rng.choice(distinct) for _ in range(200)] + distinct[::-1]
    rng.shuffle(listed)
    want = list(dict.fromkeys(a.lower() for a in listed))
    assert list(export_module._Wallets(listed)) == want
    assert export_module._Wallets(listed).fingerprint()[1] == len(distinct)
