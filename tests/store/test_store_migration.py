"""Migration 1 -> 2 on a real version-1 file (made by the version-1 code of this project).

``tests/data/history_v1.sqlite``: two assets syncs of a 40-invitee sandbox, written by
asset-client at schema version 1 (commit 6ee3ad1), checkpointed and vacuumed.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from asset_client.store import SCHEMA_VERSION, SnapshotStore, StoreError
from asset_client.store._schema import APPLICATION_ID
from tests._store_helpers import asset, stream

V1 = Path(__file__).parents[1] / "data" / "history_v1.sqlite"


def _dump(db: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    with sqlite3.connect(db) as conn:
        snaps = conn.execute(
            "SELECT id, series_id, taken_at, finished_at, status, records, total_deposit, "
            "total_withdrawal, current_balance, new, changed, gone, requests, client_version, "
            "error FROM snapshots ORDER BY id"
        ).fetchall()
        rows = conn.execute(
            "SELECT * FROM invitee_assets ORDER BY series_id, uid, valid_from"
        ).fetchall()
    return snaps, rows


@pytest.fixture
def v1_file(tmp_path: Path) -> Path:
    db = tmp_path / "old.sqlite"
    shutil.copyfile(V1, db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (1,)
        assert conn.execute("PRAGMA application_id").fetchone() == (APPLICATION_ID,)
    return db


async def test_a_version_1_file_is_upgraded_with_its_history_intact(v1_file: Path) -> None:
    before = _dump(v1_file)
    # Reading never migrates.
    async with await SnapshotStore.open(v1_file, readonly=True) as store:
        old_changes = [(c.uid, c.kind, c.before, c.after) async for c in store.changes()]
    with sqlite3.connect(v1_file) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (1,)
    async with await SnapshotStore.open(v1_file) as store:
        with sqlite3.connect(v1_file) as conn:
            assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,) == (2,)
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert {"invitees", "daily_volume", "sync_seen_invitees", "sync_seen_volume"} <= tables
        assert _dump(v1_file) == before
        assert [(c.uid, c.kind, c.before, c.after) async for c in store.changes()] == old_changes
        snapshots = await store.snapshots()
        assert [s.window_start for s in snapshots] == [None] * len(before[0])
        # The upgraded file takes new snapshots that compare with the old ones.
        series = snapshots[-1].series
        newest = await store.record(stream([asset(uid) for uid in (1, 2)]), series)
        assert newest.id == snapshots[-1].id + 1
        assert newest.gone == snapshots[-1].records


async def test_a_migration_that_fails_leaves_the_version_1_file_as_it_was(v1_file: Path) -> None:
    with sqlite3.connect(v1_file) as conn:
        # Someone's own table in the way of the migration's CREATE TABLE invitees.
        conn.execute("CREATE TABLE invitees (x)")
    before = _dump(v1_file)
    with pytest.raises(StoreError, match=r"creating the schema in .*invitees already exists"):
        await SnapshotStore.open(v1_file)
    with sqlite3.connect(v1_file) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (1,)
        columns = {r[1] for r in conn.execute("PRAGMA table_info(snapshots)")}
        assert "window_start" not in columns  # the ALTERs before the failure rolled back too
        assert conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE name = 'daily_volume'"
        ).fetchone() == (0,)
    assert _dump(v1_file) == before
    async with await SnapshotStore.open(v1_file, readonly=True) as store:
        assert len(await store.snapshots()) == len(before[0])


async def test_a_newer_schema_is_still_refused_after_the_upgrade(v1_file: Path) -> None:
    async with await SnapshotStore.open(v1_file):
        pass
    with sqlite3.connect(v1_file) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match=f"schema version {SCHEMA_VERSION + 1}, newer") as error:
        await SnapshotStore.open(v1_file)
    assert error.value.usage
