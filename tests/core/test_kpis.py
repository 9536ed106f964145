"""The KPIs over joined rows: hand-made rows with known answers, and properties over any rows
(shares, sums and the cohorts add up; a percentile is an observed value)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from asset_client.core.kpis import (
    compute_kpis,
    counts_by,
    nearest_rank,
    period_key,
    share,
    top_by,
    ttfd_histogram,
)
from asset_client.export.report import ReportRow

T0 = datetime(2026, 1, 31, 23, 30, tzinfo=UTC)
D = Decimal


def _row(uid: int, **kw: object) -> ReportRow:
    return ReportRow(uid=uid, **kw)  # type: ignore[arg-type]


ROWS = [
    # registered, deposited after 2 h, traded
    _row(
        1,
        register_time=T0,
        total_deposit=D("1000.10"),
        total_withdrawal=D("200.05"),
        current_balance=D("800.05"),
        first_deposit_time=T0 + timedelta(hours=2),
        volume=D("5000.000000000000000000000000001"),
    ),
    # registered, never deposited, never traded
    _row(2, register_time=T0 + timedelta(days=1), total_deposit=D(0), total_withdrawal=D(0)),
    # deposit dated before registration (the server's data): inconsistent, not timed
    _row(
        3,
        register_time=T0 + timedelta(days=2),
        total_deposit=D("50"),
        first_deposit_time=T0,
        volume=D(0),
    ),
    # not in the invitee list
    _row(4, total_deposit=D("7"), first_deposit_time=T0, current_balance=D("7")),
    _row(5, register_time=T0, first_deposit_time=T0 + timedelta(days=10), total_deposit=D(3)),
]


def test_known_answers() -> None:
    k = compute_kpis(ROWS, zone=UTC, volume_days=30)
    assert (k.invitees, k.deposited, k.traded) == (5, 4, 1)
    assert (k.deposited_share, k.traded_share) == (D("0.8000"), D("0.2000"))
    assert k.total_deposit == D("1060.10")
    assert k.net_deposit == D("860.05")
    assert k.current_balance == D("807.05")
    # exact: 28 digits of default context would have dropped the last 1
    assert k.volume == D("5000.000000000000000000000000001")
    assert (k.ttfd_median_seconds, k.ttfd_p90_seconds) == (7200, 10 * 86400)
    assert k.ttfd_inconsistent == 1
    assert k.ttfd_histogram["1 h - 1 day"] == 1 and k.ttfd_histogram["7 - 30 days"] == 1
    assert sum(k.ttfd_histogram.values()) == 2
    assert [(c.month, c.invitees, c.deposited, c.traded) for c in k.cohorts] == [
        ("2026-01", 2, 2, 1),
        ("2026-02", 2, 1, 0),
    ]
    assert k.cohorts[0].deposits == D("1003.10") and k.unregistered == 1


def test_months_and_weeks_in_the_chosen_zone() -> None:
    plus_one = timezone(timedelta(hours=1))
    k = compute_kpis(ROWS, zone=plus_one)
    # 23:30 UTC on Jan 31 is February in UTC+1: uid 1 and 5 move to the February cohort
    assert [(c.month, c.invitees) for c in k.cohorts] == [("2026-02", 4)]
    assert period_key(T0, "day", plus_one) == "2026-02-01"
    assert period_key(T0, "week", UTC) == "2026-W05"
    assert counts_by([T0, None, T0 + timedelta(days=1)], "day", UTC) == {
        "2026-01-31": 1,
        "2026-02-01": 1,
    }


def test_json_has_no_floats() -> None:
    doc = compute_kpis(ROWS, zone=UTC, volume_days=30).as_json()
    assert doc["net_deposit"] == "860.05" and doc["deposited_share"] == "0.8000"
    assert doc["cohorts"][0]["deposits"] == "1003.10"

    def floats(value: object) -> bool:
        if isinstance(value, dict):
            return any(floats(v) for v in value.values())
        if isinstance(value, list):
            return any(floats(v) for v in value)
        return isinstance(value, float)

    assert not floats(doc)


def test_empty_and_edges() -> None:
    k = compute_kpis([], zone=UTC)
    assert k.invitees == 0 and k.deposited_share == D("0.0000")
    assert k.ttfd_median_seconds is None and k.cohorts == ()
    assert nearest_rank([5], D("0.9")) == 5 and nearest_rank([], D("0.5")) is None
    assert nearest_rank([1, 2, 3, 4], D("0.5")) == 2  # nearest rank, not the mean 2.5
    assert share(1, 3) == D("0.3333") and share(2, 3) == D("0.6667")
    assert ttfd_histogram([0, 3599, 3600, 90 * 86400]) == {
        "< 1 hour": 2,
        "1 h - 1 day": 1,
        "1 - 7 days": 0,
        "7 - 30 days": 0,
        "30 - 90 days": 0,
        "> 90 days": 1,
    }


def test_top_by_ranks_and_breaks_ties_by_uid() -> None:
    rows = [_row(u, volume=D(v)) for u, v in ((1, 5), (2, 9), (3, 5), (4, 0))]
    assert top_by(rows, "volume", 2) == [(2, D(9)), (1, D(5))]
    assert [u for u, _ in top_by(rows, "volume")] == [2, 1, 3]  # no zero volume


money = st.decimals(min_value=0, max_value=10**12, places=8, allow_nan=False)
moments = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)
)
rows = st.lists(
    st.builds(
        ReportRow,
        uid=st.integers(1, 10**9),
        register_time=st.none() | moments,
        total_deposit=st.none() | money,
        total_withdrawal=st.none() | money,
        current_balance=st.none() | money,
        first_deposit_time=st.none() | moments,
        volume=st.none() | money,
    ),
    max_size=40,
)


@given(rows)
def test_properties(sample: list[ReportRow]) -> None:
    k = compute_kpis(sample, zone=UTC)
    assert k.total_deposit == sum((r.total_deposit or 0 for r in sample), D(0))
    assert sum(c.invitees for c in k.cohorts) + k.unregistered == k.invitees
    assert sum(c.deposited for c in k.cohorts) <= k.deposited <= k.invitees
    assert sum((c.deposits for c in k.cohorts), D(0)) <= k.total_deposit
    timed = [
        int((r.first_deposit_time - r.register_time).total_seconds())
        for r in sample
        if r.first_deposit_time is not None and r.register_time is not None
    ]
    valid = [t for t in timed if t >= 0]
    assert sum(k.ttfd_histogram.values()) == len(valid)
    assert k.ttfd_inconsistent == len(timed) - len(valid)
    if valid:
        assert k.ttfd_median_seconds in valid and k.ttfd_p90_seconds in valid
        assert min(valid) <= k.ttfd_median_seconds <= k.ttfd_p90_seconds <= max(valid)
