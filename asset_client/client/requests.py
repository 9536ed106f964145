"""The one request loop: a signed, limited, retried request to any `Endpoint`.

`AssetClient` inherits `RequestLoop`: ``_fetch_page`` is the one loop for every endpoint
(limiter -> sign -> send -> classify -> decode -> retry), so GET and POST, assets, invitees
and volume share it.  Sharp edge: each endpoint draws on its own lane of the key's budget
(5/s per IP and key each, as the docs state for assets), plus the optional account-wide
"global" lane; one send claims its lanes together, once the connection is in hand, so
neither spacing can be squeezed by the time a connection takes to open.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from datetime import tzinfo
from typing import Any, TypeVar

import aiohttp

from asset_client.client.hooks import (
    AnswerReceived,
    HookRunner,
    RateLimitPause,
    RequestSent,
    RetryScheduled,
)
from asset_client.client.stats import Stats
from asset_client.client.transport import (
    Answer,
    AnswerLimits,
    PageBudget,
    claims_on_connection,
    http_request,
)
from asset_client.client.version import USER_AGENT
from asset_client.core.classify import classify_response
from asset_client.core.retry import RetryPolicy
from asset_client.endpoints import Endpoint
from asset_client.endpoints.base import PageOf
from asset_client.errors import (
    AssetClientError,
    AuthenticationError,
    PermissionDeniedError,
    RateLimitError,
)
from asset_client.limit import LimiterBackend
from asset_client.limit.limiter import (
    KeyLimiter,
    Permit,
    RateLimit,
    SlotLost,
    Ticket,
    pause_after_rejection,
    refuse_key,
)

__all__ = ["RequestLoop"]

logger = logging.getLogger("asset_client")

Q = TypeVar("Q")
R = TypeVar("R")
P = TypeVar("P", bound=PageOf[Any])


class RequestLoop:
    """Mixin of `AssetClient`: one page of any endpoint, limited, signed, retried."""

    # Provided by AssetClient.
    base_url: str
    server_timezone: tzinfo
    retry_policy: RetryPolicy
    rate_limit: RateLimit
    stats: Any
    _api_key: str
    _secret_key: str
    _limits: AnswerLimits
    _limiter: KeyLimiter
    _backend: LimiterBackend
    _global_rate: RateLimit | None
    _rng: random.Random
    _sleep: Callable[[float], Awaitable[object]]
    _wall_clock: Callable[[], float]
    max_concurrency: int
    _tasks: set[asyncio.Task[Any]]
    _hooks: HookRunner

    def _get_session(self) -> aiohttp.ClientSession:
        raise NotImplementedError

    def _hold(self, bucket: str) -> KeyLimiter:
        raise NotImplementedError  # AssetClient's: a limiter held until the client closes

    def _limiter_of(self, endpoint: Endpoint[Any, Any, Any]) -> KeyLimiter:
        """The endpoint's own lane of the key's budget (assets keeps the client's original)."""
        if endpoint.limit_bucket == self._limiter.bucket:
            return self._limiter
        return self._hold(endpoint.limit_bucket)

    async def _fetch_page(
        self,
        endpoint: Endpoint[Q, R, P],
        query: Q,
        page_no: int,
        page_size: int,
        ticket: Ticket | None = None,
        walk: Stats | None = None,
    ) -> P:
        """One page, with limiter, signing, classification, decoding and retries.

        ``ticket`` is the caller's place in the limiter's line (a walk passes its own).
        Counted in the client's stats and, for a walk, in the walk's ``walk`` stats.
        """
        request = endpoint.build(query, page_no, page_size)
        url = request.url(self.base_url)
        limiter = self._limiter_of(endpoint)
        session = self._get_session()
        # The slot is claimed once the connection is in hand, if the session tells us.
        on_connection = claims_on_connection(session)
        ticket = ticket or limiter.ticket()
        retry_no = 0
        budget = self._limits.budget()  # all attempts at this page share one time budget
        counters: tuple[Stats, ...] = (self.stats,) if walk is None else (self.stats, walk)
        uid = getattr(query, "uid", None)
        # Assets log as they always have ("page 3 ..."); the others name themselves.
        what = "page" if endpoint.name == "assets" else f"{endpoint.name} page"
        # A lookup of one invitee is named by its uid, as its errors are.
        label = f"uid {uid}" if uid is not None and page_no == 1 else f"page {page_no}"
        hooks = self._hooks

        def tell_answer(attempt: int, status: int | str, started: float, error: str | None) -> None:
            code = status if isinstance(status, int) else None
            elapsed = time.monotonic() - started
            answered = AnswerReceived(endpoint.name, page_no, uid, attempt, code, elapsed, error)
            hooks.emit("answer_received", answered, *counters)

        while True:
            permit = await limiter.acquire(ticket, page_no, self._sleep)
            # Timestamp after the wait: a stale one is refused as a bad signature.
            timestamp = str(int(self._wall_clock() * 1000))
            headers = {
                "api_key": self._api_key,
                "timestamp": timestamp,
                "sign": request.signature(self._secret_key, timestamp),
                "User-Agent": USER_AGENT,
            }
            sent = RequestSent(endpoint.name, page_no, uid, retry_no + 1)
            started = time.monotonic()
            status: int | str = "-"
            try:
                try:
                    status, answer_headers, body = await self._send(
                        session,
                        request.method,
                        url,
                        headers,
                        request.body,
                        budget,
                        permit,
                        on_connection,
                        counters,
                        sent,
                    )
                except SlotLost:
                    continue  # nothing was sent: sign again and queue anew
                # Redacted from every message built from the answer (a server may echo them).
                secrets = (self._api_key, self._secret_key, headers["sign"])
                data = classify_response(
                    status,
                    answer_headers,
                    body,
                    page_no=page_no,
                    now=self._wall_clock(),
                    secrets=secrets,
                )
                page = endpoint.decode(data, page_no, page_size, self.server_timezone, secrets)
            except AssetClientError as exc:
                if hooks:
                    tell_answer(retry_no + 1, status, started, type(exc).__name__)
                logger.debug(
                    "%s %d attempt %d: %s after %.3fs: %s",
                    what,
                    page_no,
                    retry_no + 1,
                    status,
                    time.monotonic() - started,
                    exc,
                )
                if isinstance(exc, AuthenticationError | PermissionDeniedError):
                    # The key is refused: calls queued behind this one (on every
                    # endpoint's lane) fail now, not later.
                    refuse_key(limiter, exc)
                delay = self.retry_policy.delay_for(
                    exc, retry_no + 1, self._rng, self.rate_limit.period
                )
                reason = f"{type(exc).__name__}: {exc}"
                limited = isinstance(exc, RateLimitError)
                paused = 0.0
                if isinstance(exc, RateLimitError):
                    # The server's window is closed for every sender of this key: pause
                    # them all (every endpoint, every process sharing the budget), whether
                    # or not this call gives up.
                    pause = delay
                    if pause is None:
                        pause = pause_after_rejection(
                            self.retry_policy, exc, retry_no + 1, self._rng, self.rate_limit.period
                        )
                    # Rejections in a row (any page) lengthen it; the key also slows down.
                    pause = max(
                        pause,
                        limiter.rejected(self.rate_limit.period, self.retry_policy.max_retry_after),
                    )
                    for stats in counters:
                        stats.rate_limit_waits += 1
                    await limiter.pause(pause)
                    # What the key is held for now: another sender's pause may be longer.
                    paused = max(pause, await limiter.paused_for())
                    if delay is None:
                        logger.warning(
                            "%s %s: rate limited (%s); pausing this key for %.2fs; giving up",
                            endpoint.name,
                            label,
                            reason,
                            paused,
                        )
                    if hooks:
                        held = RateLimitPause(endpoint.name, page_no, uid, paused)
                        hooks.emit("rate_limit_pause", held, *counters)
                if delay is None:
                    raise
                retry_no += 1
                for stats in counters:
                    stats.retries += 1
                if hooks:
                    hooks.emit(
                        "retry_scheduled",
                        RetryScheduled(
                            endpoint.name,
                            page_no,
                            uid,
                            retry_no,
                            reason,
                            paused if limited else delay,
                            limited,
                        ),
                        *counters,
                    )
                if limited:
                    # The retry waits in line behind the pause, like every other sender.
                    logger.warning(
                        "%s %s: rate limited (%s); pausing this key for %.2fs, then retry %d of %d",
                        endpoint.name,
                        label,
                        reason,
                        paused,
                        retry_no,
                        self.retry_policy.max_retries,
                    )
                else:
                    logger.info(
                        "%s %s: %s; retry %d of %d in %.2fs",
                        endpoint.name,
                        label,
                        reason,
                        retry_no,
                        self.retry_policy.max_retries,
                        delay,
                    )
                    await self._sleep(delay)
                continue
            if hooks:
                tell_answer(retry_no + 1, status, started, None)
            logger.debug(
                "%s %d attempt %d: HTTP %s, %d records after %.3fs",
                what,
                page_no,
                retry_no + 1,
                status,
                len(page.items),
                time.monotonic() - started,
            )
            for stats in counters:
                stats.pages += 1
            return page

    async def _send(
        self,
        session: aiohttp.ClientSession,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes | None,
        budget: PageBudget,
        permit: Permit,
        on_connection: bool,
        counters: tuple[Stats, ...],
        sent: RequestSent,
    ) -> Answer:
        """One HTTP request under ``permit``: its slot is claimed once the connection is
        in hand (before asking for one, on a session without that signal).

        The attempt is counted in ``counters`` and told to the hooks as ``sent`` once it
        is over (answered or not), so a request given up before anything was written is
        neither.  Raises `SlotLost` when nothing was sent.
        """
        try:
            if not on_connection:
                await permit.commit()
            try:
                answer = await http_request(
                    session, method, url, headers, body, budget, permit if on_connection else None
                )
            except SlotLost:
                raise  # given up before anything was written
            except BaseException:
                self._count_attempt(counters, sent)  # an attempt, answered or not
                raise
            self._count_attempt(counters, sent)
            if not permit.committed:
                # Sent without the connection signal (a mocking or custom connector):
                # record the send late rather than never.
                with contextlib.suppress(SlotLost):
                    await permit.commit()
            return answer
        finally:
            permit.release()
            for stats in counters:
                stats.limiter_wait += permit.waited

    def _count_attempt(self, counters: tuple[Stats, ...], sent: RequestSent) -> None:
        for stats in counters:
            stats.requests += 1
        if self._hooks:
            self._hooks.emit("request_sent", sent, *counters)
