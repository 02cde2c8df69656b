"""Request economy: HTTP requests needed for 1,000 wallets on 5 chains, counted at the sandbox.

- ``inchframe.balances(wallets, chains)``: every non-zero balance (aggregated endpoint, 100
  wallets per request);
- ``inchframe.portfolio.tokens_snapshot(wallets, chain=[...])``: Portfolio v5.0 token snapshots
  (one all-chains request per 20 addresses, rows filtered to the chains asked).

The baseline is what a notebook loop sends: one request per wallet per chain (5,000). The
request count is ``sandbox.stats()["total"]``. Wall times at an unlimited rate and the time the
same requests take on the free plan (1 request/s) are shown too.
"""

from __future__ import annotations

import tempfile
import time

from . import payloads
from ._harness import Options, Result, check

NAME = "requests"
CHAINS = [1, 56, 137, 8453, 42161]
N_WALLETS = 1000


def _hours(requests: float, rate: float = 1.0) -> str:
    seconds = requests / rate
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds / 60:.1f} min"


def run(options: Options) -> list[Result]:
    import inchframe
    from inchframe.client import Client
    from inchframe.sandbox import Sandbox

    n_wallets = 200 if options.quick else N_WALLETS  # the ratio does not depend on it
    wallets = [payloads.wallet(i) for i in range(n_wallets)]
    baseline = len(wallets) * len(CHAINS)
    loaders = {
        "inchframe.balances": lambda c: inchframe.balances(wallets, CHAINS, client=c),
        "inchframe.portfolio.tokens_snapshot": lambda c: inchframe.portfolio.tokens_snapshot(
            wallets, chain=CHAINS, client=c
        ),
    }
    results = []
    with Sandbox() as sandbox, tempfile.TemporaryDirectory() as tmp:
        for name, load in loaders.items():
            with Client(
                "bench-key",
                base_url=sandbox.url,
                cache_dir=tmp + "/" + name,
                rate=1000,
                progress=False,
            ) as client:
                sandbox.reset_stats()
                start = time.perf_counter()
                frame = load(client)
                elapsed = time.perf_counter() - start
                sent = sandbox.stats()["total"]
            ratio = baseline / sent
            note = (
                f"{len(frame):,} rows in {elapsed:.1f} s here; at 1 req/s {_hours(sent)} "
                f"instead of {_hours(baseline)}"
            )
            results.append(
                Result(
                    NAME,
                    f"{name}: {n_wallets} wallets x {len(CHAINS)} chains",
                    sent,
                    baseline,
                    "requests",
                    ratio,
                    "≥ 50",
                    check(ratio, "≥ 50"),
                    note,
                )
            )
            if options.verbose:
                print(f"  {name}: {sent} requests ({ratio:.0f}x fewer); {note}", flush=True)
    return results
