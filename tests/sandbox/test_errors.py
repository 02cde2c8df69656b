"""Gateway and validation errors: 400, 401, 404, 405, 414, 422 shapes and X-Request-Id."""

from __future__ import annotations

import json
import uuid

import pytest

from inchframe.sandbox import Sandbox

from ._helpers import BAT, ROUTER, USDT, V4, V5, VITALIK, addresses_query, call

B = "/balance/v1.2/1"
SECRET = "sk-sandbox-secret-4b7d9e"


def _request_id(reply: object) -> str:
    value = reply.header("X-Request-Id")  # type: ignore[attr-defined]
    assert value is not None
    uuid.UUID(value)
    return value


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer "}, {"Authorization": "Basic abc"}, {"Authorization": "abc"}],
)
def test_401_without_a_usable_key(sandbox: Sandbox, headers: dict[str, str]) -> None:
    reply = call(sandbox.url, f"{V5}/general/status", headers=headers, auth=False)
    assert reply.status == 401
    assert reply.header("WWW-Authenticate") == "Bearer"
    assert reply.json()["statusCode"] == 401
    _request_id(reply)


def test_api_key_query_parameter_and_lowercase_scheme(sandbox: Sandbox) -> None:
    assert call(sandbox.url, f"{V5}/general/status?apiKey=abc", auth=False).status == 200
    reply = call(
        sandbox.url, f"{V5}/general/status", auth=False, headers={"Authorization": "bearer abc"}
    )
    assert reply.status == 200


def test_accepted_keys_and_no_key_leak() -> None:
    with Sandbox(api_keys=[SECRET]) as sb:
        ok = call(
            sb.url,
            f"{V4}/general/is_available",
            auth=False,
            headers={"Authorization": f"Bearer {SECRET}"},
        )
        assert ok.status == 200
        bad = call(
            sb.url,
            f"{V4}/general/is_available",
            auth=False,
            headers={"Authorization": "Bearer other"},
        )
        assert bad.status == 401
        query = call(sb.url, f"{V4}/general/is_available?apiKey={SECRET}", auth=False)
        assert query.status == 200
        dump = json.dumps(sb.stats()) + json.dumps(sb.options.to_dict()) + repr(sb.options)
        dump += call(sb.url, "/_sandbox/config").body.decode()
        assert SECRET not in dump
        assert SECRET not in bad.body.decode()


def test_every_response_has_a_request_id(sandbox: Sandbox) -> None:
    ids = set()
    for path in (
        f"{V5}/general/status",
        "/nope",
        f"{V5}/general/current_value",
        f"{B}/balances/0x12",
        "/_sandbox/stats",
    ):
        ids.add(_request_id(call(sandbox.url, path)))
    ids.add(_request_id(call(sandbox.url, "/nope", auth=False)))
    assert len(ids) == 6


def test_404_shapes(sandbox: Sandbox) -> None:
    reply = call(sandbox.url, f"{V5}/general/nothing")
    assert reply.status == 404 and reply.json() == {"detail": "Not Found"}
    reply = call(sandbox.url, "/balance/v1.2/1/nothing/here")
    assert reply.status == 404 and reply.json()["statusCode"] == 404
    reply = call(sandbox.url, "/portfolio/portfolio/v3/general/is_available")
    assert reply.status == 404


def test_balance_chain_rules(sandbox: Sandbox) -> None:
    unserved = call(sandbox.url, f"/balance/v1.2/250/balances/{VITALIK}")
    assert unserved.status == 404
    assert unserved.json()["meta"] == [{"type": "chain", "value": "250"}]
    assert call(sandbox.url, f"/balance/v1.2/999/balances/{VITALIK}").status == 404
    named = call(sandbox.url, f"/balance/v1.2/eth/balances/{VITALIK}")
    assert named.status == 400


def test_405(sandbox: Sandbox) -> None:
    reply = call(sandbox.url, f"{V5}/general/status", method="POST", body={})
    assert reply.status == 405 and reply.header("Allow") == "GET"
    reply = call(sandbox.url, f"{B}/balances/multiple/walletsAndTokens")
    assert reply.status == 405 and reply.header("Allow") == "POST"


def test_414_over_the_configured_limit() -> None:
    with Sandbox(max_url_length=300, max_addresses=1000) as sb:
        ok = call(sb.url, f"{V5}/general/status?x={'a' * 100}")
        assert ok.status == 200
        long = call(sb.url, f"{V5}/general/current_value" + addresses_query(*[VITALIK] * 10))
        assert long.status == 414
        _request_id(long)
        assert long.json()["statusCode"] == 414


def test_414_default_limit(sandbox: Sandbox) -> None:
    query = addresses_query(*[VITALIK] * 200)
    assert len(query) > 8192
    assert call(sandbox.url, f"{V5}/general/current_value{query}").status == 414


def _bad_request(reply: object, field: str) -> dict[str, object]:
    assert reply.status == 400, reply.body  # type: ignore[attr-defined]
    body = reply.json()  # type: ignore[attr-defined]
    assert set(body) == {"error", "description", "statusCode", "requestId", "meta"}
    assert body["error"] == "Bad Request" and body["statusCode"] == 400
    assert body["requestId"] == _request_id(reply)
    assert body["meta"][0]["type"] == field
    return body


def test_400_shapes(sandbox: Sandbox) -> None:
    _bad_request(call(sandbox.url, f"{B}/balances/0x12"), "walletAddress")
    _bad_request(call(sandbox.url, f"{B}/allowances/0xZZ/{VITALIK}"), "spender")
    _bad_request(call(sandbox.url, f"{B}/balances/{VITALIK}", method="POST", body={}), "tokens")
    _bad_request(
        call(sandbox.url, f"{B}/balances/{VITALIK}", method="POST", body={"tokens": "x"}), "tokens"
    )
    body = _bad_request(
        call(
            sandbox.url, f"{B}/balances/{VITALIK}", method="POST", body={"tokens": [USDT, "0xnot"]}
        ),
        "tokens",
    )
    assert body["meta"] == [{"type": "tokens", "value": "0xnot"}]
    _bad_request(call(sandbox.url, f"{B}/balances/{VITALIK}", method="POST", body=b"{oops"), "body")
    _bad_request(
        call(
            sandbox.url,
            f"{B}/balances/multiple/walletsAndTokens",
            method="POST",
            body={"tokens": [BAT]},
        ),
        "wallets",
    )
    _bad_request(call(sandbox.url, f"{B}/aggregatedBalancesAndAllowances/{ROUTER}"), "wallets")
    _bad_request(
        call(sandbox.url, f"{B}/aggregatedBalancesAndAllowances/{ROUTER}?wallets={VITALIK},0x1"),
        "wallets",
    )
    _bad_request(
        call(
            sandbox.url,
            f"{B}/aggregatedBalancesAndAllowances/{ROUTER}?wallets={VITALIK}&filterEmpty=True",
        ),
        "filterEmpty",
    )


def test_limits_name_the_limit() -> None:
    with Sandbox(max_addresses=3, max_wallets=2, max_tokens=2) as sb:
        reply = call(sb.url, f"{V5}/general/current_value" + addresses_query(*[VITALIK] * 4))
        assert reply.status == 422
        detail = reply.json()["detail"][0]
        assert detail["type"] == "too_long" and "at most 3 items" in detail["msg"]
        assert detail["ctx"]["max_length"] == 3
        wallets = ",".join(f"0x{i:040x}" for i in range(3))
        body = _bad_request(
            call(sb.url, f"{B}/aggregatedBalancesAndAllowances/{ROUTER}?wallets={wallets}"),
            "wallets",
        )
        assert "no more than 2" in str(body["description"])
        body = _bad_request(
            call(
                sb.url,
                f"{B}/balances/{VITALIK}",
                method="POST",
                body={"tokens": [BAT, USDT, ROUTER]},
            ),
            "tokens",
        )
        assert "no more than 2" in str(body["description"])
        body = _bad_request(
            call(
                sb.url,
                f"{B}/balances/multiple/walletsAndTokens",
                method="POST",
                body={"tokens": [BAT], "wallets": wallets.split(",")},
            ),
            "wallets",
        )


def test_422_details(sandbox: Sandbox) -> None:
    detail = call(sandbox.url, f"{V5}/general/current_value").json()["detail"]
    assert detail == [
        {"type": "missing", "loc": ["query", "addresses"], "msg": "Field required", "input": None}
    ]
    reply = call(
        sandbox.url,
        f"{V5}/general/chart?addresses=0x12&addresses={VITALIK}0&timerange=2days&chain_id=x",
    )
    detail = reply.json()["detail"]
    assert [d["type"] for d in detail] == [
        "string_too_short",
        "string_too_long",
        "int_parsing",
        "enum",
    ]
    assert detail[0]["loc"] == ["query", "addresses", 0]
    assert detail[0]["ctx"] == {"min_length": 42}
    assert detail[1]["loc"] == ["query", "addresses", 1]
    assert detail[3]["msg"] == "Input should be '1day', '1week', '1month', '1year' or '3years'"
    # chain_id is a plain integer in the documents: an unknown id is valid and answers empty
    reply = call(sandbox.url, f"{V5}/general/chart?addresses={VITALIK}&chain_id=5")
    assert reply.status == 200
    assert {point["value_usd"] for point in reply.json()["result"]} <= {0}
    comma = call(sandbox.url, f"{V5}/general/chart?addresses={VITALIK},{VITALIK}")
    assert comma.json()["detail"][0]["type"] == "string_too_long"
    ok = call(sandbox.url, f"{V5}/general/chart?addresses={VITALIK}&use_cache=True")
    assert ok.status == 200  # pydantic accepts True/yes/1 for bools
    assert isinstance(ok.json()["meta"]["cached_at"], int)
