"""The export's files: a hidden partial file that becomes the target, and atomic writes.

Records of any partner dataset (assets, invitees, volume) go to a hidden partial file beside
the target, which replaces the target only when complete, so a file at the target path is
always a whole export.  Every file is created owner-only (0600) unless the caller passes
another mode (the umask still applies): they hold third parties' financial data.

Sharp edge: only one run may write a partial file at a time (an advisory lock, POSIX); the
lock goes with the process, so a crash never leaves a stale one, and a second run is
refused before it truncates anything.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

from asset_client.export import sums as _sums
from asset_client.export.errors import CheckpointError, ExportBusyError
from asset_client.export.rows import OutputFormat, format_decimal, rows_of
from asset_client.records import InviteeAsset

__all__ = [
    "DEFAULT_FILE_MODE",
    "FIELDS",
    "OutputFormat",
    "PartialFile",
    "Sums",
    "atomic_write",
    "checkpoint_path",
    "finish_completed",
    "format_decimal",
    "fsync_dir",
    "partial_is_busy",
    "partial_path",
    "prefix_lines",
    "remove_stale_temp_files",
]

#: Export, partial and checkpoint files: readable and writable by the owner only.
DEFAULT_FILE_MODE = 0o600


def partial_path(target: Path) -> Path:
    """Where records go until the export is complete: hidden, beside the target (same
    directory, so the final rename is atomic)."""
    return target.with_name(f".{target.name}.partial")


def checkpoint_path(target: Path) -> Path:
    """Visible on purpose: it tells the user there is an export to resume."""
    return target.with_name(f"{target.name}.checkpoint.json")


def fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable (POSIX only: Windows cannot open a directory)."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _temp_prefix(path: Path) -> str:
    return f".{path.name}.tmp-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's process: alive
    return True


def remove_stale_temp_files(path: Path) -> list[Path]:
    """Delete the ``.NAME.tmp-PID`` files `atomic_write` left for ``path`` in processes
    that died mid-write (no longer running); return what was deleted."""
    if os.name != "posix":  # pragma: no cover - no os.kill(pid, 0) probe
        return []
    prefix = _temp_prefix(path)
    removed = []
    try:
        names = os.listdir(path.parent)
    except OSError:
        return []
    for name in names:
        pid_text = name.removeprefix(prefix)
        if name == pid_text or not (pid_text.isascii() and pid_text.isdigit()):
            continue
        pid = int(pid_text)
        if pid == os.getpid() or _alive(pid):
            continue
        stale = path.with_name(name)
        try:
            stale.unlink()
        except OSError:
            continue
        removed.append(stale)
    return removed


def atomic_write(path: Path, data: bytes, mode: int = DEFAULT_FILE_MODE) -> None:
    """Replace ``path`` with ``data`` so that readers see the old or the new content,
    never a torn mix, even if the process dies midway.  A new file gets ``mode``."""
    tmp = path.with_name(f"{_temp_prefix(path)}{os.getpid()}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def _lock(file: BinaryIO, path: Path) -> None:
    """Refuse a second export writing the same partial file at the same time (POSIX;
    the lock goes away with the process, so a crash never leaves a stale one)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return
    try:
        fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise ExportBusyError(
            f"another export is writing {path} right now; wait for it to finish"
        ) from None


class PartialFile:
    """The file being written, beside the target, that becomes the target on `commit`.

    ``resume_at=None`` starts it empty; otherwise it is cut back to ``resume_at`` bytes
    (whatever came after the last checkpoint is fetched again), and a file shorter than
    that raises `CheckpointError`: its records were lost, the checkpoint cannot hold.
    """

    def __init__(
        self, path: Path, *, resume_at: int | None = None, mode: int = DEFAULT_FILE_MODE
    ) -> None:
        self.path = path
        flags = os.O_RDWR | (os.O_CREAT if resume_at is None else 0)
        try:
            fd = os.open(path, flags, mode)
        except FileNotFoundError:
            if resume_at is None:
                raise  # no such folder: a local failure, not a checkpoint problem
            raise CheckpointError(f"the partial file {path} is missing") from None
        file = os.fdopen(fd, "r+b")
        try:
            _lock(file, path)  # before truncating: never cut another run's file
            if resume_at is None:
                resume_at = 0
            else:
                size = os.fstat(fd).st_size
                if size < resume_at:
                    raise CheckpointError(
                        f"the partial file {path} has {size} bytes, "
                        f"the checkpoint needs {resume_at}"
                    )
            file.truncate(resume_at)
            file.seek(resume_at)
        except BaseException:
            file.close()
            raise
        self._file: BinaryIO = file

    def write(self, data: bytes) -> None:
        self._file.write(data)

    def sync(self) -> int:
        """Flush to disk; the byte length now safe to checkpoint."""
        self._file.flush()
        os.fsync(self._file.fileno())
        return self._file.tell()

    def commit(self, target: Path) -> None:
        """Make the complete file the target, atomically."""
        self.sync()
        self._file.close()
        os.replace(self.path, target)
        fsync_dir(target.parent)

    def close(self) -> None:
        self._file.close()

    def discard(self) -> None:
        self._file.close()
        self.path.unlink(missing_ok=True)


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def finish_completed(target: Path, checkpoint: Path, partial_bytes: int) -> None:
    """Finish an export whose checkpoint says ``complete`` (its run was killed around
    the final rename): do the rename if the kill came before it, check the target has
    the recorded size, and remove the checkpoint.  Shared by every exporter.

    Raises `CheckpointError` if the target is missing or of another size.
    """
    partial = partial_path(target)
    if _size(partial) == partial_bytes:
        os.replace(partial, target)  # killed just before the rename: finish it
        fsync_dir(target.parent)
    if _size(target) != partial_bytes:
        raise CheckpointError(
            f"{checkpoint} says the export to {target} completed, but that file is "
            f"missing or has another size"
        )
    checkpoint.unlink(missing_ok=True)


def partial_is_busy(path: Path) -> bool:
    """Whether another export holds the lock on the partial file ``path`` right now."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return False
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False  # no partial file: nobody is writing it
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing releases a lock taken here
    return False


def prefix_lines(path: Path, size: int) -> Iterator[str]:
    """The lines of the first ``size`` bytes of ``path`` (what its checkpoint covers), read
    as they are needed: a resume never holds the whole file in memory."""
    with open(path, "rb") as file:
        left = size
        while left > 0:
            line = file.readline(left)
            if not line:
                return
            left -= len(line)
            # A UTF-8 line ends at b"\n", which no multi-byte character contains.
            yield line.decode()


# -- for store/ and cli/ as at 5971bd3, which import these from here: drop this block once
# they import from the new homes (rows, sums) or render their own (the store) ------------------

#: The assets' columns, in order.
FIELDS: tuple[str, ...] = rows_of(InviteeAsset).fields
_EXACT = _sums.EXACT
_ASSET_AMOUNTS = _sums.amount_fields(InviteeAsset)


class Sums(_sums.Sums):
    """`asset_client.export.sums.Sums` over the assets' amounts, as store/ used it at
    5971bd3: ``Sums()`` starts them at zero and ``sums.total_deposit`` reads one."""

    def __init__(
        self, records: int = 0, amounts: dict[str, Decimal] | None = None, **named: Decimal
    ) -> None:
        zero = dict.fromkeys(_ASSET_AMOUNTS, Decimal(0))
        super().__init__(records, {**zero, **(amounts or {}), **named})

    def __getattr__(self, name: str) -> Decimal:
        if name == "amounts":  # not set yet: never look it up through itself
            raise AttributeError(name)
        try:
            return self.amounts[name]
        except KeyError:
            raise AttributeError(name) from None
