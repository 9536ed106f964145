"""Records as output lines, derived from the record class alone (pure, no I/O).

Every dataset of the partner API (assets, invitees, volume, and any endpoint's attrs record)
is written by the one `Rows` of its record class: the header is the attrs field names in
order; a `Decimal` is written exactly as the server sent it (``format_decimal``: never a
float, never rounded, never an exponent); a datetime or a date in ISO 8601; an int as is;
``None`` as an empty CSV cell or JSON ``null``; CSV lines end with ``\\n``.

Sharp edge: a resumed export learns where it stopped by reading these rows back
(`asset_client.export.readback`), so a cell's writer and its parser live here together and
change together: what `Rows.cells` writes, `Rows.parse` must read back to the same value.
"""

from __future__ import annotations

import csv
import enum
import io
import json
import types
import typing
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
from attrs import frozen

from asset_client.endpoints import ENDPOINTS

__all__ = [
    "DATASETS",
    "Cell",
    "OutputFormat",
    "Rows",
    "csv_bytes",
    "format_decimal",
    "render",
    "rows_of",
]

#: One rendered value: what CSV writes as text and JSON as a number, a string or null.
Cell = str | int | None


class OutputFormat(enum.StrEnum):
    CSV = "csv"
    JSONL = "jsonl"
    #: Not lines: written by `asset_client.export.parquet` (pyarrow), never by `Rows`.
    PARQUET = "parquet"

    @classmethod
    def from_path(cls, path: str) -> OutputFormat | None:
        """The format an output file's extension names, or None if it names none."""
        suffix = Path(path).suffix.lower()
        return {".csv": cls.CSV, ".jsonl": cls.JSONL, ".ndjson": cls.JSONL}.get(suffix)


def format_decimal(value: Decimal) -> str:
    """The amount exactly as the server sent it: no float, no rounding, no exponent.

    ``"-0"`` stays ``"-0"`` and ``"15000.00000000"`` keeps its zeros: the export is a
    faithful copy, not a normalisation.
    """
    if not value.is_finite():
        raise ValueError(f"refusing to export a non-finite amount: {value!r}")
    return format(value, "f")


def render(value: object) -> Cell:
    """One field's value as it is written."""
    if value is None or isinstance(value, str | int):
        return value
    if isinstance(value, Decimal):
        return format_decimal(value)
    if isinstance(value, date):  # a datetime is a date too: both in ISO 8601
        return value.isoformat()
    raise TypeError(f"unexpected field type {type(value).__name__}")


def csv_bytes(rows: Iterable[Iterable[object]]) -> bytes:
    """CSV lines, UTF-8; ``\\n``, not CSV's ``\\r\\n``: the same line ending as JSONL, and
    what wc/grep/diff expect."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode()


# -- reading a cell back -----------------------------------------------------------------

Parser = Callable[[object], object]

_FROM_TEXT: dict[type, Callable[[str], object]] = {
    int: int,
    str: str,
    Decimal: Decimal,
    datetime: datetime.fromisoformat,
    date: date.fromisoformat,
}


def _parser(hint: object, name: str) -> Parser:
    """How a written cell of a field typed ``hint`` reads back (CSV text or a JSON value);
    a type it cannot read raises when a cell of it is read, not before."""
    nullable = False
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        nullable = len(args) < len(typing.get_args(hint))
        hint = args[0] if len(args) == 1 else hint
    convert = _FROM_TEXT.get(hint) if isinstance(hint, type) else None

    def parse(raw: object) -> object:
        if convert is None:  # only the fields a resume reads need a parser
            raise TypeError(f"field {name!r} has a type the export cannot read back: {hint!r}")
        if raw is None or (nullable and raw == ""):
            return None
        if hint is int and isinstance(raw, int) and not isinstance(raw, bool):
            return raw  # JSONL keeps ints as numbers
        if not isinstance(raw, str):
            raise ValueError(f"{name}: expected text, got {raw!r}")
        return convert(raw)

    return parse


# -- rows of a record class -----------------------------------------------------------------


@frozen
class Rows:
    """How the records of one attrs class become lines, and how their cells read back."""

    record_type: type
    fields: tuple[str, ...]
    parsers: dict[str, Parser] = attrs.field(eq=False, repr=False)

    def cells(self, record: object) -> list[Cell]:
        """The record's values in `fields` order, rendered for output."""
        return [render(getattr(record, name)) for name in self.fields]

    def header(self, fmt: OutputFormat) -> bytes:
        """What starts a new file: the CSV header line; nothing for JSONL."""
        return b"" if fmt is OutputFormat.JSONL else csv_bytes([self.fields])

    def encode(self, fmt: OutputFormat, records: Iterable[Any]) -> bytes:
        """Complete lines (each ends with ``\\n``) for ``records``, UTF-8."""
        rows = [self.cells(record) for record in records]
        if fmt is OutputFormat.JSONL:
            # Money stays a JSON string: a JSON number would be read as a float by most tools.
            lines = (json.dumps(dict(zip(self.fields, row, strict=True))) + "\n" for row in rows)
            return "".join(lines).encode()
        return csv_bytes([["" if v is None else v for v in row] for row in rows])

    def parse(self, name: str, raw: object) -> object:
        """The value of field ``name`` from its written cell (`ValueError` if it is not one)."""
        return self.parsers[name](raw)


_ROWS: dict[type, Rows] = {}


def rows_of(record_type: type) -> Rows:
    """The `Rows` of an attrs record class (its annotations must resolve at module level)."""
    rows = _ROWS.get(record_type)
    if rows is None:
        hints = typing.get_type_hints(record_type)
        names = tuple(a.name for a in attrs.fields(record_type))
        parsers = {name: _parser(hints[name], name) for name in names}
        rows = _ROWS[record_type] = Rows(record_type, names, parsers)
    return rows


# -- for store/ as at 5971bd3, which renders rows through this: drop it once store/ renders its
# own (the store engineer makes it self-contained) --------------------------------------------

#: The rows of every endpoint, by dataset name.
DATASETS: dict[str, Rows] = {name: rows_of(e.record_type) for name, e in ENDPOINTS.items()}
