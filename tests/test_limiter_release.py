"""A key's rate can change once every client using it is closed (or collected)."""

from __future__ import annotations

import gc

import pytest

from asset_client import AssetClient, AssetClientError, InvalidParameterError, RateLimit
from asset_client._ratelimit import limiter_for, limiter_users, release_limiter
from tests.test_client_sandbox import collect, config, connected

HOST = "127.0.0.1:9"  # the registry's name for base_url below
BASE = "http://127.0.0.1:9"
SLOW = RateLimit(requests=2, period=1.0)
FAST = RateLimit(requests=10, period=1.0)


def test_the_rate_is_fixed_while_a_client_holds_the_key(api_key: str) -> None:
    first = AssetClient(api_key, "secret", base_url=BASE, rate_limit=SLOW)
    second = AssetClient(api_key, "secret", base_url=BASE, rate_limit=SLOW)
    assert second._limiter is first._limiter
    assert limiter_users(HOST, api_key) == 2
    with pytest.raises(InvalidParameterError, match="2 open client"):
        AssetClient(api_key, "secret", base_url=BASE, rate_limit=FAST)
    assert limiter_users(HOST, api_key) == 2  # the refused client holds nothing


async def test_closing_every_client_frees_the_rate(api_key: str) -> None:
    first = AssetClient(api_key, "secret", base_url=BASE, rate_limit=SLOW)
    second = AssetClient(api_key, "secret", base_url=BASE, rate_limit=SLOW)
    old = first._limiter
    old._last_send = 1234.5  # a send the new limiter must still keep its distance from
    await first.close()
    with pytest.raises(InvalidParameterError):
        AssetClient(api_key, "secret", base_url=BASE, rate_limit=FAST)
    await second.close()
    await second.close()  # closing twice releases once
    assert limiter_users(HOST, api_key) == 0
    async with AssetClient(api_key, "secret", base_url=BASE, rate_limit=FAST) as third:
        assert third._limiter is not old
        assert third._limiter.rate == FAST
        assert third._limiter._last_send == 1234.5
        assert limiter_users(HOST, api_key) == 1
    assert limiter_users(HOST, api_key) == 0


def test_a_client_collected_without_close_lets_go(api_key: str) -> None:
    client = AssetClient(api_key, "secret", base_url=BASE, rate_limit=SLOW)
    assert limiter_users(HOST, api_key) == 1
    del client
    gc.collect()
    assert limiter_users(HOST, api_key) == 0
    AssetClient(api_key, "secret", base_url=BASE, rate_limit=FAST)


async def test_partner_endpoint_limiters_are_released_too() -> None:
    async with connected(config(invitees=20)) as (sb, client):
        await collect(client.iter_invitee_assets(page_size=10))
        [_ async for _ in client.iter_invitees(page_size=10)]
        host = sb.base_url.removeprefix("http://")
        assert limiter_users(host, sb.api_key) == 1
        assert limiter_users(f"{host}/invitees", sb.api_key) == 1  # counted once, not per page
    assert limiter_users(host, sb.api_key) == 0
    assert limiter_users(f"{host}/invitees", sb.api_key) == 0


def test_release_never_goes_below_zero(api_key: str) -> None:
    release_limiter("h:1", api_key)
    assert limiter_users("h:1", api_key) == 0
    limiter_for("h:1", api_key, SLOW)
    release_limiter("h:1", api_key)
    release_limiter("h:1", api_key)
    limiter_for("h:1", api_key, FAST)  # free to change
    assert limiter_users("h:1", api_key) == 1


async def test_a_closed_client_takes_no_limiter_back() -> None:
    async with connected(config(invitees=20)) as (sb, client):
        pass
    host = sb.base_url.removeprefix("http://")
    with pytest.raises(AssetClientError, match="closed"):
        await client.get_invitees_page()
    assert limiter_users(f"{host}/invitees", sb.api_key) == 0
