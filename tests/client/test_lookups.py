"""Identical lookups in flight share one request (`Lookups`), against the sandbox and,
for cancellation and the cache, with a call the test controls."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from asset_client import AssetClient, AuthenticationError, InvalidParameterError
from asset_client.client.lookups import Lookups
from tests._helpers import FakeClock
from tests.client.test_client_sandbox import config, connected, uid_at


async def test_thirty_concurrent_lookups_of_one_uid_send_one_request() -> None:
    async with connected(config(invitees=50)) as (sb, client):
        uid = uid_at(sb.expected("usdt"), 9)
        answers = await asyncio.gather(*(client.get_invitee_asset(uid) for _ in range(30)))
        assert len(sb.stats.requests) == 1
        assert all(a is not None and a.uid == uid for a in answers)
        assert len(set(answers)) == 1
        assert client.lookups.shared == 29
        assert client.stats.requests == 1


async def test_distinct_lookups_each_send_their_own_within_the_limit() -> None:
    async with connected(config(invitees=50)) as (sb, client):
        uids = [uid_at(sb.expected("usdt"), i) for i in range(30)]
        answers = await asyncio.gather(*(client.get_invitee_asset(u) for u in uids))
        assert [a.uid for a in answers if a is not None] == uids
        assert len(sb.stats.requests) == 30
        assert sb.stats.rejected == 0
        assert sb.stats.max_in_window() <= 5


async def test_an_error_reaches_every_waiter() -> None:
    async with connected(config(invitees=50), secret_key="wrong-secret") as (sb, client):
        uid = uid_at(sb.expected("usdt"), 3)
        results = await asyncio.gather(
            *(client.get_invitee_asset(uid) for _ in range(10)), return_exceptions=True
        )
        assert all(isinstance(r, AuthenticationError) for r in results)
        assert all(f"uid {uid}" in str(r) for r in results)
        assert len(sb.stats.requests) == 1


async def test_a_later_identical_lookup_sends_again_without_a_cache() -> None:
    async with connected(config(invitees=50)) as (sb, client):
        uid = uid_at(sb.expected("usdt"), 1)
        await client.get_invitee_asset(uid)
        await client.get_invitee_asset(uid)
        assert len(sb.stats.requests) == 2


async def test_the_cache_keeps_a_single_uid_answer_for_its_ttl() -> None:
    clock = FakeClock()
    async with connected(config(invitees=50)) as (sb, client):
        client.lookups = Lookups(10, clock=clock)
        uid = uid_at(sb.expected("usdt"), 1)
        first = await client.get_invitee_asset(uid)
        clock.now += 9.9
        assert await client.get_invitee_asset(uid) == first
        assert len(sb.stats.requests) == 1 and client.lookups.cached == 1
        clock.now += 0.1
        await client.get_invitee_asset(uid)
        assert len(sb.stats.requests) == 2
        # A page of everyone is not a single-uid answer: never cached.
        await client.get_invitee_assets_page()
        await client.get_invitee_assets_page()
        assert len(sb.stats.requests) == 4


class _Gate:
    """A call the test releases: counts how often it started, and whether it was cancelled."""

    def __init__(self) -> None:
        self.started = 0
        self.cancelled = False
        self.release = asyncio.Event()
        self.running = asyncio.Event()
        self.error: Exception | None = None

    async def __call__(self) -> str:
        self.started += 1
        self.running.set()
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        if self.error is not None:
            raise self.error
        return "answer"


async def _waiting(lookups: Lookups, gate: _Gate, waiters: int) -> None:
    # The waiters' tasks were scheduled before the shared one: once it runs, all wait.
    await gate.running.wait()
    assert lookups._flight["k"].waiters == waiters


async def test_cancelling_one_waiter_leaves_the_shared_request_to_the_others() -> None:
    lookups, gate = Lookups(), _Gate()
    tasks = [asyncio.create_task(lookups.share("k", gate)) for _ in range(3)]
    await _waiting(lookups, gate, 3)
    tasks[0].cancel()
    await asyncio.gather(tasks[0], return_exceptions=True)
    assert tasks[0].cancelled() and not gate.cancelled
    gate.release.set()
    assert await asyncio.gather(*tasks[1:]) == ["answer", "answer"]
    assert gate.started == 1 and lookups.in_flight == 0


async def test_when_every_waiter_leaves_the_request_is_cancelled() -> None:
    lookups, gate = Lookups(), _Gate()
    tasks = [asyncio.create_task(lookups.share("k", gate)) for _ in range(2)]
    await _waiting(lookups, gate, 2)
    shared = lookups._flight["k"].task
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, shared, return_exceptions=True)
    assert shared.cancelled() and gate.cancelled and lookups.in_flight == 0


async def test_errors_are_never_cached_and_off_means_every_call_sends() -> None:
    clock = FakeClock()
    lookups, gate = Lookups(60, clock=clock), _Gate()
    gate.error = ValueError("boom")
    gate.release.set()
    for _ in range(2):
        with pytest.raises(ValueError, match="boom"):
            await lookups.share("k", gate, cacheable=True)
    assert gate.started == 2
    lookups.enabled = False
    gate.error = None
    await asyncio.gather(*(lookups.share("k", gate) for _ in range(3)))
    assert gate.started == 5


@pytest.mark.parametrize("ttl", [-1, float("inf"), "5", True])
def test_a_bad_ttl_is_refused_by_name(ttl: Any) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        AssetClient("k" * 16, "s" * 16, lookup_cache_ttl=ttl, limiter="process")
    assert caught.value.field == "lookup_cache_ttl"
