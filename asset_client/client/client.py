"""`AssetClient`: signed, rate-limited, retrying requests and the walk over every page.

Data flows one way: arguments -> validated query -> signed request -> limiter ->
HTTP -> classified answer -> decoded page -> page planner -> records.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import random
import time
import weakref
from collections.abc import AsyncGenerator, Awaitable, Callable, Coroutine, Sequence
from datetime import UTC, datetime, tzinfo
from types import TracebackType
from typing import Any, Self, TypeVar

import aiohttp
from attrs import define, evolve
from yarl import URL

from asset_client.client import log as _logging
from asset_client.client.calls import PartnerCalls
from asset_client.client.env import checked_proxy, client_from_env
from asset_client.client.hooks import HookRunner, Hooks, PageYielded, WalkDone
from asset_client.client.session import metered_session
from asset_client.client.stats import ClientStats, Stats, WalkStats
from asset_client.client.transport import (
    DEFAULT_MAX_BODY_SIZE,
    DEFAULT_PAGE_TIMEOUT,
    DEFAULT_TIMEOUT,
    AnswerLimits,
)
from asset_client.client.walk_iter import WalkIterator
from asset_client.core.query import (
    JAVA_LONG_MAX,
    AssetQuery,
    Quote,
    is_int,
    validate_page_no,
    validate_page_size,
    validate_query,
    validate_resume_point,
    validate_uid,
)
from asset_client.core.retry import RetryPolicy
from asset_client.core.walk import (
    Answer,
    Cancel,
    Emit,
    Failed,
    Finish,
    Notice,
    NoticeKind,
    Order,
    Request,
    Resume,
    Served,
    Walk,
)
from asset_client.endpoints import ASSETS
from asset_client.endpoints.base import PageOf
from asset_client.errors import (
    AssetClientError,
    InvalidParameterError,
    ResponseDecodeError,
    relabel_for_lookup,
)
from asset_client.limit import LimiterBackend, resolve_limiter
from asset_client.limit.limiter import KeyLimiter, RateLimit, Ticket, limiter_for, release_limiter
from asset_client.records import AssetPage, InviteeAsset

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_PAGE_SIZE",
    "FALLBACK_PAGE_SIZE",
    "AssetClient",
    "ClientStats",
    "checked_base_url",
]

logger = logging.getLogger("asset_client")

R = TypeVar("R")
T = TypeVar("T")

DEFAULT_BASE_URL = "https://api.coinw.com"
#: Requests are the scarce resource, so walks ask for the largest page the docs allow...
DEFAULT_PAGE_SIZE = 1000
#: ...and fall back to the other reading of the docs if the server refuses it.
FALLBACK_PAGE_SIZE = 100
_SINGLE_PAGE_SIZE = 100  # get_invitee_assets_page: valid under both readings of the docs
MAX_CONCURRENCY = 1000

Sleep = Callable[[float], Awaitable[object]]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def checked_base_url(base_url: object) -> str:
    """The base URL without a trailing slash; https, or http to a loopback host only."""
    if not isinstance(base_url, str) or not base_url:
        raise InvalidParameterError(
            f"base_url must be a URL string, got {base_url!r}", field="base_url"
        )
    try:
        url = URL(base_url)
    except ValueError:
        url = URL()
    # First, and without echoing the URL: a password in it must not reach a message.
    if url.user is not None or url.password is not None or "@" in url.raw_authority:
        raise InvalidParameterError(
            "base_url must not hold a user name or password (credentials go in api_key and "
            "secret_key)",
            field="base_url",
        )
    if url.scheme not in ("https", "http") or not url.host:
        raise InvalidParameterError(
            f"base_url must be an http(s) URL, got {base_url!r}", field="base_url"
        )
    if url.raw_query_string or url.raw_fragment or "?" in base_url or "#" in base_url:
        # The query is signed: anything here would go unsigned or break the signature.
        raise InvalidParameterError(
            f"base_url must have no query string or fragment, got {base_url!r}",
            field="base_url",
        )
    if url.scheme == "http" and not _is_loopback(url.host):
        raise InvalidParameterError(
            f"base_url must use https (plain http only to a loopback sandbox), got {base_url!r}",
            field="base_url",
        )
    return base_url.rstrip("/")


def _check_credential(value: object, field: str) -> None:
    # Never echo the value: it may be a real secret, or one pasted in the wrong place.
    if not isinstance(value, str) or not value.strip():
        raise InvalidParameterError(f"{field} must be a non-empty string", field=field)
    if not value.isascii() or not value.isprintable():
        raise InvalidParameterError(
            f"{field} must be printable ASCII; check how it was read (encoding, stray newline)",
            field=field,
        )


def _check_type(value: object, expected: Any, field: str, description: str) -> None:
    if not isinstance(value, expected):
        raise InvalidParameterError(f"{field} must be {description}, got {value!r}", field=field)


def _mask(value: str) -> str:
    return f"…{value[-4:]}" if len(value) > 8 else "…"


class AssetClient(PartnerCalls):
    """Async client for CoinW's "Get Direct Invitee User Asset" endpoint.

    ::

        async with AssetClient(api_key, secret_key) as client:
            async for asset in client.iter_invitee_assets(quote="usdt"):
                ...

    - Pass ``session`` to share an `aiohttp.ClientSession`; the client then never
      closes it.  Without one it opens its own and closes it on exit.
    - Requests are limited per API key and endpoint, shared by every process that uses
      the key through ``limiter``: ``"host"`` (the default: every process of this user
      on this machine), ``"process"`` (this process only) or ``"redis://host:port/db"``
      (every host that uses that Redis); else the ``ASSET_CLIENT_LIMITER`` environment
      variable.  ``global_rate_limit`` adds CoinW's account-wide limit across endpoints
      (one more lane of the same budget).  See `RateLimit` and docs/limits.md.
    - ``server_timezone`` is the zone of the server's ``yyyy-MM-dd HH:mm:ss`` strings,
      both the times sent and the times decoded.  CoinW does not document it; the
      default is UTC.
    - ``timeout`` bounds one attempt, start to last byte; ``page_timeout`` bounds all
      attempts at one page together (limiter waits and backoff not counted), so a
      server that drips its answer fails in bounded time.  ``max_body_size`` (16 MiB)
      caps an answer's body, decompressed; a larger one is `ResponseTooLargeError`,
      never retried.  Both hold for every endpoint, GET and POST.
    - ``sleep`` and ``rng`` are injectable so tests never wait for real backoff.
    - ``hooks``: `Hooks` objects told of every request, answer, retry, rate-limit
      pause, records yielded and walk end (for metrics; one that raises is logged and
      ignored).
    - ``stats`` adds up the client's whole life (``stats.reset()`` zeroes it); each
      walk's own ``stats`` count that walk alone.
    """

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
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        wall_clock: Callable[[], float] = time.time,
        proxy: str | None = None,
        hooks: Sequence[Hooks] = (),
    ) -> None:
        _check_credential(api_key, "api_key")
        _check_credential(secret_key, "secret_key")
        _logging.client_created(api_key, secret_key)  # redaction, ASSET_CLIENT_LOG
        _check_type(server_timezone, tzinfo, "server_timezone", "a tzinfo such as ZoneInfo('UTC')")
        _check_type(rate_limit, RateLimit | None, "rate_limit", "a RateLimit or None")
        _check_type(global_rate_limit, RateLimit | None, "global_rate_limit", "a RateLimit or None")
        _check_type(retry_policy, RetryPolicy | None, "retry_policy", "a RetryPolicy or None")
        limits = AnswerLimits(
            timeout=timeout, page_timeout=page_timeout, max_body_size=max_body_size
        )
        if not is_int(max_concurrency) or not 1 <= max_concurrency <= MAX_CONCURRENCY:
            raise InvalidParameterError(
                f"max_concurrency must be an integer from 1 to {MAX_CONCURRENCY}, "
                f"got {max_concurrency!r}",
                field="max_concurrency",
            )
        policy = retry_policy or RetryPolicy()
        if max_retries is not None:
            policy = evolve(policy, max_retries=max_retries)  # validated by RetryPolicy
        self.base_url = checked_base_url(base_url)
        self._api_key = api_key
        self._secret_key = secret_key
        self._session = session
        self._owns_session = session is None
        if proxy is not None and session is not None:
            raise InvalidParameterError(
                "proxy applies to the session the client opens; set it on your session",
                field="proxy",
            )
        self._proxy = None if proxy is None else checked_proxy(proxy)
        self._limits = limits
        self.retry_policy = policy
        self.rate_limit = rate_limit or RateLimit()
        self._hooks = HookRunner(hooks)
        self._closed = False
        # One key is one budget however the host is spelled: keyed by the key, not the
        # URL.  Each endpoint draws on its own lane; CoinW's account-wide limit, if set,
        # is a "global" lane every endpoint's send also claims.
        self._backend: LimiterBackend = resolve_limiter(limiter)
        self._global_rate = global_rate_limit
        # Every limiter this client holds, released when it closes (or is collected), so
        # a key's rate can change once no client uses it.
        self._limiters: dict[str, KeyLimiter] = {}
        self._release = weakref.finalize(self, _release_all, self._limiters)
        self._limiter: KeyLimiter = self._hold(ASSETS.limit_bucket)
        self.server_timezone = server_timezone
        self.max_concurrency = max_concurrency
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self._wall_clock = wall_clock
        self._default_page_size = DEFAULT_PAGE_SIZE
        self._tasks: set[asyncio.Task[Any]] = set()
        self.stats = ClientStats()

    def _hold(self, bucket: str) -> KeyLimiter:
        """This key's limiter for the endpoint lane ``bucket``, held until the client closes."""
        if self._closed:  # a closed client holds nothing (its limiters are released)
            raise AssetClientError("this AssetClient is closed")
        limiter = self._limiters.get(bucket)
        if limiter is None:
            limiter = self._limiters[bucket] = limiter_for(
                self._api_key,
                self.rate_limit,
                self._backend,
                bucket=bucket,
                global_rate=self._global_rate,
            )
        return limiter

    def reset_stats(self) -> None:
        """Set the client-wide counters (``stats``) back to zero."""
        self.stats.reset()

    @classmethod
    def from_env(cls, **overrides: Any) -> Self:
        """A client from ``COINW_API_KEY``, ``COINW_SECRET_KEY`` and (optionally)
        ``ASSET_CLIENT_BASE_URL``; keyword ``overrides`` win over the environment.

        A missing variable raises `InvalidParameterError` naming it (never a value).
        """
        return client_from_env(cls, os.environ, overrides)

    def __repr__(self) -> str:
        return f"AssetClient(base_url={self.base_url!r}, api_key={_mask(self._api_key)!r})"

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
        self._closed = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None
        self._release()

    def _get_session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise AssetClientError("this AssetClient is closed")
        if self._session is None:
            # trust_env: HTTP(S)_PROXY and NO_PROXY apply, except to a loopback sandbox.
            options: dict[str, Any] = {"trust_env": not _is_loopback(URL(self.base_url).host or "")}
            if self._proxy is not None:
                options["proxy"] = self._proxy  # a session-wide proxy (aiohttp >= 3.10)
            # A metered session: it claims each send slot once its connection is in hand
            # and never resends on its own (that resend would bypass the limiter).
            self._session = metered_session(**options)
        return self._session

    # -- one request ---------------------------------------------------------

    async def _fetch(
        self,
        query: AssetQuery,
        page_no: int,
        page_size: int,
        ticket: Ticket | None = None,
        walk: Stats | None = None,
    ) -> AssetPage:
        """One assets page, with limiter, signing, classification, decoding and retries.

        ``ticket`` is the caller's place in the limiter's line and ``walk`` its stats (a
        walk passes its own).
        """
        return await self._fetch_page(ASSETS, query, page_no, page_size, ticket, walk)

    def _spawn(self, coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # -- public API ----------------------------------------------------------

    def _query(
        self,
        quote: object,
        uid: object,
        start_time: object,
        end_time: object,
    ) -> AssetQuery:
        """The filters checked and rendered in this client's server time zone."""
        return validate_query(
            quote=quote,
            uid=uid,
            start_time=start_time,
            end_time=end_time,
            server_tz=self.server_timezone,
        )

    async def get_invitee_assets_page(
        self,
        *,
        page_no: int = 1,
        page_size: int = _SINGLE_PAGE_SIZE,
        quote: Quote = "usdt",
        uid: int | None = None,
        start_time: datetime | str | None = None,
        end_time: datetime | str | None = None,
    ) -> AssetPage:
        """Fetch one page exactly as asked (no fallback, no re-planning).

        With ``uid`` it is a lookup of one invitee: errors name the uid, not a page.
        """
        validate_page_no(page_no)
        validate_page_size(page_size)
        query = self._query(quote, uid, start_time, end_time)
        try:
            return await self._fetch(query, page_no, page_size)
        except AssetClientError as exc:
            if query.uid is not None and page_no == 1:
                relabel_for_lookup(exc, query.uid)
            raise

    async def get_invitee_asset(
        self,
        uid: int,
        *,
        quote: Quote = "usdt",
        start_time: datetime | str | None = None,
        end_time: datetime | str | None = None,
    ) -> InviteeAsset | None:
        """The assets of invitee ``uid``, or None if ``uid`` is not a direct invitee:
        one request (filtered by uid), for "is this my invitee, and did they deposit?".

        Errors name ``uid N``, not a page.  An answer holding any other uid means the
        server ignored the filter: `ResponseDecodeError`, never a wrong record.
        """
        if uid is None:  # a lookup needs its uid; validate_uid alone lets None mean "any"
            raise InvalidParameterError(
                f"uid must be an integer from 1 to {JAVA_LONG_MAX}, got None", field="uid"
            )
        validate_uid(uid)  # the one uid rule (1 .. Java long), before any request
        query = self._query(quote, uid, start_time, end_time)
        try:
            page = await self._fetch(query, 1, _SINGLE_PAGE_SIZE)
            others = sorted({asset.uid for asset in page.items if asset.uid != uid})
            if others:
                raise ResponseDecodeError(
                    f"asked for uid {uid} but the answer holds uid(s) {others[:5]}: the "
                    "server ignored the uid filter"
                )
        except AssetClientError as exc:
            relabel_for_lookup(exc, uid)
            raise
        return page.items[0] if page.items else None

    def iter_invitee_assets(
        self,
        *,
        quote: Quote = "usdt",
        start_time: datetime | str | None = None,
        end_time: datetime | str | None = None,
        uid: int | None = None,
        page_size: int | None = None,
        after_uid: int | None = None,
        start_offset: int = 0,
    ) -> WalkIterator[InviteeAsset]:
        """Every matching invitee once, in uid order, fetching pages concurrently.

        Arguments are checked now, before any request.  ``page_size=None`` asks for
        the largest page the docs allow (1000) and falls back to 100 if the server
        refuses it; an explicit size is sent as given.  Break out early inside
        ``contextlib.aclosing(...)`` to stop the pages in flight at once (they are
        also stopped when the generator is collected or the client closes).

        To resume, pass ``after_uid`` (the last uid you have: only later ones are
        yielded) and ``start_offset`` (how many records you have: whole pages of them
        are skipped).  If the data moved so that the skip could miss a record, the
        walk starts again from page 1, still yielding only uids after ``after_uid``.

        The result is an async generator whose ``stats`` count this walk alone.
        """
        query = self._query(quote, uid, start_time, end_time)
        if page_size is not None:
            validate_page_size(page_size)
        start_offset = validate_resume_point(after_uid, start_offset)
        return self._walk(query, page_size, after_uid, start_offset)

    def _walk(
        self,
        query: AssetQuery,
        explicit_size: int | None,
        after_uid: int | None,
        start_offset: int,
    ) -> WalkIterator[InviteeAsset]:
        """The assets walk: `Walk` in uid order, carried out by `_drive`."""
        walk: Walk[InviteeAsset] = Walk(
            ASSET_ORDER,
            explicit_size or self._default_page_size,
            window=self.max_concurrency,
            fallback_size=None if explicit_size is not None else FALLBACK_PAGE_SIZE,
            resume=None if after_uid is None else Resume(after_uid, start_offset),
        )

        stats = WalkStats()

        def fetch(page_no: int, page_size: int, ticket: Ticket) -> Coroutine[Any, Any, AssetPage]:
            return self._fetch(query, page_no, page_size, ticket, stats)

        return self._walk_iterator(
            ASSETS.name,
            stats,
            self._drive(walk, fetch, self._limiter, stats, remember_fallback=True),
        )

    def _walk_iterator(
        self, endpoint: str, stats: WalkStats, records: AsyncGenerator[R, None]
    ) -> WalkIterator[R]:
        def done(event: WalkDone) -> None:
            if self._hooks:
                self._hooks.emit("walk_done", event, self.stats, stats)

        return WalkIterator(endpoint, records, stats, done)

    async def _drive(
        self,
        walk: Walk[R],
        fetch: Callable[[int, int, Ticket], Coroutine[Any, Any, PageOf[R]]],
        limiter: KeyLimiter,
        stats: WalkStats,
        *,
        endpoint: str = ASSETS.name,
        remember_fallback: bool = False,
    ) -> AsyncGenerator[R, None]:
        """Carry out a walk's actions: fetch, cancel, yield, finish or raise.

        Every decision is `Walk`'s; this loop only does the I/O and keeps the counters
        (the client's and the walk's own ``stats``).
        It serves every endpoint: ``fetch(page_no, page_size, ticket)`` gets one page.
        The walk takes one place in ``limiter``'s line when it starts, for all its pages
        (walks are served in the order they started, lower pages of one walk first).
        ``remember_fallback``: a fallback page size the server accepted becomes this
        client's default (the assets walk's memory).
        """
        self.stats.expected_total = None
        tasks: dict[asyncio.Task[Any], int] = {}
        by_ticket: dict[int, asyncio.Task[Any]] = {}
        counted = _WalkCounts()
        place = limiter.ticket()  # the walk's place in the limiter's line (not a Walk ticket)
        try:
            actions = walk.start()
            while True:
                for action in actions:
                    if isinstance(action, Request):
                        task = self._spawn(fetch(action.page_no, action.page_size, place))
                        tasks[task] = action.ticket
                        by_ticket[action.ticket] = task
                    elif isinstance(action, Cancel):
                        await _cancel([by_ticket.pop(t) for t in action.tickets], tasks)
                    elif isinstance(action, Notice):
                        logger.log(_NOTICE_LEVELS[action.kind], "%s", action.message)
                    elif isinstance(action, Emit):
                        if self._hooks and action.records:
                            event = PageYielded(endpoint, len(action.records))
                            self._hooks.emit("page_yielded", event, self.stats, stats)
                        for item in action.records:
                            self.stats.records += 1
                            stats.records += 1
                            yield item
                    elif isinstance(action, Finish):
                        return
                    else:
                        raise action.error
                answer: Answer[R] = await self._next_answer(tasks)
                by_ticket.pop(answer.ticket, None)
                actions = walk.feed(answer)
                counted = self._count(walk, counted, remember_fallback, stats)
        finally:
            await _cancel(list(tasks), tasks)

    async def _next_answer(self, tasks: dict[asyncio.Task[Any], int]) -> Answer[Any]:
        """The next request to finish, as an answer for the walk (lowest ticket first)."""
        if not tasks:  # the walk always has a request out until it ends
            raise RuntimeError("the walk is waiting for an answer but nothing is in flight")
        done = [task for task in tasks if task.done()]
        if not done:
            finished, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            done = list(finished)
        task = min(done, key=tasks.__getitem__)
        ticket = tasks.pop(task)
        if task.cancelled():
            if self._closed:
                # close() stopped the page, not a cancellation of the caller's task.
                raise AssetClientError("the AssetClient was closed during the walk")
            raise asyncio.CancelledError
        error = task.exception()
        if error is None:
            page = task.result()
            return Served(ticket, page.items, page.total)
        if isinstance(error, AssetClientError):
            return Failed(ticket, error)
        raise error

    def _count(
        self, walk: Walk[Any], before: _WalkCounts, remember_fallback: bool, stats: WalkStats
    ) -> _WalkCounts:
        """Add what the walk counted since ``before`` to this client's and the walk's stats."""
        now = _WalkCounts(walk.duplicates, walk.total_decreases, walk.replans)
        for counters in (self.stats, stats):
            counters.duplicates_dropped += now.duplicates - before.duplicates
            counters.total_decreases += now.total_decreases - before.total_decreases
            counters.replans += now.replans - before.replans
            counters.expected_total = walk.total
        if walk.fell_back and remember_fallback:
            # The smaller size was accepted: later walks start with it.
            self._default_page_size = FALLBACK_PAGE_SIZE
        return now


@define(frozen=True)
class _WalkCounts:
    duplicates: int = 0
    total_decreases: int = 0
    replans: int = 0


#: Assets are sorted by uid ascending, and a uid names one invitee.
ASSET_ORDER: Order[InviteeAsset] = ASSETS.order

_NOTICE_LEVELS = {
    NoticeKind.TOTAL_FELL: logging.WARNING,
    NoticeKind.RESUME_MOVED: logging.INFO,
    NoticeKind.REASK: logging.INFO,
    NoticeKind.REPLAN: logging.INFO,
    NoticeKind.FALLBACK: logging.INFO,
}


async def _cancel(stopping: list[asyncio.Task[Any]], tasks: dict[asyncio.Task[Any], int]) -> None:
    for task in stopping:
        tasks.pop(task, None)
        task.cancel()
    if stopping:
        await asyncio.gather(*stopping, return_exceptions=True)


def _release_all(limiters: dict[str, KeyLimiter]) -> None:
    for limiter in limiters.values():
        release_limiter(limiter)
    limiters.clear()
