"""Identical lookups in flight share one request; single-uid answers may be kept a while.

`Lookups.share` runs one request per key (endpoint, validated query, page, size and the
caller's request options) in a task of its own; every concurrent caller with that key
awaits the same task, so 30 bots asking for one uid at once send one request, and all 30
get its answer or its error.  With ``ttl > 0`` a successful answer to a single-uid query
is kept that long (errors never are).

Sharp edges: a caller cancelled while waiting leaves the shared request running for the
others; only when the last waiter leaves is the request itself cancelled (so an
abandoned lookup does not hold a send slot).  Every waiter receives the *same* answer
object (records are frozen) or the same exception object.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, TypeVar

from asset_client.core.validators import seconds_at_least_zero

__all__ = ["MAX_CACHED", "Lookups"]

T = TypeVar("T")

#: The most answers the TTL cache keeps (oldest dropped first): a bot polled by many
#: users must not grow without bound.
MAX_CACHED = 10_000


class _Shared(Generic[T]):
    """One request in flight and how many callers still wait for it."""

    __slots__ = ("task", "waiters")

    def __init__(self, task: asyncio.Task[T]) -> None:
        self.task = task
        self.waiters = 0


def _retrieve(task: asyncio.Task[Any]) -> None:
    if not task.cancelled():
        task.exception()


def checked_ttl(value: object) -> float:
    """``lookup_cache_ttl``: finite seconds, not negative (0: no cache)."""
    return seconds_at_least_zero("lookup_cache_ttl", value, "a finite number of seconds >= 0")


class Lookups:
    """A client's shared lookups (and its views'): in-flight requests and cached answers.

    ``enabled=False`` turns sharing off (every call sends its own request), for
    comparison; ``shared`` counts calls answered by another caller's request, ``cached``
    calls answered from the cache.
    """

    def __init__(self, ttl: float = 0.0, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = checked_ttl(ttl)
        self.enabled = True
        self.shared = 0
        self.cached = 0
        self._clock = clock
        self._flight: dict[Hashable, _Shared[Any]] = {}
        self._cache: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()

    @property
    def in_flight(self) -> int:
        """Requests being shared right now."""
        return len(self._flight)

    def clear(self) -> None:
        """Forget every cached answer (requests in flight go on)."""
        self._cache.clear()

    async def share(
        self, key: Hashable, call: Callable[[], Awaitable[T]], *, cacheable: bool = False
    ) -> T:
        """``call()``'s answer, sent once for every concurrent caller with ``key``."""
        if not self.enabled:
            return await call()
        if cacheable and self.ttl > 0:
            hit = self._cached(key)
            if hit is not None:
                self.cached += 1
                return hit  # type: ignore[no-any-return]
        shared = self._flight.get(key)
        if shared is None:
            task = asyncio.ensure_future(self._run(key, call, cacheable))
            task.add_done_callback(_retrieve)  # an error nobody waits for is not "lost"
            shared = _Shared(task)
            self._flight[key] = shared
        else:
            self.shared += 1
        shared.waiters += 1
        try:
            # shield: a waiter's cancellation is its own, not the request's.
            return await asyncio.shield(shared.task)
        finally:
            shared.waiters -= 1
            if shared.waiters == 0 and not shared.task.done():
                shared.task.cancel()  # nobody waits any more: free its slot
                self._forget(key, shared)

    async def _run(self, key: Hashable, call: Callable[[], Awaitable[T]], cacheable: bool) -> T:
        try:
            answer = await call()
        finally:
            self._forget(key, self._flight.get(key))
        if cacheable and self.ttl > 0:
            self._keep(key, answer)
        return answer

    def _forget(self, key: Hashable, shared: _Shared[Any] | None) -> None:
        if shared is not None and self._flight.get(key) is shared:
            del self._flight[key]

    def _cached(self, key: Hashable) -> Any:
        entry = self._cache.get(key)
        if entry is None:
            return None
        expires, answer = entry
        if self._clock() >= expires:
            del self._cache[key]
            return None
        return answer

    def _keep(self, key: Hashable, answer: object) -> None:
        now = self._clock()
        self._cache.pop(key, None)
        self._cache[key] = (now + self.ttl, answer)
        # One ttl for all: insertion order is expiry order, so the stale ones lead.
        while self._cache and (
            len(self._cache) > MAX_CACHED or next(iter(self._cache.values()))[0] <= now
        ):
            self._cache.popitem(last=False)

    async def close(self) -> None:
        """Cancel the requests in flight (the client is closing) and forget the cache."""
        tasks = [shared.task for shared in self._flight.values()]
        self._flight.clear()
        self._cache.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
