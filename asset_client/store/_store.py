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
from collections.abc import AsyncIterable, AsyncIterator, Callable, Sequence
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

from yarl import URL

from asset_client.client.client import AssetClient
from asset_client.core.query import validate_query
from asset_client.endpoints.base import PARTNER_LIMITS
from asset_client.export.files import _EXACT, Sums
from asset_client.records import InviteeAsset
from asset_client.store._datasets import (
    ALL_DATASETS,
    DATASETS,
    DatasetName,
    KeyedTable,
    dataset_of,
    render_invitee,
    render_volume,
)
from asset_client.store._db import Database
from asset_client.store._models import Change, HistoryEntry, Series, Snapshot, SnapshotStatus
from asset_client.store._rows import Row, render_asset
from asset_client.store._schema import StoreBusyError, StoreError
from asset_client.store._window import volume_dates

__all__ = ["SnapshotStore"]

T = TypeVar("T")

#: Records handed to the worker thread at a time (the walk's default page).
BATCH = 1000


def _version() -> str:
    from asset_client import __version__

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


class _Streaming:
    """Where a sync's streaming stands: the batch in flight, the records stored so far
    (over all its datasets, for progress), the dataset being walked."""

    def __init__(self, taken_at: str) -> None:
        self.taken_at = taken_at
        self.pending: asyncio.Future[None] | None = None
        self.done = 0
        self.walking = ""


def _volume_of(record: Any) -> Decimal:
    volume: Decimal = record.volume
    return volume


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
    ) -> Snapshot:
        """Walk one dataset with ``client`` and record it as a new snapshot.

        ``dataset="assets"`` (the default): every invitee's assets, with the filters of
        `AssetClient.iter_invitee_assets` (no ``uid``: a snapshot is of everyone).  The
        snapshot belongs to the series of (source, quote, window, the client's server
        time zone); ``source`` defaults to the client's origin.  ``"invitees"``: the whole
        invitee list.  ``"volume"``: the daily volumes of a window of server days (see
        `sync_datasets`).  All or nothing: on any error or cancellation nothing of it is
        kept.  ``on_batch(records_so_far)`` is called as batches are stored (progress).
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
        )
        return snapshots[dataset]

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
        now: datetime | None = None,
    ) -> dict[DatasetName, Snapshot]:
        """Walk each of ``datasets`` in turn and record one snapshot of each, all in ONE
        transaction: either every snapshot is kept or (on any error or cancellation, in
        any walk) none is.

        The assets walk takes ``quote``/``start_time``/``end_time``; the invitee list is
        walked whole.  The volume walk covers the server days ``start_date`` to
        ``end_date``; or the last ``volume_days`` days up to today (server time); by
        default, from the last day of the series' previous volume snapshot (the day
        still open then) to today, or the last 30 days on the first sync.  A day's rows
        are final once the day is over, so a daily sync re-reads two days, not the month.
        Only (uid, day) rows inside the window can be gone.  ``now`` fixes "today".
        """
        chosen: list[DatasetName] = []
        for name in datasets:
            spec = dataset_of(name)  # ValueError naming the value
            if spec.name not in chosen:
                chosen.append(spec.name)
        if not chosen:
            raise ValueError("datasets must name at least one of " + ", ".join(ALL_DATASETS))
        origin = source or str(URL(client.base_url).origin())
        zone = _zone_name(client.server_timezone)
        query = validate_query(
            quote=quote,
            uid=None,
            start_time=start_time,
            end_time=end_time,
            server_tz=client.server_timezone,
        )
        all_series: dict[DatasetName, Series] = {}
        for name in chosen:
            if name == "assets":
                all_series[name] = Series(
                    source=origin,
                    quote=query.quote,
                    start_time=query.start_time,
                    end_time=query.end_time,
                    server_timezone=zone,
                )
            else:
                all_series[name] = Series(
                    dataset=DATASETS[name].table, source=origin, quote="", server_timezone=zone
                )
        if page_size is not None:
            PARTNER_LIMITS.check(page_size)  # now, not after the first walk
        today = (now or datetime.now(UTC)).astimezone(client.server_timezone).date()
        explicit = None
        if "volume" in chosen:
            # Checked now, before the lock and any request.
            explicit = volume_dates(
                start_date, end_date, volume_days, today, client.server_timezone
            )
        state = _Streaming(taken_at=datetime.now(UTC).isoformat())
        await self._call(self._db.begin)
        ids: list[int] = []
        try:
            for name in chosen:
                if on_dataset is not None:
                    on_dataset(name)
                series = all_series[name]
                state.walking = name
                state.done = 0  # on_batch counts per walk
                await self._call(self._db.start_snapshot, series, _version())
                before = client.stats.requests

                def requests(before: int = before) -> int:
                    return int(client.stats.requests) - before

                if name == "assets":
                    walk_a = client.iter_invitee_assets(
                        quote=query.quote,
                        start_time=query.start_time,
                        end_time=query.end_time,
                        page_size=page_size,
                    )
                    try:
                        sums = await self._stream_assets(walk_a, on_batch, state)
                    finally:
                        await walk_a.aclose()
                    ids.append(await self._call(self._db.finish_snapshot, requests(), sums))
                elif name == "invitees":
                    walk_i = client.iter_invitees(page_size=page_size)
                    try:
                        await self._stream_keyed(
                            DATASETS[name], walk_i, render_invitee, None, on_batch, state
                        )
                    finally:
                        await walk_i.aclose()
                    ids.append(
                        await self._call(
                            self._db.finish_keyed, DATASETS[name], requests(), None, None
                        )
                    )
                else:
                    window: tuple[date, date] = (
                        explicit
                        if explicit is not None
                        else await self._call(self._db.default_volume_window, series, today)
                    )
                    walk_v = client.iter_trading_volume(
                        start_date=window[0], end_date=window[1], page_size=page_size
                    )
                    try:
                        total = await self._stream_keyed(
                            DATASETS[name], walk_v, render_volume, _volume_of, on_batch, state
                        )
                    finally:
                        await walk_v.aclose()
                    ids.append(
                        await self._call(
                            self._db.finish_keyed,
                            DATASETS[name],
                            requests(),
                            total,
                            (window[0].isoformat(), window[1].isoformat()),
                        )
                    )
            committed = await self._call(self._db.commit, ids)
        except BaseException as exc:
            await self._abandon(
                state.pending,
                list(all_series.values()),
                state.taken_at,
                exc,
                walking=state.walking if len(chosen) > 1 else None,
            )
            raise
        by_id = {s.id: s for s in committed}
        return {name: by_id[i] for name, i in zip(chosen, ids, strict=True)}

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
        progress = _Streaming(taken_at=state.taken_at)
        try:
            sums = await self._stream_assets(records, on_batch, progress)
            return await self._call(
                self._db.finish_sync, None if requests is None else requests(), sums
            )
        except BaseException as exc:
            await self._abandon(progress.pending, series, state.taken_at, exc)
            raise

    async def record_keyed(
        self,
        dataset: DatasetName,
        records: AsyncIterable[Any],
        series: Series,
        *,
        window: tuple[date, date] | None = None,
    ) -> Snapshot:
        """Record a stream of `Invitee` or `DailyVolume` records (any order) as a new
        snapshot of ``series`` (whose ``dataset`` must be that dataset's stored name).
        For volume, ``window`` (both days included) is where unseen rows are gone."""
        spec = dataset_of(dataset)
        if spec.name == "assets" or series.dataset != spec.table:
            raise ValueError(
                f"record_keyed: series.dataset must be invitees or daily_volume, "
                f"matching dataset {dataset!r}; got {series.dataset!r}"
            )
        if spec.name == "volume" and window is None:
            raise ValueError("record_keyed: a volume snapshot needs its window of days")
        state = await self._call(self._db.begin_sync, series, _version())
        progress = _Streaming(taken_at=state.taken_at)
        render: Callable[[Any], tuple[object, ...]] = (
            render_invitee if spec.name == "invitees" else render_volume
        )
        try:
            total = await self._stream_keyed(
                spec,
                records,
                render,
                _volume_of if spec.name == "volume" else None,
                None,
                progress,
            )
            days = None if window is None else (window[0].isoformat(), window[1].isoformat())
            snapshot_id = await self._call(self._db.finish_keyed, spec, None, total, days)
            (snapshot,) = await self._call(self._db.commit, [snapshot_id])
            return snapshot
        except BaseException as exc:
            await self._abandon(progress.pending, series, state.taken_at, exc)
            raise

    async def _stream_assets(
        self,
        records: AsyncIterable[InviteeAsset],
        on_batch: Callable[[int], None] | None,
        progress: _Streaming,
    ) -> Sums:
        """Store a uid-ascending assets walk into the open snapshot, a batch at a time."""
        sums = Sums()
        last_uid: int | None = None
        batch: list[InviteeAsset] = []
        async for asset in records:
            batch.append(asset)
            if len(batch) >= BATCH:
                # Rendering and summing here, on the loop: the worker then holds the
                # GIL only to bind rows, and SQLite compares with the GIL released.
                rows, last_uid = _rows(batch, last_uid)
                sums.add(batch)
                if progress.pending is not None:
                    await progress.pending
                    if on_batch is not None:
                        on_batch(progress.done + sums.records - len(batch))
                progress.pending = asyncio.ensure_future(self._call(self._db.write_rows, rows))
                batch = []
        if progress.pending is not None:
            await progress.pending
            progress.pending = None
        if batch:
            rows, last_uid = _rows(batch, last_uid)
            sums.add(batch)
            await self._call(self._db.write_rows, rows)
        progress.done += sums.records
        if on_batch is not None:
            on_batch(progress.done)
        return sums

    async def _stream_keyed(
        self,
        spec: KeyedTable,
        records: AsyncIterable[Any],
        render: Callable[[Any], tuple[object, ...]],
        amount: Callable[[Any], Decimal] | None,
        on_batch: Callable[[int], None] | None,
        progress: _Streaming,
    ) -> Decimal | None:
        """Store an invitee or volume walk (any order) into the open snapshot."""
        total = Decimal(0)
        count = 0
        batch: list[tuple[object, ...]] = []
        async for record in records:
            batch.append(render(record))
            if amount is not None:
                total = _EXACT.add(total, amount(record))
            if len(batch) >= BATCH:
                if progress.pending is not None:
                    await progress.pending
                    if on_batch is not None:
                        on_batch(progress.done + count)
                progress.pending = asyncio.ensure_future(
                    self._call(self._db.write_keyed, spec, batch)
                )
                count += len(batch)
                batch = []
        if progress.pending is not None:
            await progress.pending
            progress.pending = None
        if batch:
            await self._call(self._db.write_keyed, spec, batch)
            count += len(batch)
        progress.done += count
        if on_batch is not None:
            on_batch(progress.done)
        return total if amount is not None else None

    async def _abandon(
        self,
        pending: asyncio.Future[None] | None,
        series: Series | list[Series],
        taken_at: str,
        exc: BaseException,
        *,
        walking: str | None = None,
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
                        ("interrupted" if interrupted else _one_line(exc))
                        + (f" (in the {walking} walk; no dataset kept)" if walking else ""),
                        _version(),
                    )
                )
        except (StoreError, OSError, asyncio.CancelledError):
            pass
        except Exception as note_exc:  # sqlite3.Error: the original error matters more
            if type(note_exc).__module__ != "sqlite3":
                raise

    # -- reading --------------------------------------------------------------------------

    async def snapshots(
        self, *, quote: str | None = None, dataset: DatasetName | None = None
    ) -> list[Snapshot]:
        """Every snapshot (complete, failed and interrupted), oldest first; of one
        ``dataset`` (``assets``, ``invitees``, ``volume``) if given, else of all."""
        stored = None if dataset is None else dataset_of(dataset).table
        return await self._call(self._db.snapshots, quote, stored)

    async def resolve(
        self,
        *,
        since: int | datetime | None = None,
        until: int | None = None,
        quote: str | None = None,
        dataset: DatasetName = "assets",
    ) -> tuple[Snapshot | None, Snapshot]:
        """The two snapshots `changes` compares (see there); the first None = empty."""
        if isinstance(since, datetime) and since.tzinfo is None:
            raise StoreError("since must be an aware datetime (or a snapshot id)", usage=True)
        stored = dataset_of(dataset).table
        return await self._call(self._db.resolve, since, until, quote, stored)

    async def changes(
        self,
        *,
        since: int | datetime | None = None,
        until: int | None = None,
        quote: str | None = None,
        dataset: DatasetName = "assets",
    ) -> AsyncIterator[Change]:
        """Invitees whose record differs between two snapshots of one series, by uid.

        ``dataset``: ``assets`` (default), ``invitees`` (new and gone invitees, changed
        registration times) or ``volume`` (by (uid, day): ``Change.day``).

        ``until``: a snapshot id; default the newest complete one (of ``quote`` if given).
        ``since``: a snapshot id of the same series, or an aware datetime meaning the
        newest snapshot of that series taken at or before it; default the snapshot before
        ``until``.  With no earlier snapshot, every invitee is new.
        """
        base, target = await self.resolve(since=since, until=until, quote=quote, dataset=dataset)
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

    async def history(
        self, uid: int, *, quote: str | None = None, dataset: DatasetName = "assets"
    ) -> list[HistoryEntry]:
        """Every stored version of one invitee's record, per series, oldest first (for
        volume: by day, then oldest first; ``HistoryEntry.day``)."""
        return await self._call(self._db.history, uid, quote, dataset_of(dataset).table)
