"""Loaders end to end, as a user runs them: what ``inchframe.balances(...)`` and the Portfolio
loaders cost in time per row and peak memory, cold (empty cache) and warm (from the on-disk
cache), each run in a FRESH process with the garbage collector on.

The sandbox runs in its own process (``python -m inchframe.sandbox``), the loader in another,
and the loader's resident memory is read from outside (``/proc/<pid>/status``, every 10 ms):
the peak above the process's RSS just before the call, against the frame it returned.

Baselines, on the same bodies (read from the same cache, held in memory), in the same fresh
process after the loader: "list-of-dicts" (``orjson.loads`` each body, one dict per output
row, ``pd.DataFrame(rows)``) and, for the snapshot, ``pandas.json_normalize``. They build the
columns a user would need for the same question (exact amount strings, float amounts), so the
ratio is what the loader saves over writing it by hand.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ._harness import Options, Result, check

NAME = "loaders"
ROOT = Path(__file__).resolve().parents[1]
KEY = "bench-loaders-key"
CHAINS = [1, 10, 56, 137, 8453]


def wallets(n: int) -> list[str]:
    """``n`` deterministic wallet addresses (the sandbox gives any address holdings)."""
    return ["0x" + hashlib.sha256(f"w{i}".encode()).hexdigest()[:40] for i in range(n)]


# -- the child: one loader call in a fresh process ---------------------------------------------


def _rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _load(loader: str, client: Any, addresses: list[str]) -> Any:
    import inchframe as ifr

    if loader == "balances":
        return ifr.balances(addresses, CHAINS, client=client)
    if loader == "balances_per_wallet":  # one request per (wallet, chain), plus the token lists
        return ifr.balances(addresses, CHAINS, method="per_wallet", client=client)
    if loader == "allowances":
        return ifr.allowances(
            addresses, "0x111111125421ca6dc452d289314280a0f8842a65", CHAINS, client=client
        )
    module = ifr.portfolio
    return getattr(module, loader)(addresses, CHAINS, client=client)


def _baselines(loader: str, bodies: list[tuple[dict[str, Any], bytes]]) -> dict[str, float]:
    """Seconds of list-of-dicts (and json_normalize) on the same bodies."""
    import orjson
    import pandas as pd

    out: dict[str, float] = {}
    if loader == "balances":  # aggregated bodies: token objects with a wallets map
        started = time.perf_counter()
        rows = []
        for ctx, body in bodies:
            for item in orjson.loads(body):
                decimals = item.get("decimals")
                for wallet, entry in (item.get("wallets") or {}).items():
                    raw = entry["balance"]
                    if raw != "0":
                        rows.append(
                            {
                                "chain_id": ctx.get("chain_id"),
                                "wallet": wallet.lower(),
                                "token": item["address"].lower(),
                                "symbol": item.get("symbol"),
                                "decimals": decimals,
                                "balance_raw": raw,
                                "balance": int(raw) / 10**decimals if decimals else None,
                            }
                        )
        pd.DataFrame(rows)
        out["list-of-dicts"] = time.perf_counter() - started
    elif loader == "tokens_snapshot":
        started = time.perf_counter()
        rows = []
        for _, body in bodies:
            parsed = orjson.loads(body)
            items = parsed["result"] if isinstance(parsed, dict) else parsed
            for item in items:
                for token in item.get("underlying_tokens") or []:
                    rows.append(
                        {
                            "chain_id": item.get("chain", item.get("chain_id")),
                            "wallet": item["address"],
                            "position_index": item["index"],
                            "protocol": item["protocol_group_id"],
                            "token": token["address"],
                            "symbol": token.get("symbol"),
                            "amount": token.get("amount"),
                            "price_usd": token.get("price_usd"),
                            "value_usd": token.get("value_usd"),
                        }
                    )
        pd.DataFrame(rows)
        out["list-of-dicts"] = time.perf_counter() - started
        started = time.perf_counter()
        frames = []
        for _, body in bodies:
            parsed = orjson.loads(body)
            items = parsed["result"] if isinstance(parsed, dict) else parsed
            if items:
                frames.append(
                    pd.json_normalize(
                        items,
                        record_path="underlying_tokens",
                        meta=["chain", "address", "index", "protocol_group_id"],
                        record_prefix="token.",
                        errors="ignore",
                    )
                )
        if frames:
            pd.concat(frames, ignore_index=True)
        out["json_normalize"] = time.perf_counter() - started
    return out


def child(loader: str, n: int, base_url: str, cache_dir: str, rate: float) -> None:
    """Wait for a line on stdin, run the loader once, print one JSON line of results."""
    import inchframe as ifr

    addresses = wallets(n)
    client = ifr.Client(KEY, base_url=base_url, cache_dir=cache_dir, rate=rate, progress=False)
    print(json.dumps({"ready": True, "rss_kib": _rss_kib()}), flush=True)
    sys.stdin.readline()
    started = time.perf_counter()
    frame = _load(loader, client, addresses)
    seconds = time.perf_counter() - started
    info = frame.attrs.get("inchframe", {})
    result: dict[str, Any] = {
        "rows": len(frame),
        "seconds": seconds,
        "frame_bytes": int(frame.memory_usage(deep=True).sum()),
        "requests": info.get("requests"),
        "from_cache": info.get("requests_from_cache"),
        "failures": len(info.get("failures", [])),
    }
    print(json.dumps({"loaded": True}), flush=True)
    sys.stdin.readline()  # the parent has read the peak; now the baselines (not measured for RSS)
    if loader in ("balances", "tokens_snapshot") and info.get("from_cache"):
        plan = _load_plan(loader, client, addresses)
        batch = client.fetch_many(plan, progress=False, parse=False)
        bodies = [(r.call.context, r.content) for r in batch.replies if _is_data(loader, r)]
        result["baselines"] = _baselines(loader, bodies)
        result["converter"] = _converter_ratio(loader, client, addresses, batch.replies)
        del batch, bodies
    client.close()
    print(json.dumps(result), flush=True)


def _converter(loader: str) -> Any:
    """The converter behind ``loader``: the function from replies to its frame."""
    if loader == "balances":
        from inchframe import balance

        return balance._convert_balances(False)
    from inchframe import portfolio

    spec = portfolio._TOKENS_SNAPSHOT
    return lambda replies: spec.convert(spec.pairs(replies))


def _converter_ratio(
    loader: str, client: Any, addresses: list[str], replies: list[Any], repeats: int = 3
) -> dict[str, float]:
    """Warm loader calls and converter calls on the same bodies (held in memory), interleaved
    in this process; the best of ``repeats`` of each (the machine is shared)."""
    import gc

    convert = _converter(loader)
    loads, converts = [], []
    for _ in range(repeats):
        gc.collect()
        started = time.perf_counter()
        _load(loader, client, addresses)
        loads.append(time.perf_counter() - started)
        gc.collect()
        started = time.perf_counter()
        convert(replies)
        converts.append(time.perf_counter() - started)
    return {"loader": min(loads), "converter": min(converts)}


def _is_data(loader: str, reply: Any) -> bool:
    return loader != "balances" or reply.call.endpoint == "balance.aggregated"


def _load_plan(loader: str, client: Any, addresses: list[str]) -> list[Any]:
    import inchframe as ifr

    if loader == "balances":
        plan = ifr.balances(addresses, CHAINS, client=client, plan=True)
    else:
        plan = getattr(ifr.portfolio, loader)(addresses, CHAINS, client=client, plan=True)
    return list(plan.calls)


# -- the parent: sandbox process, loader processes, RSS from outside ---------------------------


def _peak_of(pid: int, stop: Any) -> int:
    peak = 0
    path = f"/proc/{pid}/status"
    while not stop():
        try:
            with open(path) as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        peak = max(peak, int(line.split()[1]))
                        break
        except OSError:
            break
        time.sleep(0.01)
    return peak


def _serve(extra: list[str]) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "inchframe.sandbox", "--port", "0", "--api-key", KEY, *extra],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    if not url.startswith("http"):
        process.kill()
        raise RuntimeError(f"the sandbox did not start: {url!r}")
    return process, url


def measure(loader: str, n: int, url: str, cache_dir: str, rate: float = 1000.0) -> dict[str, Any]:
    """One loader call in a fresh process: its result line plus the peak RSS above start."""
    import threading

    code = (
        "import sys; from benchmarks.bench_loaders import child; "
        f"child({loader!r}, {n}, {url!r}, {cache_dir!r}, {rate!r})"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert process.stdin is not None and process.stdout is not None
    ready = json.loads(process.stdout.readline())
    done = threading.Event()
    peak: list[int] = []
    watcher = threading.Thread(target=lambda: peak.append(_peak_of(process.pid, done.is_set)))
    watcher.start()
    process.stdin.write("go\n")
    process.stdin.flush()
    line = process.stdout.readline()
    done.set()
    watcher.join()
    if not line:
        process.wait()
        raise RuntimeError(f"{loader} x {n}: the loader process failed")
    process.stdin.write("baselines\n")
    process.stdin.flush()
    result = json.loads(process.stdout.readline())
    process.wait(timeout=600)
    result["peak_above_start"] = max(0, (peak[0] if peak else 0) - ready["rss_kib"]) * 1024
    return result


def run(options: Options) -> list[Result]:
    sizes = [10, 100, 1000] if options.quick else [10, 100, 1000, 5000]
    loaders = ["balances", "tokens_snapshot"]
    others = ["allowances", "protocols_snapshot", "tokens_metrics", "current_value"]
    results: list[Result] = []
    server, url = _serve([])
    try:
        per_row: dict[str, dict[int, float]] = {name: {} for name in loaders}
        for loader in loaders:
            for n in sizes:
                with tempfile.TemporaryDirectory() as cache:
                    cold = measure(loader, n, url, cache)
                    warm = measure(loader, n, url, cache)
                results += _rows(loader, n, cold, warm)
                per_row[loader][n] = warm["seconds"] / max(1, warm["rows"])
                if options.verbose:
                    print(f"  {loader} x {n}: cold {cold} warm {warm}", flush=True)
            small, large = 1000, max(sizes)
            if large > small and small in per_row[loader]:
                growth = per_row[loader][large] / per_row[loader][small]
                results.append(
                    Result(
                        NAME,
                        f"{loader} warm: time per row at {large:,} / at {small:,} wallets",
                        per_row[loader][large] * 1e6,
                        per_row[loader][small] * 1e6,
                        "µs/row",
                        growth,
                        "≤ 1.15",
                        check(growth, "≤ 1.15"),
                        "flat time per output row as the wallet count grows",
                    )
                )
        for loader in others:
            n = 100
            with tempfile.TemporaryDirectory() as cache:
                cold = measure(loader, n, url, cache)
                warm = measure(loader, n, url, cache)
            results += _rows(loader, n, cold, warm)
    finally:
        server.terminate()
        server.wait(timeout=30)
    results.append(_free_plan())  # the free plan: in --quick runs too
    return results


def peak_result(label: str, cold: dict[str, Any], warm: dict[str, Any], name: str = NAME) -> Result:
    """The row of issue #15's memory target: the higher of the cold and warm peaks (RSS read
    from outside, above the process's RSS before the call) against 3 x frame + 250 MiB."""
    mib = 2**20
    allowed = 3 * warm["frame_bytes"] + 250 * mib
    peak = max(cold["peak_above_start"], warm["peak_above_start"])
    rows = max(1, warm["rows"])
    return Result(
        name,
        f"{label}: peak RSS (cold or warm) / (3 x frame + 250 MiB)",
        peak / mib,
        allowed / mib,
        "MiB",
        peak / allowed,
        "≤ 1",
        check(peak / allowed, "≤ 1"),
        f"frame {warm['frame_bytes'] / mib:.1f} MiB ({warm['frame_bytes'] / rows:.0f} B/row, "
        f"{warm['rows']:,} rows); cold peak {cold['peak_above_start'] / mib:.0f} MiB, warm peak "
        f"{warm['peak_above_start'] / mib:.0f} MiB above the process's RSS before the call, "
        "read from outside (fresh process)",
    )


def _rows(loader: str, n: int, cold: dict[str, Any], warm: dict[str, Any]) -> list[Result]:
    label = f"{loader} {n:,} wallets x {len(CHAINS)} chains"
    rows = max(1, warm["rows"])
    out = [
        Result(
            NAME,
            f"{label}: warm, time per row (fresh process, GC on)",
            warm["seconds"] / rows * 1e6,
            cold["seconds"] / max(1, cold["rows"]) * 1e6,
            "µs/row",
            cold["seconds"] / warm["seconds"] if warm["seconds"] else None,
            "",
            None,
            f"{warm['rows']:,} rows, {warm['requests']} requests; warm {warm['seconds']:.2f} s, "
            f"cold {cold['seconds']:.2f} s (baseline column: cold; ratio: cold / warm)",
        ),
        peak_result(label, cold, warm),
    ]
    timings = warm.get("converter")
    if timings:
        ratio = timings["loader"] / timings["converter"]
        out.append(
            Result(
                NAME,
                f"{label}: warm loader / its converter on the same bodies in memory",
                timings["loader"] * 1e3,
                timings["converter"] * 1e3,
                "ms",
                ratio,
                "≤ 1.3" if n >= 1000 else "",
                check(ratio, "≤ 1.3") if n >= 1000 else None,
                "what a cache hit adds (SQLite read, decompression, CRC-32, provenance); best "
                f"of 3 interleaved in one process; the first warm call (fresh process, with "
                f"its imports) took {warm['seconds'] * 1e3:.0f} ms",
            )
        )
    baselines = warm.get("baselines") or {}
    big = n >= 1000
    for name, seconds in baselines.items():
        target = ""
        if big:
            target = {
                ("balances", "list-of-dicts"): "≥ 2.5",
                ("tokens_snapshot", "list-of-dicts"): "≥ 3",
                ("tokens_snapshot", "json_normalize"): "≥ 6",
            }.get((loader, name), "")
        ratio = seconds / warm["seconds"] if warm["seconds"] else None
        out.append(
            Result(
                NAME,
                f"{label}: warm loader vs {name} on the same bodies",
                warm["seconds"] * 1e3,
                seconds * 1e3,
                "ms",
                ratio,
                target,
                check(ratio, target) if target else None,
                "loader: cache read + parse + frame; baseline: bodies already in memory",
            )
        )
    return out


def _free_plan() -> Result:
    """The free plan (1 request/s): a 3-wallet, 2-chain balances call against a sandbox that
    limits the key to 1 request/s; no 429 reaches the user."""
    server, url = _serve(["--rate-limit", "1"])
    try:
        with tempfile.TemporaryDirectory() as cache:
            started = time.perf_counter()
            result = measure("balances", 3, url, cache, rate=1.0)
            seconds = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    # the first request goes at once: n requests take (n - 1) / R seconds at best
    spaced = max(0, (result["requests"] or 0) - 1)
    rate = spaced / result["seconds"] if result["seconds"] else None
    return Result(
        NAME,
        "balances 3 wallets x 5 chains at the free-plan rate (R = 1)",
        result["seconds"],
        float(spaced),
        "s",
        rate,
        "≤ 1.05",
        check(rate, "≤ 1.05") if rate is not None else None,
        f"{result['requests']} requests, {result['failures']} failures, "
        f"{seconds:.1f} s with process start; ratio: (requests - 1) / seconds, the rate "
        "the server saw",
    )
