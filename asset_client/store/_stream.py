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
from operator import attrgetter
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
    """Where a sync's streaming stands: the batch in flight, the records of the current
    walk stored so far, the dataset being walked (for the failure note)."""

    def __init__(self, taken_at: str) -> None:
        self.taken_at = taken_at
        self.pending: asyncio.Future[None] | None = None
        self.done = 0
        self.walking = ""


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
    totals = [Decimal(0)] * len(table.sum_fields)
    amounts = attrgetter(*table.sum_fields) if table.sum_fields else None
    single = len(table.sum_fields) == 1
    count = 0
    batch: list[Row] = []
    async for record in records:
        batch.append(table.row(record))
        if amounts is not None:
            values = (amounts(record),) if single else amounts(record)
            totals = [_EXACT.add(t, v) for t, v in zip(totals, values, strict=True)]
        if len(batch) >= BATCH:
            if progress.pending is not None:
                await progress.pending
                if on_batch is not None:
                    on_batch(progress.done + count)
            progress.pending = asyncio.ensure_future(write(batch))
            count += len(batch)
            batch = []
    if progress.pending is not None:
        await progress.pending
        progress.pending = None
    if batch:
        await write(batch)
        count += len(batch)
    progress.done += count
    if on_batch is not None:
        on_batch(progress.done)
    return dict(zip(table.sum_fields, totals, strict=True))
