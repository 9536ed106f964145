"""Putting each new snapshot's events into the outbox (the history is read, never
written).

The sharp edge: a snapshot compared with nothing (the first of its series) announces
nothing unless ``announce_existing``: a watch started on 20,000 invitees records them
silently instead of sending 20,000 messages.  Events are derived from what is committed,
snapshot by snapshot, so a kill between a sync's commit and this step loses nothing: the
next start finds the snapshot underived and derives it.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta
from typing import Any, cast

from attrs import define, field

from asset_client.store import Snapshot, SnapshotStore, StoreError
from asset_client.store.events import Event, EventKind, EventRules, events_of, milestones
from asset_client.watch.outbox import Outbox

__all__ = ["Derived", "derive_pending", "events_between"]


@define
class Derived:
    """What one pass put into the outbox."""

    events: list[Event] = field(factory=list)
    added: int = 0  #: new to the outbox (an event derived twice counts once)
    silent: dict[str, int] = field(factory=dict)  #: records announced to nobody, by dataset


def _last_days(end: date | None, days: int) -> tuple[date, date] | None:
    return None if end is None else (end - timedelta(days=days - 1), end)


async def events_between(
    store: SnapshotStore,
    base: Snapshot | None,
    target: Snapshot,
    rules: EventRules | None = None,
    *,
    kinds: Collection[EventKind | str] = (),
    outbox: Outbox | None = None,
) -> list[Event]:
    """The events from ``base`` to ``target`` (of ``kinds`` only, if given): the library's
    ``changes --kind``.  Volume milestones need ``outbox`` (its SQL sums the days)."""
    events = await _events(store, outbox, base, target, rules or EventRules())
    wanted = {EventKind(k) for k in kinds}
    return [e for e in events if not wanted or e.kind in wanted]


async def _events(
    store: SnapshotStore,
    outbox: Outbox | None,
    base: Snapshot | None,
    target: Snapshot,
    rules: EventRules,
) -> list[Event]:
    events: list[Event] = []
    volume_uids: set[int] = set()
    table = None
    async for change in store.changes_between(base, target):
        events.extend(events_of(change, base, target, rules))
        if change.table.window_key is not None:
            volume_uids.add(change.uid)
            table = change.table
    if table is None or rules.volume_milestone is None or base is None or outbox is None:
        return events
    after_days = _last_days(target.window_end, rules.volume_days)
    before_days = _last_days(base.window_end, rules.volume_days)
    if after_days is None or before_days is None:
        return events
    uids = sorted(volume_uids)
    after = await outbox.call(outbox.db.volume_sums, table.name, target.id, after_days, uids)
    before = await outbox.call(outbox.db.volume_sums, table.name, base.id, before_days, uids)
    return events + milestones(before, after, base, target, rules)


async def derive_pending(
    store: SnapshotStore, outbox: Outbox, rules: EventRules, *, announce_existing: bool = False
) -> Derived:
    """Derive every complete snapshot not derived yet, oldest first, each in one outbox
    transaction with its marker."""
    result = Derived()
    pending = await outbox.call(outbox.db.underived)
    if not pending:
        return result
    by_id = {s.id: s for s in await store.snapshots()}
    for snapshot_id in pending:
        target = by_id[snapshot_id]
        try:
            base, _ = await store.resolve(
                until=snapshot_id, dataset=cast(Any, target.series.dataset)
            )
        except (StoreError, ValueError):  # a dataset this package cannot read: nothing to say
            await outbox.call(outbox.db.add, snapshot_id, [], silent=True)
            continue
        if base is None and not announce_existing:
            name = target.series.dataset
            result.silent[name] = result.silent.get(name, 0) + (target.records or 0)
            await outbox.call(outbox.db.add, snapshot_id, [], silent=True)
            continue
        events = await _events(store, outbox, base, target, rules)
        result.added += await outbox.call(outbox.db.add, snapshot_id, events, silent=False)
        result.events.extend(events)
    return result
