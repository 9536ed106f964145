"""CoinW's penalty phase: one key's memory of its rejections (pure: the caller brings ``now``).

CoinW escalates when rejections pile up within 10 seconds: limits halved for 5 minutes,
then a 30-second ban, then an 8-hour blacklist.  So after a rejection the client (a)
pauses the key longer for each further rejection within `STREAK_SPAN`, and (b) sends at
half its rate (`slow_interval`) until `SLOW_FOR` seconds after the latest rejection.

Sharp edge: this memory is process-local (one per key in a `LimiterRegistry`).  The pause
it lengthens is shared through the limiter backend, but the slow-down is not: sharing it
would need a new field in every backend's stored state (process, host file, Redis Lua).
Another process on the same key keeps its full rate until it draws a rejection of its own.
"""

from __future__ import annotations

from attrs import define

__all__ = ["SLOW_FOR", "STREAK_SPAN", "Penalty", "escalated_pause", "slow_interval"]

#: Rejections closer together than this count as one streak (CoinW's 10-second span).
STREAK_SPAN = 10.0
#: How long after the latest rejection the key sends at half rate (CoinW's 5 minutes).
SLOW_FOR = 300.0


def slow_interval(requests: int, period: float, margin: float) -> float:
    """Seconds between sends at half the rate: twice the normal interval, and never more
    than half the requests (rounded down) in one period, so ``5/s`` becomes ``2/s``."""
    normal = (period + margin) / requests
    return max(2 * normal, (period + margin) / max(1, requests // 2))


def escalated_pause(window: float, streak: int, cap: float) -> float:
    """The least pause after the ``streak``-th rejection in a row: ``window * 2**(streak-1)``,
    capped at ``cap`` (but never below one window)."""
    return max(window, min(window * 2.0 ** (max(streak, 1) - 1), cap))


@define
class Penalty:
    """One key's recent rejections: the current streak and the end of the slow period."""

    span: float = STREAK_SPAN
    slow_for: float = SLOW_FOR
    streak: int = 0
    last: float | None = None
    slow_until: float = float("-inf")

    def slowed(self, now: float) -> bool:
        """Whether the key sends at half rate at ``now``."""
        return now < self.slow_until

    def reject(self, now: float) -> tuple[int, bool]:
        """Record a rejection at ``now``: the streak it makes, and whether the slow
        period begins with it (it was not already in force)."""
        entering = not self.slowed(now)
        if self.last is not None and now - self.last <= self.span:
            self.streak += 1
        else:
            self.streak = 1
        self.last = now
        self.slow_until = now + self.slow_for
        return self.streak, entering
