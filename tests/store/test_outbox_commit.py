"""A snapshot's events go into the outbox in the snapshot's own transaction (issue 18,
item 4), checked on real SQLite files from a connection of the test's own: both are
there after the commit with no other step run, or neither after a failure inside it;
the catch-up derives what a plain sync left, with the same ids."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from asset_client import InviteeAsset
from asset_client.records import Invitee
from asset_client.store import EventOutbox, Series, SnapshotStore, StoreError
from asset_client.store.events import EventKind

WHEN = datetime(2026, 5, 1, tzinfo=UTC)
ASSETS = Series(dataset="assets", source="test", quote="usdt")
INVITEES = Series(dataset="invitees", source="test", quote="")
#: day 0: 1..4 invited, 1 and 2 deposited; day 1: 4 left, 5 joined, 3 made a first
#: deposit of 250, 1 deposited 25 more, 2 withdrew 10.
DAYS = (
    {1: ("100", "0"), 2: ("100", "0"), 3: ("0", "0"), 4: ("0", "0")},
    {1: ("125", "0"), 2: ("100", "10"), 3: ("250", "0"), 5: ("0", "0")},
)
DAY_ONE = {
    (EventKind.DEPOSIT, 1),
    (EventKind.WITHDRAWAL, 2),
    (EventKind.FIRST_DEPOSIT, 3),
    (EventKind.GONE, 4),
    (EventKind.NEW_INVITEE, 5),
}


async def _stream(records: Iterable[object]) -> AsyncIterator[object]:
    for record in records:
        yield record


async def _record(store: SnapshotStore, day: int, events: EventOutbox | None) -> list[int]:
    """Both datasets of ``day``; their snapshot ids."""
    money = DAYS[day]
    assets = [
        InviteeAsset(u, Decimal(d), Decimal(w), Decimal(d) - Decimal(w), WHEN)
        for u, (d, w) in money.items()
    ]
    invitees = [Invitee(uid=u, register_time=WHEN) for u in money]
    a = await store.record(_stream(assets), ASSETS, events=events)
    i = await store.record(_stream(invitees), INVITEES, events=events)
    return [a.id, i.id]


def _look(db: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """A query on a fresh connection of the test's own (sees only what is committed)."""
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def _outbox(db: Path) -> set[tuple[str, int, int]]:
    """(kind, uid, snapshot) of every event in the outbox."""
    return {
        (str(k), int(str(u)), int(str(s)))
        for k, u, s in _look(db, "SELECT kind, uid, snapshot_id FROM outbox")
    }


async def test_a_committed_snapshot_has_its_events_with_no_other_step(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    async with await SnapshotStore.open(db) as store:
        first = EventOutbox()
        await _record(store, 0, first)
        events = EventOutbox()
        ids = await _record(store, 1, events)
    # the first snapshots are recorded silently (nothing to compare them with)
    assert first.derived.added == 0 and first.derived.silent == {"assets": 4, "invitees": 4}
    # a fresh connection, nothing derived since the commit: the events are in the outbox
    found = _outbox(db)
    assert {(k, u) for k, u, _ in found} == {(k.value, u) for k, u in DAY_ONE}
    assert {s for _, _, s in found} == set(ids)
    markers = _look(db, "SELECT snapshot_id, silent FROM outbox_derived ORDER BY snapshot_id")
    assert [m for m in markers if m[0] in ids] == [(ids[0], 0), (ids[1], 0)]
    assert events.derived.added == len(found) == len(events.derived.events)
    async with await SnapshotStore.open(db) as store:
        # and the catch-up has nothing left to do
        again = await store.derive_events(EventOutbox())
    assert again.added == 0 and again.events == [] and again.silent == {}


async def test_a_failure_inside_the_commit_keeps_neither_snapshot_nor_events(
    tmp_path: Path,
) -> None:
    db = tmp_path / "h.sqlite"
    async with await SnapshotStore.open(db) as store:
        await _record(store, 0, EventOutbox())
    before = _look(db, "SELECT id, status FROM snapshots ORDER BY id")
    # A real SQLite failure in the events' step, after the snapshot's rows are written.
    conn = sqlite3.connect(db)
    conn.execute(
        "CREATE TRIGGER refuse BEFORE INSERT ON outbox_derived "
        "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
    )
    conn.commit()
    conn.close()
    events = EventOutbox()
    async with await SnapshotStore.open(db) as store:
        with pytest.raises(StoreError, match="refused by the test"):
            await store.record(
                _stream([Invitee(uid=9, register_time=WHEN)]), INVITEES, events=events
            )
    after = _look(db, "SELECT id, status FROM snapshots ORDER BY id")
    assert after[: len(before)] == before
    assert [status for _, status in after[len(before) :]] == ["failed"]  # the attempt, noted
    assert _look(db, "SELECT count(*) FROM outbox") == [(0,)]
    assert _look(db, "SELECT count(*) FROM invitees WHERE uid = 9") == [(0,)]
    assert events.derived.added == 0 and events.derived.events == []
    # once SQLite takes them again, the next sync's commit holds both
    _look(db, "DROP TRIGGER refuse")
    async with await SnapshotStore.open(db) as store:
        ids = await _record(store, 1, EventOutbox())
    assert {s for _, _, s in _outbox(db)} == set(ids)


async def test_the_catch_up_derives_a_plain_sync_with_the_same_ids(tmp_path: Path) -> None:
    plain, atomic = tmp_path / "plain.sqlite", tmp_path / "atomic.sqlite"
    async with await SnapshotStore.open(plain) as store:
        await _record(store, 0, None)
        await _record(store, 1, None)
        assert _look(plain, "SELECT name FROM sqlite_master WHERE name = 'outbox'") == []
        # an outbox made now: the file's past is marked, not announced
        assert (await store.derive_events(EventOutbox())).added == 0
        await _record(store, 0, None)  # a plain sync after the outbox exists
        caught = await store.derive_events(EventOutbox())
    async with await SnapshotStore.open(atomic) as store:
        await _record(store, 0, EventOutbox())
        await _record(store, 1, EventOutbox())
        await _record(store, 0, EventOutbox())
        left = await store.derive_events(EventOutbox())
    assert left.events == []  # every sync put its own there
    # day 1 -> day 0 again: the reverse of DAY_ONE's membership changes
    assert {(e.kind, e.uid) for e in caught.events} >= {
        (EventKind.NEW_INVITEE, 4),
        (EventKind.GONE, 5),
    }
    # the same events, the same ids, as the syncs that put them in their own commit
    last = {r[0] for r in _look(atomic, "SELECT id FROM outbox WHERE snapshot_id > 4")}
    assert last and {e.id for e in caught.events} == last


async def test_a_sync_makes_the_outbox_and_marks_only_the_past_silent(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    async with await SnapshotStore.open(db) as store:
        old = await _record(store, 0, None)
        new = await _record(store, 1, EventOutbox())
    markers = {
        int(str(i)): int(str(silent))
        for i, silent in _look(db, "SELECT snapshot_id, silent FROM outbox_derived")
    }
    assert markers == {old[0]: 1, old[1]: 1, new[0]: 0, new[1]: 0}
    assert {(k, u) for k, u, _ in _outbox(db)} == {(k.value, u) for k, u in DAY_ONE}


async def test_announce_existing_announces_a_first_snapshot_in_its_commit(
    tmp_path: Path,
) -> None:
    db = tmp_path / "h.sqlite"
    async with await SnapshotStore.open(db) as store:
        events = EventOutbox(announce_existing=True)
        await _record(store, 0, events)
    assert events.derived.silent == {}
    assert {(k, u) for k, u, _ in _outbox(db)} == {
        *((EventKind.NEW_INVITEE.value, u) for u in (1, 2, 3, 4)),
        (EventKind.FIRST_DEPOSIT.value, 1),
        (EventKind.FIRST_DEPOSIT.value, 2),
    }
