"""The outbox, async: `OutboxDb`'s blocking calls on a worker thread of their own.

The sharp edge: one thread per outbox (sqlite3 connections are not shared between
threads); the store's own thread is never borrowed, so a sync and a delivery do not wait
on each other except for SQLite's write lock (short: an outbox write is a few rows).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self, TypeVar

from asset_client.store._outbox import OutboxDb

__all__ = ["Outbox"]

T = TypeVar("T")


class Outbox:
    """``async with await Outbox.open(path) as outbox:`` then ``await outbox.call(...)``."""

    def __init__(self, db: OutboxDb, executor: concurrent.futures.ThreadPoolExecutor) -> None:
        self.db = db
        self._executor = executor

    @classmethod
    async def open(cls, path: Path, *, readonly: bool = False) -> Self:
        executor = concurrent.futures.ThreadPoolExecutor(
            1, thread_name_prefix="asset-client-outbox"
        )
        loop = asyncio.get_running_loop()
        try:
            db = await loop.run_in_executor(executor, lambda: OutboxDb(path, readonly=readonly))
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(db, executor)

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn`` (an `OutboxDb` method) on the outbox's thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: fn(*args, **kwargs))

    async def close(self) -> None:
        await asyncio.shield(self.call(self.db.close))
        self._executor.shutdown(wait=True)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
