"""One request's place at the head of a key's line, from the wait to the send (`Permit`).

The slot is claimed in two steps: `KeyLimiter.acquire` waits in the process's gate and
until the backend's clock is ready (before the request is signed); `Permit.commit` claims
the slot once the connection is in hand, just before the request is written.  Sharp edge:
a claim that would still have to wait long then (a pause began meanwhile) is given up with
`SlotLost`, nothing sent: the caller signs again, since its timestamp would be stale.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from attrs import frozen

from asset_client.limit.base import Lane, LimiterBackend, Verdict
from asset_client.limit.gate import Gate

__all__ = ["COMMIT_PATIENCE", "Line", "LoopLine", "Permit", "SlotLost", "Ticket"]

Sleep = Callable[[float], Awaitable[object]]

#: A claim that would still have to wait this long once the connection is in hand is
#: given up (nothing is sent) and the request is signed again: its timestamp would be stale.
COMMIT_PATIENCE = 5.0


@frozen
class Ticket:
    """A caller's place in line: ``number`` orders callers, ``generation`` dates it
    against the key's refusals."""

    number: int
    generation: int


class SlotLost(Exception):  # a signal inside the client, never raised to callers
    """The slot could not be claimed in time once the connection was in hand; nothing
    was sent.  The client signs the request again and queues anew."""


class LoopLine:
    """A key's line in one event loop: the fairness gate and the wake-up for pauses."""

    __slots__ = ("gate", "wake")

    def __init__(self) -> None:
        self.gate = Gate()
        self.wake = asyncio.Event()


class Line(Protocol):
    """What a permit needs of its limiter (`KeyLimiter`)."""

    @property
    def backend(self) -> LimiterBackend: ...
    @property
    def key(self) -> str: ...
    def check(self, ticket: Ticket) -> None: ...
    def lanes_now(self) -> tuple[Lane, ...]: ...


class Permit:
    """One request's place at the head of the line, from `KeyLimiter.acquire` to the send."""

    __slots__ = (
        "_local",
        "_page",
        "_patience",
        "_released",
        "_served",
        "_sleep",
        "_started",
        "claimed_at",
        "committed",
        "limiter",
        "ticket",
        "waited",
    )

    def __init__(
        self,
        limiter: Line,
        local: LoopLine,
        ticket: Ticket,
        page: int,
        sleep: Sleep,
        patience: float = COMMIT_PATIENCE,
    ) -> None:
        self.limiter = limiter
        # A caller's max_wait shortens how long a commit may wait (then SlotLost).
        self._patience = min(patience, COMMIT_PATIENCE)
        self.ticket = ticket
        self._page = page
        self._local = local
        self._sleep = sleep
        self._started = time.monotonic()
        self._served: float | None = None
        self._released = False
        self.committed = False
        self.claimed_at: float | None = None  #: when the slot was claimed (monotonic)
        self.waited = 0.0

    def __deepcopy__(self, memo: dict[int, object]) -> Permit:
        # A handle on the shared limiter, not a value: tools that deep-copy request
        # arguments (aioresponses records them) must not clone the limiter's loops.
        return self

    async def enter(self) -> None:
        """Wait for this loop's gate, then until the clock is ready (nothing claimed)."""
        await self._local.gate.enter((self.ticket.number, self._page), self.ticket.generation)
        try:
            await self._wait_ready()
        except BaseException:
            self.release()
            raise

    async def _nap(self, verdict: Verdict) -> None:
        """Sleep out ``verdict``; woken early by a pause or a refusal in this process."""
        wake = self._local.wake
        wake.clear()
        # Pauses use the injected sleep (tests skip them); spacing waits are short and real.
        sleep = self._sleep if verdict.pause_end is not None else asyncio.sleep
        napping = asyncio.ensure_future(sleep(verdict.wait))
        woken = asyncio.ensure_future(wake.wait())
        try:
            done, _ = await asyncio.wait({napping, woken}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (napping, woken):
                task.cancel()
            await asyncio.gather(napping, woken, return_exceptions=True)
        if napping in done and verdict.pause_end is not None:
            self._served = verdict.pause_end

    async def _wait_ready(self) -> None:
        limiter = self.limiter
        while True:
            limiter.check(self.ticket)
            verdict = await limiter.backend.peek(limiter.key, limiter.lanes_now(), self._served)
            if verdict.wait <= 0:
                break
            await self._nap(verdict)
        self.waited = time.monotonic() - self._started

    async def commit(self) -> None:
        """Claim the slot now (the connection is in hand), then let the next one in line go.

        Raises `SlotLost` (nothing sent) if the slot is still far off, e.g. a pause began.
        """
        limiter = self.limiter
        started = time.monotonic()
        self.committed = False  # a resend on the same permit needs a fresh slot
        if self._released:  # a resend (aiohttp's own, on a dropped connection)
            await self._local.gate.enter((self.ticket.number, self._page), self.ticket.generation)
            self._released = False
        try:
            while True:
                limiter.check(self.ticket)
                verdict = await limiter.backend.claim(
                    limiter.key, limiter.lanes_now(), self._served
                )
                if verdict.claimed:
                    self.committed = True
                    self.claimed_at = time.monotonic()
                    break
                if verdict.wait > self._patience:
                    raise SlotLost
                await self._nap(verdict)
        finally:
            self.waited += time.monotonic() - started
            self.release()

    def release(self) -> None:
        """Leave the line (idempotent)."""
        if not self._released:
            self._released = True
            self._local.gate.leave()
