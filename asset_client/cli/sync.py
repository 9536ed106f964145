"""``asset-client sync``: walk the partner API and record one snapshot per dataset.

It takes the request options every sending command takes (`options.add_request_options`)
and builds its client with `open_client`, like export and report, then hands it to
`SnapshotStore.sync_datasets`: all datasets in one transaction, all or nothing.  Sharp
edge: ``sync --sandbox`` serves the demo data one simulated day later for every complete
sandbox snapshot already in the file, so that two runs show changes; the sandbox runs
here (not in `open_client`) because only this command knows that day.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
from attrs import define, field, frozen
from yarl import URL

from asset_client.cli import options, values
from asset_client.cli.base import PROG, Command
from asset_client.cli.credentials import credentials_for
from asset_client.cli.exits import (
    EXIT_AUTH,
    EXIT_FAILURE,
    EXIT_GAVE_UP,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_UNTRUSTED,
    EXIT_USAGE,
    failure_line,
    status_word,
)
from asset_client.cli.runner import Work, run_job
from asset_client.client.client import AssetClient, ClientStats
from asset_client.client.log import redact
from asset_client.client.stats import WalkStats
from asset_client.client.version import VERSION
from asset_client.core.query import AssetQuery, validate_query
from asset_client.export.connect import Connection
from asset_client.export.console import Console, plural
from asset_client.export.progress import Progress, make_progress
from asset_client.export.run import Credentials, open_client
from asset_client.export.summary import SUMMARY_VERSION
from asset_client.sandbox import DEMO_API_KEY, DEMO_SECRET_KEY, SandboxConfig, run_sandbox
from asset_client.store import (
    Series,
    Snapshot,
    SnapshotStatus,
    SnapshotStore,
    StoreBusyError,
    StoreError,
    volume_dates,
)

__all__ = ["COMMAND"]

_EXIT_CODES = f"""\
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

#: The exact sums a snapshot may carry (`Snapshot` attributes), whichever its dataset has.
_SUMS = ("total_deposit", "total_withdrawal", "current_balance", "total_volume")


def _add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", required=True, type=Path, metavar="PATH", help="history file")
    parser.add_argument(
        "--dataset",
        action="append",
        choices=options.DATASETS,
        metavar="{" + ",".join(options.DATASETS) + "}",
        help="what to record; repeat for several (default: all)",
    )
    options.add_quote_option(parser, "assets: default usdt", default="usdt")
    parser.add_argument(
        "--start",
        type=values.time,
        metavar="TIME",
        help="assets window start, 'yyyy-MM-dd HH:mm:ss' (server time) or ISO 8601 with an offset",
    )
    parser.add_argument(
        "--end", type=values.time, metavar="TIME", help="assets window end, as --start"
    )
    parser.add_argument(
        "--volume-days",
        type=values.volume_days,
        metavar="N",
        help="volume: the days from N days ago to today, server time (default: from the "
        "day still open at the last volume sync to today; 30 days the first time)",
    )
    parser.add_argument(
        "--volume-start", type=values.day, metavar="DAY", help="volume: first day, yyyy-MM-dd"
    )
    parser.add_argument(
        "--volume-end", type=values.day, metavar="DAY", help="volume: last day (default today)"
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="how long to wait for another sync's lock on the file (default 5)",
    )
    options.add_request_options(parser, files="history file (and its -wal/-shm)")


@frozen(kw_only=True)
class _Plan:
    """The sync asked for, every value checked."""

    #: names the store knows (the endpoints'); typed loosely, as the store spells its own
    datasets: tuple[Any, ...]
    query: AssetQuery  #: the assets' quote and window
    zone_name: str
    connection: Connection
    credentials: Credentials | None


def _plan(args: argparse.Namespace) -> _Plan:
    """Every check that needs no I/O, in the order a user would fix them."""
    credentials = credentials_for(args)
    zone_name, zone = options.server_zone(args)
    options.checked_server(args)
    query = validate_query(
        quote=args.quote,
        uid=None,
        start_time=values.server_time(args.start, zone),
        end_time=values.server_time(args.end, zone),
        server_tz=zone,
    )
    try:
        # The volume window's own checks, now (before any request); "today" does not matter.
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
    connection = options.connection_for(args, zone, sandbox=False)
    return _Plan(
        datasets=tuple(dict.fromkeys(args.dataset or options.DATASETS)),
        query=query,
        zone_name=zone_name,
        connection=connection,
        credentials=credentials,
    )


def _same_series(series: Series, plan: _Plan) -> bool:
    """Whether a sandbox sync of ``plan`` records into ``series`` (of its first dataset)."""
    query = plan.query
    return (
        series.source == "sandbox"
        and series.server_timezone == plan.zone_name
        # a series with a quote (assets) has the quote's window too; the others neither
        and (
            not series.quote
            or (series.quote, series.start_time, series.end_time)
            == (query.quote, query.start_time, query.end_time)
        )
    )


@contextlib.asynccontextmanager
async def _one_sandbox_sync(path: Path, wait: float) -> AsyncIterator[None]:
    """Sandbox syncs of one file one after another, so that each reads its simulated day
    after the one before has committed (an flock on the file itself: no file of its own,
    gone with the process; SQLite's own locks are fcntl's and do not see it)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: the day may repeat
        yield
        return
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        deadline, delay = time.monotonic() + wait, 0.01
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StoreBusyError(
                        f"{path} is locked by another sync; try again when it has finished"
                    ) from None
                await asyncio.sleep(delay)  # backoff: a long sync is not polled hot
                delay = min(delay * 2, 0.25)
        yield
    finally:
        os.close(fd)  # releases the lock


async def _sandbox_day(store: SnapshotStore, plan: _Plan) -> int:
    """The simulated day to serve: the complete sandbox syncs of this series so far."""
    snapshots = await store.snapshots(dataset=plan.datasets[0])
    return sum(
        1 for s in snapshots if s.status is SnapshotStatus.COMPLETE and _same_series(s.series, plan)
    )


@contextlib.asynccontextmanager
async def _server(
    args: argparse.Namespace, plan: _Plan, day: int
) -> AsyncIterator[tuple[Connection, Credentials, str]]:
    """(connection, credentials, series source): the real server, or a sandbox on ``day``."""
    if not args.sandbox:
        assert plan.credentials is not None
        yield plan.connection, plan.credentials, str(URL(args.base_url).origin())
        return
    # The partner data derives registration times from the sandbox's "now": frozen at
    # today's midnight (UTC) so that two syncs of one day see the same invitee list.
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    rate: dict[str, Any] = {}
    if args.rate is not None:
        rate = {"rate_limit": args.rate.requests, "window": args.rate.period}
    config = SandboxConfig(days=day, partner_now=lambda: midnight, **rate)
    async with run_sandbox(config) as sandbox:
        connection = attrs.evolve(plan.connection, base_url=sandbox.base_url, proxy=None)
        yield connection, Credentials(api_key=DEMO_API_KEY, secret_key=DEMO_SECRET_KEY), "sandbox"


class _Progress:
    """One progress display per walk (the walks run at once): each names its dataset and
    counts that walk's records and requests, so its req/s is that walk's own."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._walks: dict[str, Progress] = {}

    def start(self, dataset: str) -> None:
        self._walks[dataset] = make_progress(self._console, label=dataset)

    def update(self, dataset: str, records: int, stats: WalkStats) -> None:
        self._walks[dataset].update(records, stats.expected_total, stats.requests)

    def close(self) -> None:
        for walk in self._walks.values():
            walk.close()


def _sums(snapshot: Snapshot) -> dict[str, Any]:
    return {name: v for name in _SUMS if (v := getattr(snapshot, name)) is not None}


def _summary_line(snapshot: Snapshot, db: Path, retries: int) -> str:
    elapsed = (snapshot.finished_at - snapshot.taken_at).total_seconds()
    head = (
        f"{PROG}: snapshot #{snapshot.id} of {snapshot.series.describe()} in {db}: "
        f"{plural(snapshot.records or 0, 'record')}, {snapshot.new} new, "
        f"{snapshot.changed} changed, {snapshot.gone} gone"
    )
    sums = _sums(snapshot)
    if snapshot.window_start is not None:  # a window of days: what a volume sync walked
        volume = sums.pop("total_volume", None)
        tail = f"; days {snapshot.window_start} to {snapshot.window_end}, volume={volume}"
    elif sums:
        tail = "; sums: " + " ".join(f"{name}={value}" for name, value in sums.items())
    else:
        tail = ""
    return (
        f"{head}{tail}; {plural(snapshot.requests or 0, 'request')}, "
        f"{plural(retries, 'retry')}, {elapsed:.1f} s"
    )


@define
class _Sync:
    """The sync's run: what it recorded so far, for an interruption and the summary."""

    args: argparse.Namespace
    console: Console
    recorded: dict[str, Snapshot] = field(factory=dict)
    stats: ClientStats | None = None
    writes_stdout: bool = True  # --summary-json -: a closed pipe ends it quietly (141)

    def prepare(self) -> Work:
        plan = _plan(self.args)

        async def work() -> int:
            async with await SnapshotStore.open(
                self.args.db, busy_timeout=self.args.wait, file_mode=self.args.file_mode
            ) as store:
                if not self.args.sandbox:
                    await self._serve(store, plan, 0)
                    return EXIT_OK
                async with _one_sandbox_sync(self.args.db, self.args.wait):
                    await self._serve(store, plan, await _sandbox_day(store, plan))
            return EXIT_OK

        return work

    async def _serve(self, store: SnapshotStore, plan: _Plan, day: int) -> None:
        async with (
            _server(self.args, plan, day) as (connection, credentials, source),
            open_client(connection, credentials) as (client, _),
        ):
            self.stats = client.stats
            await self._record(store, client, plan, source)

    async def _record(
        self, store: SnapshotStore, client: AssetClient, plan: _Plan, source: str
    ) -> None:
        progress = _Progress(self.console)
        try:
            snapshots = await store.sync_datasets(
                client,
                datasets=plan.datasets,
                quote=plan.query.quote,
                start_time=plan.query.start_time,
                end_time=plan.query.end_time,
                start_date=self.args.volume_start,
                end_date=self.args.volume_end,
                volume_days=self.args.volume_days,
                page_size=self.args.page_size,
                source=source,
                on_dataset=progress.start,
                on_progress=progress.update,
            )
        finally:
            progress.close()
        self.recorded.update(snapshots.items())
        for snapshot in snapshots.values():
            self.console.emit(
                "summary", _summary_line(snapshot, self.args.db, client.stats.retries)
            )

    def failure_line(self, exc: BaseException) -> str:
        return failure_line(exc)

    def interrupted(self) -> int:
        if self.recorded:
            ids = ", ".join(f"#{s.id}" for s in self.recorded.values())
            self.console.note(f"interrupted after snapshot {ids} was recorded")
            return EXIT_OK
        self.console.error(
            f"{PROG}: interrupted; nothing recorded, the earlier snapshots in {self.args.db} "
            "are intact",
            exit_status=EXIT_INTERRUPTED,
        )
        return EXIT_INTERRUPTED

    def summary(self, exit_status: int, error: str | None, elapsed: float) -> dict[str, Any]:
        stats = self.stats
        return {
            "summary_version": SUMMARY_VERSION,
            "asset_client": VERSION,
            "status": status_word(exit_status),
            "exit_status": exit_status,
            "complete": bool(self.recorded),
            "database": str(self.args.db),
            "snapshots": [_snapshot_summary(n, s) for n, s in self.recorded.items()],
            "requests": stats.requests if stats is not None else 0,
            "retries": stats.retries if stats is not None else 0,
            "rate_limit_waits": stats.rate_limit_waits if stats is not None else 0,
            "elapsed_seconds": round(elapsed, 3),
            "error": None if error is None else redact(error),
        }


def _snapshot_summary(dataset: str, snapshot: Snapshot) -> dict[str, Any]:
    days = {}
    if snapshot.window_start is not None:
        days = {"start_day": str(snapshot.window_start), "end_day": str(snapshot.window_end)}
    return {
        "id": snapshot.id,
        "dataset": dataset,
        "series": snapshot.series.describe(),
        "records": snapshot.records,
        "new": snapshot.new,
        "changed": snapshot.changed,
        "gone": snapshot.gone,
        "requests": snapshot.requests,
        **days,
        "sums": {name: f"{value:f}" for name, value in _sums(snapshot).items()},
    }


def _run(args: argparse.Namespace, console: Console) -> int:
    return run_job(args, console, _Sync(args, console))


COMMAND = Command(
    name="sync",
    help="record a snapshot of the invitees' assets, the invitee list and daily trading volume",
    description=(
        "Walk the whole partner API: every direct invitee's assets, the invitee list and\n"
        "their daily trading volume, and record one snapshot of each in a SQLite history,\n"
        "in one transaction. With --sandbox, each sync serves the demo data one simulated\n"
        "day later, so that two runs show changes.\n"
        "Try it: asset-client sync --sandbox --db demo.sqlite (twice)"
    ),
    epilog=options.HISTORY_EPILOG + "\n" + _EXIT_CODES,
    add_options=_add_options,
    run=_run,
)
