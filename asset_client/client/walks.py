"""Carrying out a walk: the pure `Walk` decides, `WalkRunner` does the I/O it asks for.

Every endpoint's walk is this one: requests become tasks on the `RequestLoop`, answers go
back to the machine in ticket order, records are handed out as the machine emits them,
and its counters are added to the client's and the walk's own ``stats``.  Sharp edge: a
walk takes one place in its lane's line when it starts, for all its pages (walks are
served in the order they started, lower pages of one walk first), and the pages in
flight are cancelled when the walk ends, is closed early, or the client closes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from typing import Any, Generic, TypeVar

from attrs import frozen

from asset_client.client.hooks import PageYielded, WalkDone
from asset_client.client.requests import RequestLoop
from asset_client.client.stats import WalkStats
from asset_client.client.walk_iter import WalkIterator
from asset_client.core.walk import (
    Action,
    Answer,
    Cancel,
    Emit,
    Failed,
    Finish,
    Notice,
    NoticeKind,
    Request,
    Resume,
    Served,
    Walk,
)
from asset_client.endpoints.base import Endpoint, PageOf
from asset_client.errors import AssetClientError
from asset_client.limit.limiter import Ticket

__all__ = ["WalkRunner"]

logger = logging.getLogger("asset_client")

Q = TypeVar("Q")
R = TypeVar("R")
P = TypeVar("P", bound=PageOf[Any])

_NOTICE_LEVELS = {
    NoticeKind.TOTAL_FELL: logging.WARNING,
    NoticeKind.RESUME_MOVED: logging.INFO,
    NoticeKind.REASK: logging.INFO,
    NoticeKind.REPLAN: logging.INFO,
    NoticeKind.FALLBACK: logging.INFO,
}


class WalkRunner:
    """Starts a client's walks and owns their pages in flight."""

    def __init__(self, requests: RequestLoop, window: int) -> None:
        self.requests = requests
        # The request loop's own counters and hooks: a walk's pages are counted there too.
        self.stats = requests.stats
        self.hooks = requests.hooks
        #: Pages one walk may have in flight (the client's ``max_concurrency``).
        self.window = window
        self.tasks: set[asyncio.Task[Any]] = set()
        self.closed = False
        # Per endpoint: a fallback page size the server accepted, asked first from then on.
        self._sizes: dict[str, int] = {}

    def walk(
        self,
        endpoint: Endpoint[Q, R, Any],
        query: Q,
        page_size: int | None,
        resume: Resume | None,
        max_wait: float | None = None,
    ) -> WalkIterator[R]:
        """Every record of ``query`` once, in the server's order; ``page_size=None``: the
        endpoint's default (or the fallback it fell back to) and, if refused, its fallback."""
        limits = endpoint.limits
        walk: Walk[R] = Walk(
            endpoint.order,
            page_size or self._sizes.get(endpoint.name, limits.default),
            window=self.window,
            fallback_size=None if page_size is not None else limits.fallback,
            resume=resume,
            # Newest-first lists gain records at the top while a walk runs: expected, so
            # counted and reported; in an ascending list such arrivals mean lost records.
            fail_on_arrivals=not endpoint.order.descending,
        )
        stats = WalkStats()
        run = _Run(self, endpoint, query, walk, stats, max_wait)

        def done(event: WalkDone) -> None:
            if self.hooks:
                self.hooks.emit("walk_done", event, self.stats, stats)

        return WalkIterator(endpoint.name, run.records(), stats, done)

    def remember_fallback(self, endpoint: Endpoint[Any, Any, Any]) -> None:
        """The endpoint's fallback size was accepted: later walks start with it."""
        if endpoint.limits.fallback is not None:
            self._sizes[endpoint.name] = endpoint.limits.fallback

    def spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def close(self) -> None:
        """Cancel every page in flight; walks still running then fail as closed."""
        self.closed = True
        tasks = list(self.tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


@frozen
class _Counts:
    duplicates: int = 0
    total_decreases: int = 0
    replans: int = 0


class _Run(Generic[Q, R]):
    """One walk being carried out: its machine, its pages in flight, its counters."""

    def __init__(
        self,
        runner: WalkRunner,
        endpoint: Endpoint[Q, R, Any],
        query: Q,
        walk: Walk[R],
        stats: WalkStats,
        max_wait: float | None = None,
    ) -> None:
        self._runner = runner
        # Bounds the wait of the walk's first request only: once begun, a walk waits
        # its turn rather than fail with pages already fetched.
        self._max_wait = max_wait
        self._endpoint = endpoint
        self._query = query
        self._walk = walk
        self.stats = stats
        self._tasks: dict[asyncio.Task[Any], int] = {}  # a page in flight -> its walk ticket
        self._by_ticket: dict[int, asyncio.Task[Any]] = {}
        self._counted = _Counts()
        self._place: Ticket | None = None  # the walk's place in its lane's line

    async def records(self) -> AsyncGenerator[R, None]:
        """Carry out the walk's actions: fetch, cancel, yield, finish or raise."""
        self._runner.stats.expected_total = None
        self._place = self._runner.requests.lane(self._endpoint).ticket()
        try:
            actions = self._walk.start()
            while True:
                for action in actions:
                    if isinstance(action, Emit):
                        self._yielding(action.records)
                        for record in action.records:
                            self._runner.stats.records += 1
                            self.stats.records += 1
                            yield record
                    elif isinstance(action, Finish):
                        self._report_arrivals()
                        return
                    else:
                        await self._carry_out(action)
                actions = self._feed(await self._next_answer())
        finally:
            await self._cancel(list(self._tasks))

    async def _carry_out(self, action: Action[R]) -> None:
        if isinstance(action, Request):
            task = self._runner.spawn(self._fetch(action.page_no, action.page_size))
            self._tasks[task] = action.ticket
            self._by_ticket[action.ticket] = task
        elif isinstance(action, Cancel):
            await self._cancel([self._by_ticket.pop(t) for t in action.tickets])
        elif isinstance(action, Notice):
            # Named by endpoint: "page 3" alone says nothing when several walks run at once.
            logger.log(_NOTICE_LEVELS[action.kind], "%s: %s", self._endpoint.name, action.message)
        elif not isinstance(action, Emit | Finish):
            raise action.error

    async def _fetch(self, page_no: int, page_size: int) -> PageOf[R]:
        requests = self._runner.requests
        max_wait, self._max_wait = self._max_wait, None
        return await requests.fetch(
            self._endpoint,
            self._query,
            page_no,
            page_size,
            ticket=self._place,
            walk=self.stats,
            max_wait=max_wait,
        )

    def _yielding(self, records: tuple[R, ...]) -> None:
        hooks = self._runner.hooks
        if hooks and records:
            event = PageYielded(self._endpoint.name, len(records))
            hooks.emit("page_yielded", event, self._runner.stats, self.stats)

    async def _next_answer(self) -> Answer[R]:
        """The next request to finish, as an answer for the walk (lowest ticket first)."""
        tasks = self._tasks
        if not tasks:  # the walk always has a request out until it ends
            raise RuntimeError("the walk is waiting for an answer but nothing is in flight")
        done = [task for task in tasks if task.done()]
        if not done:
            finished, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            done = list(finished)
        task = min(done, key=tasks.__getitem__)
        ticket = tasks.pop(task)
        if task.cancelled():
            if self._runner.closed:
                # close() stopped the page, not a cancellation of the caller's task.
                raise AssetClientError("the AssetClient was closed during the walk")
            raise asyncio.CancelledError
        error = task.exception()
        if error is None:
            page: PageOf[R] = task.result()
            return Served(ticket, page.items, page.total)
        if isinstance(error, AssetClientError):
            return Failed(ticket, error)
        raise error

    def _feed(self, answer: Answer[R]) -> list[Action[R]]:
        """Give the walk an answer; add what it counted since to both sets of stats."""
        self._by_ticket.pop(answer.ticket, None)
        walk = self._walk
        actions = walk.feed(answer)
        now = _Counts(walk.duplicates, walk.total_decreases, walk.replans)
        before = self._counted
        for counters in (self._runner.stats, self.stats):
            counters.duplicates_dropped += now.duplicates - before.duplicates
            counters.total_decreases += now.total_decreases - before.total_decreases
            counters.replans += now.replans - before.replans
            counters.expected_total = walk.total
        self._counted = now
        if walk.fell_back:
            self._runner.remember_fallback(self._endpoint)
        return actions

    def _report_arrivals(self) -> None:
        """Records that arrived before the walk's position while it ran (the top of a
        newest-first list) are not in it: counted and logged.  (A frozen window, as the
        invitee list's `Endpoint.prepare` makes, keeps new registrations out altogether.)"""
        arrived = self._walk.arrived_behind
        if not arrived:
            return
        self._runner.stats.arrived_during_walk += arrived
        self.stats.arrived_during_walk += arrived
        logger.warning(
            "%s: %s added before the walk's position while it ran; "
            "not in this walk (walk again to get them)",
            self._endpoint.name,
            "1 record was" if arrived == 1 else f"{arrived} records were",
        )

    async def _cancel(self, stopping: list[asyncio.Task[Any]]) -> None:
        for task in stopping:
            self._tasks.pop(task, None)
            task.cancel()
        if stopping:
            await asyncio.gather(*stopping, return_exceptions=True)
