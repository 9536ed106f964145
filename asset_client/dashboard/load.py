"""Reads what the dashboard shows out of a history file: the latest complete snapshot of
each dataset, joined per invitee, its daily volume totals, and every snapshot's sums.

I/O only (read-only SQLite; the file is never created or written).  The sharp edge: the
three datasets are read at *their own* latest complete snapshot of one source (the source
of the newest assets snapshot in ``quote``), so they may be minutes apart.  Read column
by column (one string per column from SQLite, converted in C-level loops): fast, but the
volume's rows are held once as strings and amounts while they are summed (~150 MiB at
600k rows), so that is the peak, not the joined rows.
"""

# ruff: noqa: S608 - SQL text from constants only

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Context, Decimal, localcontext
from functools import partial
from itertools import groupby, repeat
from operator import itemgetter
from pathlib import Path
from typing import NamedTuple, cast

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


class Row(NamedTuple):
    """One invitee's joined facts (`InviteeFacts`); a tuple, as there may be 250k of them
    (made in C by `_make_rows`, read through C-level field getters)."""

    uid: int
    register_time: datetime | None = None
    total_deposit: Decimal | None = None
    total_withdrawal: Decimal | None = None
    current_balance: Decimal | None = None
    first_deposit_time: datetime | None = None
    volume: Decimal | None = None


def _make_rows(fields: Iterable[tuple[object, ...]]) -> list[Row]:
    """Rows from tuples of every field, in order (``tuple.__new__``: no Python call per
    row)."""
    return cast("list[Row]", list(map(partial(tuple.__new__, Row), fields)))


_COLUMNS = f"""
SELECT count(*), group_concat(uid), group_concat(total_deposit), group_concat(total_withdrawal),
       group_concat(current_balance), group_concat(coalesce(first_deposit_time, ''))
FROM {ASSETS.name} WHERE series_id = ? AND valid_to IS NULL
"""
_REGISTERED = f"""
SELECT count(*), group_concat(uid), group_concat(register_time)
FROM {INVITEES.name} WHERE series_id = ? AND valid_to IS NULL
"""


def _split(text: str | None, count: int) -> list[str]:
    """One ``group_concat`` column back as its values (amounts, times and uids hold no
    comma; NULL was made '' so every column keeps every row)."""
    values = [] if text is None else text.split(",")
    if len(values) != count:
        raise StoreError(f"history column unreadable: {count} rows, {len(values)} values")
    return values


def _time(text: str) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _joined(
    db: sqlite3.Connection, series: dict[str, int], volumes: dict[int, Decimal]
) -> list[Row]:
    """A row per invitee of the assets, the invitee list or ``volumes``, uid ascending.

    Column-wise: SQLite hands over each column as one string (a tuple per row would cost
    more than everything else), C-level ``map`` converts it, and the rows are made by
    `_make_rows`."""
    count, *texts = db.execute(_COLUMNS, (series[ASSETS.name],)).fetchone()
    # Each column converted before the next is split: one list of strings at a time.
    uids = list(map(int, _split(texts[0], count)))
    deposits, withdrawals, balances = (list(map(Decimal, _split(t, count))) for t in texts[1:4])
    firsts = list(map(_time, _split(texts[4], count)))
    del texts
    registered: dict[int, str] = {}
    if INVITEES.name in series:
        listed, uid_text, times = db.execute(_REGISTERED, (series[INVITEES.name],)).fetchone()
        listed_uids = map(int, _split(uid_text, listed))
        registered = dict(zip(listed_uids, _split(times, listed), strict=True))
    rows = _make_rows(
        zip(
            uids,
            map(_time, map(registered.pop, uids, repeat(""))),
            deposits,
            withdrawals,
            balances,
            firsts,
            map(volumes.pop, uids, repeat(None)),
            strict=True,
        )
    )
    del uids, deposits, withdrawals, balances, firsts
    # Invitees without assets, then uids only the volume names; then uid order (already
    # so for the first, but SQL does not promise it).
    rows += (
        Row(uid, datetime.fromisoformat(text), volume=volumes.pop(uid, None))
        for uid, text in registered.items()
    )
    rows += (Row(uid, volume=total) for uid, total in volumes.items())
    rows.sort(key=_uid)
    return rows


def _uid(row: Row) -> int:
    return row.uid


_first, _second = itemgetter(0), itemgetter(1)


_VOLUMES = f"""
SELECT count(*), group_concat(uid), group_concat(day), group_concat(volume)
FROM {VOLUME.name} WHERE series_id = ? AND valid_to IS NULL
"""


def _volumes(db: sqlite3.Connection, series: int) -> tuple[dict[int, Decimal], dict[date, Decimal]]:
    """Each uid's volume over the window, and the per-day totals.

    One pass: SQLite hands over the three columns as strings (grouping in SQL would sort
    every row), Python parses each amount once and sums per uid (consecutive in the
    table's (uid, day) order; checked) and per day."""
    count, uid_text, day_text, volume_text = db.execute(_VOLUMES, (series,)).fetchone()
    uids, days = _split(uid_text, count), _split(day_text, count)
    zero = Decimal(0)
    with localcontext(_EXACT):
        amounts = list(map(Decimal, _split(volume_text, count)))
        by_uid = {
            int(uid): sum(map(_second, group), zero)
            for uid, group in groupby(zip(uids, amounts, strict=True), key=_first)
        }
        if len(by_uid) != len(set(uids)):  # not grouped: a uid in two runs
            by_uid = {}
            for uid, amount in zip(map(int, uids), amounts, strict=True):
                by_uid[uid] = by_uid.get(uid, zero) + amount
        daily: dict[str, Decimal] = {}
        for day, amount in zip(days, amounts, strict=True):
            daily[day] = daily.get(day, zero) + amount
    return by_uid, {date.fromisoformat(day): daily[day] for day in sorted(daily)}


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
    series = {name: series_id for name, (series_id, _) in ids.items()}
    volumes: dict[int, Decimal] = {}
    daily: dict[date, Decimal] = {}
    if VOLUME.name in series:
        volumes, daily = _volumes(db, series[VOLUME.name])
    rows = _joined(db, series, volumes)
    window = None
    if VOLUME.name in ids:
        row = snaps[chosen[VOLUME.name]]
        if row[5] is not None and row[6] is not None:
            window = (date.fromisoformat(str(row[5])), date.fromisoformat(str(row[6])))
    shown = [snaps[i] for i in chosen.values() if i >= 0]
    series_ids = {int(str(snaps[i][1])) for i in chosen.values() if i >= 0}
    return HistoryData(
        source=source,
        quote=quote,
        server_timezone=zone,
        rows=rows,
        daily_volume=daily,
        volume_window=window,
        points=[_point(r) for r in snaps if int(str(r[1])) in series_ids],
        as_of=max((datetime.fromisoformat(str(r[2])) for r in shown), default=None),
    )
