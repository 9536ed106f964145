"""A watch's sync for the atomicity kill test: ``python -m tests.watch._sync_proc DB MODE``.

One sync of a small sandbox with its events (announced: the history is empty), as a
watch cycle runs it.  ``before-commit``: prints "committing" when the snapshots and
their events are written but not committed, then waits for a line on stdin;
``after-sync``: prints "synced" once the sync returned, before any derive or delivery
step, then waits.  The test kills it while it waits.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from asset_client.store import EventOutbox, Snapshot, SnapshotStore
from asset_client.store._write import Writer
from asset_client.watch import sync_once
from tests.watch._watch_helpers import small_target


def _pause_before_commit() -> None:
    """Writer.commit, told about and held until stdin says go (on the store's thread)."""
    commit = Writer.commit

    def paused(self: Writer, snapshot_ids: Sequence[int]) -> list[Snapshot]:
        print("committing", flush=True)
        sys.stdin.readline()
        return commit(self, snapshot_ids)

    Writer.commit = paused  # type: ignore[method-assign]


async def main(db: Path, mode: str) -> None:
    if mode == "before-commit":
        _pause_before_commit()
    async with await SnapshotStore.open(db, busy_timeout=30) as store:
        events = EventOutbox(announce_existing=True)
        snapshots = await sync_once(small_target(100), store, events=events)
        ids = " ".join(str(s.id) for s in snapshots.values())
        print(f"synced {ids} {events.derived.added}", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2]))
