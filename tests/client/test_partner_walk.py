"""Walking the invitee list and the volume against the sandbox: every record once, in order,
also while invitees register during the walk (newest-first shifts later pages)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, assert_type

import pytest

from asset_client import (
    AssetClient,
    DailyVolume,
    InvalidParameterError,
    Invitee,
    InviteePage,
    RateLimit,
    Resume,
    VolumePage,
)
from asset_client.sandbox import SandboxConfig
from tests._helpers import sandbox_and_client

WINDOW = 0.05
NOW = datetime(2026, 6, 15, 12, 0, 0)
NOW_TS = NOW.replace(tzinfo=UTC).timestamp()
EVER = datetime(2017, 1, 1)


@contextlib.asynccontextmanager
async def connected(
    invitees: int = 300, **client_kwargs: Any
) -> AsyncIterator[tuple[Any, AssetClient]]:
    config = SandboxConfig(
        invitees=invitees,
        rate_limit=5,
        window=WINDOW,
        partner_now=lambda: NOW,
        wall_clock=lambda: NOW_TS,
    )
    async with sandbox_and_client(
        config,
        rate_limit=RateLimit(requests=5, period=WINDOW, margin=0.01),
        wall_clock=lambda: NOW_TS,
        **client_kwargs,
    ) as pair:
        yield pair


async def test_invitee_walk_yields_everyone_ever_newest_first() -> None:
    async with connected() as (sandbox, client):
        got = [i async for i in client.iter_invitees(page_size=20)]
        expected = sandbox.partner.invitees(start=EVER, end=NOW)
        sent = {dict(r.params)["endTime"] for r in sandbox.stats.requests}
    assert [(i.uid, i.register_time.replace(tzinfo=None)) for i in got] == [
        (e.uid, e.register_time) for e in expected
    ]
    assert len(got) == 300 and sent == {"2026-06-15 12:00:00"}
    assert client.stats.requests == 15


async def test_registrations_during_the_walk_neither_duplicate_nor_lose() -> None:
    async with connected(max_concurrency=2) as (sandbox, client):
        before = sandbox.partner.invitees(start=EVER, end=NOW)
        got = []
        async for invitee in client.iter_invitees(page_size=10):
            got.append(invitee.uid)
            if len(got) in (1, 55, 150):
                # After the walk's frozen end: outside its window, cannot shift its pages.
                sandbox.partner.register(2, at=NOW + timedelta(seconds=len(got)))
        after = sandbox.partner.invitees(start=EVER, end=NOW + timedelta(hours=1))
    assert got == [e.uid for e in before]
    assert len(after) == len(before) + 6


async def test_registrations_inside_the_window_shift_pages_without_duplicates(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # As if the server's clock lagged ours: new invitees land inside the frozen window, at
    # the top of the newest-first list, pushing every later page down while we read.
    async with connected(max_concurrency=1) as (sandbox, client):
        before = [e.uid for e in sandbox.partner.invitees(start=EVER, end=NOW)]
        got: list[int] = []
        async for invitee in client.iter_invitees(page_size=10):
            got.append(invitee.uid)
            if len(got) in (5, 95, 201):
                sandbox.partner.register(3, at=NOW - timedelta(seconds=1))
        stats = client.stats
    # Every invitee listed throughout, once, newest first; the shifted repeats dropped.
    assert got == before
    assert stats.duplicates_dropped > 0
    # The newcomers sort before the walk's position: counted and reported, not fetched.
    assert stats.arrived_during_walk == 9  # all three bursts came after page 1 was read
    assert "were added before the walk's position" in caplog.text


async def test_invitee_walk_filters_by_code_and_window() -> None:
    async with connected() as (sandbox, client):
        someone = sandbox.partner.invitees(start=EVER, end=NOW)[10]
        got = [
            i.uid
            async for i in client.iter_invitees(
                referral_code=someone.referral_code, start_time="2020-01-01 00:00:00"
            )
        ]
        expected = sandbox.partner.invitees(
            start=datetime(2020, 1, 1), end=NOW, referral_code=someone.referral_code
        )
    assert got == [e.uid for e in expected] and someone.uid in got


async def test_volume_walk_yields_every_uid_day_once_exactly() -> None:
    async with connected() as (sandbox, client):
        got = [
            v
            async for v in client.iter_trading_volume(
                start_date=date(2026, 3, 1), end_date=date(2026, 6, 15), page_size=50
            )
        ]
        expected = sandbox.partner.volumes(start=date(2026, 3, 1), end=date(2026, 6, 15))
    assert [(v.day, v.uid, v.volume) for v in got] == [
        (day, uid, Decimal(units).scaleb(-8)) for day, uid, units in expected
    ]
    assert len({(v.uid, v.day) for v in got}) == len(got) > 100


async def test_volume_walk_default_is_the_servers_30_days() -> None:
    async with connected() as (sandbox, client):
        got = [v async for v in client.iter_trading_volume()]
        bodies = [dict(r.params) for r in sandbox.stats.requests]
    assert min(v.day for v in got) >= NOW.date() - timedelta(days=30)
    assert all("startTime" not in b and "endTime" not in b for b in bodies)


async def test_refused_default_page_size_falls_back_to_100() -> None:
    config = SandboxConfig(
        invitees=250,
        rate_limit=50,
        window=0.1,
        partner_now=lambda: NOW,
        wall_clock=lambda: NOW_TS,
    )
    async with sandbox_and_client(
        config, rate_limit=RateLimit(requests=50, period=0.1), wall_clock=lambda: NOW_TS
    ) as (sandbox, client):
        original = sandbox.partner.list_page

        def strict(query: Any) -> dict[str, object]:
            if query.page_size > 100:
                from asset_client.sandbox._partner import BadPartnerParameter

                raise BadPartnerParameter("pageSize", query.page_size)
            return original(query)

        sandbox.partner.list_page = strict  # type: ignore[method-assign]
        got = [i async for i in client.iter_invitees()]
        sizes = [dict(r.params)["pageSize"] for r in sandbox.stats.requests]
        sandbox.stats.requests.clear()
        again = [i async for i in client.iter_invitees()]  # the accepted size is remembered
        later = [dict(r.params)["pageSize"] for r in sandbox.stats.requests]
        sandbox.stats.requests.clear()
        assert [a async for a in client.iter_invitee_assets()]  # another endpoint: its own
        assets = [dict(r.params)["pageSize"] for r in sandbox.stats.requests]
    assert len(got) == len(again) == 250
    assert sizes == ["1000", "100", "100", "100"]
    assert later == ["100", "100", "100"]
    assert assets[0] == "1000"


async def test_invitee_and_volume_walks_resume_after_what_the_caller_has() -> None:
    async with connected(invitees=120) as (_, client):
        invitees = [i async for i in client.iter_invitees(page_size=20)]
        volume = [v async for v in client.iter_trading_volume(page_size=20)]
        for had in (1, 37, len(invitees)):
            last = invitees[had - 1]
            tied = frozenset(i.uid for i in invitees[:had] if i.register_time == last.register_time)
            resume = Resume(last.register_time, had, tied)
            rest = [i async for i in client.iter_invitees(page_size=20, resume=resume)]
            assert rest == invitees[had:]
        had = len(volume) // 2
        day = volume[had - 1].day
        same_day = frozenset((v.uid, v.day) for v in volume[:had] if v.day == day)
        resume = Resume(day, had, same_day)
        assert [v async for v in client.iter_trading_volume(resume=resume)] == volume[had:]


async def test_bad_walk_arguments_raise_at_the_call() -> None:
    async with connected() as (sandbox, client):
        with pytest.raises(InvalidParameterError, match="page_size"):
            client.iter_invitees(page_size=0)
        with pytest.raises(InvalidParameterError, match="end_date"):
            client.iter_trading_volume(end_date="2026-13-01")
        assert sandbox.stats.requests == []


async def test_public_partner_api_types_as_documented() -> None:
    async with connected(invitees=20) as (_, client):
        async with contextlib.aclosing(client.iter_invitees()) as walk:
            async for invitee in walk:
                assert_type(invitee, Invitee)
                assert_type(invitee.register_time, datetime)
        async with contextlib.aclosing(client.iter_trading_volume()) as days:
            async for day in days:
                assert_type(day, DailyVolume)
                assert_type(day.volume, Decimal)
                assert_type(day.day, date)
        assert_type(await client.get_invitees_page(), InviteePage)
        assert_type(await client.get_trading_volume_page(), VolumePage)
