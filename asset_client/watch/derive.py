"""The events of the history's snapshots, for the watch: a catch-up of the snapshots no
sync put in the outbox, and the events between any two snapshots (``changes --kind``).

The sharp edge: a watch's own syncs put their events in the outbox in the snapshot's
transaction (`EventOutbox`); `derive_pending` is only the catch-up for snapshots synced
otherwise (a plain ``sync``, an older version, a sync that failed after another process
synced), so a kill at any moment loses nothing: the next start finds them underived.
"""

from __future__ import annotations

from collections.abc import Collection

from asset_client.store import Derived, EventOutbox, Snapshot, SnapshotStore
from asset_client.store.events import (
    Event,
    EventKind,
    EventRules,
    events_of,
    milestone_days,
    milestones,
)
from asset_client.watch.outbox import Outbox

__all__ = ["Derived", "derive_pending", "events_between"]


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
    days = milestone_days(base, target, rules)
    if table is None or days is None or base is None or outbox is None:
        return events
    before_days, after_days = days
    uids = sorted(volume_uids)
    after = await outbox.call(outbox.db.volume_sums, table.name, target.id, after_days, uids)
    before = await outbox.call(outbox.db.volume_sums, table.name, base.id, before_days, uids)
    return events + milestones(before, after, base, target, rules)


async def derive_pending(
    store: SnapshotStore, rules: EventRules, *, announce_existing: bool = False
) -> Derived:
    """Put the events of every complete snapshot not derived yet into the outbox, oldest
    first, in one transaction with their markers (on the store's connection)."""
    return await store.derive_events(EventOutbox(rules=rules, announce_existing=announce_existing))
