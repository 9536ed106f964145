"""One export run: open the client, walk, write, checkpoint, report.

The rules for what goes on disk live in `_export`; this module only orders the steps
so that the checkpoint never claims more than the partial file holds:
write a batch -> flush + fsync -> then (and only then) the checkpoint.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import tzinfo
from pathlib import Path
from typing import BinaryIO, TextIO

from attrs import define, field, frozen
from yarl import URL

from ._client import DEFAULT_PAGE_SIZE, AssetClient, ClientStats
from ._console import Console, format_age
from ._errors import PaginationError
from ._export import (
    DEFAULT_FILE_MODE,
    Checkpoint,
    CheckpointError,
    ExportBusyError,
    ExportParams,
    OutputFormat,
    PartialFile,
    Sums,
    atomic_write,
    checkpoint_path,
    encode_header,
    encode_records,
    finish_completed,
    key_fingerprint,
    load_checkpoint,
    param_differences,
    partial_is_busy,
    partial_path,
    remove_stale_temp_files,
)
from ._models import InviteeAsset
from ._outpath import OutTargetError, open_stream
from ._progress import make_progress
from ._query import Quote
from ._ratelimit import RateLimit
from ._retry import RetryPolicy

__all__ = [
    "Credentials",
    "ExportError",
    "ExportResult",
    "ExportSettings",
    "ExportState",
    "run_export",
]


@frozen(kw_only=True)
class Credentials:
    # repr=False: an accidental print or traceback of the object shows no key.
    api_key: str = field(repr=False)
    secret_key: str = field(repr=False)


@frozen(kw_only=True)
class ExportSettings:
    """The validated command line of one export."""

    out: Path | None  #: None writes to ``stream``, or stdout (no partial file, no checkpoint)
    fmt: OutputFormat
    quote: Quote = "usdt"
    uid: int | None = None
    start: str | None = None
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
    sums: Sums | None = None  #: what the output holds so far, live (for --summary-json)


@frozen(kw_only=True)
class ExportResult:
    sums: Sums
    resumed_from: int  #: records the run started with (from the checkpoint)
    requests: int
    retries: int
    elapsed: float
    destination: str


# -- sinks --------------------------------------------------------------------------


class _StreamSink:
    """Writes straight to stdout: nothing to resume, nothing to rename."""

    def __init__(self, stream: BinaryIO, fmt: OutputFormat, state: ExportState) -> None:
        self._stream = stream
        self._fmt = fmt
        self._state = state
        self.sums = Sums()
        self.last_uid: int | None = None
        self.broken = False
        self._stream.write(encode_header(fmt))

    def write(self, batch: Sequence[InviteeAsset]) -> None:
        self._state.stdout_started = True
        try:
            self._stream.write(encode_records(self._fmt, batch))
            self._stream.flush()  # a reader downstream sees whole pages as they come
        except BaseException:
            self.broken = True  # part of the batch may be out: never write it again
            raise
        self.sums.add(batch)
        self.last_uid = batch[-1].uid

    def commit(self) -> None:
        self._stream.flush()

    def abort(self) -> None:
        pass


class _FileSink:
    """Partial file + checkpoint beside the target; the target appears only on commit."""

    def __init__(
        self,
        target: Path,
        fmt: OutputFormat,
        params: ExportParams,
        *,
        resume: bool,
        state: ExportState,
        console: Console,
        mode: int = DEFAULT_FILE_MODE,
    ) -> None:
        self._target = target
        self._fmt = fmt
        self._params = params
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
            self.sums = prior.sums.copy()
            self.last_uid = prior.last_uid
            self.resumed_from = self.sums.records
            self.already_complete = True
            return
        if prior is not None:
            age = _age(self._checkpoint_path)
            try:
                self._partial = PartialFile(
                    partial_path(target), resume_at=prior.partial_bytes, mode=mode
                )
            except ExportBusyError:
                raise ExportError(_busy(target)) from None  # never advise deleting its files
            except CheckpointError as exc:
                raise ExportError(
                    f"cannot resume: {exc}; delete {self._checkpoint_path} to start over"
                ) from None
            self.sums = prior.sums.copy()
            self.last_uid = prior.last_uid
            console.note(
                f"resuming {target} from a checkpoint saved {age} ago: {self.sums.records} "
                f"records already written (last uid {self.last_uid})"
            )
        else:
            try:
                self._partial = PartialFile(partial_path(target), mode=mode)
            except ExportBusyError:
                raise ExportError(_busy(target)) from None
            except CheckpointError as exc:
                raise ExportError(str(exc)) from None
            self._partial.write(encode_header(fmt))
            self.sums = Sums()
            self.last_uid = None
        self.resumed_from = self.sums.records
        self._save_checkpoint()

    def _finished_earlier(self, resume: bool, console: Console) -> Checkpoint | None:
        """A checkpoint saying ``complete`` (a run killed after it wrote it) is finished
        here: the rename is done if the kill came before it, and the checkpoint goes.
        Returned if a --resume of the same export may report it; None otherwise."""
        path = self._checkpoint_path
        try:
            checkpoint = load_checkpoint(path)
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
            f"({checkpoint.sums.records} records); removed its leftover checkpoint"
        )
        if resume and not param_differences(checkpoint.params, self._params):
            return checkpoint
        return None

    def _prior_checkpoint(self, resume: bool, console: Console) -> Checkpoint | None:
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
            checkpoint = load_checkpoint(path)
        except CheckpointError as exc:
            raise ExportError(
                f"cannot resume from {path}: {exc}; delete it to start over"
            ) from None
        diffs = param_differences(checkpoint.params, self._params)
        if diffs:
            raise ExportError(
                f"cannot resume: {path} was made for a different export ({'; '.join(diffs)}). "
                f"Run with the same options, or delete {path} to start over"
            )
        return checkpoint

    def _save_checkpoint(self, *, complete: bool = False) -> None:
        size = self._partial.sync()
        checkpoint = Checkpoint(
            params=self._params,
            last_uid=self.last_uid,
            sums=self.sums,
            partial_bytes=size,
            complete=complete,
        )
        atomic_write(self._checkpoint_path, checkpoint.to_json(), self._mode)
        self._state.records_saved = self.sums.records
        self._state.resumable = True

    def write(self, batch: Sequence[InviteeAsset]) -> None:
        try:
            self._partial.write(encode_records(self._fmt, batch))
            self.sums.add(batch)
            self.last_uid = batch[-1].uid
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
        if self.sums.records == 0:
            # Nothing worth resuming: leave no files that would make the next run refuse.
            self._partial.discard()
            self._checkpoint_path.unlink(missing_ok=True)
            self._state.resumable = False
        else:
            self._partial.close()


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


def _check_against_total(records: int, total: int | None) -> None:
    """Refuse to call an export complete that holds fewer records than the server lists.

    A resumed export only adds uids after its last one, so an invitee that appeared
    below that point (or records that shifted between pages) would be missing.
    """
    if total is not None and records < total:
        raise PaginationError(
            f"the server lists {total} records but the export holds {records}: invitees "
            "appeared below the point this export resumed from, or pages shifted while it ran"
        )


async def _open_stream(path: Path) -> BinaryIO:
    """Open a device or FIFO named by --out (a FIFO blocks until a reader opens it, so
    the open runs in a thread)."""
    try:
        return await asyncio.to_thread(open_stream, path)
    except OutTargetError as exc:
        raise ExportError(str(exc)) from None


@asynccontextmanager
async def _server(
    settings: ExportSettings, credentials: Credentials | None
) -> AsyncIterator[tuple[str, Credentials, str]]:
    """(base URL, credentials, source tag for the checkpoint): the embedded sandbox with
    its demo credentials for --sandbox, else the given server."""
    if not settings.sandbox:
        if credentials is None:
            raise ExportError("no credentials")
        yield settings.base_url, credentials, str(URL(settings.base_url).origin())
        return
    # Imported here: real exports never load the sandbox's server code.
    from .sandbox import DEMO_API_KEY, DEMO_SECRET_KEY, SandboxConfig, run_sandbox

    config = SandboxConfig()
    if settings.rate is not None:
        config = SandboxConfig(rate_limit=settings.rate.requests, window=settings.rate.period)
    async with run_sandbox(config) as sandbox:
        demo = Credentials(api_key=DEMO_API_KEY, secret_key=DEMO_SECRET_KEY)
        yield sandbox.base_url, demo, "sandbox"


async def run_export(
    settings: ExportSettings,
    credentials: Credentials | None,
    *,
    stdout: BinaryIO,
    stderr: TextIO,
    state: ExportState,
    console: Console | None = None,
) -> ExportResult:
    """Export every matching record; raise what stopped it (the checkpoint is saved).

    Messages go through ``console`` (default: plain text on ``stderr``).
    """
    console = console or Console(stderr)
    started = time.monotonic()
    async with _server(settings, credentials) as (base_url, creds, source):
        params = ExportParams(
            quote=settings.quote,
            uid=settings.uid,
            start=settings.start,
            end=settings.end,
            page_size=settings.page_size,
            format=settings.fmt.value,
            source=source,
            server_timezone=settings.server_timezone_name,
            key=key_fingerprint(creds.api_key),
        )
        retry_policy = RetryPolicy()
        if settings.max_retries is not None:
            retry_policy = RetryPolicy(max_retries=settings.max_retries)
        async with AssetClient(
            creds.api_key,
            creds.secret_key,
            base_url=base_url,
            rate_limit=settings.rate,
            retry_policy=retry_policy,
            limiter=settings.limiter,
            server_timezone=settings.server_timezone,
            proxy=None if settings.sandbox else settings.proxy,
        ) as client:
            state.stats = client.stats
            # The CLI validated every filter before this point, so a bad argument never
            # gets as far as creating files.
            sink: _FileSink | _StreamSink
            stream = await _open_stream(settings.stream) if settings.stream else None
            if settings.out is None:
                sink = _StreamSink(stream or stdout, settings.fmt, state)
            else:
                sink = _FileSink(
                    settings.out,
                    settings.fmt,
                    params,
                    resume=settings.resume,
                    state=state,
                    console=console,
                    mode=settings.file_mode,
                )
            state.sums = sink.sums
            resumed_from = sink.sums.records
            if isinstance(sink, _FileSink) and sink.already_complete:
                state.completed = True
                console.note(f"{settings.out} is already complete")
                return ExportResult(
                    sums=sink.sums,
                    resumed_from=resumed_from,
                    requests=0,
                    retries=0,
                    elapsed=time.monotonic() - started,
                    destination=str(settings.out),
                )
            walk = client.iter_invitee_assets(
                quote=settings.quote,
                start_time=settings.start,
                end_time=settings.end,
                uid=settings.uid,
                page_size=settings.page_size,
                after_uid=sink.last_uid,
                start_offset=sink.sums.records,
            )
            progress = make_progress(console, initial=resumed_from)
            # One checkpoint per page's worth of records (what a walk page holds).
            flush_every = settings.page_size or DEFAULT_PAGE_SIZE
            batch: list[InviteeAsset] = []
            try:
                async for asset in walk:
                    batch.append(asset)
                    if len(batch) >= flush_every:
                        sink.write(batch)
                        batch = []
                        progress.update(
                            sink.sums.records, client.stats.expected_total, client.stats.requests
                        )
                if batch:
                    sink.write(batch)
                    batch = []
                progress.update(
                    sink.sums.records, client.stats.expected_total, client.stats.requests
                )
                _check_against_total(sink.sums.records, client.stats.expected_total)
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
                sums=sink.sums,
                resumed_from=resumed_from,
                requests=client.stats.requests,
                retries=client.stats.retries,
                elapsed=time.monotonic() - started,
                destination=str(settings.out or settings.stream or "stdout"),
            )
