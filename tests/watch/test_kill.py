"""``watch`` killed with SIGKILL at random moments, over and over, against the sandbox as
it changes between cycles: every event the history implies is delivered at least once,
none is lost, and a duplicate is the same event with the same id."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from collections import Counter
from pathlib import Path

import pytest

from asset_client.store import SnapshotStatus, SnapshotStore
from asset_client.watch import Outbox, events_between
from tests.watch._watch_helpers import Receiver, need, receiving
from tests.watch._watch_proc import RULES, main

ROOT = Path(__file__).resolve().parents[2]
RUNS = 20


async def _run_and_kill(db: Path, url: str, rng: random.Random) -> bool:
    """One watch process killed at a random moment; whether it was still running."""
    err = db.with_suffix(".err")
    with err.open("ab") as stderr:
        proc = await _start(db, url, stderr.fileno())
    assert proc.stdout is not None
    try:
        assert await asyncio.wait_for(proc.stdout.readline(), 60) == b"ready\n"
        for _ in range(rng.randint(0, 1)):  # let some runs finish a cycle: the data moves on
            assert await asyncio.wait_for(proc.stdout.readline(), 60) == b"cycle\n"
    except AssertionError:
        await proc.wait()
        raise AssertionError(f"the watch process ended: {err.read_text()[-3000:]}") from None
    # Not synchronization: a random point in the cycle (sync, derive, delivery) to kill at.
    await asyncio.sleep(rng.uniform(0.0, 0.8))
    alive = proc.returncode is None
    proc.send_signal(signal.SIGKILL)
    await proc.wait()
    return alive


async def _start(db: Path, url: str, stderr: int) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.watch._watch_proc",
        str(db),
        url,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=stderr,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


async def _implied(db: Path) -> set[str]:
    """Every event the history implies, computed afresh from its snapshots."""
    implied: set[str] = set()
    async with (
        await SnapshotStore.open(db, readonly=True) as store,
        await Outbox.open(db, readonly=True) as outbox,
    ):
        for target in await store.snapshots():
            if target.status is not SnapshotStatus.COMPLETE:
                continue
            base, _ = await store.resolve(until=target.id, dataset=target.series.dataset)  # type: ignore[arg-type]
            if base is not None:
                found = await events_between(store, base, target, RULES, outbox=outbox)
                implied |= {e.id for e in found}
    return implied


# 20 process starts (each imports apprise and the client): longer than the default limit.
@pytest.mark.timeout(480)
async def test_sigkill_at_random_points_loses_no_event(tmp_path: Path) -> None:
    need("apprise")
    rng = random.Random(int(os.environ.get("WATCH_KILL_SEED", "18")))
    db = tmp_path / "h.sqlite"
    async with receiving(Receiver()) as receiver:
        killed = [await _run_and_kill(db, receiver.url, rng) for _ in range(RUNS)]
        # and a last, clean start: it delivers whatever the kills left pending
        await asyncio.wait_for(main(db, receiver.url, once=True), 120)
    implied = await _implied(db)
    received = receiver.ids()
    async with await Outbox.open(db, readonly=True) as outbox:
        rows = await outbox.call(outbox.db.rows)
    duplicates = {i: n for i, n in received.items() if n > 1}
    bodies: dict[str, set[str]] = {}
    for body in receiver.bodies:
        bodies.setdefault(body["message"], set()).add(body["title"])
    print(
        f"\n{sum(killed)} of {RUNS} runs killed while running; {len(implied)} events implied, "
        f"{len(received)} delivered, {sum(received.values())} deliveries, "
        f"{len(duplicates)} delivered twice or more"
    )
    assert sum(killed) == RUNS
    assert len(implied) > 20  # the sandbox changed between cycles
    assert {r.event.id for r in rows} == implied  # none lost on the way to the outbox
    assert all(r.sent_at is not None for r in rows)
    assert set(received) == implied  # every one delivered, nothing else
    # a duplicate is the same message (same id, same words) sent again
    assert len(bodies) == len(received)
    assert Counter(len(t) for t in bodies.values()) == Counter({1: len(received)})
