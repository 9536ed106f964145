"""A bot on the history store: who registered, who traded, since the last sync.

Run it: ``.venv/bin/python examples/history_bot.py [DIRECTORY]``.  It syncs the embedded
sandbox twice (the second time one simulated day later) into ``DIRECTORY/coinw.sqlite``;
against CoinW use ``AssetClient.from_env()`` and sync once a day.

What it shows: one ``sync_datasets`` call records the assets, the invitee list and the
daily volume in one transaction; ``changes(dataset=...)`` then answers "who registered
since yesterday?" (new invitees) and "who traded since the last sync?" (new or grown
(uid, day) volume rows: the day still open at the last sync is re-read, so its growth
shows as a change).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from asset_client import AssetClient
from asset_client.sandbox import SandboxConfig, run_sandbox
from asset_client.store import ChangeKind, SnapshotStore, StoreError


async def sync(store: SnapshotStore, days: int) -> None:
    async with (
        run_sandbox(SandboxConfig(invitees=500, days=days, rate_limit=50, window=0.1)) as sb,
        AssetClient(sb.api_key, sb.secret_key, base_url=sb.base_url) as client,
    ):
        snapshots = await store.sync_datasets(client, source="sandbox")
        for name, snapshot in snapshots.items():
            print(
                f"{name}: snapshot #{snapshot.id}, {snapshot.new} new, {snapshot.changed} changed"
            )


async def main(directory: Path) -> None:
    async with await SnapshotStore.open(directory / "coinw.sqlite") as store:
        await sync(store, days=0)
        await sync(store, days=1)

        # "Who registered since yesterday?"  (a time: the newest snapshot at or before it;
        # on a fresh file that is not covered yet, so fall back to the previous snapshot)
        yesterday = datetime.now(UTC) - timedelta(days=1)
        try:
            registered = [c async for c in store.changes(dataset="invitees", since=yesterday)]
        except StoreError:
            registered = [c async for c in store.changes(dataset="invitees")]
        for change in registered:
            if change.kind is ChangeKind.NEW and change.after is not None:
                print(f"new invitee {change.uid}, registered {change.after['register_time']}")

        # "Who traded since the last sync?"  Volume changes are keyed by (uid, day).
        traded: dict[int, Decimal] = {}
        async for change in store.changes(dataset="volume"):
            after = change.after_values  # ("volume",): exact decimal text
            if after is None or after[0] is None:
                continue  # a day revised away
            before = change.before_values
            grew = Decimal(after[0]) - Decimal(before[0] if before and before[0] else 0)
            traded[change.uid] = traded.get(change.uid, Decimal(0)) + grew
        print(
            f"{len(registered)} invitee changes, {len(traded)} invitees traded since the last sync"
        )


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp())))
