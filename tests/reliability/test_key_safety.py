"""The API key goes only into the Authorization header (DESIGN section 4).

One run with a distinctive fake key through every loader (4 Balance, 23 Portfolio), the cache,
Parquet export, DEBUG logging (caplog and a log file), the exception paths and an executed
notebook; then every file the run created and every captured output is scanned for the key, raw
and encoded (URL, base64 at every alignment, UTF-16). The sandbox accepts only that key (it
keeps only its SHA-256), so the answers prove the key was sent.
"""

from __future__ import annotations

import hashlib
import json
import logging
import pickle
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
import pyarrow.parquet as pq
import pytest
from nbclient import NotebookClient

import inchframe as ifr
from inchframe.errors import (
    ApiError,
    AuthError,
    BatchError,
    InchframeError,
    OfflineCacheMiss,
    PayloadError,
    TransportError,
)
from inchframe.sandbox import Sandbox

from ..conftest import BINANCE, FAKE_KEY, ROUTER_V6, VITALIK
from ..loaders import PORTFOLIO_LOADERS
from ._scan import files_under, find_in_bytes, find_in_files, find_in_texts, leak_forms

USDT = "0xdac17f958d2ee523a2206206994597c13d831ec7"
WALLETS = [VITALIK, BINANCE]
p5, p4 = ifr.portfolio, ifr.portfolio.v4

#: Every public loader, called with the client under test.
LOADERS: dict[str, Callable[[ifr.Client], Any]] = {
    # Balance API (4)
    "balances": lambda c: ifr.balances(WALLETS, [1, 8453], client=c, progress=True),
    "allowances": lambda c: ifr.allowances(VITALIK, ROUTER_V6, 1, tokens=[USDT], client=c),
    "balances_and_allowances": lambda c: ifr.balances_and_allowances(
        WALLETS, ROUTER_V6, 1, client=c
    ),
    "aggregated_balances": lambda c: ifr.aggregated_balances(WALLETS, ROUTER_V6, 1, client=c),
    **PORTFOLIO_LOADERS,
    "v5.tokens_snapshot": lambda c: p5.tokens_snapshot(WALLETS, [1, 8453], client=c, progress=True),
}

NOTEBOOK_CELLS = [
    "import logging, sys\n"
    "logging.basicConfig(level=logging.DEBUG, stream=sys.stdout, force=True)\n"
    "logging.getLogger('matplotlib').setLevel(logging.WARNING)\n"
    "import inchframe as ifr\n"
    "client = ifr.Client(progress=True)\n"
    "client",
    "print(client.settings)\nprint(repr(client))",
    f"bal = ifr.balances({WALLETS!r}, ['ethereum', 'base'], client=client)\nbal.attrs['inchframe']",
    f"snap = ifr.portfolio.tokens_snapshot({WALLETS!r}, client=client)\n"
    "snap.inch.to_parquet('snapshot.parquet')\n"
    "snap.head()",
    "snap.inch.plot.composition(by='chain');",
    # the sandbox answers 5xx to every chart request: a BatchError traceback in the output
    f"ifr.portfolio.chart({WALLETS!r}, client=client)",
    f"ifr.portfolio.current_value({WALLETS!r}, client=ifr.Client(offline=True))",
]


def _exception_texts(error: BaseException) -> list[str]:
    texts = [str(error), repr(error), "".join(traceback.format_exception(error))]
    texts.append(pickle.dumps(error).decode("latin-1"))
    if isinstance(error, BatchError):
        texts += [error.failures.to_string(), error.failures.to_json(), repr(error.frame.attrs)]
    if isinstance(error, OfflineCacheMiss):
        texts.append(repr(error.missing))
    return texts


def _raised(action: Callable[[], Any], expected: type[BaseException]) -> BaseException:
    with pytest.raises(expected) as info:
        action()
    return info.value


def _parquet_texts(path: Path) -> list[str]:
    """Decoded view of a Parquet file: every value and the schema metadata, as text."""
    table = pq.read_table(path)
    meta = {
        k.decode("latin-1"): v.decode("latin-1") for k, v in (table.schema.metadata or {}).items()
    }
    return [table.to_pandas().to_csv(), json.dumps(meta)]


def _cache_texts(cache_dir: Path) -> list[str]:
    """Decoded view of every cached response: URL, request headers and body, response."""
    from inchframe._http import open_cache

    session = open_cache(cache_dir)
    try:
        texts = []
        for response in session.cache.responses.values():
            request = response.request
            texts += [
                str(request.url),
                repr(dict(request.headers)),
                repr(request.body),
                repr(dict(response.headers)),
                response.text,
            ]
        return texts
    finally:
        session.close()


def test_scanner_finds_every_encoding(tmp_path: Path) -> None:
    """The scan is not vacuous: a planted key is found in each encoding it looks for."""
    for name, needle in leak_forms(FAKE_KEY).items():
        (tmp_path / f"{name}.bin").write_bytes(b"header " + needle + b" trailer")
    assert len(find_in_files([tmp_path], FAKE_KEY)) == len(leak_forms(FAKE_KEY))
    import base64

    for prefix in (b"", b"a", b"ab", b"Authorization: Bearer "):
        assert find_in_bytes(base64.b64encode(prefix + FAKE_KEY.encode() + b"!"), FAKE_KEY)


def test_fake_key_reaches_only_the_authorization_header(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    cache_dir, parquet_dir, log_dir, nb_dir = (
        tmp_path / n for n in ("cache", "parquet", "logs", "notebook")
    )
    for directory in (parquet_dir, log_dir, nb_dir):
        directory.mkdir()
    caplog.set_level(logging.DEBUG)
    file_handler = logging.FileHandler(log_dir / "debug.log", encoding="utf-8")
    file_handler.setLevel(logging.DEBUG)
    file_handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(file_handler)
    texts: list[str] = []
    digest = hashlib.sha256(FAKE_KEY.encode()).hexdigest()
    try:
        with (
            Sandbox(api_keys=(FAKE_KEY,)) as sandbox,
            warnings.catch_warnings(record=True) as caught,
        ):
            warnings.simplefilter("always")
            assert sandbox.options.api_keys == (digest,)  # the sandbox holds only the digest
            client = ifr.Client(
                FAKE_KEY, base_url=sandbox.url, cache_dir=str(cache_dir), rate=500, max_retries=2
            )
            texts += [
                repr(client),
                str(client),
                repr(client.settings),
                repr(client._auth),
                repr(client.board.describe()),
            ]

            # 1. every loader, twice (network, then cache), and every frame to Parquet
            for round_ in ("network", "cache"):
                for name, load in LOADERS.items():
                    result = load(client)
                    texts += [repr(result), str(result)]
                    if isinstance(result, pd.DataFrame):
                        texts.append(json.dumps(result.attrs, default=str))
                        texts.append(repr(result.inch.provenance))
                        if round_ == "network":
                            path = parquet_dir / f"{name}.parquet"
                            result.inch.to_parquet(path)
                            texts += _parquet_texts(path)
            plan = ifr.balances(WALLETS, [1, 8453], plan=True, client=client)
            texts += [str(plan), repr(plan)]
            replies = client.fetch_many(plan.calls)
            texts += [repr(replies)]
            assert replies.from_cache == len(plan.calls)
            p5.tokens_snapshot(WALLETS, client=client).inch.to_parquet(
                parquet_dir / "dataset", partition_by=["chain_id"], mode="append"
            )

            # 2. the exception paths (a client without cache, so the faults are reached)
            fresh = ifr.Client(FAKE_KEY, base_url=sandbox.url, cache=False, max_retries=0)
            sandbox.configure(error_rate=1.0, fault_endpoints=("v5.status", "v5.chart"))
            errors: list[BaseException] = [
                _raised(lambda: p5.status(client=fresh), ApiError),
                _raised(lambda: p5.chart(WALLETS, 1, client=fresh), BatchError),
            ]
            sandbox.configure(error_rate=0.0, drop_rate=1.0, fault_endpoints=("v5.chart",))
            errors.append(_raised(lambda: fresh.v5_chart(WALLETS, 1), TransportError))
            sandbox.configure(
                drop_rate=0.0, malformed_rate=1.0, fault_endpoints=("v5.current_value",)
            )
            errors.append(_raised(lambda: fresh.v5_current_value(WALLETS, 10), PayloadError))
            sandbox.configure(malformed_rate=0.0, fault_endpoints=None)
            fresh.close()
            with ifr.Client(
                FAKE_KEY, base_url=sandbox.url, cache_dir=str(cache_dir), offline=True
            ) as offline:
                errors.append(
                    _raised(lambda: p5.chart(WALLETS, 10, client=offline), OfflineCacheMiss)
                )
            statuses_before = dict(sandbox.stats()["by_status"])
            with ifr.Client(
                "wrong-key", base_url=sandbox.url, cache=False, max_retries=0
            ) as stranger:
                errors.append(_raised(lambda: p5.status(client=stranger), AuthError))
            for error in errors:
                assert isinstance(error, InchframeError)
                texts += _exception_texts(error)
            client.close()

            # 3. the key was sent: the sandbox, which accepts only FAKE_KEY, answered 200s,
            # and refused exactly the one request made with another key
            stats = sandbox.stats()
            assert stats["by_status"].get(200, 0) > len(LOADERS)
            assert stats["by_status"].get(401, 0) == statuses_before.get(401, 0) + 1 == 1
            answered = stats["by_status"].get(200, 0)

            # 4. a notebook run against the same sandbox, key from the environment
            monkeypatch.setenv("INCHFRAME_API_KEY", FAKE_KEY)
            monkeypatch.setenv("INCHFRAME_BASE_URL", sandbox.url)
            monkeypatch.setenv("INCHFRAME_CACHE_DIR", str(nb_dir / "cache"))
            monkeypatch.setenv("INCHFRAME_RATE", "100")
            monkeypatch.setenv("INCHFRAME_MAX_RETRIES", "1")
            sandbox.configure(error_rate=1.0, fault_endpoints=("v5.chart",))
            notebook = nbformat.v4.new_notebook()
            notebook.cells = [nbformat.v4.new_code_cell(src) for src in NOTEBOOK_CELLS]
            NotebookClient(
                notebook,
                timeout=180,
                kernel_name="python3",
                allow_errors=True,
                resources={"metadata": {"path": str(nb_dir)}},
            ).execute()
            nbformat.write(notebook, nb_dir / "executed.ipynb")
            outputs = [out for cell in notebook.cells for out in cell.get("outputs", [])]
            errors_shown = [out for out in outputs if out.get("output_type") == "error"]
            assert [e["ename"] for e in errors_shown] == ["BatchError", "OfflineCacheMiss"]
            assert (nb_dir / "snapshot.parquet").exists()
            assert any("image/png" in out.get("data", {}) for out in outputs)
            texts.append(nbformat.writes(notebook))
            after = sandbox.stats()["by_status"]
            assert after.get(200, 0) > answered  # the kernel's requests were authenticated
            assert after.get(401, 0) == 1
            texts += [str(w.message) for w in caught]
    finally:
        root.removeHandler(file_handler)
        file_handler.close()

    # 5. scan: every file the run created, decoded views, and every captured output
    created = files_under(cache_dir, parquet_dir, log_dir, nb_dir)
    names = {p.name for p in created}
    assert {"http_cache.sqlite", "debug.log", "executed.ipynb", "snapshot.parquet"} <= names
    assert (log_dir / "debug.log").stat().st_size > 0
    assert len([p for p in created if p.suffix == ".parquet"]) >= len(LOADERS) - 3
    assert find_in_files([cache_dir, parquet_dir, log_dir, nb_dir], FAKE_KEY) == {}
    texts += _cache_texts(cache_dir) + _cache_texts(nb_dir / "cache")
    texts += [record.getMessage() for record in caplog.records]
    texts += [caplog.text]
    captured = capfd.readouterr()
    texts += [captured.out, captured.err]
    assert "GET" in caplog.text or "POST" in caplog.text  # DEBUG logging did record requests
    hits = find_in_texts(texts, FAKE_KEY)
    assert hits == [], [(form, texts[i][:2000]) for i, form in hits]


def test_redaction_of_keys_in_urls() -> None:
    """A key in a URL's query or user-info (e.g. a base URL pasted with ?apiKey=) is masked in
    every error message."""
    url = f"https://user:{FAKE_KEY}@api.1inch.dev/balance/v1.2/1/balances/x?apiKey={FAKE_KEY}"
    errors = [
        ApiError(500, "GET", url, endpoint="balance.balances"),
        TransportError("no answer", method="GET", url=url),
        OfflineCacheMiss([url]),
    ]
    texts = [
        t
        for e in errors
        for t in (str(e), repr(e), getattr(e, "url", ""), pickle.dumps(e).decode("latin-1"))
    ]
    assert find_in_texts(texts, FAKE_KEY) == []


#: A credential pasted into the base URL (not the API key, which goes in the header).
URL_SECRET = "ifr-url-secret-4b8e2d9c1a7f"


@pytest.mark.parametrize(
    "template",
    [
        "http://user:{s}@{host}",
        "http://{s}@{host}/",
        "http://{host}/?apiKey={s}",
        "http://{host}?sig={s}&region=eu",
        "http://u:{s}@{host}/?token={s}&x={s}",
    ],
)
def test_credentials_in_the_base_url_are_shown_nowhere(
    template: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """User info and query values of a base URL are redacted in the client's repr, its
    settings, ``df.attrs``, replies, errors, logs and the cache, and requests still work."""
    from inchframe import endpoints as ep

    from ..conftest import Reply, ScriptedServer

    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    with Sandbox() as sandbox:
        base_url = template.format(s=URL_SECRET, host=sandbox.url.split("//")[1])
        with ifr.Client(
            FAKE_KEY, base_url=base_url, cache_dir=tmp_path / "cache", rate=100, progress=False
        ) as client:
            frame = ifr.balances(WALLETS, 1, client=client)
            assert len(frame) > 0  # the requests went through
            client.fetch(ep.balances(1, VITALIK))
            reply = client.fetch(ep.balances(1, VITALIK))
            assert reply.from_cache  # the base URL's parameters do not break cache keys
            texts += [repr(client), str(client), client.base_url, repr(client.settings)]
            texts += [json.dumps(frame.attrs, default=str), reply.url]
            assert "***" in client.base_url
    scripted = ScriptedServer().start()
    try:
        scripted.default = lambda method, path, body: Reply(404, {"message": "Not Found"})
        base_url = template.format(s=URL_SECRET, host=scripted.url.split("//")[1])
        with ifr.Client(FAKE_KEY, base_url=base_url, cache_dir=tmp_path / "c2") as client:
            texts += _exception_texts(_raised(lambda: client.balances(1, VITALIK), ApiError))
    finally:
        scripted.stop()
    closed = template.format(s=URL_SECRET, host="127.0.0.1:9")
    with ifr.Client(
        FAKE_KEY, base_url=closed, cache_dir=tmp_path / "c3", max_retries=0, timeout=1
    ) as client:
        texts += _exception_texts(_raised(lambda: client.balances(1, VITALIK), TransportError))
    texts += [caplog.text, *_cache_texts(tmp_path / "cache")]
    hits = find_in_texts(texts, URL_SECRET)
    assert hits == [], [(form, texts[i][:3000]) for i, form in hits]
    assert find_in_files([tmp_path], URL_SECRET) == {}
