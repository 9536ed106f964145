"""The history store on real SQLite files: syncs against the sandbox, changes, history,
atomicity, concurrency.  (Bad files and crashes: test_store_files.py.)"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from asset_client import InviteeAsset
from asset_client.store import (
    Change,
    ChangeKind,
    Series,
    SnapshotStatus,
    SnapshotStore,
    StoreBusyError,
    StoreError,
)
from tests._store_helpers import (
    SANDBOX,
    asset,
    expected_changes,
    stream,
    sync_day,
    truth,
)


def _as_tuples(
    changes: list[Change],
) -> list[tuple[int, str, dict[str, str | None] | None, dict[str, str | None] | None]]:
    return [
        (
            c.uid,
            c.kind.value,
            None if c.before is None else dict(c.before),
            None if c.after is None else dict(c.after),
        )
        for c in changes
    ]


async def _changes(store: SnapshotStore, **kwargs: object) -> list[Change]:
    return [change async for change in store.changes(**kwargs)]  # type: ignore[arg-type]


def _rows(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        (count,) = conn.execute("SELECT count(*) FROM assets").fetchone()
    return int(count)


async def test_two_syncs_record_exactly_what_changed(tmp_path: Path, api_key: str) -> None:
    db = tmp_path / "h.sqlite"
    day0, day1 = truth(0), truth(1)
    async with await SnapshotStore.open(db) as store:
        first = await sync_day(store, api_key, 0)
        second = await sync_day(store, api_key, 1)
        got = await _changes(store)
    want = expected_changes(day0, day1)
    assert _as_tuples(got) == want
    kinds = {kind: sum(1 for w in want if w[1] == kind) for kind in ("new", "changed", "gone")}
    assert all(kinds.values())  # the sandbox's day has joins, activity and leaves
    assert (first.records, first.new, first.changed, first.gone) == (len(day0), len(day0), 0, 0)
    assert (second.records, second.new, second.changed, second.gone) == (
        len(day1),
        kinds["new"],
        kinds["changed"],
        kinds["gone"],
    )
    # Only what changed was stored: one row per new or changed version.
    assert _rows(db) == len(day0) + kinds["new"] + kinds["changed"]
    # Exact sums, as the server's decimal strings add up.
    assert second.total_deposit == sum(Decimal(str(r["total_deposit"])) for r in day1.values())
    assert second.current_balance == sum(Decimal(str(r["current_balance"])) for r in day1.values())
    assert second.series == SANDBOX
    assert first.taken_at < second.taken_at and second.taken_at.tzinfo is not None


async def test_first_deposits_since_yesterday_as_a_bot_asks(tmp_path: Path, api_key: str) -> None:
    async with await SnapshotStore.open(tmp_path / "h.sqlite") as store:
        await sync_day(store, api_key, 0)
        await sync_day(store, api_key, 1)
        firsts = [
            c.uid
            async for c in store.changes()
            if c.after_asset is not None
            and c.after_asset.first_deposit_time is not None
            and (c.before_asset is None or c.before_asset.first_deposit_time is None)
        ]
    day0, day1 = truth(0), truth(1)
    want = [
        uid
        for uid in sorted(day1)
        if day1[uid]["first_deposit_time"] is not None
        and (uid not in day0 or day0[uid]["first_deposit_time"] is None)
    ]
    assert firsts == want and firsts


async def test_history_of_one_uid_follows_its_versions(tmp_path: Path, api_key: str) -> None:
    async with await SnapshotStore.open(tmp_path / "h.sqlite") as store:
        await sync_day(store, api_key, 0)
        await sync_day(store, api_key, 1)
        changed = next(c for c in await _changes(store) if c.kind is ChangeKind.CHANGED)
        gone = next(c for c in await _changes(store) if c.kind is ChangeKind.GONE)
        history = await store.history(changed.uid)
        gone_history = await store.history(gone.uid)
        nobody = await store.history(1)
    assert [(h.since, h.until) for h in history] == [(1, 2), (2, None)]
    assert [dict(h.values) for h in history] == [changed.before, changed.after]
    assert history[1].asset == changed.after_asset
    assert [(h.since, h.until) for h in gone_history] == [(1, 2)]
    assert nobody == []


async def test_an_unchanged_day_stores_no_rows(tmp_path: Path, api_key: str) -> None:
    db = tmp_path / "h.sqlite"
    async with await SnapshotStore.open(db) as store:
        await sync_day(store, api_key, 0)
        rows = _rows(db)
        again = await sync_day(store, api_key, 0)
        assert await _changes(store) == []
    assert (again.new, again.changed, again.gone) == (0, 0, 0)
    assert _rows(db) == rows


async def test_since_and_until_pick_snapshots_of_the_same_series(tmp_path: Path) -> None:
    series = Series(source="test", quote="usdt")
    other = Series(source="test", quote="usdc")
    async with await SnapshotStore.open(tmp_path / "h.sqlite") as store:
        s1 = await store.record(stream([asset(1), asset(2)]), series)
        s2 = await store.record(stream([asset(1, "2"), asset(2)]), series)
        s3 = await store.record(stream([asset(1, "3"), asset(3)]), series)
        o4 = await store.record(stream([asset(9)]), other)
        # The newest snapshot overall is usdc's: its only earlier state is empty.
        assert [(c.uid, c.kind) for c in await _changes(store)] == [(9, ChangeKind.NEW)]
        latest = await _changes(store, quote="usdt")
        assert [(c.uid, c.kind) for c in latest] == [
            (1, ChangeKind.CHANGED),
            (2, ChangeKind.GONE),
            (3, ChangeKind.NEW),
        ]
        assert latest[0].before is not None and latest[0].before["current_balance"] == "2"
        since_first = await _changes(store, since=s1.id, quote="usdt")
        assert since_first[0].before is not None
        assert since_first[0].before["current_balance"] == "1.00000000"
        until_second = await _changes(store, until=s2.id)
        assert [(c.uid, c.kind) for c in until_second] == [(1, ChangeKind.CHANGED)]
        # A time means the newest snapshot taken at or before it.
        at = s2.taken_at + (s3.taken_at - s2.taken_at) / 2
        assert await _changes(store, since=at, quote="usdt") == latest
        assert [c.uid for c in await _changes(store, since=s1.taken_at, quote="usdt")] == [
            1,
            2,
            3,
        ]
        with pytest.raises(StoreError, match="another series"):
            await _changes(store, since=s1.id, until=o4.id)
        with pytest.raises(StoreError, match="taken at or before"):
            await _changes(store, since=s1.taken_at - timedelta(days=1), quote="usdt")
        with pytest.raises(StoreError, match="not older"):
            await _changes(store, since=s3.id, until=s2.id)
        with pytest.raises(StoreError, match="no complete snapshot #99"):
            await _changes(store, since=99, quote="usdt")


async def test_since_at_or_after_the_newest_snapshot_is_no_change(tmp_path: Path) -> None:
    """Issue 21 #4: "the newest snapshot taken at or before" a time after the newest
    snapshot is the newest itself, so a cron job asking "since now" sees nothing again."""
    series = Series(source="test", quote="usdt")
    async with await SnapshotStore.open(tmp_path / "h.sqlite") as store:
        await store.record(stream([asset(1), asset(2)]), series)
        s2 = await store.record(stream([asset(1, "2"), asset(3)]), series)
        assert len(await _changes(store)) == 3  # the last sync's changes, by default
        for since in (
            s2.taken_at,
            s2.taken_at + timedelta(seconds=1),
            datetime(2999, 1, 1, tzinfo=UTC),
            s2.id,
        ):
            base, target = await store.resolve(since=since)
            assert (base, target) == (s2, s2)
            assert await _changes(store, since=since) == []


async def test_a_uid_changed_and_changed_back_is_not_a_change(tmp_path: Path) -> None:
    series = Series(source="test", quote="usdt")
    async with await SnapshotStore.open(tmp_path / "h.sqlite") as store:
        s1 = await store.record(stream([asset(1), asset(2)]), series)
        await store.record(stream([asset(1, "5"), asset(3)]), series)
        await store.record(stream([asset(1), asset(2), asset(3)]), series)
        assert [(c.uid, c.kind) for c in await _changes(store, since=s1.id)] == [
            (3, ChangeKind.NEW)
        ]
        history = await store.history(2)
    assert [(h.since, h.until) for h in history] == [(1, 2), (3, None)]  # gone, then back


async def test_records_in_any_order_are_taken_but_a_uid_twice_is_refused(tmp_path: Path) -> None:
    series = Series(source="test", quote="usdt")
    async with await SnapshotStore.open(tmp_path / "h.sqlite") as store:
        await store.record(stream([asset(1)]), series)
        backwards = await store.record(stream([asset(3), asset(2), asset(1, "5")]), series)
        assert (backwards.new, backwards.changed, backwards.gone) == (2, 1, 0)
        with pytest.raises(StoreError, match=r"came twice in one snapshot \(uid 2\)"):
            await store.record(stream([asset(5), asset(2), asset(2, "9")]), series)
        # Twice across batches too (the first batch holds the first copy).
        many = [asset(uid) for uid in range(1, 1500)]
        with pytest.raises(StoreError, match=r"came twice in one snapshot \(uid 7\)"):
            await store.record(stream([*many, asset(7, "8")]), series)
        snapshots = await store.snapshots()
        assert [s.status for s in snapshots] == [
            SnapshotStatus.COMPLETE,
            SnapshotStatus.COMPLETE,
            SnapshotStatus.FAILED,
            SnapshotStatus.FAILED,
        ]
        assert snapshots[2].error is not None and "twice" in snapshots[2].error
        # Still the second snapshot: nothing of the refused ones was kept.
        assert [(c.uid, c.kind) for c in await _changes(store)] == [
            (1, ChangeKind.CHANGED),
            (2, ChangeKind.NEW),
            (3, ChangeKind.NEW),
        ]


async def _many(count: int, reached: asyncio.Event, at: int) -> AsyncIterator[InviteeAsset]:
    for uid in range(1, count + 1):
        if uid == at:
            reached.set()
            await asyncio.Event().wait()  # the walk "hangs" here until cancelled
        yield asset(uid, balance="7")


async def test_cancelling_a_sync_keeps_the_previous_snapshot(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    series = Series(source="test", quote="usdt")
    async with await SnapshotStore.open(db) as store:
        await store.record(stream([asset(1), asset(2)]), series)
        reached = asyncio.Event()
        task = asyncio.create_task(store.record(_many(5000, reached, 3500), series))
        await reached.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert [(c.uid, c.kind) for c in await _changes(store)] == [
            (1, ChangeKind.NEW),
            (2, ChangeKind.NEW),
        ]
        snapshots = await store.snapshots()
        assert [s.status for s in snapshots] == [
            SnapshotStatus.COMPLETE,
            SnapshotStatus.INTERRUPTED,
        ]
        assert (snapshots[1].error, snapshots[1].records) == ("interrupted", None)
        # Running it again is safe: a whole new snapshot.
        third = await store.record(stream([asset(1), asset(3)]), series)
        assert (third.new, third.changed, third.gone) == (1, 0, 1)
    assert _rows(db) == 3


async def _failing(after: int) -> AsyncIterator[InviteeAsset]:
    for uid in range(1, after + 1):
        yield asset(uid)
    raise ConnectionError("network went away")


async def test_a_walk_that_fails_midway_records_nothing(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    series = Series(source="test", quote="usdt")
    async with await SnapshotStore.open(db) as store:
        await store.record(stream([asset(1)]), series)
        with pytest.raises(ConnectionError):
            await store.record(_failing(2500), series)
        snapshots = await store.snapshots()
    assert _rows(db) == 1
    assert snapshots[-1].status is SnapshotStatus.FAILED
    assert snapshots[-1].error == "ConnectionError: network went away"
    assert snapshots[-1].records is None


async def test_a_second_sync_fails_clearly_while_one_holds_the_lock(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    series = Series(source="test", quote="usdt")
    async with await SnapshotStore.open(db) as store:
        await store.record(stream([asset(1)]), series)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # what a running sync holds
    try:
        async with await SnapshotStore.open(db, busy_timeout=0.05) as store:
            with pytest.raises(StoreBusyError, match="locked by another sync"):
                await store.record(stream([asset(2)]), series)
            # Readers are not blocked by a writer.
            assert [c.uid for c in await _changes(store)] == [1]
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    async with await SnapshotStore.open(db, readonly=True) as store:
        assert [s.status for s in await store.snapshots()] == [SnapshotStatus.COMPLETE]


async def test_concurrent_syncs_on_one_file_take_turns(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    series = Series(source="test", quote="usdt")
    first_in = asyncio.Event()

    async def slow() -> AsyncIterator[InviteeAsset]:
        for uid in range(1, 3001):
            if uid == 2000:
                first_in.set()
                await asyncio.sleep(0)
            yield asset(uid)

    async with (
        await SnapshotStore.open(db, busy_timeout=30) as one,
        await SnapshotStore.open(db, busy_timeout=30) as two,
    ):
        task_one = asyncio.create_task(one.record(slow(), series))
        await first_in.wait()  # one holds the lock now
        second = await two.record(stream([asset(uid) for uid in range(1, 3001)]), series)
        first = await task_one
    assert first.id < second.id
    assert (first.new, second.new, second.changed, second.gone) == (3000, 0, 0, 0)
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert _rows(db) == 3000


async def test_snapshots_list_parameters_and_sums(tmp_path: Path) -> None:
    series = Series(
        source="test",
        quote="usdc",
        start_time="2026-03-01 00:00:00",
        end_time="2026-05-31 23:59:59",
        server_timezone="Asia/Shanghai",
    )
    async with await SnapshotStore.open(tmp_path / "h.sqlite") as store:
        made = await store.record(
            stream([asset(1, "0.10", "1.5"), asset(2, "0.20000000", "2.25")]), series
        )
        (listed,) = await store.snapshots()
    assert listed == made
    assert listed.series == series
    assert (listed.records, listed.total_deposit, listed.current_balance) == (
        2,
        Decimal("3.75"),
        Decimal("0.30000000"),
    )
    assert str(listed.current_balance) == "0.30000000"  # exact, digits as summed
    assert listed.taken_at <= listed.finished_at <= datetime.now(UTC)
