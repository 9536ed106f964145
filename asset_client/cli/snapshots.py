"""``asset-client snapshots``: when each snapshot was taken, of what, with what result.

Sharp edge: the columns differ by dataset only where the store records more: the days a
volume snapshot walked and each dataset's exact sums (as strings, never floats); a failed
or interrupted snapshot lists its error and no records.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from asset_client.cli import options
from asset_client.cli.base import Command
from asset_client.cli.exits import EXIT_OK
from asset_client.cli.rows import Writer, cell, output, output_format
from asset_client.cli.runner import ReadJob, Work, run_job
from asset_client.export.console import Console
from asset_client.store import Snapshot, SnapshotStore

__all__ = ["COMMAND"]

#: (column, `Snapshot` attribute) of the server days a snapshot walked.
_DAYS = (("start_day", "window_start"), ("end_day", "window_end"))
#: What a dataset's snapshots carry beyond the common columns, as the store records them:
#: the days walked, and the exact sums (`Snapshot` attributes of the same names).
_EXTRAS: dict[str, tuple[tuple[tuple[str, str], ...], tuple[str, ...]]] = {
    "assets": ((), ("total_deposit", "total_withdrawal", "current_balance")),
    "volume": (_DAYS, ("total_volume",)),
}
_SERIES = ("dataset", "source", "quote", "start_time", "end_time", "server_timezone")
_COUNTS = ("new", "changed", "gone", "requests", "error")


def _add_options(parser: argparse.ArgumentParser) -> None:
    options.add_quote_option(parser, "this quote only")
    options.add_history_options(parser, "the snapshots")


def _text(value: object) -> str | None:
    return None if value is None else f"{value:f}" if not isinstance(value, str) else value


class _Columns:
    """The header and rows of one dataset's snapshot list."""

    def __init__(self, dataset: str) -> None:
        self._days, self._sums = _EXTRAS.get(dataset, ((), ()))

    def header(self) -> Sequence[str]:
        return (
            "id",
            "status",
            "taken_at",
            "finished_at",
            *_SERIES,
            *(column for column, _ in self._days),
            "records",
            *self._sums,
            *_COUNTS,
        )

    def row(self, s: Snapshot) -> tuple[object, ...]:
        return (
            s.id,
            s.status.value,
            s.taken_at.isoformat(),
            s.finished_at.isoformat(),
            *(getattr(s.series, name) for name in _SERIES),
            *(cell(getattr(s, attribute)) for _, attribute in self._days),
            s.records,
            *(_text(getattr(s, name)) for name in self._sums),
            *(getattr(s, name) for name in _COUNTS),
        )


def _work(args: argparse.Namespace, console: Console) -> Work:
    fmt = output_format(args)
    columns = _Columns(args.dataset)

    async def work() -> int:
        async with await SnapshotStore.open(args.db, readonly=True) as store:
            snapshots = await store.snapshots(quote=args.quote, dataset=args.dataset)
        with output(args.out, args.file_mode) as stream:
            writer = Writer(stream, fmt, columns.header())
            for snapshot in snapshots:
                writer.row(columns.row(snapshot))
        return EXIT_OK

    return work


def _run(args: argparse.Namespace, console: Console) -> int:
    return run_job(args, console, ReadJob(console, lambda: _work(args, console), args.out))


COMMAND = Command(
    name="snapshots",
    help="list the snapshots in a history (assets, invitee list, trading volume)",
    description=(
        "When each snapshot of one dataset of the history was taken (the invitees' assets,\n"
        "the invitee list or their daily trading volume), with what parameters, records\n"
        "and exact sums."
    ),
    epilog=options.HISTORY_EPILOG,
    add_options=_add_options,
    run=_run,
)
