"""Rows read from a history, written as CSV or JSON Lines to stdout or ``--out``.

The commands that read a history (``changes``, ``history``, ``snapshots``) write through
`Writer` and `output`, and take a dataset's columns from its endpoint (`key_columns`,
`value_columns`), never from a list kept here.  Sharp edge: ``--out`` follows the export's
file rules: a regular file appears (owner-only, or ``--file-mode``) only when complete; a
device or FIFO is written through, never replaced.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import sys
from collections.abc import Iterator, Sequence
from datetime import date
from typing import TextIO

import attrs

from asset_client.endpoints import ENDPOINTS
from asset_client.export.files import OutputFormat
from asset_client.export.outpath import (
    OutTargetError,
    checked_out,
    resolve_out,
    text_of,
    whole_file,
)
from asset_client.store import StoreError

__all__ = ["Writer", "cell", "key_columns", "output", "output_format", "value_columns"]


def key_columns(dataset: str) -> tuple[str, ...]:
    """The fields that identify one of the dataset's records (``uid``; ``uid, day``)."""
    return ENDPOINTS[dataset].key_fields


def value_columns(dataset: str) -> tuple[str, ...]:
    """The record's other fields, in the record's order: what a history versions."""
    endpoint = ENDPOINTS[dataset]
    fields = attrs.fields(endpoint.record_type)
    return tuple(f.name for f in fields if f.name not in endpoint.key_fields)


def cell(value: object) -> object:
    """A key's value as the exports write it (a day as ``yyyy-MM-dd``)."""
    return value.isoformat() if isinstance(value, date) else value


def output_format(args: argparse.Namespace) -> OutputFormat:
    """``--format``, else from the ``--out`` extension, else csv."""
    if args.out == "":
        raise StoreError("--out is empty: name a file, or - for stdout", usage=True)
    if args.format is not None:
        return OutputFormat(args.format)
    if args.out is not None and args.out != "-":
        guessed = OutputFormat.from_path(args.out)
        if guessed is None and _is_stream(args.out):
            return OutputFormat.CSV  # a device or pipe, as for export: csv unless named
        if guessed is None:
            raise StoreError(
                f"cannot tell the format from {args.out!r}: pass --format csv or --format jsonl",
                usage=True,
            )
        return guessed
    return OutputFormat.CSV


def _is_stream(out: str) -> bool:
    try:
        return resolve_out(out).stream is not None
    except OutTargetError:
        return False  # `output` says why


@contextlib.contextmanager
def output(out: str | None, mode: int) -> Iterator[TextIO]:
    """stdout, or ``--out`` by the export's rules (`outpath.whole_file`)."""
    if out is None or out == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    try:
        target = checked_out(out)
    except OutTargetError as exc:
        raise StoreError(str(exc), usage=True) from None
    with whole_file(target, mode) as binary:
        stream = text_of(binary)
        try:
            yield stream
            stream.flush()
        finally:
            stream.detach()  # the binary file is whole_file's to close


class Writer:
    """Rows as CSV (header first) or as JSON objects (keyed by the header), one per line."""

    def __init__(self, stream: TextIO, fmt: OutputFormat, header: Sequence[str]) -> None:
        self._stream = stream
        self._header = tuple(header)
        self.is_csv = fmt is OutputFormat.CSV
        self._csv = csv.writer(stream, lineterminator="\n")
        if self.is_csv:
            self._csv.writerow(header)

    def row(self, row: Sequence[object]) -> None:
        """One row in header order: CSV cells, or one object of header -> value."""
        if self.is_csv:
            self._csv.writerow(["" if value is None else value for value in row])
        else:
            self.json_line(dict(zip(self._header, row, strict=True)))

    def json_line(self, obj: object) -> None:
        self._stream.write(json.dumps(obj) + "\n")
