"""The whole benchmark run: which measurements, at which sizes, how many times."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from benchmarks.decode import DecodeResult, run_decode
from benchmarks.memory import MemoryResult, run_memory
from benchmarks.walk import WalkRun, measure_rtt, walk_baseline, walk_ours

__all__ = ["FULL", "QUICK", "Profile", "Results", "run_suite"]

LATENCIES = (0.0, 0.1, 0.3, 0.6, 1.0)


@dataclass(frozen=True)
class Profile:
    name: str
    invitees: int  #: walk population
    page_size: int  #: explicit page size of the walk-vs-ideal part
    latencies: tuple[float, ...]
    repeats: int  #: walks of this client per latency and page size
    baseline_latencies: tuple[float, ...]
    baseline_repeats: int
    default_size_latencies: tuple[float, ...]  #: where the default page size (1000) is walked
    decode_pages: int  #: pages of 1000 records
    decode_repeats: int
    memory_population: int
    memory_limits: tuple[int, ...]


FULL = Profile(
    name="full",
    invitees=3100,
    page_size=100,
    latencies=LATENCIES,
    repeats=3,
    baseline_latencies=LATENCIES,
    baseline_repeats=1,
    default_size_latencies=LATENCIES,
    decode_pages=40,
    decode_repeats=9,
    memory_population=250_000,
    memory_limits=(50_000, 250_000),
)

QUICK = Profile(
    name="quick",
    invitees=1100,
    page_size=100,
    latencies=LATENCIES,
    repeats=1,
    baseline_latencies=(0.0, 0.3),
    baseline_repeats=1,
    default_size_latencies=(0.1,),
    decode_pages=10,
    decode_repeats=3,
    memory_population=40_000,
    memory_limits=(10_000, 40_000),
)


@dataclass
class Results:
    profile: Profile
    loopback_rtt: float = 0.0
    walks: list[WalkRun] = field(default_factory=list)
    decode: list[DecodeResult] = field(default_factory=list)
    memory: MemoryResult | None = None
    seconds: float = 0.0  #: wall time of the whole run


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _walk_line(run: WalkRun, rtt: float) -> str:
    return (
        f"  {run.client:<12} {run.latency * 1000:>5.0f} ms  page {run.page_size:>4}: "
        f"{run.elapsed:6.2f} s  ratio {run.ratio(rtt):.3f}  "
        f"{run.requests} requests  rejected {run.rejected}  "
        f"{'ok' if run.check.exact else run.check.problem}"
    )


async def _walks(profile: Profile, results: Results, say: Callable[[str], None]) -> None:
    results.loopback_rtt = await measure_rtt(profile.page_size)
    say(f"loopback round trip: {results.loopback_rtt * 1000:.1f} ms")
    for latency in profile.latencies:
        for _ in range(profile.repeats):
            run = await walk_ours(profile.invitees, latency, profile.page_size)
            results.walks.append(run)
            say(_walk_line(run, results.loopback_rtt))
            if latency in profile.default_size_latencies:
                run = await walk_ours(profile.invitees, latency, None)
                results.walks.append(run)
                say(_walk_line(run, results.loopback_rtt))
        if latency in profile.baseline_latencies:
            for _ in range(profile.baseline_repeats):
                run = await walk_baseline(profile.invitees, latency, profile.page_size)
                results.walks.append(run)
                say(_walk_line(run, results.loopback_rtt))


def run_suite(profile: Profile, say: Callable[[str], None] = _say) -> Results:
    started = time.perf_counter()
    results = Results(profile=profile)
    say(f"[1-3, 6] walks: {profile.invitees} invitees, latencies {profile.latencies}")
    asyncio.run(_walks(profile, results, say))
    say(f"[4] decode: {profile.decode_pages} pages x 1000 records, {profile.decode_repeats} runs")
    results.decode = run_decode(profile.decode_pages, profile.decode_repeats)
    say(f"[5] memory: {profile.memory_population} invitees, limits {profile.memory_limits}")
    results.memory = run_memory(profile.memory_population, profile.memory_limits)
    results.seconds = time.perf_counter() - started
    return results
