"""The rate limit: one strict send clock per API key, shared by every sender that uses it.

CoinW allows 5 requests/s per IP and user and escalates repeated rejections to bans and
an 8-hour blacklist, so the limiter must never burst.  ``AsyncLimiter(5, 1)`` would: a
leaky bucket of capacity 5 lets 9 requests into one sliding second.  Here every send is
claimed on a clock that spaces sends ``(period + margin) / requests`` apart, so any
sliding ``period`` sees at most ``requests`` sends, with ``margin`` to spare for network
jitter between sends and arrivals.

Where that clock lives is the limiter backend (`asset_client.limit`): this process,
this machine (the default: a lock-protected file), or Redis.  What stays in the process
is the gate that decides which task goes next (callers in arrival order, lower pages of
one walk first) and the fail-fast rule: once the server refuses the key (6000, 6001,
6003), calls already queued for it fail at once with the same error.

The sharp edge: the slot is claimed in two steps (`asset_client.limit.permit`): `acquire`
waits until the clock is ready (before the request is signed); `Permit.commit` claims it
once the connection is in hand, so the time a new connection takes to open can never
squeeze two sends together at the server.  Which limiter a client gets, and for how long
its settings are fixed, is the registry's business (`asset_client.limit.registry`).

After a rejection the key enters CoinW's penalty phase (`asset_client.core.penalty`): each
further rejection within 10 s doubles the least pause, and for 5 minutes after the
latest one every lane is claimed at half its rate.  That memory (`KeyPenalty`) is shared
by every lane of the key in one registry, but not with other processes: only the pause
travels through the backend; the slow-down would need a new field in every backend's
stored state.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import logging
import threading
import time
import weakref
from collections.abc import Callable, Hashable

from attrs import Factory, field, frozen

from asset_client.core.penalty import Penalty, slow_interval
from asset_client.core.validators import bounded_int, bounded_seconds
from asset_client.errors import ApiError, AssetClientError, LimiterBusyError
from asset_client.limit.base import Lane, LimiterBackend
from asset_client.limit.margin import MarginEstimator
from asset_client.limit.permit import LoopLine, Permit, Sleep, SlotLost, Ticket
from asset_client.limit.process import ProcessLimiter

__all__ = [
    "KeyLimiter",
    "KeyPenalty",
    "Permit",
    "RateLimit",
    "SlotLost",
    "Ticket",
    "key_id",
]

logger = logging.getLogger("asset_client")


DEFAULT_MARGIN = 0.065


@frozen(kw_only=True)
class RateLimit:
    """At most ``requests`` sends in any sliding ``period`` seconds, ``margin`` to spare.

    The default margin (65 ms per second) absorbs ±30 ms of one-way network jitter: two
    arrivals can move 60 ms closer than their sends.  With ``adaptive`` (the default when
    the margin is left at its default) it is where the margin starts: it then follows the
    spread of the round trips the client observes (`asset_client.limit.margin`).
    """

    #: Checked like every setting: ``5/inf`` would never send again, ``nan`` never compares.
    requests: int = field(default=5, validator=bounded_int(1, 1_000_000))
    period: float = field(default=1.0, validator=bounded_seconds(0, 3600, low_inclusive=False))
    margin: float = field(default=DEFAULT_MARGIN, validator=bounded_seconds(0, 3600))
    adaptive: bool = field(
        default=Factory(lambda rate: rate.margin == DEFAULT_MARGIN, takes_self=True)
    )

    @property
    def interval(self) -> float:
        """Seconds between two sends."""
        return (self.period + self.margin) / self.requests


def key_id(api_key: str, scope: str | None = None) -> str:
    """A one-way name for a key's budget: backends and files never see the key."""
    return hashlib.sha256(f"asset-client\x00{api_key}\x00{scope or ''}".encode()).hexdigest()


def _echo(error: AssetClientError) -> AssetClientError:
    """A fresh error of the same type saying the same thing (one per failed caller)."""
    if isinstance(error, ApiError):
        return type(error)(
            error.message, code=error.code, status=error.status, page_no=error.page_no
        )
    return error


class KeyPenalty:
    """One key's recent rejections (`Penalty`), shared by every lane of the key; thread-safe."""

    __slots__ = ("_lock", "_penalty")

    def __init__(self) -> None:
        self._penalty = Penalty()
        self._lock = threading.Lock()

    @property
    def slow_for(self) -> float:
        return self._penalty.slow_for

    def slowed(self, now: float) -> bool:
        with self._lock:
            return self._penalty.slowed(now)

    def slow_left(self, now: float) -> float:
        """Seconds of the half-rate period left at ``now`` (0: not slowed)."""
        with self._lock:
            return max(0.0, self._penalty.slow_until - now)

    def reject(self, now: float) -> tuple[int, bool]:
        """Record a rejection: the streak it makes, and whether the slow period begins."""
        with self._lock:
            return self._penalty.reject(now)


class KeyLimiter:
    """The limiter of one (API key, bucket) in this process.  Safe across event loops.

    Every loop gets its own gate; the send clock is the backend's.
    """

    def __init__(
        self,
        rate: RateLimit,
        backend: LimiterBackend | None = None,
        *,
        key: str = "",
        bucket: str = "default",
        global_rate: RateLimit | None = None,
        now: Callable[[], float] = time.monotonic,
        penalty: KeyPenalty | None = None,
    ) -> None:
        self.rate = rate
        self.global_rate = global_rate
        self.backend: LimiterBackend = backend if backend is not None else ProcessLimiter()
        self.bucket = bucket
        #: The key's one-way name (`key_id`): what the backend stores its clock under.
        self.key = key or key_id(f"anonymous-{id(self)}")
        #: The key's penalty memory, shared with its other lanes (`LimiterRegistry`).
        self.penalty = penalty if penalty is not None else KeyPenalty()
        rates = [(bucket, rate)]
        if global_rate is not None:  # an account-wide limit across endpoints, if CoinW's is known
            rates.append(("global", global_rate))
        self._rates = tuple(rates)
        #: The margin learnt from the link (None: the rate's margin, fixed).
        self.margins = MarginEstimator(initial=rate.margin) if rate.adaptive else None
        self._lanes_for(rate.margin if self.margins is None else self.margins.margin)
        self._now = now
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LoopLine] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()
        self._tickets = itertools.count(1)
        self._generation = 0
        self._refusal: AssetClientError | None = None

    def _here(self) -> LoopLine:
        loop = asyncio.get_running_loop()
        with self._lock:
            state = self._loops.get(loop)
            if state is None:
                state = self._loops[loop] = LoopLine()
            return state

    def _each_loop(self, action: Callable[[LoopLine], None]) -> None:
        try:
            current = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        with self._lock:
            states = list(self._loops.items())
        for loop, state in states:
            if loop is current:
                action(state)
            elif not loop.is_closed():
                loop.call_soon_threadsafe(action, state)

    # -- callers -------------------------------------------------------------------

    def ticket(self) -> Ticket:
        """A place in line for one walk or one single call."""
        return Ticket(next(self._tickets), self._generation)

    def check(self, ticket: Ticket) -> None:
        """Raise the key's refusal if it came after ``ticket`` was taken."""
        refusal = self._refusal
        if ticket.generation < self._generation and refusal is not None:
            raise _echo(refusal)

    def refuse(self, error: AssetClientError) -> None:
        """The server refused the key: fail every call queued before now with ``error``."""
        with self._lock:
            self._generation += 1
            self._refusal = error
            generation = self._generation

        def fail(state: LoopLine) -> None:
            state.gate.fail_waiting(generation, lambda: _echo(error))
            state.wake.set()

        self._each_loop(fail)

    def _lanes_for(self, margin: float) -> None:
        """The lanes (and the penalty phase's half-rate lanes) at ``margin``; a fixed
        rate (not adaptive) keeps its own margin."""
        self._margin = margin

        def used(limit: RateLimit) -> float:
            return margin if limit.adaptive else limit.margin

        def slack(limit: RateLimit) -> float:
            # Only a learnt margin counts the slack in; a fixed one is kept to the letter.
            return self.margins.slack if limit.adaptive and self.margins is not None else 0.0

        self.lanes = tuple(
            Lane(name, (limit.period + used(limit)) / limit.requests, slack(limit))
            for name, limit in self._rates
        )
        #: The lanes while the key is penalised: half the rate in each.
        self.slow_lanes = tuple(
            Lane(name, slow_interval(limit.requests, limit.period, used(limit)), slack(limit))
            for name, limit in self._rates
        )

    @property
    def margin(self) -> float:
        """The margin the lanes are spaced by now (learnt, if the rate is adaptive)."""
        return self._margin

    def observe(self, kind: Hashable, round_trip: float) -> None:
        """A round trip of ``kind`` (claim to answer) observed: the margin may follow it."""
        if self.margins is None:
            return
        with self._lock:
            margin = self.margins.observe(kind, round_trip)
            if margin != self._margin:
                self._lanes_for(margin)

    def lanes_now(self) -> tuple[Lane, ...]:
        """The lanes a claim draws on now: `slow_lanes` during the key's penalty phase."""
        return self.slow_lanes if self.penalty.slowed(self._now()) else self.lanes

    def rejected(self) -> int:
        """The server rejected a send for rate (29001, HTTP 429): remember it for the key
        and return the streak of rejections it makes (what lengthens the pause, see
        `asset_client.core.retry.decide`).  Entering the half-rate period is logged once
        at WARNING."""
        streak, entering = self.penalty.reject(self._now())
        if self.margins is not None:
            with self._lock:
                self._lanes_for(self.margins.rejected())  # widen at once
        if entering:
            logger.warning(
                "slowing down: after a rate-limit rejection this API key sends at half rate "
                "(%s lane %.3fs apart) until %.0fs after the latest one",
                self.bucket,
                self.slow_lanes[0].interval,
                self.penalty.slow_for,
            )
        return streak

    async def pause(self, seconds: float) -> None:
        """Hold every sender of this key, in every process sharing the clock, for ``seconds``."""
        await self.backend.pause(self.key, seconds)
        self._each_loop(lambda state: state.wake.set())

    async def paused_for(self) -> float:
        """Seconds left of the key's pause, as the backend sees it (0: not paused)."""
        verdict = await self.backend.peek(self.key, (), None)
        return verdict.wait if verdict.pause_end is not None else 0.0

    async def acquire(
        self,
        ticket: Ticket | None = None,
        page: int = 0,
        sleep: Sleep = asyncio.sleep,
        *,
        max_wait: float | None = None,
    ) -> Permit:
        """Wait in line and until the clock is ready; the permit holds the line until
        `Permit.commit` (or `Permit.release`).

        With ``max_wait``, a caller who would wait longer for the slot gets
        `LimiterBusyError` instead: at once when the line ahead and the clock already say
        so, else when ``max_wait`` runs out.  Either way nothing is claimed and its place
        in line is given back.
        """
        ticket = ticket or self.ticket()
        self.check(ticket)
        local = self._here()
        if max_wait is None:
            permit = Permit(self, local, ticket, page, sleep)
            await permit.enter()
            return permit
        order = (ticket.number, page)
        expected = await self.expected_wait(local, order)
        if expected > max_wait:
            raise self._busy(expected, max_wait)
        permit = Permit(self, local, ticket, page, sleep, patience=max_wait)
        try:
            async with asyncio.timeout(max_wait):
                await permit.enter()  # leaves the line itself when cut short
        except TimeoutError:
            expected = await self.expected_wait(local, order)
            raise self._busy(max(expected, self.lanes_now()[0].interval), max_wait) from None
        return permit

    async def expected_wait(self, local: LoopLine, order: tuple[int, int]) -> float:
        """Seconds until a new caller of ``order`` could send: the clock's wait (or the
        pause), then one interval for each caller ahead of it in this process.  A lower
        bound when other processes share the key."""
        lanes = self.lanes_now()
        verdict = await self.backend.peek(self.key, lanes, None)
        interval = max(lane.interval for lane in lanes)
        return verdict.wait + local.gate.ahead(order) * interval

    def _busy(self, expected: float, max_wait: float) -> LimiterBusyError:
        return LimiterBusyError(
            f"{self.bucket}: no send slot within max_wait={max_wait:g}s (the next one in "
            f"about {expected:.2f}s); nothing was sent",
            retry_after=round(expected, 3),
            endpoint=self.bucket,
        )

    def slow_left(self) -> float:
        """Seconds left of the key's half-rate penalty phase (0: not in force)."""
        return self.penalty.slow_left(self._now())

    def waiting(self) -> int:
        """Callers in line for this lane, in every event loop of this process."""
        with self._lock:
            lines = list(self._loops.values())
        return sum(line.gate.waiting for line in lines)
