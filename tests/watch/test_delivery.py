"""Delivery through apprise's JSON webhook to a real receiver on 127.0.0.1, from a watch
over the sandbox as it changes between cycles: every event arrives, a receiver that
fails for a while gets them all once it recovers, nothing secret is kept."""

from __future__ import annotations

import json
import logging
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from asset_client.store import SnapshotStore
from asset_client.store.events import EventKind, EventRules
from asset_client.watch import (
    Backoff,
    Cycle,
    Notifier,
    Outbox,
    Watch,
    WatchSettings,
    label,
    sync_once,
)
from tests.watch._watch_helpers import Receiver, need, receiving, small_target


async def _watch(
    db: Path,
    notifier: Notifier | None,
    cycles: int,
    *,
    announce: bool = False,
    backoff: Backoff | None = None,
) -> list[Cycle]:
    target = small_target()
    rules = EventRules(volume_milestone=Decimal(1000), volume_days=7)
    settings = WatchSettings(
        once=True, rules=rules, announce_existing=announce, backoff=backoff or Backoff(first=0.01)
    )
    done = []
    async with await SnapshotStore.open(db) as store, await Outbox.open(db) as outbox:
        watch = Watch(
            store=store,
            outbox=outbox,
            sync=lambda s, e: sync_once(target, s, events=e),
            settings=settings,
            notifier=notifier,
        )
        for _ in range(cycles):
            done.append(await watch.run())
    return done


async def _outbox_ids(db: Path) -> tuple[set[str], set[str]]:
    """(every event id in the outbox, those still pending)."""
    async with await Outbox.open(db, readonly=True) as outbox:
        rows = await outbox.call(outbox.db.rows)
    return {r.event.id for r in rows}, {r.event.id for r in rows if r.sent_at is None}


async def test_every_event_kind_arrives_once_through_apprise(tmp_path: Path) -> None:
    need("apprise")
    db = tmp_path / "h.sqlite"
    async with receiving(Receiver()) as receiver:
        cycles = await _watch(db, Notifier([receiver.url]), cycles=4)
    assert cycles[0].derived.added == 0 and cycles[0].derived.silent["assets"] == 300
    every, pending = await _outbox_ids(db)
    received = receiver.ids()
    print(f"{len(every)} events, {sum(received.values())} deliveries")
    assert pending == set()
    assert set(received) == every and set(received.values()) == {1}
    kinds = Counter(b["title"].removeprefix("asset-client: ") for b in receiver.bodies)
    assert set(kinds) == {k.value for k in EventKind}, kinds
    assert all(" (event " in b["message"] for b in receiver.bodies)


async def test_json_format_sends_the_event_object(tmp_path: Path) -> None:
    need("apprise")
    db = tmp_path / "h.sqlite"
    async with receiving(Receiver()) as receiver:
        await _watch(db, Notifier([receiver.url], "json"), cycles=2)
    docs = [json.loads(b["message"]) for b in receiver.bodies]
    assert docs and {d["id"] for d in docs} == (await _outbox_ids(db))[0]
    assert all({"kind", "uid", "amount", "before", "after", "snapshot"} <= set(d) for d in docs)


async def test_a_receiver_down_for_a_while_gets_everything_after(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    need("apprise")
    db = tmp_path / "h.sqlite"
    receiver = Receiver(failing=3)
    async with receiving(receiver):
        with caplog.at_level(logging.WARNING, logger="asset_client.watch"):
            cycles = await _watch(db, Notifier([receiver.url]), cycles=5)
    every, pending = await _outbox_ids(db)
    assert receiver.refused == 3
    assert any(c.delivery.failed > 0 for c in cycles)  # held back, not dropped
    assert pending == set() and set(receiver.ids()) == every
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings and all("pending, retrying in" in w for w in warnings)
    assert not any(str(receiver.port) in w for w in warnings)  # the URL is a secret


async def test_nothing_is_sent_without_a_notifier_and_all_of_it_later(tmp_path: Path) -> None:
    need("apprise")
    db = tmp_path / "h.sqlite"
    await _watch(db, None, cycles=3)
    every, pending = await _outbox_ids(db)
    assert every and pending == every
    async with receiving(Receiver()) as receiver:
        # the receiver's backoff is long: the pending events are due at once regardless
        await _watch(db, Notifier([receiver.url]), cycles=1, backoff=Backoff(first=3600))
    assert set(receiver.ids()) >= every


async def test_announce_existing_announces_the_first_snapshot(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    (first,) = await _watch(db, None, cycles=1, announce=True)
    kinds = Counter(e.kind for e in first.derived.events)
    assert kinds[EventKind.NEW_INVITEE] == 300 and not first.derived.silent


async def test_the_url_is_in_no_file_repr_or_error(tmp_path: Path) -> None:
    need("apprise")
    secret = "json://user:s3cr3t-pass@127.0.0.1:9/hook"
    notifier = Notifier([secret])
    assert "s3cr3t" not in repr(notifier) and "s3cr3t" not in label(secret)
    db = tmp_path / "h.sqlite"
    await _watch(db, notifier, cycles=2)  # port 9: refused, so errors are recorded
    written = {p: p.read_bytes() for p in tmp_path.iterdir()}  # noqa: ASYNC240 - small files
    assert written and not [p for p, data in written.items() if b"s3cr3t" in data]
    with pytest.raises(ValueError, match=r"--notify nope://…#[0-9a-f]{8}: not a notification"):
        Notifier(["nope://token-s3cr3t"])
