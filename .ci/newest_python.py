"""Print the newest Python interpreter on this machine newer than the running one (or nothing).

Looks on PATH (python3.N) and in pyenv's versions directory, whose shims refuse versions that
are not selected.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path


def _candidates() -> list[str]:
    found = [shutil.which(f"python3.{minor}") for minor in range(12, 20)]
    root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    found += [str(p) for p in Path(root, "versions").glob("3.*/bin/python3")]
    return [f for f in found if f]


def _version(path: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run(  # noqa: S603 - interpreters found on this machine
            [path, "-c", "import sys; print(sys.version_info[0], sys.version_info[1])"],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.fullmatch(r"(\d+) (\d+)\s*", out)
    return (int(match[1]), int(match[2])) if match else None


def main() -> None:
    best: tuple[tuple[int, int], str] | None = None
    for path in _candidates():
        version = _version(path)
        if version and version > sys.version_info[:2] and (best is None or version > best[0]):
            best = (version, path)
    if best:
        print(best[1])


if __name__ == "__main__":
    main()
