"""The dashboard of a big history: seconds, peak memory and file size at N invitees.

A history of N generated invitees (two snapshots of assets and of the invitee list, one
of 30 days of volume: ~30 % of invitees trade, on ~8 days each) is written with
`SnapshotStore.record` (no server); then a fresh child process builds the dashboard
from it, so its peak RSS (``ru_maxrss``) is the dashboard's alone, imports included;
the chart worker it starts is counted too (CPU apart; RSS added to the builder's peak:
an upper bound of the two together).
Must hold (issue 20): <= 10 s, <= 500 MiB, file < 5 MiB at 250,000 invitees.

``python -m benchmarks.dashboard [--invitees N] [--keep DIR]`` prints one markdown row.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from asset_client.records import DailyVolume, Invitee, InviteeAsset
from asset_client.store import Series, SnapshotStore

__all__ = ["main"]

SEED = 20
LAST_DAY = date(2026, 7, 10)
_CHILD = """
import json, resource, sys, time
from datetime import UTC, datetime
from pathlib import Path
started = time.perf_counter()
from asset_client.dashboard import build_dashboard
page = build_dashboard(Path(sys.argv[1]), zone=UTC, zone_name="UTC", now=datetime.now(UTC))
Path(sys.argv[2]).write_text(page, encoding="utf-8")
seconds = time.perf_counter() - started
own, worker = (resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
print(json.dumps({"seconds": seconds, "cpu": own.ru_utime + own.ru_stime,
                  "worker_cpu": worker.ru_utime + worker.ru_stime,
                  "rss_kib": own.ru_maxrss + worker.ru_maxrss, "own_kib": own.ru_maxrss}))
"""


class _People:
    """N invitees: registration, deposits, first deposit, whether they trade."""

    def __init__(self, n: int) -> None:
        rng = random.Random(SEED)
        start = datetime(2021, 7, 1, tzinfo=UTC)
        self.n = n
        self.registered = [
            start + timedelta(seconds=rng.randrange(5 * 365 * 86400)) for _ in range(n)
        ]
        self.deposit = [
            Decimal(rng.randrange(1, 5_000_000)) / 100 if rng.random() < 0.7 else Decimal(0)
            for _ in range(n)
        ]
        self.first = [
            r + timedelta(seconds=int(rng.expovariate(1 / 86400 / 5))) if d else None
            for r, d in zip(self.registered, self.deposit, strict=True)
        ]
        self.trades = [d > 0 and rng.random() < 0.43 for d in self.deposit]

    async def assets(self, bump: int) -> AsyncIterator[InviteeAsset]:
        for i in range(self.n):
            dep = self.deposit[i] + (bump if i % 50 == 0 else 0)
            yield InviteeAsset(
                uid=1_000_000 + i,
                total_deposit=dep,
                total_withdrawal=dep / 4,
                current_balance=dep - dep / 4,
                first_deposit_time=self.first[i],
            )

    async def invitees(self, extra: int) -> AsyncIterator[Invitee]:
        for i in range(self.n + extra):
            when = self.registered[i % self.n]
            yield Invitee(uid=1_000_000 + i, register_time=when)

    async def volumes(self) -> AsyncIterator[DailyVolume]:
        rng = random.Random(SEED + 1)
        for i in range(self.n):
            if self.trades[i]:
                for day in rng.sample(range(30), 8):
                    amount = Decimal(rng.randrange(1, 10_000_000)) / 100
                    yield DailyVolume(
                        uid=1_000_000 + i, day=LAST_DAY - timedelta(days=day), volume=amount
                    )


async def make_history(path: Path, n: int) -> None:
    people = _People(n)
    assets = Series(dataset="assets", source="generated", quote="usdt")
    invitees = Series(dataset="invitees", source="generated", quote="")
    volume = Series(dataset="volume", source="generated", quote="")
    async with await SnapshotStore.open(path) as store:
        for day in range(2):
            await store.record(people.assets(day), assets)
            await store.record(people.invitees(day * n // 200), invitees)
        window = (LAST_DAY - timedelta(days=29), LAST_DAY)
        await store.record(people.volumes(), volume, window=window)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dashboard")
    parser.add_argument("--invitees", type=int, default=250_000)
    parser.add_argument("--keep", type=Path, help="keep the history and page in this folder")
    args = parser.parse_args(argv)
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="asset-client-bench-dash-"))
    workdir.mkdir(parents=True, exist_ok=True)
    db, page = workdir / "history.sqlite", workdir / "dashboard.html"
    if not db.exists():
        started = time.perf_counter()
        asyncio.run(make_history(db, args.invitees))
        print(f"history written in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, str(db), str(page)],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(child.stdout)
    mib, size = result["rss_kib"] / 1024, page.stat().st_size / 1024 / 1024
    ok = result["seconds"] <= 10 and mib <= 500 and size < 5
    load = os.getloadavg()[0]
    print(
        "| invitees | history file | build wall (s) | build CPU (s) | worker CPU (s) "
        "| peak RSS (MiB) | page (MiB) | load avg | within 10 s / 500 MiB / 5 MiB |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {args.invitees:,} | {db.stat().st_size / 1024 / 1024:.1f} MiB | "
        f"{result['seconds']:.2f} | {result['cpu']:.2f} | {result['worker_cpu']:.2f} | "
        f"{mib:.0f} | {size:.2f} | "
        f"{load:.1f} | {'yes' if ok else 'NO'} |"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
