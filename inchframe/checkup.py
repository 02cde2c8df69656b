"""``inchframe doctor``: call each of the 31 endpoints once, convert every answer, report.

A contract check for whoever can reach the real API: which documented form each answer took
(``chain`` or ``chain_id``, an envelope or a bare list, ``meta.system`` or a top-level
``system``...), which fields nobody documented, which the frame had to leave empty, and whether
a fast path fell back. Without ``live`` it checks the embedded sandbox (a self-test); with it,
the configured base URL and key (``INCHFRAME_API_KEY`` / ``INCHFRAME_BASE_URL``).

``record=DIR`` saves every body (secrets removed: the ``Authorization`` header is never
recorded, and the key is scrubbed from the bodies and request lines) as one file per endpoint,
named like the recorded test data (``balance-balances-get__1.json``,
``v5-tokens-snapshot__1.json``), plus ``index.json`` (what the replay reads) and ``INDEX.md``
(for people). Point ``INCHFRAME_RECORDED_DIR`` at DIR and ``tests/test_doctor.py`` replays
every body through its converter. The open questions the report answers are
:data:`OPEN_QUESTIONS`; see docs/api-contract.md for the sources behind them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from . import endpoints as ep
from .addresses import normalize_addresses
from .errors import InchframeError, UnknownFieldsWarning
from .frames import _forms
from .frames import balance as fb
from .frames import portfolio_v4 as p4
from .frames import portfolio_v5 as p5

__all__ = [
    "ENDPOINTS",
    "OPEN_QUESTIONS",
    "DoctorReport",
    "EndpointCheck",
    "convert_recorded",
    "doctor",
    "load_recorded",
]

#: Wallets checked when none are given: vitalik.eth and a Binance hot wallet (public, busy).
SAMPLE_WALLETS = (
    "0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045",
    "0x28C6c06298d514Db089934071355E5743bf21d60",
)
#: Spender and tokens for the Balance endpoints that need them (Ethereum).
SPENDER = "0x111111125421ca6dc452d289314280a0f8842a65"  # 1inch Aggregation Router v6
TOKENS = (
    "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48",  # USDC
    "0xdac17f958d2ee523a2206206991597c13d831ec7",  # USDT
    "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee",  # the native coin
)
CHAIN = 1


@dataclass(frozen=True)
class OpenQuestion:
    """A point where the sources disagree, and the converter questions that answer it."""

    name: str
    question: str
    #: matches the ``question`` strings the converters report (see inchframe.frames._forms)
    matches: Callable[[str], bool]


def _names(*names: str) -> Callable[[str], bool]:
    wanted = set(names)
    return lambda q: set(q.split(" or ")) == wanted


#: The open questions about the real API that a run can answer (docs/api-contract.md lists
#: them with their sources). Each is worded to stand on its own in a report.
OPEN_QUESTIONS: tuple[OpenQuestion, ...] = (
    OpenQuestion(
        "chain key",
        "Do Portfolio items name their chain `chain` (seen in recorded traffic) or `chain_id` "
        "(the documented name)?",
        _names("chain", "chain_id"),
    ),
    OpenQuestion(
        "envelope",
        "Do list answers come wrapped as `{result: [...]}` or as a bare JSON list?",
        lambda q: q == "envelope",
    ),
    OpenQuestion(
        "system location",
        "Is the `system` block under `meta` (documented) or at the top level (a 2024 recording)?",
        lambda q: q == "system location",
    ),
    OpenQuestion(
        "snapshot address",
        "Do v5.0 snapshot items carry the asked wallet in `address`, or the zero address (seen "
        "once in recorded traffic)?",
        lambda q: q == "snapshot item address",
    ),
    OpenQuestion(
        "supported_chains form",
        "Is `supported_chains` a list of chain ids or a list of objects such as "
        "`{id, name, icon}`?",
        lambda q: q == "supported_chains item",
    ),
    OpenQuestion(
        "profit field name",
        "Is the absolute profit `abs_profit_usd` or `profit_abs_usd`?",
        _names("abs_profit_usd", "profit_abs_usd"),
    ),
    OpenQuestion(
        "price field name",
        "Are token prices `price_usd` or `price_to_usd`?",
        _names("price_usd", "price_to_usd"),
    ),
)


# -- the 31 endpoints ---------------------------------------------------------------------------

Build = Callable[[list[str]], ep.Call]
Convert = Callable[[ep.Call, Any], Any]


def _ctx(call: ep.Call, *names: str) -> tuple[Any, ...]:
    return tuple(call.context[n] for n in names)


def _balances(call: ep.Call, body: Any) -> pd.DataFrame:
    return fb.balances_frame([(_ctx(call, "chain_id", "wallet"), body)], keep_zero=True)


def _spender(converter: Callable[..., pd.DataFrame]) -> Convert:
    def convert(call: ep.Call, body: Any) -> pd.DataFrame:
        pairs = [(_ctx(call, "chain_id", "wallet", "spender"), body)]
        return converter(pairs, keep_zero=True)

    return convert


def _portfolio(converter: Callable[[Any], Any]) -> Convert:
    return lambda call, body: converter([(dict(call.context), body)])


#: endpoint name -> (request for the given wallets, converter of one body). 8 + 12 + 11.
ENDPOINTS: dict[str, tuple[Build, Convert]] = {
    "balance.aggregated": (
        lambda w: ep.aggregated_balances_and_allowances(CHAIN, SPENDER, w, filter_empty=True),
        lambda call, body: fb.aggregated_frame(
            [(_ctx(call, "chain_id", "spender"), body)], keep_zero=True
        ),
    ),
    "balance.balances": (lambda w: ep.balances(CHAIN, w[0]), _balances),
    "balance.balances_of_tokens": (
        lambda w: ep.balances_of_tokens(CHAIN, w[0], TOKENS),
        _balances,
    ),
    "balance.wallets_and_tokens": (
        lambda w: ep.balances_of_wallets_and_tokens(CHAIN, w, TOKENS),
        lambda call, body: fb.wallets_and_tokens_frame(
            [(_ctx(call, "chain_id"), body)], keep_zero=True
        ),
    ),
    "balance.allowances_and_balances": (
        lambda w: ep.allowances_and_balances(CHAIN, SPENDER, w[0]),
        _spender(fb.balances_and_allowances_frame),
    ),
    "balance.allowances_and_balances_of_tokens": (
        lambda w: ep.allowances_and_balances_of_tokens(CHAIN, SPENDER, w[0], TOKENS),
        _spender(fb.balances_and_allowances_frame),
    ),
    "balance.allowances": (
        lambda w: ep.allowances(CHAIN, SPENDER, w[0]),
        _spender(fb.allowances_frame),
    ),
    "balance.allowances_of_tokens": (
        lambda w: ep.allowances_of_tokens(CHAIN, SPENDER, w[0], TOKENS),
        _spender(fb.allowances_frame),
    ),
    # Portfolio v4 (12)
    "v4.is_available": (lambda w: ep.v4_is_available(), _portfolio(p4.is_available)),
    "v4.supported_chains": (lambda w: ep.v4_supported_chains(), _portfolio(p4.supported_chains)),
    "v4.supported_protocols": (
        lambda w: ep.v4_supported_protocols(),
        _portfolio(p4.supported_protocols),
    ),
    "v4.current_value": (lambda w: ep.v4_current_value(w), _portfolio(p4.current_value)),
    "v4.profit_and_loss": (lambda w: ep.v4_profit_and_loss(w), _portfolio(p4.profit_and_loss)),
    "v4.value_chart": (lambda w: ep.v4_value_chart(w), _portfolio(p4.value_chart)),
    "v4.protocols_current_value": (
        lambda w: ep.v4_protocols_current_value(w),
        _portfolio(p4.protocols_current_value),
    ),
    "v4.protocols_profit_and_loss": (
        lambda w: ep.v4_protocols_profit_and_loss(w),
        _portfolio(p4.protocols_profit_and_loss),
    ),
    "v4.protocols_details": (
        lambda w: ep.v4_protocols_details(w, CHAIN),
        _portfolio(p4.protocols_details),
    ),
    "v4.tokens_current_value": (
        lambda w: ep.v4_tokens_current_value(w),
        _portfolio(p4.tokens_current_value),
    ),
    "v4.tokens_profit_and_loss": (
        lambda w: ep.v4_tokens_profit_and_loss(w),
        _portfolio(p4.tokens_profit_and_loss),
    ),
    "v4.tokens_details": (lambda w: ep.v4_tokens_details(w, CHAIN), _portfolio(p4.tokens_details)),
    # Portfolio v5.0 (11)
    "v5.status": (lambda w: ep.v5_status(), _portfolio(p5.status)),
    "v5.supported_chains": (lambda w: ep.v5_supported_chains(), _portfolio(p5.supported_chains)),
    "v5.supported_protocols": (
        lambda w: ep.v5_supported_protocols(),
        _portfolio(p5.supported_protocols),
    ),
    "v5.address_check": (lambda w: ep.v5_address_check(w), _portfolio(p5.address_check)),
    "v5.current_value": (lambda w: ep.v5_current_value(w), _portfolio(p5.current_value)),
    "v5.chart": (lambda w: ep.v5_chart(w, timerange="1month"), _portfolio(p5.chart)),
    "v5.report": (lambda w: ep.v5_report(w), _portfolio(p5.report)),
    "v5.protocols_snapshot": (
        lambda w: ep.v5_protocols_snapshot(w),
        _portfolio(p5.protocols_snapshot),
    ),
    "v5.protocols_metrics": (
        lambda w: ep.v5_protocols_metrics(w),
        _portfolio(p5.protocols_metrics),
    ),
    "v5.tokens_snapshot": (lambda w: ep.v5_tokens_snapshot(w), _portfolio(p5.tokens_snapshot)),
    "v5.tokens_metrics": (lambda w: ep.v5_tokens_metrics(w), _portfolio(p5.tokens_metrics)),
}

#: Converters the loaders give the body as bytes (decoded by the converter, or read by the v5.0
#: snapshots' Arrow path); the doctor checks they give the frame the parsed JSON gives.
READS_BYTES = frozenset(
    {
        "balance.aggregated",
        "balance.balances",
        "balance.balances_of_tokens",
        "balance.wallets_and_tokens",
        "balance.allowances",
        "balance.allowances_of_tokens",
        "v5.protocols_snapshot",
        "v5.tokens_snapshot",
    }
)

#: Endpoints whose answer is not a frame of rows (a flag), or may rightly hold no rows.
_NOT_A_FRAME = frozenset({"v4.is_available", "v5.status"})
_MAY_BE_EMPTY = frozenset(
    {
        "balance.allowances",  # wallets may have approved nothing to this spender
        "balance.allowances_of_tokens",
        "v4.protocols_details",
        "v4.protocols_current_value",
        "v4.protocols_profit_and_loss",
        "v5.protocols_snapshot",
        "v5.protocols_metrics",
        "v5.address_check",
    }
)


#: Questions reported by name (the others are "a or b" alternatives of field names).
_FORM_QUESTIONS = frozenset(
    {"envelope", "system location", "supported_chains item", "snapshot item address"}
)


# -- the report ---------------------------------------------------------------------------------


@dataclass
class EndpointCheck:
    """What one endpoint's answer looked like."""

    endpoint: str
    request: str  #: ``METHOD path?query`` (never a credential)
    status: str = "not run"  #: ``ok``, ``empty``, ``error: ...``
    http_status: int | None = None
    rows: int | None = None
    seconds: float = 0.0
    forms: dict[str, dict[str, int]] = field(default_factory=dict)
    unknown_fields: list[str] = field(default_factory=list)
    empty_columns: list[str] = field(default_factory=list)
    fallbacks: list[str] = field(default_factory=list)
    recorded_as: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass
class DoctorReport:
    """The result of :func:`doctor`: one :class:`EndpointCheck` per endpoint."""

    target: str  #: ``"embedded sandbox"`` or the base URL's host
    wallets: list[str]
    checks: list[EndpointCheck]
    started_at: str
    record_dir: str | None = None

    @property
    def ok(self) -> bool:
        """Every endpoint answered and its answer converted to a non-empty result."""
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def observed(self) -> dict[str, dict[str, int]]:
        """Per open question: form -> how many times it was seen, over every endpoint."""
        out: dict[str, dict[str, int]] = {}
        for q in OPEN_QUESTIONS:
            seen: Counter[str] = Counter()
            for check in self.checks:
                for question, forms in check.forms.items():
                    if q.matches(question):
                        seen.update(forms)
            out[q.name] = dict(seen)
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "wallets": self.wallets,
            "started_at": self.started_at,
            "ok": self.ok,
            "open_questions": self.observed(),
            "endpoints": [c.__dict__ for c in self.checks],
        }

    def text(self) -> str:
        """The report as plain text (no key, no credential, ever)."""
        good = sum(c.ok for c in self.checks)
        lines = [
            f"inchframe doctor: {self.target}, {len(self.checks)} endpoints, "
            f"wallets {', '.join(self.wallets)}",
            "",
            f"{'endpoint':44} {'status':10} {'rows':>6}  forms seen",
        ]
        for c in self.checks:
            forms = "; ".join(
                f"{q}: {', '.join(sorted(f))}"
                for q, f in sorted(c.forms.items())
                if " or " in q or q in _FORM_QUESTIONS
            )
            status = c.status if len(c.status) <= 10 else c.status[:10]
            rows = "" if c.rows is None else str(c.rows)
            lines.append(f"{c.endpoint:44} {status:10} {rows:>6}  {forms}")
            details = [
                ("", [] if c.ok else [c.status]),
                ("unknown fields: ", c.unknown_fields),
                ("no values for: ", c.empty_columns),
                ("fell back: ", c.fallbacks),
            ]
            # under the endpoint's line, indented past its name: one line per kind present
            lines += [f"{'':44} {label}{', '.join(items)}" for label, items in details if items]
        lines += ["", "Open questions (docs/api-contract.md), as observed in this run:"]
        observed = self.observed()
        for q in OPEN_QUESTIONS:
            seen = observed[q.name]
            answer = (
                ", ".join(f"{form} ({n}x)" for form, n in sorted(seen.items()))
                if seen
                else "not observed (no answer of this run carried it)"
            )
            lines.append(f"- {q.name}: {q.question}\n    observed: {answer}")
        if self.record_dir:
            lines += ["", f"bodies recorded in {self.record_dir} (index.json, INDEX.md)"]
        verdict = "OK" if self.ok else "PROBLEMS"
        lines += ["", f"{verdict}: {good} of {len(self.checks)} endpoints answered and converted"]
        return "\n".join(lines)

    __str__ = text


# -- running ------------------------------------------------------------------------------------


def _convert(endpoint: str, call: ep.Call, body: bytes) -> tuple[Any, EndpointCheck]:
    """Convert one body as the loaders do, recording forms and warnings."""
    check = EndpointCheck(endpoint, call.describe())
    _, convert = ENDPOINTS[endpoint]
    payload: Any
    if call.response == "text":
        payload = body.decode("utf-8", errors="replace")
    else:
        try:
            payload = json.loads(body)
        except ValueError as error:
            check.status = f"error: the body is not JSON ({error})"
            return None, check
    with _forms.recording() as forms, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = convert(call, payload)  # parsed JSON: every form is reported
        fast = convert(call, body) if endpoint in READS_BYTES else result  # as loaders do
    by_question: dict[str, dict[str, int]] = {}
    for (question, form), n in forms.items():
        by_question.setdefault(question, {})[form] = n
    check.forms = by_question
    check.fallbacks = sorted(by_question.get("fast path", {}))
    for warning in caught:
        if issubclass(warning.category, UnknownFieldsWarning):
            check.unknown_fields += re.findall(r"'([^']+)'", str(warning.message)) or [
                str(warning.message).splitlines()[0]
            ]
    check.unknown_fields = sorted(set(check.unknown_fields))
    if isinstance(result, pd.DataFrame):
        check.rows = len(result)
        if isinstance(fast, pd.DataFrame) and len(fast) != len(result):
            check.fallbacks.append(
                f"the raw body gave {len(fast)} rows, its parsed JSON {len(result)}"
            )
        check.empty_columns = [
            str(c) for c in result.columns if len(result) and result[c].isna().all()
        ]
        empty = len(result) == 0 and endpoint not in _MAY_BE_EMPTY
        check.status = "empty" if empty else "ok"
    else:
        # a flag (status, is_available): True or False are both answers; None is not
        check.rows = None
        check.status = "ok" if result is not None else "error: no answer in the body"
    return result, check


def _secret(client: Any) -> str | None:
    """The key the client sends (to scrub it from what is recorded), if any."""
    key = getattr(client.settings, "api_key", None)
    return key.reveal() if key is not None else None


def _scrub(data: bytes, secret: str | None) -> bytes:
    if secret and len(secret) >= 4:
        data = data.replace(secret.encode(), b"***")
    return data


def record_name(call: ep.Call, n: int = 1) -> str:
    """The file name of a body in the recorded-data layout, e.g. ``balance-balances-get__1``."""
    path = call.path
    if path.startswith(ep.BALANCE_PREFIX + "/"):
        parts = [p for p in path[len(ep.BALANCE_PREFIX) + 1 :].split("/")[1:] if p]
        route = [p for p in parts if not re.fullmatch(r"0x[0-9a-fA-F]+", p)]
        stem = "-".join(["balance", *route])
        if route[0] in ("balances", "allowances", "allowancesAndBalances") and route[-1] not in (
            "walletsAndTokens",
        ):
            stem += "-" + call.method.lower()
    else:
        version = "v4" if path.startswith(ep.V4_PREFIX) else "v5"
        prefix = ep.V4_PREFIX if version == "v4" else ep.V5_PREFIX
        stem = (
            version + "-" + path[len(prefix) + 1 :].strip("/").replace("/", "-").replace("_", "-")
        )
    return f"{stem}__{n}"


def _write_atomic(path: Path, data: bytes) -> None:
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        mask = os.umask(0o077)
        os.umask(mask)
        os.chmod(temp, 0o666 & ~mask)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def doctor(
    wallets: Iterable[str] | None = None,
    *,
    live: bool = False,
    record: str | os.PathLike[str] | None = None,
    client: Any = None,
    say: Callable[[str], None] | None = None,
) -> DoctorReport:
    """Call each of the 31 endpoints once, convert every answer, and report what was seen.

    ``wallets``: the wallets to ask about (default :data:`SAMPLE_WALLETS`). ``live=False``
    checks the embedded sandbox; ``live=True`` the configured API (a key is needed for any host
    but this machine). ``client``: use this client instead (its rate applies). ``record``: a
    directory to save the bodies in, secrets removed. ``say``: called with one line per endpoint
    as it is checked (progress). Returns a :class:`DoctorReport`; ``report.ok`` is True when
    every endpoint answered and converted.
    """
    from .client import Client

    wallet_list = normalize_addresses(
        list(SAMPLE_WALLETS) if wallets is None else wallets, what="wallet address"
    )
    record_dir = Path(record) if record is not None else None
    if record_dir is not None:
        record_dir.mkdir(parents=True, exist_ok=True)
    own = client is None
    if own:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            client = Client(sandbox=None if live else True, cache=False, progress=False)
    target = "embedded sandbox" if client.is_sandbox else _host(client.base_url)
    report = DoctorReport(
        target, wallet_list, [], dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    )
    secret = _secret(client)
    index: list[dict[str, Any]] = []
    try:
        for endpoint, (build, _) in ENDPOINTS.items():
            call = build(wallet_list)
            started = time.monotonic()
            try:
                reply = client.fetch(call, raw=True)
            except InchframeError as error:
                check = _failed(endpoint, call, error, secret)
                check.http_status = getattr(error, "status", None)
            else:
                body = reply.content
                try:
                    _, check = _convert(endpoint, call, body)
                except InchframeError as error:
                    check = _failed(endpoint, call, error, secret)
                check.http_status = 200
                if record_dir is not None:
                    suffix = ".txt" if call.response == "text" else ".json"
                    name = record_name(call) + suffix
                    _write_atomic(record_dir / name, _scrub(body, secret))
                    check.recorded_as = name
                    index.append(
                        {
                            "file": name,
                            "endpoint": endpoint,
                            "request": _scrub_text(call.describe(), secret),
                            "context": _jsonable(dict(call.context)),
                            "response": call.response,
                            "observed_at": reply.fetched_at.isoformat(timespec="seconds"),
                            "source": report.target,
                        }
                    )
            check.seconds = round(time.monotonic() - started, 3)
            check.request = _scrub_text(check.request, secret)
            report.checks.append(check)
            if say is not None:
                say(f"{endpoint:44} {check.status}")
    finally:
        if own:
            client.close()
    if record_dir is not None:
        report.record_dir = str(record_dir)
        _write_index(record_dir, index, report)
    return report


def _failed(endpoint: str, call: ep.Call, error: Exception, secret: str | None) -> EndpointCheck:
    """The check of an endpoint whose request or conversion raised ``error``: its first line."""
    first = (str(error).splitlines() or [type(error).__name__])[0]
    status = f"error: {type(error).__name__}: {_scrub_text(first, secret)}"
    return EndpointCheck(endpoint, call.describe(), status=status)


def _scrub_text(text: str, secret: str | None) -> str:
    return text.replace(secret, "***") if secret and len(secret) >= 4 else text


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    except ValueError:
        return "the configured API"


def _write_index(directory: Path, index: list[dict[str, Any]], report: DoctorReport) -> None:
    document = {
        "recorded_by": "inchframe doctor",
        "target": report.target,
        "started_at": report.started_at,
        "bodies": index,
    }
    _write_atomic(directory / "index.json", json.dumps(document, indent=2).encode())
    rows = [
        "# Recorded response bodies (inchframe doctor)",
        "",
        f"Recorded from {report.target} on {report.started_at}. Authorization headers are never "
        "recorded and the API key is scrubbed from every body and request line. "
        "`index.json` holds the same list for the replay test "
        "(`INCHFRAME_RECORDED_DIR=<this folder> python -m pytest tests/test_doctor.py`).",
        "",
        "| File | Endpoint | Request | Observed at |",
        "|---|---|---|---|",
    ]
    rows += [
        f"| `{e['file']}` | {e['endpoint']} | `{e['request']}` | {e['observed_at']} |"
        for e in index
    ]
    _write_atomic(directory / "INDEX.md", ("\n".join(rows) + "\n").encode())


# -- replay -------------------------------------------------------------------------------------


def load_recorded(directory: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The entries of a folder written by ``doctor(record=...)`` (its ``index.json``)."""
    path = Path(directory) / "index.json"
    document = json.loads(path.read_text())
    return list(document["bodies"])


def convert_recorded(directory: str | os.PathLike[str], entry: dict[str, Any]) -> EndpointCheck:
    """Run one recorded body through its converter, as :func:`doctor` does."""
    endpoint = entry["endpoint"]
    build, _ = ENDPOINTS[endpoint]
    template = build(list(SAMPLE_WALLETS))
    call = ep.Call(
        endpoint,
        template.method,
        template.path,
        context=entry.get("context") or {},
        response=entry.get("response", template.response),
    )
    body = (Path(directory) / entry["file"]).read_bytes()
    try:
        _, check = _convert(endpoint, call, body)
    except InchframeError as error:
        check = EndpointCheck(endpoint, call.describe())
        first = (str(error).splitlines() or [type(error).__name__])[0]
        check.status = f"error: {type(error).__name__}: {first}"
    return check


def endpoint_names() -> Sequence[str]:
    """The 31 endpoint names doctor checks, in order."""
    return list(ENDPOINTS)
