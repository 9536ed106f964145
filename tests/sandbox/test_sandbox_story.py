"""The sandbox tells a believable story: a stable registration, nothing before it, a real
funnel, every watch event kind over a few simulated days, and the special uids a test needs.

Checked over the data model the server serves (and, for the special uids, through a client
against a running sandbox)."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from asset_client import AssetClient
from asset_client.sandbox import NOT_AN_INVITEE, SandboxConfig, run_sandbox
from asset_client.sandbox._data import SandboxData, parse_datetime
from asset_client.sandbox._partner import PartnerData

SEED, SIZE = 1, 3000  # the demo config (`sync --sandbox`, `report --sandbox`)
NOW = datetime(2026, 12, 7)  # a sandbox's start after the seeded span, as on any real run
TODAY = NOW.date()


def _partner(days: int = 0, now: datetime = NOW, size: int = SIZE) -> PartnerData:
    return PartnerData(SEED, SandboxData(SEED, size, days), lambda: now)


def _assets(partner: PartnerData) -> dict[int, dict[str, object]]:
    data = partner._base  # the same population the partner view derives from
    return {int(str(r["uid"])): r for r in data.population("usdt").records()}


def _first_deposit(record: dict[str, object]) -> datetime | None:
    text = record["firstDepositTime"]
    return parse_datetime(text) if isinstance(text, str) and text else None


def test_registration_is_the_same_whenever_the_sandbox_starts() -> None:
    early, late = _partner(now=NOW), _partner(now=NOW + timedelta(days=400, hours=7))
    registered = {i.uid: i.register_time for i in early.by_uid().values()}
    assert registered == {i.uid: i.register_time for i in late.by_uid().values()}
    # A fixed epoch: the seeded span, six monthly cohorts, none in the sandbox's "future".
    months = {t.strftime("%Y-%m") for t in registered.values()}
    assert months == {f"2026-{m:02d}" for m in range(1, 7)}


@pytest.mark.parametrize("now", [NOW, datetime(2026, 6, 15, 12, 0, 0)])
def test_no_deposit_or_volume_before_registration(now: datetime) -> None:
    partner = _partner(days=3, now=now)
    assets, invitees = _assets(partner), partner.by_uid()
    assert assets.keys() <= invitees.keys()
    checked = 0
    for uid, record in assets.items():
        registered = invitees[uid].register_time
        assert registered <= now  # never a registration after the sandbox's "now"
        first = _first_deposit(record)
        if first is not None:
            assert registered <= first, (uid, registered, first)
            checked += 1
        for day, _units in invitees[uid].volumes:
            assert first is not None and day >= first.date() >= registered.date(), uid
    assert checked > SIZE // 2


def test_a_funnel_like_a_real_affiliates() -> None:
    partner = _partner()
    assets, invitees = _assets(partner), partner.by_uid()
    deposited = {u for u, r in assets.items() if Decimal(str(r["totalDeposit"])) > 0}
    traded = {u for u, inv in invitees.items() if inv.volumes}
    share = len(deposited) / len(assets)
    assert 0.6 < share < 0.8, share  # some never deposit
    assert traded <= deposited  # nobody trades without a deposit
    assert 0.2 < len(deposited - traded) / len(deposited) < 0.5  # some deposit, never trade
    # A few whales: the top 2 % of traders hold a large share of the volume.
    volume = sorted((sum(u for _, u in inv.volumes) for inv in invitees.values()), reverse=True)
    top = volume[: len(assets) // 50]
    assert sum(top) > 0.3 * sum(volume), sum(top) / sum(volume)
    # Time to first deposit: mostly days, not months, with a tail.
    delays = sorted(
        (first - invitees[u].register_time).total_seconds() / 86_400
        for u, r in assets.items()
        if (first := _first_deposit(r)) is not None
    )
    assert 1 < delays[len(delays) // 2] < 7 and delays[-1] > 14


def _volume_over(inv_volumes: tuple[tuple[date, int], ...], days: int) -> int:
    start = TODAY - timedelta(days=days - 1)
    return sum(units for day, units in inv_volumes if day >= start)


def _events(before: PartnerData, after: PartnerData, milestone: int) -> dict[str, int]:
    """Count each watch event kind between two days of the sandbox."""
    a, b = _assets(before), _assets(after)
    va, vb = before.by_uid(), after.by_uid()
    counts = dict.fromkeys(
        ("new_invitee", "gone", "first_deposit", "deposit", "withdrawal", "volume_milestone"), 0
    )
    counts["new_invitee"] = len(vb.keys() - va.keys())
    counts["gone"] = len(va.keys() - vb.keys())

    def amount(record: dict[str, object], name: str) -> Decimal:
        return Decimal(str(record[name]))

    for uid in a.keys() & b.keys():
        was, now = amount(a[uid], "totalDeposit"), amount(b[uid], "totalDeposit")
        counts["first_deposit"] += was == 0 < now
        counts["deposit"] += 0 < was < now
        counts["withdrawal"] += amount(a[uid], "totalWithdrawal") < amount(
            b[uid], "totalWithdrawal"
        )
    for uid in va.keys() & vb.keys():
        low, high = _volume_over(va[uid].volumes, 30), _volume_over(vb[uid].volumes, 30)
        counts["volume_milestone"] += low < milestone <= high
    return counts


def test_every_event_kind_occurs_over_a_few_days_of_the_demo() -> None:
    days = [_partner(days=d) for d in range(4)]
    milestone = 50_000 * 10**8  # 50,000 over 30 days, in units of 1e-8
    totals: dict[str, int] = {}
    for before, after in itertools.pairwise(days):
        for kind, count in _events(before, after, milestone).items():
            totals[kind] = totals.get(kind, 0) + count
    print(totals)
    assert all(count > 0 for count in totals.values()), totals
    # Volume only rises from one day to the next (the days add trading, never remove it).
    for before, after in itertools.pairwise(days):
        b, a = before.by_uid(), after.by_uid()
        for uid in b.keys() & a.keys():
            assert _volume_over(b[uid].volumes, 30) <= _volume_over(a[uid].volumes, 30)


def test_days_replay_exactly() -> None:
    assert _partner(days=2).by_uid() == _partner(days=2).by_uid()


@pytest.mark.parametrize("days", [0, 3])
def test_the_special_uids_tell_their_story(days: int) -> None:
    partner = _partner(days=days)
    special = partner.special_uids()
    assert special == _partner(days=days).special_uids()  # deterministic
    assets, invitees = _assets(partner), partner.by_uid()
    assert special.today == TODAY and special.not_invitee == NOT_AN_INVITEE
    assert NOT_AN_INVITEE not in assets and NOT_AN_INVITEE not in invitees
    never = assets[special.never_deposited]
    assert never["totalDeposit"] == "0" and not invitees[special.never_deposited].volumes
    no_volume = assets[special.no_volume]
    assert Decimal(str(no_volume["totalDeposit"])) > 0 and not invitees[special.no_volume].volumes
    outside = invitees[special.volume_outside_window].volumes
    assert outside == (
        (TODAY - timedelta(days=45), 300 * 10**8),
        (TODAY - timedelta(days=31), 700 * 10**8),
    )
    assert _volume_over(outside, 30) == 0 and Decimal(
        str(assets[special.volume_outside_window]["totalDeposit"])
    )
    edge = invitees[special.window_boundary].volumes
    assert _volume_over(edge, 30) == 1000 * 10**8 and _volume_over(edge, 31) == 1500 * 10**8
    assert special == _partner(days=days + 1).special_uids()  # the same story every day
    for uid in (special.volume_outside_window, special.window_boundary):
        registered = invitees[uid].register_time.date()
        assert all(day >= registered for day, _ in invitees[uid].volumes)


async def test_a_client_sees_the_special_uids_as_documented() -> None:
    config = SandboxConfig(partner_now=lambda: NOW, rate_limit=10_000)
    async with run_sandbox(config) as sandbox:
        special = sandbox.special_uids()
        async with AssetClient(
            sandbox.api_key, sandbox.secret_key, base_url=sandbox.base_url
        ) as client:
            assert await client.get_invitee_asset(special.not_invitee) is None
            never = await client.get_invitee_asset(special.never_deposited)
            assert never is not None and never.total_deposit == 0
            start, end = TODAY - timedelta(days=29), TODAY
            edge = client.iter_trading_volume(
                uid=special.window_boundary, start_date=start, end_date=end
            )
            assert [(v.day, v.volume) async for v in edge] == [(start, Decimal(1000))]
            outside = client.iter_trading_volume(
                uid=special.volume_outside_window, start_date=start, end_date=end
            )
            assert [v async for v in outside] == []
            # The server's own default window (today - 30 .. today) holds the day before.
            default = client.iter_trading_volume(uid=special.window_boundary)
            assert sorted([v.volume async for v in default]) == [Decimal(500), Decimal(1000)]
