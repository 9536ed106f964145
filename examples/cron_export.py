"""A nightly export, as cron runs it: the command line, a summary file, one resume.

Run it: ``.venv/bin/python examples/cron_export.py [DIRECTORY]``.  It exports from the
embedded sandbox (``--sandbox``); against CoinW drop ``--sandbox`` and set
``COINW_API_KEY``/``COINW_SECRET_KEY`` (or ``--credentials-file``).  The crontab line
it stands for::

    15 2 * * *  cd /srv/exports && asset-client export --out invitees.csv \\
                  --summary-json summary.json --log-format json 2>>export.log \\
                || asset-client export --out invitees.csv --resume \\
                  --summary-json summary.json --log-format json 2>>export.log

What it shows: the exit status decides (4 and 130 are worth a ``--resume``; 2, 3 and 5
need a person), ``--summary-json`` gives counts and exact sums to monitoring without
parsing stderr, and ``--log-format json`` makes the log machine-readable.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

RESUMABLE = {4, 130}  # gave up after retries, interrupted: a --resume continues


def export(directory: Path, *extra: str) -> int:
    command = [sys.executable, "-m", "asset_client", "export", "--sandbox"]
    command += ["--out", "invitees.csv", "--summary-json", "summary.json"]
    command += ["--log-format", "json", *extra]
    with open(directory / "export.log", "a") as log:
        return subprocess.run(command, cwd=directory, stderr=log, check=False).returncode  # noqa: S603


def main() -> int:
    directory = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp())
    status = export(directory)
    if status in RESUMABLE:
        status = export(directory, "--resume")
    summary = json.loads((directory / "summary.json").read_text())
    print(f"status {summary['status']} (exit {summary['exit_status']})")
    print(f"{summary['records']} records in {directory / 'invitees.csv'}")
    print(f"total deposits {summary['sums']['total_deposit']}")
    print(f"{summary['requests']} requests, {summary['retries']} retries")
    kinds = {json.loads(line)["kind"] for line in (directory / "export.log").open()}
    print(f"log line kinds: {', '.join(sorted(kinds))}")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
