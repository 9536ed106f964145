"""Per-walk stats: ``iter_*`` returns an async generator with its own ``stats``;
``client.stats`` adds up every walk and can be reset."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator

import pytest

from asset_client import ClientStats, WalkIterator, WalkStats
from tests.client.test_client_sandbox import collect, config, connected


async def test_each_walk_counts_itself_and_the_client_adds_them_up() -> None:
    async with connected(config(invitees=30)) as (_, client):
        first = client.iter_invitee_assets(page_size=10)
        await collect(first)
        second = client.iter_invitee_assets(page_size=15, quote="usdc")
        await collect(second)
        assert (first.stats.requests, first.stats.pages, first.stats.records) == (3, 3, 30)
        assert (second.stats.requests, second.stats.pages) == (2, 2)
        assert first.stats.expected_total == 30
        assert second.stats.expected_total == client.stats.expected_total
        assert client.stats.requests == first.stats.requests + second.stats.requests == 5
        assert client.stats.records == first.stats.records + second.stats.records
        assert first.stats.limiter_wait <= client.stats.limiter_wait


async def test_two_walks_at_once_keep_their_counts_apart() -> None:
    async with connected(config(invitees=30)) as (_, client):
        assets = client.iter_invitee_assets(page_size=10)
        invitees = client.iter_invitees(page_size=10)
        got_assets = await collect(assets)
        got_invitees = [i async for i in invitees]
        assert assets.stats.records == len(got_assets) == 30
        assert invitees.stats.records == len(got_invitees)
        assert client.stats.records == 30 + len(got_invitees)
        assert client.stats.requests == assets.stats.requests + invitees.stats.requests


async def test_retries_count_in_the_walk_that_made_them() -> None:
    from asset_client.sandbox import Fault, FaultConfig

    faults = FaultConfig(script={2: Fault.SERVER_ERROR_HTML})
    async with connected(config(invitees=30, faults=faults)) as (_, client):
        walk = client.iter_invitee_assets(page_size=10)
        await collect(walk)
        assert walk.stats.retries == client.stats.retries == 1
        assert walk.stats.requests == 4 and walk.stats.pages == 3


async def test_client_stats_reset() -> None:
    async with connected(config(invitees=30)) as (_, client):
        walk = client.iter_invitee_assets(page_size=10)
        await collect(walk)
        client.stats.reset()
        assert client.stats == ClientStats()
        assert walk.stats.requests == 3  # a walk's own counts are not the client's
        await collect(client.iter_invitee_assets(page_size=10))
        assert client.stats.requests == 3
        client.reset_stats()
        assert client.stats.requests == 0 and client.stats.expected_total is None


def test_reset_covers_every_counter() -> None:
    stats = WalkStats(requests=3, limiter_wait=1.5, expected_total=7, hook_errors=2)
    stats.reset()
    assert stats == WalkStats()


async def test_the_walk_is_an_async_generator_that_aclosing_stops() -> None:
    async with connected(config(invitees=30)) as (sb, client):
        walk = client.iter_invitee_assets(page_size=10)
        assert isinstance(walk, WalkIterator) and isinstance(walk, AsyncGenerator)
        typed: AsyncGenerator[object, None] = walk  # the annotation the API promised
        async with contextlib.aclosing(typed) as records:
            first = await records.__anext__()
            second = await records.asend(None)
            assert first.uid < second.uid  # type: ignore[attr-defined]
        with pytest.raises(StopAsyncIteration):
            await walk.__anext__()  # closed: no more records, nothing sent
        assert walk.stats.records == 2
        assert len(sb.stats.requests) <= client.max_concurrency


async def test_athrow_reaches_the_walk_and_ends_it() -> None:
    async with connected(config(invitees=30)) as (_, client):
        walk = client.iter_invitee_assets(page_size=10)
        await walk.__anext__()
        with pytest.raises(KeyError):
            await walk.athrow(KeyError("stop"))
        with pytest.raises(StopAsyncIteration):
            await walk.__anext__()
