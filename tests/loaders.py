"""Every Portfolio loader (all 23 endpoints) called on two wallets: one table for the tests
that must reach them all (key safety, payload fuzzing)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import inchframe as ifr

from .conftest import BINANCE, VITALIK

WALLETS = [VITALIK, BINANCE]
p5, p4 = ifr.portfolio, ifr.portfolio.v4

PORTFOLIO_LOADERS: dict[str, Callable[[ifr.Client], Any]] = {
    # Portfolio v5.0 (11)
    "v5.status": lambda c: p5.status(client=c),
    "v5.supported_chains": lambda c: p5.supported_chains(client=c),
    "v5.supported_protocols": lambda c: p5.supported_protocols(client=c),
    "v5.address_check": lambda c: p5.address_check(WALLETS, client=c),
    "v5.current_value": lambda c: p5.current_value(WALLETS, client=c),
    "v5.chart": lambda c: p5.chart(WALLETS, 1, "1week", client=c),
    "v5.report": lambda c: p5.report(WALLETS, client=c),
    "v5.protocols_snapshot": lambda c: p5.protocols_snapshot(WALLETS, client=c),
    "v5.protocols_metrics": lambda c: p5.protocols_metrics(WALLETS, client=c),
    "v5.tokens_snapshot": lambda c: p5.tokens_snapshot(WALLETS, [1, 8453], client=c),
    "v5.tokens_metrics": lambda c: p5.tokens_metrics(WALLETS, client=c),
    # Portfolio v4 (12)
    "v4.is_available": lambda c: p4.is_available(client=c),
    "v4.supported_chains": lambda c: p4.supported_chains(client=c),
    "v4.supported_protocols": lambda c: p4.supported_protocols(client=c),
    "v4.current_value": lambda c: p4.current_value(WALLETS, client=c),
    "v4.profit_and_loss": lambda c: p4.profit_and_loss(WALLETS, client=c),
    "v4.value_chart": lambda c: p4.value_chart(WALLETS, client=c),
    "v4.protocols_current_value": lambda c: p4.protocols_current_value(WALLETS, client=c),
    "v4.protocols_profit_and_loss": lambda c: p4.protocols_profit_and_loss(WALLETS, client=c),
    "v4.protocols_details": lambda c: p4.protocols_details(WALLETS, client=c),
    "v4.tokens_current_value": lambda c: p4.tokens_current_value(WALLETS, client=c),
    "v4.tokens_profit_and_loss": lambda c: p4.tokens_profit_and_loss(WALLETS, client=c),
    "v4.tokens_details": lambda c: p4.tokens_details(WALLETS, client=c),
}
