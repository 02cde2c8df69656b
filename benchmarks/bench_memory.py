"""Memory: peak RSS while building a frame, and bytes per row of the Balance frame.

Each measurement runs in a fresh child process. The child generates the response bodies (and,
for the safe path, parses them), then resets the kernel's peak-RSS counter
(``/proc/self/clear_refs``), notes the RSS, builds the frame, and reports the peak RSS reached
above that starting point (``VmHWM``), next to the frame's own size
(``df.memory_usage(deep=True).sum()``) and the largest response body.

Target: peak while building <= 2 x the output frame + one response body; a Balance frame
(the columns ``inchframe.balances`` returns) at most 40 bytes per row. The categorical
variants are computed for the report only; the library's dtypes are unchanged.

The first row is the loader check: ``inchframe.balances`` for 2,000 wallets x 5 chains end to
end (sandbox in its own process, the loader in a fresh one, RSS read from outside), cold and
warm, whose peak must stay within 3 x the frame it returns + 250 MiB.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

from ._harness import Options, Result, check

NAME = "memory"


def _status() -> tuple[int, int]:
    with open("/proc/self/status") as f:
        text = f.read()
    peak = int(re.search(r"VmHWM:\s+(\d+)", text).group(1)) * 1024
    rss = int(re.search(r"VmRSS:\s+(\d+)", text).group(1)) * 1024
    return peak, rss


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _balance_variants(frame: Any) -> dict[str, float]:
    """Bytes per row of the Balance frame as built, and with categorical columns."""
    import pandas as pd

    from inchframe.frames.schema import with_dtype_backend

    n = len(frame)
    out = {"as built (Arrow strings)": frame.memory_usage(deep=True).sum() / n}
    arrow = with_dtype_backend(frame, "pyarrow")
    out["dtype_backend='pyarrow' (what the loaders return with it)"] = (
        arrow.memory_usage(deep=True).sum() / n
    )
    repeated = ["wallet", "token", "symbol", "name", "tags"]
    cat = frame.astype({c: "category" for c in repeated})
    out["categorical wallet/token/symbol/name/tags"] = cat.memory_usage(deep=True).sum() / n
    more = cat.astype({"chain_id": "category", "decimals": "category"})
    out["+ categorical chain_id/decimals"] = more.memory_usage(deep=True).sum() / n
    dictionary = more.astype(
        {
            "balance_raw": pd.ArrowDtype(
                __import__("pyarrow").dictionary(
                    __import__("pyarrow").int32(), __import__("pyarrow").large_string()
                )
            )
        }
    )
    out["+ dictionary balance_raw"] = dictionary.memory_usage(deep=True).sum() / n
    return out


def child(family: str, rows: int, path: str) -> dict[str, Any]:
    """Runs in the child process: build one frame and report memory figures."""
    import gc

    from inchframe.frames import balance as fb
    from inchframe.frames import portfolio_v5 as p5

    from . import payloads

    generate, convert = {
        "balances": (payloads.balance_maps, lambda p: fb.balances_frame(p, keep_zero=True)),
        "aggregated": (payloads.aggregated, lambda p: fb.aggregated_frame(p, keep_zero=True)),
        "tokens_snapshot": (payloads.tokens_snapshot, p5.tokens_snapshot),
    }[family]
    pairs = generate(rows)
    largest = max(len(body) for _, body in pairs)
    if path == "safe":
        import orjson

        pairs = [(ctx, orjson.loads(body)) for ctx, body in pairs]
    gc.collect()
    can_reset = _reset_peak()
    _, start = _status()
    frame = convert(pairs)
    peak, _ = _status()
    out = {
        "rows": len(frame),
        "frame_bytes": int(frame.memory_usage(deep=True).sum()),
        "peak_above_start": peak - start,
        "largest_body": largest,
        "exact_peak": can_reset,
        "bodies": len(pairs),
    }
    if family == "aggregated" and path == "fast":
        balances = fb.BALANCES.conform(
            fb.aggregated_frame(pairs, keep_zero=False)[list(fb.BALANCES.names)].reset_index(
                drop=True
            )
        )
        out["balance_rows"] = len(balances)
        out["balance_bytes_per_row"] = _balance_variants(balances)
    return out


def _spawn(family: str, rows: int, path: str) -> dict[str, Any]:
    code = (
        "import json, sys; from benchmarks.bench_memory import child; "
        f"print(json.dumps(child({family!r}, {rows}, {path!r})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=_root()
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _root() -> str:
    from pathlib import Path

    return str(Path(__file__).resolve().parents[1])


def run(options: Options) -> list[Result]:
    rows = 100_000 if options.quick else 1_000_000
    plan = [
        ("balances", "fast"),
        ("aggregated", "fast"),
        ("tokens_snapshot", "fast"),
        ("balances", "safe"),
    ]
    if options.quick:
        plan = [("balances", "fast"), ("aggregated", "fast"), ("balances", "safe")]
    results = [_loader_check()]
    for family, path in plan:
        m = _spawn(family, rows, path)
        allowed = 2 * m["frame_bytes"] + m["largest_body"]
        ratio = m["peak_above_start"] / allowed
        label = f"{family} {rows // 1000}k rows, {'raw bodies' if path == 'fast' else 'parsed'}"
        note = (
            f"peak +{m['peak_above_start'] / 2**20:.0f} MiB; frame "
            f"{m['frame_bytes'] / 2**20:.0f} MiB ({m['frame_bytes'] / m['rows']:.0f} B/row); "
            f"largest body {m['largest_body'] / 2**20:.1f} MiB"
        )
        if path == "safe":
            note += "; the parsed payloads were resident before the build and are not counted"
        results.append(
            Result(
                NAME,
                f"{label}: peak RSS / (2 x frame + body)",
                m["peak_above_start"] / 2**20,
                allowed / 2**20,
                "MiB",
                ratio,
                "≤ 1" if path == "fast" else "",
                check(ratio, "≤ 1") if path == "fast" else None,
                note,
            )
        )
        if "balance_bytes_per_row" in m:
            variants = m["balance_bytes_per_row"]
            headline = variants["as built (Arrow strings)"]
            results.append(
                Result(
                    NAME,
                    "Balance frame, bytes per row",
                    headline,
                    None,
                    "B/row",
                    None,
                    "≤ 40 B/row",
                    headline <= 40,
                    f"{m['balance_rows']:,} non-zero rows, the columns inchframe.balances returns",
                )
            )
            arrow = variants["dtype_backend='pyarrow' (what the loaders return with it)"]
            results.append(
                Result(
                    NAME,
                    "Balance frame, bytes per row, dtype_backend='pyarrow'",
                    arrow,
                    headline,
                    "B/row",
                    arrow / headline,
                    "≤ 40 B/row",
                    arrow <= 40,
                    "dictionary<int32, string> for repeated strings, exact *_raw strings; "
                    "the loaders' dtype_backend='pyarrow'",
                )
            )
            for name, value in variants.items():
                if name.startswith("as built") or name.startswith("dtype_backend"):
                    continue
                results.append(
                    Result(
                        NAME,
                        f"Balance frame, bytes per row, {name}",
                        value,
                        headline,
                        "B/row",
                        value / headline,
                        "",
                        None,
                        "info: not what the library returns",
                    )
                )
        if options.verbose:
            print(f"  {label}: {m}", flush=True)
    return results


#: Wallets of the loader check (x 5 chains): ``inchframe.balances`` end to end.
LOADER_WALLETS = 2000


def _loader_check() -> Result:
    """``inchframe.balances`` for 2,000 wallets x 5 chains in a fresh process against the
    sandbox (its own process), cold then warm; peak RSS read from outside
    (:func:`benchmarks.bench_loaders.measure`) against 3 x the frame + 250 MiB."""
    import tempfile

    from . import bench_loaders as loaders

    server, url = loaders._serve([])
    try:
        with tempfile.TemporaryDirectory() as cache:
            cold = loaders.measure("balances", LOADER_WALLETS, url, cache)
            warm = loaders.measure("balances", LOADER_WALLETS, url, cache)
    finally:
        server.terminate()
        server.wait(timeout=30)
    label = f"balances loader {LOADER_WALLETS:,} wallets x {len(loaders.CHAINS)} chains"
    return loaders.peak_result(label, cold, warm, name=NAME)


if __name__ == "__main__":  # pragma: no cover - manual use
    print(json.dumps(child(sys.argv[1], int(sys.argv[2]), sys.argv[3]), indent=2))
