"""A key's rate can change once every client using it is closed (or collected)."""

from __future__ import annotations

import gc

import pytest

from asset_client import AssetClient, AssetClientError, InvalidParameterError, RateLimit
from asset_client.limit import ProcessLimiter
from asset_client.limit.limiter import limiter_for, limiter_users, release_limiter
from tests.client.test_client_sandbox import collect, config, connected

BASE = "http://127.0.0.1:9"
SLOW = RateLimit(requests=2, period=1.0)
FAST = RateLimit(requests=10, period=1.0)


def test_the_rate_is_fixed_while_a_client_holds_the_key(api_key: str) -> None:
    first = AssetClient(api_key, "secret", base_url=BASE, rate_limit=SLOW)
    second = AssetClient(api_key, "secret", base_url=BASE, rate_limit=SLOW)
    assert second._limiter is first._limiter
    assert limiter_users(api_key) == 2
    with pytest.raises(InvalidParameterError, match="2 open client"):
        AssetClient(api_key, "secret", base_url=BASE, rate_limit=FAST)
    assert limiter_users(api_key) == 2  # the refused client holds nothing


async def test_closing_every_client_frees_the_rate(api_key: str) -> None:
    first = AssetClient(api_key, "secret", base_url=BASE, rate_limit=SLOW)
    second = AssetClient(api_key, "secret", base_url=BASE, rate_limit=SLOW)
    old = first._limiter
    await old.send_slot()  # a send the new limiter must still keep its distance from
    await old.pause(30.0)  # and a pause in progress it must honour
    await first.close()
    with pytest.raises(InvalidParameterError):
        AssetClient(api_key, "secret", base_url=BASE, rate_limit=FAST)
    await second.close()
    await second.close()  # closing twice releases once
    assert limiter_users(api_key) == 0
    async with AssetClient(api_key, "secret", base_url=BASE, rate_limit=FAST) as third:
        assert third._limiter is not old
        assert third._limiter.rate == FAST
        # The clock and the pause are the key's, in the backend: both carry over.
        assert await third._limiter.paused_for() > 29.0
        verdict = await third._limiter.backend.peek(third._limiter._key, third._limiter.lanes, 1e18)
        assert verdict.wait > 0  # served past the pause: still spaced from the last send
        assert limiter_users(api_key) == 1
    assert limiter_users(api_key) == 0


def test_a_client_collected_without_close_lets_go(api_key: str) -> None:
    client = AssetClient(api_key, "secret", base_url=BASE, rate_limit=SLOW)
    assert limiter_users(api_key) == 1
    del client
    gc.collect()
    assert limiter_users(api_key) == 0
    AssetClient(api_key, "secret", base_url=BASE, rate_limit=FAST)


async def test_partner_endpoint_limiters_are_released_too() -> None:
    async with connected(config(invitees=20)) as (sb, client):
        await collect(client.iter_invitee_assets(page_size=10))
        [_ async for _ in client.iter_invitees(page_size=10)]
        assert limiter_users(sb.api_key) == 1
        assert limiter_users(sb.api_key, "invitees") == 1  # counted once, not per page
    assert limiter_users(sb.api_key) == 0
    assert limiter_users(sb.api_key, "invitees") == 0


def test_release_never_goes_below_zero(api_key: str) -> None:
    backend = ProcessLimiter()
    slow = limiter_for(api_key, SLOW, backend)
    release_limiter(slow)
    release_limiter(slow)
    assert limiter_users(api_key) == 0
    fast = limiter_for(api_key, FAST, backend)  # free to change
    release_limiter(slow)  # a replaced limiter's release takes nothing from its successor
    assert fast.rate == FAST and limiter_users(api_key) == 1


def test_global_rate_and_backend_are_fixed_while_held_then_free(api_key: str) -> None:
    backend = ProcessLimiter()
    held = limiter_for(api_key, SLOW, backend, global_rate=SLOW)
    with pytest.raises(InvalidParameterError, match="global_rate_limit"):
        limiter_for(api_key, SLOW, backend, global_rate=FAST)
    with pytest.raises(InvalidParameterError, match="limiter"):
        limiter_for(api_key, SLOW, ProcessLimiter(), global_rate=SLOW)
    release_limiter(held)
    again = limiter_for(api_key, SLOW, backend, global_rate=FAST)
    assert [lane.interval for lane in again.lanes] == [SLOW.interval, FAST.interval]


async def test_a_closed_client_takes_no_limiter_back() -> None:
    async with connected(config(invitees=20)) as (sb, client):
        pass
    with pytest.raises(AssetClientError, match="closed"):
        await client.get_invitees_page()
    assert limiter_users(sb.api_key, "invitees") == 0
