"""The ``host`` backend (the default): every process of this user on this machine that
uses a key shares one send clock, kept in a small lock-protected file.

The file lives in ``/tmp/asset-client-<uid>`` (or ``$ASSET_CLIENT_RUNTIME_DIR``), is named
by a hash of the key and holds only times.  The default depends on the user alone, not on
``XDG_RUNTIME_DIR`` or ``TMPDIR``: those differ between a login shell and cron or systemd,
and a bot and a nightly export that saw different directories would each spend the whole
budget.  It is locked with ``flock``, which
the kernel releases when its holder dies, so a killed process never leaves it locked.
The lock is only ever tried (never waited for on the event loop): another holder keeps
it for microseconds, and the loop stays free meanwhile.  A holder that keeps it (stopped,
hung) is tried again with backoff, up to `_LOCK_RETRY_MAX` apart, and the wait is said
once at INFO, naming the file.

Sharp edges: the clock is ``CLOCK_MONOTONIC``, shared by every process of one boot (the
file records the boot, and a file from an earlier boot is ignored); processes in other
containers or on other machines do not see this file — use Redis there; nor does a
systemd service with ``PrivateTmp=`` (give it ``ASSET_CLIENT_RUNTIME_DIR``).
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import os
import stat
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import asset_client.limit.clock as clock
from asset_client.limit.base import Lane, LimiterUnavailableError, Verdict

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no flock
    fcntl = None  # type: ignore[assignment]

__all__ = ["AVAILABLE", "RUNTIME_DIR_ENV", "HostLimiter", "clock_file", "default_directory"]

#: Whether this platform has ``flock`` (POSIX); without it the default is ``process``.
AVAILABLE = fcntl is not None

_RECORD_SIZE = 1024  # the file is rewritten in place, padded: never a torn tail
_LOCK_RETRY = 0.0005  # seconds before the first retry of a lock another process holds
_LOCK_RETRY_MAX = 0.05  # ... doubling up to this: a stuck holder costs no busy loop
#: A wait for the lock this long is said once at INFO (a holder that never lets go).
LOCK_NOTICE_AFTER = 1.0

logger = logging.getLogger("asset_client")


#: Names the directory of the clock files explicitly (containers sharing a volume, tests).
RUNTIME_DIR_ENV = "ASSET_CLIENT_RUNTIME_DIR"


def default_directory() -> Path:
    """The directory the host clock files go in: ``$ASSET_CLIENT_RUNTIME_DIR``, else
    ``/tmp/asset-client-<uid>`` (the same for every session of the user), else, where
    there is no ``/tmp``, the temp dir."""
    explicit = os.environ.get(RUNTIME_DIR_ENV)
    if explicit:
        return Path(explicit)
    shared_tmp = Path("/tmp")  # noqa: S108 - per-user, mode 700, ownership checked on use
    base = shared_tmp if shared_tmp.is_dir() else Path(tempfile.gettempdir())
    return base / f"asset-client-{os.getuid()}"


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def clock_file(directory: Path, key: str) -> Path:
    """The file that holds ``key``'s clock (its name is the key's hash, cut short)."""
    return directory / f"{key[:40]}.clock"


class HostLimiter:
    """Send clocks shared through files in ``directory`` (default: `default_directory`)."""

    name = "host"

    def __init__(
        self,
        directory: str | os.PathLike[str] | None = None,
        now: Callable[[], float] = time.monotonic,
        *,
        notice_after: float = LOCK_NOTICE_AFTER,
    ) -> None:
        self._directory = Path(directory) if directory is not None else None
        self._notice_after = notice_after
        self._now = now
        self._boot = _boot_id()
        self._lock = threading.Lock()  # flock is per open file: threads need their own lock
        self._fds: dict[Path, int] = {}
        self._pid = os.getpid()

    def __repr__(self) -> str:
        where = "default" if self._directory is None else str(self._directory)
        return f"HostLimiter(directory={where!r})"

    @property
    def directory(self) -> Path:
        return self._directory if self._directory is not None else default_directory()

    def _open(self, key: str) -> int:
        if fcntl is None:  # pragma: no cover - Windows
            raise LimiterUnavailableError(
                "the host limiter needs POSIX file locks; use limiter='process' or a Redis URL",
                backend="host",
            )
        if self._pid != os.getpid():
            # A forked child shares its parent's open files, and with them the flock:
            # it must open its own, or parent and child would not exclude each other.
            self._fds.clear()
            self._pid = os.getpid()
        try:
            directory = self.directory
        except OSError as exc:  # no writable temp dir at all
            raise LimiterUnavailableError(
                f"host limiter: no directory for its clock files ({exc}); set "
                f"{RUNTIME_DIR_ENV} or use another limiter",
                backend="host",
            ) from None
        path = clock_file(directory, key)
        fd = self._fds.get(path)
        if fd is not None:
            return fd
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            info = directory.lstat()
            if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
                raise LimiterUnavailableError(
                    f"host limiter: {directory} is not a directory owned by this user; "
                    f"remove it or set {RUNTIME_DIR_ENV}",
                    backend="host",
                )
            if info.st_mode & 0o077:
                os.chmod(directory, 0o700)
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise LimiterUnavailableError(
                f"host limiter: cannot use {directory}: {exc.strerror or exc}", backend="host"
            ) from None
        self._fds[path] = fd
        return fd

    def _read(self, fd: int) -> clock.State:
        raw = os.pread(fd, _RECORD_SIZE, 0)
        if not raw.strip(b"\0 \n"):
            return clock.new_state()
        try:
            data = json.loads(raw.rstrip(b"\0"))
            if data.get("boot") != self._boot:
                return clock.new_state()  # written before a reboot: the clock restarted
            last = {str(k): float(v) for k, v in data["last"].items()}
            state: clock.State = {"last": last, "pause": float(data["pause"])}
        except (ValueError, KeyError, TypeError, AttributeError):
            # A damaged file: assume a send just happened rather than risk a burst.
            return {"last": {}, "pause": self._now() + 1.0}
        return state

    def _write(self, fd: int, state: clock.State) -> None:
        data = json.dumps(
            {"boot": self._boot, "pause": state["pause"], "last": state["last"]},
            separators=(",", ":"),
        ).encode()
        os.pwrite(fd, data.ljust(_RECORD_SIZE, b" "), 0)

    def _try_locked(
        self, key: str, step: Callable[[clock.State, float], Verdict | None]
    ) -> tuple[bool, Verdict | None]:
        """Run ``step`` on the key's state under the file lock, if the lock is free now."""
        with self._lock:
            fd = self._open(key)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno in (errno.EAGAIN, errno.EACCES):
                    return False, None
                raise LimiterUnavailableError(
                    f"host limiter: cannot lock: {exc.strerror}", backend="host"
                ) from None
            try:
                state = self._read(fd)
                before = json.dumps(state, sort_keys=True)
                verdict = step(state, self._now())
                if json.dumps(state, sort_keys=True) != before:
                    self._write(fd, state)
                return True, verdict
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    async def _locked(
        self, key: str, step: Callable[[clock.State, float], Verdict | None]
    ) -> Verdict | None:
        delay, started, told = _LOCK_RETRY, time.monotonic(), False
        while True:
            done, verdict = self._try_locked(key, step)
            if done:
                return verdict
            if not told and time.monotonic() - started >= self._notice_after:
                told = True
                logger.info(
                    "host limiter: waiting for the lock on this key's clock file %s, held "
                    "by another process (a stopped or hung asset-client run?)",
                    clock_file(self.directory, key),
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, _LOCK_RETRY_MAX)

    async def peek(self, key: str, lanes: tuple[Lane, ...], served: float | None) -> Verdict:
        verdict = await self._locked(key, lambda s, now: clock.peek(s, lanes, now, served))
        assert verdict is not None
        return verdict

    async def claim(self, key: str, lanes: tuple[Lane, ...], served: float | None) -> Verdict:
        verdict = await self._locked(key, lambda s, now: clock.claim(s, lanes, now, served))
        assert verdict is not None
        return verdict

    async def pause(self, key: str, seconds: float) -> None:
        def step(state: clock.State, now: float) -> None:
            clock.pause(state, now, seconds)

        await self._locked(key, step)

    def close(self) -> None:
        """Close the open clock files (they are reopened on next use)."""
        with self._lock:
            if self._pid == os.getpid():
                for fd in self._fds.values():
                    os.close(fd)
            self._fds.clear()
