"""The ``process`` backend: the send clock lives in this process's memory only.

Sharp edge: two processes with one key each believe they own the whole budget, so
together they overshoot it.  Use it only where one process is the key's sole user.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import asset_client.limit.clock as clock
from asset_client.limit.base import Lane, Verdict

__all__ = ["ProcessLimiter"]


class ProcessLimiter:
    """Per-process send clocks, safe across threads and event loops."""

    name = "process"

    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self._lock = threading.Lock()
        self._states: dict[str, clock.State] = {}

    def __repr__(self) -> str:
        return "ProcessLimiter()"

    def _state(self, key: str) -> clock.State:
        return self._states.setdefault(key, clock.new_state())

    async def peek(self, key: str, lanes: tuple[Lane, ...], served: float | None) -> Verdict:
        with self._lock:
            return clock.peek(self._state(key), lanes, self._now(), served)

    async def claim(self, key: str, lanes: tuple[Lane, ...], served: float | None) -> Verdict:
        with self._lock:
            return clock.claim(self._state(key), lanes, self._now(), served)

    async def pause(self, key: str, seconds: float) -> None:
        with self._lock:
            clock.pause(self._state(key), self._now(), seconds)
