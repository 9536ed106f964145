"""``get_invitee_asset(uid)``: one request, the record or None, errors naming the uid."""

from __future__ import annotations

from typing import Any

import pytest
from aioresponses import aioresponses

from asset_client import (
    AssetClient,
    AuthenticationError,
    InvalidParameterError,
    RateLimit,
    ResponseDecodeError,
    RetryPolicy,
)
from tests.client.test_client_mocked import BASE, URL_RE
from tests.client.test_client_sandbox import collect, config, connected, uid_at
from tests.conftest import SECRET, envelope, record


async def test_an_invitee_comes_back_as_the_walk_has_it_in_one_request() -> None:
    async with connected(config(invitees=50)) as (sb, client):
        everyone = {a.uid: a for a in await collect(client.iter_invitee_assets())}
        uid = uid_at(sb.expected("usdt"), 17)
        before = len(sb.stats.requests)
        asset = await client.get_invitee_asset(uid)
        assert asset == everyone[uid]
        [request] = sb.stats.requests[before:]
        assert dict(request.params)["uid"] == str(uid)


async def test_someone_else_is_none() -> None:
    async with connected(config(invitees=50)) as (sb, client):
        expected = sb.expected("usdt")
        stranger = max(uid_at(expected, i) for i in range(len(expected))) + 1
        assert await client.get_invitee_asset(stranger) is None
        assert len(sb.stats.requests) == 1


async def test_errors_name_the_uid_not_page_1() -> None:
    async with connected(config(invitees=5), secret_key="not-the-secret") as (_, client):
        with pytest.raises(AuthenticationError) as caught:
            await client.get_invitee_asset(10111929)
    assert "uid 10111929" in str(caught.value)
    assert "page 1" not in str(caught.value)


@pytest.mark.parametrize("uid", [None, 0, -5, "12", True, 1.5, 2**63])
async def test_a_bad_uid_fails_before_any_request(uid: Any, api_key: str) -> None:
    with aioresponses() as mocked:
        async with AssetClient(api_key, SECRET, base_url=BASE) as client:
            with pytest.raises(InvalidParameterError) as caught:
                await client.get_invitee_asset(uid)
        assert caught.value.field == "uid"
        assert not mocked.requests


async def test_a_server_that_ignores_the_uid_filter_is_not_believed(api_key: str) -> None:
    with aioresponses() as mocked:
        mocked.get(URL_RE, payload=envelope(3, [record(5), record(6), record(7)]))
        async with AssetClient(
            api_key,
            SECRET,
            base_url=BASE,
            rate_limit=RateLimit(requests=1000, period=0.1, margin=0.0),
            retry_policy=RetryPolicy(max_retries=0),
        ) as client:
            with pytest.raises(ResponseDecodeError, match="ignored the uid filter") as caught:
                await client.get_invitee_asset(6)
    assert "uid 6" in str(caught.value)
