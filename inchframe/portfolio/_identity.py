"""Identity columns of the v5.0 metrics frames, from the matching snapshot.

A ``tokens/metrics`` or ``protocols/metrics`` item carries an ``index`` (the position id) and
its figures, but neither the token nor, for a request of several wallets or of all chains, the
wallet and chain it belongs to. The snapshot of the same wallets and chains names every current
position by the same ``index``, so the loaders join it in: one snapshot request per address
chunk, through the same client, cache and rate limit (a cached snapshot costs nothing).

Rules:

- a value the metrics body supplied is never overwritten;
- a position index that the snapshot gives to more than one (chain, wallet) is left NA rather
  than guessed, and so is a wallet the request did not ask for (no row goes to a wrong wallet);
- a position the snapshot does not hold (closed during the time range) keeps NA identity;
- when the snapshot cannot be had, the metrics frame is returned as it is, with a
  :class:`~inchframe.errors.PartialResultWarning`, and the provenance says so.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from .._loading import ATTRS_KEY
from ..errors import InchframeError, PartialResultWarning, user_stacklevel

__all__ = ["PROTOCOL_IDENTITY", "TOKEN_IDENTITY", "with_identity"]

#: (metrics column, snapshot column) pairs joined from each snapshot, keyed on position_index.
TOKEN_IDENTITY = (("chain_id", "chain_id"), ("wallet", "wallet"), ("token", "token"),
                  ("symbol", "symbol"))  # fmt: skip
PROTOCOL_IDENTITY = (("chain_id", "chain_id"), ("wallet", "wallet"), ("protocol", "protocol"),
                     ("protocol_name", "protocol_name"), ("symbol", "symbol"))  # fmt: skip


def _needs_identity(frame: pd.DataFrame, pairs: Sequence[tuple[str, str]]) -> bool:
    rows = frame[~frame["is_aggregate"].astype(bool)] if "is_aggregate" in frame else frame
    return bool(len(rows)) and any(rows[column].isna().any() for column, _ in pairs)


def _lookup(snapshot: pd.DataFrame, pairs: Sequence[tuple[str, str]]) -> pd.DataFrame:
    """One row per position_index with its identity; ambiguous indices dropped."""
    columns = [source for _, source in pairs if source in snapshot.columns]
    work = snapshot[["position_index", *columns]].dropna(subset=["position_index"])
    if "role" in snapshot.columns:  # protocols: underlying tokens name the position
        work = work[snapshot.loc[work.index, "role"].fillna("underlying") == "underlying"]

    def symbols(values: pd.Series) -> Any:
        names = [str(v) for v in dict.fromkeys(values.dropna())]
        return "/".join(names) if names else pd.NA

    agg: dict[str, Any] = {c: "first" for c in columns if c != "symbol"}
    if "symbol" in columns:
        agg["symbol"] = symbols
    grouped = work.groupby("position_index", sort=False, dropna=True)
    out = grouped.agg(agg) if agg else pd.DataFrame(index=grouped.size().index)
    # an index shared by several (chain, wallet[, token]) identities is ambiguous: leave it NA
    keys = [c for c in ("chain_id", "wallet", "token") if c in columns]
    if keys:
        distinct = work.drop_duplicates(["position_index", *keys]).groupby("position_index").size()
        out = out[out.index.isin(distinct[distinct == 1].index)]
    return out


def with_identity(
    frame: pd.DataFrame,
    load_snapshot: Callable[[], pd.DataFrame],
    *,
    pairs: Sequence[tuple[str, str]],
    snapshot_name: str,
    asked_wallets: Sequence[str],
) -> pd.DataFrame:
    """``frame`` (a v5 metrics frame) with its identity columns filled from the snapshot."""
    if not isinstance(frame, pd.DataFrame) or not _needs_identity(frame, pairs):
        return frame
    info = dict(frame.attrs.get(ATTRS_KEY) or {})
    snapshot: pd.DataFrame | None
    problem: str | None
    try:
        snapshot = load_snapshot()
    except InchframeError as error:
        lines = str(error).splitlines() or [""]
        snapshot, problem = None, f"{type(error).__name__}: {lines[0]}"
    else:
        failures = (snapshot.attrs.get(ATTRS_KEY) or {}).get("failures") or []
        problem = f"{len(failures)} snapshot request(s) failed" if failures else None
    if problem:
        warnings.warn(
            f"{info.get('endpoint', 'metrics')}: the {snapshot_name} that names each position "
            f"(token, chain, wallet) could not be loaded ({problem}); identity columns of "
            "those rows stay NA",
            PartialResultWarning,
            stacklevel=user_stacklevel(),
        )
    result = frame.copy()
    filled = 0
    if snapshot is not None and len(snapshot):
        lookup = _lookup(snapshot, pairs)
        asked = set(asked_wallets)
        if "wallet" in lookup.columns:  # never attribute a row to a wallet nobody asked for
            lookup = lookup[lookup["wallet"].isin(asked)]
        keys = result["position_index"]
        matched = keys.isin(lookup.index)
        filled = int(matched.sum())
        for column, source in pairs:
            if source not in lookup.columns or column not in result.columns:
                continue
            values = keys.map(lookup[source])
            missing = result[column].isna() & matched
            if missing.any():
                result.loc[missing, column] = values[missing].astype(result[column].dtype)
    info["identity"] = {
        "source": snapshot_name,
        "matched_rows": filled,
        "rows": len(result),
        "problem": problem,
    }
    result.attrs = {**frame.attrs, ATTRS_KEY: info}
    return result
