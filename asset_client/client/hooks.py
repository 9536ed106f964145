"""Hooks: events for metrics and tracing, kept apart from the request and walk logic.

Subclass `Hooks`, override the methods you need and pass instances to
``AssetClient(hooks=[...])``.  Each method gets one frozen event.  Hooks are called
synchronously on the event loop, in the order given, so they must be quick (count,
observe, enqueue) and must not block.

Sharp edge: a hook that raises does not break the request or the walk.  Its exception
(any `Exception`; a `KeyboardInterrupt` or other `BaseException` propagates) is logged
at WARNING with its traceback on the ``asset_client`` logger, counted in
``stats.hook_errors``, and the other hooks still run.  Metrics must never cost data.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Iterable
from typing import Literal

from attrs import frozen

from asset_client.client.stats import Stats, WalkStats
from asset_client.errors import InvalidParameterError

__all__ = [
    "AnswerReceived",
    "HookRunner",
    "Hooks",
    "PageYielded",
    "RateLimitPause",
    "RequestSent",
    "RetryScheduled",
    "WalkDone",
]

logger = logging.getLogger("asset_client")


@frozen
class RequestSent:
    """A request left (after the limiter let it go).  Told once the attempt is over,
    just before its `AnswerReceived`; a send given up before anything was written (a
    pause began while its connection opened) is not told."""

    endpoint: str  #: ``"assets"``, ``"invitees"`` or ``"volume"``
    page_no: int
    uid: int | None  #: the uid filter, if any (a lookup)
    attempt: int  #: 1 for the first try, 2 for the first retry, ...


@frozen
class AnswerReceived:
    """An answer came back, or the attempt failed without one."""

    endpoint: str
    page_no: int
    uid: int | None
    attempt: int
    status: int | None  #: the HTTP status; None when no answer came (connection, timeout)
    elapsed: float  #: seconds from sending to the answer (or failure)
    #: None for a good page; else the error's class name (``"ServerError"``,
    #: ``"RateLimitError"``, ``"TransportError"``...), also when an answer came but could
    #: not be used (a 503, a 29001, a truncated body)
    error: str | None


@frozen
class RetryScheduled:
    """A failed attempt will be tried again after ``wait`` seconds."""

    endpoint: str
    page_no: int
    uid: int | None
    attempt: int  #: the attempt that failed
    reason: str  #: the error's class name and message (no secrets)
    wait: float
    rate_limited: bool  #: the server refused for rate (29001 / 429): a pause follows too


@frozen
class RateLimitPause:
    """The server refused for rate: every sender of this key pauses (every endpoint, every
    process sharing its budget), also when this call then gives up.  ``wait`` is how long
    the key is held from now: this call's pause, or a longer one already in force."""

    endpoint: str
    page_no: int
    uid: int | None
    wait: float


@frozen
class PageYielded:
    """A walk handed ``records`` records of an answered page to the caller (records of
    several pages at once when pages arrived out of order)."""

    endpoint: str
    records: int


@frozen
class WalkDone:
    """A walk ended: it finished, failed (``error``), or was closed early / cancelled."""

    endpoint: str
    outcome: Literal["finished", "failed", "closed"]
    stats: WalkStats  #: the walk's own counters (the same object as the walk's ``stats``)
    elapsed: float  #: seconds from the first record asked to the end
    error: BaseException | None = None


class Hooks:
    """The hook protocol: every method is a no-op here; override what you need."""

    def request_sent(self, event: RequestSent) -> None:
        """A request left."""

    def answer_received(self, event: AnswerReceived) -> None:
        """An answer came back (or the attempt failed without one)."""

    def retry_scheduled(self, event: RetryScheduled) -> None:
        """A failed attempt will be retried."""

    def rate_limit_pause(self, event: RateLimitPause) -> None:
        """The key's limiter pauses after a server rejection."""

    def page_yielded(self, event: PageYielded) -> None:
        """A walk handed records to the caller."""

    def walk_done(self, event: WalkDone) -> None:
        """A walk ended."""


_METHODS = tuple(name for name in vars(Hooks) if not name.startswith("_"))


class HookRunner:
    """Calls every hook's method for an event; a hook that raises is logged and counted."""

    __slots__ = ("_hooks",)

    def __init__(self, hooks: Iterable[Hooks] = ()) -> None:
        hooks = tuple(hooks)
        for hook in hooks:
            if not any(callable(getattr(hook, name, None)) for name in _METHODS):
                raise InvalidParameterError(
                    f"hooks must be Hooks objects (with any of {', '.join(_METHODS)}), "
                    f"got {hook!r}",
                    field="hooks",
                )
        self._hooks = hooks

    def __bool__(self) -> bool:
        return bool(self._hooks)

    def emit(self, method: str, event: object, *counters: Stats) -> None:
        for hook in self._hooks:
            call = getattr(hook, method, None)
            if call is None:
                continue
            try:
                result = call(event)
                if inspect.isawaitable(result):
                    # An async hook would run nowhere: say so rather than drop it silently.
                    if inspect.iscoroutine(result):
                        result.close()
                    raise TypeError(
                        "hooks are called synchronously; this one returned an awaitable"
                    )
            except Exception:
                for stats in counters:
                    stats.hook_errors += 1
                logger.warning(
                    "hook %s.%s raised; ignored (the walk goes on)",
                    type(hook).__name__,
                    method,
                    exc_info=True,
                )
