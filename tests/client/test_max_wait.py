"""``max_wait`` and ``limiter_state()`` from the client's side, against the sandbox.

A bot asks "is uid N my invitee?" and would rather answer "busy, try in 3 s" than queue
behind a walk: with ``max_wait`` the call raises `LimiterBusyError` and sends nothing,
while the walk ahead of it goes on at full rate and within the window.
"""

from __future__ import annotations

import copy
from datetime import datetime

import pytest

from asset_client import (
    AssetClient,
    InvalidParameterError,
    LaneState,
    LimiterBusyError,
    LimiterState,
    RateLimit,
)
from asset_client.core.penalty import slow_interval
from asset_client.endpoints import ASSETS
from asset_client.sandbox import SandboxConfig, run_sandbox

WINDOW = 0.2
RATE = RateLimit(requests=5, period=WINDOW, margin=0.02)


def _client(sandbox: object, **options: object) -> AssetClient:
    return AssetClient(
        sandbox.api_key,  # type: ignore[attr-defined]
        sandbox.secret_key,  # type: ignore[attr-defined]
        base_url=sandbox.base_url,  # type: ignore[attr-defined]
        rate_limit=RATE,
        **options,  # type: ignore[arg-type]
    )


async def test_a_lookup_behind_a_walk_is_busy_at_once_and_sends_nothing() -> None:
    config = SandboxConfig(invitees=200, rate_limit=5, window=WINDOW, api_key="busy-key")
    async with run_sandbox(config) as sandbox, _client(sandbox, max_concurrency=8) as client:
        walk = client.iter_invitee_assets(page_size=10)
        first = await anext(walk)
        had = [await anext(walk) for _ in range(10)]  # into page 2: the window is queued
        assert client._requests.lane(ASSETS).waiting() >= 2
        sent_before = len(sandbox.stats.requests)
        with pytest.raises(LimiterBusyError) as caught:
            await client.get_page(ASSETS, uid=first.uid, max_wait=0.05)
        assert caught.value.retry_after > 0.05
        assert caught.value.endpoint == "assets"
        rest = [asset async for asset in walk]
        assert len(had) + len(rest) == 199
        lookups = [r for r in sandbox.stats.requests if ("uid", str(first.uid)) in r.params]
        assert not lookups  # the busy call never reached the server
        assert len(sandbox.stats.requests) == 20 > sent_before
        assert sandbox.stats.rejected == 0
        assert sandbox.stats.max_in_window(sandbox.api_key) <= 5
        # The lane is free again: the same call now gets its answer.
        assert (await client.get_page(ASSETS, uid=first.uid, max_wait=1.0)).items


async def test_the_client_default_applies_to_every_call_and_a_copy_may_differ() -> None:
    config = SandboxConfig(invitees=20, rate_limit=5, window=WINDOW, api_key="default-key")
    async with run_sandbox(config) as sandbox, _client(sandbox, max_wait=0.0) as client:
        assert client.max_wait == 0.0
        await client.get_invitee_assets_page()  # the lane is free: no wait needed
        with pytest.raises(LimiterBusyError):
            await client.get_invitee_assets_page()  # the next slot is 44 ms away
        # What with_options does: a shallow copy with its own max_wait, same lanes.
        patient = copy.copy(client)
        patient.max_wait = None
        assert client.max_wait == 0.0
        page = await patient.get_invitee_assets_page()
        assert len(page) == 20


async def test_a_walk_applies_max_wait_to_its_first_request_only() -> None:
    config = SandboxConfig(invitees=60, rate_limit=5, window=WINDOW, api_key="walk-key")
    async with run_sandbox(config) as sandbox, _client(sandbox, max_wait=0.5) as client:
        # Six pages at 44 ms each: later pages wait longer than 0.5 s in all, and go on.
        records = [a async for a in client.iter_invitee_assets(page_size=10)]
        assert len(records) == 60
        await client._requests.lane(ASSETS).pause(5.0)
        walk = client.iter_invitee_assets(page_size=10)
        with pytest.raises(LimiterBusyError):
            await anext(walk)
        await walk.aclose()


def test_bad_max_wait_is_refused_naming_it() -> None:
    for bad in (-1, float("nan"), float("inf"), "3", True):
        with pytest.raises(InvalidParameterError, match="max_wait") as caught:
            AssetClient("k" * 64, "s" * 32, max_wait=bad)  # type: ignore[arg-type]
        assert caught.value.field == "max_wait"


async def test_limiter_state_shows_each_lane_its_line_its_pause_and_its_penalty() -> None:
    config = SandboxConfig(invitees=100, rate_limit=5, window=WINDOW, api_key="state-key")
    async with run_sandbox(config) as sandbox, _client(sandbox) as client:
        state = await client.limiter_state()
        assert isinstance(state, LimiterState)
        assert [lane.lane for lane in state] == ["assets", "invitees", "volume"]
        idle = state["assets"]
        assert isinstance(idle, LaneState)
        assert idle.next_slot == 0 and idle.waiting == 0
        assert not idle.paused and not idle.slowed
        with pytest.raises(AttributeError):
            idle.waiting = 3  # type: ignore[misc]

        walk = client.iter_invitee_assets(page_size=10)
        for _ in range(11):  # into page 2: the walk's window is queued in the lane
            await anext(walk)
        busy = (await client.limiter_state())["assets"]
        assert busy.waiting >= 1 and busy.next_slot > 0
        assert (await client.limiter_state())["volume"].waiting == 0
        await walk.aclose()

        lane = client._requests.lane(ASSETS)
        await lane.pause(30.0)
        lane.rejected()  # the penalty phase begins (half rate, this process)
        paused = (await client.limiter_state())["invitees"]
        assert paused.paused and paused.slowed
        assert isinstance(paused.paused_until, datetime)
        assert paused.slowed_until is not None and paused.paused_until < paused.slowed_until
        assert 29 < paused.next_slot <= 30
        assert paused.interval == pytest.approx(slow_interval(5, WINDOW, RATE.margin))
        assert paused.interval > RATE.interval
