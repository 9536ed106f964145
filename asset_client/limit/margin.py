"""The margin that follows the link (pure, no clock): learnt from the spread of round trips.

Sends are spaced ``(period + margin) / requests`` apart so that arrivals, which can come
closer together than their sends by the spread of one-way delays, still never put more
than ``requests`` into one sliding period.  The spread of the round trips the client
observes bounds that (a one-way delay varies at most as much as the round trip, when the
way back is steady, and less when it is not), so, as TCP sizes its retransmission timeout
from the variation of its round trips: start at the safe default (65 ms, for ±30 ms of
one-way jitter and the slack), shrink only as evidence comes in (``evidence`` round trips
of one kind, and then only part of the way each time), widen at once when a wider spread
is seen or the server rejects a send, and never go below ``floor``.

The margin needed is ``factor`` times the widest spread, scaled up while the samples are
few (the range of ``n`` samples falls short of the true spread by about ``2/(n+1)`` of
it, so it is stretched by ``(n+1)/(n-1)``), plus the lanes' ``slack`` (a send that leaves
a few milliseconds after its slot keeps the slot: `asset_client.limit.clock`).

Sharp edge: round trips are compared within one *kind* (endpoint and page size): a page
of 1000 records takes longer than a page of 10 for reasons that are not jitter.  A
round trip includes the server's own time, so a server whose time varies keeps the margin
wide: safe, only slower.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable

from attrs import define, field

__all__ = ["SLACK", "MarginEstimator"]

#: How late after its slot an adaptive lane's send may leave and keep the slot: the event
#: loop's usual lateness (a few ms), which would otherwise add to every gap.
SLACK = 0.005


@define
class MarginEstimator:
    """The current margin (``margin``, seconds) from the round trips observed so far."""

    initial: float = 0.065  #: where it starts, and the least it returns to after a rejection
    #: Never below: the slack, and what a loopback round trip cannot show.
    floor: float = 0.015
    ceiling: float = 1.0  #: never above (the period itself would be doubled)
    factor: float = 1.5  #: the margin needed is ``factor`` times the widest spread seen
    window: int = 32  #: round trips of each kind remembered
    evidence: int = 5  #: round trips of one kind before the margin may shrink
    shrink: float = 0.75  #: the share of the way to the needed margin it shrinks per sample
    slack: float = SLACK  #: the lanes' slack, part of every margin needed
    margin: float = field(init=False)
    _kinds: dict[Hashable, deque[float]] = field(init=False, factory=dict)

    def __attrs_post_init__(self) -> None:
        self.margin = min(self.ceiling, max(self.floor, self.initial))

    def needed(self) -> tuple[float, bool]:
        """The margin the evidence asks for, and whether there is enough of it to shrink."""
        spread, enough = 0.0, False
        for samples in self._kinds.values():
            n = len(samples)
            if n >= 2:
                # The range of few samples understates the spread: stretch it.
                spread = max(spread, (max(samples) - min(samples)) * (n + 1) / (n - 1))
            enough = enough or n >= self.evidence
        return max(self.floor, self.factor * spread + self.slack), enough

    def observe(self, kind: Hashable, round_trip: float) -> float:
        """One round trip of ``kind`` (seconds, claim to answer); returns the new margin."""
        if not round_trip >= 0:  # NaN or negative: a clock fault, not evidence
            return self.margin
        samples = self._kinds.get(kind)
        if samples is None:
            samples = self._kinds[kind] = deque(maxlen=self.window)
        samples.append(round_trip)
        needed, enough = self.needed()
        if needed > self.margin:
            self.margin = min(self.ceiling, needed)  # at once: a wider spread is a risk now
        elif enough:
            self.margin -= self.shrink * (self.margin - needed)
        return self.margin

    def rejected(self) -> float:
        """The server rejected a send: widen at once (at least back to ``initial``, and
        twice the margin that failed) and forget the evidence that led there."""
        self.margin = min(self.ceiling, max(self.initial, 2 * self.margin))
        self._kinds.clear()
        return self.margin
