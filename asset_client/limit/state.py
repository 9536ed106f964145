"""A read-only snapshot of a key's lanes (`LimiterState`), for metrics and "busy" answers.

Each lane tells when its next send could go, how many callers of this process stand in
its line, and whether a pause (shared by every process on the key) or the penalty
phase's half rate (this process's memory) is in force, and until when.  Sharp edge: it
is a snapshot — the backend's clock moves on at once — and the callers counted are this
process's only (the line is per process; only the clock is shared).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta

from attrs import frozen

from asset_client.limit.limiter import KeyLimiter

__all__ = ["LaneState", "LimiterState", "lane_state", "limiter_state"]


@frozen(kw_only=True)
class LaneState:
    """One lane (one endpoint's budget) of a key, as it stood when the snapshot was taken."""

    lane: str  #: the endpoint's ``limit_bucket`` ("assets", "invitees", "volume", ...)
    next_slot: float  #: seconds until a new caller at the head of the line could send
    waiting: int  #: callers of this process in the lane's line (the one at its head too)
    interval: float  #: seconds between two sends now (doubled in the penalty phase)
    paused_until: datetime | None  #: end of the key's pause in force (every process), else None
    slowed_until: datetime | None  #: end of the half-rate penalty phase (this process), else None

    @property
    def paused(self) -> bool:
        return self.paused_until is not None

    @property
    def slowed(self) -> bool:
        return self.slowed_until is not None


@frozen(kw_only=True)
class LimiterState:
    """Every lane of one key (``lanes``, by name), on one backend, at ``taken_at`` (UTC)."""

    backend: str  #: "process", "host" or "redis"
    taken_at: datetime
    lanes: tuple[LaneState, ...]

    def __getitem__(self, lane: str) -> LaneState:
        for state in self.lanes:
            if state.lane == lane:
                return state
        raise KeyError(lane)

    def __iter__(self) -> Iterator[LaneState]:
        return iter(self.lanes)

    def __len__(self) -> int:
        return len(self.lanes)


async def lane_state(limiter: KeyLimiter, taken_at: datetime) -> LaneState:
    """``limiter``'s lane now, dated ``taken_at`` (wall clock, UTC)."""
    lanes = limiter.lanes_now()
    verdict = await limiter.backend.peek(limiter.key, lanes, None)
    paused = None
    if verdict.pause_end is not None:
        paused = taken_at + timedelta(seconds=verdict.wait)
    slow_left = limiter.slow_left()
    slowed = taken_at + timedelta(seconds=slow_left) if slow_left > 0 else None
    return LaneState(
        lane=limiter.bucket,
        next_slot=round(verdict.wait, 6),
        waiting=limiter.waiting(),
        interval=max(lane.interval for lane in lanes),
        paused_until=paused,
        slowed_until=slowed,
    )


async def limiter_state(limiters: Iterable[KeyLimiter], backend: str, wall: float) -> LimiterState:
    """A snapshot of ``limiters`` (the lanes of one key); ``wall`` is `time.time()` now."""
    taken_at = datetime.fromtimestamp(wall, UTC)
    lanes = [await lane_state(limiter, taken_at) for limiter in limiters]
    return LimiterState(backend=backend, taken_at=taken_at, lanes=tuple(lanes))
