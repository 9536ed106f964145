"""Where a resumed export picks up, read back from its partial file (pure: lines in).

Generic over `Endpoint`: the rows are in the server's order, so the last row's
``sort_field`` (parsed by the field's type) is where the walk resumes, and the identities
(``key_fields``) of the rows sharing that value tell the walk which of the tied records it
already has.  The same pass counts the rows and sums their amounts exactly, which a
checkpoint's own count and sums must match.

Sharp edge: only the last group of tied rows is held, never the file: a resume of a
million-row export reads it once, in constant memory.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Hashable, Iterable, Iterator
from typing import Any

from attrs import frozen

from asset_client.core.walk import Resume
from asset_client.endpoints import Endpoint
from asset_client.export.rows import OutputFormat, Rows
from asset_client.export.sums import Sums

__all__ = ["WrittenSoFar", "read_back"]


@frozen
class WrittenSoFar:
    """What a partial file's valid prefix holds: its count and sums, the last row's sort
    value (as written, and parsed), and the identities of the rows tied with it."""

    sums: Sums
    last: Any = None
    last_text: str = ""
    tied: frozenset[Hashable] = frozenset()

    @property
    def records(self) -> int:
        return self.sums.records

    def resume(self, endpoint: Endpoint[Any, Any, Any]) -> Resume | None:
        """The walk's resume point (None: nothing written yet, start from the top)."""
        if not self.records:
            return None
        # A unique sort key names one record: the walk needs no identities for ties.
        tied = None if endpoint.order.unique else self.tied
        return Resume(self.last, self.records, tied)


def _raw_rows(fmt: OutputFormat, lines: Iterable[str], fields: tuple[str, ...]) -> Iterator[Any]:
    if fmt is OutputFormat.JSONL:
        for line in lines:
            if line.strip():
                row = json.loads(line)
                if not isinstance(row, dict):
                    raise ValueError(f"a JSONL line is not an object: {line[:80]!r}")
                yield row
        return
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is not None and tuple(header) != fields:
        raise ValueError(f"unexpected header {header!r}")
    for row in reader:
        yield dict(zip(fields, row, strict=True))


def read_back(
    endpoint: Endpoint[Any, Any, Any],
    rows: Rows,
    fmt: OutputFormat,
    lines: Iterable[str],
    sums: Sums,
) -> WrittenSoFar:
    """Read the written rows of ``endpoint`` back, adding them to ``sums`` (a fresh one,
    naming the amounts to sum).  Raises `ValueError` or `KeyError` for a row that is not
    one this export writes."""
    sort_field, key_fields = endpoint.sort_field, endpoint.key_fields
    last: Any = None
    last_text = ""
    tied: set[Hashable] = set()

    def value(row: Any, name: str) -> object:
        return rows.parse(name, row[name])

    for row in _raw_rows(fmt, lines, rows.fields):
        sums.add([row], value)
        key = value(row, sort_field)
        if sums.records == 1 or key != last:
            last, last_text, tied = key, str(row[sort_field]), set()
        identity = tuple(value(row, name) for name in key_fields)
        # One key field: the identity is its value, as ``order.identity`` returns it.
        tied.add(identity[0] if len(identity) == 1 else identity)
    return WrittenSoFar(sums, last, last_text, frozenset(tied))
