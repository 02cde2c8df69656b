"""Command line of the sandbox: ``python -m inchframe.sandbox`` and ``inchframe sandbox``.

:func:`add_arguments` and :func:`run` are reusable by inchframe's own CLI.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
import time
from typing import Any

from .options import QUIRK_PRESETS, SandboxOptions

__all__ = ["add_arguments", "main", "options_from_args", "run"]

_DEFAULTS = SandboxOptions()


def _csv(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _now(text: str) -> int:
    if text == "live":
        now = int(time.time())
        return now - now % 3600
    return int(text)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add every sandbox option to ``parser`` (flags default to None = the option's default)."""
    bool_flag = argparse.BooleanOptionalAction
    g = parser.add_argument_group("server")
    g.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    g.add_argument(
        "--port", type=_port, default=8765, help="port (0 = any free port; default 8765)"
    )
    g = parser.add_argument_group("universe")
    g.add_argument("--seed", type=int, help=f"universe seed (default {_DEFAULTS.seed})")
    g.add_argument(
        "--now",
        type=_now,
        help=f"unix time the universe calls 'now', or 'live' (default {_DEFAULTS.now})",
    )
    g = parser.add_argument_group("quirks (docs/api-contract.md, open questions)")
    g.add_argument(
        "--quirks", choices=tuple(QUIRK_PRESETS), help="preset for every quirk (default observed)"
    )
    g.add_argument(
        "--snapshot-chain-key",
        choices=("chain", "chain_id"),
        help="v5 snapshot item chain key (default chain, as observed)",
    )
    g.add_argument(
        "--snapshot-address",
        choices=("wallet", "zero", "absent"),
        help="v5 snapshot item address: the wallet (default), the zero address or absent",
    )
    g.add_argument(
        "--token-balance-form",
        choices=("observed", "documented"),
        help="v5 TokenBalance: chain_id+value_usd (observed) or chain (documented)",
    )
    g.add_argument(
        "--tokens-snapshot-envelope",
        action=bool_flag,
        help="wrap v5 tokens/snapshot in {result, meta} (default yes)",
    )
    g.add_argument(
        "--supported-chains-envelope",
        action=bool_flag,
        help="wrap v5 supported_chains in {result, meta} (default no: bare array)",
    )
    g.add_argument(
        "--system-location",
        choices=("meta", "top"),
        help="meta.system (default) or top-level system (2024 form)",
    )
    g.add_argument(
        "--native-in-post-allowances",
        action=bool_flag,
        help="add the native coin to POST allowances answers (default yes)",
    )
    g = parser.add_argument_group("auth and rate limit")
    g.add_argument(
        "--api-key",
        dest="api_keys",
        action="append",
        metavar="KEY",
        help="accept only this key (repeatable; default: any non-empty key)",
    )
    g.add_argument(
        "--rate-limit",
        type=float,
        metavar="RPS",
        help="requests per second per key, then 429 (default: unlimited)",
    )
    g.add_argument("--rate-burst", type=int, help="rate-limit bucket size (default ceil(RPS))")
    g.add_argument("--retry-after", action=bool_flag, help="send Retry-After on 429 (default yes)")
    g = parser.add_argument_group("faults (deterministic from the seed)")
    g.add_argument("--latency", type=float, metavar="SECONDS", help="added to every request")
    g.add_argument("--error-rate", type=float, help="share of requests answered 5xx")
    g.add_argument(
        "--error-statuses",
        type=lambda s: [int(x) for x in _csv(s)],
        help="comma list of 5xx codes (default 500,502,503,504)",
    )
    g.add_argument("--drop-rate", type=float, help="share of connections closed without answer")
    g.add_argument("--truncate-rate", type=float, help="share of bodies cut short")
    g.add_argument("--malformed-rate", type=float, help="share of 200s with invalid JSON")
    g.add_argument("--drift-rate", type=float, help="share of 200s missing/renaming a field")
    g.add_argument("--slow-rate", type=float, help="share of bodies sent slowly in chunks")
    g.add_argument("--slow-chunk", type=int, help="bytes per slow chunk (default 1024)")
    g.add_argument("--slow-pause", type=float, help="seconds between slow chunks (default 0.05)")
    g.add_argument(
        "--fault-endpoints",
        type=_csv,
        help="comma list of endpoint names faults apply to (default all)",
    )
    g = parser.add_argument_group("limits (sandbox assumptions)")
    g.add_argument("--max-url-length", type=int, help="bytes, then 414 (default 8192)")
    g.add_argument("--max-addresses", type=int, help="Portfolio addresses per call (default 50)")
    g.add_argument("--max-wallets", type=int, help="Balance wallets per call (default 200)")
    g.add_argument("--max-tokens", type=int, help="Balance tokens per POST (default 1000)")


_OPTION_NAMES = (
    "seed",
    "now",
    "quirks",
    "snapshot_chain_key",
    "token_balance_form",
    "tokens_snapshot_envelope",
    "supported_chains_envelope",
    "system_location",
    "native_in_post_allowances",
    "snapshot_address",
    "api_keys",
    "rate_limit",
    "rate_burst",
    "retry_after",
    "latency",
    "error_rate",
    "error_statuses",
    "drop_rate",
    "truncate_rate",
    "malformed_rate",
    "drift_rate",
    "slow_rate",
    "slow_chunk",
    "slow_pause",
    "fault_endpoints",
    "max_url_length",
    "max_addresses",
    "max_wallets",
    "max_tokens",
)


def options_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The sandbox options given on the command line (unset flags are left out)."""
    return {
        name: getattr(args, name) for name in _OPTION_NAMES if getattr(args, name, None) is not None
    }


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0-65535; 0 = any free)")
    return port


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted (Ctrl-C or SIGTERM); print the base URL first.

    Returns 0; 2 for a bad option value (a usage error); 1 when the port cannot be bound (in
    use, no permission: a problem of the machine, not of the command line).
    """
    from .server import Sandbox

    try:
        sandbox = Sandbox(host=args.host, port=args.port, **options_from_args(args))
    except (ValueError, TypeError) as error:
        print(f"inchframe sandbox: {error}", file=sys.stderr)
        return 2
    try:
        sandbox.start()
    except (OSError, OverflowError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        print(
            f"inchframe sandbox: cannot serve on {args.host}:{args.port}: {reason}", file=sys.stderr
        )
        return 1
    print(sandbox.url, flush=True)
    stop = threading.Event()
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
        if previous is not None:
            with contextlib.suppress(ValueError):
                signal.signal(signal.SIGTERM, previous)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m inchframe.sandbox",
        description="A local 1inch Balance API v1.2 + Portfolio API v4/v5.0 server with a "
        "deterministic universe, switchable quirks and faults.",
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))
