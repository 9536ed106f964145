"""A sync walks its datasets at once (real sandbox, real SQLite): the walks overlap on the
wire, the result is the sequential one's, progress is per walk, a cancel keeps nothing.
"""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest

from asset_client import AssetClient, RateLimit
from asset_client.client.stats import WalkStats
from asset_client.core.retry import RetryPolicy
from asset_client.endpoints import ENDPOINTS
from asset_client.sandbox import SandboxConfig, run_sandbox
from asset_client.store import SnapshotStatus, SnapshotStore
from asset_client.store._datasets import DatasetName
from tests._store_helpers import INVITEES, SEED
from tests.conftest import SECRET

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
DATASETS: tuple[DatasetName, ...] = ("assets", "invitees", "volume")
_DATASET_AT = {endpoint.path: name for name, endpoint in ENDPOINTS.items()}
#: Pages of 100: a dozen requests per walk, so overlapping walks interleave on the wire.
PAGE = 100


def _config(api_key: str, days: int, invitees: int = INVITEES) -> SandboxConfig:
    return SandboxConfig(
        invitees=invitees,
        seed=SEED,
        days=days,
        api_key=api_key,
        secret_key=SECRET,
        rate_limit=50,
        window=0.1,
        partner_now=lambda: NOW.replace(tzinfo=None),
    )


def _client(api_key: str, base_url: str) -> AssetClient:
    return AssetClient(
        api_key,
        SECRET,
        base_url=base_url,
        rate_limit=RateLimit(requests=50, period=0.1, margin=0.0025),
        retry_policy=RetryPolicy(max_retries=0),
    )


def _rows(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every stored version and every snapshot's outcome (times aside)."""
    with sqlite3.connect(db) as conn:
        found: dict[str, list[tuple[Any, ...]]] = {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3").fetchall()  # noqa: S608
            for table in DATASETS
        }
        found["snapshots"] = conn.execute(
            "SELECT id, series_id, status, records, sums, new, changed, gone, requests, "
            "window_start, window_end, error FROM snapshots ORDER BY id"
        ).fetchall()
    return found


async def test_the_walks_overlap_on_the_wire(tmp_path: Path, api_key: str) -> None:
    async with (
        await SnapshotStore.open(tmp_path / "h.sqlite") as store,
        run_sandbox(_config(api_key, 0)) as sb,
        _client(api_key, sb.base_url) as client,
    ):
        snapshots = await store.sync_datasets(client, source="sandbox", page_size=PAGE, now=NOW)
        order = [_DATASET_AT[r.path] for r in sb.stats.requests]
    assert set(snapshots) == set(DATASETS)
    assert all(order.count(name) >= 2 for name in DATASETS), order
    # Each walk's requests start before every other walk's end: they ran at once.
    span = {
        name: (order.index(name), len(order) - 1 - order[::-1].index(name)) for name in DATASETS
    }
    for a, b in combinations(DATASETS, 2):
        assert span[a][0] < span[b][1] and span[b][0] < span[a][1], (a, b, order)


async def test_a_concurrent_sync_stores_what_sequential_syncs_store(
    tmp_path: Path, api_key: str
) -> None:
    together, apart = tmp_path / "together.sqlite", tmp_path / "apart.sqlite"
    for days in (0, 1):  # the second day has new, changed and gone rows
        async with run_sandbox(_config(api_key, days)) as sb:
            async with (
                await SnapshotStore.open(together) as store,
                _client(api_key, sb.base_url) as client,
            ):
                await store.sync_datasets(client, source="sandbox", page_size=PAGE, now=NOW)
            async with (
                await SnapshotStore.open(apart) as store,
                _client(api_key, sb.base_url) as client,
            ):
                for name in DATASETS:
                    await store.sync(
                        client, dataset=name, source="sandbox", page_size=PAGE, now=NOW
                    )
    expected, got = _rows(apart), _rows(together)
    assert len(got["snapshots"]) == 6
    assert any(row[6] for row in got["snapshots"][3:]), "day 1 changed nothing"
    assert got == expected


async def test_progress_is_per_walk_and_names_its_dataset(tmp_path: Path, api_key: str) -> None:
    calls: list[tuple[str, int, int]] = []
    started: list[str] = []
    totals: list[int] = []

    def on_progress(dataset: str, records: int, stats: WalkStats) -> None:
        calls.append((dataset, records, stats.requests))

    async with (
        await SnapshotStore.open(tmp_path / "h.sqlite") as store,
        run_sandbox(_config(api_key, 0)) as sb,
        _client(api_key, sb.base_url) as client,
    ):
        snapshots = await store.sync_datasets(
            client,
            source="sandbox",
            page_size=PAGE,
            now=NOW,
            on_dataset=started.append,
            on_progress=on_progress,
            on_batch=totals.append,
        )
    assert started == list(DATASETS)
    for name, snapshot in snapshots.items():
        mine = [(records, requests) for dataset, records, requests in calls if dataset == name]
        assert mine == sorted(mine), name  # counts only grow
        # The last call: the walk's own records and requests, as its snapshot has them.
        assert mine[-1] == (snapshot.records, snapshot.requests), name
    assert sum(s.requests or 0 for s in snapshots.values()) == client.stats.requests
    assert totals == sorted(totals)
    assert totals[-1] == sum(s.records or 0 for s in snapshots.values())


async def test_cancelling_a_concurrent_sync_keeps_nothing_of_any_walk(
    tmp_path: Path, api_key: str
) -> None:
    db = tmp_path / "h.sqlite"
    invitees = 2500  # a walk reports a batch once the next one is full: three batches
    seen: dict[str, int] = {}

    def on_progress(dataset: str, records: int, stats: WalkStats) -> None:
        seen[dataset] = records
        if dataset == "assets" and records < invitees:  # a batch stored, the walk going on
            task.cancel()

    async with await SnapshotStore.open(db) as store:
        async with (
            run_sandbox(_config(api_key, 0, invitees)) as sb,
            _client(api_key, sb.base_url) as client,
        ):
            kept = await store.sync_datasets(client, source="sandbox", now=NOW)
        async with (
            run_sandbox(_config(api_key, 1, invitees)) as sb,
            _client(api_key, sb.base_url) as client,
        ):
            task = asyncio.ensure_future(
                store.sync_datasets(
                    client, source="sandbox", page_size=PAGE, now=NOW, on_progress=on_progress
                )
            )
            with pytest.raises(asyncio.CancelledError):
                await task
        snapshots = await store.snapshots()
    assert 0 < seen["assets"] < invitees
    last = max(s.id for s in kept.values())
    assert [s.id for s in snapshots if s.status is SnapshotStatus.COMPLETE] == sorted(
        s.id for s in kept.values()
    )
    stopped = [s for s in snapshots if s.id > last]
    assert sorted(s.series.dataset for s in stopped) == sorted(DATASETS)
    assert all(s.status is SnapshotStatus.INTERRUPTED for s in stopped)
    with sqlite3.connect(db) as conn:
        for table in DATASETS:
            (late,) = conn.execute(
                f"SELECT count(*) FROM {table} WHERE valid_from > ? OR valid_to IS NOT NULL",  # noqa: S608
                (last,),
            ).fetchone()
            assert late == 0, table
            assert conn.execute(f"SELECT count(*) FROM sync_seen_{table}").fetchone() == (0,)  # noqa: S608
