"""Strict sliding-window rate limiter, as CoinW's per-(IP, user) limit is modelled here.

A request arriving at ``now`` is rejected when ``limit`` or more arrivals for the same key
happened in the half-open interval ``(now - window, now]``.  Every arrival is remembered,
rejected ones too: CoinW's documentation does not say whether rejected calls count, and
counting them is the stricter (safer to test against) reading.  Arrivals may be recorded out
of order (one-way jitter is added to each wire stamp): each is counted against the arrivals
before it in time, whenever it was recorded.
"""

from __future__ import annotations

import bisect
from collections.abc import Hashable, Iterable

__all__ = ["SlidingWindow", "max_in_window"]


class SlidingWindow:
    """Per-key arrival log; pure logic, the caller supplies the clock reading."""

    def __init__(self, limit: int, window: float) -> None:
        if limit < 1:
            raise ValueError("limit must be >= 1")
        if window <= 0:
            raise ValueError("window must be > 0")
        self.limit = limit
        self.window = window
        self._arrivals: dict[Hashable, list[float]] = {}

    def hit(self, key: Hashable, now: float) -> bool:
        """Record an arrival for ``key`` at ``now``; return True if it is allowed."""
        arrivals = self._arrivals.setdefault(key, [])
        # Forget arrivals two windows old: late records (jitter) are far younger than that.
        newest = max(now, arrivals[-1]) if arrivals else now
        stale = bisect.bisect_right(arrivals, newest - 2 * self.window)
        if stale:
            del arrivals[:stale]
        # Arrivals t in (now - window, now]: t with now - t < window.
        earlier = bisect.bisect_right(arrivals, now) - bisect.bisect_right(
            arrivals, now - self.window
        )
        allowed = earlier < self.limit
        bisect.insort(arrivals, now)
        return allowed

    def in_window(self, key: Hashable, now: float) -> int:
        """How many arrivals for ``key`` are inside the window ending at ``now``."""
        return sum(1 for t in self._arrivals.get(key, ()) if now - t < self.window)


def max_in_window(times: Iterable[float], window: float) -> int:
    """The largest number of arrivals inside any window of ``window`` seconds.

    Two arrivals ``a <= b`` share a window when ``b - a < window`` (the limiter's rule).
    """
    ordered = sorted(times)
    best = 0
    start = 0
    for end, t in enumerate(ordered):
        while t - ordered[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best
