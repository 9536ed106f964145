"""The limiter protocol: claim a send slot for (key, lanes), pause a key.  Nothing else is shared.

Sharp edge: a backend only knows *when* the key last sent and until when it is paused;
which task of a process goes next is decided by the process's own gate
(`asset_client.limit.gate`).  A backend that cannot be reached raises
`LimiterUnavailableError`; it never falls back to an unshared clock, because an
unshared clock is exactly what draws rejections from CoinW.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from attrs import frozen

# Defined with every other error; re-exported here, where backends raise it.
from asset_client.errors import LimiterUnavailableError

__all__ = ["Lane", "LimiterBackend", "LimiterUnavailableError", "Verdict"]


@frozen
class Lane:
    """One budget a send draws from: ``name`` (an endpoint, or ``global``), the seconds
    that must pass between two sends in it, and the ``slack``: how late after its slot a
    send may be and still keep the slot's place (see `asset_client.limit.clock`).  The
    slack must be inside the lane's margin; 0 (the default) spaces from the send itself."""

    name: str
    interval: float
    slack: float = 0.0


@frozen
class Verdict:
    """A backend's answer: ``wait`` seconds before asking again (0 with ``claimed``).

    ``pause_end`` is the end of the key's pause in the backend's own clock when the wait
    is due to a pause (pass it back as ``served`` once slept out), else None.
    """

    wait: float
    claimed: bool = False
    pause_end: float | None = None


@runtime_checkable
class LimiterBackend(Protocol):
    """Where the send clock and the pause of each key live.

    ``key`` is already a one-way hash of the API key (and scope); backends never see
    the key itself.  ``served`` is the end of a pause the caller has already slept out
    (so a caller whose sleep is injected in tests is not held twice).
    """

    #: "process", "host" or "redis": shown in messages and benchmarks.
    name: str

    async def peek(self, key: str, lanes: tuple[Lane, ...], served: float | None) -> Verdict:
        """How long until a claim could succeed; claims nothing."""
        ...

    async def claim(self, key: str, lanes: tuple[Lane, ...], served: float | None) -> Verdict:
        """Take the send slot now in every lane at once, or say how long to wait."""
        ...

    async def pause(self, key: str, seconds: float) -> None:
        """Hold every sender of ``key`` for ``seconds`` from now (never shortens a pause)."""
        ...
