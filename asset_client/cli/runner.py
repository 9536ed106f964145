"""Running a command the same way for all: signals, errors, exit status, summary, logging.

A command hands `run_job` a `Job`: its checks (done before any I/O, so a bad value exits
2 with nothing written), its work, and how it words an interruption, a failure and its
``--summary-json``.  Sharp edge: SIGINT and SIGTERM cancel the work (so ``finally``
blocks and context managers clean up) rather than killing the process; the job decides
what an interruption leaves behind and says so.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import time
import traceback
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

from asset_client.cli.base import PROG
from asset_client.cli.exits import (
    EXIT_BROKEN_PIPE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    exit_code_for,
    failure_line,
)
from asset_client.client import log as _logging
from asset_client.client.log import redact
from asset_client.export.console import Console, plural
from asset_client.export.files import atomic_write
from asset_client.export.run import ExportState
from asset_client.export.summary import summary_document

__all__ = ["Job", "OutputJob", "ReadJob", "logging_to", "run_job", "until_signal"]

logger = _logging.get_logger()

Work = Callable[[], Awaitable[int]]


class Job(Protocol):
    """One run of a command, as `run_job` drives it."""

    @property
    def writes_stdout(self) -> bool:
        """A reader closing stdout ends the run quietly (141) instead of failing it."""

    def prepare(self) -> Work:
        """Check everything that can be checked without I/O; return the work."""

    def failure_line(self, exc: BaseException) -> str:
        """The one line that says what stopped the run and what to do."""

    def interrupted(self) -> int:
        """Say what an interruption left behind; return the exit status."""

    def summary(self, exit_status: int, error: str | None, elapsed: float) -> dict[str, Any] | None:
        """The ``--summary-json`` document; None for a command that writes none."""


class OutputJob(abc.ABC):
    """A command that writes one output from its walks (export, report): what the run left
    behind is in ``state``, and ``--summary-json`` reports it."""

    def __init__(self, args: Any, console: Console) -> None:
        self.args = args
        self.console = console
        self.state = ExportState()

    @property
    def writes_stdout(self) -> bool:
        return bool(self.args.out == "-")

    @abc.abstractmethod
    def prepare(self) -> Work:
        """The command's own checks, then its work."""

    def failure_line(self, exc: BaseException) -> str:
        return failure_line(exc, self.state, self.args.out)

    def interrupted(self) -> int:
        state = self.state
        if state.completed:
            # The signal came while closing down: the file is already complete and in place.
            self.console.note("interrupted after the export completed; the output is complete")
            return EXIT_OK
        line = f"{PROG}: interrupted"
        if state.resumable:
            line += (
                f"; {plural(state.records_saved, 'record')} saved; "
                "run the same command with --resume to continue"
            )
        self.console.error(line, exit_status=EXIT_INTERRUPTED)
        return EXIT_INTERRUPTED

    def summary(self, exit_status: int, error: str | None, elapsed: float) -> dict[str, Any] | None:
        out = self.args.out
        return summary_document(
            state=self.state,
            exit_status=exit_status,
            error=error,
            elapsed=elapsed,
            destination=None if out in (None, "-") else out,
        )


class ReadJob:
    """A command that reads and writes rows (to stdout or ``--out``): no resume, no summary."""

    writes_stdout = True

    def __init__(self, console: Console, work: Callable[[], Work], out: str | None = None) -> None:
        self._console = console
        self._work = work
        self._out = out  # --out: a failed write names it ("No space left on device")

    def prepare(self) -> Work:
        return self._work()

    def failure_line(self, exc: BaseException) -> str:
        return failure_line(exc, out=self._out)

    def interrupted(self) -> int:
        self._console.error(f"{PROG}: interrupted", exit_status=EXIT_INTERRUPTED)
        return EXIT_INTERRUPTED

    def summary(self, exit_status: int, error: str | None, elapsed: float) -> dict[str, Any] | None:
        return None


def run_job(args: Any, console: Console, job: Job) -> int:
    """Run ``job``; write its ``--summary-json`` (if asked) whatever the outcome."""
    started = time.monotonic()
    target = getattr(args, "summary_json", None)
    problem = None if target is None else summary_target_problem(target)
    if problem is not None:  # before any request: a run whose summary is lost is no run
        console.error(f"{PROG}: error: {problem}", exit_status=EXIT_USAGE)
        return EXIT_USAGE
    status, error = _run(args, console, job)
    if target is not None and status != EXIT_BROKEN_PIPE:
        doc = job.summary(status, error, time.monotonic() - started)
        if doc is not None:
            _write_summary(console, target, doc)
    return status


def summary_target_problem(target: str) -> str | None:
    """Why ``--summary-json target`` could not be written (None: it can, as far as can
    be told without writing)."""
    if target == "-":
        return None
    if not target:
        return "--summary-json is empty: name a file, or - for stdout"
    path = Path(target)
    if path.is_dir():
        return f"--summary-json {target!r} is a directory: name a file in it"
    if not path.parent.is_dir():
        return f"--summary-json {target!r}: the directory {str(path.parent)!r} does not exist"
    return None


def _run(args: Any, console: Console, job: Job) -> tuple[int, str | None]:
    """The exit status, and the failure line if an error stopped the run."""
    interrupted = False
    try:
        work = job.prepare()
        status, interrupted = asyncio.run(until_signal(work))
        if status is not None:
            return status, None
    except KeyboardInterrupt:  # a Ctrl-C before the handlers were in place
        interrupted = True
    except BrokenPipeError:
        if not job.writes_stdout:
            raise
        _silence_stdout()
        return EXIT_BROKEN_PIPE, None
    except Exception as exc:
        line = job.failure_line(exc)
        status = exit_code_for(exc)
        details: dict[str, object] = {"exit_status": status}
        if getattr(args, "debug", False):
            if console.json:
                details["traceback"] = redact(traceback.format_exc())
            else:
                traceback.print_exc(file=console.stream)
        console.error(line, **details)
        return status, line
    assert interrupted
    return job.interrupted(), None


async def until_signal(work: Work) -> tuple[int | None, bool]:
    """Run ``work``; SIGINT/SIGTERM cancel it.  Returns (status, interrupted)."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    received: list[int] = []

    def on_signal(signum: int) -> None:
        received.append(signum)
        task.cancel()

    installed = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, on_signal, signum)
            installed.append(signum)
        except (NotImplementedError, RuntimeError, ValueError):  # Windows, non-main thread
            pass
    try:
        return await work(), False
    except asyncio.CancelledError:
        if not received:
            raise
        task.uncancel()
        return None, True
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)


def _silence_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so the interpreter's final flush
    does not raise again (the recipe in Python's signal docs)."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _write_summary(console: Console, target: str, doc: dict[str, Any]) -> None:
    data = (json.dumps(doc, indent=2) + "\n").encode()
    try:
        if target == "-":
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        else:
            atomic_write(Path(target), data)
    except OSError as exc:
        console.error(f"{PROG}: error: cannot write --summary-json {target}: {exc}")


@contextlib.contextmanager
def logging_to(console: Console, debug: bool) -> Iterator[None]:
    """The library's warnings (with --debug or ASSET_CLIENT_LOG more) through the console,
    for this run only: an embedding program's logging is left as it was."""
    handler = console.handler()
    saved = logger.level, logger.propagate
    env_level = os.environ.get(_logging.ENV_LOG, "").strip().upper()
    # INFO by default: every retry and pause is said as it happens (--quiet: warnings only).
    default = "WARNING" if console.quiet else "INFO"
    level = logging.DEBUG if debug else logging.getLevelName(env_level or default)
    logger.addHandler(handler)
    logger.setLevel(level if isinstance(level, int) else logging.WARNING)
    logger.propagate = False
    _logging.mark_configured()  # ASSET_CLIENT_LOG adds no second handler
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]
