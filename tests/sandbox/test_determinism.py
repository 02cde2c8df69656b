"""Same seed and options give the same bytes; different seeds or wallets differ."""

from __future__ import annotations

from inchframe.sandbox import ENDPOINTS, Sandbox

from ._helpers import BAT, BINANCE, LPT, ROUTER, VITALIK, call

W2 = "0x" + "5a" * 20


def _url(path: str) -> str:
    path = path.replace("{chain}", "1").replace("{spender}", ROUTER).replace("{wallet}", VITALIK)
    if (
        path.startswith("/portfolio/")
        and "supported" not in path
        and "status" not in path
        and "is_available" not in path
    ):
        path += f"?addresses={VITALIK}&addresses={BINANCE}&use_cache=true"
    if "aggregated" in path:
        path += f"?wallets={VITALIK},{BINANCE}&filterEmpty=true"
    return path


def _bodies(sb: Sandbox) -> dict[str, bytes]:
    out = {}
    for name, (method, path) in ENDPOINTS.items():
        body = None
        if method == "POST":
            body = {"tokens": [BAT, LPT]}
            if "walletsAndTokens" in path:
                body["wallets"] = [VITALIK, W2]
        reply = call(sb.url, _url(path), method=method, body=body)
        assert reply.status == 200, (name, reply.body[:200])
        out[name] = reply.body
    return out


def test_same_seed_same_bytes() -> None:
    with Sandbox(seed=4) as a, Sandbox(seed=4) as b:
        first, second = _bodies(a), _bodies(b)
        assert first == second
        assert _bodies(a) == first  # and again (caches do not change answers)
    with Sandbox(seed=5) as c:
        third = _bodies(c)
    same = {n for n in first if first[n] == third[n]}
    assert same <= {
        "v4.is_available",
        "v4.supported_chains",
        "v4.supported_protocols",
        "v5.status",
        "v5.supported_chains",
        "v5.supported_protocols",
        "v5.address_check",
        "balance.balances_of_tokens",
        "balance.wallets_and_tokens",
        "balance.allowances_and_balances_of_tokens",
        "balance.allowances_of_tokens",
    }


def test_different_wallets_differ(sandbox: Sandbox) -> None:
    a = call(sandbox.url, f"/balance/v1.2/1/balances/{VITALIK}").body
    b = call(sandbox.url, f"/balance/v1.2/1/balances/{BINANCE}").body
    assert a != b
    # wallet case does not matter for holdings
    c = call(sandbox.url, f"/balance/v1.2/1/balances/{VITALIK.lower()}").body
    assert a == c
