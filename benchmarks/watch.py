"""The watch: what a cycle costs beyond the walks, at CoinW's pace, on N invitees.

Two days of N invitees (assets and the invitee list) are recorded from generated
records (`SnapshotStore.record`, no server); day two has the sandbox's daily mix: 2 %
deposit or withdraw (a fifth of them first deposits), 0.5 % join, 0.1 % leave.  Measured:

- derive: the day's changes read, turned into events, written to the outbox with the
  snapshot's mark: inside the snapshots' own transactions, as a watch's sync does
  (day two recorded with ``events=``, against the same day recorded plain in another
  file), and alone (`derive_pending`, the catch-up: the same work in its own transaction);
- bookkeeping: every event taken from the outbox and marked sent (delivery minus the
  receiver: `deliver` with a target that takes everything at once);
- apprise: real delivery of a sample through apprise's ``json://`` to a local receiver,
  per event (the receiver's time, not the watch's: reported apart).

The walks at CoinW's pace: assets and invitees each need ceil(N / 1000) requests at
5 requests/s (volume left out: the ratio is an upper bound).  Recording the walks' rows is
the store's cost and overlaps the walks' waiting (see benchmarks/store.py).
``python -m benchmarks.watch [--invitees N] [--sample K]``.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from asset_client import InviteeAsset
from asset_client.records import Invitee
from asset_client.store import EventOutbox, Series, SnapshotStore
from asset_client.store.events import Event, EventRules
from asset_client.watch import Notifier, Outbox, deliver, derive_pending

COINW_RATE = 5.0  #: requests per second
PAGE = 1000  #: records per request (the partner API's maximum)
WHEN = datetime(2026, 5, 1, tzinfo=UTC)
ASSETS = Series(dataset="assets", source="bench", quote="usdt")
INVITEES = Series(dataset="invitees", source="bench", quote="")


def _day(uid: int, n: int, day: int) -> tuple[Decimal, Decimal] | None:
    """(deposit, withdrawal) of ``uid`` on ``day``; None: not an invitee that day."""
    first = 10_000_000
    if day == 1 and uid < first + n // 1000:
        return None  # left
    step = uid - first
    deposit = Decimal(0) if step % 5 == 0 else Decimal(100)
    withdrawal = Decimal(0)
    if day == 1 and step % 50 == 1:  # 2 % active: deposits, withdrawals, first deposits
        kind = (step // 50) % 5
        deposit += Decimal(25) if kind < 3 else 0
        withdrawal += Decimal(10) if kind == 3 else 0
    if day == 1 and step % 50 == 0 and (step // 50) % 4 == 0:
        deposit = Decimal(250)  # a first deposit
    return deposit, withdrawal


def _uids(n: int, day: int) -> range:
    return range(10_000_000, 10_000_000 + n + (n // 200 if day == 1 else 0))


async def _assets(n: int, day: int) -> AsyncIterator[InviteeAsset]:
    for uid in _uids(n, day):
        money = _day(uid, n, day)
        if money is not None:
            deposit, withdrawal = money
            yield InviteeAsset(uid, deposit, withdrawal, deposit - withdrawal, WHEN)


async def _invitees(n: int, day: int) -> AsyncIterator[Invitee]:
    for uid in _uids(n, day):
        if _day(uid, n, day) is not None:
            yield Invitee(uid=uid, register_time=WHEN)


class _TakesAll(Notifier):
    """A target that accepts every event at once: delivery's own bookkeeping only."""

    def __init__(self) -> None:
        self.fmt = "text"
        self.labels = []

    async def send(self, event: Event) -> list[str]:
        return []


async def _receiver_ms(events: list[Event]) -> float:
    """Milliseconds per event delivered through apprise to a local JSON receiver."""
    from aiohttp import web

    async def ok(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", ok)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    notifier = Notifier([f"json://127.0.0.1:{runner.addresses[0][1]}/hook"])
    started = time.perf_counter()
    for event in events:
        assert not await notifier.send(event)
    elapsed = time.perf_counter() - started
    await runner.cleanup()
    return 1000 * elapsed / max(1, len(events))


async def _record_day(store: SnapshotStore, n: int, day: int, events: EventOutbox | None) -> float:
    """Seconds to record one day of both datasets (with their events, if given)."""
    started = time.perf_counter()
    await store.record(_assets(n, day), ASSETS, events=events)
    await store.record(_invitees(n, day), INVITEES, events=events)
    return time.perf_counter() - started


async def _in_commit(db: Path, n: int) -> tuple[float, int]:
    """(seconds to record day two with its events in the snapshots' transactions, how
    many events): what a watch's sync pays."""
    async with await SnapshotStore.open(db) as store:
        await _record_day(store, n, 0, EventOutbox())  # silent: the first snapshots
        events = EventOutbox()
        seconds = await _record_day(store, n, 1, events)
    return seconds, len(events.derived.events)


async def run(n: int, sample: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.sqlite"
        async with await SnapshotStore.open(db) as store, await Outbox.open(db) as outbox:
            await outbox.call(outbox.db.prepare)
            await _record_day(store, n, 0, None)
            plain_s = await _record_day(store, n, 1, None)
            started = time.perf_counter()
            derived = await derive_pending(store, EventRules())
            derive_s = time.perf_counter() - started
            started = time.perf_counter()
            delivery = await deliver(outbox, _TakesAll())
            book_s = time.perf_counter() - started
        with_events_s, in_commit_events = await _in_commit(Path(tmp) / "commit.sqlite", n)
        per_event_ms = await _receiver_ms(derived.events[:sample])
    assert in_commit_events == len(derived.events)
    walks_s = 2 * math.ceil(n / PAGE) / COINW_RATE
    kinds: dict[str, int] = {}
    for event in derived.events:
        kinds[event.kind.value] = kinds.get(event.kind.value, 0) + 1
    in_commit_s = with_events_s - plain_s
    own = max(derive_s, in_commit_s) + book_s
    print(f"invitees: {n}; events of one day: {len(derived.events)} {kinds}")
    print(f"walks at CoinW's pace (assets + invitees): {walks_s:.1f} s")
    print(
        f"recording day two (store, overlaps the walks): {plain_s:.2f} s plain, "
        f"{with_events_s:.2f} s with its events in the same transactions "
        f"(+{in_commit_s:.2f} s)"
    )
    print(
        f"derive alone (catch-up): {derive_s:.2f} s; "
        f"delivery bookkeeping ({delivery.sent} events): {book_s:.2f} s"
    )
    print(
        f"cycle cost beyond the walks (the larger derive + bookkeeping): {own:.2f} s = "
        f"{100 * own / walks_s:.1f} % (claim <= 10 %)"
    )
    print(f"apprise json:// to a local receiver: {per_event_ms:.2f} ms per event ({sample} sent)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invitees", type=int, default=250_000)
    parser.add_argument("--sample", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(run(args.invitees, args.sample))


if __name__ == "__main__":
    main()
