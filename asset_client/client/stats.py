"""Counters: `ClientStats` for a client's whole life, `WalkStats` for one walk.

Sharp edge: ``client.stats`` adds up every walk and call of the client (reset it with
``client.stats.reset()``), while a walk's own ``stats`` count that walk alone; both are
updated as requests happen, so reading them mid-walk is fine.
"""

from __future__ import annotations

from attrs import define, field, fields

__all__ = ["ClientStats", "Stats", "WalkStats"]


@define
class Stats:
    """The counters both a client and a walk keep."""

    requests: int = 0  #: HTTP requests sent, retries included
    retries: int = 0  #: requests that were attempts after a failure
    rate_limit_waits: int = 0  #: server rejections (29001 / 429) that paused the key
    #: Seconds spent waiting for the limiter, *summed over requests*: with several pages in
    #: flight it can exceed the walk's duration (8 pages waiting 1 s together count 8 s).
    limiter_wait: float = 0.0
    #: Wall-clock seconds during which at least one request was waiting for the limiter
    #: (in line or for the send clock): never more than the time the walk took.
    limiter_wait_wall: float = 0.0
    pages: int = 0  #: pages decoded
    records: int = 0  #: records yielded by walks
    duplicates_dropped: int = 0  #: records a walk saw twice and yielded once
    total_decreases: int = 0  #: times the server's total shrank mid-walk
    replans: int = 0  #: times a walk re-planned because pages came back short
    arrived_during_walk: int = 0  #: records added before a walk's position while it ran
    expected_total: int | None = None  #: the server's latest ``total`` in the (current) walk
    hook_errors: int = 0  #: exceptions raised by hooks (logged, then ignored)
    _waiting: int = field(default=0, init=False, repr=False, eq=False)
    _since: float = field(default=0.0, init=False, repr=False, eq=False)

    def reset(self) -> None:
        """Every counter back to zero (``expected_total`` to None)."""
        for attribute in fields(type(self)):
            if not attribute.name.startswith("_"):  # a wait in progress still ends
                setattr(self, attribute.name, attribute.default)

    def wait_began(self, now: float) -> None:
        """A request starts waiting for the limiter at ``now`` (monotonic seconds)."""
        if self._waiting == 0:
            self._since = now
        self._waiting += 1

    def wait_ended(self, now: float) -> None:
        """A request stops waiting; the last one to stop closes the wall-clock span."""
        if self._waiting > 0:
            self._waiting -= 1
            if self._waiting == 0:
                self.limiter_wait_wall += now - self._since


@define
class ClientStats(Stats):
    """Counters for progress bars, logs and benchmarks: one set per client, adding up
    every walk and call; ``expected_total`` is the latest walk's."""


@define
class WalkStats(Stats):
    """The counters of one walk (``client.iter_*(...).stats``)."""
