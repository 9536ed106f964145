"""Reads what the dashboard shows out of a history file: the latest complete snapshot of
each dataset, joined per invitee, its daily volume totals, and every snapshot's sums.

I/O only (read-only SQLite; the file is never created or written).  The sharp edge: the
three datasets are read at *their own* latest complete snapshot of one source (the source
of the newest assets snapshot in ``quote``), so they may be minutes apart; per-day
volumes are summed by SQLite's grouping, so memory is O(invitees + days), never O(rows).
"""

# ruff: noqa: S608 - SQL text from constants only

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime
from decimal import Context, Decimal, localcontext
from pathlib import Path

from attrs import frozen

from asset_client.endpoints import ASSETS, INVITEES, VOLUME
from asset_client.store import SCHEMA_VERSION, StoreError

__all__ = ["HistoryData", "Row", "SnapshotPoint", "load_history"]

_EXACT = Context(prec=1000)


@frozen(kw_only=True)
class SnapshotPoint:
    """One complete snapshot's totals, for the trends."""

    id: int
    dataset: str
    taken_at: datetime
    records: int
    sums: dict[str, Decimal]


@frozen(kw_only=True)
class HistoryData:
    """The joined rows, the daily volume totals and the trend points of one history."""

    source: str
    quote: str
    server_timezone: str
    rows: list[Row]  #: uid ascending
    daily_volume: dict[date, Decimal]
    volume_window: tuple[date, date] | None
    points: list[SnapshotPoint]  #: oldest first, every dataset
    as_of: datetime | None  #: when the newest snapshot shown was taken

    @property
    def volume_days(self) -> int | None:
        if self.volume_window is None:
            return None
        return (self.volume_window[1] - self.volume_window[0]).days + 1


_SNAPSHOTS = """
SELECT s.id, s.series_id, s.taken_at, s.records, s.sums, s.window_start, s.window_end,
       se.dataset, se.source, se.quote, se.server_timezone
FROM snapshots s JOIN series se ON se.id = s.series_id
WHERE s.status = 'complete' ORDER BY s.id
"""
#: The rows of a series' newest complete snapshot: those no later snapshot ended (the
#: dashboard only ever reads the newest one; this form reads the primary key in order).
_VALID = "series_id = ? AND valid_to IS NULL"


def _connect(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise StoreError(f"no history at {path} (run `asset-client sync --db {path}` first)")
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        version = db.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path} is not a history file ({exc})") from None
    if version != SCHEMA_VERSION:
        db.close()
        raise StoreError(
            f"{path} has history schema {version}, the dashboard reads {SCHEMA_VERSION} "
            f"(one `asset-client sync --db {path}` migrates it)"
        )
    return db


class Row:
    """One invitee's joined facts (`InviteeFacts`); slim, as there may be 250k of them."""

    __slots__ = (
        "current_balance",
        "first_deposit_time",
        "register_time",
        "total_deposit",
        "total_withdrawal",
        "uid",
        "volume",
    )

    def __init__(self, uid: int) -> None:
        self.uid = uid
        self.register_time: datetime | None = None
        self.total_deposit: Decimal | None = None
        self.total_withdrawal: Decimal | None = None
        self.current_balance: Decimal | None = None
        self.first_deposit_time: datetime | None = None
        self.volume: Decimal | None = None


def _row(rows: dict[int, Row], uid: int) -> Row:
    row = rows.get(uid)
    if row is None:
        row = rows[uid] = Row(uid)
    return row


def _assets(db: sqlite3.Connection, series: int, snap: int, rows: dict[int, Row]) -> None:
    sql = (
        "SELECT uid, total_deposit, total_withdrawal, current_balance, first_deposit_time "
        f"FROM {ASSETS.name} WHERE {_VALID}"
    )
    parse = datetime.fromisoformat
    for uid, dep, wd, bal, first in db.execute(sql, (series,)):
        row = _row(rows, uid)
        row.total_deposit, row.total_withdrawal = Decimal(dep), Decimal(wd)
        row.current_balance = Decimal(bal)
        row.first_deposit_time = None if first is None else parse(first)


def _invitees(db: sqlite3.Connection, series: int, snap: int, rows: dict[int, Row]) -> None:
    sql = f"SELECT uid, register_time FROM {INVITEES.name} WHERE {_VALID}"
    parse = datetime.fromisoformat
    for uid, registered in db.execute(sql, (series,)):
        _row(rows, uid).register_time = parse(registered)


def _exact_sum(texts: str) -> Decimal:
    with localcontext(_EXACT):
        return sum(map(Decimal, texts.split(",")), Decimal(0))


def _volumes(
    db: sqlite3.Connection, series: int, snap: int, rows: dict[int, Row]
) -> dict[date, Decimal]:
    """Each uid's volume over the window into ``rows``; the per-day totals returned.

    SQLite groups (the rows are stored in (uid, day) order) and hands over one string per
    group, so Python parses each amount once and builds no object per (uid, day)."""
    where = f"FROM {VOLUME.name} WHERE {_VALID}"
    by_uid = f"SELECT uid, group_concat(volume) {where} GROUP BY uid"
    for uid, texts in db.execute(by_uid, (series,)):
        _row(rows, uid).volume = _exact_sum(texts)
    by_day = f"SELECT day, group_concat(volume) {where} GROUP BY day ORDER BY day"
    return {
        date.fromisoformat(day): _exact_sum(texts) for day, texts in db.execute(by_day, (series,))
    }


def _latest(
    rows: list[tuple[object, ...]], dataset: str, source: str | None, quote: str | None
) -> int:
    """Index in ``rows`` of the newest complete snapshot of ``dataset`` (of ``source``
    and ``quote`` unless None); -1 if none."""
    for index in range(len(rows) - 1, -1, -1):
        row = rows[index]
        if (
            row[7] == dataset
            and (source is None or row[8] == source)
            and (quote is None or row[9] == quote)
        ):
            return index
    return -1


def _point(row: tuple[object, ...]) -> SnapshotPoint:
    sums = json.loads(str(row[4] or "{}"))
    return SnapshotPoint(
        id=int(str(row[0])),
        dataset=str(row[7]),
        taken_at=datetime.fromisoformat(str(row[2])),
        records=int(str(row[3] or 0)),
        sums={name: Decimal(value) for name, value in sums.items()},
    )


def load_history(path: Path, *, quote: str = "usdt") -> HistoryData:
    """Everything the dashboard shows of the history at ``path`` (see the module doc)."""
    db = _connect(path)
    try:
        snaps = db.execute(_SNAPSHOTS).fetchall()
        newest_assets = _latest(snaps, ASSETS.name, None, quote)
        if newest_assets < 0:
            raise StoreError(
                f"{path} holds no complete {ASSETS.name} snapshot in {quote} "
                f"(run `asset-client sync --db {path}` first)"
            )
        source, zone = str(snaps[newest_assets][8]), str(snaps[newest_assets][10])
        chosen = {
            ASSETS.name: newest_assets,
            INVITEES.name: _latest(snaps, INVITEES.name, source, None),
            VOLUME.name: _latest(snaps, VOLUME.name, source, None),
        }
        return _read(db, snaps, chosen, source=source, quote=quote, zone=zone)
    finally:
        db.close()


def _read(
    db: sqlite3.Connection,
    snaps: list[tuple[object, ...]],
    chosen: dict[str, int],
    *,
    source: str,
    quote: str,
    zone: str,
) -> HistoryData:
    ids = {
        name: (int(str(snaps[i][1])), int(str(snaps[i][0]))) for name, i in chosen.items() if i >= 0
    }
    rows: dict[int, Row] = {}
    _assets(db, *ids[ASSETS.name], rows)
    if INVITEES.name in ids:
        _invitees(db, *ids[INVITEES.name], rows)
    daily: dict[date, Decimal] = {}
    window = None
    if VOLUME.name in ids:
        daily = _volumes(db, *ids[VOLUME.name], rows)
        row = snaps[chosen[VOLUME.name]]
        if row[5] is not None and row[6] is not None:
            window = (date.fromisoformat(str(row[5])), date.fromisoformat(str(row[6])))
    shown = [snaps[i] for i in chosen.values() if i >= 0]
    series_ids = {int(str(snaps[i][1])) for i in chosen.values() if i >= 0}
    return HistoryData(
        source=source,
        quote=quote,
        server_timezone=zone,
        rows=[rows[uid] for uid in sorted(rows)],
        daily_volume=daily,
        volume_window=window,
        points=[_point(r) for r in snaps if int(str(r[1])) in series_ids],
        as_of=max((datetime.fromisoformat(str(r[2])) for r in shown), default=None),
    )
