"""``asset-client changes``: the records that are new, gone or changed between two snapshots.

Sharp edge: ``--since TIME`` means the newest snapshot taken at or before that time, and
only snapshots of the same dataset and parameters (the series) are compared.
"""

from __future__ import annotations

import argparse

from asset_client.cli import options, values
from asset_client.cli.base import PROG, Command
from asset_client.cli.exits import EXIT_OK
from asset_client.cli.rows import Writer, cell, key_columns, output, output_format, value_columns
from asset_client.cli.runner import ReadJob, Work, run_job
from asset_client.export.console import Console, plural
from asset_client.store import Change, Snapshot, SnapshotStore

__all__ = ["COMMAND"]


def _add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", type=values.since, metavar="SNAPSHOT_ID|DATE")
    parser.add_argument(
        "--until", type=values.uid, metavar="SNAPSHOT_ID", help="default: the newest"
    )
    options.add_quote_option(parser, "newest snapshot of this quote")
    options.add_history_options(parser, "changes")


def _describe(snapshot: Snapshot | None) -> str:
    if snapshot is None:
        return "nothing (no earlier snapshot)"
    return f"#{snapshot.id} ({snapshot.taken_at.isoformat(timespec='seconds')})"


class _ChangeRows:
    """Writes each change as one row and counts them by kind."""

    def __init__(self, writer: Writer, dataset: str) -> None:
        self._writer = writer
        self._keys = key_columns(dataset)
        self._none = (None,) * len(value_columns(dataset))
        self.counts = {"new": 0, "changed": 0, "gone": 0}

    def write(self, change: Change) -> None:
        kind = change.kind.value
        self.counts[kind] += 1
        key = tuple(cell(getattr(change, name)) for name in self._keys)
        if self._writer.is_csv:
            before = change.before_values or self._none
            after = change.after_values or self._none
            self._writer.row((*key, kind, *before, *after))
        else:
            self._writer.json_line(
                {
                    **dict(zip(self._keys, key, strict=True)),
                    "kind": kind,
                    "before": change.before,
                    "after": change.after,
                }
            )

    def summary(self) -> str:
        new, changed, gone = (self.counts[k] for k in ("new", "changed", "gone"))
        return (
            f"{plural(new + changed + gone, 'change')} ({new} new, {changed} changed, {gone} gone)"
        )


def _work(args: argparse.Namespace, console: Console) -> Work:
    fmt = output_format(args)
    columns = value_columns(args.dataset)
    header = [
        *key_columns(args.dataset),
        "kind",
        *(f"before_{c}" for c in columns),
        *(f"after_{c}" for c in columns),
    ]

    async def work() -> int:
        async with await SnapshotStore.open(args.db, readonly=True) as store:
            base, target = await store.resolve(
                since=args.since, until=args.until, quote=args.quote, dataset=args.dataset
            )
            with output(args.out, args.file_mode) as stream:
                rows = _ChangeRows(Writer(stream, fmt, header), args.dataset)
                async for change in store.changes_between(base, target):
                    rows.write(change)
        console.emit(
            "summary",
            f"{PROG}: {rows.summary()} of {target.series.describe()} "
            f"from {_describe(base)} to {_describe(target)}",
        )
        return EXIT_OK

    return work


def _run(args: argparse.Namespace, console: Console) -> int:
    return run_job(args, console, ReadJob(console, lambda: _work(args, console), args.out))


COMMAND = Command(
    name="changes",
    help="list the invitees whose assets, registration or volume changed between two snapshots",
    description=(
        "One row per record that is new, gone or changed between the newest snapshot\n"
        "(or --until) and the one before it (or --since), of one dataset of the history:\n"
        "the invitees' assets, the invitee list or their daily trading volume."
    ),
    epilog=(
        "--since takes a snapshot id (see asset-client snapshots) or a time: a date\n"
        "'2026-11-26' or an ISO time '2026-11-26T08:00:00+08:00' (UTC when no offset\n"
        "is given) meaning the newest snapshot taken at or before it.\n"
        "CSV columns: the key (uid; uid, day for volume), kind, before_<field>...,\n"
        "after_<field>...\n\n" + options.HISTORY_EPILOG
    ),
    add_options=_add_options,
    run=_run,
)
