"""Records into the open snapshot, a batch at a time, while the walk goes on.

The sharp edge: memory stays flat because at most two batches are held: the one the
worker thread is storing and the one being filled; rows are rendered and summed here,
on the event loop, so the worker holds the GIL only to bind them while SQLite compares.
"""

from __future__ import annotations

import asyncio
import decimal
from collections.abc import AsyncIterable, Awaitable, Callable
from decimal import Decimal
from typing import Any, Final

from asset_client.store._table import DatasetTable, Row

__all__ = ["BATCH", "Progress", "stream"]

#: Records handed to the worker thread at a time (the walk's default page).
BATCH: Final = 1000

#: Sums never round: an inexact addition raises rather than drop a digit.
_EXACT: Final = decimal.Context(
    prec=decimal.MAX_PREC,
    Emax=decimal.MAX_EMAX,
    Emin=decimal.MIN_EMIN,
    traps=[decimal.Inexact, decimal.Rounded, decimal.InvalidOperation],
)


class Progress:
    """Where one walk's streaming stands (one per walk: a sync's walks run at once): the
    batch in flight, the records stored so far."""

    def __init__(self, dataset: str) -> None:
        self.dataset = dataset
        self.pending: asyncio.Future[None] | None = None
        self.done = 0

    def settle(self) -> None:
        """Let go of the batch in flight after a failure; the worker thread finishes it,
        so a rollback queued behind it waits for it."""
        pending, self.pending = self.pending, None
        if pending is None:
            return
        if not pending.done():
            pending.cancel()
        elif not pending.cancelled():
            pending.exception()  # retrieved: the error being raised is the one to see


class _Sums:
    """Exact running sums of some decimal fields of records."""

    def __init__(self, fields: tuple[str, ...]) -> None:
        self._fields = fields
        self._totals = [Decimal(0)] * len(fields)

    def add(self, records: list[Any]) -> None:
        add = _EXACT.add
        for i, name in enumerate(self._fields):
            total = self._totals[i]
            for record in records:
                total = add(total, getattr(record, name))
            self._totals[i] = total

    def by_field(self) -> dict[str, Decimal]:
        return dict(zip(self._fields, self._totals, strict=True))


async def stream(
    write: Callable[[list[Row]], Awaitable[None]],
    table: DatasetTable,
    records: AsyncIterable[Any],
    on_batch: Callable[[int], None] | None,
    progress: Progress,
) -> dict[str, Decimal]:
    """Render ``records`` as ``table`` rows and ``write`` them a batch at a time (the
    next batch fills while one is written); the exact sums of ``table.sum_fields``.
    ``on_batch(records stored so far)`` after each batch."""
    sums = _Sums(table.sum_fields)
    count = 0
    batch: list[Any] = []
    async for record in records:
        batch.append(record)
        if len(batch) >= BATCH:
            rows = [table.row(r) for r in batch]
            sums.add(batch)
            if progress.pending is not None:
                await progress.pending
                if on_batch is not None:
                    on_batch(progress.done + count)
            progress.pending = asyncio.ensure_future(write(rows))
            count += len(batch)
            batch = []
    if progress.pending is not None:
        await progress.pending
        progress.pending = None
    if batch:
        sums.add(batch)
        await write([table.row(r) for r in batch])
        count += len(batch)
    progress.done += count
    if on_batch is not None:
        on_batch(progress.done)
    return sums.by_field()
