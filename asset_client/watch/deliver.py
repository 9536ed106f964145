"""Delivering the outbox: due events in order, each marked sent once every target took
it; a refusal keeps it (and all after it) pending with backoff.

The sharp edge: at least once, never lost.  An event is marked sent only after the
targets answered (marks are batched, a quarter second's worth at most); a kill in
between sends it again on the next start, with the same id (receivers deduplicate by
it).  With several URLs, one refusing means the others get the event again on the
retry (same id).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from attrs import define, frozen

from asset_client.store._outbox import OutboxRow
from asset_client.watch.notify import Notifier
from asset_client.watch.outbox import Outbox

__all__ = ["Backoff", "Delivery", "deliver"]

log = logging.getLogger("asset_client.watch")


@frozen(kw_only=True)
class Backoff:
    """Seconds before retrying after ``attempts`` refusals: doubling, capped."""

    first: float = 5.0
    cap: float = 300.0

    def after(self, attempts: int) -> float:
        return float(min(self.first * 2.0 ** min(attempts, 30), self.cap))


@define
class Delivery:
    sent: int = 0
    failed: int = 0  #: events left pending by a refusal this pass


async def deliver(
    outbox: Outbox,
    notifier: Notifier | None,
    *,
    backoff: Backoff = Backoff(),
    clock: Callable[[], float] = time.time,
    mark_every: float = 0.25,
) -> Delivery:
    """Send what is due; without a notifier nothing is sent (events stay pending).

    Sent events are marked in one transaction at most every ``mark_every`` seconds (and
    before any refusal is noted, and at the end): a kill re-sends at most that much.
    """
    result = Delivery()
    if notifier is None:
        return result
    sent: list[int] = []
    marked_at = time.monotonic()

    async def mark() -> None:
        nonlocal marked_at
        if sent:
            await outbox.call(outbox.db.mark_sent, list(sent), datetime.now(UTC).isoformat())
            result.sent += len(sent)
            sent.clear()
        marked_at = time.monotonic()

    while rows := await outbox.call(outbox.db.due, clock()):
        for row in rows:
            refused = await notifier.send(row.event)
            if refused:
                await mark()
                await _hold(outbox, row, refused, backoff, clock, result)
                return result
            sent.append(row.seq)
            if time.monotonic() - marked_at >= mark_every:
                await mark()
        await mark()  # before asking for more: `due` must not return these again
    return result


async def _hold(
    outbox: Outbox,
    row: OutboxRow,
    refused: list[str],
    backoff: Backoff,
    clock: Callable[[], float],
    result: Delivery,
) -> None:
    """Keep ``row`` and every pending event after it for later (order is kept)."""
    wait = backoff.after(row.attempts)
    error = f"refused by {', '.join(refused)}"
    held = await outbox.call(outbox.db.mark_failed, row.seq, clock() + wait, error)
    log.warning(
        "delivery of event %s %s; %d event(s) pending, retrying in %.0f s",
        row.event.id,
        error,
        held,
        wait,
    )
    result.failed = held
