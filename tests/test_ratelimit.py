"""The limiter: strict per sliding window, shared per key, paused by rejections,
safe across event loops.  Short periods keep it fast; the assertions hold however
slow the machine is (delays only widen gaps)."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Sequence

import pytest
from aiolimiter import AsyncLimiter

from asset_client import RateLimit
from asset_client._ratelimit import _REGISTRY, KeyLimiter, limiter_for

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
        await limiter.acquire()
        stamps.append(time.monotonic())
    assert max_in_window(stamps, FAST.period) <= FAST.requests
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert min(gaps) >= FAST.interval - EPSILON


async def test_concurrent_tasks_share_the_window() -> None:
    limiter = KeyLimiter(FAST)
    stamps: list[float] = []

    async def send() -> None:
        await limiter.acquire()
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

    limiter.pause(30.0)
    assert limiter.paused_for > 29
    await limiter.acquire(fake_sleep)
    assert len(slept) == 1 and 29 < slept[0] <= 30.0


async def test_a_pause_set_while_queued_is_waited_out() -> None:
    limiter = KeyLimiter(RateLimit(requests=1, period=0.05, margin=0.0))
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    await limiter.acquire(fake_sleep)  # takes the only slot
    waiter = asyncio.ensure_future(limiter.acquire(fake_sleep))
    await asyncio.sleep(0)  # let it queue inside aiolimiter (ordering, not timing)
    limiter.pause(10.0)
    await waiter
    assert slept and slept[-1] > 9  # it went back and waited for the pause


def test_limiter_survives_loop_restarts_and_keeps_spacing() -> None:
    limiter = KeyLimiter(RateLimit(requests=2, period=0.1, margin=0.0))
    stamps: list[float] = []

    async def burst() -> None:
        for _ in range(3):
            await limiter.acquire()
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
            await limiter.acquire()
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
                await limiter.acquire()
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


def test_registry_shares_per_host_and_key_and_refuses_a_second_rate() -> None:
    first = limiter_for("h:443", "registry-key", FAST)
    assert limiter_for("h:443", "registry-key", FAST) is first
    assert limiter_for("other:443", "registry-key", FAST) is not first
    with pytest.raises(ValueError, match="already limited"):
        limiter_for("h:443", "registry-key", RateLimit())
    assert all("registry-key" not in key for key in _REGISTRY)


def test_bad_rates_are_refused() -> None:
    with pytest.raises(ValueError, match="requests"):
        RateLimit(requests=0)
    with pytest.raises(ValueError, match="period"):
        RateLimit(period=0)


async def test_waiters_go_in_priority_order_so_a_retried_page_jumps_the_queue() -> None:
    limiter = KeyLimiter(FAST)
    order: list[int] = []

    async def send(priority: int) -> None:
        await limiter.acquire(priority=priority)
        order.append(priority)

    await limiter.acquire()  # the bucket is now full: everyone below has to wait
    # 9 finds the gate free and waits inside it; the rest queue and leave lowest first.
    await asyncio.gather(*(send(p) for p in (9, 7, 8, 3)))
    assert order == [9, 3, 7, 8]


async def test_a_cancelled_waiter_does_not_block_the_others() -> None:
    limiter = KeyLimiter(FAST)
    order: list[int] = []

    async def send(priority: int) -> None:
        await limiter.acquire(priority=priority)
        order.append(priority)

    first = asyncio.ensure_future(send(1))
    doomed = asyncio.ensure_future(send(2))
    last = asyncio.ensure_future(send(3))
    await asyncio.sleep(0)  # all three queue (ordering only, no timing)
    doomed.cancel()
    await asyncio.gather(first, last)
    assert doomed.cancelled() and order == [1, 3]
