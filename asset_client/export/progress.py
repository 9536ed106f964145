"""Progress on stderr: a live bar for a person at a terminal, plain lines for logs.

A bar redraws in place, which turns a CI log or a cron mail into noise, so a
stream that is not a TTY gets a line now and then instead
(``2026-05-01T02:00:00.000Z progress: 12000/250000 records, 13 requests, 4.5 req/s``,
timestamped, or a JSON object with ``--log-format json``; nothing with ``--quiet``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol, TextIO

from tqdm import tqdm

from asset_client.export.console import Console, plural

__all__ = ["BarProgress", "NoProgress", "PlainProgress", "Progress", "make_progress"]

Clock = Callable[[], float]


class Progress(Protocol):
    def update(self, records: int, total: int | None, requests: int) -> None:
        """``records`` written so far (resumed ones included), the server's ``total``
        once known, and the requests this walk sent."""

    def close(self) -> None:
        """Stop drawing; call before printing anything else on the stream."""


def _requests_text(requests: int, elapsed: float) -> str:
    """``13 requests, 4.5 req/s``.  The rate counts the gaps between requests (the
    first goes out at once) over at least a second, so a walk held to 5 req/s never
    reads as faster than that to someone watching the limit."""
    if requests < 2:
        return plural(requests, "request")
    return f"{plural(requests, 'request')}, {(requests - 1) / max(elapsed, 1.0):.1f} req/s"


class PlainProgress:
    """One line at the first update, then at most one every ``interval`` seconds."""

    def __init__(
        self,
        console: Console | TextIO,
        *,
        interval: float = 2.0,
        clock: Clock = time.monotonic,
        label: str | None = None,
    ):
        self._console = console if isinstance(console, Console) else Console(console)
        self._label = label  # what is counted, when a run has several walks
        self._interval = interval
        self._clock = clock
        self._started = clock()
        self._last: float | None = None

    def update(self, records: int, total: int | None, requests: int) -> None:
        now = self._clock()
        if self._last is not None and now - self._last < self._interval:
            return
        self._last = now
        done = f"{records}/{total}" if total is not None else f"{records}"
        label = {} if self._label is None else {"dataset": self._label}
        self._console.emit(
            "progress",
            f"progress: {self._label + ': ' if self._label else ''}{done} records, "
            f"{_requests_text(requests, now - self._started)}",
            **label,
            records=records,
            total=total,
            requests=requests,
        )

    def close(self) -> None:
        pass


class BarProgress:
    """A tqdm bar of records against the server's total, with the request rate."""

    def __init__(
        self,
        stream: TextIO,
        *,
        initial: int = 0,
        clock: Clock = time.monotonic,
        mininterval: float = 0.1,
        label: str | None = None,
    ):
        self._clock = clock
        self._started = clock()
        self._bar = tqdm(
            desc=label,  # which dataset, when a run has several walks
            total=None,
            initial=initial,
            unit=" records",
            file=stream,
            dynamic_ncols=True,
            leave=False,  # the summary line replaces it
            mininterval=mininterval,
        )

    def update(self, records: int, total: int | None, requests: int) -> None:
        if total is not None and self._bar.total != total:
            self._bar.total = max(total, records)
            self._bar.refresh()  # the ETA appears as soon as the total is known
        postfix = _requests_text(requests, self._clock() - self._started)
        self._bar.set_postfix_str(postfix, refresh=False)
        self._bar.update(records - self._bar.n)

    def close(self) -> None:
        self._bar.close()


class NoProgress:
    """``--quiet``: nothing at all."""

    def update(self, records: int, total: int | None, requests: int) -> None:
        pass

    def close(self) -> None:
        pass


def make_progress(
    console: Console | TextIO, *, initial: int = 0, label: str | None = None
) -> Progress:
    """A bar on a terminal, plain lines anywhere else, nothing when quiet; ``label``
    names what it counts (a dataset, when a run walks several)."""
    if not isinstance(console, Console):
        console = Console(console)
    if console.quiet:
        return NoProgress()
    if console.wants_bar:
        return BarProgress(console.stream, initial=initial, label=label)
    return PlainProgress(console, label=label)
