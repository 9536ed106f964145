"""The joined report: three walks at once, each on its own rate budget, one CSV at the end.

The assets, invitee list and volume walks run concurrently; each endpoint draws from its
own 5/s limiter, so the report takes about as long as the slowest walk, not the sum.
Sharp edge: a report is a snapshot, not a resumable export — its rows exist only once all
three walks are complete, so it is written in one atomic replace (all or nothing) and an
interrupted report is simply run again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import TextIO

from attrs import frozen

from asset_client.client.client import AssetClient
from asset_client.core.kpis import compute_kpis
from asset_client.core.list_query import volume_window
from asset_client.endpoints import ASSETS, INVITEES, VOLUME
from asset_client.export.connect import Credentials, open_client
from asset_client.export.files import DEFAULT_FILE_MODE
from asset_client.export.outpath import OutTarget, write_whole
from asset_client.export.parquet import parquet_bytes
from asset_client.export.report import ReportBuilder, ReportRow, encode_report_rows, report_sums
from asset_client.export.rows import OutputFormat
from asset_client.export.state import ExportState
from asset_client.limit.limiter import RateLimit

__all__ = ["ReportResult", "ReportSettings", "report_summary", "run_report"]


@frozen(kw_only=True)
class ReportSettings:
    out: Path  #: as the user named it (for messages)
    #: where the rows go: a regular file replaced atomically, or a device or FIFO written
    #: through (`_outpath`); None: the file ``out``
    target: OutTarget | None = None
    file_mode: int = DEFAULT_FILE_MODE  #: mode of a file created (the umask still applies)
    start: str | None = None  #: registration window of the invitees reported on
    end: str | None = None
    volume_days: int = 30
    page_size: int | None = None
    base_url: str = "https://api.coinw.com"
    sandbox: bool = False
    server_timezone: tzinfo
    rate: RateLimit | None = None
    max_retries: int | None = None
    proxy: str | None = None  #: None: HTTPS_PROXY / HTTP_PROXY from the environment
    #: --limiter: None leaves it to ASSET_CLIENT_LIMITER, then the host-wide default
    limiter: str | None = None
    fmt: OutputFormat = OutputFormat.CSV  #: CSV or PARQUET (written whole either way)


@frozen(kw_only=True)
class ReportResult:
    rows: int
    requests: int
    retries: int
    elapsed: float
    #: seconds each walk took, by endpoint name (they overlap: the report is ~ the max)
    walks: dict[str, float]


async def _timed(name: str, walk: Callable[[], Awaitable[None]], times: dict[str, float]) -> None:
    started = time.monotonic()
    await walk()
    times[name] = time.monotonic() - started


async def _walk_all(
    client: AssetClient, settings: ReportSettings, builder: ReportBuilder, since: date, until: date
) -> dict[str, float]:
    """The three walks at once, into ``builder``; seconds each took, by dataset name."""
    page_size = settings.page_size

    async def assets() -> None:
        async for asset in client.iter_invitee_assets(page_size=page_size):
            builder.add_asset(asset)

    async def invitees() -> None:
        # The registration window is frozen when the walk starts (2017 up to now).
        walk = client.iter_invitees(
            start_time=settings.start, end_time=settings.end, page_size=page_size
        )
        async for invitee in walk:
            builder.add_invitee(invitee)

    async def volumes() -> None:
        walk = client.iter_trading_volume(start_date=since, end_date=until, page_size=page_size)
        async for volume in walk:
            builder.add_volume(volume)

    times: dict[str, float] = {}
    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(_timed(ASSETS.name, assets, times))
            group.create_task(_timed(INVITEES.name, invitees, times))
            group.create_task(_timed(VOLUME.name, volumes, times))
    except ExceptionGroup as failed:
        # The walk that failed first says why (the others were cancelled or failed
        # the same way, e.g. a refused key): one typed error, one exit status.
        raise _first_error(failed) from None
    return times


async def run_report(
    settings: ReportSettings,
    credentials: Credentials | None,
    *,
    stderr: TextIO,
    state: ExportState | None = None,
    now: datetime | None = None,
) -> ReportResult:
    """Walk the three endpoints concurrently and write the joined report atomically."""
    started = time.monotonic()
    zone = settings.server_timezone
    async with open_client(settings, credentials) as (client, _):
        if state is not None:
            state.stats = client.stats
        moment = now or datetime.fromtimestamp(time.time(), zone)
        since, until = volume_window(settings.volume_days, moment, zone)
        # With a registration window the report is about that cohort only.
        cohort = settings.start is not None or settings.end is not None
        builder = ReportBuilder(volume_since=since, volume_until=until, invitees_only=cohort)
        times = await _walk_all(client, settings, builder, since, until)
        rows = list(builder.rows())
        target = settings.target or OutTarget(file=settings.out)
        if settings.fmt is OutputFormat.PARQUET:
            data = parquet_bytes(rows, ReportRow)
        else:
            data = encode_report_rows(rows, header=True)
        # A FIFO blocks until a reader comes: not on the event loop.
        await asyncio.to_thread(write_whole, target, data, settings.file_mode)
        if state is not None:
            state.sums = report_sums(rows)  # --summary-json: the rows and their sums
            kpis = compute_kpis(rows, zone=zone, volume_days=settings.volume_days)
            state.kpis = kpis.as_json()
            state.completed = True
        return ReportResult(
            rows=len(rows),
            requests=client.stats.requests,
            retries=client.stats.retries,
            elapsed=time.monotonic() - started,
            walks=times,
        )


def _first_error(group: BaseExceptionGroup[BaseException]) -> BaseException:
    first = group.exceptions[0]
    return _first_error(first) if isinstance(first, BaseExceptionGroup) else first


def report_summary(result: ReportResult, out: Path) -> str:
    walks = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in sorted(result.walks.items()))
    return (
        f"asset-client: report of {result.rows} invitees written to {out}; "
        f"{result.requests} requests, {result.retries} retries, {result.elapsed:.1f} s "
        f"(walks at once: {walks})"
    )
