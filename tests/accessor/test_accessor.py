"""df.inch: validation and every method, with asserted values."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from inchframe.errors import InputError

from . import frames as F

MAX = 2**256 - 1


def test_import_stays_light() -> None:
    code = (
        "import sys, inchframe, pandas as pd\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported'\n"
        "assert 'pyarrow.parquet' not in sys.modules, 'pyarrow.parquet imported'\n"
        "import inchframe.accessor\n"
        "assert 'matplotlib' not in sys.modules and 'pyarrow.parquet' not in sys.modules\n"
        "df = pd.DataFrame({'chain_id': [1], 'wallet': ['0x' + 'ab' * 20]})\n"
        "df.inch.plot\n"
        "assert 'matplotlib' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_foreign_frame_raises_attribute_error_naming_missing_columns() -> None:
    df = pd.DataFrame({"a": [1], "wallet": ["x"]})
    with pytest.raises(AttributeError, match="'chain_id'") as info:
        _ = df.inch
    assert "wallet" not in str(info.value).split("lacks")[1].split("(")[0]
    assert not hasattr(pd.DataFrame({"x": [1]}), "inch")


def test_accessor_holds_no_state() -> None:
    df = F.tokens_snapshot()
    assert vars(df.inch) == {"_obj": df}
    assert df.inch.provenance["endpoint"] == "portfolio.v5.tokens_snapshot"


def test_human_amounts_exact() -> None:
    bal = F.balances()
    dai = bal.index[bal.balance_raw == "1000000000000000001"][0]
    dec = bal.inch.human_amounts(as_decimal=True)
    assert dec[dai] == Decimal("1.000000000000000001")
    unknown = bal.index[bal.decimals.isna()][0]
    assert dec[unknown] is None
    flt = bal.inch.human_amounts()
    assert flt.name == "balance" and flt.dtype == "float64"
    assert np.isnan(flt[unknown])
    expected = [
        int(r) / 10 ** int(d)
        for r, d in zip(bal.balance_raw, bal.decimals, strict=True)
        if not pd.isna(d)
    ]
    assert flt.dropna().tolist() == expected
    alw = F.allowances()
    big = alw.inch.human_amounts(as_decimal=True)
    digits = big[0].as_tuple()
    assert "".join(map(str, digits.digits)) == str(MAX) and digits.exponent == -6
    redone = bal.inch.with_human_amounts()
    pd.testing.assert_series_equal(redone.balance, flt, check_names=True)


def test_raw_sum_exact_for_uint256() -> None:
    alw = F.allowances()
    raws = [int(v) for v in alw.allowance_raw]
    assert alw.inch.raw_sum() == str(sum(raws))
    assert alw.inch.raw_sum(as_int=True) == sum(raws)
    assert sum(raws) > 3 * MAX - 2**20  # beyond uint256: no overflow, no float
    by = alw.inch.raw_sum(by="wallet")
    assert isinstance(by.dtype, pd.StringDtype)
    for wallet, total in by.items():
        assert total == str(sum(r for r, w in zip(raws, alw.wallet, strict=True) if w == wallet))
    by_int = alw.inch.raw_sum("allowance_raw", by=["chain_id", "wallet"], as_int=True)
    assert sum(by_int) == sum(raws) and by_int.dtype == object
    bal = F.balances()
    assert bal.inch.raw_sum(as_int=True) == sum(int(v) for v in bal.balance_raw)


def test_drop_dust_and_zero() -> None:
    bal = F.balances()
    nonzero = bal.inch.drop_dust()  # no value_usd: only zero balances go
    assert (nonzero.balance_raw != "0").all()
    assert len(nonzero) == (bal.balance_raw != "0").sum()
    valued = bal.inch.with_prices(F.tokens_snapshot())
    kept = valued.inch.drop_dust(min_usd=1.0)
    assert (kept.value_usd.dropna().abs() >= 1.0).all()
    assert (kept.balance_raw != "0").all()
    unpriced = valued[valued.value_usd.isna() & (valued.balance_raw != "0")]
    assert set(unpriced.index) <= set(kept.index)  # unknown price is not dust
    dust = valued[(valued.value_usd < 1.0) & (valued.balance_raw != "0")]
    assert len(dust) and not set(dust.index) & set(kept.index)
    with_zero = valued.inch.drop_dust(min_usd=0, zero=False)
    assert len(with_zero) == len(valued)


def test_checksummed() -> None:
    bal = F.balances()
    out = bal.inch.checksummed()
    assert F.VITALIK in set(bal.wallet)
    assert "0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045" in set(out.wallet)
    assert "0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE" in set(out.token)
    assert "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48" in set(out.token)
    assert out.wallet.dtype == bal.wallet.dtype
    assert (bal.wallet == F.balances().wallet).all()  # the input is not modified
    alw = F.allowances().inch.checksummed()
    assert set(alw.spender) == {"0x111111125421cA6dc452d289314280a0f8842A65"}
    cv = F.current_value().inch.checksummed()
    assert cv.wallets.iloc[0].split(",")[0] == "0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045"


def test_totals() -> None:
    tok = F.tokens_snapshot()
    by_chain = tok.inch.totals(by="chain")
    assert list(by_chain.columns) == ["chain_id", "value_usd", "rows"]
    assert by_chain.value_usd.is_monotonic_decreasing
    assert by_chain.value_usd.sum() == pytest.approx(tok.value_usd.sum())
    eth = tok[tok.chain_id == 1]
    assert by_chain.set_index("chain_id").loc[1, "value_usd"] == pytest.approx(eth.value_usd.sum())
    assert by_chain.set_index("chain_id").loc[1, "rows"] == len(eth)
    by_sym = tok.inch.totals(by="symbol")
    assert by_sym.set_index("symbol").loc["USDC", "value_usd"] == pytest.approx(
        tok[tok.symbol == "USDC"].value_usd.sum()
    )
    assert len(tok.inch.totals(by=["wallet", "chain_id"])) == len(
        tok.groupby(["wallet", "chain_id"])
    )
    prot = F.protocols_snapshot()
    net = prot.inch.totals(by="protocol").set_index("protocol").value_usd
    gross = prot.inch.totals(by="protocol", debt="gross").set_index("protocol").value_usd
    assert net["aave"] == pytest.approx(52_000 - 18_000)
    assert gross["aave"] == pytest.approx(52_000 + 18_000)
    ignored = prot.inch.totals(by="protocol", debt="ignore").set_index("protocol").value_usd
    assert ignored["aave"] == pytest.approx(52_000)


def test_composition_shares_and_other() -> None:
    tok = F.tokens_snapshot()
    comp = tok.inch.composition(by="symbol", top=3)
    assert list(comp.columns) == ["key", "value_usd", "share"]
    assert len(comp) == 4 and comp.key.iloc[-1] == "Other"
    assert comp.share.sum() == pytest.approx(1.0)
    assert comp.value_usd.iloc[:3].is_monotonic_decreasing
    per_symbol = tok.groupby("symbol").value_usd.sum().sort_values(ascending=False)
    assert list(comp.key.iloc[:3]) == list(per_symbol.index[:3])
    assert comp.value_usd.iloc[-1] == pytest.approx(per_symbol.iloc[3:].sum())
    assert comp.value_usd.sum() == pytest.approx(tok.value_usd.sum())
    full = tok.inch.composition(by="symbol", top=None)
    assert "Other" not in set(full.key) and len(full) == tok.symbol.nunique()
    chains = tok.inch.composition(by="chain")
    assert chains.key.iloc[0] == "Ethereum" and chains.share.sum() == pytest.approx(1.0)
    assert set(tok.inch.composition(by="wallet").key) == set(tok.wallet)
    # a long current-value frame: the chain rows
    cv = F.current_value(tok).inch.composition(by="chain")
    pd.testing.assert_series_equal(cv.value_usd, chains.value_usd)
    # debt is not a holding
    prot = F.protocols_snapshot().inch.composition(by="protocol", top=None)
    assert prot.set_index("key").loc["Aave V3", "value_usd"] == pytest.approx(52_000)


def test_pivot() -> None:
    tok = F.tokens_snapshot()
    table = tok.inch.pivot()
    assert set(table.index) == set(tok.wallet)
    assert table.to_numpy().sum() == pytest.approx(tok.value_usd.sum())
    w = F.VITALIK
    assert table.loc[w, "USDC"] == pytest.approx(
        tok[(tok.wallet == w) & (tok.symbol == "USDC")].value_usd.sum()
    )
    assert table.sum().is_monotonic_decreasing
    amounts = tok.inch.pivot(values="amount", columns="chain")
    assert set(amounts.columns) == set(tok.chain_id)


def test_with_prices() -> None:
    bal = F.balances()
    tok = F.tokens_snapshot()
    valued = bal.inch.with_prices(tok)
    assert len(valued) == len(bal) and (valued.index == bal.index).all()
    prices = tok.drop_duplicates(["chain_id", "token"]).set_index(["chain_id", "token"]).price_usd
    for _, row in valued.iterrows():
        key = (row.chain_id, row.token)
        if key in prices.index:
            assert row.price_usd == prices[key]
            assert row.value_usd == pytest.approx(row.balance * prices[key], nan_ok=True)
        else:
            assert np.isnan(row.price_usd) and np.isnan(row.value_usd)
    again = valued.inch.with_prices(tok)  # replaces, does not duplicate
    assert list(again.columns) == list(valued.columns)


def test_reconcile_delegates() -> None:
    tok = F.tokens_snapshot()
    out = tok.inch.reconcile(F.current_value(tok))
    assert out.ok.all()
    assert out.snapshot_usd.iloc[-1] == pytest.approx(tok.value_usd.sum())


def test_with_snapshot_time() -> None:
    tok = F.tokens_snapshot()
    out = tok.inch.with_snapshot_time()
    assert (out.snapshot_at == pd.Timestamp("2026-05-01T12:00:00Z")).all()
    assert str(out.snapshot_at.dtype) == "datetime64[ns, UTC]"
    assert set(out.snapshot_date) == {"2026-05-01"}
    later = tok.inch.with_snapshot_time("2026-05-03 08:00")
    assert set(later.snapshot_date) == {"2026-05-03"}
    assert "snapshot_at" not in tok.columns


def test_errors_name_what_is_missing() -> None:
    bal = F.balances()
    with pytest.raises(InputError, match="with_prices"):
        bal.inch.composition()
    with pytest.raises(InputError, match="'nope'"):
        bal.inch.totals(by="nope")
    with pytest.raises(TypeError, match="namespace"):
        bal.inch.plot()
