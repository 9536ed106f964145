"""What ``--out`` names: a regular file to replace atomically, or a stream to write
through (a pure-ish look at the file system, no writes).

The sharp edge: the export replaces its target by renaming a finished file onto it.
Done to ``/dev/null``, a FIFO or the ``/dev/stdout`` symlink, that rename would put a
regular file where the node or link was (as root, the machine's own ``/dev/null``).
So only a regular file (or a new name) is ever replaced; a character device or a FIFO
is written through, as ``--out -`` writes to stdout; anything else is refused.  A
symlink to a regular file is followed: the file it points to is replaced, the link
stays.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from attrs import frozen

__all__ = ["OutTarget", "OutTargetError", "resolve_out"]


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
