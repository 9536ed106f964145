"""How a record class's fields become typed columns (pure: no pyarrow, no I/O).

Every record of the partner API maps field by field: ``int`` -> 64-bit integer, ``str`` ->
string, ``Decimal`` -> a fixed decimal of `PRECISION` digits, `SCALE` after the point,
``datetime`` -> a UTC timestamp (microseconds), ``date`` -> a calendar day; ``X | None``
is the same column, nullable.  Sharp edge: the decimal type is fixed so every file and
table agrees — decimal(38, 18): 38 digits is the most a 128-bit decimal holds (and DuckDB's,
Postgres' and BigQuery's BIGNUMERIC ceiling is no lower), 18 fractional digits hold any
CoinW amount (8 for USDT, at most 18 for any token's smallest unit) and leave 20 integer
digits (up to 10^20, far above any balance).  An amount that does not fit is refused
naming the field and the value (`DecimalRangeError`), never rounded.
"""

from __future__ import annotations

import enum
import types
import typing
from datetime import UTC, date, datetime
from decimal import Decimal

import attrs
from attrs import frozen

from asset_client.errors import AssetClientError

__all__ = [
    "PRECISION",
    "SCALE",
    "Column",
    "DecimalRangeError",
    "Kind",
    "check_decimal",
    "columns",
    "plain_row",
]

#: Digits in all, and after the point, of every amount column.
PRECISION = 38
SCALE = 18
_LIMIT = Decimal(10) ** (PRECISION - SCALE)


class DecimalRangeError(AssetClientError, ValueError):
    """An amount that decimal(38, 18) cannot hold exactly (too many digits)."""


class Kind(enum.Enum):
    INT = "int"
    STR = "str"
    DECIMAL = "decimal"
    TIMESTAMP = "timestamp"
    DATE = "date"


_KINDS: dict[type, Kind] = {
    int: Kind.INT,
    str: Kind.STR,
    Decimal: Kind.DECIMAL,
    datetime: Kind.TIMESTAMP,
    date: Kind.DATE,
}


@frozen
class Column:
    name: str
    kind: Kind
    nullable: bool


_COLUMNS: dict[type, tuple[Column, ...]] = {}


def columns(record_type: type) -> tuple[Column, ...]:
    """The columns of an attrs record class, in field order (`TypeError` for a field type
    with no column)."""
    known = _COLUMNS.get(record_type)
    if known is None:
        known = _COLUMNS[record_type] = _columns(record_type)
    return known


def _columns(record_type: type) -> tuple[Column, ...]:
    if not attrs.has(record_type):
        raise TypeError(f"not an attrs record class: {record_type!r}")
    hints = typing.get_type_hints(record_type)
    out = []
    for field in attrs.fields(record_type):
        hint = hints[field.name]
        nullable = False
        if typing.get_origin(hint) in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(hint) if a is not type(None)]
            nullable = len(args) < len(typing.get_args(hint))
            hint = args[0] if len(args) == 1 else hint
        kind = _KINDS.get(hint) if isinstance(hint, type) else None
        if kind is None:
            raise TypeError(f"{record_type.__name__}.{field.name}: no column type for {hint!r}")
        out.append(Column(field.name, kind, nullable))
    return tuple(out)


def check_decimal(value: Decimal, field: str) -> Decimal:
    """``value`` if decimal(38, 18) holds it exactly; else `DecimalRangeError` naming it."""
    if not value.is_finite():
        raise DecimalRangeError(f"{field}: {value} is not a finite amount")
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # finite, checked above
    # Trailing zeros beyond the scale carry no value ("1.50000000000000000000" fits).
    if exponent < -SCALE and value != value.quantize(Decimal(1).scaleb(-SCALE)):
        raise DecimalRangeError(
            f"{field}: {value} has more than {SCALE} digits after the point; "
            f"decimal({PRECISION}, {SCALE}) cannot hold it exactly"
        )
    if abs(value) >= _LIMIT:
        raise DecimalRangeError(
            f"{field}: {value} has more than {PRECISION - SCALE} digits before the point; "
            f"decimal({PRECISION}, {SCALE}) cannot hold it"
        )
    return value


def plain_row(record: object) -> dict[str, object]:
    """``record`` as a plain dict in field order: amounts checked to fit decimal(38, 18),
    aware times in UTC (the instant kept), the rest as is."""
    row: dict[str, object] = {}
    for column in columns(type(record)):
        value = getattr(record, column.name)
        if value is not None and column.kind is Kind.DECIMAL:
            value = check_decimal(value, column.name)
        elif value is not None and column.kind is Kind.TIMESTAMP:
            if value.tzinfo is None:
                raise ValueError(f"{column.name}: naive time {value!r}; records hold aware times")
            value = value.astimezone(UTC)
        row[column.name] = value
    return row
