"""inchframe.dask on a distributed.LocalCluster with worker processes: the loaders as dask
dataframes (from_map over the plan's chunks, meta from the schema) and export(scheduler=...),
compared row by row with the pandas loaders."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import inchframe
import inchframe.dask as ifd
from inchframe.client import Client
from inchframe.errors import InputError
from inchframe.exports import BATCH_COLUMN, export

from .conftest import FAKE_KEY, api_requests

distributed = pytest.importorskip("distributed")


def _wallets(n: int) -> list[str]:
    rng = random.Random(16)
    return [f"0x{rng.getrandbits(160):040x}" for _ in range(n)]


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(str).sort_values(list(frame.columns)).reset_index(drop=True)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """Two worker processes; they read the key from their environment, as on a real cluster."""
    saved = os.environ.get("INCHFRAME_API_KEY")
    os.environ["INCHFRAME_API_KEY"] = FAKE_KEY
    try:
        made = distributed.LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
        )
    finally:
        if saved is None:
            del os.environ["INCHFRAME_API_KEY"]
        else:
            os.environ["INCHFRAME_API_KEY"] = saved
    with made, distributed.Client(made) as dask_client:
        yield dask_client


def test_loaders_as_dask_frames(cluster: Any, sandbox: Any, tmp_path: Path) -> None:
    wallets = _wallets(150)
    with Client(
        FAKE_KEY, base_url=sandbox.url, cache_dir=tmp_path / "cache", rate=500, progress=False
    ) as client:
        lazy = ifd.balances(wallets, chain=[1, 8453], client=client)
        assert lazy.npartitions == 2  # the plan's chunks of 100 wallets
        assert api_requests(sandbox) == 0  # lazy: nothing sent yet
        assert list(lazy.columns) == list(inchframe.frames.balance.BALANCES.names)
        got = lazy.compute()
        served = api_requests(sandbox)
        assert served == 4
        want = inchframe.balances(wallets, chain=[1, 8453], client=client)
        assert api_requests(sandbox) == served  # the workers filled the shared cache
        pd.testing.assert_frame_equal(_sorted(got), _sorted(want))
        assert got.dtypes.to_dict() == want.dtypes.to_dict()

        snap = ifd.portfolio.tokens_snapshot(wallets[:30], 1, client=client)
        assert snap.npartitions == 2  # 20 addresses per request
        pd.testing.assert_frame_equal(
            _sorted(snap.compute()),
            _sorted(inchframe.portfolio.tokens_snapshot(wallets[:30], 1, client=client)),
        )
        arrow = ifd.balances(wallets, chain=[1, 8453], client=client, dtype_backend="pyarrow")
        assert arrow.dtypes.to_dict() == arrow.compute().dtypes.to_dict()  # meta tells the truth
        assert all(isinstance(t, pd.ArrowDtype) for t in arrow.dtypes)
        with pytest.raises(InputError, match="dtype_backend"):
            ifd.balances(wallets, client=client, dtype_backend="arrow")
        with pytest.raises(InputError):
            ifd.balances(["0x1"], client=client)
        with pytest.raises(InputError):
            ifd.balances(wallets, client=client, progress=True)


def test_export_on_the_cluster(cluster: Any, sandbox: Any, tmp_path: Path) -> None:
    wallets = _wallets(40)
    with Client(
        FAKE_KEY, base_url=sandbox.url, cache_dir=tmp_path / "cache", rate=500, progress=False
    ) as client:
        kwargs: dict[str, Any] = {"chain": [1, 8453], "batch_size": 10, "client": client}
        result = export(
            "balances",
            wallets,
            tmp_path / "d",
            format="delta",
            scheduler=cluster,
            progress=False,
            **kwargs,
        )
        assert result.written == 4 and result.failures == 0
        again = export(
            "balances",
            wallets,
            tmp_path / "d",
            format="delta",
            scheduler=cluster,
            progress=False,
            **kwargs,
        )
        assert again.written == 0 and again.skipped == 4
        local = export("balances", wallets, tmp_path / "p", progress=False, **kwargs)
        want = inchframe.balances(wallets, chain=[1, 8453], client=client)
    got = inchframe.read_delta(tmp_path / "d")
    pd.testing.assert_frame_equal(_sorted(got), _sorted(inchframe.read_parquet(tmp_path / "p")))
    assert local.rows == len(got)
    pd.testing.assert_frame_equal(_sorted(got.drop(columns=BATCH_COLUMN)), _sorted(want))


def test_workers_get_the_redis_cache_and_budget(
    cluster: Any, sandbox: Any, tmp_path: Path, redis_url: str
) -> None:
    """cache_url / limiter_url travel to the worker processes: the workers' requests fill the
    Redis cache (a driver client with another, empty cache directory is then answered from it)
    and draw from the Redis rate budget; the API key is not in the pickled task graph."""
    import cloudpickle
    import redis

    from inchframe._workers import client_config

    wallets = _wallets(120)
    with Client(
        FAKE_KEY,
        base_url=sandbox.url,
        cache_dir=tmp_path / "worker-side",
        cache_url=redis_url,
        limiter_url=redis_url,
        rate=500,
        progress=False,
    ) as client:
        lazy = ifd.balances(wallets, chain=[1, 8453], client=client)
        graph = cloudpickle.dumps(dict(lazy.__dask_graph__()))
        assert FAKE_KEY.encode() not in graph
        assert FAKE_KEY not in repr(dict(lazy.__dask_graph__()))
        assert repr(client_config(client)).count(redis_url) == 2  # no password: shown as is
        got = lazy.compute()
        served = api_requests(sandbox)
        assert served == 4

    def worker_settings() -> list[tuple[str | None, str | None, bool]]:
        from inchframe import _workers

        return [
            (c.settings.cache_url, c.settings.limiter_url, c.settings.has_key)
            for c in _workers._clients.values()
        ]

    seen = {s for found in cluster.run(worker_settings).values() for s in found}
    assert (redis_url, redis_url, True) in seen  # the key came from the worker's environment
    connection = redis.Redis.from_url(redis_url)
    assert connection.exists("inchframe-salt")  # the budget was there (its items leak away)
    assert len(connection.keys("inchframe-cache:*")) == served
    worker_side = tmp_path / "worker-side"  # nothing in the cache directory: all in Redis
    assert not worker_side.exists() or not any(worker_side.iterdir())
    with Client(
        FAKE_KEY,
        base_url=sandbox.url,
        cache_dir=tmp_path / "driver-side",  # empty: only Redis can answer
        cache_url=redis_url,
        rate=500,
        progress=False,
    ) as driver:
        want = inchframe.balances(wallets, chain=[1, 8453], client=driver)
    assert api_requests(sandbox) == served
    pd.testing.assert_frame_equal(_sorted(got), _sorted(want))


def test_worker_config_repr_hides_credentials() -> None:
    """Dask shows task arguments in its dashboard and in "Compute Failed" logs: the worker
    configuration's repr redacts a key in the base URL's query and Redis passwords."""
    from inchframe._workers import WorkerConfig, worker_client

    config = WorkerConfig(
        base_url="https://api.example.test/?apiKey=SECRET-IN-QUERY",
        api_key=None,
        cache_dir="cache",
        cache=True,
        rate=1.0,
        offline=False,
        timeout=5.0,
        max_retries=0,
        stop_after=0,
        cache_url="redis://:SECRET-PASSWORD@127.0.0.1:1/0",
        limiter_url="rediss://user:SECRET-TOO@127.0.0.1:1/0",
    )
    for shown in (repr(config), str(config), repr({"config": config})):
        assert "SECRET" not in shown
        assert "127.0.0.1:1/0" in shown and "api.example.test" in shown
    assert {config: 1}[config] == 1  # hashable: one client per configuration and process
    assert config.client_kwargs()["cache_url"] == "redis://:SECRET-PASSWORD@127.0.0.1:1/0"
    assert callable(worker_client)
