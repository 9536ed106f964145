"""The history store: what a sync adds to the walk, memory, and how fast it reads back.

A sandbox of N invitees runs in a child process (``python -m benchmarks.store serve``)
with a fast limit on both sides (1000 requests/s, as in `memory`), so the walk's own
work (the server's pages, HTTP, decoding) is what the store is compared with:

- walk alone: ``async for`` over `iter_invitee_assets`, records dropped;
- sync into a new file (every record new: N rows written);
- sync of the same data again (every record compared, nothing written);
- sync of the next simulated day (``--days 1``: ~2 % changed, 0.5 % new, 0.1 % gone);
- peak RSS growth of this process during each sync (``/proc/self/clear_refs`` resets
  the peak), against the walk alone;
- ``changes`` of that day, and of a worst case where all N records changed (generated
  records fed to `SnapshotStore.record`, no server); ``history`` of one uid.

Timing claims live here, never in tests.  Medians of ``repeats`` runs; ratios within
one run.  ``python -m benchmarks.store [--quick] [--out FILE]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

from asset_client import AssetClient, InviteeAsset, RateLimit
from asset_client.sandbox import DEMO_API_KEY, DEMO_SECRET_KEY, SandboxConfig, run_sandbox
from asset_client.store import Series, Snapshot, SnapshotStore

__all__ = ["StoreResult", "render_store", "run_store"]

FAST_RATE = 1000
LIMITED_RATE = 25  #: requests/s of the "waits included" pair (CoinW allows 5)
LIMITED_KEY = "bench-limited-key"
SEED = 13
_ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")


@dataclass(frozen=True)
class StoreResult:
    population: int
    repeats: int
    walk: float  #: seconds, median
    first_sync: float
    same_sync: float
    day_sync: float
    day_counts: tuple[int, int, int]  #: new, changed, gone of the day sync
    walk_peak_mib: float
    first_sync_peak_mib: float
    day_sync_peak_mib: float
    db_mib_first: float
    db_mib_day: float
    changes_day: float  #: seconds to iterate the day's changes
    changes_day_count: int
    changes_all: float  #: seconds to iterate N changed records
    changes_all_count: int
    changes_cli: float  #: ``asset-client changes --out`` on the day, end to end
    history_ms: float  #: median of one uid's history
    exact: bool  #: counts and changes match what was fed / what the sandbox changed
    limited_walk: float  #: seconds, walk alone at LIMITED_RATE requests/s
    limited_sync: float  #: seconds, sync into a new file at LIMITED_RATE
    cpu: tuple[float, float, float, float]  #: CPU s of this process: walk, first, same, day

    def overhead(self, sync: float) -> float:
        return sync / self.walk - 1.0


def _peak_reset() -> int:
    """Reset this process's peak RSS; return the current RSS in KiB."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status("VmRSS")


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


_cpu: list[float] = []  #: CPU seconds of this process in the last `_timed` call


async def _timed(work: Callable[[], Awaitable[T]]) -> tuple[float, float, T]:
    """(seconds, peak RSS growth in MiB, result); the CPU time goes to `_cpu`."""
    before = _peak_reset()
    started, cpu = time.perf_counter(), time.process_time()
    result = await work()
    elapsed = time.perf_counter() - started
    _cpu[:] = [time.process_time() - cpu]
    return elapsed, (_status("VmHWM") - before) / 1024, result


async def _serve(invitees: int, days: int, api_key: str) -> None:
    config = SandboxConfig(
        invitees=invitees, seed=SEED, days=days, rate_limit=FAST_RATE, api_key=api_key
    )
    async with run_sandbox(config) as sandbox:
        print(json.dumps({"base_url": sandbox.base_url}), flush=True)
        await asyncio.to_thread(sys.stdin.read)


def _start_server(
    invitees: int, days: int, api_key: str = DEMO_API_KEY
) -> tuple[subprocess.Popen[str], str]:
    server = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.store", "serve", str(invitees), str(days), api_key],
        cwd=_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    return server, json.loads(server.stdout.readline())["base_url"]


def _client(base_url: str, rate: int = FAST_RATE) -> AssetClient:
    # One key per rate: the limiter is shared per key and refuses a second RateLimit.
    return AssetClient(
        DEMO_API_KEY if rate == FAST_RATE else LIMITED_KEY,
        DEMO_SECRET_KEY,
        base_url=base_url,
        rate_limit=RateLimit(requests=rate, period=1.0, margin=0.0 if rate == FAST_RATE else 0.025),
    )


async def _walk(base_url: str, rate: int = FAST_RATE) -> int:
    count = 0
    async with _client(base_url, rate) as client:
        async for _ in client.iter_invitee_assets():
            count += 1
    return count


async def _sync(store: SnapshotStore, base_url: str, rate: int = FAST_RATE) -> Snapshot:
    async with _client(base_url, rate) as client:
        return await store.sync(client, source="bench")


async def _generated(count: int, balance: str) -> AsyncIterator[InviteeAsset]:
    when = datetime(2026, 5, 1, tzinfo=UTC)
    amount = Decimal(balance)
    for uid in range(10_000_000, 10_000_000 + count):
        yield InviteeAsset(uid, amount, Decimal("0"), amount, when, amount, when)


async def _count_changes(store: SnapshotStore) -> int:
    count = 0
    async for _ in store.changes():
        count += 1
    return count


def _mib(path: Path) -> float:
    return path.stat().st_size / 2**20


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


async def _run(population: int, repeats: int, workdir: Path) -> StoreResult:
    day0, url0 = _start_server(population, 0)
    day1, url1 = _start_server(population, 1)
    limited, url_limited = _start_server(population, 0, LIMITED_KEY)
    try:
        await _walk(url0)  # warm both sides up (connections, first-page paths)
        walks, walk_peaks, walk_cpu = [], [], []
        for _ in range(repeats):
            seconds, peak, count = await _timed(lambda: _walk(url0))
            assert count == population
            walks.append(seconds)
            walk_peaks.append(peak)
            walk_cpu.append(_cpu[0])
        _say(f"store: walk alone {statistics.median(walks):.2f} s")
        firsts, sames, days = [], [], []
        first_cpu, same_cpu, day_cpu = [], [], []
        first_peak = day_peak = 0.0
        day_snapshot: Snapshot | None = None
        db = workdir / "bench.sqlite"
        for attempt in range(repeats):
            for path in workdir.glob("bench.sqlite*"):  # noqa: ASYNC240 - between timings
                path.unlink()
            async with await SnapshotStore.open(db) as store:
                seconds, first_peak, first = await _timed(lambda: _sync(store, url0))
                firsts.append(seconds)
                first_cpu.append(_cpu[0])
                db_first = _mib(db)
                seconds, _, same = await _timed(lambda: _sync(store, url0))
                sames.append(seconds)
                same_cpu.append(_cpu[0])
                seconds, day_peak, day_snapshot = await _timed(lambda: _sync(store, url1))
                days.append(seconds)
                day_cpu.append(_cpu[0])
            _say(
                f"store: syncs run {attempt + 1}: {firsts[-1]:.2f} / {sames[-1]:.2f} / "
                f"{days[-1]:.2f} s"
            )
        assert day_snapshot is not None
        db_day = _mib(db)
        same_counts = (same.new or 0) + (same.changed or 0) + (same.gone or 0)
        exact = (first.new, same_counts) == (population, 0)
        async with await SnapshotStore.open(db, readonly=True) as store:
            day_times, day_count = [], 0
            for _ in range(repeats):
                seconds, _, day_count = await _timed(lambda: _count_changes(store))
                day_times.append(seconds)
            snapshot_counts = sum(
                n or 0 for n in (day_snapshot.new, day_snapshot.changed, day_snapshot.gone)
            )
            exact = exact and day_count == snapshot_counts
            rng = random.Random(SEED)
            uids = [rng.randrange(10_000_000, 10_000_000 + population * 1000) for _ in range(200)]
            history_times = []
            for uid in uids:
                started = time.perf_counter()
                await store.history(uid)
                history_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        cli = await asyncio.to_thread(
            subprocess.run,
            [
                sys.executable,
                "-m",
                "asset_client",
                "changes",
                "--db",
                str(db),
                "--out",
                str(workdir / "changes.csv"),
            ],
            cwd=_ROOT,
            capture_output=True,
            text=True,
        )
        changes_cli = time.perf_counter() - started
        exact = exact and cli.returncode == 0
        # Worst case for `changes`: every record changed.
        series = Series(source="generated", quote="usdt")
        async with await SnapshotStore.open(workdir / "all.sqlite") as store:
            await store.record(_generated(population, "1.00000000"), series)
            await store.record(_generated(population, "2.00000000"), series)
            all_times, all_count = [], 0
            for _ in range(repeats):
                seconds, _, all_count = await _timed(lambda: _count_changes(store))
                all_times.append(seconds)
        exact = exact and all_count == population
        # With waits: the walk at a real-world-like limit, alone and into a new file.
        limited_walk, _, _ = await _timed(lambda: _walk(url_limited, LIMITED_RATE))
        async with await SnapshotStore.open(workdir / "limited.sqlite") as store:
            limited_sync, _, _ = await _timed(lambda: _sync(store, url_limited, LIMITED_RATE))
        _say(f"store: at {LIMITED_RATE}/s: walk {limited_walk:.2f} s, sync {limited_sync:.2f} s")
    finally:
        for server in (day0, day1, limited):
            assert server.stdin is not None
            server.stdin.close()
            server.wait(timeout=30)
    return StoreResult(
        population=population,
        repeats=repeats,
        walk=statistics.median(walks),
        first_sync=statistics.median(firsts),
        same_sync=statistics.median(sames),
        day_sync=statistics.median(days),
        day_counts=(day_snapshot.new or 0, day_snapshot.changed or 0, day_snapshot.gone or 0),
        walk_peak_mib=max(walk_peaks),
        first_sync_peak_mib=first_peak,
        day_sync_peak_mib=day_peak,
        db_mib_first=db_first,
        db_mib_day=db_day,
        changes_day=statistics.median(day_times),
        changes_day_count=day_count,
        changes_all=statistics.median(all_times),
        changes_all_count=all_count,
        changes_cli=changes_cli,
        history_ms=statistics.median(history_times) * 1000,
        exact=exact,
        limited_walk=limited_walk,
        limited_sync=limited_sync,
        cpu=(
            statistics.median(walk_cpu),
            statistics.median(first_cpu),
            statistics.median(same_cpu),
            statistics.median(day_cpu),
        ),
    )


def run_store(population: int, repeats: int) -> StoreResult:
    with tempfile.TemporaryDirectory(prefix="asset-client-store-bench-") as tmp:
        return asyncio.run(_run(population, repeats, Path(tmp)))


def render_store(r: StoreResult) -> str:
    new, changed, gone = r.day_counts
    walk_cpu, first_cpu, same_cpu, day_cpu = r.cpu
    rows = [
        ("walk alone (no store)", r.walk, None, walk_cpu, None, r.walk_peak_mib),
        (
            "sync into a new file (all new)",
            r.first_sync,
            r.overhead(r.first_sync),
            first_cpu,
            first_cpu / walk_cpu - 1,
            r.first_sync_peak_mib,
        ),
        (
            "sync, nothing changed",
            r.same_sync,
            r.overhead(r.same_sync),
            same_cpu,
            same_cpu / walk_cpu - 1,
            None,
        ),
        (
            f"sync, next day ({new} new, {changed} changed, {gone} gone)",
            r.day_sync,
            r.overhead(r.day_sync),
            day_cpu,
            day_cpu / walk_cpu - 1,
            r.day_sync_peak_mib,
        ),
    ]
    limited = r.limited_sync / r.limited_walk - 1
    worst = max(r.overhead(r.first_sync), r.overhead(r.same_sync), r.overhead(r.day_sync))

    def met(ok: bool) -> str:
        return "yes" if ok else "**no**"

    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "## History store (`benchmarks/store.py`)",
        "",
        f"Run {now} (`python -m benchmarks.store`); the machine is shared, so wall times "
        "vary by tens of percent between runs.",
        "",
        "| Target | Measured | Met |",
        "|---|---|---|",
        f"| a sync adds <= 10% to the walk, with the limiter's waits ({LIMITED_RATE} req/s) | "
        f"{limited:+.1%} | {met(limited <= 0.10)} |",
        f"| the same, walk unthrottled (1000 req/s, CPU-bound on both sides) | up to "
        f"{worst:+.0%} | {met(worst <= 0.10)} |",
        f"| memory flat (peak RSS growth during a sync of {r.population:,}) | "
        f"{max(r.first_sync_peak_mib, r.day_sync_peak_mib):.1f} MiB | "
        f"{met(max(r.first_sync_peak_mib, r.day_sync_peak_mib) < 32)} |",
        f"| `changes` < 1 s: a day's changes over {r.population:,} invitees | "
        f"{r.changes_day * 1000:.0f} ms | {met(r.changes_day < 1)} |",
        f"| `changes` < 1 s: all {r.changes_all_count:,} changed (worst case) | "
        f"{r.changes_all:.2f} s | {met(r.changes_all < 1)} |",
        f"| `history` of one uid instant | {r.history_ms:.2f} ms | {met(r.history_ms < 10)} |",
        "",
        f"{r.population:,} invitees, page size 1000, sandbox in its own process, 1000 "
        f"requests/s on both sides; medians of {r.repeats} runs.",
        "",
        "| run | wall s | added to the walk | client CPU s | added CPU | peak RSS growth (MiB) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, seconds, overhead, cpu, cpu_overhead, peak in rows:
        lines.append(
            f"| {name} | {seconds:.2f} | {'' if overhead is None else f'{overhead:+.0%}'} | "
            f"{cpu:.2f} | {'' if cpu_overhead is None else f'{cpu_overhead:+.0%}'} | "
            f"{'' if peak is None else f'{peak:.1f}'} |"
        )
    lines += [
        "",
        f"- File size: {r.db_mib_first:.1f} MiB after the first sync, {r.db_mib_day:.1f} MiB "
        "after three (the unchanged and next-day syncs add only what changed).",
        f"- `changes` of the next day ({r.changes_day_count} rows): {r.changes_day * 1000:.0f} ms "
        f"(library); `asset-client changes --out changes.csv` end to end, Python start-up "
        f"included: {r.changes_cli:.2f} s.",
        f"- `changes` when all {r.changes_all_count:,} records changed (worst case): "
        f"{r.changes_all:.2f} s (library iteration).",
        f"- With the limiter's waits ({LIMITED_RATE} requests/s; CoinW allows 5): walk alone "
        f"{r.limited_walk:.2f} s, sync into a new file {r.limited_sync:.2f} s "
        f"({r.limited_sync / r.limited_walk - 1:+.1%}): the store works while the walk waits.",
        f"- `history` of one uid: {r.history_ms:.2f} ms (median of 200 random uids).",
        f"- Counts exact (first sync all new, second none, changes = the day's counts): "
        f"{'yes' if r.exact else 'NO'}.",
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["serve"]:
        asyncio.run(_serve(int(args[1]), int(args[2]), args[3]))
        return 0
    parser = argparse.ArgumentParser(prog="python -m benchmarks.store")
    parser.add_argument("--quick", action="store_true", help="40,000 invitees, one run")
    parser.add_argument("--out", type=Path, help="also write the section to this file")
    parsed = parser.parse_args(args)
    # The default limiter shares a key's budget with every process of this user here;
    # the run gets a budget of its own so nothing else on the machine skews it.
    os.environ["ASSET_CLIENT_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="asset-client-bench-")
    result = run_store(40_000 if parsed.quick else 250_000, 1 if parsed.quick else 3)
    report = render_store(result)
    print(report)
    if parsed.out is not None:
        parsed.out.write_text(report)
    return 0 if result.exact else 1


if __name__ == "__main__":
    sys.exit(main())
