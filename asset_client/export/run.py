"""One export run for every dataset of the partner API: open the client, walk, write, report.

Assets, invitees, volume (or any `Endpoint` handed in) go through the same steps: freeze
what is asked (`asset_client.export.filters`), pick the sink, walk with the public
``client.walk(endpoint, page_size=..., resume=..., **filters)``, write a page's worth of
records at a time, and call the output complete only when the walk and the server's total
agree.  Sharp edge: whatever stops the run (an error, Ctrl-C), every whole record already
received is written and checkpointed first, so a resume re-fetches as little as possible.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from attrs import frozen
from yarl import URL

from asset_client.client.walk_iter import WalkIterator
from asset_client.core.query import Quote
from asset_client.endpoints import ENDPOINTS, Endpoint
from asset_client.export.checkpoint import Asked, key_fingerprint, plain_filters
from asset_client.export.connect import Credentials, open_client
from asset_client.export.console import Console, plural
from asset_client.export.datasets import Dataset
from asset_client.export.errors import ExportError
from asset_client.export.files import DEFAULT_FILE_MODE
from asset_client.export.filters import filters_for, frozen_window
from asset_client.export.outpath import OutTargetError, open_stream
from asset_client.export.parquet import STREAM_REFUSED, ParquetSink
from asset_client.export.progress import Progress, make_progress
from asset_client.export.rows import OutputFormat
from asset_client.export.sinks import FileSink, StreamSink
from asset_client.export.state import ExportState
from asset_client.export.sums import Sums
from asset_client.limit.limiter import RateLimit

__all__ = [
    "Credentials",
    "ExportError",
    "ExportResult",
    "ExportSettings",
    "ExportState",
    "open_client",
    "run_export",
    "summary_line",
]


@frozen(kw_only=True)
class ExportSettings:
    """The validated command line of one export (of any dataset)."""

    dataset: str = "assets"  #: "assets", "invitees" or "volume" (see ``endpoint``)
    out: Path | None  #: None writes to ``stream``, or stdout (no partial file, no checkpoint)
    fmt: OutputFormat
    quote: Quote = "usdt"  #: for an endpoint that takes it (assets)
    uid: int | None = None
    referral_code: str | None = None  #: for an endpoint that takes it (invitees)
    start: str | None = None  #: as given: a time (assets, invitees) or a day (volume)
    end: str | None = None
    page_size: int | None = None
    base_url: str = "https://api.coinw.com"
    sandbox: bool = False
    resume: bool = False
    server_timezone: tzinfo
    server_timezone_name: str = "UTC"
    rate: RateLimit | None = None  #: None keeps the library's default (5 per second)
    max_retries: int | None = None  #: None keeps the library's default
    #: --limiter: None leaves it to ASSET_CLIENT_LIMITER, then the host-wide default
    limiter: str | None = None
    #: A device or FIFO named by --out: written through like stdout, never replaced.
    stream: Path | None = None
    #: Mode of the files created (export, partial, checkpoint); the umask still applies.
    file_mode: int = DEFAULT_FILE_MODE
    proxy: str | None = None  #: None: HTTPS_PROXY / HTTP_PROXY from the environment
    #: The endpoint to export, for one that is not in `ENDPOINTS` (None: ``dataset``'s).
    endpoint: Endpoint[Any, Any, Any] | None = None
    #: The endpoint's own keyword filters (``validate``'s); None: built from ``quote``,
    #: ``uid``, ``referral_code``, ``start`` and ``end``.
    filters: Mapping[str, object] | None = None


@frozen(kw_only=True)
class ExportResult:
    sums: Sums  #: the record count and the dataset's own exact sums
    resumed_from: int  #: records the run started with (from the checkpoint)
    requests: int
    retries: int
    elapsed: float
    destination: str
    dataset: str = ""  #: the dataset's name ("assets", "invitees", "volume")

    @property
    def records(self) -> int:
        return self.sums.records


def _endpoint(settings: ExportSettings) -> Endpoint[Any, Any, Any]:
    if settings.endpoint is not None:
        return settings.endpoint
    try:
        return ENDPOINTS[settings.dataset]
    except KeyError:
        raise ExportError(
            f"dataset must be one of {', '.join(ENDPOINTS)}, got {settings.dataset!r}"
        ) from None


def _dataset(settings: ExportSettings, source: str, key: str, now: datetime) -> Dataset:
    """What this export asks, checked and frozen before any file is created (a bad
    filter is refused here, not after the partial file exists)."""
    endpoint = _endpoint(settings)
    if settings.filters is not None:
        filters = dict(settings.filters)
    else:
        filters = filters_for(
            endpoint,
            settings.start,
            settings.end,
            quote=settings.quote,
            uid=settings.uid,
            referral_code=settings.referral_code,
        )
    window = frozen_window(endpoint, filters, now, settings.server_timezone)
    if window is None:  # no window: the filters are checked here all the same
        endpoint.validate(**filters, server_tz=settings.server_timezone)
    if settings.page_size is not None:
        endpoint.limits.check(settings.page_size)
    asked = Asked(
        dataset=endpoint.name,
        filters=plain_filters(filters),
        page_size=settings.page_size,
        format=settings.fmt.value,
        source=source,
        server_timezone=settings.server_timezone_name,
        key=key,
    )
    return Dataset(endpoint, settings.fmt, asked, filters, window)


async def _open_stream(path: Path) -> BinaryIO:
    """Open a device or FIFO named by --out (a FIFO blocks until a reader opens it, so
    the open runs in a thread)."""
    try:
        return await asyncio.to_thread(open_stream, path)
    except OutTargetError as exc:
        raise ExportError(str(exc)) from None


async def _pump(
    walk: WalkIterator[Any],
    sink: FileSink | StreamSink | ParquetSink,
    dataset: Dataset,
    progress: Progress,
    flush_every: int,
) -> None:
    """Walk into the sink a page's worth at a time; on any stop, write what came whole."""
    batch: list[Any] = []

    def show() -> None:
        progress.update(dataset.sums.records, walk.stats.expected_total, walk.stats.requests)

    try:
        async for record in walk:
            batch.append(record)
            if len(batch) >= flush_every:
                sink.write(batch)
                batch = []
                show()
        if batch:
            sink.write(batch)
            batch = []
        show()
        dataset.check_complete(walk.stats.expected_total)
        sink.commit()
    except BaseException:
        # Interrupted or given up: keep every whole record already received, so a
        # resume re-fetches as little as possible.
        if batch and not sink.broken:
            # The original error is the one to report.
            with contextlib.suppress(Exception):
                sink.write(batch)
        sink.abort()
        raise
    finally:
        progress.close()
        await walk.aclose()


async def run_export(
    settings: ExportSettings,
    credentials: Credentials | None,
    *,
    stdout: BinaryIO,
    stderr: TextIO,
    state: ExportState,
    console: Console | None = None,
    now: datetime | None = None,
) -> ExportResult:
    """Export every matching record of the dataset; raise what stopped it (the checkpoint
    is saved).

    Messages go through ``console`` (default: plain text on ``stderr``); ``now`` (default:
    the clock) is the moment an open window is frozen at on a first run.
    """
    console = console or Console(stderr)
    started = time.monotonic()
    source = "sandbox" if settings.sandbox else str(URL(settings.base_url).origin())
    async with open_client(settings, credentials) as (client, creds):
        state.stats = client.stats
        moment = now or datetime.fromtimestamp(time.time(), settings.server_timezone)
        dataset = _dataset(settings, source, key_fingerprint(creds.api_key), moment)
        state.dataset, state.sums = dataset.name, dataset.sums
        stream = await _open_stream(settings.stream) if settings.stream else None
        try:
            sink = _sink(settings, dataset, state, console, stream or stdout)
            state.sums = dataset.sums  # a resume's, read back from its file
            resumed_from = dataset.sums.records
            if sink.already_complete:
                state.completed = True
                console.note(f"{settings.out} is already complete")
                return _result(settings, dataset, resumed_from, started, requests=0, retries=0)
            walk = dataset.walk(client, settings.page_size)
            progress = make_progress(console, initial=resumed_from)
            # One checkpoint per page's worth of records (what a walk page holds).
            flush_every = settings.page_size or dataset.endpoint.limits.default
            await _pump(walk, sink, dataset, progress, flush_every)
            state.completed = True
        finally:
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        stats = client.stats
        return _result(settings, dataset, resumed_from, started, stats.requests, stats.retries)


def _sink(
    settings: ExportSettings,
    dataset: Dataset,
    state: ExportState,
    console: Console,
    stream: BinaryIO,
) -> FileSink | StreamSink | ParquetSink:
    if settings.fmt is OutputFormat.PARQUET:
        if settings.out is None:
            raise ExportError(STREAM_REFUSED)
        return ParquetSink(
            settings.out, dataset, resume=settings.resume, state=state, mode=settings.file_mode
        )
    if settings.out is None:
        return StreamSink(stream, dataset, state)
    return FileSink(
        settings.out,
        dataset,
        resume=settings.resume,
        state=state,
        console=console,
        mode=settings.file_mode,
    )


def _result(
    settings: ExportSettings,
    dataset: Dataset,
    resumed_from: int,
    started: float,
    requests: int,
    retries: int,
) -> ExportResult:
    return ExportResult(
        sums=dataset.sums,
        resumed_from=resumed_from,
        requests=requests,
        retries=retries,
        elapsed=time.monotonic() - started,
        destination=str(settings.out or settings.stream or "stdout"),
        dataset=dataset.name,
    )


def summary_line(result: ExportResult, dataset: str | None = None) -> str:
    """The one line a finished export prints on stderr: the count, the dataset's own
    sums (none for a count-only dataset), requests, retries and time.  (``dataset`` is
    accepted for earlier callers; the result names it.)"""
    resumed = f" ({result.resumed_from} from the checkpoint)" if result.resumed_from else ""
    amounts = result.sums.text()
    sums = "; sums: " + " ".join(f"{n}={v}" for n, v in amounts.items()) if amounts else ""
    return (
        f"asset-client: exported {plural(result.records, 'record')}{resumed} to "
        f"{result.destination}{sums}; {plural(result.requests, 'request')}, "
        f"{plural(result.retries, 'retry')}, {result.elapsed:.1f} s"
    )
