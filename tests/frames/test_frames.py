"""`to_arrow` / `to_pandas`: every record type, exact decimals, aware UTC times, refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from asset_client import DailyVolume, Invitee, InviteeAsset
from tests.extras import require

pa = require("pyarrow")
pd = require("pandas")

from asset_client.frames import (  # noqa: E402 - after the extra is known to be there
    DecimalRangeError,
    arrow_schema,
    to_arrow,
    to_pandas,
)

CST = timezone(timedelta(hours=8))

ASSETS = [
    InviteeAsset(
        uid=1,
        total_deposit=Decimal("15000.00000000"),
        total_withdrawal=Decimal("0.123456789012345678"),
        current_balance=Decimal("-0"),
        update_time=datetime(2024, 3, 1, 8, 0, 0, tzinfo=CST),
        first_deposit_amount=Decimal("99999999999999999999.5"),
        first_deposit_time=datetime(2024, 1, 1, 0, 0, 0, tzinfo=UTC),
    ),
    InviteeAsset(
        uid=2,
        total_deposit=Decimal(0),
        total_withdrawal=Decimal(0),
        current_balance=Decimal("1e-8"),
    ),
]


def test_assets_to_arrow_exact_decimals_and_utc_times() -> None:
    table = to_arrow(ASSETS)
    assert table.schema.field("total_deposit").type == pa.decimal128(38, 18)
    assert table.schema.field("update_time").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("uid").type == pa.int64()
    rows = table.to_pylist()
    for row, asset in zip(rows, ASSETS, strict=True):
        for name in (
            "total_deposit",
            "total_withdrawal",
            "current_balance",
            "first_deposit_amount",
        ):
            assert row[name] == getattr(asset, name)
    assert rows[0]["update_time"] == datetime(2024, 3, 1, 0, 0, 0, tzinfo=UTC)  # same instant
    assert rows[1]["first_deposit_time"] is None


def test_invitees_and_volumes() -> None:
    invitees = [Invitee(7, datetime(2025, 5, 5, 12, tzinfo=UTC))]
    volumes = [DailyVolume(7, date(2025, 5, 6), Decimal("12.34567891"))]
    assert to_arrow(invitees).to_pylist() == [
        {"uid": 7, "register_time": invitees[0].register_time}
    ]
    assert to_arrow(volumes).schema.field("day").type == pa.date32()
    assert to_arrow(volumes).column("volume").to_pylist() == [Decimal("12.34567891")]
    assert to_arrow([], DailyVolume).schema == arrow_schema(DailyVolume)


def test_to_pandas_arrow_dtypes_exact_and_aware() -> None:
    df = to_pandas(ASSETS)
    assert isinstance(df["total_deposit"].dtype, pd.ArrowDtype)
    assert df["total_deposit"].dtype.pyarrow_dtype == pa.decimal128(38, 18)
    assert df["total_withdrawal"].sum() == Decimal("0.123456789012345678")
    stamp = df["update_time"].iloc[0]
    assert stamp.tzinfo is not None and stamp == pd.Timestamp("2024-03-01T00:00:00Z")
    assert df["first_deposit_time"].isna().tolist() == [False, True]


@pytest.mark.parametrize(
    ("value", "why"),
    [("0.1234567890123456789", "after the point"), ("100000000000000000000", "before the point")],
)
def test_amounts_that_do_not_fit_are_refused_naming_field_and_value(value: str, why: str) -> None:
    bad = InviteeAsset(
        uid=3, total_deposit=Decimal(value), total_withdrawal=Decimal(0), current_balance=Decimal(0)
    )
    with pytest.raises(DecimalRangeError, match=f"total_deposit: {value} .*{why}"):
        to_arrow([bad])


def test_trailing_zeros_beyond_the_scale_fit() -> None:
    ok = InviteeAsset(
        uid=3,
        total_deposit=Decimal("1.50000000000000000000000"),
        total_withdrawal=Decimal(0),
        current_balance=Decimal(0),
    )
    assert to_arrow([ok]).column("total_deposit").to_pylist() == [Decimal("1.5")]


def test_mixed_or_naive_or_untyped_input_is_refused() -> None:
    with pytest.raises(TypeError, match="one class"):
        to_arrow([ASSETS[0], Invitee(1, datetime(2025, 1, 1, tzinfo=UTC))])
    with pytest.raises(ValueError, match="naive"):
        to_arrow([Invitee(1, datetime(2025, 1, 1))])
    with pytest.raises(ValueError, match="record_type"):
        to_arrow([])
