"""Carrying out a sync: walk each planned dataset with the client's public `walk`, stream
its records into one snapshot each, commit them together (or note why none was kept).

The sharp edge: every snapshot of one sync is in one transaction; a failure or a cancel
in any walk rolls all of them back, then notes the attempt (one failed or interrupted
snapshot per series, naming the walk that stopped) in a transaction of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, Awaitable, Callable, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from asset_client.client.version import VERSION
from asset_client.store._derive import EventOutbox
from asset_client.store._errors import StoreBusyError, StoreError
from asset_client.store._models import Series, Snapshot, SnapshotStatus
from asset_client.store._plans import Planned
from asset_client.store._stream import Progress, stream
from asset_client.store._table import DatasetTable, Row
from asset_client.store._window import automatic_window
from asset_client.store._write import Writer

if TYPE_CHECKING:  # the store uses only the client's public API
    from asset_client.client.client import AssetClient
    from asset_client.client.stats import WalkStats

__all__ = ["OnProgress", "Syncer"]

#: A windowed dataset's days (both included); None for the others.
Window = tuple[date, date] | None

#: Runs a blocking call on the store's worker thread.
Call = Callable[..., Awaitable[Any]]

#: ``on_progress(dataset, records stored so far, the walk's own stats)`` after each batch.
OnProgress = Callable[[str, int, "WalkStats"], None]


class _Report:
    """Progress callbacks for walks that run at once: ``on_progress`` names the walk's
    dataset and passes its own counters; ``on_batch`` gets the records of all walks."""

    def __init__(
        self,
        walks: list[Progress],
        on_batch: Callable[[int], None] | None,
        on_progress: OnProgress | None,
    ) -> None:
        self._stored = {w.dataset: 0 for w in walks}
        self._on_batch = on_batch
        self._on_progress = on_progress

    def __call__(self, progress: Progress, records: int, stats: WalkStats) -> None:
        if self._on_progress is not None:
            self._on_progress(progress.dataset, records, stats)
        if self._on_batch is not None:
            self._stored[progress.dataset] = records
            self._on_batch(sum(self._stored.values()))


def _one_line(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Syncer:
    """The store's write path, on its worker thread (``call``) and its `Writer`."""

    def __init__(self, call: Call, writer: Writer) -> None:
        self._call = call
        self._writer = writer

    async def sync(
        self,
        client: AssetClient,
        plans: Sequence[Planned],
        *,
        page_size: int | None,
        today: date,
        on_batch: Callable[[int], None] | None,
        on_dataset: Callable[[str], None] | None,
        on_progress: OnProgress | None,
        events: EventOutbox | None = None,
    ) -> dict[str, Snapshot]:
        """One snapshot per plan, all in one transaction (with their ``events``, if
        asked), by dataset name; the walks run at once (each endpoint its rate lane)."""
        taken_at = datetime.now(UTC).isoformat()
        walks = [Progress(p.table.name) for p in plans]
        report = _Report(walks, on_batch, on_progress)
        failures: list[tuple[str, BaseException]] = []
        await self._call(self._writer.begin)
        try:
            ids = await self._walk_all(
                client, plans, walks, page_size, today, on_dataset, report, failures
            )
            derived = None
            if events is not None:
                derived = await self._call(self._writer.derive, events, ids)
            committed = await self._call(self._writer.commit, ids)
        except BaseException as exc:
            walking = failures[0][0] if failures and len(plans) > 1 else None
            await self._abandon(walks, taken_at, [p.series for p in plans], exc, walking=walking)
            raise
        if events is not None and derived is not None:
            events.derived.merge(derived)  # committed: now it is what the outbox holds
        by_id = {s.id: s for s in committed}
        return {p.table.name: by_id[i] for p, i in zip(plans, ids, strict=True)}

    async def _walk_all(
        self,
        client: AssetClient,
        plans: Sequence[Planned],
        walks: list[Progress],
        page_size: int | None,
        today: date,
        on_dataset: Callable[[str], None] | None,
        report: _Report,
        failures: list[tuple[str, BaseException]],
    ) -> list[int]:
        """Every walk at once; the first to fail stops the others (its error raised, its
        dataset first in ``failures``); a cancel stops them all.  The snapshots' ids."""

        # Every snapshot opened (and every window read) first, so the walks start
        # together, as a report's do, and the ids follow the plans' order.
        days = [await self._open_snapshot(planned, today) for planned in plans]

        async def one(planned: Planned, window: Window, progress: Progress) -> int:
            try:
                return await self._walk_one(client, planned, window, page_size, report, progress)
            except asyncio.CancelledError:
                raise
            except BaseException as exc:
                failures.append((planned.table.name, exc))
                raise

        if on_dataset is not None:
            for planned in plans:
                on_dataset(planned.table.name)
        tasks = [
            asyncio.ensure_future(one(p, d, w)) for p, d, w in zip(plans, days, walks, strict=True)
        ]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        finally:
            for task in tasks:
                task.cancel()  # a no-op on finished ones
            # Each stops (its walk closed, its batch let go) before the rollback.
            await asyncio.gather(*tasks, return_exceptions=True)
        if failures:
            raise failures[0][1]
        return [task.result() for task in tasks]

    async def _open_snapshot(self, planned: Planned, today: date) -> Window:
        """``planned``'s snapshot opened; the days a windowed dataset walks."""
        table = planned.table
        await self._call(self._writer.start_snapshot, table, planned.series, VERSION)
        days = planned.recording.days
        if table.window_key is not None and days is None:
            previous = await self._call(self._writer.previous_window_end, planned.series)
            days = automatic_window(previous, today)
        return days

    async def _walk_one(
        self,
        client: AssetClient,
        planned: Planned,
        days: Window,
        page_size: int | None,
        report: _Report,
        progress: Progress,
    ) -> int:
        table = planned.table
        walk = client.walk(
            planned.recording.endpoint, page_size=page_size, **planned.walk_filters(days)
        )
        try:
            sums = await stream(
                self._writes(table.name),
                table,
                walk,
                lambda records: report(progress, records, walk.stats),
                progress,
            )
        finally:
            await walk.aclose()
        window = days if table.window_key is not None else None
        snapshot_id: int = await self._call(
            self._writer.finish_snapshot, table.name, walk.stats.requests, sums, window
        )
        return snapshot_id

    def _writes(self, dataset: str) -> Callable[[list[Row]], Awaitable[None]]:
        def write(rows: list[Row]) -> Awaitable[None]:
            return self._call(self._writer.write, dataset, rows)

        return write

    async def record(
        self,
        table: DatasetTable,
        records: AsyncIterable[Any],
        series: Series,
        *,
        window: tuple[date, date] | None,
        requests: Callable[[], int] | None,
        on_batch: Callable[[int], None] | None,
        events: EventOutbox | None = None,
    ) -> Snapshot:
        """One snapshot of ``series`` from any stream of ``table``'s records (with its
        ``events``, if asked, in its transaction)."""
        taken_at = datetime.now(UTC).isoformat()
        progress = Progress(table.name)
        await self._call(self._writer.begin)
        try:
            await self._call(self._writer.start_snapshot, table, series, VERSION)
            sums = await stream(self._writes(table.name), table, records, on_batch, progress)
            snapshot_id = await self._call(
                self._writer.finish_snapshot,
                table.name,
                None if requests is None else requests(),
                sums,
                window,
            )
            derived = None
            if events is not None:
                derived = await self._call(self._writer.derive, events, [snapshot_id])
            (snapshot,) = await self._call(self._writer.commit, [snapshot_id])
        except BaseException as exc:
            await self._abandon([progress], taken_at, [series], exc)
            raise
        if events is not None and derived is not None:
            events.derived.merge(derived)
        result: Snapshot = snapshot
        return result

    async def _abandon(
        self,
        walks: list[Progress],
        taken_at: str,
        series: list[Series],
        exc: BaseException,
        *,
        walking: str | None = None,
    ) -> None:
        """Roll back, then note the attempt; the rollback waits for the batches in flight."""
        for progress in walks:
            progress.settle()  # the thread finishes it; the rollback queues behind it
        interrupted = isinstance(exc, asyncio.CancelledError | KeyboardInterrupt)
        status = SnapshotStatus.INTERRUPTED if interrupted else SnapshotStatus.FAILED
        error = ("interrupted" if interrupted else _one_line(exc)) + (
            f" (in the {walking} walk; no dataset kept)" if walking else ""
        )
        try:
            await asyncio.shield(self._call(self._writer.rollback))
            if not isinstance(exc, StoreBusyError):
                # Best effort: a full disk or a lost lock may refuse even this small note.
                await asyncio.shield(
                    self._call(
                        self._writer.record_failure,
                        series,
                        taken_at,
                        status,
                        error,
                        VERSION,
                    )
                )
        except (StoreError, OSError, asyncio.CancelledError):
            pass
        except Exception as note_exc:  # sqlite3.Error: the original error matters more
            if type(note_exc).__module__ != "sqlite3":
                raise
