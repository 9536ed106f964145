"""One signed, limited, retried request to any `Endpoint`, and the partner single-page calls.

`AssetClient` inherits this: ``_fetch_page`` is the one request loop for every endpoint
(limiter -> sign -> send -> classify -> decode -> retry), so GET and POST, assets, invitees
and volume share it.  Sharp edge: each endpoint draws from its own per-interface limiter
(5/s per IP and key each, as the docs state for assets), plus the optional account-wide
global limiter, acquired *first* so the per-interface spacing — the one CoinW punishes —
is claimed at the moment of sending.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Hashable, Iterable
from datetime import date, datetime, tzinfo
from typing import Any, TypeVar

import aiohttp
from yarl import URL

from ._classify import classify_response
from ._errors import AssetClientError, InvalidParameterError, PaginationError, RateLimitError
from ._partner_models import DailyVolume, Invitee, InviteePage, VolumePage
from ._partner_query import InviteeQuery, resolve_invitee_window
from ._partner_walk import IdentityGuard, last_page
from ._query import validate_page_no
from ._ratelimit import KeyLimiter, RateLimit, limiter_for
from ._retry import RetryPolicy
from ._transport import http_request
from ._version import USER_AGENT
from .endpoints import INVITEES, VOLUME, Endpoint
from .endpoints.base import PageOf

__all__ = ["PartnerCalls"]

logger = logging.getLogger("asset_client")

Q = TypeVar("Q")
R = TypeVar("R")
P = TypeVar("P", bound=PageOf[Any])


class PartnerCalls:
    """Mixin of `AssetClient`: the generic request and the invitee/volume calls."""

    # Provided by AssetClient.
    base_url: str
    server_timezone: tzinfo
    retry_policy: RetryPolicy
    rate_limit: RateLimit
    stats: Any
    _api_key: str
    _secret_key: str
    _timeout: aiohttp.ClientTimeout
    _limiter: KeyLimiter
    _global_limiter: KeyLimiter | None
    _rng: random.Random
    _sleep: Callable[[float], Awaitable[object]]
    _wall_clock: Callable[[], float]
    max_concurrency: int
    _tasks: set[asyncio.Task[Any]]

    def _get_session(self) -> aiohttp.ClientSession:
        raise NotImplementedError

    def _limiter_of(self, endpoint: Endpoint[Any, Any, Any]) -> KeyLimiter:
        """The endpoint's own per-interface limiter (assets keeps the client's original)."""
        if endpoint.limit_bucket == "assets":
            return self._limiter
        url = URL(self.base_url)
        return limiter_for(
            f"{url.host}:{url.port}/{endpoint.limit_bucket}", self._api_key, self.rate_limit
        )

    async def _fetch_page(
        self, endpoint: Endpoint[Q, R, P], query: Q, page_no: int, page_size: int
    ) -> P:
        """One page, with limiter, signing, classification, decoding and retries."""
        request = endpoint.build(query, page_no, page_size)
        url = request.url(self.base_url)
        limiter = self._limiter_of(endpoint)
        session = self._get_session()
        retry_no = 0
        # Assets log as they always have ("page 3 ..."); the others name themselves.
        what = "page" if endpoint.name == "assets" else f"{endpoint.name} page"
        while True:
            if self._global_limiter is not None:
                self.stats.limiter_wait += await self._global_limiter.acquire(self._sleep, page_no)
            self.stats.limiter_wait += await limiter.acquire(self._sleep, page_no)
            # Timestamp after the wait: a stale one is refused as a bad signature.
            timestamp = str(int(self._wall_clock() * 1000))
            headers = {
                "api_key": self._api_key,
                "timestamp": timestamp,
                "sign": request.signature(self._secret_key, timestamp),
                "User-Agent": USER_AGENT,
            }
            self.stats.requests += 1
            started = time.monotonic()
            status: int | str = "-"
            try:
                status, answer_headers, body = await http_request(
                    session, request.method, url, headers, request.body, self._timeout
                )
                data = classify_response(
                    status, answer_headers, body, page_no=page_no, now=self._wall_clock()
                )
                page = endpoint.decode(data, page_no, page_size, self.server_timezone)
            except AssetClientError as exc:
                logger.debug(
                    "%s %d attempt %d: %s after %.3fs: %s",
                    what,
                    page_no,
                    retry_no + 1,
                    status,
                    time.monotonic() - started,
                    exc,
                )
                delay = self.retry_policy.delay_for(
                    exc, retry_no + 1, self._rng, self.rate_limit.period
                )
                if delay is None:
                    raise
                retry_no += 1
                self.stats.retries += 1
                if isinstance(exc, RateLimitError):
                    # The server's window is closed for every task of this key and endpoint:
                    # pause them all, not just this one.
                    self.stats.rate_limit_waits += 1
                    limiter.pause(delay)
                    logger.warning("rate limited on %s %d; pausing %.2fs", what, page_no, delay)
                else:
                    await self._sleep(delay)
                continue
            logger.debug(
                "%s %d attempt %d: HTTP %s, %d records after %.3fs",
                what,
                page_no,
                retry_no + 1,
                status,
                len(page.items),
                time.monotonic() - started,
            )
            self.stats.pages += 1
            return page

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._wall_clock(), self.server_timezone)

    async def get_invitees_page(
        self,
        *,
        page_no: int = 1,
        page_size: int = INVITEES.limits.single,
        start_time: object = None,
        end_time: object = None,
        uid: int | None = None,
        referral_code: str | None = None,
    ) -> InviteePage:
        """One page of the directly invited user list, newest registration first.

        A missing bound is filled as a walk fills it (from 2017-01-01 up to now, server
        time), never left to the server, whose default is the current month only.
        """
        validate_page_no(page_no)
        INVITEES.limits.check(page_size)
        query = INVITEES.validate(
            uid=uid,
            referral_code=referral_code,
            start_time=start_time,
            end_time=end_time,
            server_tz=self.server_timezone,
        )
        query = resolve_invitee_window(query, self._now(), self.server_timezone)
        return await self._fetch_page(INVITEES, query, page_no, page_size)

    async def get_trading_volume_page(
        self,
        *,
        page_no: int = 1,
        page_size: int = VOLUME.limits.single,
        start_date: date | str | None = None,
        end_date: date | str | None = None,
        uid: int | None = None,
    ) -> VolumePage:
        """One page of daily trading volumes, newest day first (a signed POST).

        Without dates the server means the past 30 days (its default, kept).
        """
        validate_page_no(page_no)
        VOLUME.limits.check(page_size)
        query = VOLUME.validate(
            uid=uid, start_date=start_date, end_date=end_date, server_tz=self.server_timezone
        )
        return await self._fetch_page(VOLUME, query, page_no, page_size)

    # -- walks ---------------------------------------------------------------------------

    def invitee_query(
        self,
        *,
        start_time: object = None,
        end_time: object = None,
        uid: object = None,
        referral_code: object = None,
    ) -> InviteeQuery:
        """The list filters checked, with the window resolved and frozen *now*.

        Freezing the end at the walk's start keeps later registrations outside the
        window, so they cannot shift its pages (the identity guard covers clock skew).
        """
        query = INVITEES.validate(
            uid=uid,
            referral_code=referral_code,
            start_time=start_time,
            end_time=end_time,
            server_tz=self.server_timezone,
        )
        return resolve_invitee_window(query, self._now(), self.server_timezone)

    def iter_invitees(
        self,
        *,
        start_time: object = None,
        end_time: object = None,
        uid: int | None = None,
        referral_code: str | None = None,
        page_size: int | None = None,
    ) -> AsyncGenerator[Invitee, None]:
        """Every matching direct invitee once, newest registration first.

        With no window: every invitee ever (2017-01-01 up to now, server time) — never the
        server's current-month default.  Arguments are checked now, before any request.
        """
        query = self.invitee_query(
            start_time=start_time, end_time=end_time, uid=uid, referral_code=referral_code
        )
        if page_size is not None:
            INVITEES.limits.check(page_size)
        return self._walk_endpoint(INVITEES, query, page_size)

    def iter_trading_volume(
        self,
        *,
        start_date: date | str | None = None,
        end_date: date | str | None = None,
        uid: int | None = None,
        page_size: int | None = None,
    ) -> AsyncGenerator[DailyVolume, None]:
        """Every matching (uid, day) volume once, newest day first.

        Without dates the server's own default applies: the past 30 days.
        """
        query = VOLUME.validate(
            uid=uid, start_date=start_date, end_date=end_date, server_tz=self.server_timezone
        )
        if page_size is not None:
            VOLUME.limits.check(page_size)
        return self._walk_endpoint(VOLUME, query, page_size)

    async def _walk_endpoint(
        self,
        endpoint: Endpoint[Q, R, P],
        query: Q,
        page_size: int | None,
        *,
        known: Iterable[Hashable] = (),
    ) -> AsyncGenerator[R, None]:
        """Every record of ``query`` once (by identity), in the server's order.

        Pages after the first are fetched concurrently.  An arrival mid-walk shifts later
        pages: the copies read twice are dropped by identity.  If ``total`` falls
        (records removed ahead of the walk may have moved behind it), the walk reads again
        from page 1, still yielding each identity once; it gives up after 3 such restarts.
        ``known`` identities (a resumed export's) are never yielded.
        """
        size = page_size or endpoint.limits.default
        guard: IdentityGuard[R] = IdentityGuard(endpoint.identity, known)
        already = len(guard)
        pending: dict[int, asyncio.Task[P]] = {}
        restarts = 0
        topping_up = False
        total: int | None = None
        page_no = 1
        next_request = 1
        self.stats.expected_total = None
        try:
            while True:
                limit = 1 if total is None else last_page(total, size)
                while len(pending) < self.max_concurrency and next_request <= limit:
                    pending[next_request] = self._spawn_page(
                        self._fetch_page(endpoint, query, next_request, size)
                    )
                    next_request += 1
                try:
                    page = await pending.pop(page_no)
                except InvalidParameterError:
                    fallback = endpoint.limits.fallback
                    if total is not None or page_size is not None or fallback in (None, size):
                        raise
                    logger.info("server refused pageSize=%d; trying %s", size, fallback)
                    size, next_request = fallback, 1
                    continue
                if total is None and page.items and len(page.items) < min(size, page.total):
                    # The server serves less than asked: walk at the size it serves.
                    logger.info("page 1 was short; the server serves %d", len(page.items))
                    size = len(page.items)
                if total is not None and page.total < total:
                    restarts += 1
                    if restarts > 3:
                        raise PaginationError(
                            f"{endpoint.name}: total kept falling during the walk "
                            f"({total} -> {page.total}); records may be missing. Walk again."
                        )
                    logger.warning(
                        "%s: total fell from %d to %d; reading again from page 1",
                        endpoint.name,
                        total,
                        page.total,
                    )
                    await _cancel(pending)
                    total, page_no, next_request = page.total, 1, 1
                    continue
                total = page.total
                self.stats.expected_total = total
                before = guard.duplicates
                admitted = guard.admit(page.items)
                self.stats.duplicates_dropped += guard.duplicates - before
                done = not page.items or page_no >= last_page(total, size)
                if not done:
                    page_no += 1
                for item in admitted:
                    self.stats.records += 1
                    yield item
                if done and len(guard) < total and not topping_up:
                    # Records arrived where the walk had already been (the top of a
                    # newest-first list): read from page 1 again to collect them.
                    logger.info(
                        "%s: total grew to %d during the walk; reading the top again",
                        endpoint.name,
                        total,
                    )
                    topping_up, done, page_no, next_request = True, False, 1, 1
                    await _cancel(pending)
                    continue
                if done or (topping_up and len(guard) >= total):
                    break
            if len(guard) < total:
                raise PaginationError(
                    f"{endpoint.name}: the server reported {total} records but the walk ended "
                    f"with {len(guard) - already} new and {already} already had; records may "
                    "be missing. Walk again."
                )
        finally:
            await _cancel(pending)

    def _spawn_page(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task


async def _cancel(pending: dict[int, asyncio.Task[Any]]) -> None:
    tasks = list(pending.values())
    pending.clear()
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.gather(*tasks, return_exceptions=True)
