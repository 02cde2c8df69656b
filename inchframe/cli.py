"""What the ``inchframe`` commands do (argument parsing is in ``_inchframe_cli``).

``inchframe demo`` is the main job: sample wallets on three chains, a printed summary, a Parquet
dataset and PNG charts in an output folder. Errors that are the user's to fix are printed as one
line on stderr with exit code 1, never as a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from _inchframe_cli import main as _main

from .errors import BatchError, ConfigError, InchframeError

__all__ = ["DEMO_CHAINS", "DEMO_WALLETS", "main", "run", "run_demo", "run_sandbox"]

#: Well-known public addresses: vitalik.eth, two Binance hot wallets and a 1inch test wallet.
DEMO_WALLETS = (
    "0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045",
    "0x28C6c06298d514Db089934071355E5743bf21d60",
    "0xF977814e90dA44bFA03b6295A0616a897441aceC",
    "0x1C17622cfa9B6fD2043A76DfC39A5B5a109aa708",
)
DEMO_CHAINS = ("ethereum", "base", "arbitrum")
ROUTER_V6 = "0x111111125421ca6dc452d289314280a0f8842a65"


def main(argv: Sequence[str] | None = None) -> int:
    """``inchframe`` with ``argv`` (default ``sys.argv[1:]``); returns the exit code."""
    return _main(argv)


def _say(text: str = "") -> None:
    print(text, flush=True)


def _fail(message: str) -> int:
    print(f"inchframe: error: {message}", file=sys.stderr)
    return 1


@contextlib.contextmanager
def _reported_errors() -> Iterator[None]:
    """Turn inchframe's own errors into one line on stderr and exit code 1."""
    try:
        yield
    except InchframeError as error:
        raise _Exit(_fail(str(error))) from None


class _Exit(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


def _client(args: argparse.Namespace, *, sandbox: bool | None = None) -> Any:
    """A client from the connection options."""
    from .client import Client

    use_sandbox = True if args.sandbox else sandbox
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the CLI says it in its own words below
        client = Client(
            base_url=args.base_url,
            sandbox=use_sandbox,
            rate=args.rate,
            offline=True if args.offline else None,
            cache_dir=args.cache_dir,
            cache=False if args.no_cache else None,
            progress=False if args.no_progress else None,
        )
    if client.is_sandbox:
        print(
            "inchframe: using the embedded sandbox (synthetic data); set INCHFRAME_API_KEY "
            "and pass --live (demo) for the real API",
            file=sys.stderr,
        )
    return client


def run(args: argparse.Namespace) -> int:
    """Dispatch a parsed command line."""
    handlers = {"demo": run_demo, "fetch": run_fetch, "cache": run_cache}
    try:
        with _reported_errors():
            return handlers[args.command](args)
    except _Exit as done:
        return done.code
    except KeyboardInterrupt:
        print("inchframe: interrupted", file=sys.stderr)
        return 130


# -- sandbox ----------------------------------------------------------------------------------


def run_sandbox(argv: Sequence[str]) -> int:
    """``inchframe sandbox [options]``: serve the sandbox until interrupted."""
    from .sandbox import add_arguments
    from .sandbox import run as serve

    parser = argparse.ArgumentParser(
        prog="inchframe sandbox",
        description="Serve the embedded 1inch sandbox on 127.0.0.1 until interrupted.",
    )
    add_arguments(parser)
    return serve(parser.parse_args(list(argv)))


# -- cache ------------------------------------------------------------------------------------


def run_cache(args: argparse.Namespace) -> int:
    from .cache import cache_info, clear_cache

    if args.action == "info":
        _say(str(cache_info(args.cache_dir)))
        return 0
    older = args.older_than * 86400 if args.older_than is not None else None
    removed = clear_cache(args.cache_dir, expired_only=args.expired, older_than=older)
    _say(f"removed {removed} cached response(s)")
    return 0


# -- fetch ------------------------------------------------------------------------------------


def _fetch_frame(args: argparse.Namespace, client: Any) -> Any:
    import inchframe as ifr

    common = {"client": client, "errors": args.errors}
    if args.kind == "balances":
        return ifr.balances(
            args.wallets, args.chain or 1, tokens=args.tokens, keep_zero=args.keep_zero, **common
        )
    if args.kind == "allowances":
        if not args.spender:
            raise ConfigError(
                f"fetch allowances needs --spender ADDRESS (e.g. the 1inch router {ROUTER_V6})"
            )
        return ifr.allowances(
            args.wallets,
            args.spender,
            args.chain or 1,
            tokens=args.tokens,
            keep_zero=args.keep_zero,
            **common,
        )
    views = {
        "tokens": lambda: ifr.portfolio.tokens_snapshot(args.wallets, args.chain, **common),
        "protocols": lambda: ifr.portfolio.protocols_snapshot(args.wallets, args.chain, **common),
        "current-value": lambda: ifr.portfolio.current_value(args.wallets, args.chain, **common),
        "chart": lambda: ifr.portfolio.chart(
            args.wallets, args.chain, args.timerange or "1month", **common
        ),
        "metrics": lambda: ifr.portfolio.tokens_metrics(
            args.wallets, args.chain, args.timerange or "1year", **common
        ),
    }
    return views[args.view]()


def _write_table(frame: Any, output: str) -> Path:
    path = Path(output)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return frame.inch.to_parquet(path)
    if suffix == ".csv":
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "w", newline="") as handle:
                frame.to_csv(handle, index=False)
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return path
    raise ConfigError(f"--output {output!r}: use a .parquet or .csv file name")


def run_fetch(args: argparse.Namespace) -> int:
    if args.output and Path(args.output).suffix.lower() not in (".parquet", ".csv"):
        return _fail(f"--output {args.output!r}: use a .parquet or .csv file name")
    with _client(args) as client:
        try:
            frame = _fetch_frame(args, client)
        except BatchError as error:
            print(f"inchframe: {error}", file=sys.stderr)
            frame = error.frame if args.errors != "raise" else None
            if frame is None:
                return 1
    failures = frame.attrs.get("inchframe", {}).get("failures", [])
    if failures:
        print(
            f"inchframe: warning: {len(failures)} request(s) failed; the output holds what arrived",
            file=sys.stderr,
        )
    if args.output:
        path = _write_table(frame, args.output)
        _say(f"wrote {len(frame)} row(s) to {path}")
    else:
        import pandas as pd

        with pd.option_context(
            "display.max_rows", 60, "display.width", 160, "display.max_columns", 12
        ):
            _say(frame.to_string(max_rows=60, max_colwidth=44))
    return 0


# -- demo -------------------------------------------------------------------------------------


def run_demo(args: argparse.Namespace) -> int:
    """Load sample wallets, print a summary, write Parquet and PNG charts."""
    from .demo import Demo

    if args.live and not (os.environ.get("INCHFRAME_API_KEY") or os.environ.get("ONEINCH_API_KEY")):
        return _fail(
            "--live needs an API key: set INCHFRAME_API_KEY (from the 1inch developer "
            "portal), or run without --live to use the embedded sandbox"
        )
    out = Path(args.out)
    wallets = args.wallets or list(DEMO_WALLETS)
    chains = args.chains or list(DEMO_CHAINS)
    with _client(args, sandbox=None if args.live else True) as client:
        Demo(client, wallets, chains, out, say=_say).run()
    return 0
