"""Reading a history: snapshots, which two to compare, their changes, one uid's versions
(blocking calls, on the store's worker thread).

The sharp edge: ``quote`` narrows only the series that have one; a dataset without a
quote (invitees, volume) ignores it, so one ``--quote`` can be passed for every dataset.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime
from typing import Final

from asset_client.store._db import SNAPSHOT_SQL, Database, series_from, snapshot_from
from asset_client.store._errors import StoreError
from asset_client.store._models import Change, ChangeKind, HistoryEntry, Snapshot, SnapshotStatus
from asset_client.store._sql import table_sql
from asset_client.store._table import DatasetTable

__all__ = ["Reader"]

#: Beyond any snapshot id: "valid_to IS NULL" as a number, so one comparison does.
_FOREVER: Final = 1 << 62
#: The series a quote selects: those of that quote, and those without any.
_QUOTED: Final = " AND (r.quote = :quote OR r.quote = '' OR :quote IS NULL)"
_COMPLETE: Final = " WHERE s.status = 'complete'"


def _kind(before: object, after: object) -> ChangeKind:
    """What a row that differs between two snapshots is: new, gone or changed."""
    if before is None:
        return ChangeKind.NEW
    return ChangeKind.GONE if after is None else ChangeKind.CHANGED


class Reader:
    """The read side of a `Database`."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def snapshots(self, quote: str | None, dataset: str | None) -> list[Snapshot]:
        """Snapshots oldest first; of one dataset and/or quote if given."""
        sql, params = SNAPSHOT_SQL + " WHERE 1", list[str]()
        if quote is not None:
            sql, params = sql + " AND r.quote = ?", [*params, quote]
        if dataset is not None:
            sql, params = sql + " AND r.dataset = ?", [*params, dataset]
        return [snapshot_from(row) for row in self._db.read(sql + " ORDER BY s.id", params)]

    def _complete(self, snapshot_id: int) -> Snapshot:
        found = self._db.snapshot(snapshot_id)
        if found is None or found.status is not SnapshotStatus.COMPLETE:
            raise StoreError(f"no complete snapshot #{snapshot_id} in {self._db.path}", usage=True)
        return found

    def _target(self, until: int | None, quote: str | None, dataset: str) -> Snapshot:
        if until is not None:
            target = self._complete(until)
            if target.series.dataset != dataset:
                raise StoreError(
                    f"snapshot #{until} is of {target.series.dataset}, not {dataset}", usage=True
                )
            return target
        row = self._db.read(
            SNAPSHOT_SQL
            + _COMPLETE
            + " AND r.dataset = :dataset"
            + _QUOTED
            + " ORDER BY s.id DESC LIMIT 1",
            {"dataset": dataset, "quote": quote},
        ).fetchone()
        if row is None:
            which = f" of {dataset}" + (f" for quote {quote}" if quote else "")
            raise StoreError(f"no complete snapshot{which} in {self._db.path} yet")
        return snapshot_from(row)

    def resolve(
        self, since: int | datetime | None, until: int | None, quote: str | None, dataset: str
    ) -> tuple[Snapshot | None, Snapshot]:
        """(baseline, target) complete snapshots of one series; baseline None = empty.

        ``until`` defaults to the newest complete snapshot (of ``quote`` if given);
        ``since`` is a snapshot id of the same series, or a time: the newest snapshot of
        the series taken at or before it.  By default, the one before ``until``.  A
        ``since`` at or after the target (its id, or a time not before it was taken) is
        the target itself: no changes.
        """
        target = self._target(until, quote, dataset)
        if isinstance(since, int):
            return self._since_id(since, target), target
        if since is not None and target.taken_at <= since:
            # The newest snapshot taken at or before ``since`` is the target itself: a cron
            # job asking "since now" must not be shown the last sync's changes again.
            return target, target
        series_id = self._db.series_id(target.series, create=False)
        earlier = SNAPSHOT_SQL + _COMPLETE + " AND s.series_id = ? AND s.id < ? ORDER BY s.id DESC"
        if since is None:
            row = self._db.read(earlier + " LIMIT 1", (series_id, target.id)).fetchone()
            return (None if row is None else snapshot_from(row)), target
        rows = self._db.read(earlier, (series_id, target.id)).fetchall()
        for row in rows:  # ids follow commit order; taken_at strings are all UTC
            candidate = snapshot_from(row)
            if candidate.taken_at <= since:
                return candidate, target
        raise StoreError(
            f"no snapshot of {target.series.describe()} taken at or before "
            f"{since.isoformat()}; the oldest is "
            + (f"#{rows[-1][0]} at {rows[-1][1]}" if rows else f"#{target.id}, the newest"),
            usage=True,
        )

    def _since_id(self, since: int, target: Snapshot) -> Snapshot:
        base = self._complete(since)
        if base.series != target.series:
            raise StoreError(
                f"snapshot #{since} is of another series ({base.series.describe()}) than "
                f"#{target.id} ({target.series.describe()}): only snapshots taken with "
                "the same parameters compare",
                usage=True,
            )
        if base.id > target.id:
            raise StoreError(
                f"--since snapshot #{since} is not older than #{target.id}", usage=True
            )
        return base

    def changes(
        self,
        table: DatasetTable,
        base: Snapshot | None,
        target: Snapshot,
        *,
        scan: bool | None = None,
    ) -> Generator[list[Change]]:
        """Records that differ between two snapshots of one series, by key, in batches.

        Two plans, same answer: by default, through the valid_from/valid_to indexes (cost
        follows the number of changes: a day's changes out of 250k are read in
        milliseconds); when the snapshots in between changed more than a quarter of the
        records, one pass over the series in key order (no sort).  ``scan`` forces one.
        """
        series_id = self._db.series_id(target.series, create=False)
        a, b = (0 if base is None else base.id), target.id
        if scan is None:
            (touched,) = self._db.read(
                "SELECT coalesce(sum(new + changed + gone), 0) FROM snapshots "
                "WHERE series_id = ? AND status = 'complete' AND id > ? AND id <= ?",
                (series_id, a, b),
            ).fetchone()
            scan = touched * 4 > (target.records or 0)
        sql = table_sql(table)
        cursor = self._db.read(
            sql.changes_scan if scan else sql.changes_indexed,
            {"s": series_id, "a": a, "b": b, "forever": _FOREVER},
        )
        n_keys, n = len(table.keys), len(table.columns)
        plain = all(t == "INTEGER" for t in table.key_sql_types)  # keys need no parsing
        while rows := cursor.fetchmany(2000):
            batch = []
            for row in rows:
                before = row[n_keys + 1 : n_keys + 1 + n] if row[n_keys] else None
                after = row[n_keys + 2 + n :] if row[n_keys + 1 + n] else None
                if before == after:
                    continue  # changed and changed back, or came and went in between
                key = row[:n_keys] if plain else table.key(row[:n_keys])
                batch.append(
                    Change(
                        kind=_kind(before, after),
                        key=key,
                        before_values=before,
                        after_values=after,
                        table=table,
                    )
                )
            yield batch

    def history(self, table: DatasetTable, uid: int, quote: str | None) -> list[HistoryEntry]:
        """Every stored version of ``uid``'s records, per series (oldest series first),
        by key, then oldest first."""
        if not self._db.has_table(table):
            return []
        series_rows = self._db.read(
            "SELECT id, dataset, source, quote, start_time, end_time, server_timezone "
            "FROM series AS r WHERE r.dataset = :dataset" + _QUOTED + " ORDER BY id",
            {"dataset": table.name, "quote": quote},
        ).fetchall()
        n_keys = len(table.keys)
        entries: list[HistoryEntry] = []
        for series_row in series_rows:
            series = series_from(series_row[1:])
            for row in self._db.read(table_sql(table).history, (series_row[0], uid)):
                entries.append(
                    HistoryEntry(
                        key=table.key(row[4 : 4 + n_keys]),
                        series=series,
                        since=row[0],
                        since_time=datetime.fromisoformat(row[1]),
                        until=row[2],
                        until_time=None if row[3] is None else datetime.fromisoformat(row[3]),
                        values=dict(zip(table.columns, row[4 + n_keys :], strict=True)),
                        table=table,
                    )
                )
        return entries
