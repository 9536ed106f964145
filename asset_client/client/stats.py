"""Counters: `ClientStats` for a client's whole life, `WalkStats` for one walk.

Sharp edge: ``client.stats`` adds up every walk and call of the client (reset it with
``client.stats.reset()``), while a walk's own ``stats`` count that walk alone; both are
updated as requests happen, so reading them mid-walk is fine.
"""

from __future__ import annotations

from attrs import define, fields

__all__ = ["ClientStats", "Stats", "WalkStats"]


@define
class Stats:
    """The counters both a client and a walk keep."""

    requests: int = 0  #: HTTP requests sent, retries included
    retries: int = 0  #: requests that were attempts after a failure
    rate_limit_waits: int = 0  #: server rejections (29001 / 429) that paused the key
    limiter_wait: float = 0.0  #: seconds spent waiting for the limiter
    pages: int = 0  #: pages decoded
    records: int = 0  #: records yielded by walks
    duplicates_dropped: int = 0  #: records a walk saw twice and yielded once
    total_decreases: int = 0  #: times the server's total shrank mid-walk
    replans: int = 0  #: times a walk re-planned because pages came back short
    arrived_during_walk: int = 0  #: records added before a walk's position while it ran
    expected_total: int | None = None  #: the server's latest ``total`` in the (current) walk
    hook_errors: int = 0  #: exceptions raised by hooks (logged, then ignored)

    def reset(self) -> None:
        """Every counter back to zero (``expected_total`` to None)."""
        for attribute in fields(type(self)):
            setattr(self, attribute.name, attribute.default)


@define
class ClientStats(Stats):
    """Counters for progress bars, logs and benchmarks: one set per client, adding up
    every walk and call; ``expected_total`` is the latest walk's."""


@define
class WalkStats(Stats):
    """The counters of one walk (``client.iter_*(...).stats``)."""
