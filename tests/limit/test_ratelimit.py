"""The limiter: strict per sliding window, shared per key, paused by rejections,
safe across event loops.  Short periods keep it fast; the assertions hold however
slow the machine is (delays only widen gaps)."""

from __future__ import annotations

import asyncio
import itertools
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from aiolimiter import AsyncLimiter

from asset_client import PermissionDeniedError, RateLimit
from asset_client.limit import HostLimiter, LimiterRegistry, ProcessLimiter
from asset_client.limit.limiter import KeyLimiter, Ticket, key_id
from tests._helpers import take_slot

FAST = RateLimit(requests=5, period=0.05, margin=0.0)
EPSILON = 1e-9  # float rounding inside aiolimiter


def max_in_window(times: Sequence[float], period: float) -> int:
    ordered = sorted(times)
    best = 0
    for i, start in enumerate(ordered):
        inside = [t for t in ordered[i:] if t - start < period - EPSILON]
        best = max(best, len(inside))
    return best


async def test_sequential_sends_never_exceed_the_window() -> None:
    limiter = KeyLimiter(FAST)
    stamps = []
    for _ in range(16):
        await take_slot(limiter)
        stamps.append(time.monotonic())
    assert max_in_window(stamps, FAST.period) <= FAST.requests
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert min(gaps) >= FAST.interval - EPSILON


async def test_concurrent_tasks_share_the_window() -> None:
    limiter = KeyLimiter(FAST)
    stamps: list[float] = []

    async def send() -> None:
        await take_slot(limiter)
        stamps.append(time.monotonic())

    await asyncio.gather(*(send() for _ in range(20)))
    assert len(stamps) == 20
    assert max_in_window(stamps, FAST.period) <= FAST.requests


async def test_the_trap_a_plain_leaky_bucket_bursts_past_the_window() -> None:
    # Why the limiter holds one request at a time: AsyncLimiter(5, period) lets a
    # full bucket through at once and keeps refilling, so one window sees more than 5.
    plain = AsyncLimiter(5, FAST.period)
    stamps = []
    for _ in range(12):
        await plain.acquire()
        stamps.append(time.monotonic())
    assert max_in_window(stamps, FAST.period) > FAST.requests


async def test_margin_widens_the_spacing() -> None:
    rate = RateLimit(requests=5, period=0.05, margin=0.01)
    assert rate.interval == pytest.approx(0.012)


async def test_a_pause_holds_every_sender_and_uses_the_injected_sleep() -> None:
    limiter = KeyLimiter(FAST)
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    await limiter.pause(30.0)
    assert await limiter.paused_for() > 29
    await take_slot(limiter, sleep=fake_sleep)
    assert len(slept) == 1 and 29 < slept[0] <= 30.0


async def test_a_pause_set_while_queued_is_waited_out() -> None:
    limiter = KeyLimiter(RateLimit(requests=1, period=0.05, margin=0.0))
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    await take_slot(limiter, sleep=fake_sleep)  # takes the only slot
    waiter = asyncio.ensure_future(take_slot(limiter, sleep=fake_sleep))
    await asyncio.sleep(0)  # it now waits for the next slot (ordering, not timing)
    await limiter.pause(10.0)
    await waiter
    assert slept and slept[-1] > 9  # it went back and waited for the pause


def test_limiter_survives_loop_restarts_and_keeps_spacing() -> None:
    limiter = KeyLimiter(RateLimit(requests=2, period=0.1, margin=0.0))
    stamps: list[float] = []

    async def burst() -> None:
        for _ in range(3):
            await take_slot(limiter)
            stamps.append(time.monotonic())

    asyncio.run(burst())
    asyncio.run(burst())  # a new loop: no "attached to a different loop", no burst
    assert len(stamps) == 6
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert min(gaps) >= 0.05 - 1e-6


def test_two_live_loops_used_in_turn_keep_the_spacing() -> None:
    limiter = KeyLimiter(RateLimit(requests=5, period=0.1, margin=0.0))
    stamps: list[float] = []

    async def burst(count: int) -> None:
        for _ in range(count):
            await take_slot(limiter)
            stamps.append(time.monotonic())

    first, second = asyncio.new_event_loop(), asyncio.new_event_loop()
    try:
        first.run_until_complete(burst(1))  # the first loop's bucket now exists
        second.run_until_complete(burst(3))
        first.run_until_complete(burst(3))  # its bucket never saw the second loop's sends
    finally:
        first.close()
        second.close()
    assert max_in_window(stamps, 0.1) <= 5
    assert min(b - a for a, b in itertools.pairwise(stamps)) >= 0.02 - EPSILON


def test_loops_in_several_threads_share_one_spacing() -> None:
    interval = 0.05
    limiter = KeyLimiter(RateLimit(requests=2, period=2 * interval, margin=0.0))
    stamps: list[float] = []

    def sender() -> None:
        async def burst() -> None:
            for _ in range(3):
                await take_slot(limiter)
                stamps.append(time.monotonic())

        asyncio.run(burst())

    threads = [threading.Thread(target=sender) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(stamps) == 9
    # Stamps are taken just after each send is claimed; a thread switch between the two
    # can skew them by a few ms, never by anything near a whole interval.
    gaps = [b - a for a, b in itertools.pairwise(sorted(stamps))]
    assert min(gaps) >= interval - 0.02


def test_registry_is_one_budget_per_key_and_refuses_a_second_rate_or_backend() -> None:
    backend = ProcessLimiter()
    registry = LimiterRegistry()
    first = registry.hold("registry-key", FAST, backend).lane("assets")
    again = registry.hold("registry-key", FAST, backend)  # whatever host it talks to
    assert again.lane("assets") is first
    assert again.lane("other") is not first and again.lane("other").key == first.key
    with pytest.raises(ValueError, match="already limited"):
        registry.hold("registry-key", RateLimit(), backend)
    with pytest.raises(ValueError, match="already uses the process limiter"):
        registry.hold("registry-key", FAST, ProcessLimiter())
    assert first.key == key_id("registry-key") and "registry-key" not in first.key
    # Another registry (another scope of the process) knows nothing of this key.
    assert LimiterRegistry().hold("registry-key", RateLimit(), backend).lane("assets") is not first


async def test_a_rejection_slows_every_lane_of_the_key_in_its_registry_only() -> None:
    registry = LimiterRegistry()
    hold = registry.hold("penalty-key", FAST, ProcessLimiter())
    assets, volume = hold.lane("assets"), hold.lane("volume")
    assets.rejected()
    assert volume.lanes_now() == volume.slow_lanes  # the whole key is in its penalty phase
    elsewhere = LimiterRegistry().hold("penalty-key", FAST, ProcessLimiter()).lane("volume")
    assert elsewhere.lanes_now() == elsewhere.lanes


def test_bad_rates_are_refused() -> None:
    with pytest.raises(ValueError, match="requests"):
        RateLimit(requests=0)
    with pytest.raises(ValueError, match="period"):
        RateLimit(period=0)


async def test_callers_go_in_arrival_order_and_a_walk_lowest_page_first() -> None:
    limiter = KeyLimiter(FAST)
    order: list[tuple[str, int]] = []
    walk = limiter.ticket()  # a walk that started first
    singles = [limiter.ticket() for _ in range(3)]  # single calls that came after it

    async def send(name: str, ticket: Ticket, page: int) -> None:
        await take_slot(limiter, ticket, page)
        order.append((name, page))

    await take_slot(limiter)  # the clock is now busy: everyone below has to wait
    sends = [send(f"single{i}", t, 1) for i, t in enumerate(singles)]
    # The walk's pages are asked for after the single calls (page 3 is a retry) ...
    sends += [send("walk", walk, p) for p in (9, 7, 3)]
    await asyncio.gather(*sends)
    # ... yet the walk came first, and within it the lowest page goes first.  single0
    # found the gate free and was already waiting inside it.
    assert order == [
        ("single0", 1),
        ("walk", 3),
        ("walk", 7),
        ("walk", 9),
        ("single1", 1),
        ("single2", 1),
    ]


async def test_a_refused_key_fails_every_queued_call_at_once_and_a_new_call_may_try() -> None:
    limiter = KeyLimiter(RateLimit(requests=1, period=0.05, margin=0.0))
    refusal = PermissionDeniedError("require more permission", code="6003", status=200)
    await take_slot(limiter)
    queued = [asyncio.ensure_future(take_slot(limiter)) for _ in range(20)]
    await asyncio.sleep(0)  # all queue (ordering only)
    limiter.refuse(refusal)
    results = await asyncio.gather(*queued, return_exceptions=True)
    assert all(isinstance(r, PermissionDeniedError) for r in results)
    assert all(r is not refusal and str(r) == str(refusal) for r in results)
    await take_slot(limiter)  # a call that starts now may try again (the key may be fixed)


async def test_the_host_clock_is_shared_through_its_file_and_names_no_key(
    tmp_path: Path,
) -> None:
    key = "host-test-key-SECRET"
    one = (
        LimiterRegistry()
        .hold(key, RateLimit(requests=1, period=60, margin=0), HostLimiter(tmp_path))
        .lane("assets")
    )
    # Another process is another open file; a second backend object stands in for it here.
    other = KeyLimiter(
        RateLimit(requests=1, period=60, margin=0),
        HostLimiter(tmp_path),
        key=one.key,
        bucket="assets",
    )
    await take_slot(one)
    verdict = await other.backend.peek(one.key, other.lanes, None)
    assert 59 < verdict.wait <= 60  # the other sees the send, and waits for it
    await other.pause(120)
    assert 119 < await one.paused_for() <= 120  # the pause is shared too
    files = [f for f in os.listdir(tmp_path) if not f.startswith(".")]
    assert len(files) == 1 and key not in files[0]
    with open(tmp_path / files[0], "rb") as clock_file:  # noqa: ASYNC230 - a tiny local file
        assert key.encode() not in clock_file.read()


async def test_a_cancelled_waiter_does_not_block_the_others() -> None:
    limiter = KeyLimiter(FAST)
    order: list[int] = []

    async def send(priority: int) -> None:
        await take_slot(limiter, page=priority)
        order.append(priority)

    first = asyncio.ensure_future(send(1))
    doomed = asyncio.ensure_future(send(2))
    last = asyncio.ensure_future(send(3))
    await asyncio.sleep(0)  # all three queue (ordering only, no timing)
    doomed.cancel()
    await asyncio.gather(first, last)
    assert doomed.cancelled() and order == [1, 3]


def test_nothing_at_run_time_imports_aiolimiter() -> None:
    # It is a test dependency only (the burst above); the package must not need it.
    import subprocess
    import sys

    script = (
        "import importlib, pkgutil, sys, asset_client\n"
        "for m in pkgutil.walk_packages(asset_client.__path__, 'asset_client.'):\n"
        "    if m.name.endswith('__main__'):\n"
        "        continue  # runs the CLI\n"
        "    try:\n"
        "        importlib.import_module(m.name)\n"
        "    except ImportError:\n"
        "        pass  # an optional extra that is not installed\n"
        "print('aiolimiter' in sys.modules)\n"
    )
    result = subprocess.run(  # noqa: S603 - this interpreter, our own script
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "False"
