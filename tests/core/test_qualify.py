"""The pure half of `qualify`: arguments checked, the window, the sums and the sentences."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from asset_client import InvalidParameterError, ResponseDecodeError
from asset_client.core.qualify import (
    amount_text,
    check_conditions,
    qualification,
    registration_of,
    volume_sum,
)
from asset_client.records import DailyVolume, Invitee, InviteeAsset

UID = 10001234


def _asset(deposit: str) -> InviteeAsset:
    return InviteeAsset(UID, Decimal(deposit), Decimal(0), Decimal("7.5"))


def test_the_window_is_the_last_days_of_server_time_today_included() -> None:
    conditions = check_conditions(UID, None, None, 30, "USDT")
    # 23:30 UTC on June 14 is already June 15 at +08:00: the server's day counts.
    now = datetime(2026, 6, 14, 23, 30, tzinfo=UTC)
    start, end = conditions.window(now, timezone(timedelta(hours=8)))
    assert (start, end) == (date(2026, 5, 17), date(2026, 6, 15))
    assert (end - start).days + 1 == 30
    one = check_conditions(UID, None, None, 1, "usdt").window(now, UTC)
    assert one == (date(2026, 6, 14), date(2026, 6, 14))
    assert conditions.quote == "usdt"


def test_thresholds_are_exact_and_a_float_reads_as_it_prints() -> None:
    conditions = check_conditions(UID, 0.1, "1000.50", 7, "usdc")
    assert conditions.min_deposit == Decimal("0.1")
    assert conditions.min_volume == Decimal("1000.50")


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((True, None, None, 30, "usdt"), "uid"),
        ((UID, Decimal("-0.01"), None, 30, "usdt"), "min_deposit"),
        ((UID, None, Decimal("Infinity"), 30, "usdt"), "min_volume"),
        ((UID, None, [1], 30, "usdt"), "min_volume"),
        ((UID, None, None, 2.5, "usdt"), "days"),
        ((UID, None, None, 30, None), "quote"),
    ],
)
def test_bad_arguments_name_their_field(args: tuple[object, ...], field: str) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        check_conditions(*args)
    assert caught.value.field == field


def test_amounts_read_as_a_person_writes_them() -> None:
    assert amount_text(Decimal("50.00000000")) == "50"
    assert amount_text(Decimal("1E+3")) == "1000"
    assert amount_text(Decimal("12000.50"), grouped=True) == "12,000.5"
    assert amount_text(Decimal("0E-8")) == "0"


def test_volume_outside_the_window_or_of_another_uid_is_refused() -> None:
    start, end = date(2026, 6, 1), date(2026, 6, 30)
    days = [DailyVolume(UID, start, Decimal("1.5")), DailyVolume(UID, end, Decimal("2"))]
    assert volume_sum(days, UID, start, end) == Decimal("3.5")
    with pytest.raises(ResponseDecodeError, match="ignored the dates"):
        volume_sum([DailyVolume(UID, end + timedelta(days=1), Decimal(1))], UID, start, end)
    with pytest.raises(ResponseDecodeError, match="ignored the uid filter"):
        volume_sum([DailyVolume(UID + 1, end, Decimal(1))], UID, start, end)


def test_registration_comes_from_the_uid_filtered_list() -> None:
    moment = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
    assert registration_of([Invitee(UID, moment)], UID) == moment
    assert registration_of([], UID) is None
    with pytest.raises(ResponseDecodeError, match="ignored the uid filter"):
        registration_of([Invitee(UID + 1, moment)], UID)


def test_each_unmet_condition_is_one_sentence() -> None:
    conditions = check_conditions(UID, 100, 1000, 30, "usdt")
    window = (date(2026, 5, 17), date(2026, 6, 15))
    answer = qualification(conditions, window, _asset("50"), None, Decimal("900"))
    assert answer.reasons == (
        "deposit 50 USDT is below 100",
        "volume 900 over 30 days is below 1000",
    )
    assert not answer.qualified and answer.is_invitee
    met = qualification(conditions, window, _asset("100"), None, Decimal("1000"))
    assert met.qualified and met.reasons == ()  # the thresholds are "at least"
    stranger = qualification(conditions, window, None, None, None)
    assert stranger.reasons == ("not a direct invitee",)
    assert stranger.total_deposit is None and stranger.current_balance is None
    bare = qualification(
        check_conditions(UID, None, None, 1, "usdt"), window, _asset("0"), None, None
    )
    assert bare.qualified and bare.volume is None
    one_day = qualification(
        check_conditions(UID, None, 5, 1, "usdt"), window, _asset("0"), None, Decimal(0)
    )
    assert one_day.reasons == ("volume 0 over 1 day is below 5",)
