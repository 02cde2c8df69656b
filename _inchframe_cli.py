"""The ``inchframe`` command line: argument parsing only.

This module lives outside the ``inchframe`` package on purpose: ``import inchframe`` imports
pandas (to register the ``df.inch`` accessor), and ``inchframe --help`` should not pay for that.
Commands import :mod:`inchframe.cli`, which does the work, only when they run.

Exit codes: 0 success, 1 an error inchframe reports (bad input, API error...), 2 a usage error,
130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

PROG = "inchframe"
FETCH_KINDS = ("balances", "allowances", "portfolio")
PORTFOLIO_VIEWS = ("tokens", "protocols", "current-value", "chart", "metrics")
TIMERANGE_VIEWS = ("chart", "metrics")  # the views whose endpoint takes a timerange


def _connection_options() -> argparse.ArgumentParser:
    """Options every command that talks to the API shares (a parent parser)."""
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("connection (also from INCHFRAME_* variables)")
    group.add_argument(
        "--base-url",
        help="API host (default https://api.1inch.dev; the key "
        "comes only from INCHFRAME_API_KEY, never from the command line)",
    )
    group.add_argument(
        "--sandbox",
        action="store_true",
        help="use the embedded sandbox even when an API key is set",
    )
    group.add_argument("--rate", type=float, help="requests per second (default 1, free plan)")
    group.add_argument("--offline", action="store_true", help="answer only from the cache")
    group.add_argument("--cache-dir", help="HTTP cache directory")
    group.add_argument("--no-cache", action="store_true", help="do not use the on-disk cache")
    group.add_argument("--no-progress", action="store_true", help="no progress bars")
    return parent


def build_parser() -> argparse.ArgumentParser:
    connection = _connection_options()
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="1inch Balance and Portfolio API data as tidy pandas frames.",
        epilog="Without INCHFRAME_API_KEY, commands use the embedded sandbox (synthetic data).",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = commands.add_parser(
        "demo",
        parents=[connection],
        help="load sample wallets, write Parquet and charts",
        description="Load balances, allowances and a Portfolio v5.0 snapshot for sample wallets "
        "on several chains, print a summary, and write a Parquet dataset and PNG charts.",
    )
    demo.add_argument(
        "--out", default="inchframe-demo", help="output folder (default ./inchframe-demo)"
    )
    demo.add_argument(
        "--live", action="store_true", help="use the real API (needs INCHFRAME_API_KEY)"
    )
    demo.add_argument(
        "--wallets",
        nargs="+",
        metavar="ADDRESS",
        help="wallets to load (default: a few well-known addresses)",
    )
    demo.add_argument(
        "--chains", nargs="+", metavar="CHAIN", help="chains (default: ethereum base arbitrum)"
    )

    fetch = commands.add_parser(
        "fetch",
        parents=[connection],
        help="fetch a frame and write .parquet/.csv or print it",
        description="Fetch one frame. WALLETS are addresses (lowercase or EIP-55).",
    )
    fetch.add_argument("kind", choices=FETCH_KINDS)
    fetch.add_argument("wallets", nargs="+", metavar="WALLET")
    fetch.add_argument(
        "--chain",
        nargs="+",
        default=None,
        metavar="CHAIN",
        help="chain ids or names (default: ethereum; portfolio: all chains)",
    )
    fetch.add_argument("--spender", help="spender address (allowances)")
    fetch.add_argument("--tokens", nargs="+", metavar="TOKEN", help="only these tokens")
    fetch.add_argument("--keep-zero", action="store_true", help="keep zero balances")
    fetch.add_argument(
        "--view",
        choices=PORTFOLIO_VIEWS,
        default="tokens",
        help="portfolio: which Portfolio v5.0 frame (default tokens)",
    )
    fetch.add_argument(
        "--timerange",
        default=None,
        help="portfolio --view chart (default 1month) or metrics (default 1year): 1day, 1week, "
        "1month, 1year, 3years; an error with any other view",
    )
    fetch.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write to FILE (.parquet or .csv); default: print a table",
    )
    fetch.add_argument(
        "--errors",
        choices=("raise", "warn", "ignore"),
        default="warn",
        help="on partial failure: fail, or keep what arrived (default warn)",
    )

    doctor = commands.add_parser(
        "doctor",
        parents=[connection],
        help="check every endpoint's answers against inchframe's converters",
        description="Call each of the 31 endpoints once for WALLETs (default: two public "
        "sample wallets), convert every answer and print a key-free report: per endpoint the "
        "status, the documented form the answer took, unknown and empty fields, fallbacks, and "
        "what the run says about each open question of docs/api-contract.md. Exit 0 when every "
        "endpoint answered and converted, 1 otherwise.",
    )
    doctor.add_argument("wallets", nargs="*", metavar="WALLET")
    doctor.add_argument(
        "--live",
        action="store_true",
        help="check the configured API (INCHFRAME_BASE_URL, INCHFRAME_API_KEY) instead of the "
        "embedded sandbox",
    )
    doctor.add_argument(
        "--record",
        metavar="DIR",
        help="save every response body in DIR (secrets removed; the layout of the recorded "
        "test data, with index.json and INDEX.md)",
    )
    export = commands.add_parser(
        "export",
        parents=[connection],
        help="export a loader over many wallets to Parquet or Delta, resumably",
        description="Fetch LOADER (balances, allowances, portfolio.tokens_snapshot...) for the "
        "wallets in FILE batch by batch and write a Hive Parquet dataset or a Delta table. "
        "Run the same command again to resume after a crash; failures are retried.",
    )
    export.add_argument("loader", metavar="LOADER")
    export.add_argument("--wallets", required=True, metavar="FILE", help=".csv, .parquet or text")
    export.add_argument("--to", required=True, metavar="PATH", help="dataset or table folder")
    export.add_argument("--format", choices=("parquet", "delta"), default="parquet")
    export.add_argument("--chain", nargs="+", metavar="CHAIN", help="chain ids or names")
    export.add_argument("--spender", help="spender address (allowance loaders)")
    export.add_argument("--batch-size", type=int, default=250, metavar="N")
    export.add_argument("--partition-by", nargs="+", metavar="COLUMN")
    export.add_argument("--restart", action="store_true", help="discard an earlier export")

    commands.add_parser(
        "sandbox",
        add_help=False,
        help="run the embedded 1inch sandbox server",
        description="Serve the sandbox until interrupted (see 'inchframe sandbox --help').",
    )

    cache = commands.add_parser("cache", help="see or clear the HTTP cache")
    cache.add_argument("action", choices=("info", "clear"))
    cache.add_argument("--cache-dir", help="cache directory (default: the configured one)")
    cache.add_argument("--expired", action="store_true", help="clear: only expired entries")
    cache.add_argument(
        "--older-than",
        type=float,
        metavar="DAYS",
        help="clear: only entries fetched more than DAYS ago",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if args_list[:1] == ["sandbox"]:
        from inchframe.cli import run_sandbox

        return run_sandbox(args_list[1:])
    args = parser.parse_args(args_list)
    if args.version:
        from importlib.metadata import version

        print(f"inchframe {version('inchframe')}")
        return 0
    if args.command is None:
        parser.print_help()
        return 2
    from inchframe.cli import run

    return run(args)


if __name__ == "__main__":
    sys.exit(main())
