"""Input accepted before but wrong (issue 9, section 8): each is refused with
`InvalidParameterError` naming the field and the value, before any request."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from aioresponses import aioresponses

from asset_client import AssetClient, InvalidParameterError, RateLimit, RetryPolicy
from asset_client.core.query import JAVA_INT_MAX, JAVA_LONG_MAX, validate_query
from tests.conftest import SECRET

BASE = "https://api.example.test"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"timeout": math.inf}, "timeout"),
        ({"timeout": math.nan}, "timeout"),
        ({"timeout": True}, "timeout"),
        ({"timeout": 0}, "timeout"),
        ({"timeout": 1e9}, "timeout"),
        ({"page_timeout": math.inf}, "page_timeout"),
        ({"page_timeout": -0.0}, "page_timeout"),
        ({"max_body_size": 0}, "max_body_size"),
        ({"max_body_size": True}, "max_body_size"),
        ({"max_body_size": 2**40}, "max_body_size"),
        ({"max_body_size": 1.5}, "max_body_size"),
        ({"max_retries": 999_999_999_999}, "max_retries"),
        ({"max_retries": -1}, "max_retries"),
        ({"max_retries": True}, "max_retries"),
        ({"max_concurrency": True}, "max_concurrency"),
        ({"max_concurrency": 10**9}, "max_concurrency"),
        ({"base_url": "https://api.example.test/?debug=1"}, "base_url"),
        ({"base_url": "https://api.example.test/#top"}, "base_url"),
        ({"base_url": "https://api.example.test?"}, "base_url"),
        ({"base_url": "https://user:pw@api.example.test"}, "base_url"),
    ],
)
def test_client_settings_are_checked(api_key: str, kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidParameterError) as info:
        AssetClient(api_key, SECRET, base_url=kwargs.pop("base_url", BASE), **kwargs)
    assert info.value.field == field
    assert field in str(info.value)
    assert "pw" not in str(info.value)  # a password in a URL is never echoed


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"period": math.inf}, "period"),
        ({"period": math.nan}, "period"),
        ({"period": 0.0}, "period"),
        ({"period": -0.0}, "period"),
        ({"period": 1e308}, "period"),
        ({"margin": math.inf}, "margin"),
        ({"margin": math.nan}, "margin"),
        ({"requests": True}, "requests"),
        ({"requests": 0}, "requests"),
        ({"requests": 2.5}, "requests"),
    ],
)
def test_rate_limit_fields_are_checked(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidParameterError) as info:
        RateLimit(**kwargs)
    assert info.value.field == field and repr(kwargs[field]) in str(info.value)


def test_negative_zero_margin_is_zero() -> None:
    assert RateLimit(margin=-0.0).interval == RateLimit(margin=0.0).interval


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"max_retries": 999_999_999_999}, "max_retries"),
        ({"base_delay": math.nan}, "base_delay"),
        ({"max_delay": math.inf}, "max_delay"),
        ({"max_retry_after": math.inf}, "max_retry_after"),
        ({"max_retry_after": -1.0}, "max_retry_after"),
    ],
)
def test_retry_policy_fields_are_checked(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidParameterError) as info:
        RetryPolicy(**kwargs)
    assert info.value.field == field


@pytest.mark.parametrize(
    ("value", "server_tz"),
    [
        (datetime(1, 1, 1, 2, tzinfo=timezone(timedelta(hours=5))), UTC),
        (datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5))), UTC),
        (datetime(1, 1, 1, tzinfo=UTC), timezone(timedelta(hours=-8))),
    ],
)
def test_aware_times_out_of_range_in_the_server_zone_are_refused(
    value: datetime, server_tz: timezone
) -> None:
    with pytest.raises(InvalidParameterError) as info:
        validate_query(start_time=value, server_tz=server_tz)
    assert info.value.field == "start_time" and str(value.year) in str(info.value)


def test_early_years_are_sent_with_four_digits() -> None:
    query = validate_query(start_time=datetime(1, 2, 3, 4, 5, 6), server_tz=UTC)
    assert query.start_time == "0001-02-03 04:05:06"


def test_java_sized_uids_pass_and_larger_ones_do_not() -> None:
    assert validate_query(uid=JAVA_LONG_MAX, server_tz=UTC).uid == JAVA_LONG_MAX
    with pytest.raises(InvalidParameterError) as info:
        validate_query(uid=JAVA_LONG_MAX + 1, server_tz=UTC)
    assert info.value.field == "uid" and str(JAVA_LONG_MAX + 1) in str(info.value)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        ({"page_no": 10**12}, "page_no"),
        ({"page_no": JAVA_INT_MAX + 1}, "page_no"),
        ({"uid": 2**63}, "uid"),
    ],
)
async def test_out_of_range_page_calls_send_nothing(
    api_key: str, call: dict[str, Any], field: str
) -> None:
    with aioresponses():  # nothing registered: a request would fail loudly
        async with AssetClient(api_key, SECRET, base_url=BASE) as client:
            with pytest.raises(InvalidParameterError) as info:
                await client.get_invitee_assets_page(**call)
            assert client.stats.requests == 0
    assert info.value.field == field


@pytest.mark.parametrize(
    ("call", "field"),
    [
        ({"after_uid": 2**63, "start_offset": 1}, "after_uid"),
        ({"start_offset": 2**63}, "start_offset"),
    ],
)
def test_out_of_range_resume_points_are_refused(
    api_key: str, call: dict[str, Any], field: str
) -> None:
    client = AssetClient(api_key, SECRET, base_url=BASE)
    with pytest.raises(InvalidParameterError) as info:
        client.iter_invitee_assets(**call)
    assert info.value.field == field


# -- the same bounds on the partner endpoints -----------------------------------------------

NEAR_YEAR_1 = datetime(1, 1, 1, 1, tzinfo=timezone(timedelta(hours=5)))
NEAR_YEAR_9999 = datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5)))


@pytest.mark.parametrize(
    ("method", "call", "field"),
    [
        ("get_invitees_page", {"uid": 2**63}, "uid"),
        ("get_invitees_page", {"uid": True}, "uid"),
        ("get_invitees_page", {"page_no": 10**12}, "page_no"),
        ("get_invitees_page", {"page_size": 10**6}, "page_size"),
        ("get_invitees_page", {"referral_code": "x" * 33}, "referral_code"),
        ("get_invitees_page", {"start_time": NEAR_YEAR_1}, "start_time"),
        ("get_invitees_page", {"end_time": NEAR_YEAR_9999}, "end_time"),
        ("get_trading_volume_page", {"uid": 2**63}, "uid"),
        ("get_trading_volume_page", {"page_no": JAVA_INT_MAX + 1}, "page_no"),
        ("get_trading_volume_page", {"page_size": 0}, "page_size"),
        ("get_trading_volume_page", {"start_date": NEAR_YEAR_1}, "start_date"),
        ("get_trading_volume_page", {"end_date": NEAR_YEAR_9999}, "end_date"),
        ("get_trading_volume_page", {"start_date": "2026-02-30"}, "start_date"),
    ],
)
async def test_out_of_range_partner_calls_send_nothing(
    api_key: str, method: str, call: dict[str, Any], field: str
) -> None:
    with aioresponses():  # nothing registered: a request would fail loudly
        async with AssetClient(api_key, SECRET, base_url=BASE) as client:
            with pytest.raises(InvalidParameterError) as info:
                await getattr(client, method)(**call)
            assert client.stats.requests == 0
    assert info.value.field == field


def test_early_years_are_sent_as_four_digit_days() -> None:
    from asset_client.core.list_query import validate_volume_query

    query = validate_volume_query(
        start_date=datetime(999, 1, 2, tzinfo=UTC), end_date=None, server_tz=UTC
    )
    assert query.start_date == "0999-01-02"


@pytest.mark.parametrize("days", [-1, 3651, 10**12, 1.5, True])
def test_volume_days_are_bounded(days: object) -> None:
    from asset_client.core.list_query import volume_window

    with pytest.raises(InvalidParameterError) as info:
        volume_window(days, datetime(2026, 1, 1, tzinfo=UTC), UTC)
    assert info.value.field == "volume_days"


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["export", "--dataset", "invitees", "--uid", str(2**63)], "--uid"),
        (["export", "--dataset", "volume", "--page-size", "\uff11\uff10\uff10"], "--page-size"),
        (["export", "--dataset", "invitees", "--referral-code", "a b"], "--referral-code"),
        (["export", "--dataset", "volume", "--start", "2026-02-30"], "--start"),
        (["report", "--out", "r.csv", "--volume-days", "3651"], "--volume-days"),
        (["report", "--out", "r.csv", "--volume-days", "+7"], "--volume-days"),
        (["report", "--out", "r.csv", "--start", "2026-13-01 00:00:00"], "--start"),
    ],
)
def test_partner_cli_values_exit_2_naming_option(
    tmp_path: Any, capsys: pytest.CaptureFixture[str], args: list[str], named: str
) -> None:
    import os

    from asset_client.cli.main import main

    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        if args[0] == "export":
            args = [*args, "--out", "x.csv"]
        code = main([*args, "--sandbox"])
    finally:
        os.chdir(cwd)
    assert code == 2
    assert named in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
