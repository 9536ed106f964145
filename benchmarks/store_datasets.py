"""The history store's invitee list and daily volume: cost per row, memory, changes.

Generated records (no server) fed to `SnapshotStore.record`, in the API's order
(newest first, not by uid), into a real SQLite file:

- invitees: a first sync of N (all new), the same again (every row compared, nothing
  written), the next day (0.5 % joined, 0.1 % left);
- volume: N (uid, day) rows over 30 days, then a daily sync of the two days the default
  window re-reads (yesterday final, today grown for 10 % of its rows);
- peak RSS growth of this process during each sync (``/proc/self/clear_refs``);
- ``changes`` of each dataset after its last sync.

The store's time is set against the walk it rides on at CoinW's own pace (5 requests a
second of 1000 records: N / 5000 s), the issue's "adds at most 10 %" budget.  Timing
claims live here, never in tests.  ``python -m benchmarks.store_datasets [--quick]``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

from asset_client.records import DailyVolume, Invitee
from asset_client.store import Series, SnapshotStore

T = TypeVar("T")
INVITEES = Series(dataset="invitees", source="bench", quote="")
VOLUME = Series(dataset="volume", source="bench", quote="")
API_ROWS_PER_SECOND = 5 * 1000  #: 5 requests/s of 1000 records: the real walk's pace
TODAY = date(2026, 11, 27)


def _rss_peak_reset() -> int:
    Path("/proc/self/clear_refs").write_text("5")
    return _status("VmRSS")


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


async def _timed(work: Callable[[], Awaitable[T]]) -> tuple[float, float, T]:
    """(seconds, peak RSS growth in MiB, result)."""
    before = _rss_peak_reset()
    start = time.perf_counter()
    result = await work()
    seconds = time.perf_counter() - start
    return seconds, (_status("VmHWM") - before) / 1024, result


def _people(n: int, joined: int = 0, left: int = 0) -> list[tuple[int, datetime]]:
    rng = random.Random(7)
    base = datetime(2020, 1, 1, tzinfo=UTC)
    people = [(10_000_000 + i, base + timedelta(seconds=rng.randrange(10**8))) for i in range(n)]
    people = people[left:] + [
        (20_000_000 + i, base + timedelta(seconds=10**8 + i)) for i in range(joined)
    ]
    people.sort(key=lambda p: p[1], reverse=True)  # the API's order: newest first
    return people


async def _invitees(people: list[tuple[int, datetime]]) -> AsyncIterator[Invitee]:
    for uid, registered in people:
        yield Invitee(uid, registered)


async def _volumes(rows: Sequence[tuple[int, date, str]]) -> AsyncIterator[DailyVolume]:
    for uid, day, volume in rows:
        yield DailyVolume(uid, day, Decimal(volume))


def _volume_rows(n: int, days: int = 30) -> list[tuple[int, date, str]]:
    per_day = max(1, n // days)
    return [
        (10_000_000 + i, TODAY - timedelta(days=d), f"{(i * 7919 + d) % 100000}.12345678")
        for d in range(days)
        for i in range(per_day)
    ]


async def _count(store: SnapshotStore, dataset: str) -> int:
    return len([c async for c in store.changes(dataset=dataset)])  # type: ignore[arg-type]


async def run(n: int, workdir: Path) -> list[str]:
    out: list[str] = []
    walk = n / API_ROWS_PER_SECOND

    def line(what: str, seconds: float, mib: float, rows: int, extra: str = "") -> None:
        out.append(
            f"{what:<34} {seconds:7.2f} s  {rows / seconds:>9,.0f} rows/s  "
            f"{100 * seconds / walk:5.1f} % of a {walk:.0f} s walk  peak +{mib:5.1f} MiB {extra}"
        )

    async with await SnapshotStore.open(workdir / "bench.sqlite") as store:
        for what, people in (
            ("invitees: first sync (all new)", _people(n)),
            ("invitees: same again (no change)", _people(n)),
            ("invitees: next day (+0.5 %/-0.1 %)", _people(n, n // 200, n // 1000)),
        ):
            s, mib, snap = await _timed(
                lambda p=people: store.record(_invitees(p), INVITEES, dataset="invitees")  # type: ignore[misc]
            )
            line(what, s, mib, len(people), f"new {snap.new} gone {snap.gone}")
        s, _, count = await _timed(lambda: _count(store, "invitees"))
        out.append(f"{'invitees: changes of the last day':<34} {s:7.3f} s  ({count} changes)")

        rows = _volume_rows(n)
        window = (TODAY - timedelta(days=29), TODAY)
        s, mib, snap = await _timed(
            lambda: store.record(_volumes(rows), VOLUME, dataset="volume", window=window)
        )
        line("volume: first sync, 30 days", s, mib, len(rows), f"new {snap.new}")
        recent = [r for r in rows if r[1] >= TODAY - timedelta(days=1)]
        grown = [
            (uid, day, f"{Decimal(v) + 1}" if day == TODAY and i % 10 == 0 else v)
            for i, (uid, day, v) in enumerate(recent)
        ]
        s, mib, snap = await _timed(
            lambda: store.record(
                _volumes(grown),
                VOLUME,
                dataset="volume",
                window=(TODAY - timedelta(days=1), TODAY),
            )
        )
        out.append(
            f"{'volume: daily sync (2 days)':<34} {s:7.2f} s  {len(grown)} rows walked, "
            f"{snap.changed} changed stored, peak +{mib:.1f} MiB"
        )
        s, _, count = await _timed(lambda: _count(store, "volume"))
        out.append(f"{'volume: changes of the last day':<34} {s:7.3f} s  ({count} changes)")
    size = (workdir / "bench.sqlite").stat().st_size / 2**20
    out.append(f"file: {size:.1f} MiB")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.store_datasets")
    parser.add_argument("--quick", action="store_true", help="40,000 invitees")
    args = parser.parse_args(argv)
    n = 40_000 if args.quick else 250_000
    with tempfile.TemporaryDirectory() as tmp:
        lines = asyncio.run(run(n, Path(tmp)))
    print(f"history store, invitees and volume, N = {n:,}")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
