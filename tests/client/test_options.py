"""`with_options`: a view with its own timeout, retries and max_wait, sharing the rest."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from asset_client import InvalidParameterError, ServerError
from asset_client.sandbox import Fault, FaultConfig
from tests.client.test_client_sandbox import config, connected, uid_at


async def test_a_view_with_no_retries_gives_up_where_the_client_retries() -> None:
    faults = FaultConfig(script={1: Fault.SERVER_ERROR_HTML, 2: Fault.SERVER_ERROR_HTML})
    async with connected(config(invitees=50, faults=faults)) as (sb, client):
        uid = uid_at(sb.expected("usdt"), 2)
        view = client.with_options(max_retries=0)
        with pytest.raises(ServerError):
            await view.get_invitee_asset(uid)
        assert len(sb.stats.requests) == 1
        assert client.stats.requests == 1  # the view counts in the client's stats
        assert (await client.get_invitee_asset(uid)) is not None  # retried past request 2
        assert len(sb.stats.requests) == 3
        assert view.retry_policy.max_retries == 0
        assert client.retry_policy.max_retries == 8


async def test_a_view_shares_the_session_and_the_limiter_and_closing_it_keeps_them() -> None:
    async with connected(config(invitees=50)) as (sb, client):
        uids = [uid_at(sb.expected("usdt"), i) for i in range(20)]
        view = client.with_options(timeout=5, max_wait=2)
        assert view.max_wait == 2.0 and client.max_wait is None
        await asyncio.gather(
            *((view if i % 2 else client).get_invitee_asset(uid) for i, uid in enumerate(uids))
        )
        # One budget for both: never more than the limit in any window.
        assert sb.stats.rejected == 0 and sb.stats.max_in_window() <= 5
        await view.close()
        assert await client.get_invitee_asset(uids[0]) is not None
        assert view._sessions.get() is client._sessions.get()  # one session, shared


async def test_views_with_the_same_options_share_lookups_in_flight() -> None:
    async with connected(config(invitees=50)) as (sb, client):
        uid = uid_at(sb.expected("usdt"), 4)
        calls = [client.with_options(max_wait=3).get_invitee_asset(uid) for _ in range(10)]
        await asyncio.gather(*calls)
        assert len(sb.stats.requests) == 1


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"timeout": -1}, "timeout"),
        ({"timeout": "slow"}, "timeout"),
        ({"max_retries": -1}, "max_retries"),
        ({"max_wait": -0.5}, "max_wait"),
        ({"max_wait": float("inf")}, "max_wait"),
        ({"max_wait": "2"}, "max_wait"),
    ],
)
async def test_bad_options_are_refused_by_name(options: dict[str, Any], field: str) -> None:
    async with connected(config(invitees=5)) as (sb, client):
        with pytest.raises(InvalidParameterError) as caught:
            client.with_options(**options)
        assert caught.value.field == field
        assert sb.stats.requests == []
