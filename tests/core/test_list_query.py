"""Invitee list and volume arguments: validated before any request; the exact wire form."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from asset_client import InvalidParameterError
from asset_client.core.list_query import (
    EARLIEST_REGISTRATION,
    InviteeQuery,
    VolumeQuery,
    build_invitee_params,
    build_volume_body,
    resolve_invitee_window,
    validate_invitee_query,
    validate_volume_query,
    volume_window,
)

UTC8 = timezone(timedelta(hours=8))


def test_invitee_params_in_fixed_order_with_rendered_times() -> None:
    query = validate_invitee_query(
        uid=5,
        referral_code="CW_a-1",
        start_time=datetime(2026, 3, 1, 0, 0, tzinfo=UTC),
        end_time="2026-05-21 10:25:00",
        server_tz=UTC8,
    )
    assert build_invitee_params(query, 2, 1000) == [
        ("startTime", "2026-03-01 08:00:00"),
        ("endTime", "2026-05-21 10:25:00"),
        ("uid", "5"),
        ("referralCode", "CW_a-1"),
        ("pageNo", "2"),
        ("pageSize", "1000"),
    ]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"uid": 0}, "uid"),
        ({"uid": True}, "uid"),
        ({"uid": "12"}, "uid"),
        ({"referral_code": ""}, "referral_code"),
        ({"referral_code": "has space"}, "referral_code"),
        ({"referral_code": "a&b=c"}, "referral_code"),
        ({"referral_code": "x" * 33}, "referral_code"),
        ({"referral_code": "códe"}, "referral_code"),
        ({"referral_code": 123}, "referral_code"),
        ({"start_time": "2026-03-01"}, "start_time"),
        ({"end_time": "2026-02-30 00:00:00"}, "end_time"),
        ({"start_time": "2026-03-02 00:00:00", "end_time": "2026-03-01 00:00:00"}, "start_time"),
    ],
)
def test_bad_invitee_argument_names_field_and_value(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidParameterError) as info:
        validate_invitee_query(server_tz=UTC, **kwargs)
    assert info.value.field == field
    assert repr(next(iter(kwargs.values())))[:20] in str(info.value)


def test_no_window_means_every_invitee_since_2017_until_now() -> None:
    now = datetime(2026, 11, 27, 17, 0, 5, tzinfo=UTC)
    resolved = resolve_invitee_window(InviteeQuery(), now, UTC8)
    assert (resolved.start_time, resolved.end_time) == (
        EARLIEST_REGISTRATION,
        "2026-11-28 01:00:05",
    )


def test_explicit_bounds_are_kept_and_a_missing_one_is_filled() -> None:
    now = datetime(2026, 11, 27, 17, 0, 5, tzinfo=UTC)
    only_start = InviteeQuery(start_time="2026-01-01 00:00:00")
    assert resolve_invitee_window(only_start, now, UTC).end_time == "2026-11-27 17:00:05"
    both = InviteeQuery(start_time="2025-01-01 00:00:00", end_time="2025-02-01 00:00:00")
    assert resolve_invitee_window(both, now, UTC) == both
    # An end before the earliest registration is a window of its own, never an inverted one.
    early = resolve_invitee_window(InviteeQuery(end_time="2016-06-01 00:00:00"), now, UTC)
    assert (early.start_time, early.end_time) == ("2016-06-01 00:00:00", "2016-06-01 00:00:00")


def test_start_after_now_is_refused() -> None:
    with pytest.raises(InvalidParameterError, match="2030-01-01 00:00:00"):
        resolve_invitee_window(
            InviteeQuery(start_time="2030-01-01 00:00:00"), datetime(2026, 1, 1, tzinfo=UTC), UTC
        )


def test_volume_body_is_compact_fixed_order_json_object() -> None:
    query = validate_volume_query(
        uid=123126704, start_date=date(2026, 5, 1), end_date="2026-05-31", server_tz=UTC
    )
    body = build_volume_body(query, 1, 100)
    assert body == (
        b'{"pageNo":1,"pageSize":100,"uid":123126704,'
        b'"startTime":"2026-05-01","endTime":"2026-05-31"}'
    )
    assert json.loads(body) == {
        "pageNo": 1,
        "pageSize": 100,
        "uid": 123126704,
        "startTime": "2026-05-01",
        "endTime": "2026-05-31",
    }


def test_volume_without_dates_sends_none_so_the_server_means_30_days() -> None:
    assert build_volume_body(VolumeQuery(), 3, 1000) == b'{"pageNo":3,"pageSize":1000}'


def test_volume_datetime_counts_as_its_server_day() -> None:
    query = validate_volume_query(
        start_date=datetime(2026, 5, 1, 20, 0, tzinfo=UTC), server_tz=UTC8
    )
    assert query.start_date == "2026-05-02"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"uid": -1}, "uid"),
        ({"start_date": "2026-5-01"}, "start_date"),
        ({"start_date": "2026-05-01 00:00:00"}, "start_date"),
        ({"end_date": "2026-02-30"}, "end_date"),
        ({"end_date": 20260101}, "end_date"),
        ({"start_date": "2026-05-02", "end_date": "2026-05-01"}, "start_date"),
    ],
)
def test_bad_volume_argument_names_field_and_value(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidParameterError) as info:
        validate_volume_query(server_tz=UTC, **kwargs)
    assert info.value.field == field
    assert repr(next(iter(kwargs.values()))) in str(info.value)


def test_volume_window_is_the_last_n_days_in_server_time() -> None:
    now = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    assert volume_window(30, now, UTC8) == (date(2026, 10, 29), date(2026, 11, 28))
    with pytest.raises(InvalidParameterError, match="volume_days"):
        volume_window(-1, now, UTC)
