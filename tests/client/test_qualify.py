"""`AssetClient.qualify` against the sandbox: each kind of uid answered exactly, with the
fewest requests.  The uids are found from the sandbox's own data model (its assets
records and its partner view of the same people), at a fixed server "now"."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from asset_client import AssetClient, InvalidParameterError, Qualification
from asset_client.core.signing import ASSETS_PATH, INVITEES_PATH, VOLUME_PATH
from asset_client.sandbox import Sandbox, SandboxConfig
from tests._helpers import sandbox_and_client
from tests.client.test_client_sandbox import CLIENT_RATE, QUICK_RETRIES, WINDOW

NOW = datetime(2026, 6, 15, 12, 0, 0)  # server time (UTC), naive as the sandbox keeps it
TODAY = NOW.date()


def _fixed() -> float:
    return NOW.replace(tzinfo=UTC).timestamp()


@contextlib.asynccontextmanager
async def qualifying(**client_kwargs: Any) -> AsyncIterator[tuple[Sandbox, AssetClient]]:
    config = SandboxConfig(
        invitees=300,
        seed=7,
        rate_limit=5,
        window=WINDOW,
        partner_now=lambda: NOW,
        wall_clock=_fixed,
    )
    client_kwargs.setdefault("rate_limit", CLIENT_RATE)
    client_kwargs.setdefault("retry_policy", QUICK_RETRIES)
    async with sandbox_and_client(config, wall_clock=_fixed, **client_kwargs) as pair:
        yield pair


def _assets(sb: Sandbox) -> dict[int, dict[str, Any]]:
    return {int(str(r["uid"])): r for r in sb.expected("usdt")}


def _volumes(sb: Sandbox, uid: int) -> dict[date, Decimal]:
    return {day: Decimal(units).scaleb(-8) for day, units in sb.partner.by_uid()[uid].volumes}


def _paths(sb: Sandbox, since: int = 0) -> list[str]:
    return [r.path for r in sb.stats.requests[since:]]


def _depositor_with(sb: Sandbox, *, volume: bool) -> int:
    for uid, record in _assets(sb).items():
        if Decimal(record["totalDeposit"]) > 0 and bool(_volumes(sb, uid)) == volume:
            return uid
    raise AssertionError("the sandbox has no such invitee")


async def test_a_stranger_is_not_an_invitee_after_one_request() -> None:
    async with qualifying() as (sb, client):
        stranger = max(_assets(sb)) + 1
        answer = await client.qualify(stranger, min_deposit=100, min_volume=1000)
        assert answer.is_invitee is False
        assert answer.qualified is False
        assert answer.reasons == ("not a direct invitee",)
        assert answer.total_deposit is None and answer.volume is None
        assert _paths(sb) == [ASSETS_PATH]  # nothing after "not an invitee"


async def test_no_thresholds_means_invitee_and_sends_no_volume_call() -> None:
    async with qualifying() as (sb, client):
        uid = _depositor_with(sb, volume=True)
        answer = await client.qualify(uid)
        assert answer.qualified is True and answer.reasons == ()
        assert answer.total_deposit == Decimal(_assets(sb)[uid]["totalDeposit"])
        registered = sb.partner.by_uid()[uid].register_time
        assert answer.registered_at == registered.replace(tzinfo=UTC)
        assert answer.volume is None
        assert sorted(_paths(sb)) == sorted([ASSETS_PATH, INVITEES_PATH])


async def test_never_deposited_fails_the_deposit_with_its_reason() -> None:
    async with qualifying() as (sb, client):
        uid = next(u for u, r in _assets(sb).items() if Decimal(r["totalDeposit"]) == 0)
        answer = await client.qualify(uid, min_deposit="100")
        assert answer.is_invitee is True and answer.qualified is False
        assert answer.total_deposit == 0
        assert answer.reasons == ("deposit 0 USDT is below 100",)


async def test_deposits_but_no_volume() -> None:
    async with qualifying() as (sb, client):
        uid = _depositor_with(sb, volume=False)
        deposit = Decimal(_assets(sb)[uid]["totalDeposit"])
        answer = await client.qualify(uid, min_deposit=deposit, min_volume=1)
        assert answer.volume == 0
        assert answer.reasons == ("volume 0 over 30 days is below 1",)
        assert sorted(_paths(sb)) == sorted([ASSETS_PATH, INVITEES_PATH, VOLUME_PATH])


async def test_volume_only_outside_the_window_and_on_its_boundary_day() -> None:
    async with qualifying() as (sb, client):
        special = sb.special_uids()
        assert special.today == TODAY
        # Volume only on today-45 and today-31: a 30-day window (today included) has none.
        answer = await client.qualify(
            special.volume_outside_window, min_volume="0.00000001", days=30
        )
        assert answer.volume_start == TODAY - timedelta(days=29)
        assert answer.volume_end == TODAY
        assert answer.volume == 0 and not answer.qualified
        # 1000 on today-29 (the window's first day) and 500 on today-30 (just outside it).
        uid = special.window_boundary
        volumes = _volumes(sb, uid)
        inside = volumes[TODAY - timedelta(days=29)]
        answer = await client.qualify(uid, min_volume=inside, days=30)
        assert answer.volume_start == TODAY - timedelta(days=29)
        assert answer.volume == inside and answer.qualified
        whole = inside + volumes[TODAY - timedelta(days=30)]
        answer = await client.qualify(uid, min_volume=whole, days=30)
        assert answer.reasons == (
            f"volume {inside.normalize():f} over 30 days is below {whole.normalize():f}",
        )
        answer = await client.qualify(uid, min_volume=whole, days=31)
        assert answer.volume == whole and answer.qualified


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"uid": 0}, "uid"),
        ({"uid": -5}, "uid"),
        ({"uid": None}, "uid"),
        ({"uid": 1, "min_deposit": -1}, "min_deposit"),
        ({"uid": 1, "min_volume": "lots"}, "min_volume"),
        ({"uid": 1, "min_volume": float("nan")}, "min_volume"),
        ({"uid": 1, "days": 0}, "days"),
        ({"uid": 1, "days": 3651}, "days"),
        ({"uid": 1, "quote": "eur"}, "quote"),
    ],
)
async def test_bad_input_is_refused_before_any_request(kwargs: dict[str, Any], field: str) -> None:
    async with qualifying() as (sb, client):
        uid = kwargs.pop("uid")
        with pytest.raises(InvalidParameterError) as caught:
            await client.qualify(uid, **kwargs)
        assert caught.value.field == field
        assert sb.stats.requests == []


async def test_thirty_users_asking_at_once_share_the_requests() -> None:
    import asyncio

    async with qualifying() as (sb, client):
        uid = _depositor_with(sb, volume=True)
        answers = await asyncio.gather(
            *(client.qualify(uid, min_deposit=1, min_volume=1) for _ in range(30))
        )
        assert len(set(answers)) == 1 and isinstance(answers[0], Qualification)
        assert len(sb.stats.requests) == 3
