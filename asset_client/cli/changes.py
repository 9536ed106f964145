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
from asset_client.store import Change, ChangeKind, Snapshot, SnapshotStore
from asset_client.store.events import EventKind, EventRules, events_of

__all__ = ["COMMAND"]

#: What --kind takes: the change kinds, and the event kinds a change alone implies (a
#: volume milestone needs a threshold: ``watch --volume-milestone``, then ``events``).
KINDS = tuple(
    dict.fromkeys(
        [
            *(k.value for k in ChangeKind),
            *(k.value for k in EventKind if k is not EventKind.VOLUME_MILESTONE),
        ]
    )
)


def _add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", type=values.since, metavar="SNAPSHOT_ID|DATE")
    parser.add_argument(
        "--until", type=values.uid, metavar="SNAPSHOT_ID", help="default: the newest"
    )
    parser.add_argument(
        "--kind",
        action="append",
        choices=KINDS,
        default=[],
        help="only these (repeatable): new, gone, changed, or an event kind",
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

    def write(self, change: Change, kind: str | None = None) -> None:
        """One row; ``kind`` (an event kind) replaces the change's own in the row."""
        self.counts[change.kind.value] += 1
        kind = kind or change.kind.value
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


def _kinds(
    change: Change, base: Snapshot | None, target: Snapshot, wanted: list[str]
) -> list[str | None]:
    """The rows one change makes: itself (None) unless ``--kind`` narrows, then one per
    wanted kind it is (its change kind, or an event kind it implies)."""
    if not wanted:
        return [None]
    found: list[str] = [change.kind.value] if change.kind.value in wanted else []
    if set(wanted) - set(found):
        events = events_of(change, base, target, EventRules())
        found += [e.kind.value for e in events if e.kind.value in wanted]
    return list(dict.fromkeys(found))


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
                    for kind in _kinds(change, base, target, args.kind):
                        rows.write(change, kind)
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
