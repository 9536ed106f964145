"""An affiliate's KPIs over the joined per-invitee data: funnel, money, timing, cohorts.

Pure: rows in (anything with the `InviteeFacts` attributes, e.g. the report's
``ReportRow``), numbers out.  Money is summed exactly (`Decimal`, never float); a share
is a `Decimal` rounded to 4 places (half even).  Sharp edges: a percentile is the
*nearest rank* (an observed value, never interpolated), and a first deposit dated before
its registration (the server's data, not ours) is counted in ``ttfd_inconsistent`` and
left out of the timing, never clamped to zero.
"""

from __future__ import annotations

import bisect
import functools
import heapq
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta, tzinfo
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext
from functools import partial
from operator import attrgetter, is_not, itemgetter, methodcaller
from typing import Any, Literal, Protocol

from attrs import frozen

__all__ = [
    "TTFD_BUCKETS",
    "Cohort",
    "InviteeFacts",
    "Kpis",
    "Period",
    "compute_kpis",
    "counts_by",
    "nearest_rank",
    "period_key",
    "share",
    "top_by",
    "ttfd_histogram",
]

#: Exact sums: the default 28 digits would round a long sum silently.
_EXACT = Context(prec=1000)
_SHARE = Decimal("0.0001")
_ZERO = Decimal(0)

Period = Literal["day", "week", "month"]

#: Time-to-first-deposit buckets: (label, upper bound exclusive; None = no bound).
TTFD_BUCKETS: tuple[tuple[str, timedelta | None], ...] = (
    ("< 1 hour", timedelta(hours=1)),
    ("1 h - 1 day", timedelta(days=1)),
    ("1 - 7 days", timedelta(days=7)),
    ("7 - 30 days", timedelta(days=30)),
    ("30 - 90 days", timedelta(days=90)),
    ("> 90 days", None),
)
_TTFD_BOUNDS = [b.total_seconds() for _, b in TTFD_BUCKETS if b is not None]


class InviteeFacts(Protocol):
    """One invitee's joined facts; ``None`` = that endpoint said nothing about them."""

    @property
    def uid(self) -> int: ...
    @property
    def register_time(self) -> datetime | None: ...
    @property
    def total_deposit(self) -> Decimal | None: ...
    @property
    def total_withdrawal(self) -> Decimal | None: ...
    @property
    def current_balance(self) -> Decimal | None: ...
    @property
    def first_deposit_time(self) -> datetime | None: ...
    @property
    def volume(self) -> Decimal | None: ...


def share(part: int, whole: int) -> Decimal:
    """``part / whole`` rounded to 4 places (half even); 0 when ``whole`` is 0."""
    if whole == 0:
        return _ZERO.quantize(_SHARE)
    return (Decimal(part) / Decimal(whole)).quantize(_SHARE, rounding=ROUND_HALF_EVEN)


def nearest_rank(sorted_values: Sequence[int], fraction: Decimal) -> int | None:
    """The nearest-rank percentile (``fraction`` in (0, 1]) of ascending values."""
    if not sorted_values:
        return None
    rank = math.ceil(Decimal(len(sorted_values)) * fraction)
    return sorted_values[max(rank, 1) - 1]


def deposited(row: InviteeFacts) -> bool:
    return row.first_deposit_time is not None or (row.total_deposit or _ZERO) > 0


def traded(row: InviteeFacts) -> bool:
    return (row.volume or _ZERO) > 0


def period_key(moment: datetime | date, period: Period, zone: tzinfo) -> str:
    """The bucket of ``moment`` (a datetime is read in ``zone``): ``2026-07-03``,
    ``2026-W27`` (ISO week) or ``2026-07``."""
    day = moment.astimezone(zone).date() if isinstance(moment, datetime) else moment
    return _day_key(day, period)


@functools.cache
def _day_key(day: date, period: Period) -> str:
    # Cached per day: 250k registrations fall on a few thousand days.
    if period == "day":
        return day.isoformat()
    if period == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{day.year}-{day.month:02d}"


def counts_by(moments: Iterable[datetime | None], period: Period, zone: tzinfo) -> dict[str, int]:
    """How many ``moments`` fall in each period (``None`` skipped), keys ascending."""
    # Counted per day first, in C (a datetime is never false: filter drops only None).
    days = Counter(map(_date, map(methodcaller("astimezone", zone), filter(None, moments))))
    counts: Counter[str] = Counter()
    for day, n in days.items():
        counts[_day_key(day, period)] += n
    return dict(sorted(counts.items()))


_date = datetime.date


def ttfd_seconds(row: InviteeFacts) -> int | None:
    """Seconds from registration to first deposit; None if unknown (negative if the
    server dated the deposit before the registration)."""
    if row.register_time is None or row.first_deposit_time is None:
        return None
    return int((row.first_deposit_time - row.register_time).total_seconds())


def ttfd_histogram(seconds: Iterable[int]) -> dict[str, int]:
    """Non-negative times to first deposit counted into `TTFD_BUCKETS` (every label)."""
    labels = [label for label, _ in TTFD_BUCKETS]
    found = Counter(bisect.bisect_right(_TTFD_BOUNDS, value) for value in seconds)
    return {label: found.get(index, 0) for index, label in enumerate(labels)}


def top_by(
    rows: Iterable[InviteeFacts], field: Literal["volume", "total_deposit"], n: int = 20
) -> list[tuple[int, Decimal]]:
    """The ``n`` largest positive ``field`` values as (uid, amount); ties by uid."""
    pairs = [p for p in map(attrgetter("uid", field), rows) if p[1] is not None and p[1] > 0]
    if len(pairs) > n:  # only those at least the n-th largest amount can be in the top n
        cutoff = heapq.nlargest(n, map(itemgetter(1), pairs))[-1]
        pairs = [p for p in pairs if p[1] >= cutoff]
    return sorted(pairs, key=_rank)[:n]


def _rank(pair: tuple[int, Decimal]) -> tuple[Decimal, int]:
    return (-pair[1], pair[0])


@frozen(kw_only=True)
class Cohort:
    """The invitees who registered in one month (in the chosen zone)."""

    month: str  #: ``2026-07``
    invitees: int
    deposited: int
    traded: int
    deposits: Decimal  #: their total deposits, exact

    @property
    def deposited_share(self) -> Decimal:
        return share(self.deposited, self.invitees)

    @property
    def traded_share(self) -> Decimal:
        return share(self.traded, self.invitees)


@frozen(kw_only=True)
class Kpis:
    """The KPIs of one joined data set (see `compute_kpis`)."""

    invitees: int
    deposited: int
    traded: int
    volume_days: int | None  #: the window ``volume`` covers (None: unknown)
    total_deposit: Decimal
    total_withdrawal: Decimal
    current_balance: Decimal
    volume: Decimal
    ttfd_median_seconds: int | None
    ttfd_p90_seconds: int | None
    ttfd_inconsistent: int  #: first deposit dated before registration (left out)
    ttfd_histogram: Mapping[str, int]
    cohorts: tuple[Cohort, ...]  #: by registration month, oldest first
    unregistered: int  #: rows the invitee list never named (no cohort)

    @property
    def net_deposit(self) -> Decimal:
        return _EXACT.subtract(self.total_deposit, self.total_withdrawal)

    @property
    def deposited_share(self) -> Decimal:
        return share(self.deposited, self.invitees)

    @property
    def traded_share(self) -> Decimal:
        return share(self.traded, self.invitees)

    def as_json(self) -> dict[str, Any]:
        """JSON-ready: money and shares as exact decimal *strings*, never floats."""
        return {
            "invitees": self.invitees,
            "deposited": self.deposited,
            "deposited_share": str(self.deposited_share),
            "traded": self.traded,
            "traded_share": str(self.traded_share),
            "volume_days": self.volume_days,
            "total_deposit": str(self.total_deposit),
            "total_withdrawal": str(self.total_withdrawal),
            "net_deposit": str(self.net_deposit),
            "current_balance": str(self.current_balance),
            "volume": str(self.volume),
            "time_to_first_deposit": {
                "median_seconds": self.ttfd_median_seconds,
                "p90_seconds": self.ttfd_p90_seconds,
                "inconsistent": self.ttfd_inconsistent,
                "histogram": dict(self.ttfd_histogram),
            },
            "cohorts": [
                {
                    "month": c.month,
                    "invitees": c.invitees,
                    "deposited": c.deposited,
                    "deposited_share": str(c.deposited_share),
                    "traded": c.traded,
                    "traded_share": str(c.traded_share),
                    "deposits": str(c.deposits),
                }
                for c in self.cohorts
            ],
            "unregistered": self.unregistered,
        }


class _CohortSums:
    __slots__ = ("deposited", "deposits", "invitees", "traded")

    def __init__(self) -> None:
        self.invitees = self.deposited = self.traded = 0
        self.deposits = _ZERO


class _Scan:
    """One pass over the rows: the funnel counts, the waits, the cohorts' sums."""

    def __init__(self, rows: Sequence[InviteeFacts], zone: tzinfo) -> None:
        self.deposited = self.traded = self.unregistered = 0
        self.waits: list[int] = []  #: seconds to first deposit, negative included
        self.months: dict[str, _CohortSums] = {}
        # One loop with locals only, each attribute read once: it runs 250k times.
        month_of: dict[date, str] = {}
        months, waits, add = self.months, self.waits, _EXACT.add
        deposited = traded = unregistered = 0
        for row in rows:
            deposit, first, volume = row.total_deposit, row.first_deposit_time, row.volume
            has_deposited = first is not None or (deposit is not None and deposit > 0)
            has_traded = volume is not None and volume > 0
            deposited += has_deposited
            traded += has_traded
            registered = row.register_time
            if registered is None:
                unregistered += 1
                continue
            if first is not None:
                waits.append(int((first - registered).total_seconds()))
            day = registered.astimezone(zone).date()
            month = month_of.get(day)
            if month is None:
                month = month_of[day] = _day_key(day, "month")
            slot = months.get(month)
            if slot is None:
                slot = months[month] = _CohortSums()
            slot.invitees += 1
            slot.deposited += has_deposited
            slot.traded += has_traded
            if deposit is not None:
                slot.deposits = add(slot.deposits, deposit)
        self.deposited, self.traded, self.unregistered = deposited, traded, unregistered

    def cohorts(self) -> tuple[Cohort, ...]:
        return tuple(
            Cohort(
                month=m,
                invitees=s.invitees,
                deposited=s.deposited,
                traded=s.traded,
                deposits=s.deposits,
            )
            for m, s in sorted(self.months.items())
        )


_not_none = partial(is_not, None)


def _sum(rows: Sequence[InviteeFacts], field: str) -> Decimal:
    with localcontext(_EXACT):
        return sum(filter(_not_none, map(attrgetter(field), rows)), _ZERO)


def compute_kpis(
    rows: Iterable[InviteeFacts], *, zone: tzinfo, volume_days: int | None = None
) -> Kpis:
    """The KPIs of ``rows`` (one per invitee); months of the cohorts read in ``zone``.

    "Deposited" = a first deposit time or a positive total deposit; "traded" = a positive
    ``volume`` (which covers the last ``volume_days`` days, as the caller walked them).
    """
    rows = list(rows)
    scan = _Scan(rows, zone)
    valid = sorted(t for t in scan.waits if t >= 0)
    return Kpis(
        invitees=len(rows),
        deposited=scan.deposited,
        traded=scan.traded,
        volume_days=volume_days,
        total_deposit=_sum(rows, "total_deposit"),
        total_withdrawal=_sum(rows, "total_withdrawal"),
        current_balance=_sum(rows, "current_balance"),
        volume=_sum(rows, "volume"),
        ttfd_median_seconds=nearest_rank(valid, Decimal("0.5")),
        ttfd_p90_seconds=nearest_rank(valid, Decimal("0.9")),
        ttfd_inconsistent=len(scan.waits) - len(valid),
        ttfd_histogram=ttfd_histogram(valid),
        cohorts=scan.cohorts(),
        unregistered=scan.unregistered,
    )
