"""The in-process fairness gate: one sender of a key at a time, in caller order.

Waiters are ordered by ``(ticket, page)``: each walk or single call takes one ticket
when it starts, so callers are served in arrival order and, within one walk, lower pages
go first (a retried page jumps only its own walk's queue).  Sharp edge: a long walk that
started first is served before calls that came later; and the gate is per event loop.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable

__all__ = ["Gate"]

Order = tuple[int, int]


class Gate:
    """Lets one waiter at a time through, lowest ``(ticket, page)`` first."""

    __slots__ = ("_busy", "_order", "_waiters")

    def __init__(self) -> None:
        self._busy = False
        self._order = itertools.count()
        self._waiters: list[tuple[Order, int, int, asyncio.Future[None]]] = []

    async def enter(self, order: Order, generation: int = 0) -> None:
        """Wait for the gate; ``generation`` tags the waiter for `fail_waiting`."""
        if not self._busy and not self._waiters:
            self._busy = True
            return
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (order, next(self._order), generation, future))
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled() and future.exception() is None:
                self.leave()  # handed the gate just as we were cancelled: pass it on
            raise

    def ahead(self, order: Order) -> int:
        """How many pass the gate before a new waiter of ``order``: the holder and the
        waiters ordered before it."""
        queued = sum(1 for entry in self._waiters if entry[0] < order and not entry[3].done())
        return int(self._busy) + queued

    @property
    def waiting(self) -> int:
        """Callers in line: the holder (waiting for the clock or sending) and the queue."""
        return int(self._busy) + sum(1 for entry in self._waiters if not entry[3].done())

    def leave(self) -> None:
        while self._waiters:
            _, _, _, future = heapq.heappop(self._waiters)
            if not future.done():
                future.set_result(None)  # the gate passes on; it stays busy
                return
        self._busy = False

    def fail_waiting(self, before: int, error: Callable[[], BaseException]) -> None:
        """Fail every waiter of a generation below ``before`` with a fresh ``error()``."""
        kept = []
        for entry in self._waiters:
            future = entry[3]
            if entry[2] < before:
                if not future.done():
                    future.set_exception(error())
            else:
                kept.append(entry)
        heapq.heapify(kept)
        self._waiters = kept
