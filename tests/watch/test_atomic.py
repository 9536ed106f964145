"""A watch's sync and its events are one transaction (issue 18, item 4), proven with a
real process killed with SIGKILL on a real file: killed before the commit, neither the
snapshots nor their events are there; killed right after the sync returned (before any
derive or delivery step), both are, and the events are those the history implies."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from pathlib import Path

from asset_client.store import SnapshotStatus, SnapshotStore
from asset_client.store.events import EventRules
from asset_client.watch import Outbox, events_between

ROOT = Path(__file__).resolve().parents[2]


async def _start(db: Path, mode: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.watch._sync_proc",
        str(db),
        mode,
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


async def _line(proc: asyncio.subprocess.Process) -> str:
    assert proc.stdout is not None and proc.stderr is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 120)
    if not line:
        await proc.wait()
        raise AssertionError(f"the sync process ended: {(await proc.stderr.read())[-3000:]!r}")
    return line.decode().strip()


async def _kill(proc: asyncio.subprocess.Process) -> None:
    proc.send_signal(signal.SIGKILL)
    await proc.wait()
    assert proc.returncode == -signal.SIGKILL


def _counts(db: Path) -> tuple[int, int, int]:
    """(complete snapshots, outbox events, derived markers), on a fresh connection."""
    conn = sqlite3.connect(db)
    try:
        (snapshots,) = conn.execute(
            "SELECT count(*) FROM snapshots WHERE status = 'complete'"
        ).fetchone()
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        if "outbox" not in tables:
            return snapshots, 0, 0
        (events,) = conn.execute("SELECT count(*) FROM outbox").fetchone()
        (markers,) = conn.execute("SELECT count(*) FROM outbox_derived").fetchone()
        return snapshots, events, markers
    finally:
        conn.close()


async def test_killed_before_the_commit_keeps_neither_snapshots_nor_events(
    tmp_path: Path,
) -> None:
    db = tmp_path / "h.sqlite"
    proc = await _start(db, "before-commit")
    try:
        assert await _line(proc) == "committing"  # rows and events written, not committed
        assert _counts(db) == (0, 0, 0)
    finally:
        await _kill(proc)
    assert _counts(db) == (0, 0, 0)
    async with await SnapshotStore.open(db, readonly=True) as store:
        assert [s for s in await store.snapshots() if s.status is SnapshotStatus.COMPLETE] == []
    # the control: let the same sync commit, and both are there
    proc = await _start(db, "before-commit")
    try:
        assert await _line(proc) == "committing"
        assert proc.stdin is not None
        proc.stdin.write(b"go\n")
        synced = (await _line(proc)).split()
    finally:
        await _kill(proc)
    snapshots, events, markers = _counts(db)
    assert synced[0] == "synced" and int(synced[-1]) == events > 100
    assert snapshots == markers == len(synced) - 2


async def test_killed_right_after_the_sync_its_events_are_in_the_outbox(
    tmp_path: Path,
) -> None:
    db = tmp_path / "h.sqlite"
    proc = await _start(db, "after-sync")
    try:
        synced = (await _line(proc)).split()
    finally:
        await _kill(proc)  # before any derive or delivery step
    ids = [int(i) for i in synced[1:-1]]
    snapshots, events, markers = _counts(db)
    assert synced[0] == "synced" and int(synced[-1]) == events
    assert snapshots == markers == len(ids) == 3
    # exactly the events the history implies, computed afresh from the snapshots
    implied: set[str] = set()
    async with (
        await SnapshotStore.open(db, readonly=True) as store,
        await Outbox.open(db, readonly=True) as outbox,
    ):
        for target in await store.snapshots():
            implied |= {e.id for e in await events_between(store, None, target, EventRules())}
        rows = await outbox.call(outbox.db.rows)
    assert len(implied) > 100
    assert {r.event.id for r in rows} == implied
    assert {r.event.snapshot for r in rows} <= set(ids)
    assert all(r.sent_at is None for r in rows)  # pending: the next start delivers them
