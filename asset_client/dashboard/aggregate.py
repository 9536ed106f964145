"""What the dashboard shows, computed from a history's data before anything is drawn.

Pure: `HistoryData` in, a `Dashboard` of small aggregates out (per month, per day, per
bucket, top 20): a chart never gets one mark per invitee, so 250k invitees draw as fast
as 3,000.  The sharp edge: every time is converted to the chosen zone *here*, so a day
or month bucket is the viewer's, not the server's (except a volume day, which the API
gives only as a server day).
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from decimal import Decimal

from attrs import evolve, frozen

from asset_client.core.kpis import Kpis, Period, compute_kpis, counts_by, top_by
from asset_client.dashboard.load import HistoryData
from asset_client.endpoints import INVITEES

__all__ = ["Dashboard", "aggregate", "arrival_period", "frame"]


@frozen(kw_only=True)
class Dashboard:
    source: str
    unit: str  #: the quote, upper case: the unit of every amount
    zone_name: str
    as_of: datetime | None  #: in the chosen zone
    kpis: Kpis
    #: (taken_at in the zone, invitees in that snapshot)
    trend_invitees: list[tuple[datetime, int]]
    #: (taken_at in the zone, total deposits, current balances) per assets snapshot
    trend_money: list[tuple[datetime, Decimal, Decimal]]
    daily_volume: list[tuple[date, Decimal]]
    period: Period  #: of `arrivals`
    arrivals: list[tuple[str, int, int]]  #: (period, new invitees, first deposits)
    top_volume: list[tuple[int, Decimal]]
    top_deposit: list[tuple[int, Decimal]]


def arrival_period(first: datetime | None, last: datetime | None) -> Period:
    """Day for up to two months of registrations, week up to two years, else month."""
    if first is None or last is None:
        return "day"
    span = (last - first).days
    return "day" if span <= 62 else "week" if span <= 731 else "month"


def _arrivals(data: HistoryData, zone: tzinfo) -> tuple[Period, list[tuple[str, int, int]]]:
    registered = [r.register_time for r in data.rows if r.register_time is not None]
    period = arrival_period(min(registered, default=None), max(registered, default=None))
    new = counts_by(registered, period, zone)
    first = counts_by((r.first_deposit_time for r in data.rows), period, zone)
    keys = sorted(set(new) | set(first))
    return period, [(k, new.get(k, 0), first.get(k, 0)) for k in keys]


def frame(data: HistoryData, *, zone: tzinfo, zone_name: str) -> Dashboard:
    """The parts of ``data``'s dashboard that come from its snapshots alone (trends and
    daily volume), the rest empty: what can be drawn before the rows are aggregated."""
    invitees = [p for p in data.points if p.dataset == INVITEES.name]
    assets = [p for p in data.points if "total_deposit" in p.sums]
    return Dashboard(
        source=data.source,
        unit=data.quote.upper(),
        zone_name=zone_name,
        as_of=None if data.as_of is None else data.as_of.astimezone(zone),
        kpis=compute_kpis([], zone=zone, volume_days=data.volume_days),
        trend_invitees=[(p.taken_at.astimezone(zone), p.records) for p in invitees],
        trend_money=[
            (p.taken_at.astimezone(zone), p.sums["total_deposit"], p.sums["current_balance"])
            for p in assets
        ],
        daily_volume=sorted(data.daily_volume.items()),
        period="day",
        arrivals=[],
        top_volume=[],
        top_deposit=[],
    )


def aggregate(data: HistoryData, *, zone: tzinfo, zone_name: str) -> Dashboard:
    """The dashboard of ``data`` with times in ``zone`` (shown as ``zone_name``)."""
    period, arrivals = _arrivals(data, zone)
    return evolve(
        frame(data, zone=zone, zone_name=zone_name),
        kpis=compute_kpis(data.rows, zone=zone, volume_days=data.volume_days),
        period=period,
        arrivals=arrivals,
        top_volume=top_by(data.rows, "volume"),
        top_deposit=top_by(data.rows, "total_deposit"),
    )
