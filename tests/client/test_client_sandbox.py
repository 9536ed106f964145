"""Integration: the client against the embedded sandbox over real loopback HTTP.

The sandbox enforces a strict sliding window; tests scale the window down (5 requests
per 0.1 s) so a 30-page walk takes well under a second.  The client's margin is wider
than in production to absorb scheduling noise on a loaded CI machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from asset_client import (
    AssetClient,
    AssetClientError,
    AuthenticationError,
    InvalidParameterError,
    InviteeAsset,
    PermissionDeniedError,
    RateLimit,
    Resume,
    RetryPolicy,
)
from asset_client.endpoints import ASSETS
from asset_client.sandbox import Fault, FaultConfig, Sandbox, SandboxConfig
from tests._helpers import sandbox_and_client

WINDOW = 0.1
CLIENT_RATE = RateLimit(requests=5, period=WINDOW, margin=0.02)
QUICK_RETRIES = RetryPolicy(max_retries=8, base_delay=0.002, max_delay=0.02)


def as_wire(asset: InviteeAsset) -> dict[str, Any]:
    """An asset back in the server's terms, to compare with `Sandbox.expected`."""
    return {
        "uid": asset.uid,
        "totalDeposit": asset.total_deposit,
        "totalWithdrawal": asset.total_withdrawal,
        "currentBalance": asset.current_balance,
        "updateTime": asset.update_time.strftime("%Y-%m-%d %H:%M:%S")
        if asset.update_time
        else None,
        "firstDepositAmount": asset.first_deposit_amount,
        "firstDepositTime": asset.first_deposit_time.strftime("%Y-%m-%d %H:%M:%S")
        if asset.first_deposit_time
        else None,
    }


def normalise(raw: dict[str, Any]) -> dict[str, Any]:
    def money(value: Any, blank: Decimal | None) -> Decimal | None:
        return blank if value in (None, "") else Decimal(value)

    return {
        "uid": raw["uid"],
        "totalDeposit": money(raw["totalDeposit"], Decimal(0)),
        "totalWithdrawal": money(raw["totalWithdrawal"], Decimal(0)),
        "currentBalance": money(raw["currentBalance"], Decimal(0)),
        "updateTime": raw["updateTime"] or None,
        "firstDepositAmount": money(raw["firstDepositAmount"], None),
        "firstDepositTime": raw["firstDepositTime"] or None,
    }


def assert_exact(assets: list[InviteeAsset], expected: list[dict[str, Any]]) -> None:
    assert [a.uid for a in assets] == [e["uid"] for e in expected]
    assert [as_wire(a) for a in assets] == [normalise(e) for e in expected]


def uid_at(expected: list[dict[str, Any]], index: int) -> int:
    uid = expected[index]["uid"]
    assert isinstance(uid, int)
    return uid


def config(**overrides: Any) -> SandboxConfig:
    settings: dict[str, Any] = {"invitees": 300, "rate_limit": 5, "window": WINDOW}
    settings.update(overrides)
    return SandboxConfig(**settings)


@contextlib.asynccontextmanager
async def connected(
    sandbox_config: SandboxConfig, **client_kwargs: Any
) -> AsyncIterator[tuple[Sandbox, AssetClient]]:
    client_kwargs.setdefault("rate_limit", CLIENT_RATE)
    client_kwargs.setdefault("retry_policy", QUICK_RETRIES)
    async with sandbox_and_client(sandbox_config, **client_kwargs) as pair:
        yield pair


async def collect(iterator: AsyncIterator[InviteeAsset]) -> list[InviteeAsset]:
    return [asset async for asset in iterator]


async def test_default_walk_uses_one_request_per_1000_records() -> None:
    async with connected(config(invitees=2500)) as (sandbox, client):
        assets = await collect(client.iter_invitee_assets())
        assert_exact(assets, sandbox.expected("usdt"))
        assert client.stats.requests == 3
        assert all(dict(r.params)["pageSize"] == "1000" for r in sandbox.stats.requests)


async def test_thirty_page_walk_is_exact_and_never_trips_the_window() -> None:
    async with connected(config()) as (sandbox, client):
        assets = await collect(client.iter_invitee_assets(page_size=10))
        assert_exact(assets, sandbox.expected("usdt"))
        assert len(sandbox.stats.requests) == 30
        assert sandbox.stats.rejected == 0
        assert sandbox.stats.max_in_window(sandbox.api_key) <= 5


async def test_query_goes_on_the_wire_in_the_signed_order() -> None:
    async with connected(config(invitees=40)) as (sandbox, client):
        await collect(
            client.iter_invitee_assets(
                quote="usdc",
                start_time="2026-02-01 00:00:00",
                end_time="2026-05-01 12:30:00",
                page_size=25,
            )
        )
        params = sandbox.stats.requests[0].params
        assert [name for name, _ in params] == [
            "startTime",
            "endTime",
            "quote",
            "pageNo",
            "pageSize",
        ]
        assert dict(params)["startTime"] == "2026-02-01 00:00:00"
        assert sandbox.stats.accepted == len(sandbox.stats.requests)


async def test_time_window_changes_totals_but_not_balances() -> None:
    async with connected(config(invitees=60)) as (sandbox, client):
        start, end = "2026-03-01 00:00:00", "2026-04-30 23:59:59"
        windowed = await collect(
            client.iter_invitee_assets(quote="usdc", start_time=start, end_time=end)
        )
        assert_exact(windowed, sandbox.expected("usdc", start_time=start, end_time=end))
        lifetime = await collect(client.iter_invitee_assets(quote="usdc"))
        assert [a.current_balance for a in windowed] == [a.current_balance for a in lifetime]
        assert [a.total_deposit for a in windowed] != [a.total_deposit for a in lifetime]


async def test_uid_filter_returns_that_invitee() -> None:
    async with connected(config(invitees=50)) as (sandbox, client):
        target = uid_at(sandbox.expected("usdt"), 17)
        assets = await collect(client.iter_invitee_assets(uid=target))
        assert [a.uid for a in assets] == [target]


async def test_server_max_100_falls_back_and_completes() -> None:
    async with connected(config(invitees=250, max_page_size=100)) as (sandbox, client):
        assets = await collect(client.iter_invitee_assets())
        assert_exact(assets, sandbox.expected("usdt"))
        sizes = [dict(r.params)["pageSize"] for r in sandbox.stats.requests]
        assert sizes == ["1000", "100", "100", "100"]
        # the client remembers: the next walk starts at 100
        await collect(client.iter_invitee_assets())
        assert dict(sandbox.stats.requests[4].params)["pageSize"] == "100"


async def test_clamping_server_is_replanned_without_skips() -> None:
    async with connected(config(invitees=230, clamp_page_size=40)) as (sandbox, client):
        assets = await collect(client.iter_invitee_assets())
        assert_exact(assets, sandbox.expected("usdt"))
        assert client.stats.replans == 1
        # Page 1 twice (one short page is never trusted alone), then pages 2-6 at 40.
        sizes = [dict(r.params)["pageSize"] for r in sandbox.stats.requests]
        assert sizes == ["1000", "1000", "40", "40", "40", "40", "40"]


async def test_growing_total_is_followed() -> None:
    faults = FaultConfig(grow_after=2, grow_by=25)
    async with connected(config(invitees=100, faults=faults)) as (sandbox, client):
        assets = await collect(client.iter_invitee_assets(page_size=10, quote="usdt"))
        expected = sandbox.expected("usdt")
        assert len(expected) == 125
        assert_exact(assets, expected)


@pytest.mark.parametrize("concurrency", [1, 8])
async def test_shrinking_total_is_followed_back_without_losing_a_record(
    concurrency: int, caplog: pytest.LogCaptureFixture
) -> None:
    # After 3 pages, the 5 lowest invitees disappear: every later record moves 5 places
    # towards pages already read.  Without stepping back, 5 of them would be skipped.
    faults = FaultConfig(shrink_after=3, shrink_by=5)
    sandbox_config = config(invitees=100, faults=faults)
    async with connected(sandbox_config, max_concurrency=concurrency) as (sandbox, client):
        before = sandbox.expected("usdt")
        assets = await collect(client.iter_invitee_assets(page_size=10))
        assert_exact(assets, before)  # the 5 removed were read before they went
        assert client.stats.total_decreases == 1
        assert "total fell from 100 to 95" in caplog.text


async def test_fifteen_percent_random_faults_still_give_every_record_once() -> None:
    faults = FaultConfig(
        random_rate=0.15,
        seed=7,
        random_kinds=(
            Fault.SERVER_ERROR_HTML,
            Fault.TRUNCATED_JSON,
            Fault.EMPTY_BODY,
            Fault.CONNECTION_RESET,
            Fault.RATE_LIMITED,
            Fault.CODE_500,
        ),
    )
    async with connected(config(faults=faults)) as (sandbox, client):
        assets = await collect(client.iter_invitee_assets(page_size=10))
        assert_exact(assets, sandbox.expected("usdt"))
        assert any(r.fault for r in sandbox.stats.requests)
        assert client.stats.retries == sum(1 for r in sandbox.stats.requests if r.fault)
        assert sandbox.stats.rejected == 0


async def test_429_mode_with_retry_after_is_waited_out() -> None:
    faults = FaultConfig(script={2: Fault.RATE_LIMITED})
    sandbox_config = config(invitees=30, faults=faults, rate_limit_status=429, retry_after=0.05)
    async with connected(sandbox_config) as (sandbox, client):
        assets = await collect(client.iter_invitee_assets(page_size=10))
        assert_exact(assets, sandbox.expected("usdt"))
        assert client.stats.rate_limit_waits == 1
        assert sandbox.stats.requests[1].status == 429


async def test_wrong_secret_fails_after_one_request() -> None:
    async with connected(config(), secret_key="not-the-secret") as (sandbox, client):
        with pytest.raises(AuthenticationError):
            await collect(client.iter_invitee_assets())
        assert len(sandbox.stats.requests) == 1


async def test_not_an_affiliate_fails_after_one_request() -> None:
    sandbox_config = config(non_affiliate_keys={"plain-user": "plain-secret"})
    async with connected(sandbox_config, api_key="plain-user", secret_key="plain-secret") as (
        sandbox,
        client,
    ):
        with pytest.raises(PermissionDeniedError, match="affiliate"):
            await client.get_invitee_assets_page()
        assert len(sandbox.stats.requests) == 1


async def test_many_tasks_and_clients_on_one_key_share_the_window() -> None:
    async with connected(config(invitees=60)) as (sandbox, first):
        async with AssetClient(
            sandbox.api_key,
            sandbox.secret_key,
            base_url=sandbox.base_url,
            rate_limit=CLIENT_RATE,
            retry_policy=QUICK_RETRIES,
        ) as second:
            walks = [
                collect(client.iter_invitee_assets(page_size=10))
                for client in (first, second, first, second)
            ]
            results = await asyncio.gather(*walks)
        expected = sandbox.expected("usdt")
        for assets in results:
            assert_exact(assets, expected)
        assert len(sandbox.stats.requests) == 24
        assert sandbox.stats.rejected == 0
        assert sandbox.stats.max_in_window(sandbox.api_key) <= 5


def in_flight_tracer() -> tuple[aiohttp.TraceConfig, dict[str, int]]:
    counts = {"now": 0, "max": 0}

    async def started(*_: Any) -> None:
        counts["now"] += 1
        counts["max"] = max(counts["max"], counts["now"])

    async def ended(*_: Any) -> None:
        counts["now"] -= 1

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(started)
    trace.on_request_end.append(ended)
    trace.on_request_exception.append(ended)
    return trace, counts


async def test_pages_are_fetched_concurrently_under_latency() -> None:
    trace, counts = in_flight_tracer()
    async with (
        aiohttp.ClientSession(trace_configs=[trace]) as session,
        connected(config(invitees=100, faults=FaultConfig(latency=0.15)), session=session) as (
            sandbox,
            client,
        ),
    ):
        assets = await collect(client.iter_invitee_assets(page_size=10))
        assert_exact(assets, sandbox.expected("usdt"))
    # With 0.15 s of latency and a send every 0.024 s, a sequential walk would never
    # have two requests open at once.
    assert counts["max"] >= 3


async def wait_until(condition: Callable[[], bool], step: Callable[[], Awaitable[None]]) -> None:
    while not condition():
        await step()


async def test_breaking_out_leaves_no_tasks_and_no_open_connections() -> None:
    trace, counts = in_flight_tracer()
    sandbox_config = config(faults=FaultConfig(latency=0.05))
    async with (
        aiohttp.ClientSession(trace_configs=[trace]) as session,
        connected(sandbox_config, session=session) as (_, client),
    ):
        seen = []
        async with contextlib.aclosing(client.iter_invitee_assets(page_size=10)) as walk:
            async for asset in walk:
                seen.append(asset)
                if len(seen) == 25:
                    break
        assert client._walks.tasks == set()
        assert counts["now"] == 0
        connector = session.connector
        assert connector is not None
        assert not connector._acquired


async def test_cancelling_the_consumer_leaves_no_tasks() -> None:
    async with connected(config(faults=FaultConfig(latency=0.05))) as (sandbox, client):
        got_some = asyncio.Event()

        async def consume() -> None:
            async for _ in client.iter_invitee_assets(page_size=10):
                got_some.set()

        task = asyncio.ensure_future(consume())
        await got_some.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert client._walks.tasks == set()
        assert len(sandbox.stats.requests) < 30


async def test_closing_the_client_cancels_a_walk_in_flight() -> None:
    async with connected(config(faults=FaultConfig(latency=0.05))) as (_, client):
        walk = client.iter_invitee_assets(page_size=10)
        first = await anext(walk)
        assert first.uid > 0
        assert client._walks.tasks  # pages in flight
        await client.close()
        assert client._walks.tasks == set()
        # The caller's task was not cancelled: it hears why the walk stopped.
        with pytest.raises(AssetClientError, match="closed during the walk"):
            while True:
                await anext(walk)


async def test_resume_after_uid_skips_pages_and_records_already_had() -> None:
    async with connected(config(invitees=100)) as (sandbox, client):
        expected = sandbox.expected("usdt")
        resumed = await collect(
            client.iter_invitee_assets(
                page_size=10, after_uid=uid_at(expected, 44), start_offset=45
            )
        )
        assert_exact(resumed, expected[45:])
        first_page = dict(sandbox.stats.requests[0].params)["pageNo"]
        assert first_page == "5"  # 45 records had: pages 1-4 skipped, page 5 re-read


async def test_resume_is_the_same_given_as_a_resume_point() -> None:
    async with connected(config(invitees=100)) as (sandbox, client):
        expected = sandbox.expected("usdt")
        point = Resume(uid_at(expected, 44), 45)
        resumed = await collect(client.iter_invitee_assets(page_size=10, resume=point))
        assert_exact(resumed, expected[45:])
        assert dict(sandbox.stats.requests[0].params)["pageNo"] == "5"
        walked = await collect(client.walk(ASSETS, page_size=10, resume=point))
        assert_exact(walked, expected[45:])
        with pytest.raises(InvalidParameterError, match="not both"):
            client.iter_invitee_assets(after_uid=uid_at(expected, 44), resume=point)


async def test_resume_restarts_from_page_one_when_data_moved() -> None:
    async with connected(config(invitees=100)) as (sandbox, client):
        expected = sandbox.expected("usdt")
        # Claim an offset far past the uid: page 9 starts after it, so the walk restarts.
        resumed = await collect(
            client.iter_invitee_assets(
                page_size=10, after_uid=uid_at(expected, 20), start_offset=85
            )
        )
        assert_exact(resumed, expected[21:])
        pages = [dict(r.params)["pageNo"] for r in sandbox.stats.requests]
        assert pages[0] == "9" and pages[1] == "1"


async def test_resume_on_a_page_boundary_reads_only_what_is_left() -> None:
    # The exporter checkpoints whole pages, so its resume points fall on page boundaries.
    async with connected(config(invitees=300)) as (sandbox, client):
        expected = sandbox.expected("usdt")
        resumed = await collect(
            client.iter_invitee_assets(
                page_size=10, after_uid=uid_at(expected, 99), start_offset=100
            )
        )
        assert_exact(resumed, expected[100:])
        pages = [int(dict(r.params)["pageNo"]) for r in sandbox.stats.requests]
        assert pages[0] == 10  # the anchor: the page holding record 100, asked alone first
        assert sorted(pages) == list(range(10, 31))  # nothing re-read


async def test_resume_against_a_capping_server_skips_nothing() -> None:
    # The server caps pages at 100, so page 3 at size 1000 is served from offset 200,
    # not 2000: the resumed walk must not take it for the page after record 2050.
    async with connected(config(invitees=2600, clamp_page_size=100)) as (sandbox, client):
        expected = sandbox.expected("usdt")
        resumed = await collect(
            client.iter_invitee_assets(after_uid=uid_at(expected, 2049), start_offset=2050)
        )
        assert_exact(resumed, expected[2050:])


async def test_debug_log_has_pages_but_no_secrets(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="asset_client")
    async with connected(config(invitees=30)) as (sandbox, client):
        await collect(client.iter_invitee_assets(page_size=10))
        assert "page 3 attempt 1: HTTP 200, 10 records" in caplog.text
        assert sandbox.secret_key not in caplog.text


async def test_a_dropped_connection_is_retried_by_the_client_through_the_limiter() -> None:
    # aiohttp would resend the GET by itself, unmetered; the client's own session must not.
    faults = FaultConfig(script={2: Fault.CONNECTION_RESET})
    async with connected(config(invitees=30, faults=faults)) as (sandbox, client):
        assets = await collect(client.iter_invitee_assets(page_size=10))
        assert_exact(assets, sandbox.expected("usdt"))
        assert client.stats.retries == 1
        assert client.stats.requests == len(sandbox.stats.requests) == 4
