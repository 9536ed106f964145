"""Record -> CSV / JSONL rows and back, and exact sums, for every dataset (no server needed)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from asset_client import DailyVolume, Invitee, InviteeAsset
from asset_client.export.report import ReportRow
from asset_client.export.rows import OutputFormat, format_decimal, rows_of
from asset_client.export.sums import Sums, amount_fields

ASSETS = rows_of(InviteeAsset)
FIELDS = ASSETS.fields

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


def encode_header(fmt: OutputFormat) -> bytes:
    return ASSETS.header(fmt)


def encode_records(fmt: OutputFormat, assets: list[InviteeAsset]) -> bytes:
    return ASSETS.encode(fmt, assets)


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
    assert ASSETS.cells(FULL) == [
        12345678,
        "15000.00000000",
        "3000.00000000",
        "5800.00000000",
        "2026-05-21T10:25:00+08:00",
        "5000.00000000",
        "2026-03-15T09:12:33+00:00",
    ]
    assert ASSETS.cells(NEVER_DEPOSITED)[4:] == [None, None, None]


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
    sums = Sums.of(InviteeAsset)
    sums.add([asset] * 3)
    sums.add([NEVER_DEPOSITED])
    assert sums.records == 4
    assert sums.amounts["total_deposit"] == Decimal("370370367037037036703703703670.0000000003")
    assert str(sums.amounts["total_withdrawal"]) == "0.3"
    assert sums.amounts["current_balance"] == Decimal("17400.00000000")
    copy = sums.copy()
    copy.add([FULL])
    assert sums.records == 4 and copy.records == 5


def test_each_dataset_sums_the_amounts_every_record_has() -> None:
    money = ("total_deposit", "total_withdrawal", "current_balance")
    assert amount_fields(InviteeAsset) == money  # not first_deposit_amount: often absent
    assert amount_fields(DailyVolume) == ("volume",)
    assert amount_fields(Invitee) == ()  # a count
    # The report names the optional ones too: its cells are empty where an endpoint was.
    assert amount_fields(ReportRow, optional=True) == (*money, "volume")
    sums = Sums.over(("volume",))
    sums.add([ReportRow(uid=1, volume=Decimal("1.5")), ReportRow(uid=2)])
    assert (sums.records, sums.text()) == (2, {"volume": "1.5"})


# -- the bytes of every dataset, pinned (what earlier releases wrote) ------------------------

INVITEES = [
    Invitee(12345678, datetime(2026, 6, 15, 11, 59, 58, tzinfo=UTC)),
    Invitee(87654321, datetime(2026, 3, 1, 8, 0, tzinfo=CST)),
]
VOLUMES = [
    DailyVolume(12345678, date(2026, 6, 15), Decimal("1234.50000000")),
    DailyVolume(87654321, date(2026, 6, 14), Decimal("-0")),
]
PINNED: list[tuple[list[Any], OutputFormat, bytes]] = [
    (
        [FULL, NEVER_DEPOSITED],
        OutputFormat.CSV,
        b"uid,total_deposit,total_withdrawal,current_balance,update_time,first_deposit_amount,"
        b"first_deposit_time\n12345678,15000.00000000,3000.00000000,5800.00000000,"
        b"2026-05-21T10:25:00+08:00,5000.00000000,2026-03-15T09:12:33+00:00\n"
        b"87654321,0,-0,0.00000000,,,\n",
    ),
    (
        [FULL, NEVER_DEPOSITED],
        OutputFormat.JSONL,
        b'{"uid": 12345678, "total_deposit": "15000.00000000", "total_withdrawal": '
        b'"3000.00000000", "current_balance": "5800.00000000", "update_time": '
        b'"2026-05-21T10:25:00+08:00", "first_deposit_amount": "5000.00000000", '
        b'"first_deposit_time": "2026-03-15T09:12:33+00:00"}\n'
        b'{"uid": 87654321, "total_deposit": "0", "total_withdrawal": "-0", "current_balance": '
        b'"0.00000000", "update_time": null, "first_deposit_amount": null, '
        b'"first_deposit_time": null}\n',
    ),
    (
        INVITEES,
        OutputFormat.CSV,
        b"uid,register_time\n12345678,2026-06-15T11:59:58+00:00\n"
        b"87654321,2026-03-01T08:00:00+08:00\n",
    ),
    (
        INVITEES,
        OutputFormat.JSONL,
        b'{"uid": 12345678, "register_time": "2026-06-15T11:59:58+00:00"}\n'
        b'{"uid": 87654321, "register_time": "2026-03-01T08:00:00+08:00"}\n',
    ),
    (
        VOLUMES,
        OutputFormat.CSV,
        b"uid,day,volume\n12345678,2026-06-15,1234.50000000\n87654321,2026-06-14,-0\n",
    ),
    (
        VOLUMES,
        OutputFormat.JSONL,
        b'{"uid": 12345678, "day": "2026-06-15", "volume": "1234.50000000"}\n'
        b'{"uid": 87654321, "day": "2026-06-14", "volume": "-0"}\n',
    ),
]


@pytest.mark.parametrize(("records", "fmt", "expected"), PINNED)
def test_every_dataset_writes_the_bytes_earlier_releases_wrote(
    records: list[Any], fmt: OutputFormat, expected: bytes
) -> None:
    rows = rows_of(type(records[0]))
    assert rows.header(fmt) + rows.encode(fmt, records) == expected


@pytest.mark.parametrize(("records", "fmt", "_"), PINNED)
def test_every_cell_reads_back_as_its_value(
    records: list[Any], fmt: OutputFormat, _: bytes
) -> None:
    rows = rows_of(type(records[0]))
    for record in records:
        cells = rows.cells(record)
        if fmt is OutputFormat.CSV:  # what a CSV reader gives: text, "" for None
            cells = ["" if c is None else str(c) for c in cells]
        for name, cell in zip(rows.fields, cells, strict=True):
            value = rows.parse(name, cell)
            assert value == getattr(record, name) and type(value) is type(getattr(record, name))


def test_a_cell_that_is_not_one_is_refused() -> None:
    with pytest.raises(ValueError):
        ASSETS.parse("uid", "12x")
    with pytest.raises(ValueError, match="expected text"):
        ASSETS.parse("total_deposit", 1.5)
