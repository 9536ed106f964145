"""Records as an Arrow table: typed columns, exact decimals, UTC timestamps.

Built column by column from the record class (`asset_client.frames.columns`), so an empty
list still has its schema.  Sharp edge: an aware time is converted to UTC (the instant is
kept, the server's zone is not); a naive one is refused rather than guessed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC
from typing import Any

from asset_client.frames.columns import PRECISION, SCALE, Column, Kind, check_decimal, columns

try:
    import pyarrow as pa
except ImportError as exc:  # pragma: no cover - the extra is missing
    raise ImportError(
        "asset_client.frames needs pyarrow: pip install 'asset-client[frames]' "
        "(or 'asset-client[parquet]')"
    ) from exc

__all__ = ["arrow_schema", "to_arrow"]

_TYPES: dict[Kind, pa.DataType] = {
    Kind.INT: pa.int64(),
    Kind.STR: pa.string(),
    Kind.DECIMAL: pa.decimal128(PRECISION, SCALE),
    Kind.TIMESTAMP: pa.timestamp("us", tz="UTC"),
    Kind.DATE: pa.date32(),
}


def arrow_schema(record_type: type) -> pa.Schema:
    """The Arrow schema of ``record_type``'s records."""
    return pa.schema(
        [pa.field(c.name, _TYPES[c.kind], nullable=c.nullable) for c in columns(record_type)]
    )


def _cell(column: Column, value: Any) -> Any:
    if value is None:
        if not column.nullable:
            raise ValueError(f"{column.name}: None in a column that is never empty")
        return None
    if column.kind is Kind.DECIMAL:
        return check_decimal(value, column.name)
    if column.kind is Kind.TIMESTAMP:
        if value.tzinfo is None:
            raise ValueError(f"{column.name}: naive time {value!r}; records hold aware times")
        return value.astimezone(UTC)
    return value


def to_arrow(records: Iterable[Any], record_type: type | None = None) -> pa.Table:
    """``records`` (all of one record class) as a `pyarrow.Table`.

    Amounts are ``decimal128(38, 18)`` (exact; one that does not fit raises
    `DecimalRangeError` naming it), times ``timestamp[us, UTC]``, days ``date32``.
    ``record_type`` is needed only for an empty input (to know its columns).
    """
    rows: Sequence[Any] = records if isinstance(records, Sequence) else list(records)
    if record_type is None:
        if not rows:
            raise ValueError("to_arrow of no records needs record_type (for the columns)")
        record_type = type(rows[0])
    cols = columns(record_type)
    for record in rows:
        if type(record) is not record_type:
            raise TypeError(
                f"to_arrow: records of one class only; got {type(record).__name__} "
                f"among {record_type.__name__}"
            )
    arrays = [
        pa.array([_cell(c, getattr(r, c.name)) for r in rows], type=_TYPES[c.kind]) for c in cols
    ]
    return pa.Table.from_arrays(arrays, schema=arrow_schema(record_type))
