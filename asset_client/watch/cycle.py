"""The watch loop: each cycle syncs every dataset and puts the new snapshots' events
into the outbox (one transaction), delivers what is due, and sleeps.

The sharp edge: the steps are separately crash-safe, so a kill anywhere loses nothing —
a sync not committed is rolled back by SQLite, its events with it; a committed snapshot
has its events in the outbox already (one synced otherwise is derived by the catch-up
step); an event not yet marked sent is sent again (same id).  A cancel (SIGTERM/SIGINT)
is let through at once: the sync in progress rolls back.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from attrs import define, field, frozen

from asset_client.store import Derived, EventOutbox, Snapshot, SnapshotStore
from asset_client.store.events import EventRules
from asset_client.watch.deliver import Backoff, Delivery, deliver
from asset_client.watch.metrics import WatchMetrics
from asset_client.watch.notify import Notifier
from asset_client.watch.outbox import Outbox

__all__ = ["Cycle", "Watch", "WatchSettings"]

log = logging.getLogger("asset_client.watch")

#: Syncs every dataset once with the client it opens, the events into the outbox in the
#: sync's transaction (``store.sync_datasets(..., events=events)``): the new snapshots.
Sync = Callable[[SnapshotStore, EventOutbox], Awaitable[dict[str, Snapshot]]]


@frozen(kw_only=True)
class WatchSettings:
    every: float = 900.0  #: seconds from one cycle's start to the next's
    once: bool = False
    rules: EventRules = field(factory=EventRules)
    announce_existing: bool = False
    backoff: Backoff = field(factory=Backoff)


@define
class Cycle:
    """What one cycle did."""

    snapshots: dict[str, Snapshot] = field(factory=dict)
    derived: Derived = field(factory=Derived)
    delivery: Delivery = field(factory=Delivery)
    error: BaseException | None = None
    pending: int = 0
    seconds: float = 0.0


@define
class Watch:
    """One watch over one history file."""

    store: SnapshotStore
    outbox: Outbox
    sync: Sync
    settings: WatchSettings
    notifier: Notifier | None = None
    metrics: WatchMetrics | None = None
    on_cycle: Callable[[Cycle], None] | None = None

    async def cycle(self) -> Cycle:
        """One cycle; a sync that fails is logged and counted, and what is pending is
        still derived and delivered."""
        started = time.monotonic()
        done = Cycle()
        events = EventOutbox(
            rules=self.settings.rules, announce_existing=self.settings.announce_existing
        )
        try:
            done.snapshots = await self.sync(self.store, events)
        except Exception as exc:
            done.error = exc
        # The catch-up: snapshots synced otherwise (a plain sync, an older version).
        await self.store.derive_events(events)
        done.derived = events.derived
        done.delivery = await deliver(self.outbox, self.notifier, backoff=self.settings.backoff)
        done.pending = await self.outbox.call(self.outbox.db.pending_count)
        done.seconds = time.monotonic() - started
        self._count(done)
        if self.on_cycle is not None:
            self.on_cycle(done)
        return done

    def _count(self, done: Cycle) -> None:
        if self.metrics is None:
            return
        for event in done.derived.events:
            self.metrics.events.labels(event.kind.value).inc()
        self.metrics.delivered.inc(done.delivery.sent)
        self.metrics.cycle_done(ok=done.error is None, duration=done.seconds, pending=done.pending)

    async def run(self) -> Cycle:
        """Cycles until cancelled (or one with ``once``: its sync's error, if it failed,
        is raised once what was pending is delivered); the last cycle."""
        await self.outbox.call(self.outbox.db.prepare)
        while True:
            started = time.monotonic()
            done = await self.cycle()
            if self.settings.once:
                if done.error is not None:  # cron sees the failure (its exit status)
                    raise done.error
                return done
            await asyncio.sleep(max(0.0, self.settings.every - (time.monotonic() - started)))
