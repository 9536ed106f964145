"""A sandbox served from its own thread and event loop, for code under test that blocks
(the `SyncAssetClient`, a dlt pipeline) and so cannot share the test's loop.

Sharp edge: the sandbox's objects belong to its loop; a test changes its data (e.g.
``partner.register``) through `SandboxThread.call`, which runs on that loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

from asset_client.sandbox import Sandbox, SandboxConfig, run_sandbox

T = TypeVar("T")


class SandboxThread:
    def __init__(self, sandbox: Sandbox, loop: asyncio.AbstractEventLoop) -> None:
        self.sandbox = sandbox
        self._loop = loop

    def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn()`` on the sandbox's loop and return its result."""

        async def on_loop() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(on_loop(), self._loop).result()


@contextlib.contextmanager
def sandbox_thread(config: SandboxConfig) -> Iterator[SandboxThread]:
    """A running sandbox (on 127.0.0.1) served by a thread of its own; stopped on exit."""
    loop = asyncio.new_event_loop()
    started: asyncio.Future[Sandbox] = loop.create_future()
    stop = asyncio.Event()

    async def serve() -> None:
        try:
            async with run_sandbox(config) as sandbox:
                started.set_result(sandbox)
                await stop.wait()
        except BaseException as exc:
            if not started.done():
                started.set_exception(exc)
            raise

    def main() -> None:
        asyncio.set_event_loop(loop)
        with contextlib.suppress(BaseException):
            loop.run_until_complete(serve())

    thread = threading.Thread(target=main, name="sandbox", daemon=True)
    thread.start()
    sandbox = asyncio.run_coroutine_threadsafe(_wait(started), loop).result(timeout=60)
    try:
        yield SandboxThread(sandbox, loop)
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=30)
        loop.close()


async def _wait(started: asyncio.Future[Sandbox]) -> Sandbox:
    return await started
