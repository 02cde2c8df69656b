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
from collections import Counter
from collections.abc import Hashable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from _inchframe_cli import TIMERANGE_VIEWS
from _inchframe_cli import main as _main

from ._loading import METADATA_ENDPOINTS
from .addresses import ROUTER_V6
from .errors import BatchError, ConfigError, InchframeError, OfflineCacheMiss

__all__ = [
    "DEMO_CHAINS",
    "DEMO_WALLETS",
    "main",
    "run",
    "run_demo",
    "run_doctor",
    "run_sandbox",
]

#: Well-known public addresses: vitalik.eth, two Binance hot wallets and a 1inch test wallet.
DEMO_WALLETS = (
    "0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045",
    "0x28C6c06298d514Db089934071355E5743bf21d60",
    "0xF977814e90dA44bFA03b6295A0616a897441aceC",
    "0x1C17622cfa9B6fD2043A76DfC39A5B5a109aa708",
)
DEMO_CHAINS = ("ethereum", "base", "arbitrum")


def main(argv: Sequence[str] | None = None) -> int:
    """``inchframe`` with ``argv`` (default ``sys.argv[1:]``); returns the exit code."""
    return _main(argv)


def _say(text: str = "") -> None:
    print(text, flush=True)


def _scrub(text: str) -> str:
    """``text`` without the API key, should an error message ever quote it."""
    for name in ("INCHFRAME_API_KEY", "ONEINCH_API_KEY"):
        secret = os.environ.get(name, "").strip()
        if len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


def _fail(message: str) -> int:
    print(f"inchframe: error: {_scrub(message)}", file=sys.stderr)
    return 1


def _notice(message: str) -> None:
    print(f"inchframe: warning: {_scrub(message)}", file=sys.stderr)


def _show_warning(message: Any, category: Any, *_: Any, **__: Any) -> None:
    """``warnings.showwarning`` for the CLI: one line, no source file and line number."""
    lines = str(message).strip().splitlines() or [category.__name__]
    _notice(lines[0])


def _os_reason(error: OSError) -> str:
    """The problem an :class:`OSError` describes, without the path (the caller names it)."""
    return error.strerror or str(error) or type(error).__name__


def _os_error_message(error: OSError) -> str:
    """One line naming the path (when known) and the problem."""
    names = [str(name) for name in (error.filename, error.filename2) if name is not None]
    if not names:
        return str(error) or type(error).__name__
    return f"{' -> '.join(names)}: {_os_reason(error)}"


def _blocking_ancestor(path: Path) -> Path | None:
    """The first existing ancestor of ``path`` that is a file (so ``path`` cannot exist)."""
    for parent in path.parents:
        try:
            if parent.exists():
                return None if parent.is_dir() else parent
        except OSError:
            return None
    return None


def _path_problem(path: Path, *, want_dir: bool) -> str | None:
    """Why ``path`` cannot be (created and) written, if that can be told without writing."""
    try:
        if path.exists():
            if want_dir and not path.is_dir():
                return "exists and is not a directory"
            if not want_dir and path.is_dir():
                return "is a directory"
            return None
    except OSError as error:
        return _os_reason(error)
    blocker = _blocking_ancestor(path)
    if blocker is not None:
        return f"{blocker} is a file, not a directory"
    parent = next((p for p in path.parents if p.exists()), None)
    if parent is not None and not os.access(parent, os.W_OK | os.X_OK):
        return f"{parent} is not writable"
    return None


def _write_error(target: Path, error: OSError) -> str:
    """The message for ``error`` raised while writing ``target`` (temporary names left out)."""
    blocker = _blocking_ancestor(target)
    if blocker is not None:
        return f"cannot write {target}: {blocker} is a file, not a directory"
    return f"cannot write {target}: {_os_reason(error)}"


@contextlib.contextmanager
def _reported_errors() -> Iterator[None]:
    """Turn inchframe's own errors and environment errors (files, permissions, network) into
    one line on stderr and exit code 1."""
    try:
        yield
    except OfflineCacheMiss as error:
        raise _Exit(_fail(_offline_message(len(error.missing)))) from None
    except InchframeError as error:
        raise _Exit(_fail(str(error))) from None
    except BrokenPipeError:
        raise  # the reader went away (``| head``): not an error to report, see run()
    except OSError as error:  # FileNotFoundError, PermissionError, NotADirectoryError...
        raise _Exit(_fail(_os_error_message(error))) from None


#: Exit code of a command whose output pipe was closed: 128 + SIGPIPE, as a shell reports for
#: a command killed by the signal (``yes | head``).
EXIT_BROKEN_PIPE = 128 + 13


def _broken_pipe() -> int:
    """The reader of stdout went away (``inchframe fetch ... | head``): stop quietly.

    Python's advice for SIGPIPE: point stdout at /dev/null so that the flush at interpreter
    exit does not raise again (and print "Exception ignored ..."), then exit 141.
    """
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    return EXIT_BROKEN_PIPE


def _offline_message(missing: int) -> str:
    return (
        f"offline: {missing} request(s) are not in the cache; run once without --offline "
        "to fill it (or check --cache-dir / INCHFRAME_CACHE_DIR)"
    )


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
            f"inchframe: using the embedded sandbox (synthetic data); {_real_api_hint(args)}",
            file=sys.stderr,
        )
    return client


def _real_api_hint(args: argparse.Namespace) -> str:
    """How to reach the real API from *this* command line (true to the command's options)."""
    has_key = bool(os.environ.get("INCHFRAME_API_KEY") or os.environ.get("ONEINCH_API_KEY"))
    if args.command == "demo":
        return (
            "pass --live for the real API"
            if has_key
            else "set INCHFRAME_API_KEY and pass --live for the real API"
        )
    if args.command == "doctor":
        return (
            "pass --live to check the real API"
            if has_key
            else "set INCHFRAME_API_KEY and pass --live to check the real API"
        )
    if getattr(args, "sandbox", False):
        return "drop --sandbox for the real API" + ("" if has_key else " (needs INCHFRAME_API_KEY)")
    return "set INCHFRAME_API_KEY for the real API"


def run(args: argparse.Namespace) -> int:
    """Dispatch a parsed command line."""
    handlers = {
        "demo": run_demo,
        "fetch": run_fetch,
        "cache": run_cache,
        "doctor": run_doctor,
        "export": run_export,
    }
    try:
        with _reported_errors(), warnings.catch_warnings():
            warnings.showwarning = _show_warning  # restored when the block ends
            return handlers[args.command](args)
    except _Exit as done:
        return done.code
    except BrokenPipeError:
        return _broken_pipe()
    except KeyboardInterrupt:
        print("inchframe: interrupted", file=sys.stderr)
        return 130


# -- sandbox ----------------------------------------------------------------------------------


def run_sandbox(argv: Sequence[str]) -> int:
    """``inchframe sandbox [options]``: serve the sandbox until interrupted.

    Bad option values are usage errors (exit 2); a port that cannot be bound (in use, no
    permission) is an error of the environment (exit 1).
    """
    from .sandbox import add_arguments
    from .sandbox import run as serve

    parser = argparse.ArgumentParser(
        prog="inchframe sandbox",
        description="Serve the embedded 1inch sandbox on 127.0.0.1 until interrupted.",
    )
    add_arguments(parser)
    return serve(parser.parse_args(list(argv)))


# -- cache ------------------------------------------------------------------------------------


def _cache_dir_problem(directory: Path) -> str | None:
    """Why ``directory`` cannot hold a cache (None when it can, or merely does not exist yet).

    A missing directory that could be created is an empty cache (``cache_info`` creates
    nothing); a path that is a file, sits under a file or under an unwritable directory, or
    cannot be read is an error.
    """
    try:
        if directory.is_dir() and not os.access(directory, os.R_OK | os.X_OK):
            return "cannot be read (permission denied)"
    except OSError as error:
        return _os_reason(error)
    problem = _path_problem(directory, want_dir=True)
    if problem is None or directory.exists():
        return problem
    return f"does not exist and cannot be created: {problem}"


def run_cache(args: argparse.Namespace) -> int:
    from .cache import _cache_dir, cache_info, clear_cache

    directory = _cache_dir(args.cache_dir)
    problem = _cache_dir_problem(directory)
    if problem:
        return _fail(f"cache directory {directory} {problem}")
    if args.action == "info":
        _say(str(cache_info(directory)))
        return 0
    older = args.older_than * 86400 if args.older_than is not None else None
    removed = clear_cache(directory, expired_only=args.expired, older_than=older)
    _say(f"removed {removed} cached response(s)")
    return 0


# -- fetch ------------------------------------------------------------------------------------


def _fetch_frame(args: argparse.Namespace, client: Any) -> Any:
    import inchframe as ifr

    # errors="ignore" rather than "warn": run_fetch reports failures in its own words
    common = {"client": client, "errors": "raise" if args.errors == "raise" else "ignore"}
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


def _umask() -> int:
    """The process umask (read by setting it and restoring it at once)."""
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def _write_table(frame: Any, output: str) -> Path:
    path = Path(output)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return frame.inch.to_parquet(path)
    if suffix == ".csv":
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            # mkstemp makes the file 0600; the output gets the mode of any new file (umask)
            os.chmod(temp, 0o666 & ~_umask())
            with os.fdopen(fd, "w", newline="") as handle:
                frame.to_csv(handle, index=False)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return path
    raise ConfigError(f"--output {output!r}: use a .parquet or .csv file name")


def _check_fetch_options(args: argparse.Namespace) -> str | None:
    """A mistake in the fetch options that the loaders would not notice, if any."""
    if args.output:
        if Path(args.output).suffix.lower() not in (".parquet", ".csv"):
            return f"--output {args.output!r}: use a .parquet or .csv file name"
        problem = _path_problem(Path(args.output), want_dir=False)
        if problem:
            return f"--output {args.output}: {problem}"
    takes_timerange = args.kind == "portfolio" and args.view in TIMERANGE_VIEWS
    if args.timerange is not None and not takes_timerange:
        views = " and ".join(f"--view {view}" for view in TIMERANGE_VIEWS)
        return f"--timerange applies only to fetch portfolio {views}"
    return None


def _failure_kinds(failures: Sequence[Mapping[Hashable, Any]]) -> str:
    """``"2 OfflineCacheMiss, 1 ServerError"`` from failure records."""
    counts = Counter(str(failure.get("error") or "error") for failure in failures)
    return ", ".join(f"{n} {kind}" for kind, n in counts.items())


def _report_failures(frame: Any, policy: str) -> int | None:
    """Say what failed; an exit code when nothing arrived, None when the frame is usable."""
    info = frame.attrs.get("inchframe", {})
    failures = info.get("failures") or []
    if not failures:
        return None
    total = max(int(info.get("requests") or 0), len(failures))
    kinds = _failure_kinds(failures)
    # Only the data-carrying requests count: a cached token list (metadata) that arrived while
    # every balance request failed is no answer, and writing its empty table would hide that.
    data = [f for f in failures if f.get("endpoint") not in METADATA_ENDPOINTS]
    data_total = int(info.get("data_requests", total) or 0)
    if data and len(data) >= data_total:  # nothing asked for arrived: an empty table is no answer
        if all(f.get("error") == "OfflineCacheMiss" for f in data):
            return _fail(_offline_message(len(data)))
        first = str(data[0].get("message") or "").strip().splitlines()
        detail = f"; first: {first[0]}" if first else ""
        return _fail(f"all {data_total} data request(s) failed ({_failure_kinds(data)}){detail}")
    if policy == "warn":
        _notice(
            f"{len(failures)} of {total} request(s) failed ({kinds}); the output holds the "
            f"{len(frame)} row(s) that arrived"
        )
    return None


def run_fetch(args: argparse.Namespace) -> int:
    mistake = _check_fetch_options(args)
    if mistake:
        return _fail(mistake)
    with _client(args) as client:
        try:
            frame = _fetch_frame(args, client)
        except BatchError as error:  # --errors raise
            return _fail(
                f"{len(error.failures)} of {error.total} request(s) failed "
                f"({_failure_kinds(error.failures.to_dict('records'))}); nothing written "
                "(--errors warn keeps what arrived)"
            )
    failed = _report_failures(frame, args.errors)
    if failed is not None:
        return failed
    if args.output:
        try:
            path = _write_table(frame, args.output)
        except OSError as error:
            return _fail(_write_error(Path(args.output), error))
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
    problem = _path_problem(out, want_dir=True)
    if problem:
        return _fail(f"--out {out}: {problem}")
    wallets = args.wallets or list(DEMO_WALLETS)
    chains = args.chains or list(DEMO_CHAINS)
    with _client(args, sandbox=None if args.live else True) as client:
        created = not out.exists()
        try:
            out.mkdir(parents=True, exist_ok=True)  # fail before the loads, not after
            Demo(client, wallets, chains, out, say=_say).run()
        except OSError as error:
            if error.filename is None:
                raise
            where = "" if Path(error.filename) == out else f" ({error.filename})"
            return _fail(f"cannot write into {out}{where}: {_os_reason(error)}")
        finally:
            if created:  # a failed first run leaves no empty folder behind
                with contextlib.suppress(OSError):
                    out.rmdir()
    return 0


# -- doctor -----------------------------------------------------------------------------------


def run_doctor(args: argparse.Namespace) -> int:
    """Check each endpoint once and print the report; exit 1 unless every one converted."""
    from .addresses import normalize_addresses
    from .checkup import doctor
    from .client import Client
    from .config import is_loopback_url, resolve_settings

    wallets = normalize_addresses(args.wallets, what="wallet address") if args.wallets else None
    if args.record:
        problem = _path_problem(Path(args.record), want_dir=True)
        if problem:
            return _fail(f"--record {args.record}: {problem}")
    if args.live:
        settings = resolve_settings(base_url=args.base_url, sandbox=False)
        if not settings.has_key and not is_loopback_url(settings.base_url):
            return _fail(
                "--live needs an API key: set INCHFRAME_API_KEY (from the 1inch developer "
                "portal), or run without --live to check the embedded sandbox"
            )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        client = Client(
            base_url=args.base_url if args.live else None,
            sandbox=not args.live,
            rate=args.rate,
            cache=False,  # every answer fresh from the server: a check, not a replay
            progress=False,
        )
    with client:
        if client.is_sandbox:
            print(f"inchframe: checking the embedded sandbox; {_real_api_hint(args)}",
                  file=sys.stderr)  # fmt: skip
        else:
            seconds = 31 / client.settings.rate
            print(
                f"inchframe: checking {client.base_url.split('://')[-1].split('/')[0]} "
                f"(31 requests, about {seconds:.0f} s at {client.settings.rate:g}/s)",
                file=sys.stderr,
            )
        progress = None if args.no_progress else (lambda line: print(line, file=sys.stderr))
        report = doctor(wallets, record=args.record, client=client, say=progress)
    _say(_scrub(report.text()))
    return report.exit_code


# -- export -----------------------------------------------------------------------------------


def run_export(args: argparse.Namespace) -> int:
    """``inchframe export LOADER --wallets FILE --to PATH``: :func:`inchframe.export`."""
    from .exports import export

    options: dict[str, Any] = {}
    if args.chain:
        options["chain"] = args.chain
    if args.spender:
        options["spender"] = args.spender
    with _client(args) as client:
        result = export(
            args.loader,
            Path(args.wallets),
            args.to,
            format=args.format,
            partition_by=args.partition_by,
            batch_size=args.batch_size,
            restart=args.restart,
            client=client,
            progress=False if args.no_progress else None,
            **options,
        )
    _say(str(result))
    if result.failures:
        _notice(
            f"{result.failures} request(s) failed; they are in {result.path}/_failures/ and the "
            "same command retries only them"
        )
        return 3
    return 0
