"""A host-lock holder that never lets go (issue 21.8): the wait is said once at INFO and
the lock is tried with backoff, not in a busy loop.  The holder is a real process."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

import pytest

from asset_client.limit import HostLimiter, Lane
from asset_client.limit.host import clock_file

HOLDER = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
sys.stdin.read()  # holds the lock until the test closes our stdin
"""


class _Told(logging.Handler):
    def __init__(self, event: asyncio.Event) -> None:
        super().__init__(logging.INFO)
        self.event = event
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if "waiting for the lock" in record.getMessage():
            self.messages.append(record.getMessage())
            self.event.set()


@pytest.mark.skipif(sys.platform == "win32", reason="flock is POSIX")
async def test_a_stuck_holder_is_said_once_and_polled_with_backoff(tmp_path: Path) -> None:
    limiter = HostLimiter(tmp_path, notice_after=0.3)
    key = "k" * 64
    path = clock_file(tmp_path, key)
    holder = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        HOLDER,
        str(path),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert holder.stdout is not None and holder.stdin is not None
    assert (await holder.stdout.readline()).strip() == b"locked"

    tries = 0
    original = limiter._try_locked

    def counted(*args: object) -> tuple[bool, object]:  # a spy: the real method still runs
        nonlocal tries
        tries += 1
        return original(*args)  # type: ignore[arg-type]

    limiter._try_locked = counted  # type: ignore[method-assign, assignment]
    told = asyncio.Event()
    handler = _Told(told)
    logger = logging.getLogger("asset_client")
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.INFO)
    try:
        waiting = asyncio.ensure_future(limiter.peek(key, (Lane("assets", 0.2),), None))
        await asyncio.wait_for(told.wait(), timeout=30)
        assert not waiting.done()
        holder.stdin.close()  # the holder exits; the kernel releases its lock
        await holder.wait()
        verdict = await asyncio.wait_for(waiting, timeout=30)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
        limiter.close()
    assert verdict.wait == 0
    # The clock file is named (its directory and suffix: the name is derived from the key,
    # and a key another test registered as a secret may be masked inside it).
    assert len(handler.messages) == 1
    assert str(path.parent) in handler.messages[0] and ".clock" in handler.messages[0]
    # At 0.5 ms a try, 0.3 s would be ~600 tries; with backoff (capped at 50 ms) a few dozen.
    assert tries < 60, tries
