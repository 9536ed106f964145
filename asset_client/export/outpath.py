"""What ``--out`` names: a regular file to replace atomically, or a stream to write
through (a pure-ish look at the file system, no writes).

The sharp edge: the export replaces its target by renaming a finished file onto it.
Done to ``/dev/null``, a FIFO or the ``/dev/stdout`` symlink, that rename would put a
regular file where the node or link was (as root, the machine's own ``/dev/null``).
So only a regular file (or a new name) is ever replaced; a character device or a FIFO
is written through, as ``--out -`` writes to stdout; anything else is refused.  A
symlink to a regular file is followed: the file it points to is replaced, the link
stays.

Every command that writes ``--out`` (export of each dataset, report, changes) goes
through `checked_out` and, for whole files, `write_whole` or `whole_file`: one set of
rules, one implementation.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from attrs import frozen

from asset_client.export.files import fsync_dir, partial_path, remove_stale_temp_files

__all__ = [
    "OutTarget",
    "OutTargetError",
    "checked_out",
    "open_stream",
    "resolve_out",
    "text_of",
    "whole_file",
    "write_whole",
]


class OutTargetError(ValueError):
    """``--out`` names something the export must not write to."""


@frozen
class OutTarget:
    file: Path | None = None  #: a regular file (existing or new) to replace atomically
    stream: Path | None = None  #: a device or FIFO to write through, never replaced

    @property
    def is_stdout(self) -> bool:
        return self.file is None and self.stream is None


def resolve_out(text: str) -> OutTarget:
    """Classify ``--out TEXT``; raise `OutTargetError` with a clear message."""
    if text == "-":
        return OutTarget()
    if not text:
        raise OutTargetError("--out is empty: name a file, or - for stdout")
    path = Path(text)
    try:
        info = os.stat(path)  # follows symlinks: what a write would reach
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise OutTargetError(f"--out {text!r}: cannot inspect it ({exc.strerror})") from None
    if info is None:
        # New, or a dangling link: a link's target is created, the link is kept.
        return OutTarget(file=_through_links(path))
    mode = info.st_mode
    if stat.S_ISDIR(mode):
        raise OutTargetError(f"--out {text!r} is a directory; name a file")
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return OutTarget(stream=path)
    if not stat.S_ISREG(mode):
        kind = "a block device" if stat.S_ISBLK(mode) else "not a regular file"
        raise OutTargetError(
            f"--out {text!r} is {kind}; refusing to write an export to it "
            "(name a regular file, or - for stdout)"
        )
    real = _through_links(path)
    if str(real).startswith("/proc/"):
        # /dev/stdout -> /proc/self/fd/1 that does not resolve to a path: write through.
        return OutTarget(stream=path)
    return OutTarget(file=real)


def _through_links(path: Path) -> Path:
    if not path.is_symlink():
        return path
    return Path(os.path.realpath(path))


def checked_out(text: str, *, resume: bool = False) -> OutTarget:
    """`resolve_out`, and ``--resume`` refused where no checkpoint can be kept."""
    target = resolve_out(text)
    if resume and target.is_stdout:
        raise OutTargetError("--resume needs a file: --out - (stdout) keeps no checkpoint")
    if resume and target.stream is not None:
        raise OutTargetError(
            f"--resume needs a regular file: --out {text!r} is a device or pipe, "
            "written through with no checkpoint"
        )
    return target


def open_stream(path: Path) -> BinaryIO:
    """Open a device or FIFO for writing, never creating or truncating a regular file
    (it must still be what `resolve_out` saw).  Blocks on a FIFO until a reader comes."""
    fd = os.open(path, os.O_WRONLY | getattr(os, "O_NOCTTY", 0))
    if stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OutTargetError(f"--out {path} became a regular file; run again")
    return os.fdopen(fd, "wb")


@contextlib.contextmanager
def whole_file(target: OutTarget, mode: int, stdout: BinaryIO | None = None) -> Iterator[BinaryIO]:
    """Where a one-shot output goes: ``stdout``, the device or FIFO written through, or
    a hidden ``.NAME.partial`` (created with ``mode``) that replaces the file only when
    the block ends without an error, after an fsync."""
    if target.is_stdout:
        out = stdout or sys.stdout.buffer
        yield out
        out.flush()
        return
    if target.stream is not None:
        with open_stream(target.stream) as stream:
            yield stream
        return
    assert target.file is not None
    remove_stale_temp_files(target.file)
    partial = partial_path(target.file)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, target.file)
        fsync_dir(target.file.parent)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def write_whole(target: OutTarget, data: bytes, mode: int, stdout: BinaryIO | None = None) -> None:
    """Write ``data`` as the whole output (see `whole_file`)."""
    with whole_file(target, mode, stdout) as file:
        file.write(data)


def text_of(binary: BinaryIO) -> io.TextIOWrapper:
    """A UTF-8 text view of ``binary`` for CSV/JSONL writers (newlines as written)."""
    return io.TextIOWrapper(binary, encoding="utf-8", newline="", write_through=True)
