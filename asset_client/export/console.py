"""The command line's stderr: progress, notes, log records and errors, as text or JSON lines.

Sharp edge: with ``--log-format json`` every line on stderr is one JSON object (so the
live bar is off); ``--quiet`` drops progress, notes and the summary line but never a
warning or an error.  In text mode progress and log lines start with a UTC timestamp;
the final summary and error lines do not, so they stay easy to grep.  Everything passes
the redaction filter.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TextIO

from asset_client.client.log import RedactingFilter, redact

__all__ = ["FORMATS", "Console", "format_age", "plural"]

FORMATS = ("text", "json")
_QUIETED = frozenset({"progress", "note", "summary"})
_TIMESTAMPED = frozenset({"progress", "log"})


def plural(count: int, noun: str, plural_noun: str | None = None) -> str:
    """``1 record``, ``2 records``, ``1 retry``, ``3 retries``."""
    if count == 1:
        return f"{count} {noun}"
    if plural_noun is None:
        plural_noun = f"{noun[:-1]}ies" if noun.endswith("y") else f"{noun}s"
    return f"{count} {plural_noun}"


def format_age(seconds: float) -> str:
    """A duration for people: ``40 s``, ``12 min``, ``3 h 5 min``, ``2 days``."""
    seconds = max(seconds, 0.0)
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = int(seconds // 60)
    if minutes < 120:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{hours // 24} days"


def _timestamp(moment: float) -> str:
    return (
        datetime.fromtimestamp(moment, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


class Console:
    """Where every line the command prints on stderr goes through."""

    def __init__(
        self,
        stream: TextIO,
        *,
        fmt: str = "text",
        quiet: bool = False,
        prog: str = "asset-client",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"log format must be one of {FORMATS}, got {fmt!r}")
        self.stream = stream
        self.json = fmt == "json"
        self.quiet = quiet
        self.prog = prog
        self._clock = clock

    @property
    def wants_bar(self) -> bool:
        """A live bar only for a person at a terminal, in text mode, not quieted."""
        if self.json or self.quiet:
            return False
        try:
            return self.stream.isatty()
        except (AttributeError, ValueError):  # closed or exotic streams
            return False

    def emit(self, kind: str, message: str, **fields: object) -> None:
        """One line: ``kind`` is progress, note, summary, log, warning or error."""
        if self.quiet and kind in _QUIETED:
            return
        message = redact(message)
        now = self._clock()
        if self.json:
            doc: dict[str, object] = {"time": _timestamp(now), "kind": kind, "message": message}
            doc.update(fields)
            line = json.dumps(doc, default=str)
        elif kind in _TIMESTAMPED:
            line = f"{_timestamp(now)} {message}"
        else:
            line = message
        print(line, file=self.stream, flush=True)

    def note(self, message: str, **fields: object) -> None:
        self.emit("note", f"{self.prog}: {message}", **fields)

    def error(self, message: str, **fields: object) -> None:
        self.emit("error", message, **fields)

    def handler(self) -> logging.Handler:
        """A logging handler that writes records through this console."""
        return _ConsoleHandler(self)


class _ConsoleHandler(logging.Handler):
    def __init__(self, console: Console) -> None:
        super().__init__()
        self._console = console
        self.addFilter(RedactingFilter())

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            if record.exc_text:
                message = f"{message}\n{record.exc_text}"
            if self._console.json:
                self._console.emit(
                    "log", message, level=record.levelname.lower(), logger=record.name
                )
            else:
                self._console.emit("log", f"{self._console.prog}: {record.levelname}: {message}")
        except Exception:
            self.handleError(record)
