"""The history store's SQL, run on one connection in one worker thread (blocking calls).

Its sharp edge: a sync is one transaction, from ``BEGIN IMMEDIATE`` (the write lock: a
second sync waits up to the busy timeout, then fails) to ``COMMIT``.  Until the commit
nothing of it is visible and a crash or a cancel leaves the earlier snapshots as they
were.  Only versions that changed are written: a day with few changes costs few rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Generator, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from asset_client.export.files import Sums, format_decimal
from asset_client.store._datasets import DATASETS, KeyedTable, dataset_of
from asset_client.store._keyed_sql import keyed_sql
from asset_client.store._models import (
    INVITEE_ASSETS,
    Change,
    ChangeKind,
    HistoryEntry,
    Series,
    Snapshot,
    SnapshotStatus,
    Values,
)
from asset_client.store._rows import ASSET_COLUMNS, Row, named
from asset_client.store._schema import StoreError, connect, store_error
from asset_client.store._window import automatic_window

__all__ = ["Database", "SyncState"]

_COLS = ", ".join(ASSET_COLUMNS)
_A_COLS = ", ".join(f"a.{c}" for c in ASSET_COLUMNS)
_N = len(ASSET_COLUMNS)
#: Beyond any snapshot id: "valid_to IS NULL" as a number, so one comparison does.
_FOREVER = 1 << 62


_INCOMING_TABLE = f"CREATE TEMP TABLE IF NOT EXISTS incoming (uid INTEGER PRIMARY KEY, {_COLS})"
_INCOMING_INSERT = f"INSERT INTO temp.incoming (uid, {_COLS}) VALUES (?{', ?' * _N})"  # noqa: S608
_SAME = " AND ".join(f"i.{c} IS invitee_assets.{c}" for c in ASSET_COLUMNS)
#: Close the current versions in the stretch that the batch does not hold as they are.
_CLOSE = (
    "UPDATE invitee_assets SET valid_to = :snap WHERE series_id = :s AND valid_to IS NULL "  # noqa: S608
    "AND valid_from < :snap AND uid > :low {high}"
    "AND NOT EXISTS (SELECT 1 FROM temp.incoming AS i WHERE i.uid = invitee_assets.uid "
    f"AND {_SAME})"
)
_CLOSE_STRETCH = _CLOSE.format(high="AND uid <= :high ")
_CLOSE_TAIL = _CLOSE.format(high="")
#: Open a version for every uid of the batch that has no current one (new or changed).
_OPEN = (
    f"INSERT INTO invitee_assets (series_id, valid_from, uid, {_COLS}) "  # noqa: S608 - constant column names
    f"SELECT :s, :snap, i.uid, {', '.join(f'i.{c}' for c in ASSET_COLUMNS)} "
    "FROM temp.incoming AS i WHERE NOT EXISTS (SELECT 1 FROM invitee_assets AS a "
    "WHERE a.series_id = :s AND a.uid = i.uid AND a.valid_to IS NULL)"
)
#: Of those, the ones that had a version closed just now: changed, not new.
_CHANGED = (
    "SELECT count(*) FROM temp.incoming AS i JOIN invitee_assets AS a "
    "ON a.series_id = :s AND a.uid = i.uid AND +a.valid_to = :snap"  # by uid, not by valid_to
)


_B_COLS = ", ".join(f"b.{c}" for c in ASSET_COLUMNS)
_F_COLS = ", ".join(f"f.{c}" for c in ASSET_COLUMNS)
_AT_A = "b.valid_from <= :a AND coalesce(b.valid_to, :forever) > :a"
_AT_B = "f.valid_from <= :b AND coalesce(f.valid_to, :forever) > :b"
#: Rows: uid, before exists, before values..., after exists, after values...
_CHANGES_INDEXED = f"""
    SELECT t.uid, b.uid IS NOT NULL, {_B_COLS}, f.uid IS NOT NULL, {_F_COLS}
    FROM (
        SELECT uid FROM invitee_assets
        WHERE series_id = :s AND valid_from > :a AND valid_from <= :b
        UNION
        SELECT uid FROM invitee_assets
        WHERE series_id = :s AND valid_to > :a AND valid_to <= :b
    ) AS t
    LEFT JOIN invitee_assets AS b ON b.series_id = :s AND b.uid = t.uid AND {_AT_A}
    LEFT JOIN invitee_assets AS f ON f.series_id = :s AND f.uid = t.uid AND {_AT_B}
    ORDER BY t.uid
"""  # noqa: S608 - constant column names
#: Versions valid at b that began after a (new or changed), then versions valid at a that
#: ended by b with nothing valid at b (gone); both in uid order, merged.
_CHANGES_SCAN = f"""
    SELECT f.uid, b.uid IS NOT NULL, {_B_COLS}, 1, {_F_COLS}
    FROM invitee_assets AS f
    LEFT JOIN invitee_assets AS b ON b.series_id = :s AND b.uid = f.uid AND {_AT_A}
    WHERE f.series_id = :s AND f.valid_from > :a AND {_AT_B}
    UNION ALL
    SELECT b.uid, 1, {_B_COLS}, 0, {", ".join(["NULL"] * _N)}
    FROM invitee_assets AS b
    WHERE b.series_id = :s AND {_AT_A} AND b.valid_to <= :b
    AND NOT EXISTS (SELECT 1 FROM invitee_assets AS f
                    WHERE f.series_id = :s AND f.uid = b.uid AND {_AT_B})
    ORDER BY 1
"""  # noqa: S608 - constant column names


def _series_from(row: Sequence[Any]) -> Series:
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


def _now() -> str:
    return datetime.now(UTC).isoformat()


class SyncState:
    """One sync in progress: where the walk is, what it counted."""

    def __init__(self, series_id: int, snapshot_id: int, taken_at: str) -> None:
        self.series_id = series_id
        self.snapshot_id = snapshot_id
        self.taken_at = taken_at
        self.last_uid: int | None = None
        self.new = self.changed = self.gone = 0

    @property
    def low(self) -> int:
        """The uid the next batch's stretch starts after (-1 before the first batch)."""
        return -1 if self.last_uid is None else self.last_uid


class Database:
    """Blocking operations on one connection.  Call it from one thread only."""

    def __init__(self, path: Path, *, write: bool, busy_timeout: float) -> None:
        self.path = path
        self.write = write
        self.conn = connect(path, write=write, busy_timeout=busy_timeout)
        self._sync: SyncState | None = None
        self._in_sync = False
        (version,) = self.conn.execute("PRAGMA user_version").fetchone()
        if int(version) < 2:
            # Read-only on a version-1 file (readers never migrate): no volume columns.
            self._SNAPSHOT_SQL = self._SNAPSHOT_SQL.replace(
                "s.window_start, s.window_end, s.total_volume", "NULL, NULL, NULL"
            )

    def close(self) -> None:
        if self._in_sync:
            self.rollback()
        self.conn.close()

    def _error(self, exc: sqlite3.Error, doing: str) -> StoreError:
        return store_error(exc, self.path, doing)

    # -- series ------------------------------------------------------------------------

    def _series_id(self, series: Series, *, create: bool) -> int | None:
        key = (
            series.dataset,
            series.source,
            series.quote,
            series.start_time or "",
            series.end_time or "",
            series.server_timezone,
        )
        row = self.conn.execute(
            "SELECT id FROM series WHERE dataset = ? AND source = ? AND quote = ? "
            "AND start_time = ? AND end_time = ? AND server_timezone = ?",
            key,
        ).fetchone()
        if row is not None:
            return int(row[0])
        if not create:
            return None
        cursor = self.conn.execute(
            "INSERT INTO series (dataset, source, quote, start_time, end_time, server_timezone) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            key,
        )
        return int(cursor.lastrowid or 0)

    # -- sync ---------------------------------------------------------------------------

    def begin_sync(self, series: Series, client_version: str) -> SyncState:
        """One transaction holding one snapshot (see `begin`, `start_snapshot`)."""
        self.begin()
        return self.start_snapshot(series, client_version)

    def begin(self) -> None:
        """Take the write lock: every snapshot until `commit` is in this one transaction."""
        if self._in_sync:
            raise StoreError("a sync is already running on this store")
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise self._error(exc, "locking") from None
        self._in_sync = True

    def start_snapshot(self, series: Series, client_version: str) -> SyncState:
        """A new snapshot of ``series`` in the open transaction."""
        assert self._in_sync
        taken_at = _now()
        try:
            self.conn.execute(_INCOMING_TABLE)
            for spec in (DATASETS["invitees"], DATASETS["volume"]):
                self.conn.execute(keyed_sql(spec).create_incoming)
            series_id = self._series_id(series, create=True)
            assert series_id is not None
            cursor = self.conn.execute(
                "INSERT INTO snapshots (series_id, taken_at, finished_at, status, "
                "client_version) VALUES (?, ?, ?, 'complete', ?)",
                (series_id, taken_at, taken_at, client_version),
            )
        except sqlite3.Error as exc:
            self.rollback()
            raise self._error(exc, "writing to") from None
        self._sync = SyncState(series_id, int(cursor.lastrowid or 0), taken_at)
        return self._sync

    def write_keyed(self, spec: KeyedTable, rows: Sequence[tuple[object, ...]]) -> None:
        """Store the versions in a batch (any order) of invitee or volume rows that differ
        from the current ones, and mark their keys seen."""
        state = self._sync
        assert state is not None
        sql = keyed_sql(spec)
        params = {"s": state.series_id, "snap": state.snapshot_id}
        try:
            self.conn.execute(sql.clear_incoming)
            self.conn.executemany(sql.insert_incoming, rows)
            closed = self.conn.execute(sql.close_changed, params).rowcount
            inserted = self.conn.execute(sql.open_new, params).rowcount
            self.conn.execute(sql.mark_seen)
        except sqlite3.Error as exc:
            raise self._error(exc, "writing to") from None
        state.changed += closed
        state.new += inserted - closed

    def finish_keyed(
        self,
        spec: KeyedTable,
        requests: int | None,
        total_volume: Decimal | None,
        window: tuple[str, str] | None,
    ) -> int:
        """Close the unseen current versions in scope (gone); the snapshot's id."""
        state = self._sync
        assert state is not None
        sql = keyed_sql(spec)
        start, end = window or ("", "")
        try:
            self.conn.execute(sql.clear_incoming)
            (records,) = self.conn.execute(sql.count_seen).fetchone()
            state.gone = self.conn.execute(
                sql.close_gone,
                {"s": state.series_id, "snap": state.snapshot_id, "start": start, "end": end},
            ).rowcount
            self.conn.execute(sql.clear_seen)
            self.conn.execute(
                "UPDATE snapshots SET finished_at = ?, records = ?, new = ?, changed = ?, "
                "gone = ?, requests = ?, window_start = ?, window_end = ?, total_volume = ? "
                "WHERE id = ?",
                (
                    _now(),
                    records,
                    state.new,
                    state.changed,
                    state.gone,
                    requests,
                    window[0] if window else None,
                    window[1] if window else None,
                    None if total_volume is None else format_decimal(total_volume),
                    state.snapshot_id,
                ),
            )
        except sqlite3.Error as exc:
            raise self._error(exc, "writing to") from None
        self._sync = None
        return state.snapshot_id

    def write_rows(self, rows: Sequence[Row]) -> None:
        """Store the versions in a uid-ascending batch of rendered rows that differ from
        the current ones, and close the current versions of uids in the batch's stretch
        that it does not hold (gone).

        The comparison runs inside SQLite (the GIL is released), so the event loop keeps
        walking meanwhile; the caller renders and orders the rows.
        """
        state = self._sync
        assert state is not None
        try:
            self.conn.execute("DELETE FROM temp.incoming")
            self.conn.executemany(_INCOMING_INSERT, rows)
            self._apply(state, rows[-1][0])
        except sqlite3.Error as exc:
            raise self._error(exc, "writing to") from None
        state.last_uid = rows[-1][0]

    def _apply(self, state: SyncState, high: int | None) -> None:
        """Close and insert versions for ``state.low < uid <= high`` (None: no upper
        bound) against temp.incoming."""
        params = {"s": state.series_id, "snap": state.snapshot_id, "low": state.low, "high": high}
        closed = self.conn.execute(_CLOSE_TAIL if high is None else _CLOSE_STRETCH, params).rowcount
        inserted = self.conn.execute(_OPEN, params).rowcount if high is not None else 0
        changed = 0
        if closed and inserted:
            (changed,) = self.conn.execute(_CHANGED, params).fetchone()
        state.changed += changed
        state.new += inserted - changed
        state.gone += closed - changed

    def finish_sync(self, requests: int | None, sums: Sums) -> Snapshot:
        """`finish_snapshot`, then `commit`: the one-snapshot sync."""
        snapshot_id = self.finish_snapshot(requests, sums)
        (snapshot,) = self.commit([snapshot_id])
        return snapshot

    def finish_snapshot(self, requests: int | None, sums: Sums) -> int:
        """Close the versions of uids the assets walk no longer listed; the snapshot's id."""
        state = self._sync
        assert state is not None
        try:
            self.conn.execute("DELETE FROM temp.incoming")
            self._apply(state, None)  # past the last uid: all gone
            self.conn.execute("DELETE FROM temp.incoming")
            self.conn.execute(
                "UPDATE snapshots SET finished_at = ?, records = ?, total_deposit = ?, "
                "total_withdrawal = ?, current_balance = ?, new = ?, changed = ?, gone = ?, "
                "requests = ? WHERE id = ?",
                (
                    _now(),
                    sums.records,
                    format_decimal(sums.total_deposit),
                    format_decimal(sums.total_withdrawal),
                    format_decimal(sums.current_balance),
                    state.new,
                    state.changed,
                    state.gone,
                    requests,
                    state.snapshot_id,
                ),
            )
        except sqlite3.Error as exc:
            raise self._error(exc, "writing to") from None
        self._sync = None
        return state.snapshot_id

    def commit(self, snapshot_ids: Sequence[int]) -> list[Snapshot]:
        """Commit the transaction: every snapshot in it becomes visible at once."""
        try:
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise self._error(exc, "writing to") from None
        self._in_sync = False
        found = [self.snapshot(i) for i in snapshot_ids]
        return [s for s in found if s is not None]

    def default_volume_window(self, series: Series, today: date) -> tuple[date, date]:
        """The automatic volume window (`_window.automatic_window`) of ``series``."""
        series_id = self._series_id(series, create=False)
        row = self._read(
            "SELECT max(window_end) FROM snapshots WHERE series_id = ? AND status = 'complete'",
            (series_id,),
        ).fetchone()
        previous = None if row is None or row[0] is None else date.fromisoformat(row[0])
        return automatic_window(previous, today)

    def rollback(self) -> None:
        self._sync = None
        self._in_sync = False
        if self.conn.in_transaction:
            try:
                self.conn.execute("ROLLBACK")
            except sqlite3.Error as exc:  # SQLite rolls back by itself on such errors
                raise self._error(exc, "rolling back") from None

    def record_failure(
        self,
        series: Series | Sequence[Series],
        taken_at: str,
        status: SnapshotStatus,
        error: str,
        version: str,
    ) -> None:
        """Note a sync that kept nothing (one row per series it was to snapshot), so
        `snapshots` shows the attempt and why."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            for one in [series] if isinstance(series, Series) else series:
                series_id = self._series_id(one, create=True)
                self.conn.execute(
                    "INSERT INTO snapshots (series_id, taken_at, finished_at, status, "
                    "client_version, error) VALUES (?, ?, ?, ?, ?, ?)",
                    (series_id, taken_at, _now(), status.value, version, error),
                )
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

    # -- reading --------------------------------------------------------------------------

    _SNAPSHOT_SQL = (
        "SELECT s.id, s.taken_at, s.finished_at, s.status, s.records, s.total_deposit, "
        "s.total_withdrawal, s.current_balance, s.new, s.changed, s.gone, s.requests, "
        "s.client_version, s.error, r.dataset, r.source, r.quote, r.start_time, r.end_time, "
        "r.server_timezone, s.window_start, s.window_end, s.total_volume "
        "FROM snapshots s JOIN series r ON r.id = s.series_id"
    )

    @staticmethod
    def _snapshot_from(row: Sequence[Any]) -> Snapshot:
        def dec(text: str | None) -> Decimal | None:
            return None if text is None else Decimal(text)

        return Snapshot(
            id=row[0],
            taken_at=datetime.fromisoformat(row[1]),
            finished_at=datetime.fromisoformat(row[2]),
            status=SnapshotStatus(row[3]),
            records=row[4],
            total_deposit=dec(row[5]),
            total_withdrawal=dec(row[6]),
            current_balance=dec(row[7]),
            new=row[8],
            changed=row[9],
            gone=row[10],
            requests=row[11],
            client_version=row[12],
            error=row[13],
            series=_series_from(row[14:20]),
            window_start=None if row[20] is None else date.fromisoformat(row[20]),
            window_end=None if row[21] is None else date.fromisoformat(row[21]),
            total_volume=dec(row[22]),
        )

    def snapshot(self, snapshot_id: int) -> Snapshot | None:
        row = self._read(self._SNAPSHOT_SQL + " WHERE s.id = ?", (snapshot_id,)).fetchone()
        return None if row is None else self._snapshot_from(row)

    def snapshots(self, quote: str | None = None, dataset: str | None = None) -> list[Snapshot]:
        """Snapshots oldest first; of one stored dataset name and/or quote if given."""
        sql, params = self._SNAPSHOT_SQL + " WHERE 1", list[str]()
        if quote is not None:
            sql, params = sql + " AND r.quote = ?", [*params, quote]
        if dataset is not None:
            sql, params = sql + " AND r.dataset = ?", [*params, dataset]
        return [self._snapshot_from(row) for row in self._read(sql + " ORDER BY s.id", params)]

    def _read(
        self, sql: str, params: Sequence[object] | Mapping[str, object] = ()
    ) -> sqlite3.Cursor:
        try:
            return self.conn.execute(sql, params)
        except sqlite3.Error as exc:
            raise self._error(exc, "reading") from None

    def resolve(
        self,
        since: int | datetime | None,
        until: int | None,
        quote: str | None,
        dataset: str = INVITEE_ASSETS,
    ) -> tuple[Snapshot | None, Snapshot]:
        """(baseline, target) complete snapshots of one series; baseline None = empty.

        ``until`` defaults to the newest complete snapshot (of ``quote`` if given);
        ``since`` is a snapshot id of the same series, or a time: the newest snapshot of
        the series taken at or before it.  By default, the one before ``until``.
        """
        complete = " WHERE s.status = 'complete'"
        if until is not None:
            target = self.snapshot(until)
            if target is None or target.status is not SnapshotStatus.COMPLETE:
                raise StoreError(f"no complete snapshot #{until} in {self.path}", usage=True)
            if target.series.dataset != dataset:
                raise StoreError(
                    f"snapshot #{until} is of {target.series.dataset}, not {dataset}", usage=True
                )
        else:
            sql, params = self._SNAPSHOT_SQL + complete + " AND r.dataset = ?", [dataset]
            if quote is not None and dataset == INVITEE_ASSETS:  # the others have no quote
                sql, params = sql + " AND r.quote = ?", [*params, quote]
            row = self._read(sql + " ORDER BY s.id DESC LIMIT 1", params).fetchone()
            if row is None:
                which = f" for quote {quote}" if quote else ""
                if dataset != INVITEE_ASSETS:
                    which = f" of {dataset}"
                raise StoreError(f"no complete snapshot{which} in {self.path} yet")
            target = self._snapshot_from(row)
        series_id = self._series_id(target.series, create=False)
        same = complete + " AND s.series_id = ? AND s.id < ?"
        if since is None:
            row = self._read(
                self._SNAPSHOT_SQL + same + " ORDER BY s.id DESC LIMIT 1", (series_id, target.id)
            ).fetchone()
            return (None if row is None else self._snapshot_from(row)), target
        if isinstance(since, int):
            base = self.snapshot(since)
            if base is None or base.status is not SnapshotStatus.COMPLETE:
                raise StoreError(f"no complete snapshot #{since} in {self.path}", usage=True)
            if base.series != target.series:
                raise StoreError(
                    f"snapshot #{since} is of another series ({base.series.describe()}) than "
                    f"#{target.id} ({target.series.describe()}): only snapshots taken with "
                    "the same parameters compare",
                    usage=True,
                )
            if base.id >= target.id:
                raise StoreError(
                    f"--since snapshot #{since} is not older than #{target.id}", usage=True
                )
            return base, target
        rows = self._read(
            self._SNAPSHOT_SQL + same + " ORDER BY s.id DESC", (series_id, target.id)
        ).fetchall()
        for row in rows:  # ids follow commit order; taken_at strings are all UTC
            candidate = self._snapshot_from(row)
            if candidate.taken_at <= since:
                return candidate, target
        raise StoreError(
            f"no snapshot of {target.series.describe()} taken at or before "
            f"{since.isoformat()}; the oldest is "
            + (f"#{rows[-1][0]} at {rows[-1][1]}" if rows else f"#{target.id}, the newest"),
            usage=True,
        )

    def changes(
        self, base: Snapshot | None, target: Snapshot, *, scan: bool | None = None
    ) -> Generator[list[Change]]:
        """Changed invitees between two snapshots of one series, uid ascending, in batches.

        Two plans, same answer: by default, through the valid_from/valid_to indexes (cost
        follows the number of changes: a day's changes out of 250k are read in
        milliseconds); when the snapshots in between changed more than a quarter of the
        records, one pass over the series in uid order (no sort).  ``scan`` forces one.
        """
        series_id = self._series_id(target.series, create=False)
        a = 0 if base is None else base.id
        b = target.id
        if target.series.dataset != INVITEE_ASSETS:
            yield from self._keyed_changes(dataset_of(target.series.dataset), series_id, a, b)
            return
        if scan is None:
            (touched,) = self._read(
                "SELECT coalesce(sum(new + changed + gone), 0) FROM snapshots "
                "WHERE series_id = ? AND status = 'complete' AND id > ? AND id <= ?",
                (series_id, a, b),
            ).fetchone()
            scan = touched * 4 > (target.records or 0)
        sql = _CHANGES_SCAN if scan else _CHANGES_INDEXED
        cursor = self._read(sql, {"s": series_id, "a": a, "b": b, "forever": _FOREVER})
        while rows := cursor.fetchmany(2000):
            batch = []
            for row in rows:
                before = row[2 : 2 + _N] if row[1] else None
                after = row[3 + _N :] if row[2 + _N] else None
                if before == after:
                    continue  # changed and changed back, or came and went in between
                kind = _change_kind(before, after)
                batch.append(
                    Change(
                        uid=row[0],
                        kind=kind,
                        before_values=before,
                        after_values=after,
                    )
                )
            yield batch

    def _keyed_changes(
        self, spec: KeyedTable, series_id: int | None, a: int, b: int
    ) -> Generator[list[Change]]:
        n_keys, n = len(spec.keys), len(spec.columns)
        cursor = self._read(
            keyed_sql(spec).changes, {"s": series_id, "a": a, "b": b, "forever": _FOREVER}
        )
        while rows := cursor.fetchmany(2000):
            batch = []
            for row in rows:
                values = row[n_keys:]
                before = values[1 : 1 + n] if values[0] else None
                after = values[2 + n :] if values[1 + n] else None
                if before == after:
                    continue
                kind = _change_kind(before, after)
                batch.append(
                    Change(
                        uid=row[0],
                        kind=kind,
                        before_values=before,
                        after_values=after,
                        columns=spec.columns,
                        day=date.fromisoformat(row[1]) if n_keys > 1 else None,
                    )
                )
            yield batch

    def history(
        self, uid: int, quote: str | None, dataset: str = INVITEE_ASSETS
    ) -> list[HistoryEntry]:
        if dataset != INVITEE_ASSETS:
            return self._keyed_history(dataset_of(dataset), uid)
        series_rows = self._read(
            "SELECT id, dataset, source, quote, start_time, end_time, server_timezone "
            "FROM series WHERE dataset = 'invitee_assets'"
            + (" AND quote = ?" if quote else "")
            + " ORDER BY id",
            (quote,) if quote else (),
        ).fetchall()
        entries: list[HistoryEntry] = []
        for series_row in series_rows:
            sid, series = series_row[0], _series_from(series_row[1:])
            rows = self._read(
                f"SELECT a.valid_from, f.taken_at, a.valid_to, t.taken_at, {_A_COLS} "  # noqa: S608 - constant column names
                "FROM invitee_assets a JOIN snapshots f ON f.id = a.valid_from "
                "LEFT JOIN snapshots t ON t.id = a.valid_to "
                "WHERE a.series_id = ? AND a.uid = ? ORDER BY a.valid_from",
                (sid, uid),
            ).fetchall()
            for row in rows:
                entries.append(_history_entry(uid, series, row, named(row[4:])))
        return entries

    def _keyed_history(self, spec: KeyedTable, uid: int) -> list[HistoryEntry]:
        series_rows = self._read(
            "SELECT id, dataset, source, quote, start_time, end_time, server_timezone "
            "FROM series WHERE dataset = ? ORDER BY id",
            (spec.table,),
        ).fetchall()
        sql = keyed_sql(spec)
        n_keys = len(spec.keys)
        entries: list[HistoryEntry] = []
        for series_row in series_rows:
            sid, series = series_row[0], _series_from(series_row[1:])
            for row in self._read(sql.history, (sid, uid)).fetchall():
                keys = row[4 : 4 + n_keys]
                values = dict(zip(spec.columns, row[4 + n_keys :], strict=True))
                day = date.fromisoformat(keys[1]) if n_keys > 1 else None
                entries.append(_history_entry(uid, series, row, values, day))
        return entries


def _change_kind(before: object, after: object) -> ChangeKind:
    """What a row that differs between two snapshots is: new, gone or changed."""
    if before is None:
        return ChangeKind.NEW
    return ChangeKind.GONE if after is None else ChangeKind.CHANGED


def _history_entry(
    uid: int, series: Series, row: Sequence[Any], values: Values, day: date | None = None
) -> HistoryEntry:
    """One stored version: ``row`` starts (valid_from, its time, valid_to, its time)."""
    return HistoryEntry(
        uid=uid,
        series=series,
        since=row[0],
        since_time=datetime.fromisoformat(row[1]),
        until=row[2],
        until_time=None if row[3] is None else datetime.fromisoformat(row[3]),
        values=values,
        day=day,
    )
