"""A sync's SQL: one transaction holding one snapshot per dataset (blocking calls).

Its walks run at once, so the open snapshots are keyed by dataset: each dataset has its
own tables (and temporary tables), so their batches interleave safely on the one thread.

The sharp edge: a sync is one transaction, from ``BEGIN IMMEDIATE`` (the write lock: a
second sync waits up to the busy timeout, then fails) to ``COMMIT``.  Until the commit
nothing of it is visible and a crash or a cancel leaves the earlier snapshots as they
were.  Only versions that changed are written: a day with few changes costs few rows.
A key twice in one snapshot is refused (`StoreError`): the walk yields each record once,
so a repeat means the stream is wrong, and nothing of it is kept.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

from attrs import define

from asset_client.store._db import Database
from asset_client.store._derive import Derived, EventOutbox, catch_up, derive
from asset_client.store._errors import StoreError
from asset_client.store._models import Series, Snapshot, SnapshotStatus
from asset_client.store._sql import table_sql
from asset_client.store._table import DatasetTable, Row

__all__ = ["Writer"]


def _now() -> str:
    return datetime.now(UTC).isoformat()


@define
class _Open:
    """The snapshot being written: its ids, its table, what it counted so far."""

    table: DatasetTable
    series_id: int
    snapshot_id: int
    new: int = 0
    changed: int = 0


class Writer:
    """The write side of a `Database`: `begin`, then per dataset `start_snapshot`,
    `write` batches and `finish_snapshot`; then `commit` (or `rollback`)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._open: dict[str, _Open] = {}  # by dataset: the walks run at once

    def begin(self) -> None:
        """Take the write lock: every snapshot until `commit` is in this one transaction."""
        if self._db.conn.in_transaction:
            raise StoreError("a sync is already running on this store")
        try:
            self._db.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise self._db.error(exc, "locking") from None

    def start_snapshot(self, table: DatasetTable, series: Series, client_version: str) -> None:
        """A new snapshot of ``series`` in the open transaction (its table made if new)."""
        assert self._db.conn.in_transaction
        sql = table_sql(table)
        taken_at = _now()
        try:
            self._db.has_table(table)  # refuses a table of another shape
            for statement in sql.create:  # IF NOT EXISTS: made on the dataset's first sync
                self._db.conn.execute(statement)
            self._db.conn.execute(sql.create_incoming)
            series_id = self._db.series_id(series, create=True)
            assert series_id is not None
            cursor = self._db.conn.execute(
                "INSERT INTO snapshots (series_id, taken_at, finished_at, status, "
                "client_version) VALUES (?, ?, ?, 'complete', ?)",
                (series_id, taken_at, taken_at, client_version),
            )
        except sqlite3.Error as exc:
            raise self._db.error(exc, "writing to") from None
        self._open[table.name] = _Open(table, series_id, int(cursor.lastrowid or 0))

    def write(self, dataset: str, rows: Sequence[Row]) -> None:
        """Store the versions in a batch (any order) of ``dataset``'s rendered rows that
        differ from the current ones, and mark their keys seen.

        The comparison runs inside SQLite (the GIL is released), so the event loop keeps
        walking meanwhile; the caller renders the rows.
        """
        state = self._open[dataset]
        sql = table_sql(state.table)
        params = {"s": state.series_id, "snap": state.snapshot_id}
        conn = self._db.conn
        try:
            conn.execute(sql.clear_incoming)
            conn.executemany(sql.insert_incoming, rows)
            conn.execute(sql.mark_seen)
            closed = conn.execute(sql.close_changed, params).rowcount
            inserted = conn.execute(sql.open_new, params).rowcount
        except sqlite3.IntegrityError as exc:
            raise self._refused(state.table, rows, exc) from None
        except sqlite3.Error as exc:
            raise self._db.error(exc, "writing to") from None
        state.changed += closed
        state.new += inserted - closed

    def _refused(
        self, table: DatasetTable, rows: Sequence[Row], exc: sqlite3.IntegrityError
    ) -> StoreError:
        """Why a batch broke a constraint: a key twice (in the batch, or since an
        earlier one), or a missing required value."""
        n = len(table.keys)
        seen: set[tuple[object, ...]] = set()
        for row in rows:
            if row[:n] in seen:
                return _twice(table, row[:n])
            seen.add(row[:n])
        where = " AND ".join(f"z.{k} = i.{k}" for k in table.keys)
        again = self._db.conn.execute(
            f"SELECT {', '.join(f'i.{k}' for k in table.keys)} "  # noqa: S608 - checked names
            f"FROM temp.incoming_{table.name} AS i WHERE EXISTS "
            f"(SELECT 1 FROM {table.seen_table} AS z WHERE {where}) LIMIT 1"
        ).fetchone()
        if again is not None:
            return _twice(table, tuple(again))
        return StoreError(f"a {table.name} record cannot be stored: {exc}")

    def finish_snapshot(
        self,
        dataset: str,
        requests: int | None,
        sums: Mapping[str, Decimal],
        window: tuple[date, date] | None,
    ) -> int:
        """Close ``dataset``'s unseen current versions in scope (gone); the snapshot's id."""
        state = self._open[dataset]
        sql = table_sql(state.table)
        start, end = (d.isoformat() for d in window) if window else ("", "")
        conn = self._db.conn
        try:
            conn.execute(sql.clear_incoming)
            (records,) = conn.execute(sql.count_seen).fetchone()
            gone = conn.execute(
                sql.close_gone,
                {"s": state.series_id, "snap": state.snapshot_id, "start": start, "end": end},
            ).rowcount
            conn.execute(sql.clear_seen)
            conn.execute(
                "UPDATE snapshots SET finished_at = ?, records = ?, sums = ?, new = ?, "
                "changed = ?, gone = ?, requests = ?, window_start = ?, window_end = ? "
                "WHERE id = ?",
                (
                    _now(),
                    records,
                    json.dumps({k: format(v, "f") for k, v in sums.items()}),
                    state.new,
                    state.changed,
                    gone,
                    requests,
                    start or None,
                    end or None,
                    state.snapshot_id,
                ),
            )
        except sqlite3.Error as exc:
            raise self._db.error(exc, "writing to") from None
        del self._open[dataset]
        return state.snapshot_id

    def derive(self, how: EventOutbox, snapshot_ids: Sequence[int]) -> Derived:
        """Before `commit`, in the open transaction: the events of its snapshots (and of
        any earlier one not derived yet) into the outbox, so that they commit together."""
        return derive(self._db, how, keep=snapshot_ids)

    def catch_up(self, how: EventOutbox) -> Derived:
        """Outside a sync: the events of snapshots no sync derived, in a transaction."""
        if self._db.conn.in_transaction:
            raise StoreError("a sync is already running on this store")
        return catch_up(self._db, how)

    def commit(self, snapshot_ids: Sequence[int]) -> list[Snapshot]:
        """Commit the transaction: every snapshot in it becomes visible at once."""
        try:
            self._db.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise self._db.error(exc, "writing to") from None
        found = [self._db.snapshot(i) for i in snapshot_ids]
        return [s for s in found if s is not None]

    def rollback(self) -> None:
        self._open.clear()
        if self._db.conn.in_transaction:
            try:
                self._db.conn.execute("ROLLBACK")
            except sqlite3.Error as exc:  # SQLite rolls back by itself on such errors
                raise self._db.error(exc, "rolling back") from None

    def previous_window_end(self, series: Series) -> date | None:
        """The last day the series' newest complete snapshot walked (windowed datasets)."""
        series_id = self._db.series_id(series, create=False)
        row = self._db.read(
            "SELECT max(window_end) FROM snapshots WHERE series_id = ? AND status = 'complete'",
            (series_id,),
        ).fetchone()
        return None if row is None or row[0] is None else date.fromisoformat(row[0])

    def record_failure(
        self,
        series: Sequence[Series],
        taken_at: str,
        status: SnapshotStatus,
        error: str,
        version: str,
    ) -> None:
        """Note a sync that kept nothing (one row per series it was to snapshot), so
        `snapshots` shows the attempt and why."""
        conn = self._db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            for one in series:
                series_id = self._db.series_id(one, create=True)
                conn.execute(
                    "INSERT INTO snapshots (series_id, taken_at, finished_at, status, "
                    "client_version, error) VALUES (?, ?, ?, ?, ?, ?)",
                    (series_id, taken_at, _now(), status.value, version, error),
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def _twice(table: DatasetTable, key: tuple[object, ...]) -> StoreError:
    shown = ", ".join(f"{k} {v}" for k, v in zip(table.keys, key, strict=True))
    return StoreError(
        f"a {table.name} record came twice in one snapshot ({shown}): each key must "
        "come once; nothing of this sync was kept"
    )
