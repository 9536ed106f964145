"""``asset-client events``: the watch's outbox — every event, or those still pending.

Sharp edge: only a history a ``watch`` has run on has events; on any other file this
says so (exit 0, nothing listed) rather than failing.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from asset_client.cli import options, values
from asset_client.cli.base import PROG, Command
from asset_client.cli.exits import EXIT_OK
from asset_client.cli.rows import Writer, output, output_format
from asset_client.cli.runner import ReadJob, Work, run_job
from asset_client.export.console import Console, plural
from asset_client.store.events import EventKind
from asset_client.watch.outbox import Outbox

__all__ = ["COMMAND"]

KINDS = tuple(k.value for k in EventKind)
_HEADER = ("id", "kind", "dataset", "uid", "amount", "observed_at", "snapshot", "sent_at")


def _add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", required=True, type=Path, metavar="PATH", help="history file")
    parser.add_argument("--pending", action="store_true", help="only events not delivered yet")
    parser.add_argument(
        "--kind", action="append", choices=KINDS, default=[], help="only these (repeatable)"
    )
    parser.add_argument(
        "--since", type=values.time_or_day, metavar="DATE|TIME", help="observed at or after"
    )
    parser.add_argument("--out", metavar="FILE", help="write here (atomically) instead of stdout")
    parser.add_argument("--format", choices=("csv", "jsonl"), help="default: csv")
    options.add_logging_options(parser)
    options.add_file_mode_option(parser, "--out file")


def _work(args: argparse.Namespace, console: Console) -> Work:
    fmt = output_format(args)

    async def work() -> int:
        async with await Outbox.open(args.db, readonly=True) as outbox:
            if not await outbox.call(outbox.db.exists):
                console.note(f"{PROG}: no watch has run on {args.db}: no events")
                return EXIT_OK
            since = None if args.since is None else str(args.since).replace(" ", "T")
            rows = await outbox.call(
                outbox.db.rows, pending=args.pending, kinds=args.kind, since=since
            )
        with output(args.out, args.file_mode) as stream:
            writer = Writer(stream, fmt, list(_HEADER))
            for row in rows:
                doc = {**row.event.as_json(), "sent_at": row.sent_at}
                writer.row(tuple(doc[c] for c in _HEADER))
        console.emit("summary", f"{PROG}: {plural(len(rows), 'event')}")
        return EXIT_OK

    return work


def _run(args: argparse.Namespace, console: Console) -> int:
    return run_job(args, console, ReadJob(console, lambda: _work(args, console)))


COMMAND = Command(
    name="events",
    help="list the events a watch found (first deposits, joins...), delivered or pending",
    description=(
        "The watch's outbox in the history file: one row per event, oldest first —\n"
        "new invitees, first deposits, deposits, withdrawals, volume milestones."
    ),
    add_options=_add_options,
    run=_run,
)
