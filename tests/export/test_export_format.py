"""Record -> CSV / JSONL rows and exact sums (no server needed)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from asset_client import InviteeAsset
from asset_client.export.files import (
    FIELDS,
    OutputFormat,
    Sums,
    encode_header,
    encode_records,
    format_decimal,
    row_values,
)

CST = timezone(timedelta(hours=8))

FULL = InviteeAsset(
    uid=12345678,
    total_deposit=Decimal("15000.00000000"),
    total_withdrawal=Decimal("3000.00000000"),
    current_balance=Decimal("5800.00000000"),
    update_time=datetime(2026, 5, 21, 10, 25, tzinfo=CST),
    first_deposit_amount=Decimal("5000.00000000"),
    first_deposit_time=datetime(2026, 3, 15, 9, 12, 33, tzinfo=UTC),
)
NEVER_DEPOSITED = InviteeAsset(
    uid=87654321,
    total_deposit=Decimal("0"),
    total_withdrawal=Decimal("-0"),
    current_balance=Decimal("0E-8"),
)


def test_fields_are_the_model_fields_in_order() -> None:
    assert [a.name for a in attrs.fields(InviteeAsset)] == list(FIELDS)
    assert encode_header(OutputFormat.CSV) == (",".join(FIELDS) + "\n").encode()
    assert encode_header(OutputFormat.JSONL) == b""


@pytest.mark.parametrize(
    ("text", "rendered"),
    [
        ("15000.00000000", "15000.00000000"),
        ("0", "0"),
        ("-0", "-0"),
        ("-0.00", "-0.00"),
        ("0E-8", "0.00000000"),  # what Decimal makes of 0 with 8 places: never an exponent
        ("1E+3", "1000"),
        ("1E-12", "0.000000000001"),
        (
            "123456789012345678901234567890.123456789012345678901234567890",
            "123456789012345678901234567890.123456789012345678901234567890",
        ),
    ],
)
def test_format_decimal_is_exact_and_plain(text: str, rendered: str) -> None:
    assert format_decimal(Decimal(text)) == rendered


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity", "sNaN"])
def test_format_decimal_refuses_non_finite(text: str) -> None:
    with pytest.raises(ValueError, match="non-finite"):
        format_decimal(Decimal(text))


# What the server sends: plain decimal strings; they must come back character for character.
_plain = st.from_regex(r"-?(0|[1-9][0-9]{0,40})(\.[0-9]{1,40})?", fullmatch=True)


@given(_plain)
def test_server_strings_round_trip_exactly(text: str) -> None:
    assert format_decimal(Decimal(text)) == text


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_any_finite_decimal_is_written_without_exponent_or_loss(value: Decimal) -> None:
    rendered = format_decimal(value)
    assert "e" not in rendered.lower()
    assert Decimal(rendered) == value


def test_row_values() -> None:
    assert row_values(FULL) == [
        12345678,
        "15000.00000000",
        "3000.00000000",
        "5800.00000000",
        "2026-05-21T10:25:00+08:00",
        "5000.00000000",
        "2026-03-15T09:12:33+00:00",
    ]
    assert row_values(NEVER_DEPOSITED)[4:] == [None, None, None]


def test_csv_rows() -> None:
    data = encode_header(OutputFormat.CSV) + encode_records(
        OutputFormat.CSV, [FULL, NEVER_DEPOSITED]
    )
    assert data.endswith(b"\n") and b"\r" not in data
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert list(rows[0]) == list(FIELDS)
    assert rows[0]["update_time"] == "2026-05-21T10:25:00+08:00"
    assert rows[1] == {
        "uid": "87654321",
        "total_deposit": "0",
        "total_withdrawal": "-0",
        "current_balance": "0.00000000",
        "update_time": "",
        "first_deposit_amount": "",
        "first_deposit_time": "",
    }


def test_jsonl_lines() -> None:
    data = encode_records(OutputFormat.JSONL, [FULL, NEVER_DEPOSITED])
    lines = data.decode().splitlines()
    assert len(lines) == 2 and data.endswith(b"\n")
    first, second = (json.loads(line) for line in lines)
    assert list(first) == list(FIELDS)
    assert first["uid"] == 12345678
    # money stays a string: a JSON number would become a float in most readers
    assert first["total_deposit"] == "15000.00000000"
    assert first["first_deposit_time"] == "2026-03-15T09:12:33+00:00"
    assert second["update_time"] is None and second["first_deposit_amount"] is None


def test_format_from_path() -> None:
    assert OutputFormat.from_path("a/b.CSV") is OutputFormat.CSV
    assert OutputFormat.from_path("x.jsonl") is OutputFormat.JSONL
    assert OutputFormat.from_path("x.ndjson") is OutputFormat.JSONL
    assert OutputFormat.from_path("x.txt") is None
    assert OutputFormat.from_path("noext") is None


def test_sums_are_exact_beyond_the_default_context() -> None:
    # 40 significant digits: the default 28-digit context would round these.
    big = Decimal("123456789012345678901234567890.0000000001")
    asset = attrs.evolve(FULL, total_deposit=big, total_withdrawal=Decimal("0.1"))
    sums = Sums()
    sums.add([asset] * 3)
    sums.add([NEVER_DEPOSITED])
    assert sums.records == 4
    assert sums.total_deposit == Decimal("370370367037037036703703703670.0000000003")
    assert str(sums.total_withdrawal) == "0.3"
    assert sums.current_balance == Decimal("17400.00000000")
    copy = sums.copy()
    copy.add([FULL])
    assert sums.records == 4 and copy.records == 5
