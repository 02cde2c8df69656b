"""The fault-injection soak, scaled down: 200 wallets x 3 chains through 10% 5xx, 5% dropped
connections, 2% truncated bodies and a rate limit the client overshoots.

``benchmarks/soak.py`` runs the same code at 2,000 wallets; the invariants it checks (nothing
silently lost, no duplicates, exact values, every request accounted for, retry counts that
agree, a replay served from the cache) are asserted here through :attr:`PathReport.ok`.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from ..conftest import REPO

WALLETS = 200


def _soak() -> ModuleType:
    if "inchframe_soak" not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            "inchframe_soak", REPO / "benchmarks" / "soak.py"
        )
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules["inchframe_soak"] = module
        spec.loader.exec_module(module)
    return sys.modules["inchframe_soak"]


@pytest.fixture
def faulty(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The soak's faults, and a rate limit of 200/s (the client asks for 220/s). Backoff is
    scaled down tenfold for the suite (Retry-After on 429 is still honoured as sent)."""
    import inchframe._http

    monkeypatch.setattr(inchframe._http, "BACKOFF_FACTOR", inchframe._http.BACKOFF_FACTOR / 10)
    monkeypatch.setattr(inchframe._http, "BACKOFF_JITTER", inchframe._http.BACKOFF_JITTER / 10)
    sandbox.configure(rate_limit=200, **_soak().FAULTS)
    return sandbox


def _explain(report: Any) -> str:
    return _soak().format_report([report], {})


def test_per_wallet_path_loses_nothing(faulty: Any, tmp_path: Path) -> None:
    report = _soak().run_path(faulty, tmp_path, "per_wallet", WALLETS, client_rate=220)
    assert report.ok, _explain(report)
    assert report.calls == WALLETS * 3 + 3  # one POST per (wallet, chain), one token list each
    assert report.pairs_in_frame + report.pairs_failed == WALLETS * 3
    assert report.rows == 2 * report.pairs_in_frame
    statuses = report.sandbox_statuses
    assert statuses.get(0, 0) > 0 and sum(n for s, n in statuses.items() if s >= 500) > 0
    assert report.batch_retries >= statuses.get(0, 0)  # every drop was retried or failed
    assert report.replay_from_cache == report.calls - report.failures
    assert report.replay_same_rows


def test_aggregated_path_loses_nothing(faulty: Any, tmp_path: Path) -> None:
    # 10 wallets per request instead of 100, so that 60 requests meet the faults
    report = _soak().run_path(
        faulty, tmp_path, "aggregated", WALLETS, client_rate=220, wallets_per_call=10
    )
    assert report.ok, _explain(report)
    assert report.calls == WALLETS // 10 * 3
    assert report.pairs_in_frame + report.pairs_failed == WALLETS * 3


def test_failures_are_reported_not_lost(faulty: Any, tmp_path: Path) -> None:
    """Without transport retries some requests fail for good: they are in the failure table
    (and df.attrs), and their (wallet, chain) pairs are absent from the frame."""
    report = _soak().run_path(
        faulty, tmp_path, "per_wallet", 100, client_rate=220, max_retries=0, replay=False
    )
    assert report.ok, _explain(report)
    assert report.failures > 0 and report.pairs_failed > 0
    assert set(report.failure_kinds) <= {"ServerError", "TransportError", "RateLimitError"}
    assert report.pairs_in_frame + report.pairs_failed == 300
