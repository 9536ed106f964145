"""``python -m benchmarks [--quick] [--out benchmarks/RESULTS.md]``

Runs every measurement, prints the markdown report on stdout (progress on stderr) and
exits 1 if this client was rejected by the sandbox's window or lost, duplicated or
reordered records.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from benchmarks.report import failures, render
from benchmarks.suite import FULL, QUICK, run_suite


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="asset_client benchmarks against the local sandbox (prints markdown).",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a smaller run (~30 s) for smoke testing"
    )
    parser.add_argument("--out", type=Path, help="also write the report to this file")
    args = parser.parse_args(argv)
    # The default limiter shares a key's budget with every process of this user here;
    # the run gets a budget of its own so nothing else on the machine skews it.
    os.environ["ASSET_CLIENT_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="asset-client-bench-")
    profile = QUICK if args.quick else FULL
    command = "python -m benchmarks" + (" --quick" if args.quick else "")
    results = run_suite(profile)
    report = render(results, command)
    from benchmarks.store import render_store, run_store  # the history store's section

    store = run_store(40_000 if args.quick else 250_000, 1 if args.quick else 3)
    report += "\n" + render_store(store)
    print(report)
    if args.out is not None:
        args.out.write_text(report)
        print(f"written to {args.out}", file=sys.stderr)
    problems = failures(results)
    if not store.exact:
        problems.append("history store: counts or changes differ from what was synced")
    for problem in problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
