"""The history subcommands: ``sync``, ``changes``, ``history``, ``snapshots``.

``sync`` walks like ``export`` (same credentials, ``--sandbox``, filters, time zone, exit
statuses) but records a snapshot in a SQLite history (`asset_client.store`); the other
three only read it.  The sharp edge: ``sync --sandbox`` serves the demo data one
simulated day later for every sandbox snapshot already in the database, so that two runs
show changes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import json
import sys
import traceback
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TextIO

from yarl import URL

from asset_client.cli.datasets import _volume_days, checked_limiter
from asset_client.cli.main import (
    EXIT_AUTH,
    EXIT_BROKEN_PIPE,
    EXIT_FAILURE,
    EXIT_GAVE_UP,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_UNTRUSTED,
    EXIT_USAGE,
    PROG,
    _credentials,
    _failure_line,
    _page_size,
    _Parser,
    _rate,
    _retries,
    _silence_stdout,
    _time,
    _uid,
    _until_signal,
    _zone,
    exit_code_for,
)
from asset_client.client.client import DEFAULT_BASE_URL, AssetClient, checked_base_url
from asset_client.core.query import validate_query
from asset_client.core.retry import RetryPolicy
from asset_client.export.files import DEFAULT_FILE_MODE, OutputFormat
from asset_client.export.outpath import (
    OutTargetError,
    checked_out,
    resolve_out,
    text_of,
    whole_file,
)
from asset_client.export.progress import make_progress
from asset_client.export.run import Credentials, ExportState
from asset_client.limit import LIMITER_ENV
from asset_client.store import Change, Series, Snapshot, SnapshotStatus, SnapshotStore, StoreError
from asset_client.store._datasets import ALL_DATASETS, DATASETS, DatasetName
from asset_client.store._window import volume_dates

__all__ = ["add_store_parsers"]

_STORE_EPILOG = """\
The history is one SQLite file (schema version 2). Each sync records one snapshot
per dataset (assets, invitees, volume), all in one transaction: all or nothing;
only records that changed since the last snapshot are stored. Snapshots compare
only with snapshots of the same dataset and parameters (source, quote, window,
server time zone).
"""


def add_store_parsers(subparsers: argparse._SubParsersAction[_Parser]) -> None:
    """Register the four history subcommands (each sets ``store_command``)."""
    _add_sync(subparsers)
    _add_changes(subparsers)
    _add_history(subparsers)
    _add_snapshots(subparsers)


def _db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", required=True, type=Path, metavar="PATH", help="history file")


def _output_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", metavar="FILE", help="write here (atomically) instead of stdout")
    parser.add_argument(
        "--format",
        choices=[f.value for f in OutputFormat],
        help="default: from the --out extension (.csv, .jsonl, .ndjson), else csv",
    )


_SYNC_EXIT_CODES = f"""\
exit statuses (as for export):
  {EXIT_OK}    success: the snapshot is recorded
  {EXIT_FAILURE}    local failure: the file is read-only, the disk is full, another sync
       holds the file (see --wait); nothing recorded, earlier snapshots intact
  {EXIT_USAGE}    bad usage: invalid option, missing credentials, a file that is not a
       history (not SQLite, another program's, a newer schema)
  {EXIT_AUTH}    authentication or permission refused
  {EXIT_GAVE_UP}    gave up after retries (rate limit, network, server): sync again later
  {EXIT_UNTRUSTED}    the server sent data that cannot be trusted; nothing recorded
  {EXIT_INTERRUPTED}  interrupted (Ctrl-C or SIGTERM); nothing recorded
"""


def _add_sync(subparsers: argparse._SubParsersAction[_Parser]) -> None:
    sync = subparsers.add_parser(
        "sync",
        help="record a snapshot of the invitees' assets, the invitee list and daily volume",
        description=(
            "Walk every direct invitee's assets, the invitee list and the daily trading\n"
            "volume, and record one snapshot of each in a SQLite history, in one\n"
            "transaction. Try it: asset-client sync --sandbox --db demo.sqlite (twice)"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_STORE_EPILOG + "\n" + _SYNC_EXIT_CODES,
    )
    _db_argument(sync)
    sync.add_argument(
        "--dataset",
        action="append",
        choices=ALL_DATASETS,
        metavar="{assets,invitees,volume}",
        help="what to record; repeat for several (default: all three)",
    )
    sync.add_argument(
        "--quote",
        type=str.lower,
        choices=["usdt", "usdc"],
        default="usdt",
        help="assets: default usdt",
    )
    sync.add_argument(
        "--start", type=_time, metavar="TIME", help="assets window start, 'yyyy-MM-dd HH:mm:ss'"
    )
    sync.add_argument(
        "--end", type=_time, metavar="TIME", help="assets window end, 'yyyy-MM-dd HH:mm:ss'"
    )
    sync.add_argument(
        "--volume-days",
        type=_volume_days,
        metavar="N",
        help="volume: the days from N days ago to today, server time (default: from the "
        "day still open at the last volume sync to today; 30 days the first time)",
    )
    sync.add_argument(
        "--volume-start", type=_day, metavar="DAY", help="volume: first day, yyyy-MM-dd"
    )
    sync.add_argument(
        "--volume-end", type=_day, metavar="DAY", help="volume: last day (default today)"
    )
    sync.add_argument("--page-size", type=_page_size, metavar="N", help="records per request")
    sync.add_argument(
        "--base-url", default=DEFAULT_BASE_URL, help=f"API server (default {DEFAULT_BASE_URL})"
    )
    sync.add_argument(
        "--sandbox",
        action="store_true",
        help="sync from an embedded sandbox (demo data, a simulated day later each sync)",
    )
    sync.add_argument(
        "--credentials-file", type=Path, metavar="PATH", help="file with api_key/secret_key"
    )
    sync.add_argument(
        "--server-timezone",
        type=_zone,
        default=("UTC", UTC),
        metavar="ZONE",
        help="zone of the server's times: IANA name, UTC or +08:00 (default UTC)",
    )
    sync.add_argument(
        "--wait",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="how long to wait for another sync's lock on the file (default 5)",
    )
    sync.add_argument("--debug", action="store_true", help="log every request; tracebacks")
    advanced = sync.add_argument_group("advanced")
    advanced.add_argument("--rate", type=_rate, metavar="N/SECONDS", help="client rate limit")
    advanced.add_argument(
        "--limiter",
        metavar="BACKEND",
        help="where the key's one budget is kept: host (default), process or "
        f"redis://HOST:PORT/DB; overrides {LIMITER_ENV}",
    )
    advanced.add_argument("--max-retries", type=_retries, metavar="N", help="retries per request")
    sync.set_defaults(store_command=_sync)


def _add_changes(subparsers: argparse._SubParsersAction[_Parser]) -> None:
    changes = subparsers.add_parser(
        "changes",
        help="list invitees that changed between two snapshots",
        description=(
            "One row per invitee that is new, gone or changed between the newest snapshot\n"
            "(or --until) and the one before it (or --since)."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            "--since takes a snapshot id (see asset-client snapshots) or a time: a date\n"
            "'2026-11-26' or an ISO time '2026-11-26T08:00:00+08:00' (UTC when no offset\n"
            "is given) meaning the newest snapshot taken at or before it.\n"
            "CSV columns: uid, kind, before_<field>..., after_<field>...\n\n" + _STORE_EPILOG
        ),
    )
    _db_argument(changes)
    changes.add_argument("--since", type=_since, metavar="SNAPSHOT_ID|DATE")
    changes.add_argument("--until", type=_uid, metavar="SNAPSHOT_ID", help="default: the newest")
    changes.add_argument(
        "--quote", type=str.lower, choices=["usdt", "usdc"], help="newest snapshot of this quote"
    )
    _dataset_argument(changes, "changes")
    _output_arguments(changes)
    changes.set_defaults(store_command=_changes)


def _add_history(subparsers: argparse._SubParsersAction[_Parser]) -> None:
    history = subparsers.add_parser(
        "history",
        help="one invitee's values over time",
        description="Every stored version of one invitee's record, oldest first.",
    )
    _db_argument(history)
    history.add_argument("--uid", required=True, type=_uid, metavar="N")
    history.add_argument(
        "--quote", type=str.lower, choices=["usdt", "usdc"], help="this quote only"
    )
    _dataset_argument(history, "the history")
    _output_arguments(history)
    history.set_defaults(store_command=_history)


def _add_snapshots(subparsers: argparse._SubParsersAction[_Parser]) -> None:
    snapshots = subparsers.add_parser(
        "snapshots",
        help="list the snapshots in a history",
        description="When each snapshot was taken, with what parameters, records and sums.",
    )
    _db_argument(snapshots)
    snapshots.add_argument(
        "--quote", type=str.lower, choices=["usdt", "usdc"], help="this quote only"
    )
    _dataset_argument(snapshots, "the snapshots")
    _output_arguments(snapshots)
    snapshots.set_defaults(store_command=_snapshots)


def _day(text: str) -> date:
    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a day yyyy-MM-dd, got {text!r}") from None


def _dataset_argument(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--dataset",
        choices=ALL_DATASETS,
        default="assets",
        help=f"{what} of assets (default), invitees or volume",
    )


def _since(text: str) -> int | datetime:
    if text.isascii() and text.isdigit():
        return _uid(text)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a snapshot id, a date like 2026-11-26 or an ISO time, got {text!r}"
        ) from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


# -- running ------------------------------------------------------------------------------


def run_store_command(args: argparse.Namespace, stderr: TextIO) -> int:
    """Run a history subcommand; one line on stderr for any failure."""
    command: Callable[[argparse.Namespace, TextIO, ExportState], int] = args.store_command
    state = ExportState()
    try:
        return command(args, stderr, state)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader stopped early (| head): 141 like a SIGPIPE death, as export does.
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except StoreError as exc:
        if getattr(args, "debug", False):
            traceback.print_exc(file=stderr)
        print(f"{PROG}: error: {exc}", file=stderr)
        return EXIT_USAGE if exc.usage else EXIT_FAILURE
    except Exception as exc:
        if getattr(args, "debug", False):
            traceback.print_exc(file=stderr)
        print(_failure_line(exc, state), file=stderr)
        return exit_code_for(exc)


@contextlib.asynccontextmanager
async def _server(
    args: argparse.Namespace, credentials: Credentials | None, days: int
) -> AsyncIterator[tuple[str, Credentials, str]]:
    """(base URL, credentials, series source): the embedded sandbox or the real server."""
    if not args.sandbox:
        assert credentials is not None
        yield args.base_url, credentials, str(URL(args.base_url).origin())
        return
    from asset_client.sandbox import DEMO_API_KEY, DEMO_SECRET_KEY, SandboxConfig, run_sandbox

    # The partner data derives registration times from the sandbox's "now": frozen at
    # today's midnight (UTC) so that two syncs of one day see the same invitee list.
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    config = SandboxConfig(days=days, partner_now=lambda: midnight)
    if args.rate is not None:
        config = SandboxConfig(
            days=days,
            rate_limit=args.rate.requests,
            window=args.rate.period,
            partner_now=lambda: midnight,
        )
    async with run_sandbox(config) as sandbox:
        yield (
            sandbox.base_url,
            Credentials(api_key=DEMO_API_KEY, secret_key=DEMO_SECRET_KEY),
            ("sandbox"),
        )


def _sync(args: argparse.Namespace, stderr: TextIO, state: ExportState) -> int:
    credentials = _credentials(args)
    zone_name, zone = args.server_timezone
    if not args.sandbox:
        checked_base_url(args.base_url)
    query = validate_query(
        quote=args.quote, uid=None, start_time=args.start, end_time=args.end, server_tz=zone
    )
    datasets: list[DatasetName] = list(dict.fromkeys(args.dataset or ALL_DATASETS))
    try:
        # The window's own checks, now (before any request); "today" does not matter here.
        volume_dates(
            args.volume_start, args.volume_end, args.volume_days, datetime.now(zone).date(), zone
        )
    except ValueError as exc:
        raise StoreError(
            f"{exc}".replace("start_date", "--volume-start")
            .replace("end_date", "--volume-end")
            .replace("volume_days", "--volume-days"),
            usage=True,
        ) from None
    if not args.wait >= 0:
        raise StoreError(f"--wait must be >= 0 seconds, got {args.wait}", usage=True)
    limiter = checked_limiter(args.limiter)
    outcome: list[Snapshot] = []

    async def work() -> int:
        async with await SnapshotStore.open(args.db, busy_timeout=args.wait) as store:
            days = 0
            if args.sandbox:
                first = datasets[0]
                series = Series(
                    dataset=DATASETS[first].table,
                    source="sandbox",
                    quote=query.quote if first == "assets" else "",
                    start_time=query.start_time if first == "assets" else None,
                    end_time=query.end_time if first == "assets" else None,
                    server_timezone=zone_name,
                )
                days = sum(
                    1
                    for s in await store.snapshots(dataset=first)
                    if s.series == series and s.status is SnapshotStatus.COMPLETE
                )
            async with _server(args, credentials, days) as (base_url, creds, source):
                policy = RetryPolicy()
                if args.max_retries is not None:
                    policy = RetryPolicy(max_retries=args.max_retries)
                async with AssetClient(
                    creds.api_key,
                    creds.secret_key,
                    base_url=base_url,
                    rate_limit=args.rate,
                    retry_policy=policy,
                    server_timezone=zone,
                    limiter=limiter,
                ) as client:
                    progress = [make_progress(stderr)]

                    def next_walk(name: DatasetName) -> None:
                        progress[0].close()
                        progress[0] = make_progress(stderr)

                    try:
                        snapshots = await store.sync_datasets(
                            client,
                            datasets=datasets,
                            quote=query.quote,
                            start_time=query.start_time,
                            end_time=query.end_time,
                            start_date=args.volume_start,
                            end_date=args.volume_end,
                            volume_days=args.volume_days,
                            page_size=args.page_size,
                            source=source,
                            on_batch=lambda n: progress[0].update(
                                n, client.stats.expected_total, client.stats.requests
                            ),
                            on_dataset=next_walk,
                        )
                    finally:
                        progress[0].close()
                    outcome.extend(snapshots.values())
                    for snapshot in snapshots.values():
                        print(_sync_summary(snapshot, args.db, client.stats.retries), file=stderr)
        return EXIT_OK

    status, interrupted = asyncio.run(_until_signal(work))
    if interrupted:
        if outcome:
            ids = ", ".join(f"#{s.id}" for s in outcome)
            print(f"{PROG}: interrupted after snapshot {ids} was recorded", file=stderr)
            return EXIT_OK
        print(
            f"{PROG}: interrupted; nothing recorded, the earlier snapshots in {args.db} are intact",
            file=stderr,
        )
        return EXIT_INTERRUPTED
    assert status is not None
    return status


def _sync_summary(snapshot: Snapshot, db: Path, retries: int) -> str:
    elapsed = (snapshot.finished_at - snapshot.taken_at).total_seconds()
    head = (
        f"{PROG}: snapshot #{snapshot.id} of {snapshot.series.describe()} in {db}: "
        f"{snapshot.records} records, {snapshot.new} new, {snapshot.changed} changed, "
        f"{snapshot.gone} gone"
    )
    if snapshot.series.dataset == DATASETS["invitees"].table:
        sums = ""
    elif snapshot.series.dataset == DATASETS["volume"].table:
        sums = (
            f"; days {snapshot.window_start} to {snapshot.window_end}, "
            f"volume={snapshot.total_volume}"
        )
    else:
        sums = (
            f"; sums: total_deposit={snapshot.total_deposit} "
            f"total_withdrawal={snapshot.total_withdrawal} "
            f"current_balance={snapshot.current_balance}"
        )
    return f"{head}{sums}; {snapshot.requests} requests, {retries} retries, {elapsed:.1f} s"


# -- reading commands ---------------------------------------------------------------------


def _format(args: argparse.Namespace) -> OutputFormat:
    if args.format is not None:
        return OutputFormat(args.format)
    if args.out is not None and args.out != "-":
        guessed = OutputFormat.from_path(args.out)
        if guessed is None and _is_stream(args.out):
            return OutputFormat.CSV  # a device or pipe, as for export: csv unless named
        if guessed is None:
            raise StoreError(
                f"cannot tell the format from {args.out!r}: pass --format csv or --format jsonl",
                usage=True,
            )
        return guessed
    return OutputFormat.CSV


def _is_stream(out: str) -> bool:
    try:
        return resolve_out(out).stream is not None
    except OutTargetError:
        return False  # _output says why


@contextlib.contextmanager
def _output(out: str | None) -> Iterator[TextIO]:
    """stdout, or ``--out`` by the export's rules (`_outpath.whole_file`): a file that
    appears (replacing any old one, owner-only) only when complete; a device or FIFO
    written through, never replaced."""
    if out is None or out == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    try:
        target = checked_out(out)
    except OutTargetError as exc:
        raise StoreError(str(exc), usage=True) from None
    with whole_file(target, DEFAULT_FILE_MODE) as binary:
        stream = text_of(binary)
        try:
            yield stream
            stream.flush()
        finally:
            stream.detach()  # the binary file is whole_file's to close


class _Writer:
    """Rows as CSV (header first) or as JSON objects, one per line."""

    def __init__(self, stream: TextIO, fmt: OutputFormat, header: Sequence[str]) -> None:
        self._fmt = fmt
        self._stream = stream
        self._csv = csv.writer(stream, lineterminator="\n")
        if fmt is OutputFormat.CSV:
            self._csv.writerow(header)

    def csv_row(self, row: Sequence[object]) -> None:
        self._csv.writerow(["" if value is None else value for value in row])

    def json_line(self, obj: object) -> None:
        self._stream.write(json.dumps(obj) + "\n")

    @property
    def is_csv(self) -> bool:
        return self._fmt is OutputFormat.CSV


def _describe(snapshot: Snapshot | None) -> str:
    if snapshot is None:
        return "nothing (no earlier snapshot)"
    return f"#{snapshot.id} ({snapshot.taken_at.isoformat(timespec='seconds')})"


def _changes(args: argparse.Namespace, stderr: TextIO, state: ExportState) -> int:
    fmt = _format(args)
    spec = DATASETS[args.dataset]
    columns = spec.columns
    header = [
        *spec.keys[:1],
        *spec.keys[1:],
        "kind",
        *(f"before_{c}" for c in columns),
        *(f"after_{c}" for c in columns),
    ]
    none: tuple[None, ...] = (None,) * len(columns)
    counts = {"new": 0, "changed": 0, "gone": 0}
    with_day = "day" in spec.keys

    def write_change(writer: _Writer, change: Change) -> None:
        counts[change.kind.value] += 1
        key: tuple[object, ...] = (change.uid,)
        if with_day:
            key = (change.uid, None if change.day is None else change.day.isoformat())
        if writer.is_csv:
            before = change.before_values or none
            after = change.after_values or none
            writer.csv_row((*key, change.kind.value, *before, *after))
        else:
            writer.json_line(
                {
                    **dict(zip(spec.keys, key, strict=True)),
                    "kind": change.kind.value,
                    "before": change.before,
                    "after": change.after,
                }
            )

    async def work() -> str:
        async with await SnapshotStore.open(args.db, readonly=True) as store:
            base, target = await store.resolve(
                since=args.since, until=args.until, quote=args.quote, dataset=args.dataset
            )
            with _output(args.out) as stream:
                writer = _Writer(stream, fmt, header)
                async for change in store.changes_between(base, target):
                    write_change(writer, change)
        return (
            f"{PROG}: {sum(counts.values())} changes ({counts['new']} new, "
            f"{counts['changed']} changed, {counts['gone']} gone) of "
            f"{target.series.describe()} from {_describe(base)} to {_describe(target)}"
        )

    print(asyncio.run(work()), file=stderr)
    return EXIT_OK


def _history(args: argparse.Namespace, stderr: TextIO, state: ExportState) -> int:
    fmt = _format(args)
    spec = DATASETS[args.dataset]
    with_day = "day" in spec.keys
    header = [
        "uid",
        *(["day"] if with_day else []),
        "series",
        "since_snapshot",
        "since_time",
        "until_snapshot",
        "until_time",
        *spec.columns,
    ]

    async def work() -> int:
        async with await SnapshotStore.open(args.db, readonly=True) as store:
            entries = await store.history(args.uid, quote=args.quote, dataset=args.dataset)
        with _output(args.out) as stream:
            writer = _Writer(stream, fmt, header)
            for entry in entries:
                day: tuple[object, ...] = ()
                if with_day:
                    day = (None if entry.day is None else entry.day.isoformat(),)
                row = (
                    entry.uid,
                    *day,
                    entry.series.describe(),
                    entry.since,
                    entry.since_time.isoformat(),
                    entry.until,
                    None if entry.until_time is None else entry.until_time.isoformat(),
                    *entry.values.values(),
                )
                if writer.is_csv:
                    writer.csv_row(row)
                else:
                    writer.json_line(dict(zip(header, row, strict=True)))
        return len(entries)

    found = asyncio.run(work())
    if not found:
        what = "" if args.dataset == "assets" else f" of {args.dataset}"
        print(f"{PROG}: uid {args.uid} is in no snapshot{what} in {args.db}", file=stderr)
    return EXIT_OK


_SNAPSHOT_HEADER = (
    "id",
    "status",
    "taken_at",
    "finished_at",
    "dataset",
    "source",
    "quote",
    "start_time",
    "end_time",
    "server_timezone",
    "records",
    "total_deposit",
    "total_withdrawal",
    "current_balance",
    "new",
    "changed",
    "gone",
    "requests",
    "error",
)


#: The invitee list has no sums; the volume has its window of days and one sum.
_KEYED_SNAPSHOT_HEADER = tuple(
    c for c in _SNAPSHOT_HEADER if c not in ("total_deposit", "total_withdrawal", "current_balance")
)
_VOLUME_SNAPSHOT_HEADER = (
    *_KEYED_SNAPSHOT_HEADER[:10],
    "start_day",
    "end_day",
    *_KEYED_SNAPSHOT_HEADER[10:11],
    "total_volume",
    *_KEYED_SNAPSHOT_HEADER[11:],
)


def _text(value: object) -> str | None:
    return None if value is None else f"{value:f}" if not isinstance(value, str) else value


def _snapshot_row(s: Snapshot) -> tuple[object, ...]:
    return (
        s.id,
        s.status.value,
        s.taken_at.isoformat(),
        s.finished_at.isoformat(),
        s.series.dataset,
        s.series.source,
        s.series.quote,
        s.series.start_time,
        s.series.end_time,
        s.series.server_timezone,
        s.records,
        _text(s.total_deposit),
        _text(s.total_withdrawal),
        _text(s.current_balance),
        s.new,
        s.changed,
        s.gone,
        s.requests,
        s.error,
    )


def _keyed_snapshot_row(s: Snapshot, *, volume: bool) -> tuple[object, ...]:
    row = _snapshot_row(s)
    rest = (*row[:11], *row[14:])
    if not volume:
        return rest
    days = tuple(None if d is None else d.isoformat() for d in (s.window_start, s.window_end))
    return (*rest[:10], *days, rest[10], _text(s.total_volume), *rest[11:])


def _snapshots(args: argparse.Namespace, stderr: TextIO, state: ExportState) -> int:
    fmt = _format(args)

    async def work() -> list[Snapshot]:
        async with await SnapshotStore.open(args.db, readonly=True) as store:
            return await store.snapshots(quote=args.quote, dataset=args.dataset)

    snapshots = asyncio.run(work())
    header: Sequence[str] = _SNAPSHOT_HEADER
    if args.dataset == "invitees":
        header = _KEYED_SNAPSHOT_HEADER
    elif args.dataset == "volume":
        header = _VOLUME_SNAPSHOT_HEADER
    with _output(args.out) as stream:
        writer = _Writer(stream, fmt, header)
        for snapshot in snapshots:
            if args.dataset == "assets":
                row = _snapshot_row(snapshot)
            else:
                row = _keyed_snapshot_row(snapshot, volume=args.dataset == "volume")
            if writer.is_csv:
                writer.csv_row(row)
            else:
                writer.json_line(dict(zip(header, row, strict=True)))
    return EXIT_OK
