"""Who may read a history file, and reading where nothing may be written (issue 21 #2, #7).

Real files: a new history and its -wal/-shm are owner-only; a reader opens read-only,
reads a history in a directory it cannot write (chattr +i for root, chmod otherwise),
and leaves no side files beside a file it refuses.
"""

# ruff: noqa: S603 - chattr, found on PATH, on a directory made here

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from asset_client.store import ChangeKind, Series, SnapshotStore, StoreError
from tests._store_helpers import asset, stream

SERIES = Series(source="test", quote="usdt")


def _names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.usefixtures("umask_022")
async def test_a_new_history_and_its_side_files_are_owner_only(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    async with await SnapshotStore.open(db) as store:
        await store.record(stream([asset(1)]), SERIES)
        sides = [Path(f"{db}-wal"), Path(f"{db}-shm")]
        assert all(side.exists() for side in sides)  # while the writer is open
        assert [_mode(p) for p in (db, *sides)] == [0o600, 0o600, 0o600]


@pytest.mark.usefixtures("umask_022")
async def test_file_mode_widens_a_new_file_only(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    async with await SnapshotStore.open(db, file_mode=0o640) as store:
        await store.record(stream([asset(1)]), SERIES)
        assert _mode(db) == _mode(Path(f"{db}-wal")) == 0o640
    db.chmod(0o600)
    async with await SnapshotStore.open(db, file_mode=0o644):
        assert _mode(db) == 0o600  # an existing file keeps its mode


def _freeze(directory: Path) -> bool:
    """Make ``directory`` unwritable, even for root (chattr +i); False if impossible."""
    if os.geteuid() != 0:
        directory.chmod(0o555)
        return True
    chattr = shutil.which("chattr")
    if chattr is None:
        return False
    return subprocess.run([chattr, "+i", str(directory)], capture_output=True).returncode == 0


def _thaw(directory: Path) -> None:
    if os.geteuid() == 0 and (chattr := shutil.which("chattr")) is not None:
        subprocess.run([chattr, "-i", str(directory)], capture_output=True)
    directory.chmod(0o755)


def _frozen_or_skip(directory: Path) -> None:
    if not _freeze(directory):
        if os.environ.get("CI") == "true":
            pytest.fail("cannot make a directory read-only here (root without chattr)")
        pytest.skip("cannot make a directory read-only here (root without chattr)")


async def test_a_history_in_a_read_only_directory_is_readable(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "h.sqlite"
    async with await SnapshotStore.open(db) as store:
        await store.record(stream([asset(1), asset(2)]), SERIES)
        await store.record(stream([asset(1, "2"), asset(3)]), SERIES)
    before = _names(folder)
    assert before == ["h.sqlite"]  # the writer's clean close removed its side files
    _frozen_or_skip(folder)
    try:
        assert not os.access(folder, os.W_OK)
        async with await SnapshotStore.open(db, readonly=True) as store:
            assert [s.id for s in await store.snapshots()] == [1, 2]
            changes = [(c.uid, c.kind) async for c in store.changes()]
            history = await store.history(1)
        assert changes == [(1, ChangeKind.CHANGED), (2, ChangeKind.GONE), (3, ChangeKind.NEW)]
        assert [(h.since, h.until) for h in history] == [(1, 2), (2, None)]
        with pytest.raises(StoreError, match="read-only"):
            async with await SnapshotStore.open(db) as store:
                await store.record(stream([asset(9)]), SERIES)
    finally:
        _thaw(folder)
    assert _names(folder) == before


async def test_a_refused_file_gets_no_side_files(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA application_id = 42")
        conn.execute("CREATE TABLE t (x)")
    conn.close()
    garbage = tmp_path / "notes.txt"
    garbage.write_text("not a database, but long enough to have a header. " * 4)
    for path, message in ((other, "another program"), (garbage, "not a SQLite database")):
        with pytest.raises(StoreError, match=message):
            await SnapshotStore.open(path, readonly=True)
    assert _names(tmp_path) == ["notes.txt", "other.sqlite"]
