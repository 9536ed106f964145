"""The pure diff of one stretch of uids, and the record <-> stored strings round trip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asset_client import InviteeAsset
from asset_client._export import format_decimal
from asset_client.store._diff import Row, asset_from_values, diff_range, render_asset

_values = st.sampled_from(["0", "1.00000000", "1.0", "2.5", None])


@st.composite
def _rows(draw: st.DrawFn) -> list[Row]:
    uids = sorted(draw(st.sets(st.integers(1, 40), max_size=25)))
    return [(uid, draw(_values), "0", "0", None, None, None) for uid in uids]


@given(_rows(), _rows())
def test_applying_the_diff_gives_the_incoming_state(
    current: list[Row], incoming: list[Row]
) -> None:
    diff = diff_range(current, incoming)
    state = {row[0]: row for row in current}
    for uid in diff.close:
        del state[uid]
    for row in diff.insert:
        assert row[0] not in state
        state[row[0]] = row
    assert sorted(state.values()) == incoming
    old, new = {r[0]: r for r in current}, {r[0]: r for r in incoming}
    assert diff.new == len(new.keys() - old.keys())
    assert diff.gone == len(old.keys() - new.keys())
    assert diff.changed == sum(1 for uid in old.keys() & new.keys() if old[uid] != new[uid])
    assert len(diff.insert) == diff.new + diff.changed  # nothing unchanged is rewritten


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_money_is_rendered_exactly_as_the_export_renders_it(value: Decimal) -> None:
    row = list(render_asset(InviteeAsset(1, value, value, value, None, value, None)))
    assert row == [1, *[format_decimal(value)] * 3, None, format_decimal(value), None]


def test_a_non_finite_amount_is_refused() -> None:
    with pytest.raises(ValueError, match="non-finite"):
        render_asset(InviteeAsset(1, Decimal("NaN"), Decimal(0), Decimal(0)))


def test_equal_amounts_written_differently_are_a_change() -> None:
    diff = diff_range(
        [(1, "1.10", "0", "0", None, None, None)], [(1, "1.1", "0", "0", None, None, None)]
    )
    assert (diff.changed, diff.close) == (1, [1])


def test_records_are_stored_as_the_export_writes_them_and_read_back_exactly() -> None:
    zone = timezone(timedelta(hours=8))
    record = InviteeAsset(
        uid=7,
        total_deposit=Decimal("15000.00000000"),
        total_withdrawal=Decimal("-0"),
        current_balance=Decimal("0.00000001"),
        update_time=datetime(2026, 5, 21, 10, 25, tzinfo=zone),
        first_deposit_amount=None,
        first_deposit_time=None,
    )
    row = render_asset(record)
    assert row == (7, "15000.00000000", "-0", "0.00000001", "2026-05-21T10:25:00+08:00", None, None)
    names = ("total_deposit", "total_withdrawal", "current_balance", "update_time")
    values: dict[str, str | None] = dict(zip(names, row[1:5], strict=True))
    values |= {"first_deposit_amount": None, "first_deposit_time": None}
    back = asset_from_values(7, values)
    assert back == record
    assert str(back.total_deposit) == "15000.00000000"
    assert back.update_time is not None and back.update_time.utcoffset() == timedelta(hours=8)
    assert back.update_time.astimezone(UTC).hour == 2
