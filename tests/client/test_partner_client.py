"""Integration: the invitee list and volume single-page calls against the sandbox over HTTP.

The sandbox window is scaled down (5 requests per 0.1 s), as in test_client_sandbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from asset_client import (
    AssetClient,
    InvalidParameterError,
    RateLimit,
    ResponseDecodeError,
    RetryPolicy,
)
from asset_client.core.signing import ASSETS_PATH, INVITEES_PATH, VOLUME_PATH
from asset_client.records import DailyVolume, Invitee
from asset_client.sandbox import Fault, FaultConfig, Sandbox, SandboxConfig
from tests._helpers import sandbox_and_client

WINDOW = 0.1
CLIENT_RATE = RateLimit(requests=5, period=WINDOW, margin=0.02)
NOW = datetime(2026, 6, 15, 12, 0, 0)  # server-local (the sandbox and client zone: UTC)
NOW_TS = NOW.replace(tzinfo=UTC).timestamp()


@contextlib.asynccontextmanager
async def connected(**overrides: Any) -> AsyncIterator[tuple[Sandbox, AssetClient]]:
    settings: dict[str, Any] = {
        "invitees": 300,
        "rate_limit": 5,
        "window": WINDOW,
        "partner_now": lambda: NOW,
        "wall_clock": lambda: NOW_TS,
    }
    client_kwargs = overrides.pop("client", {})
    settings.update(overrides)
    async with sandbox_and_client(
        SandboxConfig(**settings),
        rate_limit=CLIENT_RATE,
        wall_clock=lambda: NOW_TS,
        **client_kwargs,
    ) as pair:
        yield pair


def wire_invitee(inv: Invitee) -> dict[str, Any]:
    return {"uid": inv.uid, "registerTime": inv.register_time.strftime("%Y-%m-%d %H:%M:%S")}


async def test_invitee_page_without_window_asks_for_every_invitee_ever() -> None:
    async with connected() as (sandbox, client):
        page = await client.get_invitees_page(page_size=1000)
        sent = dict(sandbox.stats.requests[-1].params)
        expected = sandbox.partner.invitees(start=datetime(2017, 1, 1), end=NOW)
    assert (sent["startTime"], sent["endTime"]) == ("2017-01-01 00:00:00", "2026-06-15 12:00:00")
    assert page.total == 300 and len(page.items) == 300
    assert [wire_invitee(i) for i in page.items] == [
        {"uid": e.uid, "registerTime": e.register_time.strftime("%Y-%m-%d %H:%M:%S")}
        for e in expected
    ]
    assert all(i.register_time.tzinfo is UTC for i in page.items)


async def test_invitee_page_filters_and_pages() -> None:
    async with connected() as (sandbox, client):
        someone = sandbox.partner.invitees(start=datetime(2017, 1, 1), end=NOW)[3]
        by_code = await client.get_invitees_page(referral_code=someone.referral_code)
        by_uid = await client.get_invitees_page(uid=someone.uid)
        second = await client.get_invitees_page(page_no=2, page_size=10)
        first = await client.get_invitees_page(page_size=20)
    assert someone.uid in {i.uid for i in by_code.items} and by_code.total < 300
    assert [i.uid for i in by_uid.items] == [someone.uid]
    assert second.items == first.items[10:20]


async def test_volume_page_is_a_signed_post_with_the_30_day_default() -> None:
    async with connected() as (sandbox, client):
        page = await client.get_trading_volume_page(page_size=1000)
        record = sandbox.stats.requests[-1]
        expected = sandbox.partner.volumes(start=NOW.date() - timedelta(days=30), end=NOW.date())
    assert record.path == VOLUME_PATH and record.code == "0"
    assert dict(record.params) == {"pageNo": "1", "pageSize": "1000"}
    assert [(v.day, v.uid, v.volume) for v in page.items] == [
        (day, uid, Decimal(units).scaleb(-8)) for day, uid, units in expected
    ]
    assert page.total == len(expected) > 0


async def test_volume_page_with_dates_and_uid() -> None:
    async with connected() as (sandbox, client):
        wide = await client.get_trading_volume_page(
            start_date=date(2026, 4, 1), end_date="2026-06-15", page_size=1000
        )
        uid = wide.items[0].uid
        one = await client.get_trading_volume_page(
            uid=uid, start_date=date(2026, 4, 1), end_date="2026-06-15"
        )
        body = json.loads(dict(sandbox.stats.requests[-1].params)["uid"])
    assert body == uid
    assert one.items == tuple(v for v in wide.items if v.uid == uid)
    assert all(isinstance(v, DailyVolume) for v in one.items)


@pytest.mark.parametrize(
    ("call", "kwargs", "field"),
    [
        ("get_invitees_page", {"page_size": 1001}, "page_size"),
        ("get_invitees_page", {"page_no": 0}, "page_no"),
        ("get_invitees_page", {"referral_code": "bad code"}, "referral_code"),
        ("get_invitees_page", {"start_time": "2027-01-01 00:00:00"}, "start_time"),
        ("get_trading_volume_page", {"start_date": "2026-06-31"}, "start_date"),
        ("get_trading_volume_page", {"uid": 0}, "uid"),
    ],
)
async def test_bad_arguments_raise_before_any_request(
    call: str, kwargs: dict[str, Any], field: str
) -> None:
    async with connected() as (sandbox, client):
        with pytest.raises(InvalidParameterError) as info:
            await getattr(client, call)(**kwargs)
        assert sandbox.stats.requests == []
    assert info.value.field == field


async def test_faults_are_retried_for_post_as_for_get() -> None:
    faults = FaultConfig(
        script={1: Fault.SERVER_ERROR_HTML, 2: Fault.TRUNCATED_JSON, 3: Fault.RATE_LIMITED}
    )
    quick = RetryPolicy(max_retries=8, base_delay=0.002, max_delay=0.02)
    async with connected(faults=faults, client={"retry_policy": quick}) as (sandbox, client):
        page = await client.get_trading_volume_page()
        assert [r.code for r in sandbox.stats.requests] == [None, None, "29001", "0"]
    assert page.total > 0
    assert client.stats.retries == 3


async def test_a_wrong_shaped_answer_is_a_typed_error() -> None:
    async with connected() as (sandbox, client):
        sandbox.partner.register(1, at=NOW)
        original = sandbox.partner.list_page

        def broken(query: Any) -> dict[str, object]:
            data = original(query)
            data["list"] = [{"uid": 1, "registerTime": "yesterday"}]
            return data

        sandbox.partner.list_page = broken  # type: ignore[method-assign]
        with pytest.raises(ResponseDecodeError) as info:
            await client.get_invitees_page()
    assert (info.value.field, info.value.value) == ("registerTime", "yesterday")


async def test_each_endpoint_draws_on_its_own_budget() -> None:
    async with connected() as (sandbox, client):
        # Distinct pages: identical calls in flight would share one request.
        await asyncio.gather(
            *(client.get_invitee_assets_page(page_no=n) for n in range(1, 9)),
            *(client.get_invitees_page(page_no=n) for n in range(1, 9)),
            *(client.get_trading_volume_page(page_no=n) for n in range(1, 9)),
        )
        stats = sandbox.stats
        assert stats.rejected == 0
        for path in (ASSETS_PATH, INVITEES_PATH, VOLUME_PATH):
            assert stats.max_in_window(path=path) <= 5
        # Three budgets at once: more than one endpoint's worth in some window.
        assert stats.max_in_window() > 5


async def test_a_global_limit_caps_all_endpoints_together() -> None:
    glob = RateLimit(requests=5, period=WINDOW, margin=0.02)
    async with connected(client={"global_rate_limit": glob}) as (sandbox, client):
        await asyncio.gather(
            *(client.get_invitees_page(page_no=n) for n in range(1, 9)),
            *(client.get_trading_volume_page(page_no=n) for n in range(1, 9)),
        )
        # The global lane is claimed with each endpoint's own, in one step: never over.
        assert sandbox.stats.max_in_window() <= 5
        assert sandbox.stats.rejected == 0
