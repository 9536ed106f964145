"""Rows as stored, and the SQL that keeps versions, against a plain model.

Hypothesis plays sequences of snapshots (any uids appearing, changing, vanishing and
coming back, in any order) through the real `Writer` and `Reader` on a real SQLite file,
batch by batch as a sync does, and checks every snapshot's counts, every state, and
`changes` between any two, by both query plans; and the same for a windowed dataset
(volume: (uid, day) keys, each snapshot a window of days, the rows outside it kept).
"""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asset_client import InviteeAsset
from asset_client.store import Series, Snapshot
from asset_client.store._datasets import DATASETS
from asset_client.store._db import Database
from asset_client.store._read import Reader
from asset_client.store._table import Row
from asset_client.store._write import Writer

ASSETS = DATASETS["assets"]
ASSET_COLUMNS = ASSETS.columns

Model = dict[int, Row]

_money = st.sampled_from(["0", "1.00000000", "1.0", "2.5"])
_time = st.sampled_from([None, "2026-05-21T10:25:00+00:00", "2026-05-21T18:25:00+08:00"])


@st.composite
def _snapshot(draw: st.DrawFn) -> list[Row]:
    uids = draw(st.permutations(sorted(draw(st.sets(st.integers(1, 30), max_size=20)))))
    return [(uid, draw(_money), "0", "0", draw(_time), None, None) for uid in uids]


def _store(db: Database, rows: list[Row], batch: int) -> tuple[int, int, int, int]:
    writer = Writer(db)
    writer.begin()
    writer.start_snapshot(ASSETS, Series(source="model", quote="usdt"), "test")
    for start in range(0, len(rows), batch):
        writer.write(ASSETS.name, rows[start : start + batch])
    (snapshot,) = writer.commit([writer.finish_snapshot(ASSETS.name, None, {}, None)])
    assert snapshot.new is not None and snapshot.changed is not None
    assert snapshot.gone is not None
    return snapshot.id, snapshot.new, snapshot.changed, snapshot.gone


def _state(db: Database, snapshot_id: int) -> Model:
    rows = db.conn.execute(
        f"SELECT uid, {', '.join(ASSET_COLUMNS)} FROM assets "  # noqa: S608
        "WHERE valid_from <= ? AND coalesce(valid_to, 1 << 62) > ?",
        (snapshot_id, snapshot_id),
    ).fetchall()
    return {row[0]: tuple(row) for row in rows}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_snapshot(), min_size=1, max_size=5), st.integers(1, 7))
def test_versions_follow_every_sequence_of_snapshots(
    snapshots: list[list[Row]], batch: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "h.sqlite", write=True, busy_timeout=1)
        try:
            models: list[tuple[int, Model]] = []
            previous: Model = {}
            for rows in snapshots:
                model = {row[0]: row for row in rows}
                snapshot_id, new, changed, gone = _store(db, rows, batch)
                assert new == len(model.keys() - previous.keys())
                assert gone == len(previous.keys() - model.keys())
                assert changed == sum(
                    1 for uid in model.keys() & previous.keys() if model[uid] != previous[uid]
                )
                assert _state(db, snapshot_id) == model
                models.append((snapshot_id, model))
                previous = model
            # changes between any two snapshots (and from nothing) match the model
            for i, (base_id, base) in enumerate([(0, {}), *models]):
                for target_id, target in models[i:]:
                    if target_id <= base_id:
                        continue
                    base_snapshot = db.snapshot(base_id) if base_id else None
                    target_snapshot = db.snapshot(target_id)
                    assert target_snapshot is not None
                    plans = [
                        [
                            (c.uid, c.kind.value)
                            for batch_ in Reader(db).changes(
                                ASSETS, base_snapshot, target_snapshot, scan=scan
                            )
                            for c in batch_
                        ]
                        for scan in (False, True)
                    ]
                    want = [
                        (
                            uid,
                            "new"
                            if uid not in base
                            else "gone"
                            if uid not in target
                            else "changed",
                        )
                        for uid in sorted(base.keys() | target.keys())
                        if base.get(uid) != target.get(uid)
                    ]
                    assert plans == [want, want]  # both query plans, same answer
        finally:
            db.close()


VOLUME = DATASETS["volume"]
_DAYS = [date(2026, 11, d) for d in range(20, 27)]


@st.composite
def _volume_snapshot(draw: st.DrawFn) -> tuple[tuple[date, date], list[Row]]:
    """A window of days, and (uid, day) rows inside it, in any order."""
    first = draw(st.integers(0, len(_DAYS) - 1))
    last = draw(st.integers(first, len(_DAYS) - 1))
    keys = draw(st.sets(st.tuples(st.integers(1, 6), st.sampled_from(_DAYS[first : last + 1]))))
    rows = [(uid, day.isoformat(), draw(_money)) for uid, day in keys]
    return (_DAYS[first], _DAYS[last]), draw(st.permutations(rows))


VolumeModel = dict[tuple[int, str], Row]


def _store_volume(db: Database, window: tuple[date, date], rows: list[Row], batch: int) -> Snapshot:
    writer = Writer(db)
    writer.begin()
    writer.start_snapshot(VOLUME, Series(dataset="volume", source="model", quote=""), "test")
    for start in range(0, len(rows), batch):
        writer.write(VOLUME.name, rows[start : start + batch])
    (snapshot,) = writer.commit([writer.finish_snapshot(VOLUME.name, None, {}, window)])
    return snapshot


def _expected(before: VolumeModel, after: VolumeModel) -> list[tuple[tuple[int, date], str]]:
    return [
        (
            (uid, date.fromisoformat(day)),
            "new" if (uid, day) not in before else "gone" if (uid, day) not in after else "changed",
        )
        for uid, day in sorted(before.keys() | after.keys())
        if before.get((uid, day)) != after.get((uid, day))
    ]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_volume_snapshot(), min_size=1, max_size=5), st.integers(1, 5))
def test_a_windowed_dataset_keeps_the_rows_outside_each_window(
    snapshots: list[tuple[tuple[date, date], list[Row]]], batch: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "h.sqlite", write=True, busy_timeout=1)
        try:
            previous: VolumeModel = {}
            base: Snapshot | None = None
            for window, rows in snapshots:
                snapshot = _store_volume(db, window, rows, batch)
                # The window's days are walked again: what it lacks there is gone;
                # the days outside it keep their rows.
                start, end = (d.isoformat() for d in window)
                model = {k: v for k, v in previous.items() if not start <= k[1] <= end}
                model.update({(r[0], r[1]): r for r in rows})
                current = db.conn.execute(
                    "SELECT uid, day, volume FROM volume WHERE valid_to IS NULL"
                ).fetchall()
                assert {(r[0], r[1]): tuple(r) for r in current} == model
                changes = [
                    (c.key, c.kind.value)
                    for found in Reader(db).changes(VOLUME, base, snapshot)
                    for c in found
                ]
                assert changes == _expected(previous, model)
                assert snapshot.new == len(model.keys() - previous.keys())
                assert snapshot.gone == len(previous.keys() - model.keys())
                previous, base = model, snapshot
        finally:
            db.close()


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_money_is_rendered_exactly_as_the_export_renders_it(value: Decimal) -> None:
    row = list(ASSETS.row(InviteeAsset(1, value, value, value, None, value, None)))
    exact = format(value, "f")  # the export's format_decimal: no exponent, every digit
    assert row == [1, *[exact] * 3, None, exact, None]


def test_a_non_finite_amount_is_refused() -> None:
    with pytest.raises(ValueError, match="non-finite"):
        ASSETS.row(InviteeAsset(1, Decimal("NaN"), Decimal(0), Decimal(0)))


def test_records_are_stored_as_the_export_writes_them_and_read_back_exactly() -> None:
    zone = timezone(timedelta(hours=8))
    record = InviteeAsset(
        uid=7,
        total_deposit=Decimal("15000.00000000"),
        total_withdrawal=Decimal("-0"),
        current_balance=Decimal("0.00000001"),
        update_time=datetime(2026, 5, 21, 10, 25, tzinfo=zone),
        first_deposit_amount=None,
        first_deposit_time=None,
    )
    row = ASSETS.row(record)
    assert row == (7, "15000.00000000", "-0", "0.00000001", "2026-05-21T10:25:00+08:00", None, None)
    back = ASSETS.record(row[:1], row[1:])
    assert back == record
    assert str(back.total_deposit) == "15000.00000000"
    assert back.update_time is not None and back.update_time.utcoffset() == timedelta(hours=8)
    assert back.update_time.astimezone(UTC).hour == 2
