"""`EndpointClient`: signed, rate-limited, retrying calls and walks for any partner `Endpoint`.

It is composed: it checks its arguments, then holds the parts that do the work — its
session (`SessionSource`), its hold on the key's limiters (`KeyHold`), the request path
(`RequestLoop`) and the walks (`WalkRunner`).  `AssetClient` adds the named calls of
CoinW's three endpoints on top, each a thin `get_page` or `walk`.  Sharp edge: an
endpoint defined outside the package is served exactly like the three it ships with, so
nothing here may know one endpoint from another.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import random
import time
import weakref
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, tzinfo
from types import TracebackType
from typing import Any, Self, TypeVar

import aiohttp

from asset_client.client.env import client_from_env
from asset_client.client.hooks import HookRunner, Hooks
from asset_client.client.log import client_created
from asset_client.client.lookups import Lookups
from asset_client.client.requests import RequestLoop, Signer
from asset_client.client.session import SessionSource
from asset_client.client.settings import (
    check_credential,
    check_type,
    checked_base_url,
    checked_concurrency,
    checked_max_wait,
    checked_policy,
    checked_registry,
    masked_key,
)
from asset_client.client.stats import ClientStats
from asset_client.client.transport import (
    DEFAULT_MAX_BODY_SIZE,
    DEFAULT_PAGE_TIMEOUT,
    DEFAULT_TIMEOUT,
    AnswerLimits,
)
from asset_client.client.walk_iter import WalkIterator
from asset_client.client.walks import WalkRunner
from asset_client.core.query import validate_page_no
from asset_client.core.retry import RetryPolicy
from asset_client.core.walk import Resume
from asset_client.endpoints import ENDPOINTS
from asset_client.endpoints.base import Endpoint, PageOf
from asset_client.errors import InvalidParameterError
from asset_client.limit import LimiterBackend, LimiterRegistry
from asset_client.limit.limiter import RateLimit
from asset_client.limit.registry import KeyHold
from asset_client.limit.state import LimiterState, limiter_state

__all__ = ["DEFAULT_BASE_URL", "EndpointClient"]

Q = TypeVar("Q")
R = TypeVar("R")
P = TypeVar("P", bound=PageOf[Any])

DEFAULT_BASE_URL = "https://api.coinw.com"

Sleep = Callable[[float], Awaitable[object]]


class EndpointClient:
    """The client of any partner `Endpoint`: `get_page` and `walk` (see `AssetClient`
    for what it is made with, and for the named calls of CoinW's endpoints)."""

    _view_of: EndpointClient | None = None  # set on a `with_options` view
    _lookup_scope: tuple[object, ...] = ()  # a view's request options (in lookup keys)

    def __init__(
        self,
        api_key: str,
        secret_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        session: aiohttp.ClientSession | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        page_timeout: float = DEFAULT_PAGE_TIMEOUT,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        max_retries: int | None = None,
        retry_policy: RetryPolicy | None = None,
        rate_limit: RateLimit | None = None,
        global_rate_limit: RateLimit | None = None,
        server_timezone: tzinfo = UTC,
        max_concurrency: int = 8,
        limiter: str | LimiterBackend | None = None,
        limiter_registry: LimiterRegistry | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        wall_clock: Callable[[], float] = time.time,
        proxy: str | None = None,
        hooks: Sequence[Hooks] = (),
        max_wait: float | None = None,
        lookup_cache_ttl: float = 0.0,
    ) -> None:
        check_credential(api_key, "api_key")
        check_credential(secret_key, "secret_key")
        client_created(api_key, secret_key)  # redaction, ASSET_CLIENT_LOG
        _check_types(server_timezone, rate_limit, global_rate_limit)
        self.max_wait = max_wait  # checked by the setter
        limits = AnswerLimits(
            timeout=timeout, page_timeout=page_timeout, max_body_size=max_body_size
        )
        window = checked_concurrency(max_concurrency)
        policy = checked_policy(retry_policy, max_retries)
        base_url = checked_base_url(base_url)
        self._sessions = SessionSource(session, base_url=base_url, proxy=proxy)
        rate = rate_limit or RateLimit()
        hold = _key_hold(api_key, rate, limiter, limiter_registry, global_rate_limit)
        self._release = weakref.finalize(self, hold.release)
        self.stats = ClientStats()
        self._requests = RequestLoop(
            base_url=base_url,
            signer=Signer(api_key, secret_key, wall_clock),
            sessions=self._sessions,
            hold=hold,
            limits=limits,
            policy=policy,
            rate=rate,
            server_tz=server_timezone,
            rng=rng or random.Random(),  # noqa: S311 - jitter, not cryptography
            sleep=sleep,
            hooks=HookRunner(hooks),
            stats=self.stats,
        )
        self._walks = WalkRunner(self._requests, window)
        self.lookups = Lookups(lookup_cache_ttl)  # identical lookups share one request

    # -- settings, read back -------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return self._requests.base_url

    @property
    def retry_policy(self) -> RetryPolicy:
        return self._requests.policy

    @property
    def rate_limit(self) -> RateLimit:
        return self._requests.rate

    @property
    def server_timezone(self) -> tzinfo:
        return self._requests.server_tz

    @property
    def max_concurrency(self) -> int:
        """Pages one walk may have in flight (a walk started later sees a new value)."""
        return self._walks.window

    @max_concurrency.setter
    def max_concurrency(self, value: int) -> None:
        self._walks.window = checked_concurrency(value)

    @property
    def max_wait(self) -> float | None:
        """The longest a call waits for its send slot, else `LimiterBusyError` (nothing
        sent); None: as long as it takes.  Read at each call: a copy of the client (e.g.
        ``with_options``) that sets its own changes only its own calls.  A walk applies
        it to its first page only (once it has started, it waits its turn)."""
        return self._max_wait

    @max_wait.setter
    def max_wait(self, value: float | None) -> None:
        self._max_wait = checked_max_wait(value)

    # -- life ------------------------------------------------------------------------------

    @classmethod
    def from_env(cls, **overrides: Any) -> Self:
        """A client from ``COINW_API_KEY``, ``COINW_SECRET_KEY`` and (optionally)
        ``ASSET_CLIENT_BASE_URL``; keyword ``overrides`` win over the environment.

        A missing variable raises `InvalidParameterError` naming it (never a value).
        """
        return client_from_env(cls, os.environ, overrides)

    def __repr__(self) -> str:
        key = masked_key(self._requests.signer.api_key)
        return f"{type(self).__name__}(base_url={self.base_url!r}, api_key={key!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Cancel pages still in flight, close the session if the client opened it, and
        let go of the key's limiters (a key no client uses any more may get a new rate)."""
        if self._view_of is not None:  # a view owns only its walks
            await self._walks.close()
            return
        self._sessions.refuse_new()  # no call starts while the pages in flight stop
        await self._walks.close()
        await self.lookups.close()
        await self._sessions.close()
        self._release()

    async def limiter_state(self) -> LimiterState:
        """A read-only snapshot of the key's lanes (one per endpoint, `LaneState`): the
        next free slot in seconds, callers of this process waiting, the pause or the
        penalty phase in force and until when.  Asks the backend (a file read for
        ``host``, a round trip for ``redis``); it claims nothing."""
        lanes = self._requests.lanes(ENDPOINTS.values())
        backend = lanes[0].backend.name if lanes else "process"
        return await limiter_state(lanes, backend, time.time())

    def reset_stats(self) -> None:
        """Set the client-wide counters (``stats``) back to zero."""
        self.stats.reset()

    # -- any endpoint ----------------------------------------------------------------------

    def _query(self, endpoint: Endpoint[Q, Any, Any], filters: dict[str, Any]) -> Q:
        """``filters`` checked (before any request) and rendered in the server's zone, then
        resolved as the endpoint sends them (e.g. the invitee window frozen *now*)."""
        return self._prepared(endpoint, self._validated(endpoint, filters))

    def _validated(self, endpoint: Endpoint[Q, Any, Any], filters: dict[str, Any]) -> Q:
        _check_filter_names(endpoint, filters)
        return endpoint.validate(**filters, server_tz=self.server_timezone)

    def _prepared(self, endpoint: Endpoint[Q, Any, Any], query: Q) -> Q:
        if endpoint.prepare is None:
            return query
        zone = self.server_timezone
        now = datetime.fromtimestamp(self._requests.signer.clock(), zone)
        return endpoint.prepare(query, now, zone)

    async def get_page(
        self,
        endpoint: Endpoint[Any, Any, P],
        *,
        page_no: int = 1,
        page_size: int | None = None,
        max_wait: float | None = None,
        **filters: Any,
    ) -> P:
        """One page of ``endpoint`` exactly as asked (no fallback, no re-planning).

        ``filters`` are the endpoint's own, checked now; ``page_size=None`` asks for the
        endpoint's single-page size (``endpoint.limits.single``).  ``max_wait`` (seconds)
        overrides the client's `max_wait` for this call.
        """
        validate_page_no(page_no)
        size = endpoint.limits.check(endpoint.limits.single if page_size is None else page_size)
        wait = self.max_wait if max_wait is None else checked_max_wait(max_wait)
        query = self._validated(endpoint, filters)
        # Keyed by the query as asked (an open window not yet frozen), so identical
        # calls share one request (and, for one uid, the cache) whenever they come; a
        # caller with another max_wait does not wait on someone else's queued request.
        key = (endpoint.name, endpoint.path, query, page_no, size, self._lookup_scope, wait)
        single = getattr(query, "uid", None) is not None

        async def send() -> P:
            return await self._requests.fetch(
                endpoint, self._prepared(endpoint, query), page_no, size, max_wait=wait
            )

        return await self.lookups.share(key, send, cacheable=single)

    def walk(
        self,
        endpoint: Endpoint[Any, R, Any],
        *,
        page_size: int | None = None,
        resume: Resume | None = None,
        **filters: Any,
    ) -> WalkIterator[R]:
        """Every record of ``endpoint`` that matches ``filters`` once, in the server's order.

        ``filters`` are the endpoint's own (checked now, before any request, and rendered
        in ``server_timezone``).  ``resume``: the caller already has every record up to
        ``resume.after`` (a sort-key value), ``resume.had`` of them; only later ones are
        yielded.  ``page_size=None`` asks for the endpoint's largest page and falls back
        if the server refuses it (a fallback accepted is asked first from then on).

        Records that arrive *before* the walk's position while it runs (the top of a
        newest-first list) are not fetched by this walk: it finishes with every record
        that was listed throughout, logs how many arrived, and counts them in
        ``stats.arrived_during_walk``.  The result is an async generator whose ``stats``
        count this walk alone.
        """
        query = self._query(endpoint, filters)
        if page_size is not None:
            endpoint.limits.check(page_size)
        check_type(resume, Resume | None, "resume", "a Resume or None")
        return self._walks.walk(endpoint, query, page_size, resume, self.max_wait)


def _check_types(server_timezone: object, rate_limit: object, global_rate_limit: object) -> None:
    check_type(server_timezone, tzinfo, "server_timezone", "a tzinfo such as ZoneInfo('UTC')")
    check_type(rate_limit, RateLimit | None, "rate_limit", "a RateLimit or None")
    check_type(global_rate_limit, RateLimit | None, "global_rate_limit", "a RateLimit or None")


def _key_hold(
    api_key: str,
    rate: RateLimit,
    limiter: str | LimiterBackend | None,
    registry: LimiterRegistry | None,
    global_rate: RateLimit | None,
) -> KeyHold:
    """The key's limiters, held by the key (not the URL) until the client closes (or
    is collected)."""
    held = checked_registry(registry)
    return held.hold(api_key, rate, held.backend(limiter), global_rate=global_rate)


def _check_filter_names(endpoint: Endpoint[Any, Any, Any], filters: dict[str, Any]) -> None:
    """A filter the endpoint does not take is refused by name (not a bare `TypeError`)."""
    try:
        inspect.signature(endpoint.validate).bind(**filters, server_tz=UTC)
    except TypeError as exc:
        raise InvalidParameterError(f"{endpoint.name}: {exc}") from None
