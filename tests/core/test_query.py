"""Argument validation and query building: bad input is refused naming field and value."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asset_client import InvalidParameterError
from asset_client.core.query import (
    AssetQuery,
    build_query,
    decoded_query_string,
    encoded_query_string,
    validate_page_no,
    validate_query,
)
from asset_client.endpoints import ASSETS

SHANGHAI = timezone(timedelta(hours=8))


@pytest.mark.parametrize(
    ("kwargs", "field", "shown"),
    [
        ({"quote": "eur"}, "quote", "'eur'"),
        ({"quote": None}, "quote", "None"),
        ({"uid": 0}, "uid", "0"),
        ({"uid": -5}, "uid", "-5"),
        ({"uid": "123"}, "uid", "'123'"),
        ({"uid": True}, "uid", "True"),
        ({"uid": 1.5}, "uid", "1.5"),
        ({"start_time": "2026-03-01"}, "start_time", "'2026-03-01'"),
        ({"start_time": "2026-13-01 00:00:00"}, "start_time", "'2026-13-01 00:00:00'"),
        ({"end_time": "2026-03-01T00:00:00"}, "end_time", "'2026-03-01T00:00:00'"),
        ({"end_time": 1700000000}, "end_time", "1700000000"),
    ],
)
def test_bad_filters_are_refused_naming_field_and_value(
    kwargs: dict[str, object], field: str, shown: str
) -> None:
    with pytest.raises(InvalidParameterError) as info:
        validate_query(server_tz=UTC, **kwargs)
    assert info.value.field == field
    assert field in str(info.value)
    assert shown in str(info.value)
    assert isinstance(info.value, ValueError)


def test_start_after_end_is_refused() -> None:
    with pytest.raises(InvalidParameterError, match="start_time") as info:
        validate_query(
            start_time="2026-05-02 00:00:00", end_time="2026-05-01 00:00:00", server_tz=UTC
        )
    assert "2026-05-02 00:00:00" in str(info.value)


@pytest.mark.parametrize("size", [0, -1, 1001, 10**6, "100", None, 2.0, True])
def test_bad_page_size(size: object) -> None:
    with pytest.raises(InvalidParameterError, match="page_size") as info:
        ASSETS.limits.check(size)
    assert repr(size) in str(info.value)


@pytest.mark.parametrize("page_no", [0, -1, "1", 1.0, False])
def test_bad_page_no(page_no: object) -> None:
    with pytest.raises(InvalidParameterError, match="page_no"):
        validate_page_no(page_no)


def test_page_size_limits_are_inclusive() -> None:
    assert ASSETS.limits.check(1) == 1
    assert ASSETS.limits.check(1000) == 1000


def test_naive_datetime_is_server_time_and_aware_is_converted() -> None:
    naive = validate_query(start_time=datetime(2026, 3, 1, 8, 0), server_tz=SHANGHAI)
    assert naive.start_time == "2026-03-01 08:00:00"
    aware = validate_query(start_time=datetime(2026, 3, 1, 0, 0, tzinfo=UTC), server_tz=SHANGHAI)
    assert aware.start_time == "2026-03-01 08:00:00"


def test_comparison_of_mixed_forms_uses_the_server_zone() -> None:
    # 01:00 UTC is 09:00 in UTC+8, after the 08:30 string: refused.
    with pytest.raises(InvalidParameterError):
        validate_query(
            start_time=datetime(2026, 3, 1, 1, 0, tzinfo=UTC),
            end_time="2026-03-01 08:30:00",
            server_tz=SHANGHAI,
        )


def test_quote_is_case_insensitive_and_normalised() -> None:
    assert validate_query(quote="USDC", server_tz=UTC).quote == "usdc"


def test_page_size_is_always_sent_and_order_is_fixed() -> None:
    params = build_query(
        AssetQuery(quote="usdt", uid=7, start_time="2026-03-01 00:00:00", end_time=None), 3, 50
    )
    assert [name for name, _ in params] == ["uid", "startTime", "quote", "pageNo", "pageSize"]
    assert dict(params)["pageSize"] == "50"


def test_encoded_form_escapes_space_and_colon_but_keeps_order() -> None:
    params = build_query(AssetQuery(start_time="2026-03-01 00:00:00"), 1, 10)
    assert encoded_query_string(params) == (
        "startTime=2026-03-01%2000%3A00%3A00&quote=usdt&pageNo=1&pageSize=10"
    )
    assert (
        decoded_query_string(params)
        == "startTime=2026-03-01 00:00:00&quote=usdt&pageNo=1&pageSize=10"
    )


@given(st.lists(st.tuples(st.text(min_size=1), st.text()), max_size=6))
def test_encoding_round_trips_to_the_signed_form(params: list[tuple[str, str]]) -> None:
    encoded = encoded_query_string(params)
    pairs = [part.split("=", 1) for part in encoded.split("&")] if params else []
    assert [(unquote(k), unquote(v)) for k, v in pairs] == params
    assert all(
        set(part)
        <= set("%-._~=") | set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        for part in encoded.split("&")
    )
