"""One history connection, and what its writer and reader share: series ids, snapshot
rows, a dataset's table (blocking calls, one thread).

The sharp edge: call a `Database` (and the `Writer` and `Reader` built on it) from one
thread only, the store's worker: sqlite3 connections and cursors are not shared.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from asset_client.store._errors import StoreError, store_error
from asset_client.store._models import Series, Snapshot, SnapshotStatus
from asset_client.store._open import DEFAULT_FILE_MODE, connect
from asset_client.store._sql import table_sql
from asset_client.store._table import DatasetTable

__all__ = ["SNAPSHOT_SQL", "Database"]

SNAPSHOT_SQL: Final = (
    "SELECT s.id, s.taken_at, s.finished_at, s.status, s.records, s.sums, s.new, s.changed, "
    "s.gone, s.requests, s.client_version, s.error, s.window_start, s.window_end, "
    "r.dataset, r.source, r.quote, r.start_time, r.end_time, r.server_timezone "
    "FROM snapshots s JOIN series r ON r.id = s.series_id"
)


def series_from(row: Sequence[Any]) -> Series:
    """A `Series` from its stored (dataset, source, quote, start, end, zone) columns;
    a window bound stored as '' is no bound."""
    dataset, source, quote, start, end, zone = row
    return Series(
        dataset=dataset,
        source=source,
        quote=quote,
        start_time=start or None,
        end_time=end or None,
        server_timezone=zone,
    )


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def snapshot_from(row: Sequence[Any]) -> Snapshot:
    """A `Snapshot` from a row of `SNAPSHOT_SQL`."""
    sums = {} if row[5] is None else {k: Decimal(v) for k, v in json.loads(row[5]).items()}
    return Snapshot(
        id=row[0],
        taken_at=datetime.fromisoformat(row[1]),
        finished_at=datetime.fromisoformat(row[2]),
        status=SnapshotStatus(row[3]),
        records=row[4],
        sums=sums,
        new=row[6],
        changed=row[7],
        gone=row[8],
        requests=row[9],
        client_version=row[10],
        error=row[11],
        window_start=_day(row[12]),
        window_end=_day(row[13]),
        series=series_from(row[14:20]),
    )


class Database:
    """One connection to a checked history file.  Call it from one thread only."""

    def __init__(
        self, path: Path, *, write: bool, busy_timeout: float, file_mode: int = DEFAULT_FILE_MODE
    ) -> None:
        self.path = path
        self.write = write
        self.conn = connect(path, write=write, busy_timeout=busy_timeout, file_mode=file_mode)

    def close(self) -> None:
        """Roll back a transaction left open, then close."""
        try:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
        except sqlite3.Error as exc:
            raise self.error(exc, "rolling back") from None
        finally:
            self.conn.close()

    def error(self, exc: sqlite3.Error, doing: str) -> StoreError:
        return store_error(exc, self.path, doing)

    def read(
        self, sql: str, params: Sequence[object] | Mapping[str, object] = ()
    ) -> sqlite3.Cursor:
        try:
            return self.conn.execute(sql, params)
        except sqlite3.Error as exc:
            raise self.error(exc, "reading") from None

    def series_id(self, series: Series, *, create: bool) -> int | None:
        key = (
            series.dataset,
            series.source,
            series.quote,
            series.start_time or "",
            series.end_time or "",
            series.server_timezone,
        )
        row = self.read(
            "SELECT id FROM series WHERE dataset = ? AND source = ? AND quote = ? "
            "AND start_time = ? AND end_time = ? AND server_timezone = ?",
            key,
        ).fetchone()
        if row is not None or not create:
            return None if row is None else int(row[0])
        cursor = self.conn.execute(
            "INSERT INTO series (dataset, source, quote, start_time, end_time, server_timezone) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            key,
        )
        return int(cursor.lastrowid or 0)

    def snapshot(self, snapshot_id: int) -> Snapshot | None:
        row = self.read(SNAPSHOT_SQL + " WHERE s.id = ?", (snapshot_id,)).fetchone()
        return None if row is None else snapshot_from(row)

    def has_table(self, table: DatasetTable) -> bool:
        """Whether ``table`` exists (a table, or a reader's view of an older file), with
        the columns its record needs; a `StoreError` if it exists with others."""
        found = tuple(r[1] for r in self.read("SELECT * FROM pragma_table_info(?)", (table.name,)))
        if not found:
            return False
        expected = table_sql(table).columns
        if found != expected:
            raise StoreError(
                f"{self.path}: the {table.name} table has the columns {', '.join(found)}, "
                f"but {table.record_type.__name__} records need {', '.join(expected)}",
                usage=True,
            )
        return True
