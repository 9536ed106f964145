"""Putting snapshots' events into the outbox on the store's own connection (blocking
calls, the store's worker thread): inside a sync's transaction, or as a catch-up.

The sharp edge: a sync's snapshots are not committed when their events are computed, so
the changes and the volume sums are read on the connection that wrote them (any other
still sees the file as it was); the events and the ``outbox_derived`` markers then
commit with the snapshots, or vanish with them.  A snapshot compared with nothing (the
first of its series) announces nothing unless ``announce_existing``: a watch started on
20,000 invitees records them silently instead of sending 20,000 messages.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection

from attrs import define, field

from asset_client.store._datasets import dataset_of
from asset_client.store._db import Database
from asset_client.store._errors import StoreError
from asset_client.store._models import Snapshot
from asset_client.store._outbox import ensure_tables, exists, insert_events, underived, volume_sums
from asset_client.store._read import Reader
from asset_client.store._table import DatasetTable
from asset_client.store.events import Event, EventRules, events_of, milestone_days, milestones

__all__ = ["Derived", "EventOutbox", "catch_up", "derive", "events_for"]


@define
class Derived:
    """What was put into the outbox."""

    events: list[Event] = field(factory=list)
    added: int = 0  #: new to the outbox (an event derived twice counts once)
    silent: dict[str, int] = field(factory=dict)  #: records announced to nobody, by dataset

    def merge(self, other: Derived) -> None:
        self.events.extend(other.events)
        self.added += other.added
        for name, n in other.silent.items():
            self.silent[name] = self.silent.get(name, 0) + n


@define(kw_only=True)
class EventOutbox:
    """``store.sync_datasets(client, events=EventOutbox(rules))``: the sync's commit also
    puts its snapshots' events (and any earlier snapshot's not derived yet) into the
    file's outbox, in the same transaction.  ``derived`` gathers what committed."""

    rules: EventRules = field(factory=EventRules)
    announce_existing: bool = False
    derived: Derived = field(factory=Derived)


def events_for(
    db: Database, table: DatasetTable, base: Snapshot | None, target: Snapshot, rules: EventRules
) -> list[Event]:
    """The events from ``base`` to ``target``, read on ``db``'s connection."""
    events: list[Event] = []
    volume_uids: set[int] = set()
    for batch in Reader(db).changes(table, base, target):
        for change in batch:
            events.extend(events_of(change, base, target, rules))
            if table.window_key is not None:
                volume_uids.add(change.uid)
    days = milestone_days(base, target, rules)
    if not volume_uids or days is None or base is None:
        return events
    before_days, after_days = days
    uids = sorted(volume_uids)
    after = volume_sums(db.conn, table.name, target.id, after_days, uids)
    before = volume_sums(db.conn, table.name, base.id, before_days, uids)
    return events + milestones(before, after, base, target, rules)


def _derive_one(db: Database, snapshot_id: int, how: EventOutbox, into: Derived) -> None:
    target = db.snapshot(snapshot_id)
    assert target is not None  # listed by `underived` in this transaction
    try:
        table = dataset_of(target.series.dataset)
        base, _ = Reader(db).resolve(None, snapshot_id, None, table.name)
    except (StoreError, ValueError):  # a dataset this package cannot read: nothing to say
        insert_events(db.conn, snapshot_id, [], silent=True)
        return
    if base is None and not how.announce_existing:
        name = target.series.dataset
        into.silent[name] = into.silent.get(name, 0) + (target.records or 0)
        insert_events(db.conn, snapshot_id, [], silent=True)
        return
    events = events_for(db, table, base, target, how.rules)
    into.added += insert_events(db.conn, snapshot_id, events, silent=False)
    into.events.extend(events)


def derive(db: Database, how: EventOutbox, *, keep: Collection[int] = ()) -> Derived:
    """In the caller's open transaction: every complete snapshot not derived yet, oldest
    first (the outbox made if new: ``keep``, the sync's own snapshots, are not marked
    silent as the file's past is)."""
    assert db.conn.in_transaction
    done = Derived()
    try:
        ensure_tables(db.conn, keep=keep)
        for snapshot_id in underived(db.conn):
            _derive_one(db, snapshot_id, how, done)
    except sqlite3.Error as exc:
        raise db.error(exc, "writing events to") from None
    return done


def catch_up(db: Database, how: EventOutbox) -> Derived:
    """The snapshots no sync derived (a plain ``sync``, an older version), in one
    transaction of their own; the write lock is taken only if there are any."""
    try:
        if exists(db.conn) and not underived(db.conn):
            return Derived()
        db.conn.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as exc:
        raise db.error(exc, "locking") from None
    try:
        done = derive(db, how)
        db.conn.execute("COMMIT")
    except BaseException:
        db.conn.execute("ROLLBACK")
        raise
    return done
