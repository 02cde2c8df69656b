"""Request validation as the real services do it.

- Portfolio (FastAPI + pydantic v2): every problem of a request is collected into one
  ``422 {"detail": [{type, loc, msg, input, ctx?}]}`` body (docs/api-contract.md#errors).
- Balance (NestJS + class-validator): the first problem gives ``400 {"error": "Bad Request",
  "description", "statusCode": 400, "requestId", "meta": [{type, value}]}`` (inferred: the
  sister Swap API's documented shape, docs/api-contract.md#errors).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from ..chains import CHAINS

__all__ = [
    "CHAIN_ID_ENUM",
    "TIMERANGE_VALUES",
    "BalanceError",
    "PortfolioQuery",
    "balance_error_body",
    "check_address",
    "check_balance_chain",
    "is_address",
    "parse_balance_body",
    "parse_filter_empty",
    "parse_portfolio_query",
    "parse_wallets_query",
]

#: The Portfolio ``ChainId`` enum, in the OpenAPI documents' order.
CHAIN_ID_ENUM: Final = (
    1,
    137,
    56,
    42161,
    43114,
    10,
    100,
    1313161554,
    250,
    8217,
    324,
    8453,
    59144,
    146,
    130,
)
TIMERANGE_VALUES: Final = ("1day", "1week", "1month", "1year", "3years")
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_INT = re.compile(r"^\s*[+-]?\d+\s*$")
_TRUE: Final = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE: Final = frozenset({"0", "off", "f", "false", "n", "no"})
_U32: Final = 2**32


def is_address(value: object) -> bool:
    """0x followed by 40 hex digits, any case (the sandbox does not check EIP-55 checksums)."""
    return isinstance(value, str) and _ADDRESS.match(value) is not None


def _expected(values: Sequence[object], quote: bool) -> str:
    items = [f"'{v}'" if quote else str(v) for v in values]
    return ", ".join(items[:-1]) + " or " + items[-1]


# ---------------------------------------------------------------------------------- Portfolio
@dataclass
class PortfolioQuery:
    """Parsed Portfolio query parameters (defaults as in the official OpenAPI documents)."""

    addresses: list[str] = field(default_factory=list)  #: lowercase, de-duplicated, in order
    chain_id: int | None = None
    use_cache: bool = False
    timerange: str = "1year"
    closed: bool = True
    closed_threshold: float = 1.0
    timestamp: int | None = None
    protocol_group_id: str | None = None
    contract_address: str | None = None
    token_id: int | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)


def _last(query: Mapping[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[-1] if values else None


def _error(
    kind: str, name: str | list[Any], msg: str, value: Any, ctx: dict[str, Any] | None = None
) -> dict[str, Any]:
    loc = ["query", *name] if isinstance(name, list) else ["query", name]
    item: dict[str, Any] = {"type": kind, "loc": loc, "msg": msg, "input": value}
    if ctx is not None:
        item["ctx"] = ctx
    return item


def _parse_int(query: Mapping[str, list[str]], name: str, out: PortfolioQuery) -> int | None:
    raw = _last(query, name)
    if raw is None:
        return None
    if not _INT.match(raw):
        out.errors.append(
            _error(
                "int_parsing",
                name,
                "Input should be a valid integer, unable to parse string as an integer",
                raw,
            )
        )
        return None
    return int(raw)


def _parse_bool(
    query: Mapping[str, list[str]], name: str, default: bool, out: PortfolioQuery
) -> bool:
    raw = _last(query, name)
    if raw is None:
        return default
    text = raw.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    out.errors.append(
        _error(
            "bool_parsing", name, "Input should be a valid boolean, unable to interpret input", raw
        )
    )
    return default


def _check_length(value: str, loc: str | list[Any], out: PortfolioQuery) -> bool:
    if len(value) < 42:
        out.errors.append(
            _error(
                "string_too_short",
                loc,
                "String should have at least 42 characters",
                value,
                {"min_length": 42},
            )
        )
        return False
    if len(value) > 42:
        out.errors.append(
            _error(
                "string_too_long",
                loc,
                "String should have at most 42 characters",
                value,
                {"max_length": 42},
            )
        )
        return False
    return True


def parse_portfolio_query(
    query: Mapping[str, list[str]], params: Sequence[str], max_addresses: int
) -> PortfolioQuery:
    """Parse the ``params`` an endpoint declares; problems land in ``.errors`` (422 detail)."""
    out = PortfolioQuery()
    for name in params:
        if name == "addresses":
            values = query.get("addresses")
            if not values:
                out.errors.append(_error("missing", "addresses", "Field required", None))
                continue
            if len(values) > max_addresses:
                out.errors.append(
                    _error(
                        "too_long",
                        "addresses",
                        f"List should have at most {max_addresses} items after validation, "
                        f"not {len(values)}",
                        values,
                        {
                            "field_type": "List",
                            "max_length": max_addresses,
                            "actual_length": len(values),
                        },
                    )
                )
                continue
            for i, address in enumerate(values):
                if _check_length(address, ["addresses", i], out):
                    lower = address.lower()
                    if lower not in out.addresses:
                        out.addresses.append(lower)
        elif name == "chain_id":
            # a plain integer in the official documents (``anyOf: [integer, null]``), not the
            # ChainId enum: an unknown but well-formed id is valid, and its answer is empty
            chain_id = _parse_int(query, name, out)
            if chain_id is not None:
                out.chain_id = chain_id
        elif name == "timerange":
            raw = _last(query, name)
            if raw is not None:
                if raw in TIMERANGE_VALUES:
                    out.timerange = raw
                else:
                    expected = _expected(TIMERANGE_VALUES, quote=True)
                    out.errors.append(
                        _error(
                            "enum", name, f"Input should be {expected}", raw, {"expected": expected}
                        )
                    )
        elif name in ("use_cache", "closed"):
            setattr(out, name, _parse_bool(query, name, name == "closed", out))
        elif name == "closed_threshold":
            raw = _last(query, name)
            if raw is not None:
                try:
                    out.closed_threshold = float(raw)
                except ValueError:
                    out.errors.append(
                        _error(
                            "float_parsing",
                            name,
                            "Input should be a valid number, unable to parse string as a number",
                            raw,
                        )
                    )
        elif name == "timestamp":
            raw = _last(query, name)
            timestamp = _parse_int(query, name, out)
            if timestamp is not None and timestamp < 0:
                out.errors.append(
                    _error(
                        "greater_than_equal",
                        name,
                        "Input should be greater than or equal to 0",
                        raw,
                        {"ge": 0},
                    )
                )
            elif timestamp is not None and timestamp >= _U32:
                out.errors.append(
                    _error(
                        "less_than", name, f"Input should be less than {_U32}", raw, {"lt": _U32}
                    )
                )
            else:
                out.timestamp = timestamp
        elif name == "token_id":
            out.token_id = _parse_int(query, name, out)
        elif name == "protocol_group_id":
            out.protocol_group_id = _last(query, name)
        elif name == "contract_address":
            raw = _last(query, name)
            if raw is not None and _check_length(raw, "contract_address", out):
                out.contract_address = raw.lower()
        else:  # pragma: no cover - programming error in the route table
            raise KeyError(name)
    return out


# ---------------------------------------------------------------------------------- Balance
class BalanceError(Exception):
    """A Balance request problem: becomes a 400 (or 404 for an unserved chain)."""

    def __init__(self, description: str, field_name: str, value: Any, status: int = 400) -> None:
        super().__init__(description)
        self.description = description
        self.field_name = field_name
        self.value = value
        self.status = status


def balance_error_body(error: BalanceError, request_id: str) -> dict[str, Any]:
    """The NestJS-style 400 body (docs/api-contract.md#errors)."""
    return {
        "error": "Bad Request" if error.status == 400 else "Not Found",
        "description": error.description,
        "statusCode": error.status,
        "requestId": request_id,
        "meta": [{"type": error.field_name, "value": _meta_value(error.value)}],
    }


def _meta_value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def check_balance_chain(raw: str) -> int:
    """The ``{chain}`` path segment: a number (400) of a chain the Balance API serves (404)."""
    if not raw.isdigit():
        raise BalanceError(
            "chain must be a number conforming to the specified constraints", "chain", raw
        )
    chain_id = int(raw)
    if chain_id not in CHAINS or not CHAINS[chain_id].balance_api:
        raise BalanceError(f"Chain {chain_id} is not supported", "chain", raw, status=404)
    return chain_id


def check_address(value: str, name: str) -> str:
    if not is_address(value):
        raise BalanceError(f"{name} must be an Ethereum address", name, value)
    return value


def parse_wallets_query(query: Mapping[str, list[str]], max_wallets: int) -> list[str]:
    """``wallets``: comma-separated, repeated, or a mix; casing kept, duplicates dropped."""
    items = (item.strip() for raw in query.get("wallets", []) for item in raw.split(","))
    wallets = list(dict.fromkeys(item for item in items if item))
    if not wallets:
        raise BalanceError("wallets should not be empty", "wallets", "")
    if len(wallets) > max_wallets:
        raise BalanceError(
            f"wallets must contain no more than {max_wallets} elements",
            "wallets",
            str(len(wallets)),
        )
    for wallet in wallets:
        if not is_address(wallet):
            raise BalanceError(
                "each value in wallets must be an Ethereum address", "wallets", wallet
            )
    return wallets


def parse_filter_empty(query: Mapping[str, list[str]]) -> bool:
    values = query.get("filterEmpty")
    if not values:
        return False
    if values[-1] not in ("true", "false"):
        raise BalanceError("filterEmpty must be a boolean value", "filterEmpty", values[-1])
    return values[-1] == "true"


def parse_balance_body(
    body: bytes, fields: Sequence[str], limits: Mapping[str, int]
) -> dict[str, list[str]]:
    """A Balance POST body: each of ``fields`` must be an array of addresses within its limit."""
    try:
        data = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise BalanceError(
            "Request body must be valid JSON", "body", body[:100].decode("utf-8", "replace")
        ) from None
    if not isinstance(data, dict):
        raise BalanceError(f"{fields[0]} must be an array", fields[0], "")
    result: dict[str, list[str]] = {}
    for name in fields:
        values = data.get(name)
        if not isinstance(values, list):
            raise BalanceError(f"{name} must be an array", name, values if values else "")
        if len(values) > limits[name]:
            raise BalanceError(
                f"{name} must contain no more than {limits[name]} elements", name, str(len(values))
            )
        for value in values:
            if not is_address(value):
                raise BalanceError(f"each value in {name} must be an Ethereum address", name, value)
        result[name] = list(dict.fromkeys(values))
    return result
