"""One export run of the invitee list or the trading volume: walk, write, checkpoint.

The same guarantees as the assets export (`_export_run`): records go to a hidden partial
file that becomes the target only when complete; after every batch the file is synced and
*then* the checkpoint saved; ``--resume`` continues it; exact decimals; progress on stderr.

Sharp edges:
- The window is resolved once, on the first run, and saved in the checkpoint: a resume
  walks the very same window ("every invitee ever" ends when the first run started; a
  volume export without dates is frozen to the server's default, 30 days ago .. today).
- Files follow the assets export's rules through the same code (`_export`, `_outpath`):
  owner-only unless ``file_mode`` says otherwise, a device or FIFO written through and
  never replaced, ``complete`` saved in the checkpoint before the final rename (and a
  completed checkpoint recognised by `finish_completed`), stale temp files removed.
- A resume reads the partial file's last row back (its sort key and the identities tied
  with it) and hands the walk that resume point: the walk skips the pages before it,
  checks there that nothing moved, and reads from further back if something did.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from attrs import frozen
from yarl import URL

from ._client import AssetClient
from ._console import Console
from ._dataset_rows import DATASETS, DatasetRows, read_back
from ._export import (
    DEFAULT_FILE_MODE,
    CheckpointError,
    ExportBusyError,
    OutputFormat,
    PartialFile,
    Sums,
    atomic_write,
    checkpoint_path,
    finish_completed,
    format_decimal,
    key_fingerprint,
    partial_path,
    remove_stale_temp_files,
)
from ._export_run import Credentials, ExportError, ExportState, _open_stream
from ._partner_query import InviteeQuery, VolumeQuery, resolve_invitee_window
from ._progress import make_progress
from ._ratelimit import RateLimit
from ._retry import RetryPolicy
from ._walk import Resume
from .endpoints import INVITEES, VOLUME

__all__ = [
    "DatasetResult",
    "DatasetSettings",
    "partner_server",
    "run_dataset_export",
    "summary_line",
]

_VERSION = "dataset-1"
_FLUSH_EVERY = 1000


@frozen(kw_only=True)
class DatasetSettings:
    """The validated command line of one invitees/volume export."""

    dataset: str  #: "invitees" or "volume"
    out: Path | None
    fmt: OutputFormat
    uid: int | None = None
    referral_code: str | None = None
    start: str | None = None  #: as given: a time (invitees) or a day (volume)
    end: str | None = None
    page_size: int | None = None
    base_url: str = "https://api.coinw.com"
    sandbox: bool = False
    resume: bool = False
    server_timezone: tzinfo
    server_timezone_name: str = "UTC"
    rate: RateLimit | None = None
    max_retries: int | None = None
    proxy: str | None = None  #: None: HTTPS_PROXY / HTTP_PROXY from the environment
    #: --limiter: None leaves it to ASSET_CLIENT_LIMITER, then the host-wide default
    limiter: str | None = None
    #: A device or FIFO named by --out: written through like stdout, never replaced.
    stream: Path | None = None
    #: Mode of the files created (export, partial, checkpoint); the umask still applies.
    file_mode: int = DEFAULT_FILE_MODE


@frozen(kw_only=True)
class DatasetResult:
    records: int
    volume: Decimal | None
    resumed_from: int
    requests: int
    retries: int
    elapsed: float
    destination: str


def _asked(settings: DatasetSettings, source: str, key: str) -> dict[str, Any]:
    """What decides the content; a resume must match all of it."""
    return {
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


def resolve_window(settings: DatasetSettings, now: datetime) -> tuple[str, str]:
    """The explicit window a first run walks (and a resume walks again)."""
    zone = settings.server_timezone
    if settings.dataset == "invitees":
        query = resolve_invitee_window(
            INVITEES.validate(start_time=settings.start, end_time=settings.end, server_tz=zone),
            now,
            zone,
        )
        assert query.start_time is not None and query.end_time is not None
        return query.start_time, query.end_time
    today = now.astimezone(zone).date()
    start = settings.start or (today - timedelta(days=30)).isoformat()
    end = settings.end or today.isoformat()
    VOLUME.validate(start_date=start, end_date=end, server_tz=zone)  # start after end
    return start, end


class _Checkpoint:
    """JSON beside the target: what was asked, the frozen window, how far the file got."""

    def __init__(self, path: Path, mode: int) -> None:
        self.path = path
        self.mode = mode

    def completed(self) -> tuple[dict[str, Any], int, int] | None:
        """(what was asked, records, partial_bytes) if the checkpoint says ``complete``."""
        try:
            doc = json.loads(self.path.read_bytes())
            if isinstance(doc, dict) and doc.get("complete") is True:
                return dict(doc["params"]), int(doc["records"]), int(doc["partial_bytes"])
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            pass  # the usual load explains what is wrong with it
        return None

    def load(self, asked: dict[str, Any]) -> tuple[tuple[str, str], int]:
        try:
            doc = json.loads(self.path.read_bytes())
            if not isinstance(doc, dict) or doc.get("version") != _VERSION:
                raise CheckpointError(f"not a {_VERSION} checkpoint")
            saved, window, size = doc["params"], doc["window"], doc["partial_bytes"]
            if not (isinstance(window, list) and len(window) == 2):
                raise CheckpointError(f"window must be [start, end], got {window!r}")
            if not isinstance(size, int) or size < 0:
                raise CheckpointError(f"partial_bytes must be an integer >= 0, got {size!r}")
        except RecursionError:
            raise CheckpointError("unreadable (nested too deep)") from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CheckpointError(f"unreadable ({str(exc)[:200]})") from None
        diffs = [
            "API key: the checkpoint was made with another key"
            if name == "key"
            else f"{name}: checkpoint {saved.get(name)!r}, now {value!r}"
            for name, value in asked.items()
            if saved.get(name) != value
        ]
        if diffs:
            raise ExportError(
                f"cannot resume: {self.path} was made for a different export "
                f"({'; '.join(diffs)}). Run with the same options, or delete {self.path} "
                "to start over"
            )
        return (str(window[0]), str(window[1])), size

    def save(
        self,
        asked: dict[str, Any],
        window: tuple[str, str],
        records: int,
        size: int,
        *,
        complete: bool = False,
    ) -> None:
        doc = {
            "version": _VERSION,
            "params": asked,
            "window": list(window),
            "records": records,
            "partial_bytes": size,
            "complete": complete,
        }
        atomic_write(self.path, (json.dumps(doc, indent=2) + "\n").encode(), self.mode)


@asynccontextmanager
async def partner_server(
    *, sandbox: bool, base_url: str, rate: RateLimit | None, credentials: Credentials | None
) -> AsyncIterator[tuple[str, Credentials]]:
    """The given server, or an embedded sandbox with its demo credentials."""
    if not sandbox:
        if credentials is None:
            raise ExportError("no credentials")
        yield base_url, credentials
        return
    # Imported here: real runs never load the sandbox's server code.
    from .sandbox import DEMO_API_KEY, DEMO_SECRET_KEY, SandboxConfig, run_sandbox

    config = SandboxConfig()
    if rate is not None:
        config = SandboxConfig(rate_limit=rate.requests, window=rate.period)
    async with run_sandbox(config) as server:
        yield server.base_url, Credentials(api_key=DEMO_API_KEY, secret_key=DEMO_SECRET_KEY)


async def run_dataset_export(
    settings: DatasetSettings,
    credentials: Credentials | None,
    *,
    stdout: BinaryIO,
    stderr: TextIO,
    state: ExportState,
    console: Console | None = None,
    now: datetime | None = None,
) -> DatasetResult:
    """Export every record of the dataset; raise what stopped it (the checkpoint is saved).

    Messages go through ``console`` (default: plain text on ``stderr``).
    """
    started = time.monotonic()
    console = console or Console(stderr)
    rows = DATASETS[settings.dataset]
    source = "sandbox" if settings.sandbox else str(URL(settings.base_url).origin())
    async with partner_server(
        sandbox=settings.sandbox,
        base_url=settings.base_url,
        rate=settings.rate,
        credentials=credentials,
    ) as (base_url, creds):
        asked = _asked(settings, source, key_fingerprint(creds.api_key))
        policy = RetryPolicy(
            **({} if settings.max_retries is None else {"max_retries": settings.max_retries})
        )
        async with AssetClient(
            creds.api_key,
            creds.secret_key,
            base_url=base_url,
            rate_limit=settings.rate,
            retry_policy=policy,
            server_timezone=settings.server_timezone,
            proxy=None if settings.sandbox else settings.proxy,
            limiter=settings.limiter,
        ) as client:
            state.stats = client.stats
            moment = now or datetime.fromtimestamp(time.time(), settings.server_timezone)
            stream = await _open_stream(settings.stream) if settings.stream else None
            writer = _Writer(settings, rows, asked, state, console, stream or stdout)
            window = writer.open(resolve_window(settings, moment))
            resumed_from = writer.records
            if writer.already_complete:
                state.completed = True
                console.note(f"{settings.out} is already complete")
                return DatasetResult(
                    records=writer.records,
                    volume=None,
                    resumed_from=resumed_from,
                    requests=0,
                    retries=0,
                    elapsed=time.monotonic() - started,
                    destination=str(settings.out),
                )
            walk: AsyncGenerator[Any, None]
            if settings.dataset == "invitees":
                invitees = InviteeQuery(
                    uid=settings.uid,
                    referral_code=settings.referral_code,
                    start_time=window[0],
                    end_time=window[1],
                )
                walk = client._walk_endpoint(
                    INVITEES, invitees, settings.page_size, resume=writer.resume
                )
            else:
                volume = VolumeQuery(uid=settings.uid, start_date=window[0], end_date=window[1])
                walk = client._walk_endpoint(
                    VOLUME, volume, settings.page_size, resume=writer.resume
                )
            progress = make_progress(console, initial=resumed_from)
            batch: list[Any] = []
            try:
                async for record in walk:
                    batch.append(record)
                    if len(batch) >= (settings.page_size or _FLUSH_EVERY):
                        writer.write(batch)
                        batch = []
                        progress.update(
                            writer.records, client.stats.expected_total, client.stats.requests
                        )
                if batch:
                    writer.write(batch)
                    batch = []
                progress.update(writer.records, client.stats.expected_total, client.stats.requests)
                writer.commit()
                state.completed = True
            except BaseException:
                if batch and not writer.broken:
                    with contextlib.suppress(Exception):
                        writer.write(batch)
                writer.abort()
                raise
            finally:
                progress.close()
                await walk.aclose()
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()
            return DatasetResult(
                records=writer.records,
                volume=writer.volume if rows.sum_of is not None else None,
                resumed_from=resumed_from,
                requests=client.stats.requests,
                retries=client.stats.retries,
                elapsed=time.monotonic() - started,
                destination=str(settings.out or settings.stream or "stdout"),
            )


class _Writer:
    """The partial file + checkpoint (or stdout), with the records' count and sum."""

    def __init__(
        self,
        settings: DatasetSettings,
        rows: DatasetRows,
        asked: dict[str, Any],
        state: ExportState,
        console: Console,
        stdout: BinaryIO,
    ) -> None:
        self._settings = settings
        self._rows = rows
        self._asked = asked
        self._state = state
        self._console = console
        self._stdout = stdout
        self._partial: PartialFile | None = None
        self._checkpoint: _Checkpoint | None = None
        self._window: tuple[str, str] = ("", "")
        #: where a resumed walk picks up (None: from the start)
        self.resume: Resume | None = None
        self.records = 0
        self.volume = Decimal(0)
        self.broken = False
        #: The checkpoint showed this very export complete (--resume): no walk.
        self.already_complete = False

    def open(self, fresh_window: tuple[str, str]) -> tuple[str, str]:
        """Start or resume; returns the window to walk."""
        settings, fmt = self._settings, self._settings.fmt
        target = settings.out
        if target is None:
            self._stdout.write(self._rows.header(fmt))
            self._window = fresh_window
            return fresh_window
        self._checkpoint = _Checkpoint(checkpoint_path(target), settings.file_mode)
        self._state.checkpoint = str(self._checkpoint.path)
        remove_stale_temp_files(self._checkpoint.path)
        if self._finished_earlier():
            return fresh_window
        exists = self._checkpoint.path.exists()
        if exists and not settings.resume:
            raise ExportError(
                f"{self._checkpoint.path} exists: an earlier export to {target} did not finish. "
                f"Pass --resume to continue it, or delete {self._checkpoint.path} to start over"
            )
        if exists:
            try:
                self._window, size = self._checkpoint.load(self._asked)
                self._partial = PartialFile(
                    partial_path(target), resume_at=size, mode=settings.file_mode
                )
                with open(partial_path(target), "rb") as file:
                    written = read_back(self._rows, fmt, file.read(size))
            except ExportBusyError as exc:
                raise ExportError(str(exc)) from None
            except (CheckpointError, ValueError, KeyError) as exc:
                raise ExportError(
                    f"cannot resume: {exc}; delete {self._checkpoint.path} to start over"
                ) from None
            self.records, self.volume = written.records, written.total
            if written.records:
                self.resume = Resume(written.last_key, written.records, written.tied)
            self._state.sums = Sums(records=self.records)
            self._console.note(f"resuming {target}: {self.records} records already written")
        else:
            if settings.resume:
                self._console.note(
                    f"--resume: no checkpoint at {self._checkpoint.path}; starting a fresh export"
                )
            try:
                self._partial = PartialFile(partial_path(target), mode=settings.file_mode)
            except CheckpointError as exc:
                raise ExportError(str(exc)) from None
            self._partial.write(self._rows.header(fmt))
            self._window = fresh_window
        self._save()
        return self._window

    def _finished_earlier(self) -> bool:
        """A checkpoint saying ``complete`` (a run killed around the final rename) is
        finished here; True if this --resume of the same export has nothing left to do."""
        assert self._checkpoint is not None and self._settings.out is not None
        done = self._checkpoint.completed()
        if done is None:
            return False
        asked, records, size = done
        target, path = self._settings.out, self._checkpoint.path
        try:
            finish_completed(target, path, size)
        except CheckpointError as exc:
            raise ExportError(f"{exc}; delete {path} to start over") from None
        self._console.note(
            f"the earlier export to {target} had completed ({records} records); "
            "removed its leftover checkpoint"
        )
        if self._settings.resume and asked == self._asked:
            self.records = records
            self._state.sums = Sums(records=records)
            self.already_complete = True
            return True
        return False

    def _save(self, *, complete: bool = False) -> None:
        assert self._partial is not None and self._checkpoint is not None
        size = self._partial.sync()
        self._checkpoint.save(self._asked, self._window, self.records, size, complete=complete)
        self._state.records_saved = self.records
        self._state.resumable = True

    def write(self, batch: list[Any]) -> None:
        data = self._rows.encode(self._settings.fmt, batch)
        try:
            if self._partial is None:
                self._state.stdout_started = True
                self._stdout.write(data)
                self._stdout.flush()
            else:
                self._partial.write(data)
            self.records += len(batch)
            self._state.sums = Sums(records=self.records)  # for --summary-json: a count only
            self.volume = self._rows.add_sum(self.volume, batch)
            if self._partial is not None:
                self._save()
        except BaseException:
            self.broken = True
            raise

    def commit(self) -> None:
        if self._partial is None or self._settings.out is None or self._checkpoint is None:
            self._stdout.flush()
            return
        # "complete" first: a kill after the rename then leaves a checkpoint that says
        # the export is finished, which the next run recognises.
        self._save(complete=True)
        self._partial.commit(self._settings.out)
        self._checkpoint.path.unlink(missing_ok=True)
        self._state.resumable = False

    def abort(self) -> None:
        if self._partial is None or self._checkpoint is None:
            return
        if self.records == 0:
            self._partial.discard()
            self._checkpoint.path.unlink(missing_ok=True)
            self._state.resumable = False
        else:
            self._partial.close()


def summary_line(result: DatasetResult, dataset: str) -> str:
    """The one line a finished export prints on stderr."""
    resumed = f" ({result.resumed_from} from the checkpoint)" if result.resumed_from else ""
    volume = f"; sum volume={format_decimal(result.volume)}" if result.volume is not None else ""
    return (
        f"asset-client: exported {result.records} {dataset} records{resumed} to "
        f"{result.destination}{volume}; {result.requests} requests, {result.retries} retries, "
        f"{result.elapsed:.1f} s"
    )
