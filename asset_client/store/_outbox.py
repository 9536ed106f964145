"""The watch's outbox SQL: events kept until delivered, and which snapshots they came
from (blocking calls, one thread; see `_schema.OUTBOX_DDL`).

The sharp edge: a snapshot's events and its ``outbox_derived`` marker are written in one
transaction, and events are inserted by their stable id (``INSERT OR IGNORE``): deriving
a snapshot twice (a kill after the commit, before the marker was seen) stores nothing
twice.  The first `prepare` of a file marks every snapshot already in it as derived
(silent): a watch announces what happens from its start on, not the file's past.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Iterable, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from attrs import frozen

from asset_client.store._errors import store_error
from asset_client.store._open import connect
from asset_client.store._schema import OUTBOX_DDL, statements
from asset_client.store.events import Event

__all__ = [
    "OutboxDb",
    "OutboxRow",
    "ensure_tables",
    "exists",
    "insert_events",
    "underived",
    "volume_sums",
]


@frozen(kw_only=True)
class OutboxRow:
    """One event as the outbox keeps it."""

    seq: int
    event: Event
    sent_at: str | None
    attempts: int
    last_error: str | None


_ROW_SQL = "SELECT seq, event, sent_at, attempts, last_error FROM outbox"


def _row(row: Sequence[Any]) -> OutboxRow:
    return OutboxRow(
        seq=row[0],
        event=Event.from_json(json.loads(row[1])),
        sent_at=row[2],
        attempts=row[3],
        last_error=row[4],
    )


def exists(conn: sqlite3.Connection) -> bool:
    """Whether the file has an outbox."""
    row = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'outbox'"
    ).fetchone()
    return row is not None


def ensure_tables(conn: sqlite3.Connection, *, keep: Collection[int] = ()) -> int:
    """In the caller's transaction: make the tables if new, every complete snapshot
    already here (but those in ``keep``: a sync's own, not committed yet) marked derived
    and silent; how many were marked."""
    if exists(conn):
        return 0
    for statement in statements(OUTBOX_DDL):
        conn.execute(statement)
    return conn.execute(
        "INSERT INTO outbox_derived (snapshot_id, events, silent) SELECT id, 0, 1 "
        "FROM snapshots WHERE status = 'complete' "
        "AND id NOT IN (SELECT value FROM json_each(?))",
        (json.dumps(sorted(keep)),),
    ).rowcount


def underived(conn: sqlite3.Connection) -> list[int]:
    """Complete snapshots whose events are not in the outbox yet, oldest first."""
    return [
        int(r[0])
        for r in conn.execute(
            "SELECT id FROM snapshots WHERE status = 'complete' AND id NOT IN "
            "(SELECT snapshot_id FROM outbox_derived) ORDER BY id"
        )
    ]


def insert_events(
    conn: sqlite3.Connection, snapshot_id: int, events: Iterable[Event], *, silent: bool
) -> int:
    """In the caller's transaction: a snapshot's events (by stable id: none twice) and
    its marker; how many events were new to the outbox."""
    added = 0
    for event in events:
        added += conn.execute(
            "INSERT OR IGNORE INTO outbox (id, kind, uid, snapshot_id, observed_at, "
            "event) VALUES (?, ?, ?, ?, ?, ?)",
            (
                event.id,
                event.kind.value,
                event.uid,
                event.snapshot,
                event.observed_at.isoformat(),
                json.dumps(event.as_json()),
            ),
        ).rowcount
    conn.execute(
        "INSERT OR REPLACE INTO outbox_derived (snapshot_id, events, silent) VALUES (?, ?, ?)",
        (snapshot_id, added, int(silent)),
    )
    return added


def volume_sums(
    conn: sqlite3.Connection,
    table: str,
    snapshot_id: int,
    days: tuple[date, date],
    uids: Sequence[int],
) -> dict[int, Decimal]:
    """Each uid's volume summed over ``days`` (both included) as of ``snapshot_id`` (a
    snapshot not committed yet too, on its own connection)."""
    (series_id,) = conn.execute(
        "SELECT series_id FROM snapshots WHERE id = ?", (snapshot_id,)
    ).fetchone()
    sums: dict[int, Decimal] = {}
    for i in range(0, len(uids), 500):  # SQLite's bound-parameter limit
        chunk = list(uids[i : i + 500])
        rows = conn.execute(
            f"SELECT uid, volume FROM {table} WHERE series_id = ? "  # noqa: S608 - a table name
            "AND day BETWEEN ? AND ? AND valid_from <= ? "
            "AND (valid_to IS NULL OR valid_to > ?) "
            f"AND uid IN ({', '.join('?' * len(chunk))})",
            (
                series_id,
                days[0].isoformat(),
                days[1].isoformat(),
                snapshot_id,
                snapshot_id,
                *chunk,
            ),
        )
        for uid, volume in rows:
            sums[uid] = sums.get(uid, Decimal(0)) + Decimal(volume)
    return sums


class OutboxDb:
    """The outbox tables of one history file, on a connection of their own."""

    def __init__(self, path: Path, *, busy_timeout: float = 30.0, readonly: bool = False) -> None:
        self.path = path
        self.conn = connect(path, write=not readonly, busy_timeout=busy_timeout)
        if not readonly:
            # No fsync per commit (WAL): a power cut may forget the last marks, and then
            # re-derives (same ids) or re-sends (same id); a killed process loses nothing.
            self.conn.execute("PRAGMA synchronous = NORMAL")

    def close(self) -> None:
        self.conn.close()

    def _transaction(self) -> None:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise store_error(exc, self.path, "locking") from None

    def exists(self) -> bool:
        return exists(self.conn)

    def prepare(self) -> int:
        """Make the tables if new (the snapshots already here marked silent); how many
        snapshots were marked so."""
        self._transaction()
        try:
            marked = ensure_tables(self.conn)
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        return marked

    def underived(self) -> list[int]:
        """Complete snapshots whose events are not in the outbox yet, oldest first."""
        return underived(self.conn)

    def add(self, snapshot_id: int, events: Iterable[Event], *, silent: bool) -> int:
        """Store a snapshot's events and mark it derived, in one transaction; how many
        events were new to the outbox."""
        self._transaction()
        try:
            added = insert_events(self.conn, snapshot_id, events, silent=silent)
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        return added

    def due(self, now: float, limit: int = 500) -> list[OutboxRow]:
        """Pending events whose backoff has passed, in delivery order."""
        rows = self.conn.execute(
            _ROW_SQL + " WHERE sent_at IS NULL AND (next_attempt_at IS NULL OR "
            "next_attempt_at <= ?) ORDER BY seq LIMIT ?",
            (now, limit),
        )
        return [_row(r) for r in rows]

    def mark_sent(self, seqs: Sequence[int], when: str) -> None:
        """Mark delivered events sent, in one transaction."""
        self._transaction()
        try:
            self.conn.executemany(
                "UPDATE outbox SET sent_at = ?, last_error = NULL WHERE seq = ?",
                [(when, s) for s in seqs],
            )
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

    def mark_failed(self, first_seq: int, next_at: float, error: str) -> int:
        """Hold back every pending event from ``first_seq`` on (order is kept); how many."""
        return self.conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? "
            "WHERE sent_at IS NULL AND seq >= ?",
            (next_at, error, first_seq),
        ).rowcount

    def pending_count(self) -> int:
        (n,) = self.conn.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL").fetchone()
        return int(n)

    def rows(
        self, *, pending: bool = False, kinds: Sequence[str] = (), since: str | None = None
    ) -> list[OutboxRow]:
        """Events in delivery order, narrowed as asked (``since``: observed at or after)."""
        sql, params = _ROW_SQL + " WHERE 1", list[Any]()
        if pending:
            sql += " AND sent_at IS NULL"
        if kinds:
            sql += f" AND kind IN ({', '.join('?' * len(kinds))})"
            params.extend(kinds)
        if since is not None:
            sql += " AND observed_at >= ?"
            params.append(since)
        return [_row(r) for r in self.conn.execute(sql + " ORDER BY seq", params)]

    def volume_sums(
        self,
        table: str,
        snapshot_id: int,
        days: tuple[date, date],
        uids: Sequence[int],
    ) -> dict[int, Decimal]:
        """Each uid's volume summed over ``days`` (both included) as of ``snapshot_id``."""
        return volume_sums(self.conn, table, snapshot_id, days, uids)
