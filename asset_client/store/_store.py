"""`SnapshotStore`: the history store's async API (SQLite kept off the event loop).

Every SQLite call runs on the store's own worker thread, one at a time, so the event loop
only ever waits on futures.  A sync streams: the walk's records go to the thread a page at
a time while the next page is fetched (at most two pages held).  The sharp edge: a sync
holds the database's write lock from start to end; a second sync (any process) waits up
to ``busy_timeout`` and then fails with `StoreBusyError`.  Readers are never blocked.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
from collections.abc import AsyncIterable, AsyncIterator, Callable
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

from yarl import URL

from .._client import AssetClient
from .._export import Sums
from .._models import InviteeAsset
from .._query import validate_query
from ._db import Database
from ._models import Change, HistoryEntry, Series, Snapshot, SnapshotStatus
from ._rows import Row, render_asset
from ._schema import StoreBusyError, StoreError

__all__ = ["SnapshotStore"]

T = TypeVar("T")

#: Records handed to the worker thread at a time (the walk's default page).
BATCH = 1000


def _version() -> str:
    from .. import __version__

    return __version__


def _one_line(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _rows(batch: list[InviteeAsset], last_uid: int | None) -> tuple[list[Row], int]:
    """The batch rendered for storage; refuses uids that do not ascend."""
    rows = [render_asset(asset) for asset in batch]
    previous = -1 if last_uid is None else last_uid
    for row in rows:
        if row[0] <= previous:
            raise StoreError(
                f"records must come in ascending uid order: uid {row[0]} after {previous}"
            )
        previous = row[0]
    return rows, previous


def _zone_name(zone: tzinfo) -> str:
    key = getattr(zone, "key", None)  # ZoneInfo
    if isinstance(key, str):
        return key
    if zone is UTC:
        return "UTC"
    offset = zone.utcoffset(None)
    if offset is None:
        return str(zone)
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


class SnapshotStore:
    """A history of snapshots of the invitees' assets in one SQLite file.

    ``async with SnapshotStore.open("coinw.sqlite") as store:`` then
    ``await store.sync(client)``, ``store.changes(since=...)``, ``await store.history(uid)``
    and ``await store.snapshots()``.  ``readonly=True`` never creates or writes the file.
    """

    def __init__(self, database: Database, executor: concurrent.futures.Executor) -> None:
        self._db = database
        self._executor = executor
        self.path = database.path

    @classmethod
    async def open(
        cls, path: str | Path, *, readonly: bool = False, busy_timeout: float = 5.0
    ) -> SnapshotStore:
        """Open (and, unless ``readonly``, create or migrate) the database at ``path``.

        Raises `StoreError` with a one-line message if the file is not SQLite, belongs to
        another program, has a newer schema, or cannot be opened.
        """
        executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="asset-client-store"
        )
        loop = asyncio.get_running_loop()
        try:
            database = await loop.run_in_executor(
                executor,
                lambda: Database(Path(path), write=not readonly, busy_timeout=busy_timeout),
            )
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(database, executor)

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    async def close(self) -> None:
        """Roll back a sync left open and close the file (waits for the worker)."""
        with contextlib.suppress(StoreError):
            await self._call(self._db.close)
        self._executor.shutdown(wait=True)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # -- syncing --------------------------------------------------------------------------

    async def sync(
        self,
        client: AssetClient,
        *,
        quote: str = "usdt",
        start_time: object = None,
        end_time: object = None,
        page_size: int | None = None,
        source: str | None = None,
        on_batch: Callable[[int], None] | None = None,
    ) -> Snapshot:
        """Walk every invitee's assets with ``client`` and record them as a new snapshot.

        Same filters as `AssetClient.iter_invitee_assets` (no ``uid``: a snapshot is of
        everyone).  The snapshot belongs to the series of (source, quote, window, the
        client's server time zone); ``source`` defaults to the client's origin.
        All or nothing: on any error or cancellation nothing of it is kept.
        ``on_batch(records_so_far)`` is called as batches are stored (progress).
        """
        query = validate_query(
            quote=quote,
            uid=None,
            start_time=start_time,
            end_time=end_time,
            server_tz=client.server_timezone,
        )
        series = Series(
            source=source or str(URL(client.base_url).origin()),
            quote=query.quote,
            start_time=query.start_time,
            end_time=query.end_time,
            server_timezone=_zone_name(client.server_timezone),
        )
        before = client.stats.requests
        walk = client.iter_invitee_assets(
            quote=query.quote,
            start_time=query.start_time,
            end_time=query.end_time,
            page_size=page_size,
        )
        try:
            return await self.record(walk, series, requests=lambda: client.stats.requests - before)
        finally:
            await walk.aclose()

    async def record(
        self,
        records: AsyncIterable[InviteeAsset],
        series: Series,
        *,
        requests: Callable[[], int] | None = None,
        on_batch: Callable[[int], None] | None = None,
    ) -> Snapshot:
        """Record a stream of uid-ascending records as a new snapshot of ``series``.

        What `sync` does with a client's walk; feed it any source of records.  Memory
        stays flat: at most two batches of `BATCH` records are held.  ``on_batch`` is
        called with the running record count after each batch is stored.
        """
        state = await self._call(self._db.begin_sync, series, _version())
        pending: asyncio.Future[None] | None = None
        sums = Sums()
        last_uid: int | None = None
        try:
            batch: list[InviteeAsset] = []
            async for asset in records:
                batch.append(asset)
                if len(batch) >= BATCH:
                    # Rendering and summing here, on the loop: the worker then holds the
                    # GIL only to bind rows, and SQLite compares with the GIL released.
                    rows, last_uid = _rows(batch, last_uid)
                    sums.add(batch)
                    if pending is not None:
                        await pending
                        if on_batch is not None:
                            on_batch(sums.records - len(batch))
                    pending = asyncio.ensure_future(self._call(self._db.write_rows, rows))
                    batch = []
            if pending is not None:
                await pending
                pending = None
            if batch:
                rows, last_uid = _rows(batch, last_uid)
                sums.add(batch)
                await self._call(self._db.write_rows, rows)
            if on_batch is not None:
                on_batch(sums.records)
            return await self._call(
                self._db.finish_sync, None if requests is None else requests(), sums
            )
        except BaseException as exc:
            await self._abandon(pending, series, state.taken_at, exc)
            raise

    async def _abandon(
        self,
        pending: asyncio.Future[None] | None,
        series: Series,
        taken_at: str,
        exc: BaseException,
    ) -> None:
        """Roll back, then note the attempt; the rollback waits for a batch in flight."""
        if pending is not None:
            if not pending.done():
                pending.cancel()  # the thread finishes it; rollback queues behind it
            elif not pending.cancelled():
                pending.exception()  # retrieved: the error being raised is the one to see
        interrupted = isinstance(exc, asyncio.CancelledError | KeyboardInterrupt)
        status = SnapshotStatus.INTERRUPTED if interrupted else SnapshotStatus.FAILED
        try:
            await asyncio.shield(self._call(self._db.rollback))
            if not isinstance(exc, StoreBusyError):
                # Best effort: a full disk or a lost lock may refuse even this small note.
                await asyncio.shield(
                    self._call(
                        self._db.record_failure,
                        series,
                        taken_at,
                        status,
                        "interrupted" if interrupted else _one_line(exc),
                        _version(),
                    )
                )
        except (StoreError, OSError, asyncio.CancelledError):
            pass
        except Exception as note_exc:  # sqlite3.Error: the original error matters more
            if type(note_exc).__module__ != "sqlite3":
                raise

    # -- reading --------------------------------------------------------------------------

    async def snapshots(self, *, quote: str | None = None) -> list[Snapshot]:
        """Every snapshot (complete, failed and interrupted), oldest first."""
        return await self._call(self._db.snapshots, quote)

    async def resolve(
        self,
        *,
        since: int | datetime | None = None,
        until: int | None = None,
        quote: str | None = None,
    ) -> tuple[Snapshot | None, Snapshot]:
        """The two snapshots `changes` compares (see there); the first None = empty."""
        if isinstance(since, datetime) and since.tzinfo is None:
            raise StoreError("since must be an aware datetime (or a snapshot id)", usage=True)
        return await self._call(self._db.resolve, since, until, quote)

    async def changes(
        self,
        *,
        since: int | datetime | None = None,
        until: int | None = None,
        quote: str | None = None,
    ) -> AsyncIterator[Change]:
        """Invitees whose record differs between two snapshots of one series, by uid.

        ``until``: a snapshot id; default the newest complete one (of ``quote`` if given).
        ``since``: a snapshot id of the same series, or an aware datetime meaning the
        newest snapshot of that series taken at or before it; default the snapshot before
        ``until``.  With no earlier snapshot, every invitee is new.
        """
        base, target = await self.resolve(since=since, until=until, quote=quote)
        async for change in self.changes_between(base, target):
            yield change

    async def changes_between(
        self, base: Snapshot | None, target: Snapshot
    ) -> AsyncIterator[Change]:
        batches = await self._call(self._db.changes, base, target)
        done: list[Change] = []
        try:
            while True:
                batch = await self._call(next, batches, done)
                if batch is done:
                    return
                for change in batch:
                    yield change
        finally:
            # On the worker thread: the cursor belongs to its connection.
            await asyncio.shield(self._call(batches.close))

    async def history(self, uid: int, *, quote: str | None = None) -> list[HistoryEntry]:
        """Every stored version of one invitee's record, per series, oldest first."""
        return await self._call(self._db.history, uid, quote)
