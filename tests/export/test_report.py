"""The joined report's pure part: one row per uid any endpoint named, exact sums, empty cells."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from asset_client import InviteeAsset
from asset_client.export.report import REPORT_FIELDS, ReportBuilder, ReportRow, encode_report_rows
from asset_client.records import DailyVolume, Invitee

T1 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
T2 = datetime(2026, 4, 2, 9, 30, tzinfo=UTC)


def asset(uid: int, deposit: str = "100.00000000") -> InviteeAsset:
    return InviteeAsset(
        uid=uid,
        total_deposit=Decimal(deposit),
        total_withdrawal=Decimal("1.50000000"),
        current_balance=Decimal("98.50000000"),
        first_deposit_time=T2,
    )


def test_streams_interleaved_in_any_order_join_by_uid() -> None:
    builder = ReportBuilder()
    builder.add_volume(DailyVolume(2, date(2026, 5, 2), Decimal("0.1")))
    builder.add_invitee(Invitee(2, T1))
    builder.add_asset(asset(2))
    builder.add_volume(DailyVolume(2, date(2026, 5, 1), Decimal("0.2")))
    builder.add_invitee(Invitee(1, T2))
    assert list(builder.rows()) == [
        ReportRow(uid=1, register_time=T2),
        ReportRow(
            uid=2,
            register_time=T1,
            total_deposit=Decimal("100.00000000"),
            total_withdrawal=Decimal("1.50000000"),
            current_balance=Decimal("98.50000000"),
            first_deposit_time=T2,
            volume=Decimal("0.3"),
        ),
    ]


def test_uid_missing_from_the_list_still_gets_a_row_unless_cohort_only() -> None:
    for invitees_only, expected in ((False, [3, 4]), (True, [4])):
        builder = ReportBuilder(invitees_only=invitees_only)
        builder.add_asset(asset(3))
        builder.add_invitee(Invitee(4, T1))
        assert [row.uid for row in builder.rows()] == expected


def test_volume_sum_is_exact_beyond_28_digits() -> None:
    builder = ReportBuilder()
    builder.add_volume(DailyVolume(1, date(2026, 5, 1), Decimal("12345678901234567890.12345678")))
    builder.add_volume(DailyVolume(1, date(2026, 5, 2), Decimal("0.00000001")))
    (row,) = builder.rows()
    assert row.volume == Decimal("12345678901234567890.12345679")


def test_only_days_in_the_window_count() -> None:
    builder = ReportBuilder(volume_since=date(2026, 5, 2), volume_until=date(2026, 5, 3))
    for day in (1, 2, 3, 4):
        builder.add_volume(DailyVolume(1, date(2026, 5, day), Decimal(day)))
    builder.add_volume(DailyVolume(2, date(2026, 5, 1), Decimal(1)))
    assert [(r.uid, r.volume) for r in builder.rows()] == [(1, Decimal(5))]


def test_memory_is_one_slot_per_uid_not_per_volume_record() -> None:
    builder = ReportBuilder()
    for day in range(1, 29):
        for uid in range(50):
            builder.add_volume(DailyVolume(uid + 1, date(2026, 2, day), Decimal(1)))
    assert len(builder) == 50
    assert {r.volume for r in builder.rows()} == {Decimal(28)}


def test_csv_has_header_exact_decimals_and_empty_cells() -> None:
    rows = [
        ReportRow(uid=1, register_time=T1),
        ReportRow(uid=2, total_deposit=Decimal("15000.00000000"), volume=Decimal("0")),
    ]
    text = encode_report_rows(rows, header=True).decode()
    assert text.splitlines() == [
        ",".join(REPORT_FIELDS),
        "1,2026-03-01T08:00:00+00:00,,,,,",
        "2,,15000.00000000,,,,0",
    ]
    assert encode_report_rows([], header=False) == b""


@given(st.data())
@settings(max_examples=60, deadline=None)
def test_any_interleaving_of_the_three_streams_gives_the_same_rows(data: st.DataObject) -> None:
    uids = st.integers(min_value=1, max_value=30)
    invitees = data.draw(st.lists(uids, unique=True, max_size=15))
    assets = data.draw(st.lists(uids, unique=True, max_size=15))
    volumes = data.draw(st.lists(st.tuples(uids, st.integers(1, 28)), unique=True, max_size=40))
    events: list[tuple[str, object]] = (
        [("i", Invitee(u, T1)) for u in invitees]
        + [("a", asset(u)) for u in assets]
        + [("v", DailyVolume(u, date(2026, 2, d), Decimal(d) / 7)) for u, d in volumes]
    )

    def build(order: list[tuple[str, object]]) -> list[ReportRow]:
        builder = ReportBuilder()
        for kind, record in order:
            if kind == "i":
                builder.add_invitee(record)  # type: ignore[arg-type]
            elif kind == "a":
                builder.add_asset(record)  # type: ignore[arg-type]
            else:
                builder.add_volume(record)  # type: ignore[arg-type]
        return list(builder.rows())

    shuffled = data.draw(st.permutations(events))
    rows = build(list(shuffled))
    assert rows == build(events)
    assert [r.uid for r in rows] == sorted(set(invitees) | set(assets) | {u for u, _ in volumes})
    for row in rows:
        assert (row.register_time is not None) == (row.uid in invitees)
        assert (row.total_deposit is not None) == (row.uid in assets)
