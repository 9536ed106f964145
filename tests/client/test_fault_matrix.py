"""The fault matrix rows not covered elsewhere (README, "What can go wrong"):
each server, shape and paging fault ends in every record exactly once, or a typed
error that says what came back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aioresponses import aioresponses

from asset_client import (
    AssetClient,
    AuthenticationError,
    PaginationError,
    RateLimitError,
    ResponseDecodeError,
    RetryPolicy,
)
from asset_client.endpoints import ASSETS
from asset_client.sandbox import Fault, FaultConfig
from tests._helpers import URL_RE, mocked_client
from tests.client.test_client_sandbox import assert_exact, collect, config, connected
from tests.conftest import envelope, record


@pytest.fixture
async def client(api_key: str) -> AsyncIterator[AssetClient]:
    async with mocked_client(api_key, max_retries=4) as c:
        yield c


# -- server faults over real HTTP -------------------------------------------------


async def test_a_burst_of_503_html_pages_is_ridden_out() -> None:
    script = dict.fromkeys((2, 3, 4), Fault.SERVER_ERROR_HTML)
    async with connected(config(invitees=50, faults=FaultConfig(script=script))) as (sb, client):
        assert_exact(await collect(client.iter_invitee_assets(page_size=10)), sb.expected("usdt"))
        assert client.stats.retries == 3


async def test_a_29001_storm_pauses_the_key_and_completes_without_window_rejections() -> None:
    script = dict.fromkeys(range(2, 7), Fault.RATE_LIMITED)
    async with connected(config(invitees=50, faults=FaultConfig(script=script))) as (sb, client):
        assert_exact(await collect(client.iter_invitee_assets(page_size=10)), sb.expected("usdt"))
        assert client.stats.rate_limit_waits == 5
        assert sb.stats.rejected == 0


async def test_a_stalled_answer_times_out_and_is_asked_again() -> None:
    faults = FaultConfig(script={2: Fault.TIMEOUT}, timeout_delay=5.0)
    async with connected(config(invitees=30, faults=faults), timeout=0.3) as (sb, client):
        assert_exact(await collect(client.iter_invitee_assets(page_size=10)), sb.expected("usdt"))
        assert client.stats.retries == 1


async def test_unknown_key_fails_after_one_request() -> None:
    async with connected(config(), api_key="nobody", secret_key="whatever") as (sb, client):
        with pytest.raises(AuthenticationError, match="6000"):
            await client.get_invitee_assets_page()
        assert len(sb.stats.requests) == 1


async def test_retries_exhausted_on_rate_limit_say_so() -> None:
    script = dict.fromkeys(range(1, 10), Fault.RATE_LIMITED)
    policy = RetryPolicy(max_retries=2, base_delay=0.001)
    async with connected(
        config(invitees=10, faults=FaultConfig(script=script)), retry_policy=policy
    ) as (_, client):
        with pytest.raises(RateLimitError, match=r"29001.*page 1"):
            await collect(client.iter_invitee_assets())


# -- shape faults: typed errors, never KeyError ------------------------------------


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"code": "0", "msg": "success"}, "data"),
        ({"code": "0", "msg": "success", "data": None}, "data"),
        ({"code": "0", "msg": "success", "data": {"total": 1, "list": "x"}}, "list"),
        ({"code": "0", "msg": "success", "data": {"total": "n/a", "list": []}}, "total"),
        (
            envelope(1, [{"totalDeposit": "1", "totalWithdrawal": "0", "currentBalance": "0"}]),
            "uid",
        ),
        (envelope(1, [record(1, totalDeposit="abc")]), "totalDeposit"),
        (envelope(1, [record(1, totalWithdrawal="1e5")]), "totalWithdrawal"),
        (envelope(1, [record(1, currentBalance="NaN")]), "currentBalance"),
        (envelope(1, [record(1, updateTime="21/05/2026 10:25")]), "updateTime"),
    ],
)
async def test_shape_faults_surface_as_decode_errors(
    client: AssetClient, payload: dict[str, Any], field: str
) -> None:
    with aioresponses() as mocked:
        mocked.get(URL_RE, payload=payload, repeat=True)
        with pytest.raises(ResponseDecodeError) as info:
            await collect(client.iter_invitee_assets())
    assert info.value.field == field
    assert "page 1" in str(info.value)


# -- paging faults -----------------------------------------------------------------


async def test_the_same_uid_on_two_pages_is_yielded_once(client: AssetClient) -> None:
    # Page 2 repeating uid 2 means a record arrived before the walk's position: it is
    # yielded once, and the walk ends with an error, since it cannot fetch the newcomer.
    uids: list[int] = []
    with aioresponses() as mocked:
        mocked.get(URL_RE, payload=envelope(5, [record(1), record(2)]))
        mocked.get(URL_RE, payload=envelope(5, [record(2), record(3)]))
        mocked.get(URL_RE, payload=envelope(5, [record(4), record(5)]))
        mocked.get(URL_RE, payload=envelope(5, []))  # 6 records seen: one more page
        with pytest.raises(PaginationError, match="appeared before the walk's position"):
            async for asset in client.iter_invitee_assets(page_size=2):
                uids.append(asset.uid)
    assert uids == [1, 2, 3, 4, 5]
    assert client.stats.duplicates_dropped == 1


async def test_a_uid_below_the_previous_one_is_an_error(client: AssetClient) -> None:
    with aioresponses() as mocked:
        mocked.get(URL_RE, payload=envelope(4, [record(10), record(20)]))
        mocked.get(URL_RE, payload=envelope(4, [record(30), record(5)]))
        with pytest.raises(PaginationError, match="uid 5 came after uid 30"):
            await collect(client.iter_invitee_assets(page_size=2, quote="usdt"))


async def test_an_empty_page_before_total_is_reported_after_what_was_read(
    client: AssetClient,
) -> None:
    uids: list[int] = []
    with aioresponses() as mocked:
        mocked.get(URL_RE, payload=envelope(6, [record(1), record(2)]))
        mocked.get(URL_RE, payload=envelope(6, []), repeat=True)
        with pytest.raises(PaginationError, match="reported 6 records but the walk ended after 2"):
            async for asset in client.iter_invitee_assets(page_size=2):
                uids.append(asset.uid)
    assert uids == [1, 2]  # everything the server did serve was yielded first


async def test_an_endless_retry_after_is_not_obeyed(client: AssetClient) -> None:
    with aioresponses() as mocked:
        mocked.get(URL_RE, status=429, headers={"Retry-After": "86400"}, body="", repeat=True)
        with pytest.raises(RateLimitError) as info:
            await client.get_invitee_assets_page()
    assert info.value.retry_after == 86400
    # Every sender of the key holds back (the server's window is closed), but for at most
    # the policy's cap: the key is not frozen for a day.
    paused = await client._requests.lane(ASSETS).paused_for()
    assert 0 < paused <= client.retry_policy.max_retry_after


async def test_429_without_retry_after_backs_off(client: AssetClient) -> None:
    with aioresponses() as mocked:
        mocked.get(URL_RE, status=429, body="")
        mocked.get(URL_RE, payload=envelope(1, [record(1)]))
        assert [a.uid async for a in client.iter_invitee_assets()] == [1]
    assert client.stats.rate_limit_waits == 1
