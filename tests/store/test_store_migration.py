"""Migrations 1 -> 2 -> 3 on real files made by earlier releases of this project.

``tests/data/history_v1.sqlite``: two assets syncs of a 40-invitee sandbox, written by
asset-client at schema version 1 (commit 6ee3ad1), checkpointed and vacuumed.
``tests/data/history_v2.sqlite``: written at schema version 2 (commit 5971bd3, the
release before the one-name reshape) by ``sync_datasets`` of a 40-invitee sandbox (seed
11, partner "now" 2026-11-27 12:00 UTC): assets, invitees and volume on sandbox days 0
and 1 (#1-#6), a sync failing in the invitee walk (#7-#9), and a usdc assets series with
a window (#10); checkpointed and vacuumed.
"""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from asset_client import AssetClient, RateLimit
from asset_client.sandbox import SandboxConfig, run_sandbox
from asset_client.store import (
    SCHEMA_VERSION,
    Series,
    SnapshotStatus,
    SnapshotStore,
    StoreError,
)
from asset_client.store._schema import APPLICATION_ID
from tests._store_helpers import asset, stream

DATA = Path(__file__).parents[1] / "data"
V2_NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
V2_KEY, V2_SECRET = "v2-fixture-key", "v2-fixture-secret"


def _copy(tmp_path: Path, name: str, version: int) -> Path:
    db = tmp_path / name
    shutil.copyfile(DATA / name, db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (version,)
        assert conn.execute("PRAGMA application_id").fetchone() == (APPLICATION_ID,)
    return db


@pytest.fixture
def v1_file(tmp_path: Path) -> Path:
    return _copy(tmp_path, "history_v1.sqlite", 1)


@pytest.fixture
def v2_file(tmp_path: Path) -> Path:
    return _copy(tmp_path, "history_v2.sqlite", 2)


def _versions(db: Path, table: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3, 4").fetchall()  # noqa: S608


async def _everything(db: Path, *, readonly: bool) -> dict[str, Any]:
    """What a reader sees: every snapshot, and each dataset's changes and histories."""
    seen: dict[str, Any] = {}
    async with await SnapshotStore.open(db, readonly=readonly) as store:
        seen["snapshots"] = await store.snapshots()
        for name in ("assets", "invitees", "volume"):
            complete = [
                s
                for s in seen["snapshots"]
                if s.series.dataset == name and s.status is SnapshotStatus.COMPLETE
            ]
            uids: set[int] = set()
            for target in complete:
                base, _ = await store.resolve(until=target.id, dataset=name)
                changes = [c async for c in store.changes_between(base, target)]
                seen[f"{name} {target.id}"] = [(c.key, c.kind, c.before, c.after) for c in changes]
                uids.update(c.uid for c in changes)
            for uid in sorted(uids)[:5]:
                seen[f"{name} history {uid}"] = [
                    (e.key, e.since, e.until, dict(e.values))
                    for e in await store.history(uid, dataset=name)
                ]
    return seen


async def test_a_version_1_file_is_upgraded_with_its_history_intact(v1_file: Path) -> None:
    with sqlite3.connect(v1_file) as conn:
        old_rows = conn.execute("SELECT * FROM invitee_assets ORDER BY 1, 2, 3").fetchall()
        old_sums = conn.execute(
            "SELECT id, total_deposit, total_withdrawal, current_balance FROM snapshots"
        ).fetchall()
    # Reading never migrates; it reads the old file as the current schema.
    before = await _everything(v1_file, readonly=True)
    with sqlite3.connect(v1_file) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (1,)
    async with await SnapshotStore.open(v1_file):
        pass
    with sqlite3.connect(v1_file) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,) == (3,)
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert {"assets", "invitees", "volume", "sync_seen_invitees", "sync_seen_volume"} <= tables
    assert not {"invitee_assets", "daily_volume"} & tables
    assert _versions(v1_file, "assets") == old_rows
    assert await _everything(v1_file, readonly=False) == before
    assert await _everything(v1_file, readonly=True) == before
    snapshots = before["snapshots"]
    assert [s.series.dataset for s in snapshots] == ["assets"] * len(old_sums)
    assert [(s.id, s.total_deposit, s.total_withdrawal, s.current_balance) for s in snapshots] == [
        (i, Decimal(a), Decimal(b), Decimal(c)) for i, a, b, c in old_sums
    ]
    assert [s.window_start for s in snapshots] == [None] * len(snapshots)
    async with await SnapshotStore.open(v1_file) as store:
        # The upgraded file takes new snapshots that compare with the old ones.
        series = snapshots[-1].series
        newest = await store.record(stream([asset(uid) for uid in (1, 2)]), series)
    assert newest.id == snapshots[-1].id + 1
    assert newest.gone == snapshots[-1].records


async def test_a_version_2_file_reads_the_same_before_and_after_its_upgrade(
    v2_file: Path,
) -> None:
    old_rows = {t: _versions(v2_file, t) for t in ("invitee_assets", "invitees", "daily_volume")}
    before = await _everything(v2_file, readonly=True)
    snapshots = before["snapshots"]
    assert [s.id for s in snapshots] == list(range(1, 11))
    assert [s.series.dataset for s in snapshots[:3]] == ["assets", "invitees", "volume"]
    assert [s.status for s in snapshots[6:9]] == [SnapshotStatus.FAILED] * 3
    assert snapshots[2].total_volume == Decimal("1226785.68725743")
    assert snapshots[2].sums == {"volume": Decimal("1226785.68725743")}
    assert snapshots[1].sums == {} and snapshots[7].sums == {}
    assert snapshots[9].series == Series(
        source="sandbox",
        quote="usdc",
        start_time="2026-01-01 00:00:00",
        end_time="2026-06-30 23:59:59",
    )
    assert len(before["volume 3"]) == 45 and before["assets 4"]  # day 1 changed assets
    assert sum(key.startswith("volume history") for key in before) == 5
    async with await SnapshotStore.open(v2_file):
        pass
    with sqlite3.connect(v2_file) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (3,)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        columns = [r[1] for r in conn.execute("PRAGMA table_info(snapshots)")]
    assert {"assets_current", "volume_from", "snapshots_by_series"} <= indexes
    assert not any(i.startswith(("invitee_assets", "daily_volume")) for i in indexes)
    assert "total_deposit" not in columns and "sums" in columns
    new_names = {"invitee_assets": "assets", "invitees": "invitees", "daily_volume": "volume"}
    for old, rows in old_rows.items():
        assert _versions(v2_file, new_names[old]) == rows
    assert await _everything(v2_file, readonly=False) == before


async def test_an_upgraded_version_2_file_syncs_on_as_the_same_series(v2_file: Path) -> None:
    config = SandboxConfig(
        invitees=40,
        seed=11,
        days=1,
        api_key=V2_KEY,
        secret_key=V2_SECRET,
        rate_limit=50,
        window=0.1,
        partner_now=lambda: V2_NOW.replace(tzinfo=None),
    )
    async with (
        await SnapshotStore.open(v2_file) as store,
        run_sandbox(config) as sb,
        AssetClient(
            V2_KEY, V2_SECRET, base_url=sb.base_url, rate_limit=RateLimit(requests=50, period=0.1)
        ) as client,
    ):
        again = await store.sync_datasets(client, source="sandbox", now=V2_NOW)
        previous = {s.series.dataset: s for s in (await store.snapshots())[3:6]}
    # Ids go on after the old ones (#10 was the last), and each dataset compares with its
    # snapshot of the same series (the sandbox's data changed since the file was written,
    # so the changes are whatever they are, but they add up against the old snapshot).
    assert [s.id for s in again.values()] == [11, 12, 13]
    for name, snapshot in again.items():
        assert snapshot.series == previous[name].series
        old, now = previous[name].records, snapshot.records
        assert old is not None and now is not None
        assert snapshot.new is not None and snapshot.gone is not None
        assert now == old - snapshot.gone + snapshot.new, name


async def test_a_migration_that_fails_leaves_the_old_file_as_it_was(v2_file: Path) -> None:
    with sqlite3.connect(v2_file) as conn:
        # Someone's own table in the way of the migration's rename to "volume".
        conn.execute("CREATE TABLE volume (x)")
    with sqlite3.connect(v2_file) as conn:
        schema = conn.execute("SELECT * FROM sqlite_master ORDER BY name").fetchall()
    rows = _versions(v2_file, "invitee_assets")
    with pytest.raises(StoreError, match=r"creating the schema in .*volume"):
        await SnapshotStore.open(v2_file)
    with sqlite3.connect(v2_file) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (2,)
        # The renames before the failure rolled back too.
        assert conn.execute("SELECT * FROM sqlite_master ORDER BY name").fetchall() == schema
    assert _versions(v2_file, "invitee_assets") == rows


async def test_a_failed_1_to_2_step_leaves_the_version_1_file_as_it_was(v1_file: Path) -> None:
    with sqlite3.connect(v1_file) as conn:
        # Someone's own table in the way of the migration's CREATE TABLE invitees.
        conn.execute("CREATE TABLE invitees (x)")
        schema = conn.execute("SELECT * FROM sqlite_master ORDER BY name").fetchall()
    with pytest.raises(StoreError, match=r"creating the schema in .*invitees already exists"):
        await SnapshotStore.open(v1_file)
    with sqlite3.connect(v1_file) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (1,)
        assert conn.execute("SELECT * FROM sqlite_master ORDER BY name").fetchall() == schema


async def test_a_newer_schema_is_still_refused_after_the_upgrade(v1_file: Path) -> None:
    async with await SnapshotStore.open(v1_file):
        pass
    with sqlite3.connect(v1_file) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match=f"schema version {SCHEMA_VERSION + 1}, newer") as error:
        await SnapshotStore.open(v1_file)
    assert error.value.usage


async def test_the_old_dataset_names_still_work_with_a_warning(tmp_path: Path) -> None:
    with pytest.warns(DeprecationWarning, match="'daily_volume' is now called 'volume'"):
        series = Series(dataset="daily_volume", source="test", quote="")
    assert series.dataset == "volume"
    async with await SnapshotStore.open(tmp_path / "h.sqlite") as store:
        await store.record(stream([asset(1)]), Series(source="test", quote="usdt"))
        with pytest.warns(DeprecationWarning, match="'invitee_assets' is now called 'assets'"):
            old_name: Any = "invitee_assets"
            assert [s.id for s in await store.snapshots(dataset=old_name)] == [1]
