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
import warnings
from collections.abc import AsyncIterable, AsyncIterator, Callable, Sequence
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from yarl import URL

from asset_client.endpoints import Endpoint
from asset_client.store._datasets import ALL_DATASETS, DatasetName, DatasetRef, dataset_of
from asset_client.store._db import Database
from asset_client.store._derive import Derived, EventOutbox
from asset_client.store._errors import StoreError
from asset_client.store._models import Change, HistoryEntry, Series, Snapshot
from asset_client.store._open import DEFAULT_FILE_MODE
from asset_client.store._plans import Recording, builtin_recordings, plan
from asset_client.store._read import Reader
from asset_client.store._sync import OnProgress, Syncer
from asset_client.store._window import volume_dates
from asset_client.store._write import Writer

if TYPE_CHECKING:  # the store uses only the client's public API
    from asset_client.client.client import AssetClient

__all__ = ["SnapshotStore"]

T = TypeVar("T")


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
    """A history of snapshots of the partner API's datasets in one SQLite file.

    ``async with await SnapshotStore.open("coinw.sqlite") as store:`` then
    ``await store.sync(client)``, ``store.changes(since=...)``, ``await store.history(uid)``
    and ``await store.snapshots()``.  ``readonly=True`` never creates or writes the file.
    Wherever a ``dataset`` is taken, it is a name (``assets``, ``invitees``, ``volume``)
    or any `Endpoint` (`sync_endpoints` records it).
    """

    def __init__(self, database: Database, executor: concurrent.futures.Executor) -> None:
        self._db = database
        self._executor = executor
        self._reader = Reader(database)
        self._writer = Writer(database)
        self._syncer = Syncer(self._call, self._writer)
        self.path = database.path

    @classmethod
    async def open(
        cls,
        path: str | Path,
        *,
        readonly: bool = False,
        busy_timeout: float = 5.0,
        file_mode: int = DEFAULT_FILE_MODE,
    ) -> SnapshotStore:
        """Open (and, unless ``readonly``, create or migrate) the database at ``path``.

        A new file (and its -wal and -shm) gets ``file_mode``, owner-only by default
        (the umask still applies); an existing file keeps its mode.  ``readonly`` opens
        a file on a read-only filesystem too, and never leaves side files beside a file
        it refuses.

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
                lambda: Database(
                    Path(path), write=not readonly, busy_timeout=busy_timeout, file_mode=file_mode
                ),
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
        dataset: DatasetName = "assets",
        quote: str = "usdt",
        start_time: object = None,
        end_time: object = None,
        start_date: object = None,
        end_date: object = None,
        volume_days: int | None = None,
        page_size: int | None = None,
        source: str | None = None,
        on_batch: Callable[[int], None] | None = None,
        now: datetime | None = None,
        events: EventOutbox | None = None,
    ) -> Snapshot:
        """Walk one dataset with ``client`` and record it as a new snapshot.

        ``dataset="assets"`` (the default): every invitee's assets, with the filters of
        `AssetClient.iter_invitee_assets` (no ``uid``: a snapshot is of everyone).  The
        snapshot belongs to the series of (source, quote, window, the client's server
        time zone); ``source`` defaults to the client's origin.  ``"invitees"``: the whole
        invitee list.  ``"volume"``: the daily volumes of a window of server days (see
        `sync_datasets`).  All or nothing: on any error or cancellation nothing of it is
        kept.  ``on_batch(records_so_far)`` is called as batches are stored (progress).
        ``events``: see `sync_datasets`.
        """
        snapshots = await self.sync_datasets(
            client,
            datasets=(dataset,),
            quote=quote,
            start_time=start_time,
            end_time=end_time,
            start_date=start_date,
            end_date=end_date,
            volume_days=volume_days,
            page_size=page_size,
            source=source,
            on_batch=on_batch,
            now=now,
            events=events,
        )
        return snapshots[cast(DatasetName, dataset_of(dataset).name)]

    async def sync_datasets(
        self,
        client: AssetClient,
        *,
        datasets: Sequence[DatasetName] = ALL_DATASETS,
        quote: str = "usdt",
        start_time: object = None,
        end_time: object = None,
        start_date: object = None,
        end_date: object = None,
        volume_days: int | None = None,
        page_size: int | None = None,
        source: str | None = None,
        on_batch: Callable[[int], None] | None = None,
        on_dataset: Callable[[DatasetName], None] | None = None,
        on_progress: OnProgress | None = None,
        now: datetime | None = None,
        events: EventOutbox | None = None,
    ) -> dict[DatasetName, Snapshot]:
        """Walk all of ``datasets`` at once and record one snapshot of each, all in ONE
        transaction: either every snapshot is kept or (on any error or cancellation, in
        any walk) none is; the first walk to fail stops the others.

        Progress: ``on_dataset(name)`` as each walk starts (all at the start);
        ``on_progress(name, records, walk_stats)`` after each batch of that walk, with the
        walk's own counters; ``on_batch(records)`` counts the records of all walks.

        The assets walk takes ``quote``/``start_time``/``end_time``; the invitee list is
        walked whole.  The volume walk covers the server days ``start_date`` to
        ``end_date``; or the last ``volume_days`` days up to today (server time); by
        default, from the last day of the series' previous volume snapshot (the day
        still open then) to today, or the last 30 days on the first sync.  A day's rows
        are final once the day is over, so a daily sync re-reads two days, not the month.
        Only (uid, day) rows inside the window can be gone.  ``now`` fixes "today".

        ``events`` (an `EventOutbox`): the same transaction also puts the new snapshots'
        events (new invitees, first deposits...) into the file's outbox; what it put
        there is added to ``events.derived`` once committed.
        """
        today = (now or datetime.now(UTC)).astimezone(client.server_timezone).date()
        days: tuple[date, date] | None = None
        if any(dataset_of(name).window_key for name in datasets):
            # Checked now, before the lock and any request.
            days = volume_dates(start_date, end_date, volume_days, today, client.server_timezone)
        given = {"quote": quote, "start_time": start_time, "end_time": end_time}
        recordings = builtin_recordings(datasets, given, days)
        snapshots = await self.sync_endpoints(
            client,
            recordings,
            page_size=page_size,
            source=source,
            on_batch=on_batch,
            # Called with the names asked for, and keyed by them: DatasetNames.
            on_dataset=cast(Callable[[str], None] | None, on_dataset),
            on_progress=on_progress,
            now=now,
            events=events,
        )
        return cast(dict[DatasetName, Snapshot], snapshots)

    async def sync_endpoints(
        self,
        client: AssetClient,
        recordings: Sequence[Recording | Endpoint[Any, Any, Any]],
        *,
        page_size: int | None = None,
        source: str | None = None,
        on_batch: Callable[[int], None] | None = None,
        on_dataset: Callable[[str], None] | None = None,
        on_progress: OnProgress | None = None,
        now: datetime | None = None,
        events: EventOutbox | None = None,
    ) -> dict[str, Snapshot]:
        """Record one snapshot of each `Recording` (or bare `Endpoint`: no filters), in
        ONE transaction, walking them all at once with ``client.walk``; by dataset name.
        The callbacks and ``events`` are `sync_datasets`'.

        Any endpoint can be recorded: its table is made on its first sync (see
        `DatasetTable`).  Everything is checked before the lock and any request.
        """
        zone = client.server_timezone
        origin = source or str(URL(client.base_url).origin())
        plans = [
            plan(
                r if isinstance(r, Recording) else Recording(endpoint=r),
                source=origin,
                zone=zone,
                zone_name=_zone_name(zone),
            )
            for r in recordings
        ]
        names = [p.table.name for p in plans]
        if not plans or len(set(names)) != len(names):
            raise ValueError(f"recordings must name each dataset once, got {names!r}")
        for planned in plans:
            if page_size is not None:
                planned.recording.endpoint.limits.check(page_size)  # now, not mid-sync
        today = (now or datetime.now(UTC)).astimezone(zone).date()
        return await self._syncer.sync(
            client,
            plans,
            page_size=page_size,
            today=today,
            on_batch=on_batch,
            on_dataset=on_dataset,
            on_progress=on_progress,
            events=events,
        )

    async def derive_events(self, events: EventOutbox) -> Derived:
        """Put the events of every complete snapshot no sync put there (a plain ``sync``,
        an older version) into the outbox, in one transaction; what was put there."""
        done: Derived = await self._call(self._writer.catch_up, events)
        events.derived.merge(done)
        return done

    async def record(
        self,
        records: AsyncIterable[Any],
        series: Series,
        *,
        dataset: DatasetRef | None = None,
        window: tuple[date, date] | None = None,
        requests: Callable[[], int] | None = None,
        on_batch: Callable[[int], None] | None = None,
        events: EventOutbox | None = None,
    ) -> Snapshot:
        """Record a stream of records (any order, each key once) as a new snapshot of
        ``series``: what a sync does with a walk; feed it any source of records.

        ``dataset`` (a name or an `Endpoint`) defaults to ``series.dataset``.  A windowed
        dataset (volume) needs its ``window`` of days (both included): only rows inside
        it can be gone.  Memory stays flat: at most two batches are held.  ``on_batch``
        is called with the running record count after each batch is stored.
        ``events``: as `sync_datasets`'.
        """
        table = dataset_of(series.dataset if dataset is None else dataset)
        if table.name != series.dataset:
            raise ValueError(f"series.dataset {series.dataset!r} is not {table.name!r}")
        if (window is None) != (table.window_key is None):
            need = "needs its window of days" if window is None else "has no window of days"
            raise ValueError(f"a {table.name} snapshot {need}")
        return await self._syncer.record(
            table,
            records,
            series,
            window=window,
            requests=requests,
            on_batch=on_batch,
            events=events,
        )

    async def record_keyed(
        self,
        dataset: DatasetName,
        records: AsyncIterable[Any],
        series: Series,
        *,
        window: tuple[date, date] | None = None,
    ) -> Snapshot:
        """Deprecated: `record` takes every dataset (``record(records, series,
        window=...)``)."""
        warnings.warn(
            "record_keyed is deprecated: use record(records, series, window=...)",
            DeprecationWarning,
            stacklevel=2,
        )
        return await self.record(records, series, dataset=dataset, window=window)

    # -- reading --------------------------------------------------------------------------

    async def snapshots(
        self, *, quote: str | None = None, dataset: DatasetRef | None = None
    ) -> list[Snapshot]:
        """Every snapshot (complete, failed and interrupted), oldest first; of one
        ``dataset`` (``assets``, ``invitees``, ``volume``, an `Endpoint`) if given."""
        name = None if dataset is None else dataset_of(dataset).name
        return await self._call(self._reader.snapshots, quote, name)

    async def resolve(
        self,
        *,
        since: int | datetime | None = None,
        until: int | None = None,
        quote: str | None = None,
        dataset: DatasetRef = "assets",
    ) -> tuple[Snapshot | None, Snapshot]:
        """The two snapshots `changes` compares (see there); the first None = empty."""
        if isinstance(since, datetime) and since.tzinfo is None:
            raise StoreError("since must be an aware datetime (or a snapshot id)", usage=True)
        name = dataset_of(dataset).name
        return await self._call(self._reader.resolve, since, until, quote, name)

    async def changes(
        self,
        *,
        since: int | datetime | None = None,
        until: int | None = None,
        quote: str | None = None,
        dataset: DatasetRef = "assets",
    ) -> AsyncIterator[Change]:
        """Records that differ between two snapshots of one series, by key (uid first).

        ``dataset``: ``assets`` (default), ``invitees`` (new and gone invitees, changed
        registration times), ``volume`` (by (uid, day): ``Change.day``) or an `Endpoint`.

        ``until``: a snapshot id; default the newest complete one (of ``quote`` if given).
        ``since``: a snapshot id of the same series, or an aware datetime meaning the
        newest snapshot of that series taken at or before it; default the snapshot before
        ``until``.  With no earlier snapshot, every record is new.
        """
        base, target = await self.resolve(since=since, until=until, quote=quote, dataset=dataset)
        async for change in self.changes_between(base, target, dataset=dataset):
            yield change

    async def changes_between(
        self, base: Snapshot | None, target: Snapshot, *, dataset: DatasetRef | None = None
    ) -> AsyncIterator[Change]:
        """The changes from ``base`` (None: empty) to ``target``; ``dataset`` (default:
        the target's) is needed only for an endpoint the package does not know."""
        table = dataset_of(target.series.dataset if dataset is None else dataset)
        batches = await self._call(self._reader.changes, table, base, target)
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

    async def history(
        self, uid: int, *, quote: str | None = None, dataset: DatasetRef = "assets"
    ) -> list[HistoryEntry]:
        """Every stored version of one invitee's records, per series, oldest first (by
        key, then oldest first: volume by day; ``HistoryEntry.day``)."""
        return await self._call(self._reader.history, dataset_of(dataset), uid, quote)
