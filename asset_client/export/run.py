"""One export run for every dataset: open the client, walk, write, checkpoint, report.

What differs per dataset (rows, checkpoint, resume point) lives in `_export_datasets`;
the rules for what goes on disk live in `_export`.  This module orders the steps, the
same for assets, invitees and volume, so that the checkpoint never claims more than the
partial file holds: write a page -> flush + fsync -> then (and only then) the checkpoint.
Sharp edge: the sinks (`_FileSink`, `_StreamSink`) never know which dataset they write.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, tzinfo
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO, Protocol, TextIO

from attrs import define, field, frozen
from yarl import URL

from asset_client.client.client import DEFAULT_PAGE_SIZE, AssetClient, ClientStats
from asset_client.core.query import Quote
from asset_client.core.retry import RetryPolicy
from asset_client.export.console import Console, format_age, plural
from asset_client.export.datasets import (
    AssetsDataset,
    Dataset,
    PartnerDataset,
    Saved,
    resolve_window,
)
from asset_client.export.files import (
    DEFAULT_FILE_MODE,
    CheckpointError,
    ExportBusyError,
    ExportParams,
    OutputFormat,
    PartialFile,
    Sums,
    atomic_write,
    checkpoint_path,
    finish_completed,
    format_decimal,
    key_fingerprint,
    partial_is_busy,
    partial_path,
    remove_stale_temp_files,
)
from asset_client.export.outpath import OutTargetError, open_stream
from asset_client.export.progress import make_progress
from asset_client.export.rows import DATASETS
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
class Credentials:
    # repr=False: an accidental print or traceback of the object shows no key.
    api_key: str = field(repr=False)
    secret_key: str = field(repr=False)


@frozen(kw_only=True)
class ExportSettings:
    """The validated command line of one export (of any dataset)."""

    dataset: str = "assets"  #: "assets", "invitees" or "volume"
    out: Path | None  #: None writes to ``stream``, or stdout (no partial file, no checkpoint)
    fmt: OutputFormat
    quote: Quote = "usdt"  #: assets only
    uid: int | None = None
    referral_code: str | None = None  #: invitees only
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


class ExportError(Exception):
    """A refusal before or around the walk (checkpoint trouble), with its exit status."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        self.exit_code = exit_code
        super().__init__(message)


@define
class ExportState:
    """What a failed run leaves behind, for the CLI's one-line error message."""

    records_saved: int = 0  #: records in the partial file the checkpoint covers
    completed: bool = False  #: the output is complete (a late Ctrl-C changes nothing)
    checkpoint: str | None = None  #: where the checkpoint is, for the advice on failure
    resumable: bool = False  #: a checkpoint is in place for --resume
    stdout_started: bool = False  #: some records already went to stdout
    stats: ClientStats | None = None  #: the client's counters, live (for --summary-json)
    #: what the output holds so far, live (for --summary-json; a count only but for assets)
    sums: Sums | None = None


@frozen(kw_only=True)
class ExportResult:
    sums: Sums  #: the record count (and, for assets, the exact money sums)
    volume: Decimal | None = None  #: the volume export's exact sum (None: not known or none)
    resumed_from: int  #: records the run started with (from the checkpoint)
    requests: int
    retries: int
    elapsed: float
    destination: str

    @property
    def records(self) -> int:
        return self.sums.records


# -- sinks: the seam every dataset writes through -------------------------------------


class _StreamSink:
    """Writes straight to stdout (or a device or FIFO): nothing to resume or rename."""

    def __init__(self, stream: BinaryIO, dataset: Dataset, state: ExportState) -> None:
        self._stream = stream
        self._dataset = dataset
        self._state = state
        self.broken = False
        self.already_complete = False
        self._stream.write(dataset.header())

    def write(self, batch: Sequence[Any]) -> None:
        self._state.stdout_started = True
        try:
            self._stream.write(self._dataset.encode(batch))
            self._stream.flush()  # a reader downstream sees whole pages as they come
        except BaseException:
            self.broken = True  # part of the batch may be out: never write it again
            raise
        self._dataset.add(batch)

    def commit(self) -> None:
        self._stream.flush()

    def abort(self) -> None:
        pass


class _FileSink:
    """Partial file + checkpoint beside the target; the target appears only on commit."""

    def __init__(
        self,
        target: Path,
        dataset: Dataset,
        *,
        resume: bool,
        state: ExportState,
        console: Console,
        mode: int = DEFAULT_FILE_MODE,
    ) -> None:
        self._target = target
        self._dataset = dataset
        self._state = state
        self._mode = mode
        self._checkpoint_path = checkpoint_path(target)
        state.checkpoint = str(self._checkpoint_path)
        self.broken = False
        if partial_is_busy(partial_path(target)):
            # Before looking at the checkpoint: it is the live run's, not one to resume.
            raise ExportError(_busy(target))
        #: The checkpoint showed the same export already complete (--resume): no walk.
        self.already_complete = False
        remove_stale_temp_files(self._checkpoint_path)
        prior = self._prior_checkpoint(resume, console)
        if prior is not None and prior.complete:
            dataset.finished(prior)
            self.already_complete = True
            return
        if prior is not None:
            age = _age(self._checkpoint_path)
            partial = partial_path(target)
            try:
                self._partial = PartialFile(partial, resume_at=prior.partial_bytes, mode=mode)
                dataset.restore(prior, lambda: _prefix(partial, prior.partial_bytes))
            except ExportBusyError:
                raise ExportError(_busy(target)) from None  # never advise deleting its files
            except (CheckpointError, ValueError, KeyError) as exc:
                raise ExportError(
                    f"cannot resume: {exc}; delete {self._checkpoint_path} to start over"
                ) from None
            console.note(
                f"resuming {target} from a checkpoint saved {age} ago: "
                f"{dataset.sums.records} records already written{dataset.resumed_note()}"
            )
        else:
            try:
                self._partial = PartialFile(partial_path(target), mode=mode)
            except ExportBusyError:
                raise ExportError(_busy(target)) from None
            except CheckpointError as exc:
                raise ExportError(str(exc)) from None
            self._partial.write(dataset.header())
        self._save_checkpoint()

    def _load(self) -> Saved:
        try:
            data = self._checkpoint_path.read_bytes()
        except OSError as exc:
            raise CheckpointError(f"cannot read it ({exc.strerror})") from None
        return self._dataset.load(data)

    def _finished_earlier(self, resume: bool, console: Console) -> Saved | None:
        """A checkpoint saying ``complete`` (a run killed after it wrote it) is finished
        here: the rename is done if the kill came before it, and the checkpoint goes.
        Returned if a --resume of the same export may report it; None otherwise."""
        path = self._checkpoint_path
        try:
            checkpoint = self._load()
        except CheckpointError:
            return None  # the usual refusal explains it
        if not checkpoint.complete:
            return None
        try:
            finish_completed(self._target, path, checkpoint.partial_bytes)
        except CheckpointError as exc:
            raise ExportError(f"{exc}; delete {path} to start over") from None
        console.note(
            f"the earlier export to {self._target} had completed "
            f"({checkpoint.records} records); removed its leftover checkpoint"
        )
        if resume and not self._dataset.differences(checkpoint):
            return checkpoint
        return None

    def _prior_checkpoint(self, resume: bool, console: Console) -> Saved | None:
        path = self._checkpoint_path
        if path.exists() and (done := self._finished_earlier(resume, console)) is not None:
            return done
        if not path.exists():
            if resume:
                console.note(f"--resume: no checkpoint at {path}; starting a fresh export")
            return None
        if not resume:
            # Overwriting it would throw away an interrupted export the user may want.
            raise ExportError(
                f"{path} exists: an earlier export to {self._target} stopped "
                f"{_age(path)} ago without finishing. "
                f"Pass --resume to continue it, or delete {path} to start over"
            )
        try:
            checkpoint = self._load()
        except CheckpointError as exc:
            raise ExportError(
                f"cannot resume from {path}: {exc}; delete it to start over"
            ) from None
        diffs = self._dataset.differences(checkpoint)
        if diffs:
            raise ExportError(
                f"cannot resume: {path} was made for a different export ({'; '.join(diffs)}). "
                f"Run with the same options, or delete {path} to start over"
            )
        return checkpoint

    def _save_checkpoint(self, *, complete: bool = False) -> None:
        size = self._partial.sync()
        data = self._dataset.checkpoint(size, complete=complete)
        atomic_write(self._checkpoint_path, data, self._mode)
        self._state.records_saved = self._dataset.sums.records
        self._state.resumable = True

    def write(self, batch: Sequence[Any]) -> None:
        try:
            self._partial.write(self._dataset.encode(batch))
            self._dataset.add(batch)
            self._save_checkpoint()
        except BaseException:
            # Bytes may be half-written: never write more after them.  The checkpoint
            # still describes the valid prefix, and --resume cuts the rest off.
            self.broken = True
            raise

    def commit(self) -> None:
        if self.already_complete:
            return
        # "complete" first: a kill after the rename then leaves a checkpoint that says
        # the export is finished, which the next run recognises.
        self._save_checkpoint(complete=True)
        self._partial.commit(self._target)
        self._checkpoint_path.unlink(missing_ok=True)
        self._state.resumable = False

    def abort(self) -> None:
        if self.already_complete:
            return
        if self._dataset.sums.records == 0:
            # Nothing worth resuming: leave no files that would make the next run refuse.
            self._partial.discard()
            self._checkpoint_path.unlink(missing_ok=True)
            self._state.resumable = False
        else:
            self._partial.close()


def _prefix(path: Path, size: int) -> bytes:
    """The partial file's first ``size`` bytes (what its checkpoint covers)."""
    with open(path, "rb") as file:
        return file.read(size)


def _busy(target: Path) -> str:
    return (
        f"another export is writing {target} right now; wait for it to finish (or stop it), "
        "then run this command again"
    )


def _age(path: Path) -> str:
    """How long ago ``path`` was last written, for people."""
    try:
        return format_age(time.time() - path.stat().st_mtime)
    except OSError:
        return "an unknown time"


# -- the run ----------------------------------------------------------------------------


async def _open_stream(path: Path) -> BinaryIO:
    """Open a device or FIFO named by --out (a FIFO blocks until a reader opens it, so
    the open runs in a thread)."""
    try:
        return await asyncio.to_thread(open_stream, path)
    except OutTargetError as exc:
        raise ExportError(str(exc)) from None


class ConnectionSettings(Protocol):
    """What a command needs to reach the server (an export's or a report's settings)."""

    @property
    def sandbox(self) -> bool: ...
    @property
    def base_url(self) -> str: ...
    @property
    def rate(self) -> RateLimit | None: ...
    @property
    def max_retries(self) -> int | None: ...
    @property
    def server_timezone(self) -> tzinfo: ...
    @property
    def proxy(self) -> str | None: ...
    @property
    def limiter(self) -> str | None: ...


@asynccontextmanager
async def open_client(
    settings: ConnectionSettings, credentials: Credentials | None
) -> AsyncIterator[tuple[AssetClient, Credentials]]:
    """A client of the given server, or of an embedded sandbox with its demo credentials
    (``--sandbox``), and the credentials it uses."""
    if not settings.sandbox:
        if credentials is None:
            raise ExportError("no credentials")
        base_url, creds = settings.base_url, credentials
        async with _client(settings, base_url, creds) as client:
            yield client, creds
        return
    # Imported here: real runs never load the sandbox's server code.
    from asset_client.sandbox import DEMO_API_KEY, DEMO_SECRET_KEY, SandboxConfig, run_sandbox

    config = SandboxConfig()
    if settings.rate is not None:
        config = SandboxConfig(rate_limit=settings.rate.requests, window=settings.rate.period)
    async with run_sandbox(config) as server:
        creds = Credentials(api_key=DEMO_API_KEY, secret_key=DEMO_SECRET_KEY)
        async with _client(settings, server.base_url, creds) as client:
            yield client, creds


def _client(settings: ConnectionSettings, base_url: str, creds: Credentials) -> AssetClient:
    retry_policy = RetryPolicy()
    if settings.max_retries is not None:
        retry_policy = RetryPolicy(max_retries=settings.max_retries)
    return AssetClient(
        creds.api_key,
        creds.secret_key,
        base_url=base_url,
        rate_limit=settings.rate,
        retry_policy=retry_policy,
        limiter=settings.limiter,
        server_timezone=settings.server_timezone,
        proxy=None if settings.sandbox else settings.proxy,
    )


def _dataset(settings: ExportSettings, source: str, key: str, now: datetime) -> Dataset:
    """The dataset's part of the run: rows, checkpoint and resume point."""
    if settings.dataset == "assets":
        params = ExportParams(
            quote=settings.quote,
            uid=settings.uid,
            start=settings.start,
            end=settings.end,
            page_size=settings.page_size,
            format=settings.fmt.value,
            source=source,
            server_timezone=settings.server_timezone_name,
            key=key,
        )
        return AssetsDataset(
            params, settings.fmt, quote=settings.quote, page_size=settings.page_size
        )
    # What decides the content; a resume must match all of it.
    asked: dict[str, Any] = {
        "dataset": settings.dataset,
        "uid": settings.uid,
        "referral_code": settings.referral_code,
        "start": settings.start,
        "end": settings.end,
        "page_size": settings.page_size,
        "format": settings.fmt.value,
        "source": source,
        "server_timezone": settings.server_timezone_name,
        "key": key,
    }
    window = resolve_window(
        settings.dataset, settings.start, settings.end, settings.server_timezone, now
    )
    return PartnerDataset(
        DATASETS[settings.dataset],
        settings.fmt,
        asked,
        window,
        uid=settings.uid,
        referral_code=settings.referral_code,
        page_size=settings.page_size,
    )


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
    """Export every matching record of ``settings.dataset``; raise what stopped it (the
    checkpoint is saved).

    Messages go through ``console`` (default: plain text on ``stderr``); ``now`` (default:
    the clock) ends an invitee window left open on a first run.
    """
    console = console or Console(stderr)
    started = time.monotonic()
    source = "sandbox" if settings.sandbox else str(URL(settings.base_url).origin())
    async with open_client(settings, credentials) as (client, creds):
        state.stats = client.stats
        moment = now or datetime.fromtimestamp(time.time(), settings.server_timezone)
        dataset = _dataset(settings, source, key_fingerprint(creds.api_key), moment)
        # The CLI validated every filter before this point, so a bad argument never
        # gets as far as creating files.
        sink: _FileSink | _StreamSink
        stream = await _open_stream(settings.stream) if settings.stream else None
        if settings.out is None:
            sink = _StreamSink(stream or stdout, dataset, state)
        else:
            sink = _FileSink(
                settings.out,
                dataset,
                resume=settings.resume,
                state=state,
                console=console,
                mode=settings.file_mode,
            )
        state.sums = dataset.sums
        resumed_from = dataset.sums.records
        if sink.already_complete:
            state.completed = True
            console.note(f"{settings.out} is already complete")
            return ExportResult(
                sums=dataset.sums,
                volume=dataset.volume,
                resumed_from=resumed_from,
                requests=0,
                retries=0,
                elapsed=time.monotonic() - started,
                destination=str(settings.out),
            )
        walk = dataset.walk(client)
        progress = make_progress(console, initial=resumed_from)
        # One checkpoint per page's worth of records (what a walk page holds).
        flush_every = settings.page_size or DEFAULT_PAGE_SIZE
        batch: list[Any] = []
        try:
            async for record in walk:
                batch.append(record)
                if len(batch) >= flush_every:
                    sink.write(batch)
                    batch = []
                    progress.update(
                        dataset.sums.records, client.stats.expected_total, client.stats.requests
                    )
            if batch:
                sink.write(batch)
                batch = []
            progress.update(
                dataset.sums.records, client.stats.expected_total, client.stats.requests
            )
            dataset.check_complete(client.stats.expected_total)
            sink.commit()
            state.completed = True
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
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        return ExportResult(
            sums=dataset.sums,
            volume=dataset.volume,
            resumed_from=resumed_from,
            requests=client.stats.requests,
            retries=client.stats.retries,
            elapsed=time.monotonic() - started,
            destination=str(settings.out or settings.stream or "stdout"),
        )


def summary_line(result: ExportResult, dataset: str = "assets") -> str:
    """The one line a finished export prints on stderr."""
    resumed = f" ({result.resumed_from} from the checkpoint)" if result.resumed_from else ""
    if dataset != "assets":
        volume = result.volume
        sums = f"; sum volume={format_decimal(volume)}" if volume is not None else ""
        noun = "invitee record" if dataset == "invitees" else "daily volume record"
        return (
            f"asset-client: exported {plural(result.records, noun)}{resumed} to "
            f"{result.destination}{sums}; {plural(result.requests, 'request')}, "
            f"{plural(result.retries, 'retry')}, {result.elapsed:.1f} s"
        )
    money = result.sums
    return (
        f"asset-client: exported {plural(money.records, 'record')}{resumed} to "
        f"{result.destination}; sums: total_deposit={money.total_deposit:f} "
        f"total_withdrawal={money.total_withdrawal:f} "
        f"current_balance={money.current_balance:f}; {plural(result.requests, 'request')}, "
        f"{plural(result.retries, 'retry')}, {result.elapsed:.1f} s"
    )
