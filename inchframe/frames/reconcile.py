"""Reconcile Portfolio snapshots with the current-value endpoint, per chain (pure).

``reconcile(tokens, protocols, current_value)`` sums what the snapshots hold per chain and
compares it with what ``current_value`` reports for the same chain. It works on the v5.0 frames
(tokens_snapshot, protocols_snapshot, current_value) and on their v4 counterparts
(tokens_details, protocols_details, current_value / tokens_current_value +
protocols_current_value concatenated), because they share column names.

Snapshot side, per chain:

- tokens: the sum of ``value_usd`` (one row per token);
- protocols: each position counted once (``position_value_usd`` of the first row of each
  ``chain_id, wallet, position_index``; the sum of its underlying ``value_usd`` when the position
  value is NaN). Positions whose ``position_index`` also appears in the tokens frame are skipped,
  so a plain token is never counted twice;
- debt (``is_debt``; v5 ``asset_sign`` -1, v4 ``debt``): with ``debt="net"`` (default) a debt
  position counts as ``-abs(value)`` whatever sign the API used (api-contract Q17: unknown whether
  debt values arrive positive or negative); ``"gross"`` adds ``abs(value)``; ``"ignore"`` leaves
  debt out. ``debt_usd`` always reports ``sum(abs(debt))`` so the choice can be revisited.

Current-value side, per chain: rows of dimension ``chain`` (v5 ``by_chain``); failing those,
``address`` rows that carry a chain_id (v4 requested per chain); failing those, the sum of the
v4 ``category_chain`` and ``protocol_chain`` rows. The all-chains line (``chain_id`` NA) compares
the snapshot grand total with the sum of ``total`` rows (or of the per-chain values when there
is no total row).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

__all__ = ["RECONCILE_COLUMNS", "reconcile"]

RECONCILE_COLUMNS = (
    "chain_id",
    "tokens_usd",
    "protocols_usd",
    "debt_usd",
    "snapshot_usd",
    "current_value_usd",
    "diff_usd",
    "rel_diff",
    "ok",
)


def _chain_sums(frame: pd.DataFrame, values: pd.Series) -> pd.Series:
    keys = frame["chain_id"].astype("Int64")
    return values.groupby(keys, dropna=True).sum()


def _signed(values: pd.Series, is_debt: pd.Series, debt: str) -> pd.Series:
    mag = values.abs()
    if debt == "net":
        return values.where(~is_debt, -mag)
    if debt == "gross":
        return values.where(~is_debt, mag)
    return values.where(~is_debt, 0.0)


def _debt_flags(frame: pd.DataFrame) -> pd.Series:
    if "is_debt" in frame.columns:
        return frame["is_debt"].fillna(False).astype(bool)
    return pd.Series(False, index=frame.index)


def _positions(protocols: pd.DataFrame, skip: set[str]) -> pd.DataFrame:
    """One row per position with its value (position value, else the sum of its tokens)."""
    if "position_index" not in protocols.columns:
        return protocols.assign(_value=protocols["value_usd"])
    frame = protocols
    if skip:
        frame = frame[~frame["position_index"].isin(list(skip))]
    ident = [c for c in ("chain_id", "wallet", "wallets", "position_index") if c in frame.columns]
    under = frame
    if "role" in frame.columns:
        under = frame[frame["role"].isna() | (frame["role"] == "underlying")]
    token_sum = under.groupby(ident, dropna=False)["value_usd"].sum(min_count=1)
    first = frame.drop_duplicates(ident).set_index(ident)
    value = first["position_value_usd"] if "position_value_usd" in first.columns else token_sum
    value = value.fillna(token_sum.reindex(value.index))
    out = first.assign(_value=value).reset_index()
    return out


def _current_by_chain(cv: pd.DataFrame) -> pd.Series:
    dims = cv["dimension"].astype(object)
    chain_rows = cv[dims == "chain"]
    if len(chain_rows) == 0:
        chain_rows = cv[(dims == "address") & cv["chain_id"].notna()]
    if len(chain_rows) == 0:
        chain_rows = cv[dims.isin(["category_chain", "protocol_chain"])]
    return _chain_sums(chain_rows, chain_rows["value_usd"])


def _current_total(cv: pd.DataFrame, by_chain: pd.Series) -> float:
    dims = cv["dimension"].astype(object)
    totals = cv[(dims == "total") & cv["chain_id"].isna()]
    if len(totals):
        return float(totals["value_usd"].sum())
    addresses = cv[(dims == "address") & cv["chain_id"].isna()]
    if len(addresses):
        return float(addresses["value_usd"].sum())
    per_chain_totals = cv[dims == "total"]
    if len(per_chain_totals):
        return float(per_chain_totals["value_usd"].sum())
    return float(by_chain.sum()) if len(by_chain) else np.nan


def reconcile(
    tokens: pd.DataFrame,
    protocols: pd.DataFrame | None,
    current_value: pd.DataFrame,
    *,
    debt: Literal["net", "gross", "ignore"] = "net",
    rtol: float = 0.01,
    atol: float = 1.0,
) -> pd.DataFrame:
    """Compare snapshot sums with ``current_value`` per chain (module docstring for the rules).

    Returns one row per chain seen on either side, then an all-chains row (``chain_id`` NA):
    ``chain_id, tokens_usd, protocols_usd, debt_usd, snapshot_usd, current_value_usd, diff_usd``
    (snapshot - current value), ``rel_diff`` (diff / |current value|) and ``ok``
    (``|diff| <= max(atol, rtol * |current value|)``; False when a side is missing).
    """
    if debt not in ("net", "gross", "ignore"):
        raise ValueError(f"debt must be 'net', 'gross' or 'ignore', got {debt!r}")
    tok_debt = _debt_flags(tokens)
    tok_values = tokens["value_usd"].astype("float64")
    tokens_usd = _chain_sums(tokens, _signed(tok_values, tok_debt, debt))
    debt_parts = [_chain_sums(tokens, tok_values.abs().where(tok_debt, 0.0))]

    if protocols is not None and len(protocols):
        skip: set[str] = set()
        if "position_index" in tokens.columns:
            skip = set(tokens["position_index"].dropna().astype(str))
        positions = _positions(protocols, skip)
        pos_debt = _debt_flags(positions)
        pos_values = positions["_value"].astype("float64")
        protocols_usd = _chain_sums(positions, _signed(pos_values, pos_debt, debt))
        debt_parts.append(_chain_sums(positions, pos_values.abs().where(pos_debt, 0.0)))
    else:
        protocols_usd = pd.Series(dtype="float64")

    current = _current_by_chain(current_value)
    chains = sorted(set(tokens_usd.index) | set(protocols_usd.index) | set(current.index))
    index = pd.Index(chains, dtype="Int64")
    t = tokens_usd.reindex(index).fillna(0.0)
    p = protocols_usd.reindex(index).fillna(0.0)
    d = pd.concat(debt_parts).groupby(level=0).sum().reindex(index).fillna(0.0)
    has_snapshot = index.isin(tokens_usd.index) | index.isin(protocols_usd.index)
    snap = (t + p).where(has_snapshot, np.nan)
    cur = current.reindex(index)

    out = pd.DataFrame(
        {
            "chain_id": index,
            "tokens_usd": t.to_numpy(dtype="float64"),
            "protocols_usd": p.to_numpy(dtype="float64"),
            "debt_usd": d.to_numpy(dtype="float64"),
            "snapshot_usd": snap.to_numpy(dtype="float64"),
            "current_value_usd": cur.to_numpy(dtype="float64", na_value=np.nan),
        }
    )
    total = pd.DataFrame(
        {
            "chain_id": pd.array([None], dtype="Int64"),
            "tokens_usd": [float(tokens_usd.sum())],
            "protocols_usd": [float(protocols_usd.sum())],
            "debt_usd": [float(out["debt_usd"].sum())],
            "snapshot_usd": [float(tokens_usd.sum() + protocols_usd.sum())],
            "current_value_usd": [_current_total(current_value, current)],
        }
    )
    out = pd.concat([out, total], ignore_index=True)
    out["diff_usd"] = out["snapshot_usd"] - out["current_value_usd"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["rel_diff"] = out["diff_usd"] / out["current_value_usd"].abs()
    limit = np.maximum(atol, rtol * out["current_value_usd"].abs())
    out["ok"] = (out["diff_usd"].abs() <= limit).fillna(False).astype(bool)
    out["chain_id"] = out["chain_id"].astype("Int64")
    return out[list(RECONCILE_COLUMNS)]
