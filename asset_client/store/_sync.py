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
from asset_client.store._errors import StoreBusyError, StoreError
from asset_client.store._models import Series, Snapshot, SnapshotStatus
from asset_client.store._plans import Planned
from asset_client.store._stream import Progress, stream
from asset_client.store._table import DatasetTable, Row
from asset_client.store._window import automatic_window
from asset_client.store._write import Writer

if TYPE_CHECKING:  # the store uses only the client's public API
    from asset_client.client.client import AssetClient

__all__ = ["Syncer"]

#: Runs a blocking call on the store's worker thread.
Call = Callable[..., Awaitable[Any]]


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
    ) -> dict[str, Snapshot]:
        """One snapshot per plan, all in one transaction, by dataset name."""
        progress = Progress(taken_at=datetime.now(UTC).isoformat())
        await self._call(self._writer.begin)
        ids: list[int] = []
        try:
            for planned in plans:
                if on_dataset is not None:
                    on_dataset(planned.table.name)
                progress.walking = planned.table.name
                progress.done = 0  # on_batch counts per walk
                ids.append(
                    await self._walk_one(client, planned, page_size, today, on_batch, progress)
                )
            committed = await self._call(self._writer.commit, ids)
        except BaseException as exc:
            walking = progress.walking if len(plans) > 1 else None
            await self._abandon(progress, [p.series for p in plans], exc, walking=walking)
            raise
        by_id = {s.id: s for s in committed}
        return {p.table.name: by_id[i] for p, i in zip(plans, ids, strict=True)}

    async def _walk_one(
        self,
        client: AssetClient,
        planned: Planned,
        page_size: int | None,
        today: date,
        on_batch: Callable[[int], None] | None,
        progress: Progress,
    ) -> int:
        table = planned.table
        await self._call(self._writer.start_snapshot, table, planned.series, VERSION)
        days = planned.recording.days
        if table.window_key is not None and days is None:
            previous = await self._call(self._writer.previous_window_end, planned.series)
            days = automatic_window(previous, today)
        walk = client.walk(
            planned.recording.endpoint, page_size=page_size, **planned.walk_filters(days)
        )
        try:
            sums = await stream(self._write, table, walk, on_batch, progress)
        finally:
            await walk.aclose()
        window = days if table.window_key is not None else None
        snapshot_id: int = await self._call(
            self._writer.finish_snapshot, walk.stats.requests, sums, window
        )
        return snapshot_id

    def _write(self, rows: list[Row]) -> Awaitable[None]:
        return self._call(self._writer.write, rows)

    async def record(
        self,
        table: DatasetTable,
        records: AsyncIterable[Any],
        series: Series,
        *,
        window: tuple[date, date] | None,
        requests: Callable[[], int] | None,
        on_batch: Callable[[int], None] | None,
    ) -> Snapshot:
        """One snapshot of ``series`` from any stream of ``table``'s records."""
        progress = Progress(taken_at=datetime.now(UTC).isoformat())
        await self._call(self._writer.begin)
        try:
            await self._call(self._writer.start_snapshot, table, series, VERSION)
            sums = await stream(self._write, table, records, on_batch, progress)
            snapshot_id = await self._call(
                self._writer.finish_snapshot,
                None if requests is None else requests(),
                sums,
                window,
            )
            (snapshot,) = await self._call(self._writer.commit, [snapshot_id])
        except BaseException as exc:
            await self._abandon(progress, [series], exc)
            raise
        result: Snapshot = snapshot
        return result

    async def _abandon(
        self,
        progress: Progress,
        series: list[Series],
        exc: BaseException,
        *,
        walking: str | None = None,
    ) -> None:
        """Roll back, then note the attempt; the rollback waits for a batch in flight."""
        pending = progress.pending
        if pending is not None:
            if not pending.done():
                pending.cancel()  # the thread finishes it; rollback queues behind it
            elif not pending.cancelled():
                pending.exception()  # retrieved: the error being raised is the one to see
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
                        progress.taken_at,
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
