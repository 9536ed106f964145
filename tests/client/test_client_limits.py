"""The limiter from the client's side: one budget per key however the host is spelled,
fail fast on a refused key, and every rejection pauses the key (issue 9, sections 4-6)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aioresponses import aioresponses

from asset_client import AssetClient, PermissionDeniedError, RateLimit, RateLimitError
from asset_client.endpoints import ASSETS
from asset_client.sandbox import SandboxConfig, run_sandbox
from tests._helpers import URL_RE, mocked_client

WINDOW = 0.1
RATE = RateLimit(requests=5, period=WINDOW, margin=0.02)


async def test_one_key_is_one_budget_however_the_host_is_spelled() -> None:
    config = SandboxConfig(invitees=100, rate_limit=5, window=WINDOW, api_key="spelling-key")
    async with run_sandbox(config) as sandbox:
        port = sandbox.base_url.rsplit(":", 1)[1]
        clients = [
            AssetClient(sandbox.api_key, sandbox.secret_key, base_url=url, rate_limit=RATE)
            for url in (f"http://127.0.0.1:{port}", f"http://localhost:{port}")
        ]

        async def walk(client: AssetClient) -> int:
            async with client:
                return len([a async for a in client.iter_invitee_assets(page_size=10)])

        assert await asyncio.gather(*(walk(c) for c in clients)) == [100, 100]
        # Counted per key, whatever address each connection came from.
        assert sandbox.stats.max_in_window(sandbox.api_key) <= 5
        assert sandbox.stats.rejected == 0


async def test_a_refused_key_fails_every_queued_call_at_once_then_may_be_tried_again() -> None:
    config = SandboxConfig(invitees=10, non_affiliate_keys={"no-affiliate-key": "its-secret"})
    async with (
        run_sandbox(config) as sandbox,
        AssetClient(
            "no-affiliate-key", "its-secret", base_url=sandbox.base_url, rate_limit=RateLimit()
        ) as client,
    ):
        calls = [client.get_invitee_assets_page(page_no=n) for n in range(1, 51)]
        results = await asyncio.gather(*calls, return_exceptions=True)
        assert all(isinstance(r, PermissionDeniedError) for r in results)
        # One refusal answered all fifty: the calls queued behind it were never sent.
        assert len(sandbox.stats.requests) == 1
        # A call made later asks again (the user may have granted the permission since).
        with pytest.raises(PermissionDeniedError):
            await client.get_invitee_assets_page()
        assert len(sandbox.stats.requests) == 2


async def test_a_rate_limit_this_call_gives_up_on_still_pauses_every_sender(api_key: str) -> None:
    async with mocked_client(api_key, max_retries=0) as client:
        with aioresponses() as mocked:
            mocked.get(URL_RE, payload={"code": 29001, "msg": "API access frequently"})
            try:
                await client.get_invitee_assets_page()
            except RateLimitError as exc:
                error: Any = exc
        assert isinstance(error, RateLimitError)  # no retries left: this call gave up ...
        # ... and yet the key is paused for every other sender, at least one window.
        assert await client._requests.lane(ASSETS).paused_for() >= 0.1 * 0.5


async def test_a_walk_is_not_stuck_behind_lookups_that_came_after_it() -> None:
    config = SandboxConfig(invitees=30, rate_limit=5, window=WINDOW, api_key="fairness-key")
    async with (
        run_sandbox(config) as sandbox,
        AssetClient(
            sandbox.api_key, sandbox.secret_key, base_url=sandbox.base_url, rate_limit=RATE
        ) as client,
    ):
        done: list[str] = []

        async def walk() -> None:  # a bot's /top: 3 pages
            assert len([a async for a in client.iter_invitee_assets(page_size=10)]) == 30
            done.append("walk")

        async def lookup(n: int) -> None:  # a bot's /balance calls, arriving after it
            # Distinct pages: identical lookups in flight would share one request.
            await client.get_invitee_assets_page(page_no=n + 1, page_size=1)
            done.append(f"lookup{n}")

        walking = asyncio.ensure_future(walk())
        await asyncio.sleep(0)  # the walk takes its place in line first (ordering only)
        await asyncio.gather(walking, *(lookup(n) for n in range(60)))
        # Served in arrival order: the walk's pages 2 and 3 go before the lookups that
        # queued while page 1 was in flight (by page number, they went after all 60).
        assert done.index("walk") <= 3
