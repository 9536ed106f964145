"""Rows as stored, and the SQL that keeps versions, against a plain model.

Hypothesis plays sequences of snapshots (any uids appearing, changing, vanishing and
coming back, in any order) through the real `Writer` and `Reader` on a real SQLite file,
batch by batch as a sync does, and checks every snapshot's counts, every state, and
`changes` between any two, by both query plans.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asset_client import InviteeAsset
from asset_client.store import Series
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
        writer.write(rows[start : start + batch])
    (snapshot,) = writer.commit([writer.finish_snapshot(None, {}, None)])
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
