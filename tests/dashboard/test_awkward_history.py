"""The dashboard's column-wise reading and one-pass KPIs against a straightforward
computation from the raw rows, on a generated history with awkward values: amounts of
many decimal places and of none, zero amounts, no first deposit, a first deposit before
the registration, registrations on midnight in UTC and in other offsets, microseconds,
invitees known to only one dataset, and several viewing zones.

Every amount is compared by its text too (``str``): same value *and* same exponent,
since the page prints the exact value as it is."""

from __future__ import annotations

import asyncio
import math
import random
import sqlite3
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from decimal import Context, Decimal, localcontext
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest

from asset_client.dashboard.aggregate import Dashboard, aggregate
from asset_client.dashboard.load import load_history
from asset_client.records import DailyVolume, Invitee, InviteeAsset
from asset_client.store import Series, SnapshotStore

T = TypeVar("T")
D0 = Decimal(0)
EXACT = Context(prec=1000)
AMOUNTS = ["0", "0.00", "0.000000000000000001", "1", "10.5", "123456789.123456789012", "7.10"]
OFFSETS = [
    UTC,
    timezone(timedelta(hours=8)),
    timezone(timedelta(hours=-5)),
    timezone(timedelta(hours=5, minutes=30)),
]
LAST_DAY = date(2026, 7, 10)


def _moment(rng: random.Random) -> datetime:
    day = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=rng.randrange(900))
    shape = rng.randrange(4)
    if shape == 0:  # midnight UTC, exactly
        return day
    if shape == 1:  # a microsecond before midnight UTC
        return day - timedelta(microseconds=1)
    if shape == 2:  # midnight in +05:30
        return day.replace(tzinfo=OFFSETS[3])
    return day + timedelta(seconds=rng.randrange(86400), microseconds=rng.randrange(10**6))


class _Awkward:
    def __init__(self, seed: int) -> None:
        rng = random.Random(seed)
        self.uids = rng.sample(range(1, 10**9), 300)
        self.assets = {u: self._asset(rng, u) for u in self.uids[:260]}
        self.registered = {
            u: _moment(rng).astimezone(rng.choice(OFFSETS)) for u in self.uids[40:290]
        }
        self.volumes = [
            DailyVolume(
                uid=u, day=LAST_DAY - timedelta(days=d), volume=Decimal(rng.choice(AMOUNTS))
            )
            for u in self.uids[::3] + self.uids[295:]
            for d in rng.sample(range(30), rng.randrange(1, 5))
        ]

    @staticmethod
    def _asset(rng: random.Random, uid: int) -> InviteeAsset:
        first = None if rng.random() < 0.3 else _moment(rng)
        return InviteeAsset(
            uid=uid,
            total_deposit=Decimal(rng.choice(AMOUNTS)),
            total_withdrawal=Decimal(rng.choice(AMOUNTS)),
            current_balance=Decimal(rng.choice(AMOUNTS)),
            first_deposit_time=first,
        )


async def _each(items: Sequence[T]) -> AsyncIterator[T]:
    for item in items:
        yield item


async def _write(path: Path, data: _Awkward) -> None:
    async with await SnapshotStore.open(path) as store:
        await store.record(
            _each(list(data.assets.values())),
            Series(dataset="assets", source="awkward", quote="usdt"),
        )
        invitees = [Invitee(uid=u, register_time=t) for u, t in data.registered.items()]
        await store.record(
            _each(invitees),
            Series(dataset="invitees", source="awkward", quote=""),
        )
        await store.record(
            _each(data.volumes),
            Series(dataset="volume", source="awkward", quote=""),
            window=(LAST_DAY - timedelta(days=29), LAST_DAY),
        )


@pytest.fixture(scope="module")
def awkward(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("awkward") / "h.sqlite"
    asyncio.run(_write(path, _Awkward(seed=7)))
    return path


def _raw(
    path: Path,
) -> tuple[dict[int, tuple[str, ...]], dict[int, datetime], list[tuple[Any, ...]]]:
    db = sqlite3.connect(path)
    try:
        assets = {
            r[0]: r[1:]
            for r in db.execute(
                "SELECT uid, total_deposit, total_withdrawal, current_balance, "
                "first_deposit_time FROM assets WHERE valid_to IS NULL"
            )
        }
        registered = {
            uid: datetime.fromisoformat(text)
            for uid, text in db.execute(
                "SELECT uid, register_time FROM invitees WHERE valid_to IS NULL"
            )
        }
        volumes = db.execute("SELECT uid, day, volume FROM volume WHERE valid_to IS NULL")
        return assets, registered, volumes.fetchall()
    finally:
        db.close()


def _key(moment: datetime, period: str, zone: tzinfo) -> str:
    local = moment.astimezone(zone)
    if period == "day":
        return local.strftime("%Y-%m-%d")
    if period == "week":
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"
    return local.strftime("%Y-%m")


def _top(amounts: dict[int, Decimal]) -> list[tuple[int, Decimal]]:
    return sorted(((u, v) for u, v in amounts.items() if v > 0), key=lambda p: (-p[1], p[0]))[:20]


def _rank(values: list[int], fraction: float) -> int | None:
    return values[max(math.ceil(len(values) * fraction), 1) - 1] if values else None


def _expected(path: Path, zone: tzinfo) -> dict[str, object]:
    """Straight from the raw rows: dicts, loops and sorts, nothing shared with the code."""
    assets, registered, volume_rows = _raw(path)
    with localcontext(EXACT):
        volume: dict[int, Decimal] = defaultdict(lambda: D0)
        daily: dict[date, Decimal] = defaultdict(lambda: D0)
        for uid, day, text in volume_rows:
            volume[uid] += Decimal(text)
            daily[date.fromisoformat(day)] += Decimal(text)
        uids = set(assets) | set(registered) | set(volume)
        deposit = {u: Decimal(a[0]) for u, a in assets.items()}
        first = {u: datetime.fromisoformat(a[3]) for u, a in assets.items() if a[3]}
        deposited = {u for u in uids if u in first or deposit.get(u, D0) > 0}
        traded = {u for u in uids if volume.get(u, D0) > 0}
        waits = [int((first[u] - registered[u]).total_seconds()) for u in first if u in registered]
        valid = sorted(w for w in waits if w >= 0)
        bounds = [3600, 86400, 7 * 86400, 30 * 86400, 90 * 86400]
        buckets = Counter(sum(1 for b in bounds if w >= b) for w in valid)
        cohorts = defaultdict(list)
        for u, t in registered.items():
            cohorts[_key(t, "month", zone)].append(u)
        span = (max(registered.values()) - min(registered.values())).days
        period = "day" if span <= 62 else "week" if span <= 731 else "month"
        new = Counter(_key(t, period, zone) for t in registered.values())
        firsts = Counter(_key(t, period, zone) for t in first.values())
        return {
            "invitees": len(uids),
            "deposited": len(deposited),
            "traded": len(traded),
            "total_deposit": sum(deposit.values(), D0),
            "total_withdrawal": sum((Decimal(a[1]) for a in assets.values()), D0),
            "current_balance": sum((Decimal(a[2]) for a in assets.values()), D0),
            "volume": sum(volume.values(), D0),
            "ttfd": (_rank(valid, 0.5), _rank(valid, 0.9), len(waits) - len(valid)),
            "histogram": [buckets.get(i, 0) for i in range(6)],
            "cohorts": [
                (
                    m,
                    len(us),
                    len(set(us) & deposited),
                    len(set(us) & traded),
                    sum((deposit[u] for u in us if u in deposit), D0),
                )
                for m, us in sorted(cohorts.items())
            ],
            "unregistered": len(uids - set(registered)),
            "period": period,
            "arrivals": [(k, new[k], firsts[k]) for k in sorted(set(new) | set(firsts))],
            "top_volume": _top(volume),
            "top_deposit": _top(deposit),
            "daily": sorted(daily.items()),
        }


def _shown(d: Dashboard) -> dict[str, object]:
    k = d.kpis
    return {
        "invitees": k.invitees,
        "deposited": k.deposited,
        "traded": k.traded,
        "total_deposit": k.total_deposit,
        "total_withdrawal": k.total_withdrawal,
        "current_balance": k.current_balance,
        "volume": k.volume,
        "ttfd": (k.ttfd_median_seconds, k.ttfd_p90_seconds, k.ttfd_inconsistent),
        "histogram": list(k.ttfd_histogram.values()),
        "cohorts": [(c.month, c.invitees, c.deposited, c.traded, c.deposits) for c in k.cohorts],
        "unregistered": k.unregistered,
        "period": d.period,
        "arrivals": d.arrivals,
        "top_volume": d.top_volume,
        "top_deposit": d.top_deposit,
        "daily": d.daily_volume,
    }


@pytest.mark.parametrize(
    "zone",
    [UTC, ZoneInfo("Asia/Kolkata"), ZoneInfo("America/St_Johns"), timezone(-timedelta(hours=9))],
)
def test_the_dashboard_figures_are_the_raw_rows_figures(awkward: Path, zone: tzinfo) -> None:
    shown = _shown(aggregate(load_history(awkward), zone=zone, zone_name="z"))
    want = _expected(awkward, zone)
    assert shown == want
    assert repr(shown) == repr(want)  # every Decimal with the same exponent, too


def test_the_awkward_history_has_what_it_is_for(awkward: Path) -> None:
    assets, registered, volume_rows = _raw(awkward)
    uids = set(assets) | set(registered) | {r[0] for r in volume_rows}
    assert uids - set(assets) and uids - set(registered)  # one-dataset invitees
    assert {r[0] for r in volume_rows} - set(assets) - set(registered)  # volume only
    assert any(a[3] is None for a in assets.values())  # no first deposit
    assert any(len(a[0].partition(".")[2]) >= 12 for a in assets.values())  # many places
    assert any(t.utcoffset() != timedelta(0) for t in registered.values())
    assert any(t.microsecond for t in registered.values())
    firsts = {u: datetime.fromisoformat(a[3]) for u, a in assets.items() if a[3]}
    assert any(firsts[u] < registered[u] for u in firsts.keys() & registered.keys())
