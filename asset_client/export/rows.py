"""Rows of the invitee and volume exports, and reading identities back (pure, no I/O).

Sharp edge: a resumed export learns where it stopped by reading the partial file's rows
back (the last row's sort key and the identities tied with it: the walk's resume point),
so the row format and the reader live together here and change together.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from attrs import frozen

from asset_client.export.files import _EXACT, OutputFormat, _csv_bytes, format_decimal
from asset_client.records import DailyVolume, Invitee

__all__ = ["DATASETS", "DatasetRows", "WrittenSoFar", "read_back"]


@frozen(kw_only=True)
class DatasetRows:
    """How one dataset's records become lines, and how their identities are read back."""

    name: str
    fields: tuple[str, ...]
    cells: Callable[[Any], list[str | int]]
    identity_from_row: Callable[[dict[str, str]], Hashable]
    #: the row's sort key, as the walk's order compares it (to resume after it)
    key_from_row: Callable[[dict[str, str]], Any]
    #: the exact sum the summary shows (volume), or None
    sum_of: Callable[[Any], Decimal] | None = None

    def header(self, fmt: OutputFormat) -> bytes:
        return b"" if fmt is OutputFormat.JSONL else _csv_bytes([list(self.fields)])

    def encode(self, fmt: OutputFormat, records: Iterable[Any]) -> bytes:
        rows = [self.cells(r) for r in records]
        if fmt is OutputFormat.JSONL:
            lines = (json.dumps(dict(zip(self.fields, row, strict=True))) + "\n" for row in rows)
            return "".join(lines).encode()
        return _csv_bytes(rows)

    def add_sum(self, current: Decimal, records: Iterable[Any]) -> Decimal:
        if self.sum_of is None:
            return current
        for record in records:
            current = _EXACT.add(current, self.sum_of(record))
        return current


def _invitee_cells(record: Invitee) -> list[str | int]:
    return [record.uid, record.register_time.isoformat()]


def _volume_cells(record: DailyVolume) -> list[str | int]:
    return [record.uid, record.day.isoformat(), format_decimal(record.volume)]


def _volume_identity(row: dict[str, str]) -> Hashable:
    return int(row["uid"]), date.fromisoformat(row["day"])


DATASETS: dict[str, DatasetRows] = {
    "invitees": DatasetRows(
        name="invitees",
        fields=("uid", "register_time"),
        cells=_invitee_cells,
        identity_from_row=lambda row: int(row["uid"]),
        key_from_row=lambda row: datetime.fromisoformat(row["register_time"]),
    ),
    "volume": DatasetRows(
        name="volume",
        fields=("uid", "day", "volume"),
        cells=_volume_cells,
        identity_from_row=_volume_identity,
        key_from_row=lambda row: date.fromisoformat(row["day"]),
        sum_of=lambda record: record.volume,
    ),
}


def _rows(fmt: OutputFormat, data: bytes, fields: Sequence[str]) -> Iterator[dict[str, str]]:
    text = data.decode()
    if fmt is OutputFormat.JSONL:
        for line in text.splitlines():
            if line:
                yield {k: str(v) for k, v in json.loads(line).items()}
        return
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is not None and tuple(header) != tuple(fields):
        raise ValueError(f"unexpected header {header!r}")
    for row in reader:
        yield dict(zip(fields, row, strict=True))


@frozen
class WrittenSoFar:
    """What a partial file's valid prefix holds, for a resume: how many records, their
    exact sum (if any), the last record's sort key and the identities sharing it."""

    records: int
    total: Decimal
    last_key: Any
    tied: frozenset[Hashable]


def read_back(rows: DatasetRows, fmt: OutputFormat, data: bytes) -> WrittenSoFar:
    """Read a partial file's rows back (they are in the server's order)."""
    records = 0
    total = Decimal(0)
    last_key: Any = None
    tied: set[Hashable] = set()
    for row in _rows(fmt, data, rows.fields):
        records += 1
        key = rows.key_from_row(row)
        if key != last_key:
            last_key, tied = key, set()
        tied.add(rows.identity_from_row(row))
        if rows.sum_of is not None:
            total = _EXACT.add(total, Decimal(row[rows.fields[-1]]))
    return WrittenSoFar(records, total, last_key, frozenset(tied))
