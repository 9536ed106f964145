"""A watch process for the kill test: ``python -m tests.watch._watch_proc DB URL``.

Cycles every few milliseconds over a small sandbox, delivering to URL; prints "ready"
once the files are open and "cycle" after each cycle (the test kills it at a
random moment after some)."""

from __future__ import annotations

import asyncio
import sys
from decimal import Decimal
from pathlib import Path

from asset_client.store import SnapshotStore
from asset_client.store.events import EventRules
from asset_client.watch import Backoff, Notifier, Outbox, Watch, WatchSettings, sync_once
from tests.watch._watch_helpers import small_target

RULES = EventRules(volume_milestone=Decimal(1000), volume_days=7)


async def main(db: Path, url: str, *, once: bool = False) -> None:
    """Watch ``db`` forever (or ``once``), delivering to ``url``."""
    target = small_target(100)
    settings = WatchSettings(every=0.01, once=once, rules=RULES, backoff=Backoff(first=0.01))
    async with await SnapshotStore.open(db, busy_timeout=30) as store, await Outbox.open(db) as box:
        print("ready", flush=True)
        watch = Watch(
            store=store,
            outbox=box,
            sync=lambda s, e: sync_once(target, s, events=e),
            settings=settings,
            notifier=Notifier([url]),
            on_cycle=lambda _: print("cycle", flush=True),
        )
        await watch.run()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2]))
