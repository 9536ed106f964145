"""CoinW's penalty phase: after a rejection the key pauses longer for each rejection in a
row and sends at half its rate for five minutes (fake clocks; one real server at the end)."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from asset_client import AssetClient, RateLimit, RateLimitError, RetryPolicy
from asset_client.core.penalty import SLOW_FOR, STREAK_SPAN, escalated_pause, slow_interval
from asset_client.core.retry import decide
from asset_client.limit.limiter import KeyLimiter, key_id
from asset_client.limit.process import ProcessLimiter
from tests._helpers import take_slot
from tests.conftest import envelope, record

RATE = RateLimit(requests=4, period=1.0, margin=0.0)  # 0.25 s apart; halved: 0.5 s


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limiter_on(clock: FakeClock, api_key: str) -> KeyLimiter:
    return KeyLimiter(RATE, ProcessLimiter(now=clock), key=key_id(api_key), now=clock)


async def claimed(limiter: KeyLimiter) -> bool:
    verdict = await limiter.backend.claim(limiter.key, limiter.lanes_now(), None)
    return verdict.claimed


def pause_after_rejection(limiter: KeyLimiter, window: float, cap: float) -> float:
    """A rejection told to the key's limiter, and the pause the client then sets: what
    `decide` makes of the streak (a call that gives up at once, no backoff of its own)."""
    policy = RetryPolicy(max_retries=0, base_delay=0.0, max_retry_after=cap)
    rejection = RateLimitError("API access frequently", code="29001")
    decision = decide(rejection, 1, policy, random.Random(0), window, limiter.rejected())
    assert decision.give_up and decision.pause is not None
    return decision.pause


async def test_a_second_rejection_within_the_span_doubles_the_pause() -> None:
    clock = FakeClock()
    limiter = limiter_on(clock, "streak-key")
    assert pause_after_rejection(limiter, 1.0, 300.0) == 1.0
    clock.now += STREAK_SPAN / 2  # another page, same streak
    second = pause_after_rejection(limiter, 1.0, 300.0)
    assert second == 2.0
    await limiter.pause(second)  # the shared pause the client sets
    assert await limiter.paused_for() == pytest.approx(2.0)
    clock.now += 1.0
    assert pause_after_rejection(limiter, 1.0, 300.0) == 4.0
    assert pause_after_rejection(limiter, 1.0, 5.0) == 5.0  # capped by the policy's max_retry_after
    clock.now += STREAK_SPAN + 1  # a quiet span ends the streak
    assert pause_after_rejection(limiter, 1.0, 300.0) == 1.0


async def test_after_a_rejection_claims_are_spaced_at_twice_the_interval() -> None:
    clock = FakeClock()
    limiter = limiter_on(clock, "slow-key")
    interval = RATE.interval
    assert await take_slot(limiter) == pytest.approx(0.0, abs=0.05)
    clock.now += interval
    assert await claimed(limiter)  # normal spacing before any rejection
    limiter.rejected()
    for _ in range(3):
        clock.now += interval
        assert not await claimed(limiter)  # one interval after the last send is too soon
        verdict = await limiter.backend.peek(limiter.key, limiter.lanes_now(), None)
        assert verdict.wait == pytest.approx(interval)
        clock.now += interval
        assert await claimed(limiter)  # two intervals after it is allowed
    assert [lane.interval for lane in limiter.lanes_now()] == [2 * interval]


async def test_after_the_slow_period_claims_return_to_normal() -> None:
    clock = FakeClock()
    limiter = limiter_on(clock, "recover-key")
    limiter.rejected()
    clock.now += SLOW_FOR / 2
    limiter.rejected()  # the five minutes run from the latest rejection
    clock.now += SLOW_FOR - 1
    assert limiter.lanes_now() == limiter.slow_lanes
    assert await claimed(limiter)
    clock.now += RATE.interval
    assert not await claimed(limiter)
    clock.now += 1.0  # five minutes after the latest rejection
    assert limiter.lanes_now() == limiter.lanes
    assert await claimed(limiter)
    clock.now += RATE.interval
    assert await claimed(limiter)


def test_half_rate_is_whole_requests_per_period() -> None:
    assert slow_interval(5, 1.0, 0.065) == pytest.approx(1.065 / 2)  # 5/s -> 2/s, not 2.5/s
    assert slow_interval(4, 1.0, 0.0) == pytest.approx(0.5)
    assert slow_interval(1, 1.0, 0.0) == pytest.approx(2.0)
    assert escalated_pause(1.0, 3, 300.0) == 4.0
    assert escalated_pause(1.0, 9, 0.5) == 1.0  # never below one window


def test_the_slow_down_is_logged_once_without_the_key(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    api_key = "penalty-api-key-0123456789"
    limiter = limiter_on(clock, api_key)
    with caplog.at_level(logging.WARNING, logger="asset_client"):
        limiter.rejected()
        clock.now += 1.0
        limiter.rejected()
    slowed = [r for r in caplog.records if "half rate" in r.getMessage()]
    assert len(slowed) == 1
    assert slowed[0].levelno == logging.WARNING
    assert api_key not in caplog.text
    assert key_id(api_key) not in caplog.text


# -- end to end: a server that halves its limit after one rejection -----------------

PERIOD = 0.5
PAGES = 10
PAGE_SIZE = 10


class HalvingServer:
    """Rejects the third request (29001), then allows only 2 requests per sliding
    ``PERIOD``: half the client's rate, as CoinW's penalty phase does."""

    def __init__(self) -> None:
        self.accepted: list[float] = []
        self.rejections = 0
        self.seen = 0

    async def handle(self, request: web.Request) -> web.Response:
        now = time.monotonic()
        self.seen += 1
        recent = [t for t in self.accepted if now - t < PERIOD]
        if self.seen == 3 or (self.rejections and len(recent) >= 2):
            self.rejections += 1
            return web.json_response({"code": 29001, "msg": "API access frequently"})
        self.accepted.append(now)
        page_no = int(request.query.get("pageNo", "1"))
        first = (page_no - 1) * PAGE_SIZE
        items = [record(uid) for uid in range(first + 1, first + PAGE_SIZE + 1)]
        return web.json_response(envelope(PAGES * PAGE_SIZE, items))


@pytest.fixture
async def halving() -> AsyncIterator[tuple[HalvingServer, str]]:
    server = HalvingServer()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield server, f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def test_a_walk_against_halved_limits_draws_at_most_two_rejections(
    halving: tuple[HalvingServer, str],
) -> None:
    server, base_url = halving
    async with AssetClient(
        "halving-e2e-key",
        "halving-e2e-secret",
        base_url=base_url,
        limiter="process",
        rate_limit=RateLimit(requests=5, period=PERIOD, margin=0.1),
        retry_policy=RetryPolicy(max_retries=8, base_delay=0.01, max_delay=0.05),
    ) as client:
        assets = [asset async for asset in client.iter_invitee_assets(page_size=PAGE_SIZE)]
    assert sorted(asset.uid for asset in assets) == list(range(1, PAGES * PAGE_SIZE + 1))
    assert server.rejections >= 1  # the trigger was hit
    assert server.rejections <= 2
