"""Event kinds from changes (pure): what each change of each dataset means, the amounts,
the rules, and ids that are stable and distinct."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from asset_client.store import Change, ChangeKind, Series, Snapshot, SnapshotStatus
from asset_client.store._datasets import dataset_of
from asset_client.store.events import (
    Event,
    EventKind,
    EventRules,
    event_id,
    events_of,
    milestones,
)

ASSETS = dataset_of("assets")
INVITEES = dataset_of("invitees")
WHEN = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def snap(snapshot_id: int, dataset: str = "assets", zone: str = "Asia/Shanghai") -> Snapshot:
    quote = "usdt" if dataset == "assets" else ""
    return Snapshot(
        id=snapshot_id,
        series=Series(dataset=dataset, source="sandbox", quote=quote, server_timezone=zone),
        taken_at=WHEN,
        finished_at=WHEN,
        status=SnapshotStatus.COMPLETE,
    )


def values(
    deposit: str, withdrawal: str = "0", first_time: str | None = None
) -> tuple[str | None, ...]:
    first_amount = deposit if first_time else None
    return (deposit, withdrawal, "0", None, first_amount, first_time)


def change(before: tuple[str | None, ...] | None, after: tuple[str | None, ...] | None) -> Change:
    kind = (
        ChangeKind.NEW
        if before is None
        else ChangeKind.GONE
        if after is None
        else ChangeKind.CHANGED
    )
    return Change(
        kind=kind, key=(10001234,), before_values=before, after_values=after, table=ASSETS
    )


def kinds(events: list[Event]) -> list[tuple[EventKind, Decimal | None]]:
    return [(e.kind, e.amount) for e in events]


def test_a_first_deposit_is_one_event_with_its_amount_and_words() -> None:
    events = events_of(
        change(values("0"), values("250", first_time="2026-12-01 07:00:00")),
        snap(1),
        snap(2),
        EventRules(),
    )
    assert kinds(events) == [(EventKind.FIRST_DEPOSIT, Decimal("250"))]
    (event,) = events
    assert event.describe() == "10001234 made a first deposit: 250 USDT"
    assert (event.base_snapshot, event.snapshot, event.dataset, event.uid) == (
        1,
        2,
        "assets",
        10001234,
    )
    assert event.observed_at.utcoffset() is not None and event.observed_at.hour == 16  # server time
    assert Event.from_json(event.as_json()) == event


def test_deposits_and_withdrawals_carry_the_difference() -> None:
    events = events_of(
        change(values("100", "10"), values("175.5", "40")), snap(1), snap(2), EventRules()
    )
    assert kinds(events) == [
        (EventKind.DEPOSIT, Decimal("75.5")),
        (EventKind.WITHDRAWAL, Decimal("30")),
    ]
    assert {e.id for e in events} == {
        e.id
        for e in events_of(
            change(values("100", "10"), values("175.5", "40")), snap(1), snap(2), EventRules()
        )
    }
    assert len({e.id for e in events}) == 2


def test_min_deposit_drops_small_deposits_only() -> None:
    rules = EventRules(min_deposit=Decimal(100))
    small = events_of(change(values("100"), values("150", "5")), snap(1), snap(2), rules)
    assert kinds(small) == [(EventKind.WITHDRAWAL, Decimal(5))]
    big = events_of(change(values("100"), values("250")), snap(1), snap(2), rules)
    assert kinds(big) == [(EventKind.DEPOSIT, Decimal(150))]


def test_a_new_assets_record_with_money_is_a_first_deposit_and_unchanged_money_is_nothing() -> None:
    assert kinds(events_of(change(None, values("20")), snap(1), snap(2), EventRules())) == [
        (EventKind.FIRST_DEPOSIT, Decimal(20))
    ]
    assert (
        events_of(
            change(values("5"), ("5", "0", "9", None, None, None)), snap(1), snap(2), EventRules()
        )
        == []
    )
    assert (
        events_of(change(values("5"), None), snap(1), snap(2), EventRules()) == []
    )  # invitees say who left


def test_invitees_join_and_leave() -> None:
    row = ("2026-11-30 10:00:00",)
    new = Change(
        kind=ChangeKind.NEW, key=(7,), before_values=None, after_values=row, table=INVITEES
    )
    gone = Change(
        kind=ChangeKind.GONE, key=(8,), before_values=row, after_values=None, table=INVITEES
    )
    base, target = snap(1, "invitees"), snap(2, "invitees")
    assert kinds(events_of(new, base, target, EventRules())) == [(EventKind.NEW_INVITEE, None)]
    assert kinds(events_of(gone, base, target, EventRules())) == [(EventKind.GONE, None)]
    assert events_of(new, base, target, EventRules())[0].describe() == "7 joined as a new invitee"


def test_volume_milestones_cross_upward_only() -> None:
    rules = EventRules(volume_milestone=Decimal(1000), volume_days=7)
    before = {1: Decimal(900), 2: Decimal(1200), 3: Decimal(10)}
    after = {1: Decimal(1000), 2: Decimal(1500), 3: Decimal(999), 4: Decimal(5000)}
    events = milestones(before, after, snap(1, "volume"), snap(2, "volume"), rules)
    assert [(e.uid, e.kind) for e in events] == [
        (1, EventKind.VOLUME_MILESTONE),
        (4, EventKind.VOLUME_MILESTONE),
    ]
    assert milestones(before, after, snap(1, "volume"), snap(2, "volume"), EventRules()) == []


def test_ids_differ_by_every_part_and_are_stable() -> None:
    parts = [
        (EventKind.DEPOSIT, "assets", (1,), 1, 2),
        (EventKind.WITHDRAWAL, "assets", (1,), 1, 2),
        (EventKind.DEPOSIT, "assets", (2,), 1, 2),
        (EventKind.DEPOSIT, "assets", (1,), 2, 3),
        (EventKind.DEPOSIT, "assets", (1,), None, 2),
    ]
    ids = [event_id(*p) for p in parts]
    assert len(set(ids)) == len(ids)
    assert ids == [event_id(*p) for p in parts]
