"""`SyncAssetClient`: the async `AssetClient` for code without asyncio (notebooks, Django,
Celery), run on a private event loop in its own thread.

Every call is handed to that loop and waited for, so the async client's guarantees (rate
limit, retries, typed errors, exact values) hold unchanged, and the calling thread may
itself run an event loop (Jupyter) or be one of several threads sharing the client.
Sharp edge: a call blocks its thread — from inside a running event loop that stalls the
loop for the call's duration (what a blocking client means); and calling it from the
client's own loop thread (e.g. from a hook) would wait on itself, so it is refused.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from types import TracebackType
from typing import Any, Concatenate, Generic, ParamSpec, Self, TypeVar

from asset_client.client.client import AssetClient
from asset_client.client.stats import ClientStats, WalkStats
from asset_client.client.walk_iter import WalkIterator
from asset_client.core.walk import Resume
from asset_client.endpoints.base import Endpoint, PageOf
from asset_client.errors import AssetClientError, InvalidParameterError

__all__ = ["SyncAssetClient", "SyncWalk"]

P = ParamSpec("P")
T = TypeVar("T")
R = TypeVar("R")
C = TypeVar("C", bound=Callable[..., Any])
Pg = TypeVar("Pg", bound=PageOf[Any])


class _Loop:
    """A private event loop running in a daemon thread until `stop`."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="asset-client-loop", daemon=True
        )
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the loop and wait for its result (or its exception)."""
        if threading.current_thread() is self.thread:
            coro.close()
            raise RuntimeError(
                "SyncAssetClient called from its own event loop thread (a hook?): it would "
                "wait for itself; use the async AssetClient there"
            )
        if self.loop.is_closed():
            coro.close()
            raise AssetClientError("the SyncAssetClient is closed")
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result()
        except BaseException:
            future.cancel()  # KeyboardInterrupt in the caller: stop the work on the loop too
            raise

    def stop(self) -> None:
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


async def _value(make: Callable[[], T]) -> T:
    """Build ``make()`` on the loop thread: the client is only ever touched there."""
    return make()


class _ClosedOnExit:
    """``with x:`` closes ``x`` at the end, however the block ends."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class SyncWalk(_ClosedOnExit, Generic[R], Iterator[R]):
    """Every record of one walk, in order (a plain iterator); ``stats`` count this walk.

    Close it (``close()`` or ``with``) to stop the pages in flight when leaving early;
    a walk iterated to its end closes itself.
    """

    def __init__(self, runner: _Loop, walk: WalkIterator[R]) -> None:
        self._runner = runner
        self._walk = walk
        self._done = False

    @property
    def stats(self) -> WalkStats:
        return self._walk.stats

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> R:
        if self._done:
            raise StopIteration
        try:
            return self._runner.run(self._walk.__anext__())
        except StopAsyncIteration:
            self._done = True
            raise StopIteration from None
        except BaseException:
            self._done = True
            raise

    def close(self) -> None:
        """Stop the walk's pages in flight (nothing more is yielded)."""
        if not self._done:
            self._done = True
            self._runner.run(self._walk.aclose())

    def __repr__(self) -> str:
        return f"<SyncWalk {self._walk!r}>"


def _blocking(
    method: Callable[Concatenate[AssetClient, P], Awaitable[T]],
) -> Callable[Concatenate[SyncAssetClient, P], T]:
    """The async client's ``method``, called on the private loop and waited for."""

    def call(self: SyncAssetClient, /, *args: P.args, **kwargs: P.kwargs) -> T:
        async def on_loop() -> T:
            return await method(self._client, *args, **kwargs)

        return self._loop.run(on_loop())

    return _named(call, method)


def _iterating(
    method: Callable[Concatenate[AssetClient, P], WalkIterator[R]],
) -> Callable[Concatenate[SyncAssetClient, P], SyncWalk[R]]:
    """The async client's walk ``method``, as a plain iterator (arguments checked now)."""

    def call(self: SyncAssetClient, /, *args: P.args, **kwargs: P.kwargs) -> SyncWalk[R]:
        walk = self._loop.run(_value(lambda: method(self._client, *args, **kwargs)))
        return SyncWalk(self._loop, walk)

    return _named(call, method)


def _named(call: C, method: Callable[..., Any]) -> C:
    """``call`` under ``method``'s name and docstring (for help() in a notebook)."""
    functools.update_wrapper(call, method, updated=())
    return call


class SyncAssetClient(_ClosedOnExit):
    """`AssetClient` without asyncio: the same constructor options and methods, with
    plain return values and plain iterators.

    ::

        with SyncAssetClient(api_key, secret_key) as client:
            for asset in client.iter_invitee_assets(quote="usdt"):
                ...

    Safe from any thread, several at once, and from a thread that runs an event loop
    (Jupyter): the async client runs on a private loop in its own thread.  ``session`` is
    refused (an aiohttp session belongs to the loop that made it); everything else is
    passed to `AssetClient` and checked there, before any request.
    """

    def __init__(self, api_key: str, secret_key: str, **options: Any) -> None:
        if options.get("session") is not None:
            raise InvalidParameterError(
                "session: a SyncAssetClient opens its own aiohttp session on its private "
                "loop; an aiohttp.ClientSession made on another loop cannot be used there",
                field="session",
            )
        self._loop = _Loop()
        try:
            self._client = self._loop.run(
                _value(lambda: AssetClient(api_key, secret_key, **options))
            )
        except BaseException:
            self._loop.stop()
            raise

    @classmethod
    def from_env(cls, **overrides: Any) -> SyncAssetClient:
        """As `AssetClient.from_env`: ``COINW_API_KEY``/``COINW_SECRET_KEY`` (and
        ``ASSET_CLIENT_BASE_URL``), keyword ``overrides`` winning."""
        self = cls.__new__(cls)
        self._loop = _Loop()
        try:
            self._client = self._loop.run(_value(lambda: AssetClient.from_env(**overrides)))
        except BaseException:
            self._loop.stop()
            raise
        return self

    @property
    def stats(self) -> ClientStats:
        """The client's whole-life counters (as `AssetClient.stats`)."""
        return self._client.stats

    @property
    def base_url(self) -> str:
        return self._client.base_url

    def reset_stats(self) -> None:
        self._client.reset_stats()

    def __repr__(self) -> str:
        return f"Sync{self._client!r}"

    def close(self) -> None:
        """Close the async client (pages in flight stop), then its loop and thread."""
        if self._loop.loop.is_closed():
            return
        try:
            self._loop.run(self._client.close())
        finally:
            self._loop.stop()

    # The methods of `AssetClient`, blocking; their signatures and docs are the async ones'.
    def get_page(
        self,
        endpoint: Endpoint[Any, Any, Pg],
        *,
        page_no: int = 1,
        page_size: int | None = None,
        **filters: Any,
    ) -> Pg:
        """One page of ``endpoint`` exactly as asked (as `AssetClient.get_page`)."""

        async def on_loop() -> Pg:
            return await self._client.get_page(
                endpoint, page_no=page_no, page_size=page_size, **filters
            )

        return self._loop.run(on_loop())

    def walk(
        self,
        endpoint: Endpoint[Any, R, Any],
        *,
        page_size: int | None = None,
        resume: Resume | None = None,
        **filters: Any,
    ) -> SyncWalk[R]:
        """Every record of ``endpoint`` matching ``filters`` once (as `AssetClient.walk`)."""

        def make() -> WalkIterator[R]:
            return self._client.walk(endpoint, page_size=page_size, resume=resume, **filters)

        return SyncWalk(self._loop, self._loop.run(_value(make)))

    get_invitee_assets_page = _blocking(AssetClient.get_invitee_assets_page)
    get_invitee_asset = _blocking(AssetClient.get_invitee_asset)
    iter_invitee_assets = _iterating(AssetClient.iter_invitee_assets)
    get_invitees_page = _blocking(AssetClient.get_invitees_page)
    iter_invitees = _iterating(AssetClient.iter_invitees)
    get_trading_volume_page = _blocking(AssetClient.get_trading_volume_page)
    iter_trading_volume = _iterating(AssetClient.iter_trading_volume)
