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

The sharp edge: the slot is claimed in two steps.  `KeyLimiter.acquire` waits until the
clock is ready (before the request is signed); `Permit.commit` claims it once the
connection is in hand, just before the request is written, so the time a new connection
takes to open can never squeeze two sends together at the server.

The registry counts the users of each (key, endpoint lane) limiter (`limiter_for` adds
one, `release_limiter` takes one away; `AssetClient.close` releases its own).  While any
client uses it, its rate, global rate and backend are fixed; once none does, the next
`limiter_for` may set others.  The send clock and the pause live in the backend under
the key's hash, not in the limiter, so a new rate still keeps its distance from the last
send and honours a pause in progress.

After a rejection the key enters CoinW's penalty phase (`asset_client.core.penalty`): each
further rejection within 10 s doubles the least pause, and for 5 minutes after the
latest one every lane is claimed at half its rate.  That memory is per key and
process-wide (every endpoint's limiter of the key shares it) but not shared with other
processes: only the pause travels through the backend; the slow-down would need a new
field in every backend's stored state.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import logging
import random
import threading
import time
import weakref
from collections.abc import Awaitable, Callable

from attrs import field, frozen

from asset_client.core.penalty import Penalty, escalated_pause, slow_interval
from asset_client.core.retry import RetryPolicy
from asset_client.core.validators import bounded_int, bounded_seconds
from asset_client.errors import ApiError, AssetClientError, InvalidParameterError, RateLimitError
from asset_client.limit.base import Lane, LimiterBackend, Verdict
from asset_client.limit.gate import Gate

__all__ = [
    "KeyLimiter",
    "Permit",
    "RateLimit",
    "SlotLost",
    "Ticket",
    "key_id",
    "limiter_for",
    "limiter_users",
    "pause_after_rejection",
    "refuse_key",
    "release_limiter",
]

Sleep = Callable[[float], Awaitable[object]]

logger = logging.getLogger("asset_client")

#: A claim that would still have to wait this long once the connection is in hand is
#: given up (nothing is sent) and the request is signed again: its timestamp would be stale.
COMMIT_PATIENCE = 5.0


@frozen(kw_only=True)
class RateLimit:
    """At most ``requests`` sends in any sliding ``period`` seconds, ``margin`` to spare.

    The default margin (65 ms per second) absorbs ±30 ms of one-way network jitter: two
    arrivals can move 60 ms closer than their sends.
    """

    #: Checked like every setting: ``5/inf`` would never send again, ``nan`` never compares.
    requests: int = field(default=5, validator=bounded_int(1, 1_000_000))
    period: float = field(default=1.0, validator=bounded_seconds(0, 3600, low_inclusive=False))
    margin: float = field(default=0.065, validator=bounded_seconds(0, 3600))

    @property
    def interval(self) -> float:
        """Seconds between two sends."""
        return (self.period + self.margin) / self.requests


@frozen
class Ticket:
    """A caller's place in line: ``number`` orders callers, ``generation`` dates it
    against the key's refusals."""

    number: int
    generation: int


class SlotLost(Exception):  # a signal inside the client, never raised to callers
    """The slot could not be claimed in time once the connection was in hand; nothing
    was sent.  The client signs the request again and queues anew."""


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


class _LoopState:
    __slots__ = ("gate", "wake")

    def __init__(self) -> None:
        self.gate = Gate()
        self.wake = asyncio.Event()


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
        bucket: str = "assets",
        global_rate: RateLimit | None = None,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        if backend is None:
            from asset_client.limit.process import ProcessLimiter

            backend = ProcessLimiter()
        self.rate = rate
        self.global_rate = global_rate
        self.backend = backend
        self.bucket = bucket
        self._key = key or key_id(f"anonymous-{id(self)}")
        rates = [(bucket, rate)]
        if global_rate is not None:  # an account-wide limit across endpoints, if CoinW's is known
            rates.append(("global", global_rate))
        self.lanes = tuple(Lane(name, limit.interval) for name, limit in rates)
        #: The lanes while the key is penalised: half the rate in each.
        self.slow_lanes = tuple(
            Lane(name, slow_interval(limit.requests, limit.period, limit.margin))
            for name, limit in rates
        )
        self._now = now
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopState] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()
        self._tickets = itertools.count(1)
        self._generation = 0
        self._refusal: AssetClientError | None = None

    def _here(self) -> _LoopState:
        loop = asyncio.get_running_loop()
        with self._lock:
            state = self._loops.get(loop)
            if state is None:
                state = self._loops[loop] = _LoopState()
            return state

    def _each_loop(self, action: Callable[[_LoopState], None]) -> None:
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

    def _check(self, ticket: Ticket) -> None:
        refusal = self._refusal
        if ticket.generation < self._generation and refusal is not None:
            raise _echo(refusal)

    def refuse(self, error: AssetClientError) -> None:
        """The server refused the key: fail every call queued before now with ``error``."""
        with self._lock:
            self._generation += 1
            self._refusal = error
            generation = self._generation

        def fail(state: _LoopState) -> None:
            state.gate.fail_waiting(generation, lambda: _echo(error))
            state.wake.set()

        self._each_loop(fail)

    def lanes_now(self) -> tuple[Lane, ...]:
        """The lanes a claim draws on now: `slow_lanes` during the key's penalty phase."""
        with _PENALTY_LOCK:
            penalty = _PENALTIES.get(self._key)
            slowed = penalty is not None and penalty.slowed(self._now())
        return self.slow_lanes if slowed else self.lanes

    def rejected(self, window: float, cap: float) -> float:
        """The server rejected a send for rate (29001, HTTP 429): remember it for the key
        and return the least pause it calls for, ``window * 2**(k-1)`` for the k-th
        rejection within 10 s (capped at ``cap``).  Entering the half-rate period is
        logged once at WARNING."""
        now = self._now()
        with _PENALTY_LOCK:
            penalty = _PENALTIES.setdefault(self._key, Penalty())
            streak, entering = penalty.reject(now)
            slow_for = penalty.slow_for
        if entering:
            logger.warning(
                "slowing down: after a rate-limit rejection this API key sends at half rate "
                "(%s lane %.3fs apart) until %.0fs after the latest one",
                self.bucket,
                self.slow_lanes[0].interval,
                slow_for,
            )
        return escalated_pause(window, streak, cap)

    async def pause(self, seconds: float) -> None:
        """Hold every sender of this key, in every process sharing the clock, for ``seconds``."""
        await self.backend.pause(self._key, seconds)
        self._each_loop(lambda state: state.wake.set())

    async def paused_for(self) -> float:
        """Seconds left of the key's pause, as the backend sees it (0: not paused)."""
        verdict = await self.backend.peek(self._key, (), None)
        return verdict.wait if verdict.pause_end is not None else 0.0

    async def acquire(
        self, ticket: Ticket | None = None, page: int = 0, sleep: Sleep = asyncio.sleep
    ) -> Permit:
        """Wait in line and until the clock is ready; the permit holds the line until
        `Permit.commit` (or `Permit.release`)."""
        ticket = ticket or self.ticket()
        self._check(ticket)
        started = time.monotonic()
        local = self._here()
        await local.gate.enter((ticket.number, page), ticket.generation)
        permit = Permit(self, local, ticket, page, sleep, started)
        try:
            await permit.wait_ready()
        except BaseException:
            permit.release()
            raise
        return permit

    async def send_slot(
        self, ticket: Ticket | None = None, page: int = 0, sleep: Sleep = asyncio.sleep
    ) -> float:
        """Acquire and claim at once (no connection to wait for); return the wait."""
        permit = await self.acquire(ticket, page, sleep)
        await permit.commit()
        return permit.waited


class Permit:
    """One request's place at the head of the line, from `KeyLimiter.acquire` to the send."""

    __slots__ = (
        "_local",
        "_page",
        "_released",
        "_served",
        "_sleep",
        "_started",
        "committed",
        "limiter",
        "ticket",
        "waited",
    )

    def __init__(
        self,
        limiter: KeyLimiter,
        local: _LoopState,
        ticket: Ticket,
        page: int,
        sleep: Sleep,
        started: float,
    ) -> None:
        self.limiter = limiter
        self.ticket = ticket
        self._page = page
        self._local = local
        self._sleep = sleep
        self._started = started
        self._served: float | None = None
        self._released = False
        self.committed = False
        self.waited = 0.0

    def __deepcopy__(self, memo: dict[int, object]) -> Permit:
        # A handle on the shared limiter, not a value: tools that deep-copy request
        # arguments (aioresponses records them) must not clone the limiter's loops.
        return self

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

    async def wait_ready(self) -> None:
        limiter = self.limiter
        while True:
            limiter._check(self.ticket)
            verdict = await limiter.backend.peek(limiter._key, limiter.lanes_now(), self._served)
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
                limiter._check(self.ticket)
                lanes = limiter.lanes_now()
                verdict = await limiter.backend.claim(limiter._key, lanes, self._served)
                if verdict.claimed:
                    self.committed = True
                    break
                if verdict.wait > COMMIT_PATIENCE:
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


_REGISTRY: dict[tuple[str, str], KeyLimiter] = {}  # (key hash, bucket) -> its limiter
_USERS: dict[tuple[str, str], int] = {}  # (key hash, bucket) -> clients holding it
_REGISTRY_LOCK = threading.Lock()
#: key hash -> its recent rejections; every endpoint's limiter of the key shares one.
_PENALTIES: dict[str, Penalty] = {}
_PENALTY_LOCK = threading.Lock()


def limiter_for(
    api_key: str,
    rate: RateLimit,
    backend: LimiterBackend,
    *,
    bucket: str = "assets",
    scope: str | None = None,
    global_rate: RateLimit | None = None,
) -> KeyLimiter:
    """The process-wide limiter of ``(api_key, bucket)``, created on first use, with one
    more user counted (give it back with `release_limiter`).

    One key is one budget however the server's host is spelled.  While the limiter has
    users, asking for another rate, global rate or backend raises
    `InvalidParameterError` (a `ValueError`): two clocks for one server-side limit
    cannot both hold.  With no users left, the new settings replace the old ones.
    """
    scope = scope if scope is not None else getattr(backend, "scope", None)
    name = key_id(api_key, scope)
    slot = (name, bucket)
    with _REGISTRY_LOCK:
        limiter = _REGISTRY.get(slot)
        users = _USERS.get(slot, 0)
        if limiter is None or (users == 0 and _differs(limiter, rate, global_rate, backend)):
            limiter = _REGISTRY[slot] = KeyLimiter(
                rate, backend, key=name, bucket=bucket, global_rate=global_rate
            )
        elif limiter.rate != rate:
            raise InvalidParameterError(
                f"this API key is already limited at {limiter.rate} by {users} open "
                f"client(s) in this process; cannot also use {rate} (close them first)",
                field="rate_limit",
            )
        elif limiter.global_rate != global_rate:
            raise InvalidParameterError(
                f"this API key already has global_rate_limit={limiter.global_rate} in "
                f"{users} open client(s) in this process; cannot also use {global_rate} "
                "(close them first)",
                field="global_rate_limit",
            )
        elif limiter.backend is not backend:
            raise InvalidParameterError(
                f"this API key already uses the {limiter.backend.name} limiter in {users} "
                f"open client(s) in this process; cannot also use {backend!r} "
                "(close them first)",
                field="limiter",
            )
        _USERS[slot] = users + 1
        return limiter


def _differs(
    limiter: KeyLimiter, rate: RateLimit, global_rate: RateLimit | None, backend: LimiterBackend
) -> bool:
    return (
        limiter.rate != rate or limiter.global_rate != global_rate or limiter.backend is not backend
    )


def release_limiter(limiter: KeyLimiter) -> None:
    """One user of ``limiter`` is done with it (never below zero).

    The limiter stays registered (the backend's clock still spaces later sends); only
    its settings become free to change.
    """
    slot = (limiter._key, limiter.bucket)
    with _REGISTRY_LOCK:
        if _REGISTRY.get(slot) is not limiter:
            return  # already replaced: its users were all gone
        users = _USERS.get(slot, 0)
        if users <= 1:
            _USERS.pop(slot, None)
        else:
            _USERS[slot] = users - 1


def limiter_users(
    api_key: str, bucket: str = "assets", backend: LimiterBackend | None = None
) -> int:
    """How many users hold the limiter of ``(api_key, bucket)`` now (``backend``'s scope
    names the budget, as in `limiter_for`)."""
    name = key_id(api_key, getattr(backend, "scope", None))
    with _REGISTRY_LOCK:
        return _USERS.get((name, bucket), 0)


def refuse_key(limiter: KeyLimiter, error: AssetClientError) -> None:
    """The server refused the key: fail the calls queued for it on every endpoint's lane
    in this process (the refusal is the account's, not one endpoint's)."""
    with _REGISTRY_LOCK:
        siblings = [other for (name, _), other in _REGISTRY.items() if name == limiter._key]
    if limiter not in siblings:
        siblings.append(limiter)
    for other in siblings:
        other.refuse(error)


def pause_after_rejection(
    policy: RetryPolicy, error: RateLimitError, retry_no: int, rng: random.Random, window: float
) -> float:
    """How long every sender of the key waits after a rejection, even one this call gives
    up on: the server's ``Retry-After`` up to the policy's cap, else the backoff, and at
    least one whole window."""
    wanted = error.retry_after if error.retry_after is not None else policy.backoff(retry_no, rng)
    return max(window, min(wanted, policy.max_retry_after))
