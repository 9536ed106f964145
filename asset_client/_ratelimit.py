"""The rate limit: one strict limiter per (host, API key), shared by the whole process.

CoinW allows 5 requests/s per IP and user and escalates repeated rejections to bans
and an 8-hour blacklist, so the limiter must never burst.  ``AsyncLimiter(5, 1)``
would: a leaky bucket of capacity 5 lets 9 requests into one sliding second.  Here
the bucket holds a single request and drains every ``(period + margin) / requests``
seconds, so any sliding ``period`` sees at most ``requests`` sends, with ``margin``
to spare for network jitter between sends and arrivals.

A server rejection (29001 / HTTP 429) pauses the key's limiter for every task of the
process, rather than letting other tasks keep firing into a closed window.

The registry counts the users of each key's limiter (`limiter_for` adds one,
`release_limiter` takes one away; `AssetClient.close` releases its own).  While any
client uses a key, its rate is fixed; once none does, the next `limiter_for` may set
another rate.  The new limiter inherits the old one's clock and pause, so changing the
rate never lets a send closer to the last one than the new interval.
"""

from __future__ import annotations

import asyncio
import hashlib
import heapq
import itertools
import threading
import time
import weakref
from collections.abc import Awaitable, Callable

from aiolimiter import AsyncLimiter
from attrs import field, frozen

from ._errors import InvalidParameterError
from ._validators import bounded_int, bounded_seconds

__all__ = ["KeyLimiter", "RateLimit", "limiter_for", "limiter_users", "release_limiter"]

Sleep = Callable[[float], Awaitable[object]]


@frozen(kw_only=True)
class RateLimit:
    """At most ``requests`` sends in any sliding ``period`` seconds, ``margin`` to spare."""

    #: Checked like every setting: ``5/inf`` would never send again, ``nan`` never compares.
    requests: int = field(default=5, validator=bounded_int(1, 1_000_000))
    period: float = field(default=1.0, validator=bounded_seconds(0, 3600, low_inclusive=False))
    margin: float = field(default=0.025, validator=bounded_seconds(0, 3600))

    @property
    def interval(self) -> float:
        """Seconds between two sends."""
        return (self.period + self.margin) / self.requests


class _PriorityGate:
    """Lets one waiter at a time on to the limiter, lowest priority number first.

    The walk passes page numbers, so a page being retried goes out before later pages
    the walk cannot use until it arrives.
    """

    __slots__ = ("_busy", "_order", "_waiters")

    def __init__(self) -> None:
        self._busy = False
        self._order = itertools.count()
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []

    async def enter(self, priority: int) -> None:
        if not self._busy and not self._waiters:
            self._busy = True
            return
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (priority, next(self._order), future))
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.leave()  # handed the gate just as we were cancelled: pass it on
            raise

    def leave(self) -> None:
        while self._waiters:
            _, _, future = heapq.heappop(self._waiters)
            if not future.done():
                future.set_result(None)  # the gate passes on; it stays busy
                return
        self._busy = False


class KeyLimiter:
    """The limiter of one (host, API key).  Safe across event loops.

    aiolimiter binds its waiters to the running loop, so each loop gets its own
    `AsyncLimiter` (a bot that restarts its loop, each pytest test).  Every send is also
    claimed on one process-wide clock (``_last_send``, under a lock), so loops used in
    turn, or at once in several threads, still never send closer than the interval.
    """

    __slots__ = ("_last_send", "_limiters", "_lock", "_pause_gen", "_paused_until", "rate")

    def __init__(self, rate: RateLimit) -> None:
        self.rate = rate
        self._limiters: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, tuple[AsyncLimiter, _PriorityGate]
        ] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()
        self._paused_until = 0.0
        self._pause_gen = 0
        self._last_send = -float("inf")

    def _for_this_loop(self) -> tuple[AsyncLimiter, _PriorityGate]:
        loop = asyncio.get_running_loop()
        with self._lock:
            pair = self._limiters.get(loop)
            if pair is None:
                pair = self._limiters[loop] = (AsyncLimiter(1, self.rate.interval), _PriorityGate())
            return pair

    @property
    def paused_for(self) -> float:
        """Seconds left of a pause set by a rejection (0 when not paused)."""
        return max(0.0, self._paused_until - time.monotonic())

    def pause(self, seconds: float) -> None:
        """Hold every sender of this key for ``seconds`` (after a server rejection)."""
        with self._lock:
            self._paused_until = max(self._paused_until, time.monotonic() + seconds)
            self._pause_gen += 1

    async def acquire(self, sleep: Sleep = asyncio.sleep, priority: int = 0) -> float:
        """Wait for a send slot, lowest ``priority`` first; return how long it waited."""
        started = time.monotonic()
        limiter, gate = self._for_this_loop()
        await gate.enter(priority)
        try:
            while True:
                generation = self._pause_gen
                if (delay := self.paused_for) > 0:
                    await sleep(delay)
                await limiter.acquire()
                if self._pause_gen == generation:
                    break
                # A rejection paused the key while we queued: the window is closed, wait again.
            # This loop's bucket only knows this loop's sends; the process-wide clock
            # knows all.  The slot is claimed only when we really go, under the lock, so
            # a sender that oversleeps cannot end up closer than the interval to another.
            while True:
                with self._lock:
                    now = time.monotonic()
                    wait = self._last_send + self.rate.interval - now
                    if wait <= 0:
                        self._last_send = now
                        break
                await sleep(wait)
        finally:
            gate.leave()
        return time.monotonic() - started


_REGISTRY: dict[str, KeyLimiter] = {}
_USERS: dict[str, int] = {}  # registry key -> clients holding that limiter
_REGISTRY_LOCK = threading.Lock()


def _registry_key(host: str, api_key: str) -> str:
    # Hashed so the registry never holds the key in the clear.
    return hashlib.sha256(f"{host}\x00{api_key}".encode()).hexdigest()


def limiter_for(host: str, api_key: str, rate: RateLimit) -> KeyLimiter:
    """The process-wide limiter of ``(host, api_key)``, created on first use, with one
    more user counted (give it back with `release_limiter`).

    While the key has users, asking for another rate raises `InvalidParameterError`
    (a `ValueError`): two rates for one server-side limit cannot both hold.  With no
    users left, a new rate replaces the old one (keeping its send clock and pause).
    """
    key = _registry_key(host, api_key)
    with _REGISTRY_LOCK:
        limiter = _REGISTRY.get(key)
        users = _USERS.get(key, 0)
        if limiter is None:
            limiter = _REGISTRY[key] = KeyLimiter(rate)
        elif limiter.rate != rate:
            if users > 0:
                raise InvalidParameterError(
                    f"this API key on {host} is already limited at {limiter.rate} by "
                    f"{users} open client(s) in this process; cannot also use {rate} "
                    "(close them first)",
                    field="rate_limit",
                )
            limiter = _REGISTRY[key] = _successor(limiter, rate)
        _USERS[key] = users + 1
        return limiter


def _successor(old: KeyLimiter, rate: RateLimit) -> KeyLimiter:
    new = KeyLimiter(rate)
    with old._lock:
        new._last_send = old._last_send
        new._paused_until = old._paused_until
    return new


def release_limiter(host: str, api_key: str) -> None:
    """One user of ``(host, api_key)``'s limiter is done with it (never below zero).

    The limiter stays registered (its clock still spaces later sends); only its rate
    becomes free to change.
    """
    key = _registry_key(host, api_key)
    with _REGISTRY_LOCK:
        users = _USERS.get(key, 0)
        if users <= 1:
            _USERS.pop(key, None)
        else:
            _USERS[key] = users - 1


def limiter_users(host: str, api_key: str) -> int:
    """How many users hold ``(host, api_key)``'s limiter now."""
    with _REGISTRY_LOCK:
        return _USERS.get(_registry_key(host, api_key), 0)
