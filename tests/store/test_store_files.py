"""Bad history files and hard stops: each a one-line `StoreError`, nothing lost.

Real files and real processes: a child killed with SIGKILL mid-sync, a child whose file
size limit (RLIMIT_FSIZE) makes the disk "full", an immutable (chattr +i) or read-only file.
"""

# ruff: noqa: S603 - the children run this interpreter on code written here

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from asset_client.store import (
    SCHEMA_VERSION,
    ChangeKind,
    Series,
    SnapshotStatus,
    SnapshotStore,
    StoreError,
)
from asset_client.store._schema import APPLICATION_ID
from tests._store_helpers import asset, stream

SERIES = Series(source="test", quote="usdt")
ROOT = Path(__file__).resolve().parents[2]


async def _first_snapshot(db: Path, count: int = 3) -> None:
    async with await SnapshotStore.open(db) as store:
        await store.record(stream([asset(uid) for uid in range(1, count + 1)]), SERIES)


async def _assert_first_snapshot_intact(db: Path, count: int = 3) -> None:
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    async with await SnapshotStore.open(db, readonly=True) as store:
        complete = [s for s in await store.snapshots() if s.status is SnapshotStatus.COMPLETE]
        assert [(s.id, s.records) for s in complete] == [(1, count)]
        changes = [c async for c in store.changes()]
    assert [(c.uid, c.kind) for c in changes] == [
        (uid, ChangeKind.NEW) for uid in range(1, count + 1)
    ]


async def _open_error(db: Path, readonly: bool = False) -> StoreError:
    with pytest.raises(StoreError) as info:
        await SnapshotStore.open(db, readonly=readonly)
    assert "\n" not in str(info.value)
    return info.value


async def test_a_file_that_is_not_sqlite_is_refused_untouched(tmp_path: Path) -> None:
    db = tmp_path / "notes.txt"
    content = b"these are my notes, not a database\n" * 200
    db.write_bytes(content)
    for readonly in (False, True):
        error = await _open_error(db, readonly)
        assert str(error) == f"{db} is not a SQLite database" and error.usage
    assert db.read_bytes() == content


async def test_another_programs_database_is_refused_untouched(tmp_path: Path) -> None:
    db = tmp_path / "other.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE mine (x)")
    before = db.read_bytes()
    error = await _open_error(db)
    assert "another program" in str(error) and error.usage
    assert db.read_bytes() == before


async def test_a_newer_schema_is_refused_and_left_as_it_is(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    await _first_snapshot(db)
    with sqlite3.connect(db) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    for readonly in (False, True):
        error = await _open_error(db, readonly)
        assert f"schema version {SCHEMA_VERSION + 1}, newer" in str(error)
        assert "upgrade asset-client" in str(error)
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION + 1,)
        assert conn.execute("SELECT count(*) FROM assets").fetchone() == (3,)


async def test_a_new_file_gets_the_current_schema_wal_and_our_application_id(
    tmp_path: Path,
) -> None:
    db = tmp_path / "new.sqlite"
    await _first_snapshot(db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        assert conn.execute("PRAGMA application_id").fetchone() == (APPLICATION_ID,)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


async def test_reading_a_missing_file_creates_nothing(tmp_path: Path) -> None:
    db = tmp_path / "absent.sqlite"
    error = await _open_error(db, readonly=True)
    assert "no history database" in str(error)
    assert not db.exists()


async def test_a_directory_is_refused(tmp_path: Path) -> None:
    error = await _open_error(tmp_path)
    assert "is a directory" in str(error)


def _make_read_only(db: Path) -> bool:
    """Read-only even for root (chattr +i) when possible; False if it cannot be done."""
    if os.geteuid() != 0:
        db.chmod(0o444)
        return True
    chattr = shutil.which("chattr")
    if chattr is None:
        return False
    return subprocess.run([chattr, "+i", str(db)], capture_output=True).returncode == 0


def _make_writable(db: Path) -> None:
    if os.geteuid() == 0:
        chattr = shutil.which("chattr")
        if chattr is not None:
            subprocess.run([chattr, "-i", str(db)], capture_output=True)
    db.chmod(0o644)


async def test_a_read_only_file_fails_to_sync_but_stays_readable(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    await _first_snapshot(db)
    if not _make_read_only(db):
        pytest.skip("cannot make a file read-only for root here (no chattr)")
    try:
        with pytest.raises(StoreError) as info:
            async with await SnapshotStore.open(db) as store:
                await store.record(stream([asset(9)]), SERIES)
        assert str(info.value).startswith(f"{db} is read-only")
        assert "\n" not in str(info.value)
        await _assert_first_snapshot_intact(db)
    finally:
        _make_writable(db)


def _child(script: str, db: Path, *, limit: int | None = None) -> subprocess.Popen[str]:
    code = textwrap.dedent(
        """
        import asyncio, resource, signal, sys
        from asset_client.store import Series, SnapshotStore, StoreError
        from tests._store_helpers import asset
        LIMIT = %r
        if LIMIT is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # fail the write, not the process
            resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))
        async def records(count, announce_at):
            for uid in range(1, count + 1):
                if uid == announce_at:
                    print("midway", flush=True)
                    await asyncio.Event().wait()
                yield asset(uid, balance="9")
        async def main():
            async with await SnapshotStore.open(sys.argv[1]) as store:
        %s
        asyncio.run(main())
        """
    ) % (limit, textwrap.indent(textwrap.dedent(script), " " * 8))
    return subprocess.Popen(
        [sys.executable, "-c", code, str(db)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def test_sigkill_mid_sync_leaves_the_previous_snapshot(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    await _first_snapshot(db)
    child = _child(
        "await store.record(records(60000, 40000), Series(source='test', quote='usdt'))", db
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == "midway\n"
        # Uncommitted pages really reached the disk (the cache spilled into the WAL).
        assert (tmp_path / "h.sqlite-wal").stat().st_size > 0
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    await _assert_first_snapshot_intact(db)
    async with await SnapshotStore.open(db) as store:  # and the next sync just works
        again = await store.record(stream([asset(1), asset(2)]), SERIES)
    assert (again.id, again.gone) == (2, 1)


async def test_a_full_disk_fails_in_one_line_and_keeps_the_history(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    await _first_snapshot(db)
    child = _child(
        """
        try:
            await store.record(records(50000, 0), Series(source='test', quote='usdt'))
        except StoreError as exc:
            print("error:", exc, flush=True)
        """,
        db,
        limit=256 * 1024,
    )
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    lines = out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), out
    assert "disk full" in lines[0] and "earlier snapshots are intact" in lines[0]
    await _assert_first_snapshot_intact(db)
