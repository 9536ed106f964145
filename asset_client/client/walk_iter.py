"""`WalkIterator`: what ``iter_*`` returns, an async generator with the walk's own stats.

Sharp edge: it wraps the walk's async generator and is one itself (``asend``,
``athrow``, ``aclose``; ``contextlib.aclosing`` works), so the walk-done hook fires when
the walk finishes, fails, or is closed or cancelled — but not for a walk abandoned
without ``aclose()`` (its pages are still stopped when the generator is collected).
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Callable
from types import TracebackType
from typing import Any, Literal, TypeVar

from asset_client.client.hooks import WalkDone
from asset_client.client.stats import WalkStats

__all__ = ["WalkIterator"]

R = TypeVar("R")

Outcome = Literal["finished", "failed", "closed"]


class WalkIterator(AsyncGenerator[R, None]):
    """Every record of one walk, in order, with ``stats`` counting this walk alone.

    ::

        walk = client.iter_invitee_assets()
        async with contextlib.aclosing(walk):
            async for asset in walk:
                ...
        print(walk.stats.requests, walk.stats.records, walk.stats.expected_total)
    """

    __slots__ = ("_done", "_endpoint", "_on_done", "_records", "_started", "stats")

    def __init__(
        self,
        endpoint: str,
        records: AsyncGenerator[R, None],
        stats: WalkStats,
        on_done: Callable[[WalkDone], None],
    ) -> None:
        self.stats = stats
        self._endpoint = endpoint
        self._records = records
        self._on_done = on_done
        self._started: float | None = None
        self._done = False

    def __repr__(self) -> str:
        return f"<WalkIterator {self._endpoint} stats={self.stats!r}>"

    def _end(self, outcome: Outcome, error: BaseException | None = None) -> None:
        if self._done:
            return
        self._done = True
        elapsed = 0.0 if self._started is None else time.monotonic() - self._started
        self._on_done(WalkDone(self._endpoint, outcome, self.stats, elapsed, error))

    async def _step(self, step: Any) -> R:
        if self._started is None:
            self._started = time.monotonic()
        try:
            record: R = await step
        except StopAsyncIteration:
            self._end("finished")
            raise
        except Exception as exc:
            self._end("failed", exc)
            raise
        except BaseException:
            self._end("closed")  # cancelled, or the loop is going down
            raise
        return record

    async def __anext__(self) -> R:
        return await self._step(self._records.__anext__())

    async def asend(self, value: None, /) -> R:
        return await self._step(self._records.asend(value))

    async def athrow(self, typ: Any, val: Any = None, tb: TracebackType | None = None, /) -> R:
        if val is None and tb is None:  # the 3-argument form is deprecated (3.12)
            return await self._step(self._records.athrow(typ))
        return await self._step(self._records.athrow(typ, val, tb))

    async def aclose(self) -> None:
        try:
            await self._records.aclose()
        finally:
            self._end("closed")
