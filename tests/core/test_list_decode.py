"""Decoding invitee list and volume pages: exact, aware, strict; typed errors name the field."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from asset_client import ResponseDecodeError
from asset_client.core.list_decode import decode_invitee_page, decode_volume_page, parse_day
from asset_client.records import DailyVolume, Invitee

UTC8 = timezone(timedelta(hours=8))


def invitees(*items: Any, total: int | None = None) -> dict[str, Any]:
    return {"total": len(items) if total is None else total, "list": list(items)}


def test_invitee_decodes_uid_and_aware_time_in_server_zone() -> None:
    page = decode_invitee_page(
        invitees({"uid": "123126704", "registerTime": "2026-03-01 08:00:00", "extra": 1}),
        page_no=2,
        page_size=10,
        server_tz=UTC8,
    )
    assert page.items == (Invitee(123126704, datetime(2026, 3, 1, 8, 0, tzinfo=UTC8)),)
    assert page.items[0].register_time.utcoffset() == timedelta(hours=8)
    assert (page.page_no, page.page_size, page.total) == (2, 10, 1)


def test_volume_decodes_exact_decimal_and_day() -> None:
    page = decode_volume_page(
        invitees({"uid": 7, "volume": "12345678901234567890.12345678", "time": "2026-05-31"}),
        page_no=1,
        page_size=100,
    )
    assert page.items == (
        DailyVolume(7, date(2026, 5, 31), Decimal("12345678901234567890.12345678")),
    )


def test_empty_result_without_list_is_an_empty_page() -> None:
    assert decode_volume_page({"total": 0}, page_no=1, page_size=5).items == ()


@pytest.mark.parametrize(
    ("raw", "field", "value"),
    [
        ({"uid": 1, "registerTime": None}, "registerTime", None),
        ({"uid": 1, "registerTime": ""}, "registerTime", ""),
        ({"uid": 1, "registerTime": "2026-03-01T08:00:00"}, "registerTime", "2026-03-01T08:00:00"),
        ({"uid": 1}, "registerTime", None),
        ({"uid": True, "registerTime": "2026-03-01 08:00:00"}, "uid", True),
        ({"uid": "-4", "registerTime": "2026-03-01 08:00:00"}, "uid", "-4"),
    ],
)
def test_bad_invitee_field_is_named_with_value_and_page(raw: Any, field: str, value: Any) -> None:
    with pytest.raises(ResponseDecodeError) as info:
        decode_invitee_page(invitees(raw), page_no=4, page_size=10, server_tz=UTC8)
    assert (info.value.field, info.value.value, info.value.page_no) == (field, value, 4)
    assert field in str(info.value) and "page 4" in str(info.value)


@pytest.mark.parametrize(
    ("raw", "field", "value"),
    [
        ({"uid": 1, "volume": "1e5", "time": "2026-05-31"}, "volume", "1e5"),
        ({"uid": 1, "volume": "-1.0", "time": "2026-05-31"}, "volume", "-1.0"),
        ({"uid": 1, "volume": None, "time": "2026-05-31"}, "volume", None),
        ({"uid": 1, "volume": 1.5, "time": "2026-05-31"}, "volume", 1.5),
        ({"uid": 1, "volume": "1", "time": "20260531"}, "time", "20260531"),
        ({"uid": 1, "volume": "1", "time": "2026-02-30"}, "time", "2026-02-30"),
        ({"uid": 1, "volume": "1", "time": "2026-05-31 00:00:00"}, "time", "2026-05-31 00:00:00"),
        ({"uid": 1, "volume": "1"}, "time", None),
    ],
)
def test_bad_volume_field_is_named_with_value_and_page(raw: Any, field: str, value: Any) -> None:
    with pytest.raises(ResponseDecodeError) as info:
        decode_volume_page(invitees(raw), page_no=3, page_size=10)
    assert (info.value.field, info.value.value, info.value.page_no) == (field, value, 3)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ([], "data"),
        ({"total": -1, "list": []}, "total"),
        ({"total": 1, "list": {}}, "list"),
        ({"total": 1, "list": ["x"]}, "list[0]"),
    ],
)
def test_bad_envelope_shapes_are_typed(data: Any, field: str) -> None:
    with pytest.raises(ResponseDecodeError) as info:
        decode_volume_page(data, page_no=1, page_size=10)
    assert info.value.field == field


def test_parse_day_is_strict() -> None:
    assert parse_day("2026-01-09") == date(2026, 1, 9)
    assert parse_day("2026-1-09") is None
    assert parse_day(20260109) is None
