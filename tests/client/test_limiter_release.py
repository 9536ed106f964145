"""A key's rate can change once every client using it is closed (or collected)."""

from __future__ import annotations

import asyncio
import gc

import pytest

from asset_client import AssetClient, AssetClientError, InvalidParameterError, RateLimit
from asset_client.endpoints import ASSETS, INVITEES
from asset_client.limit import LimiterRegistry, ProcessLimiter, default_registry, use_registry
from tests._helpers import take_slot
from tests.client.test_client_sandbox import collect, config, connected

BASE = "http://127.0.0.1:9"
SLOW = RateLimit(requests=2, period=1.0)
FAST = RateLimit(requests=10, period=1.0)


def refused_while_held(api_key: str, rate: RateLimit, holders: int) -> None:
    """A client at ``rate`` is refused, naming the ``holders`` open clients of the key."""
    with pytest.raises(InvalidParameterError, match=f"{holders} open client"):
        AssetClient(api_key, "secret", base_url=BASE, rate_limit=rate)


def test_the_rate_is_fixed_while_a_client_holds_the_key(api_key: str) -> None:
    first = AssetClient(api_key, "secret", base_url=BASE, rate_limit=SLOW)
    second = AssetClient(api_key, "secret", base_url=BASE, rate_limit=SLOW)
    assert second._requests.lane(ASSETS) is first._requests.lane(ASSETS)
    refused_while_held(api_key, FAST, 2)
    refused_while_held(api_key, FAST, 2)  # the refused client holds nothing


async def test_closing_every_client_frees_the_rate(api_key: str) -> None:
    first = AssetClient(api_key, "secret", base_url=BASE, rate_limit=SLOW)
    second = AssetClient(api_key, "secret", base_url=BASE, rate_limit=SLOW)
    old = first._requests.lane(ASSETS)
    await take_slot(old)  # a send the new limiter must still keep its distance from
    await old.pause(30.0)  # and a pause in progress it must honour
    await first.close()
    refused_while_held(api_key, FAST, 1)
    await second.close()
    await second.close()  # closing twice releases once
    async with AssetClient(api_key, "secret", base_url=BASE, rate_limit=FAST) as third:
        lane = third._requests.lane(ASSETS)
        assert lane is not old
        assert lane.rate == FAST
        # The clock and the pause are the key's, in the backend: both carry over.
        assert await lane.paused_for() > 29.0
        verdict = await lane.backend.peek(lane.key, lane.lanes, 1e18)
        assert verdict.wait > 0  # served past the pause: still spaced from the last send
        refused_while_held(api_key, SLOW, 1)
    AssetClient(api_key, "secret", base_url=BASE, rate_limit=SLOW)


def test_a_client_collected_without_close_lets_go(api_key: str) -> None:
    client = AssetClient(api_key, "secret", base_url=BASE, rate_limit=SLOW)
    refused_while_held(api_key, FAST, 1)
    del client
    gc.collect()
    AssetClient(api_key, "secret", base_url=BASE, rate_limit=FAST)


async def test_partner_endpoint_limiters_are_released_too() -> None:
    async with connected(config(invitees=20)) as (sb, client):
        await collect(client.iter_invitee_assets(page_size=10))
        [_ async for _ in client.iter_invitees(page_size=10)]
        refused_while_held(sb.api_key, FAST, 1)  # one client, whatever it walked
    async with AssetClient(sb.api_key, "secret", base_url=sb.base_url, rate_limit=FAST) as fresh:
        assert fresh._requests.lane(INVITEES).rate == FAST


def test_release_never_goes_below_zero(api_key: str) -> None:
    backend = ProcessLimiter()
    registry = LimiterRegistry()
    slow = registry.hold(api_key, SLOW, backend)
    slow.release()
    slow.release()
    fast = registry.hold(api_key, FAST, backend)  # free to change
    slow.release()  # a replaced hold's release takes nothing from its successor
    assert fast.lane("assets").rate == FAST
    with pytest.raises(InvalidParameterError, match="1 open client"):
        registry.hold(api_key, SLOW, backend)


def test_global_rate_and_backend_are_fixed_while_held_then_free(api_key: str) -> None:
    backend = ProcessLimiter()
    registry = LimiterRegistry()
    held = registry.hold(api_key, SLOW, backend, global_rate=SLOW)
    with pytest.raises(InvalidParameterError, match="global_rate_limit"):
        registry.hold(api_key, SLOW, backend, global_rate=FAST)
    with pytest.raises(InvalidParameterError, match="limiter"):
        registry.hold(api_key, SLOW, ProcessLimiter(), global_rate=SLOW)
    held.release()
    again = registry.hold(api_key, SLOW, backend, global_rate=FAST).lane("assets")
    assert [lane.interval for lane in again.lanes] == [SLOW.interval, FAST.interval]


async def test_a_closed_client_takes_no_limiter_back() -> None:
    async with connected(config(invitees=20)) as (sb, client):
        pass
    with pytest.raises(AssetClientError, match="closed"):
        await client.get_invitees_page()
    with pytest.raises(AssetClientError, match="closed"):
        [_ async for _ in client.iter_invitees()]
    # Nothing is held: another rate is free for the key.
    AssetClient(sb.api_key, "secret", base_url=sb.base_url, rate_limit=FAST)


def test_a_client_given_a_registry_shares_only_with_that_registry(api_key: str) -> None:
    own = LimiterRegistry()
    mine = AssetClient(api_key, "secret", base_url=BASE, rate_limit=SLOW, limiter_registry=own)
    # The default registry has not seen the key: another rate is fine there ...
    AssetClient(api_key, "secret", base_url=BASE, rate_limit=FAST)
    # ... and two clients given the same registry share one limiter per lane.
    other = AssetClient(api_key, "secret", base_url=BASE, rate_limit=SLOW, limiter_registry=own)
    assert other._requests.lane(ASSETS) is mine._requests.lane(ASSETS)


async def test_use_registry_scopes_the_default_for_this_context_and_its_tasks(
    api_key: str,
) -> None:
    outer = default_registry()
    mine = LimiterRegistry()
    with use_registry(mine):
        assert default_registry() is mine
        held = AssetClient(api_key, "secret", base_url=BASE, rate_limit=SLOW)

        async def in_a_task() -> LimiterRegistry:
            return default_registry()

        assert await asyncio.create_task(in_a_task()) is mine
        refused_while_held(api_key, FAST, 1)
    assert default_registry() is outer
    AssetClient(api_key, "secret", base_url=BASE, rate_limit=FAST)  # outer never saw it
    await held.close()
