"""A caller may refuse to wait (issue 17.4): ``max_wait`` on the limiter.

A caller who cannot have its slot within ``max_wait`` gets `LimiterBusyError` and claims
nothing: the callers behind it keep their spacing and their order, and the 5-per-window
guarantee holds for everyone who did send.  Periods are short, and every assertion holds
however slow the machine is (delays only widen gaps or make more callers busy).
"""

from __future__ import annotations

import asyncio
import time

import pytest

from asset_client import AssetClientError, LimiterBusyError, RateLimit
from asset_client.limit.limiter import KeyLimiter
from tests.limit.test_ratelimit import max_in_window

RATE = RateLimit(requests=5, period=0.2, margin=0.0)  # one send every 40 ms


async def _send(limiter: KeyLimiter, stamps: list[float], max_wait: float | None = None) -> None:
    permit = await limiter.acquire(max_wait=max_wait)
    await permit.commit()
    stamps.append(time.monotonic())


def test_the_error_is_an_asset_client_error_with_retry_after() -> None:
    error = LimiterBusyError("busy", retry_after=1.5, endpoint="assets")
    assert isinstance(error, AssetClientError)
    assert error.retry_after == 1.5 and error.endpoint == "assets"


async def test_a_caller_behind_a_long_line_is_told_at_once_and_claims_nothing() -> None:
    limiter = KeyLimiter(RATE)
    stamps: list[float] = []
    line = [asyncio.ensure_future(_send(limiter, stamps)) for _ in range(10)]
    await asyncio.sleep(0)  # the ten queue (ordering only)
    started = time.monotonic()
    with pytest.raises(LimiterBusyError) as caught:
        await limiter.acquire(max_wait=0.1)
    # Refused before any wait: ten callers ahead at 40 ms each is far beyond 0.1 s.
    assert time.monotonic() - started < RATE.interval * 10
    assert caught.value.retry_after >= 9 * RATE.interval
    assert "max_wait=0.1s" in str(caught.value) and "nothing was sent" in str(caught.value)
    await asyncio.gather(*line)
    assert len(stamps) == 10
    assert max_in_window(stamps, RATE.period) <= RATE.requests


async def test_a_caller_that_runs_out_of_time_in_line_gives_its_place_back() -> None:
    limiter = KeyLimiter(RATE)
    stamps: list[float] = []
    first = asyncio.ensure_future(_send(limiter, stamps))
    await asyncio.sleep(0)
    # Fits by the estimate (one ahead, 40 ms) but not by the time a pause adds meanwhile.
    impatient = asyncio.ensure_future(limiter.acquire(max_wait=0.1))
    behind = [asyncio.ensure_future(_send(limiter, stamps)) for _ in range(3)]
    await asyncio.sleep(0)
    await limiter.pause(0.3)
    with pytest.raises(LimiterBusyError) as caught:
        await impatient
    assert caught.value.retry_after > 0
    await asyncio.gather(first, *behind)
    # Those behind were served with no gap where the impatient caller stood.
    assert len(stamps) == 4
    assert limiter.waiting() == 0


async def test_a_caller_served_in_time_sends_normally() -> None:
    limiter = KeyLimiter(RATE)
    stamps: list[float] = []
    await asyncio.gather(*(_send(limiter, stamps, max_wait=5.0) for _ in range(6)))
    assert len(stamps) == 6
    assert max_in_window(stamps, RATE.period) <= RATE.requests


async def test_a_paused_key_makes_an_impatient_caller_busy_with_the_pause_as_retry_after() -> None:
    limiter = KeyLimiter(RATE)
    await limiter.pause(30.0)
    with pytest.raises(LimiterBusyError) as caught:
        await limiter.acquire(max_wait=1.0)
    assert 29.0 < caught.value.retry_after <= 30.0
    assert limiter.waiting() == 0


async def test_many_impatient_callers_keep_the_window_and_order_of_the_patient_ones() -> None:
    limiter = KeyLimiter(RATE)
    stamps: list[float] = []
    order: list[int] = []

    async def patient(n: int) -> None:
        await _send(limiter, stamps)
        order.append(n)

    async def impatient() -> str:
        try:
            await _send(limiter, stamps, max_wait=0.05)
        except LimiterBusyError:
            return "busy"
        return "sent"

    tasks: list[asyncio.Future[object]] = []
    for n in range(8):
        tasks.append(asyncio.ensure_future(patient(n)))
        tasks.append(asyncio.ensure_future(impatient()))
    results = await asyncio.gather(*tasks)
    busy = sum(1 for r in results if r == "busy")
    assert busy >= 1  # at most a couple of impatient ones fit in 50 ms
    assert order == list(range(8))
    assert len(stamps) == 16 - busy
    assert max_in_window(stamps, RATE.period) <= RATE.requests


async def test_cancelling_an_impatient_caller_leaves_the_line_intact() -> None:
    limiter = KeyLimiter(RATE)
    stamps: list[float] = []
    first = asyncio.ensure_future(_send(limiter, stamps))
    doomed = asyncio.ensure_future(_send(limiter, stamps, max_wait=1.0))
    last = asyncio.ensure_future(_send(limiter, stamps))
    await asyncio.sleep(0)
    doomed.cancel()
    await asyncio.gather(first, last)
    assert doomed.cancelled() and len(stamps) == 2
    assert limiter.waiting() == 0
