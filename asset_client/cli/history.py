"""``asset-client history``: every stored version of one invitee's record, oldest first.

Sharp edge: a gap between one version's ``until`` and the next one's ``since`` means the
invitee was absent (gone) in between; a uid in no snapshot is not an error (exit 0).
"""

from __future__ import annotations

import argparse

from asset_client.cli import options, values
from asset_client.cli.base import Command
from asset_client.cli.exits import EXIT_OK
from asset_client.cli.rows import Writer, cell, key_columns, output, output_format, value_columns
from asset_client.cli.runner import ReadJob, Work, run_job
from asset_client.export.console import Console
from asset_client.store import HistoryEntry, SnapshotStore

__all__ = ["COMMAND"]


def _add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--uid", required=True, type=values.uid, metavar="N")
    options.add_quote_option(parser, "this quote only")
    options.add_history_options(parser, "the history")


def _row(entry: HistoryEntry, keys: tuple[str, ...]) -> tuple[object, ...]:
    return (
        *(cell(getattr(entry, name)) for name in keys),
        entry.series.describe(),
        entry.since,
        entry.since_time.isoformat(),
        entry.until,
        None if entry.until_time is None else entry.until_time.isoformat(),
        *entry.values.values(),
    )


def _work(args: argparse.Namespace, console: Console) -> Work:
    fmt = output_format(args)
    keys = key_columns(args.dataset)
    header = [
        *keys,
        "series",
        "since_snapshot",
        "since_time",
        "until_snapshot",
        "until_time",
        *value_columns(args.dataset),
    ]

    async def work() -> int:
        async with await SnapshotStore.open(args.db, readonly=True) as store:
            entries = await store.history(args.uid, quote=args.quote, dataset=args.dataset)
        with output(args.out, args.file_mode) as stream:
            writer = Writer(stream, fmt, header)
            for entry in entries:
                writer.row(_row(entry, keys))
        if not entries:
            console.note(f"uid {args.uid} is in no snapshot of {args.dataset} in {args.db}")
        return EXIT_OK

    return work


def _run(args: argparse.Namespace, console: Console) -> int:
    return run_job(args, console, ReadJob(console, lambda: _work(args, console), args.out))


COMMAND = Command(
    name="history",
    help="one invitee's assets, registration or daily volume over time",
    description=(
        "Every stored version of one invitee's record in one dataset of the history\n"
        "(their assets, their entry in the invitee list, or their daily trading volume),\n"
        "oldest first."
    ),
    epilog=options.HISTORY_EPILOG,
    add_options=_add_options,
    run=_run,
)
