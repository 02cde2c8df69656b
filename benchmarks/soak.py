"""Fault-injection soak: many wallets x 3 chains through a faulty, rate-limited sandbox.

Run ``python benchmarks/soak.py`` (defaults: 2,000 wallets x Ethereum, Base, Arbitrum; the
sandbox answers 10% 5xx, drops 5% of connections, cuts 2% of bodies short and rate-limits at
50 requests/s, while the client is configured for 55/s so it provokes 429s). It prints a report
and exits 1 if an invariant is broken:

- the batch completes;
- every requested (wallet, chain) is in the frame or in the failure table, never both, never
  neither (``lost`` and ``overlap`` are 0);
- no duplicate rows, and every raw balance equals the sandbox universe's (``wrong`` is 0);
- every request the sandbox saw is accounted for: ``sandbox requests == calls + retries``;
- the retry counts agree: ``BatchResult.retries == df.attrs["inchframe"]["retries"] ==`` the
  client's ``StatusBoard`` delta;
- a replay on the same cache serves every call that succeeded from the cache, with the same rows.

Paths measured: ``per_wallet`` (``balances(tokens=[USDT, native], keep_zero=True,
method="per_wallet")``: one POST per (wallet, chain), each answering two rows), ``aggregated``
(``aggregated_balances``: 100 wallets per request; the native coin's allowance is unlimited for
every spender, so every (wallet, chain) has a row) and ``fragile`` (``per_wallet`` again with
``max_retries=1`` on fewer wallets, so failures happen and the failure table is exercised).

``tests/reliability/test_soak.py`` runs :func:`run_path` scaled down on every test run.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import pandas as pd

import inchframe as ifr
import inchframe.balance as balance_module
from inchframe.client import BatchResult, Client
from inchframe.errors import BatchError
from inchframe.sandbox import Sandbox

CHAINS = (1, 8453, 42161)
USDT = "0xdac17f958d2ee523a2206206994597c13d831ec7"
NATIVE = "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
ROUTER = "0x111111125421ca6dc452d289314280a0f8842a65"
FAULTS = {"error_rate": 0.10, "drop_rate": 0.05, "truncate_rate": 0.02}


def wallets(n: int) -> list[str]:
    """``n`` distinct lowercase wallet addresses (deterministic)."""
    return [f"0x{i:040x}" for i in range(0x1000, 0x1000 + n)]


@dataclass(frozen=True)
class BatchSummary:
    """The counts of one :class:`BatchResult` (not its payloads, which can be large)."""

    replies: int
    failures: int
    retries: int
    rate_waits: int
    from_cache: int


_SUMMARY_FIELDS = ("replies", "failures", "retries", "rate_waits", "from_cache")


class RecordingClient(Client):
    """A client that records the counts of every :class:`BatchResult` it returns."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.batches: list[BatchSummary] = []

    def fetch_many(self, calls: Sequence[Any], **kwargs: Any) -> BatchResult:
        result = super().fetch_many(calls, **kwargs)
        self.batches.append(
            BatchSummary(
                len(result.replies),
                len(result.failures),
                result.retries,
                result.rate_waits,
                result.from_cache,
            )
        )
        return result


@dataclass
class PathReport:
    """What one loader run through the faults gave, and whether its invariants hold."""

    name: str
    wallets: int
    chains: int
    calls: int
    rows: int
    pairs_wanted: int
    pairs_in_frame: int
    pairs_failed: int
    lost: int  #: wanted pairs neither in the frame nor in the failure table
    overlap: int  #: pairs both in the frame and in the failure table
    duplicates: int  #: duplicated (chain_id, wallet, token) rows
    wrong: int  #: rows whose raw balance differs from the sandbox universe
    failures: int  #: rows of the failure table
    failure_kinds: dict[str, int]
    batch_retries: int  #: BatchResult.retries
    attrs_retries: int  #: df.attrs["inchframe"]["retries"]
    board_retries: int  #: StatusBoard.retries delta
    rate_waits: int  #: times the client's own limiter made a request wait
    sandbox_requests: int
    sandbox_statuses: dict[int, int]  #: 0 = dropped connection
    elapsed: float
    replay_from_cache: int = 0
    replay_sent: int = 0
    replay_same_rows: bool = True
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _pairs_of_failures(failures: pd.DataFrame) -> set[tuple[int, str]]:
    return {
        (int(row.chain_id), wallet)
        for row in failures.itertuples()
        if row.endpoint != "balance.token_metadata"
        for wallet in str(row.wallets).split(",")
    }


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    keys = ["chain_id", "wallet", "token"]
    cols = [c for c in frame.columns if c in (*keys, "balance_raw", "allowance_raw")]
    return frame[cols].sort_values(keys, ignore_index=True)


def _load(
    loader: Callable[..., pd.DataFrame], *args: Any, **kwargs: Any
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The frame and failure table of a loader call (``errors="raise"``: a BatchError)."""
    try:
        frame = loader(*args, errors="raise", **kwargs)
    except BatchError as error:
        return error.frame, error.failures
    return frame, pd.DataFrame(columns=["endpoint", "chain_id", "wallets", "error"])


def run_path(
    sandbox: Sandbox,
    cache_dir: Path,
    name: str,
    n_wallets: int,
    *,
    client_rate: float,
    max_retries: int = 5,
    wallets_per_call: int | None = None,
    replay: bool = True,
) -> PathReport:
    """Run one loader over ``n_wallets`` x :data:`CHAINS` through the sandbox's current faults.

    ``name`` is ``"per_wallet"`` or ``"aggregated"``. The sandbox's stats are reset first, so
    ``sandbox_requests`` counts this run only.
    """
    addresses = wallets(n_wallets)
    if name == "per_wallet":
        loader: Callable[..., pd.DataFrame] = ifr.balances
        args: tuple[Any, ...] = (addresses, list(CHAINS))
        kwargs: dict[str, Any] = {
            "tokens": [USDT, NATIVE],
            "keep_zero": True,
            "method": "per_wallet",
        }
    elif name == "aggregated":
        loader, args, kwargs = ifr.aggregated_balances, (addresses, ROUTER, list(CHAINS)), {}
    else:
        raise ValueError(f"unknown path {name!r}")
    universe = sandbox.universe
    patch = (
        mock.patch.object(balance_module, "MAX_WALLETS_PER_CALL", wallets_per_call)
        if wallets_per_call
        else _nothing()
    )
    with (
        patch,
        RecordingClient(
            "soak-key",
            base_url=sandbox.url,
            cache_dir=str(cache_dir),
            rate=client_rate,
            max_retries=max_retries,
            progress=False,
        ) as client,
    ):
        sandbox.reset_stats()
        board0 = client.board.retries
        first = len(client.batches)
        started = time.perf_counter()
        frame, failures = _load(loader, *args, client=client, **kwargs)
        elapsed = time.perf_counter() - started
        # a streamed loader sends its calls in slices, one fetch_many each: count them all
        batch = BatchSummary(
            *(sum(getattr(b, f) for b in client.batches[first:]) for f in _SUMMARY_FIELDS)
        )
        stats = sandbox.stats()
        wanted = {(c, w) for c in CHAINS for w in addresses}
        arrived = set(zip(frame["chain_id"].astype(int), frame["wallet"], strict=True))
        failed = _pairs_of_failures(failures)
        wrong = sum(
            int(row.balance_raw) != universe.balance(int(row.chain_id), row.wallet, row.token)
            for row in frame.itertuples()
        )
        report = PathReport(
            name=name if max_retries == 5 else f"{name} (max_retries={max_retries})",
            wallets=n_wallets,
            chains=len(CHAINS),
            calls=batch.replies + batch.failures,
            rows=len(frame),
            pairs_wanted=len(wanted),
            pairs_in_frame=len(arrived & wanted),
            pairs_failed=len(failed),
            lost=len(wanted - arrived - failed),
            overlap=len(arrived & failed),
            duplicates=int(frame.duplicated(["chain_id", "wallet", "token"]).sum()),
            wrong=wrong,
            failures=len(failures),
            failure_kinds=dict(Counter(failures["error"])) if len(failures) else {},
            batch_retries=batch.retries,
            attrs_retries=int(frame.attrs["inchframe"]["retries"]),
            board_retries=client.board.retries - board0,
            rate_waits=batch.rate_waits,
            sandbox_requests=int(stats["total"]),
            sandbox_statuses={int(k): v for k, v in sorted(stats["by_status"].items())},
            elapsed=elapsed,
        )
        _check(report, frame, failures, arrived, wanted, name)
        if replay:
            sandbox.reset_stats()
            first = len(client.batches)
            again, _ = _load(loader, *args, client=client, **kwargs)
            report.replay_from_cache = sum(b.from_cache for b in client.batches[first:])
            report.replay_sent = int(sandbox.stats()["total"])
            ok_calls = batch.replies
            if report.replay_from_cache < ok_calls:
                report.problems.append(
                    f"replay served {report.replay_from_cache} of {ok_calls} from the cache"
                )
            kept = _sorted(again[again.set_index(["chain_id", "wallet"]).index.isin(list(arrived))])
            report.replay_same_rows = kept.equals(_sorted(frame))
            if not report.replay_same_rows:
                report.problems.append("the replay from the cache gave different rows")
    return report


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def _check(
    report: PathReport,
    frame: pd.DataFrame,
    failures: pd.DataFrame,
    arrived: set[tuple[int, str]],
    wanted: set[tuple[int, str]],
    name: str,
) -> None:
    problems = report.problems
    if report.lost:
        problems.append(f"{report.lost} (wallet, chain) pairs silently lost")
    if report.overlap:
        problems.append(f"{report.overlap} pairs both in the frame and in the failures")
    if arrived - wanted:
        problems.append(f"{len(arrived - wanted)} pairs in the frame that were not asked for")
    if report.duplicates:
        problems.append(f"{report.duplicates} duplicate rows")
    if report.wrong:
        problems.append(f"{report.wrong} rows with a raw balance the universe does not hold")
    if name == "per_wallet" and len(frame) != 2 * len(arrived):
        problems.append(f"{len(frame)} rows for {len(arrived)} pairs x 2 tokens")
    if not report.batch_retries == report.attrs_retries == report.board_retries:
        problems.append(
            f"retry counts disagree: batch {report.batch_retries}, attrs "
            f"{report.attrs_retries}, board {report.board_retries}"
        )
    if report.sandbox_requests != report.calls + report.batch_retries:
        problems.append(
            f"the sandbox saw {report.sandbox_requests} requests for {report.calls} calls and "
            f"{report.batch_retries} retries"
        )
    if len(frame.attrs["inchframe"]["failures"]) != len(failures):
        problems.append("df.attrs failures and the failure table disagree")


def run_soak(
    n_wallets: int = 2000,
    *,
    rate_limit: float = 50.0,
    client_rate: float = 55.0,
    fragile_wallets: int = 500,
    seed: int = 0,
    aggregated_chunk: int | None = None,
) -> list[PathReport]:
    """The three paths against one sandbox with the soak's faults; returns their reports."""
    reports = []
    with (
        tempfile.TemporaryDirectory(prefix="inchframe-soak-") as tmp,
        Sandbox(seed=seed, rate_limit=rate_limit, **FAULTS) as sandbox,
    ):
        root = Path(tmp)
        reports.append(
            run_path(sandbox, root / "cache-a", "per_wallet", n_wallets, client_rate=client_rate)
        )
        reports.append(
            run_path(
                sandbox,
                root / "cache-b",
                "aggregated",
                n_wallets,
                client_rate=client_rate,
                wallets_per_call=aggregated_chunk,
            )
        )
        if fragile_wallets:
            reports.append(
                run_path(
                    sandbox,
                    root / "cache-c",
                    "per_wallet",
                    fragile_wallets,
                    client_rate=client_rate,
                    max_retries=1,
                    replay=False,
                )
            )
    return reports


def format_report(reports: Sequence[PathReport], faults: dict[str, Any]) -> str:
    """A plain-text table of the reports."""
    settings = ", ".join(f"{k}={v}" for k, v in faults.items())
    lines = [f"inchframe soak ({settings})", ""]
    for r in reports:
        data = asdict(r)
        statuses = ", ".join(
            f"{'drop' if k == 0 else k}: {n}" for k, n in data.pop("sandbox_statuses").items()
        )
        kinds = ", ".join(f"{k} {n}" for k, n in data.pop("failure_kinds").items()) or "-"
        problems = data.pop("problems")
        lines.append(
            f"== {r.name}: {r.wallets} wallets x {r.chains} chains "
            f"[{'OK' if not problems else 'FAILED'}]"
        )
        lines.append(
            f"  calls {r.calls}, rows {r.rows}, elapsed {r.elapsed:.1f} s "
            f"({r.sandbox_requests / r.elapsed:.0f} requests/s)"
        )
        lines.append(
            f"  (wallet, chain) pairs: wanted {r.pairs_wanted}, in frame "
            f"{r.pairs_in_frame}, in failures {r.pairs_failed}, lost {r.lost}, "
            f"overlap {r.overlap}; duplicate rows {r.duplicates}; wrong values {r.wrong}"
        )
        lines.append(
            f"  retries: BatchResult {r.batch_retries}, attrs {r.attrs_retries}, "
            f"StatusBoard {r.board_retries}; client rate-limit waits {r.rate_waits}"
        )
        lines.append(f"  failures {r.failures} ({kinds})")
        lines.append(f"  sandbox saw {r.sandbox_requests} requests ({statuses})")
        if r.replay_from_cache or r.replay_sent:
            lines.append(
                f"  replay on the same cache: {r.replay_from_cache} from cache, "
                f"{r.replay_sent} sent, same rows: {r.replay_same_rows}"
            )
        lines += [f"  PROBLEM: {p}" for p in problems]
        lines.append("")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--wallets", type=int, default=2000)
    parser.add_argument("--rate-limit", type=float, default=50.0, help="sandbox requests/s")
    parser.add_argument("--client-rate", type=float, default=55.0, help="client requests/s")
    parser.add_argument(
        "--fragile-wallets",
        type=int,
        default=500,
        help="wallets for the max_retries=1 pass (0: skip)",
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    reports = run_soak(
        args.wallets,
        rate_limit=args.rate_limit,
        client_rate=args.client_rate,
        fragile_wallets=args.fragile_wallets,
        seed=args.seed,
    )
    faults = {
        **FAULTS,
        "rate_limit": args.rate_limit,
        "client_rate": args.client_rate,
        "seed": args.seed,
    }
    print(format_report(reports, faults))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"peak memory of this process (client, sandbox and its universe): {peak:.0f} MiB")
    return 0 if all(r.ok for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
