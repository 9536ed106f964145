"""Decoding: exact money, aware times, forward compatibility, typed errors for bad shapes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from asset_client import InviteeAsset, ResponseDecodeError
from asset_client.core.decode import decode_page
from tests.conftest import record


def decode(items: list[Any], total: int | None = None, tz: Any = UTC) -> list[InviteeAsset]:
    data = {"total": len(items) if total is None else total, "list": items}
    return list(decode_page(data, page_no=4, page_size=10, server_tz=tz).items)


def test_documented_example_decodes_exactly() -> None:
    [asset] = decode([record(12345678)])
    assert asset == InviteeAsset(
        uid=12345678,
        total_deposit=Decimal("15000.00000000"),
        total_withdrawal=Decimal("3000.00000000"),
        current_balance=Decimal("5800.00000000"),
        update_time=datetime(2026, 5, 21, 10, 25, tzinfo=UTC),
        first_deposit_amount=Decimal("5000.00000000"),
        first_deposit_time=datetime(2026, 3, 15, 9, 12, 33, tzinfo=UTC),
    )
    assert str(asset.total_deposit) == "15000.00000000"  # the server's scale is kept


def test_records_are_frozen_and_slotted() -> None:
    [asset] = decode([record(1)])
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        asset.uid = 2  # type: ignore[misc]
    assert not hasattr(asset, "__dict__")


@pytest.mark.parametrize("blank", ["", None])
def test_never_deposited_user(blank: object) -> None:
    [asset] = decode(
        [
            record(
                5,
                totalDeposit=blank,
                totalWithdrawal="0",
                currentBalance=blank,
                firstDepositAmount=blank,
                firstDepositTime=blank,
                updateTime=blank,
            )
        ]
    )
    assert asset.total_deposit == Decimal(0) and asset.current_balance == Decimal(0)
    assert asset.first_deposit_amount is None
    assert asset.first_deposit_time is None and asset.update_time is None


def test_unknown_fields_are_ignored() -> None:
    [asset] = decode([record(9, newField={"x": 1}, anotherOne="y")])
    assert asset.uid == 9


def test_uid_may_come_as_a_digit_string() -> None:
    assert decode([record("42")])[0].uid == 42


def test_times_are_read_in_the_server_zone() -> None:
    zone = ZoneInfo("Asia/Shanghai")
    [asset] = decode([record(1)], tz=zone)
    assert asset.update_time == datetime(2026, 5, 21, 2, 25, tzinfo=UTC)
    fixed = timezone(timedelta(hours=-3, minutes=-30))
    [other] = decode([record(1)], tz=fixed)
    assert other.update_time is not None and other.update_time.utcoffset() == fixed.utcoffset(None)
    assert other.update_time == datetime(2026, 5, 21, 13, 55, tzinfo=UTC)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("totalDeposit", "abc"),
        ("totalDeposit", "1e5"),
        ("totalWithdrawal", "NaN"),
        ("currentBalance", "Infinity"),
        ("currentBalance", "1,000.00"),
        ("currentBalance", True),
        ("currentBalance", []),
        ("firstDepositAmount", "12.3.4"),
        ("totalDeposit", "\u0661\u0665\u0660.\u0665"),  # Arabic-Indic digits: not the server's
        ("totalDeposit", "1_000"),
        ("totalDeposit", " 12"),
        ("updateTime", "2026-05-21T10:25:00"),
        ("updateTime", "2026/05/21 10:25:00"),
        ("firstDepositTime", "2026-02-30 00:00:00"),
        ("firstDepositTime", 1700000000000),
        ("uid", 0),
        ("uid", -1),
        ("uid", "abc"),
        ("uid", 1.5),
        ("uid", None),
    ],
)
def test_bad_values_name_field_value_and_page(field: str, value: object) -> None:
    with pytest.raises(ResponseDecodeError) as info:
        decode([record(1), {**record(2), field: value}])
    error = info.value
    assert error.field == field
    assert error.value == value or (value is None and field == "uid")
    assert error.page_no == 4
    assert not error.retryable
    message = str(error)
    assert field in message and repr(value) in message and "page 4" in message
    assert "list[1]" in message


@pytest.mark.parametrize("field", ["uid", "totalDeposit", "totalWithdrawal", "currentBalance"])
def test_missing_required_field(field: str) -> None:
    item = record(3)
    del item[field]
    with pytest.raises(ResponseDecodeError, match=f"{field}.*missing") as info:
        decode([item])
    assert info.value.field == field


def test_missing_optional_fields_are_none() -> None:
    item = record(3)
    for name in ("updateTime", "firstDepositAmount", "firstDepositTime"):
        del item[name]
    [asset] = decode([item])
    assert asset.update_time is None and asset.first_deposit_amount is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ([], "data"),
        ("oops", "data"),
        ({"list": []}, "total"),
        ({"total": "many", "list": []}, "total"),
        ({"total": -1, "list": []}, "total"),
        ({"total": 1.5, "list": []}, "total"),
        ({"total": 1, "list": {"uid": 1}}, "list"),
        ({"total": 1}, "list"),
        ({"total": 1, "list": ["x"]}, "list[0]"),
    ],
)
def test_shape_faults_are_typed(data: object, field: str) -> None:
    with pytest.raises(ResponseDecodeError) as info:
        decode_page(data, page_no=2, page_size=10, server_tz=UTC)
    assert info.value.field == field
    assert "page 2" in str(info.value)


def test_empty_result_may_have_null_list() -> None:
    page = decode_page({"total": 0, "list": None}, page_no=1, page_size=10, server_tz=UTC)
    assert page.items == () and page.total == 0


def test_negative_zero_and_long_decimals_are_kept_exactly() -> None:
    long = "123456789012345678901234567890.123456789012345678901234567890"
    [asset] = decode([record(1, totalDeposit=long, totalWithdrawal="-0", currentBalance="-12.5")])
    assert str(asset.total_deposit) == long
    assert asset.total_withdrawal == 0 and str(asset.total_withdrawal) == "-0"
    assert asset.current_balance == Decimal("-12.5")


@given(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=8, min_value=-(10**12), max_value=10**12
    )
)
def test_any_plain_decimal_string_round_trips_exactly(amount: Decimal) -> None:
    text = format(amount, "f")
    [asset] = decode([record(1, totalDeposit=text, firstDepositAmount=text)])
    assert asset.total_deposit == amount and not isinstance(asset.total_deposit, float)
    assert format(asset.total_deposit, "f") == text
    assert asset.first_deposit_amount == amount


@given(st.text(max_size=12))
def test_arbitrary_amount_text_is_decoded_exactly_or_refused(text: str) -> None:
    try:
        [asset] = decode([record(1, currentBalance=text)])
    except ResponseDecodeError as error:
        assert error.field == "currentBalance" and error.value == text
    else:
        assert asset.current_balance == (Decimal(text) if text else 0)
