"""``inchframe demo``: the tour a new user meets first.

Balances and allowances (unlimited approvals flagged) from the Balance API, a Portfolio v5.0
token snapshot and value chart, a printed summary, a Parquet dataset and PNG charts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from . import plot
from .addresses import ROUTER_V6
from .analysis import chain_label
from .client import Client
from .errors import InchframeError, InputError, OfflineCacheMiss
from .plot import format_usd

__all__ = ["Demo"]


#: Tokens named in the summary and drawn in the composition chart (the same list in both).
TOP_TOKENS = 8


class Demo:
    """One run of the demo into ``out``; ``say`` prints a line."""

    def __init__(
        self,
        client: Client,
        wallets: Sequence[str],
        chains: Sequence[str],
        out: Path,
        *,
        say: Callable[[str], None] = print,
    ) -> None:
        self.client = client
        self.wallets = list(wallets)
        self.chains = list(chains)
        self.out = out
        self.say = say
        self.written: list[Path] = []

    def run(self) -> None:
        import inchframe as ifr

        source = "the embedded sandbox" if self.client.is_sandbox else self.client.base_url
        self.say(
            f"inchframe demo: {len(self.wallets)} wallets on {', '.join(self.chains)} ({source})"
        )
        options: dict[str, Any] = {"client": self.client, "errors": "warn"}
        balances = ifr.balances(self.wallets, self.chains, **options)
        allowances = ifr.allowances(self.wallets, ROUTER_V6, self.chains, **options)
        tokens = ifr.portfolio.tokens_snapshot(self.wallets, chain=self.chains, **options)
        chart = ifr.portfolio.chart(self.wallets, self.chains, "1month", **options)
        _check_arrived(
            {"balances": balances, "allowances": allowances, "tokens": tokens, "chart": chart}
        )

        snapshot_at = self._snapshot_time(tokens, chart)
        self._summarise(balances, allowances, tokens, chart, snapshot_at)
        self._write_parquet(balances, allowances, tokens, snapshot_at)
        self._write_charts(tokens, chart)
        self.say("")
        self.say(f"wrote {len(self.written)} file(s) into {self.out}/:")
        for path in self.written:
            files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
            size = sum(p.stat().st_size for p in files) / 1024
            what = (
                "" if path.is_file() else f"/ ({len(files)} files, partitioned by date and chain)"
            )
            self.say(f"  {path.relative_to(self.out)}{what}  ({size:,.0f} kB)")

    def _snapshot_time(self, tokens: pd.DataFrame, chart: pd.DataFrame) -> pd.Timestamp:
        """When the snapshot describes: the data's own time, so files and charts agree.

        The snapshot's ``timestamp`` when the API sent one (it sends null for "latest");
        else the last point of the value chart fetched in the same run, which is the server's
        "now" (the sandbox's clock is fixed, the real API's is today); else the fetch time.
        """
        own = tokens["timestamp"].dropna() if "timestamp" in tokens.columns else pd.Series()
        if len(own):
            return pd.Timestamp(own.max())
        points = chart["timestamp"].dropna() if "timestamp" in chart.columns else pd.Series()
        if len(points):
            return pd.Timestamp(points.max())
        fetched = tokens.attrs.get("inchframe", {}).get("fetched_at")
        return pd.Timestamp(fetched) if fetched else pd.Timestamp.now(tz="UTC")

    # -- summary ----------------------------------------------------------------------------

    def _summarise(
        self,
        balances: pd.DataFrame,
        allowances: pd.DataFrame,
        tokens: pd.DataFrame,
        chart: pd.DataFrame,
        snapshot_at: pd.Timestamp,
    ) -> None:
        say = self.say
        say("")
        say(
            f"Balance API: {len(balances)} non-zero balances "
            f"({balances['wallet'].nunique()} wallets x {balances['chain_id'].nunique()} chains, "
            f"{balances.attrs['inchframe']['requests']} requests)"
        )
        whales = balances[balances["balance_raw"].str.len() > 24]
        if len(whales):
            say(f"  {len(whales)} balances above 10**24 base units, kept exact in balance_raw")
        risky = allowances[allowances["unlimited"] & ~allowances["is_native"]]
        say(
            f"Allowances to the 1inch router v6: {len(allowances)} non-zero, "
            f"{len(risky)} unlimited (native coin excluded: the API reports it as max)"
        )
        if len(risky):
            table = (
                risky.groupby(["chain_id", "symbol"], observed=True)
                .size()
                .rename("wallets")
                .reset_index()
                .sort_values("wallets", ascending=False)
            )
            for line in table.head(8).to_string(index=False).splitlines():
                say(f"  {line}")
        total = tokens["value_usd"].sum()
        say(
            f"Portfolio v5.0 token snapshot of {snapshot_at:%Y-%m-%d}: {len(tokens)} token "
            f"holdings worth {format_usd(total)} (tokens only; DeFi positions are in "
            "inchframe.portfolio.protocols_snapshot)"
        )
        by_chain = tokens.inch.totals(by="chain").sort_values("value_usd", ascending=False)
        for row in by_chain.itertuples():
            label = chain_label(row.chain_id)
            say(f"  {label:>12}: {format_usd(row.value_usd):>10}")
        composition = tokens.inch.composition(by="symbol", top=TOP_TOKENS)
        say(
            f"  top {TOP_TOKENS} tokens: "
            + ", ".join(f"{row.key} {row.share:.0%}" for row in composition.itertuples())
        )
        points = chart.dropna(subset=["timestamp"])
        if len(points):
            last = points[points["timestamp"] == points["timestamp"].max()]
            say(
                f"Portfolio value (tokens and DeFi positions) on "
                f"{last['timestamp'].iloc[0]:%Y-%m-%d}: {format_usd(last['value_usd'].sum())}"
            )

    # -- files ------------------------------------------------------------------------------

    def _write_parquet(
        self,
        balances: pd.DataFrame,
        allowances: pd.DataFrame,
        tokens: pd.DataFrame,
        snapshot_at: pd.Timestamp,
    ) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        self.written.append(balances.inch.to_parquet(self.out / "balances.parquet"))
        self.written.append(allowances.inch.to_parquet(self.out / "allowances.parquet"))
        dataset = self.out / "portfolio-snapshots"
        # one snapshot per day: a rerun replaces today's chains instead of doubling their rows
        tokens.inch.with_snapshot_time(snapshot_at).inch.to_parquet(
            dataset, partition_by=["snapshot_date", "chain_id"], mode="replace_partitions"
        )
        self.written.append(dataset)

    def _write_charts(self, tokens: pd.DataFrame, chart: pd.DataFrame) -> None:
        import matplotlib

        matplotlib.use("Agg")  # files only: never open a window
        import matplotlib.pyplot as plt
        from matplotlib.figure import Figure

        charts = self.out / "charts"
        charts.mkdir(parents=True, exist_ok=True)
        drawings = {
            "composition-by-token.png": lambda: plot.composition(
                tokens, by="symbol", top=TOP_TOKENS
            ),
            "composition-by-chain.png": lambda: plot.composition(tokens, by="chain", kind="donut"),
            "value-over-time.png": lambda: plot.value_over_time(chart),
        }
        for name, draw in drawings.items():
            try:
                ax = draw()
            except InputError as error:
                if "nothing to plot" not in str(error):
                    raise
                # e.g. wallets without tokens on the chains asked: the other files still count
                self.say(f"skipped charts/{name}: {error}")
                continue
            path = charts / name
            figure = ax.figure
            assert isinstance(figure, Figure)  # plot functions draw on a figure they made
            figure.savefig(path, dpi=120, bbox_inches="tight")
            plt.close(figure)
            self.written.append(path)


def _check_arrived(frames: dict[str, pd.DataFrame]) -> None:
    """Raise when every request of a load failed: the summary and files would be empty.

    A partial failure is not an error (``errors="warn"`` said what is missing).
    """
    empty: list[str] = []
    kinds: set[str] = set()
    misses: list[str] = []
    for name, frame in frames.items():
        info = frame.attrs.get("inchframe", {})
        failures = info.get("failures") or []
        if failures and len(failures) >= int(info.get("requests") or 0):
            empty.append(name)
            kinds.update(str(f.get("error")) for f in failures)
            misses += [f.get("request") or "" for f in failures]
    if not empty:
        return
    if kinds == {"OfflineCacheMiss"}:
        raise OfflineCacheMiss(misses)
    raise InchframeError(
        f"every request failed for {', '.join(empty)} ({', '.join(sorted(kinds))}); nothing written"
    )
