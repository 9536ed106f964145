"""The one request path: a signed, limited, retried request for one page of any `Endpoint`.

`RequestLoop.fetch` is small steps with one job each: wait for the limiter, sign and send
(`_attempt`, `_send`), read the answer (`_read`: classify, then decode), and after a
failure carry out what the pure `asset_client.core.retry.decide` decided
(`_after_failure`); what hooks and log lines are told is said apart (`_told`, `_retrying`).

Sharp edge: each endpoint draws on its own lane of the key's budget (5/s per IP and key
each, as the docs state for assets), plus the optional account-wide "global" lane; one
send claims its lanes together, once the connection is in hand, so neither spacing can
be squeezed by the time a connection takes to open.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import tzinfo
from typing import Any, Generic, TypeVar

import aiohttp
from attrs import frozen

from asset_client.client.hooks import (
    AnswerReceived,
    HookRunner,
    RateLimitPause,
    RequestSent,
    RetryScheduled,
)
from asset_client.client.log import counted
from asset_client.client.session import SessionSource
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
from asset_client.core.retry import Decision, RetryPolicy, decide, is_rejection
from asset_client.endpoints.base import Endpoint, PageOf, WireRequest
from asset_client.errors import AssetClientError, LimiterBusyError
from asset_client.limit.limiter import KeyLimiter, Permit, RateLimit, SlotLost, Ticket
from asset_client.limit.registry import KeyHold

__all__ = ["RequestLoop", "Signer"]

logger = logging.getLogger("asset_client")

Q = TypeVar("Q")
P = TypeVar("P", bound=PageOf[Any])

Sleep = Callable[[float], Awaitable[object]]


@frozen
class _Call(Generic[P]):
    """One page's request, as every attempt at it sends it."""

    endpoint: Endpoint[Any, Any, P]
    request: WireRequest
    url: str
    page_no: int
    page_size: int
    uid: int | None  #: the query's uid filter (a lookup of one invitee), if any
    lane: KeyLimiter
    ticket: Ticket
    session: aiohttp.ClientSession
    on_connection: bool  #: the session claims the slot once its connection is in hand
    budget: PageBudget  #: all attempts at this page share one time budget
    counters: tuple[Stats, ...]  #: the client's stats, and a walk's own
    max_wait: float | None  #: the longest wait for a send slot (else LimiterBusyError)

    @property
    def label(self) -> str:
        # A lookup of one invitee is named by its uid, as its errors are.
        if self.uid is not None and self.page_no == 1:
            return f"uid {self.uid}"
        return f"page {self.page_no}"


class Signer:
    """The key's credentials and the clock its signatures are dated by."""

    __slots__ = ("_secret_key", "api_key", "clock")

    def __init__(self, api_key: str, secret_key: str, clock: Callable[[], float]) -> None:
        self.api_key = api_key
        self._secret_key = secret_key
        self.clock = clock

    def headers(self, request: WireRequest) -> dict[str, str]:
        """The headers that sign ``request`` now."""
        timestamp = str(int(self.clock() * 1000))
        return {
            "api_key": self.api_key,
            "timestamp": timestamp,
            "sign": request.signature(self._secret_key, timestamp),
            "User-Agent": USER_AGENT,
        }

    def secrets(self, signature: str) -> tuple[str, ...]:
        """What must never reach a message built from an answer (a server may echo it)."""
        return (self.api_key, self._secret_key, signature)


class RequestLoop:
    """Sends the request for one page of any endpoint until it is answered or given up."""

    def __init__(
        self,
        *,
        base_url: str,
        signer: Signer,
        sessions: SessionSource,
        hold: KeyHold,
        limits: AnswerLimits,
        policy: RetryPolicy,
        rate: RateLimit,
        server_tz: tzinfo,
        rng: random.Random,
        sleep: Sleep,
        hooks: HookRunner,
        stats: Stats,
    ) -> None:
        self.base_url = base_url
        self.signer = signer
        self._sessions = sessions
        self._hold = hold
        self._limits = limits
        self.policy = policy
        self.rate = rate
        self.server_tz = server_tz
        self._rng = rng
        self._sleep = sleep
        self.hooks = hooks
        self.stats = stats

    def lane(self, endpoint: Endpoint[Any, Any, Any]) -> KeyLimiter:
        """The endpoint's own lane of the key's budget."""
        return self._hold.lane(endpoint.limit_bucket)

    def lanes(self, endpoints: Iterable[Endpoint[Any, Any, Any]]) -> list[KeyLimiter]:
        """The lanes of ``endpoints`` and every other lane of the key in use."""
        return self._hold.lanes(endpoint.limit_bucket for endpoint in endpoints)

    async def fetch(
        self,
        endpoint: Endpoint[Q, Any, P],
        query: Q,
        page_no: int,
        page_size: int,
        *,
        ticket: Ticket | None = None,
        walk: Stats | None = None,
        max_wait: float | None = None,
    ) -> P:
        """One page, retried as the policy allows.

        ``ticket`` is the caller's place in the limiter's line (a walk passes its own);
        the page is counted in the client's stats and, for a walk, in its ``walk`` stats.
        ``max_wait``: each attempt waits at most this long for its send slot, else
        `LimiterBusyError` (nothing sent by that attempt, never retried).
        """
        call = self._call(endpoint, query, page_no, page_size, ticket, walk, max_wait)
        attempt = 1
        while True:
            try:
                return await self._attempt(call, attempt)
            except LimiterBusyError as exc:
                logger.debug("%s %s: %s", endpoint.name, call.label, exc)
                raise
            except AssetClientError as exc:
                if await self._after_failure(call, attempt, exc):
                    raise
            attempt += 1

    def _call(
        self,
        endpoint: Endpoint[Q, Any, P],
        query: Q,
        page_no: int,
        page_size: int,
        ticket: Ticket | None,
        walk: Stats | None,
        max_wait: float | None,
    ) -> _Call[P]:
        request = endpoint.build(query, page_no, page_size)
        lane = self.lane(endpoint)
        session = self._sessions.get()
        return _Call(
            endpoint=endpoint,
            request=request,
            url=request.url(self.base_url),
            page_no=page_no,
            page_size=page_size,
            uid=getattr(query, "uid", None),
            lane=lane,
            ticket=ticket or lane.ticket(),
            session=session,
            on_connection=claims_on_connection(session),
            budget=self._limits.budget(),
            counters=(self.stats,) if walk is None else (self.stats, walk),
            max_wait=max_wait,
        )

    async def _attempt(self, call: _Call[P], attempt: int) -> P:
        """One attempt: wait in line, sign, send, read the answer."""
        while True:
            permit = await self._acquire(call)
            headers = self.signer.headers(call.request)  # after the wait: never stale
            started = time.monotonic()
            status: int | str = "-"
            try:
                status, answer_headers, body = await self._send(call, permit, headers, attempt)
                page = self._read(call, status, answer_headers, body, headers["sign"])
            except SlotLost:
                continue  # nothing was sent: sign again and queue anew
            except AssetClientError as exc:
                self._told(call, attempt, status, started, exc)
                raise
            self._told(call, attempt, status, started, page)
            return page

    async def _acquire(self, call: _Call[P]) -> Permit:
        """Wait in line and for the clock, that span counted in wall-clock time."""
        began = time.monotonic()
        for stats in call.counters:
            stats.wait_began(began)
        try:
            return await call.lane.acquire(
                call.ticket, call.page_no, self._sleep, max_wait=call.max_wait
            )
        finally:
            ended = time.monotonic()
            for stats in call.counters:
                stats.wait_ended(ended)

    async def _send(
        self, call: _Call[P], permit: Permit, headers: dict[str, str], attempt: int
    ) -> Answer:
        """One HTTP request under ``permit``: its slot is claimed once the connection is
        in hand (before asking for one, on a session without that signal).

        The attempt is counted and told to the hooks once it is over (answered or not),
        so a request given up before anything was written is neither.  Raises `SlotLost`
        when nothing was sent.
        """
        method, body = call.request.method, call.request.body
        sent = RequestSent(call.endpoint.name, call.page_no, call.uid, attempt)
        claim = permit if call.on_connection else None
        try:
            if not call.on_connection:
                await permit.commit()
            try:
                answer = await http_request(
                    call.session, method, call.url, headers, body, call.budget, claim
                )
            except SlotLost:
                raise  # given up before anything was written
            except BaseException:
                self._count_attempt(call, sent)  # an attempt, answered or not
                raise
            self._count_attempt(call, sent)
            if permit.committed and permit.claimed_at is not None:
                # Claim to answer: the round trip the adaptive margin learns from.
                round_trip = time.monotonic() - permit.claimed_at
                call.lane.observe((call.endpoint.name, call.page_size), round_trip)
            if not permit.committed:
                # Sent without the connection signal (a mocking or custom connector):
                # record the send late rather than never.
                with contextlib.suppress(SlotLost):
                    await permit.commit()
            return answer
        finally:
            permit.release()
            for stats in call.counters:
                stats.limiter_wait += permit.waited

    def _count_attempt(self, call: _Call[P], sent: RequestSent) -> None:
        for stats in call.counters:
            stats.requests += 1
        if self.hooks:
            self.hooks.emit("request_sent", sent, *call.counters)

    def _read(
        self,
        call: _Call[P],
        status: int,
        headers: Mapping[str, str],
        body: bytes,
        signature: str,
    ) -> P:
        """The answer classified (`classify_response`), then decoded by the endpoint."""
        secrets = self.signer.secrets(signature)  # redacted from every message
        now = self.signer.clock()
        data = classify_response(
            status, headers, body, page_no=call.page_no, now=now, secrets=secrets
        )
        return call.endpoint.decode(data, call.page_no, call.page_size, self.server_tz, secrets)

    def _told(
        self,
        call: _Call[P],
        attempt: int,
        status: int | str,
        started: float,
        outcome: P | AssetClientError,
    ) -> None:
        """The answer (or its failure) told to the hooks and the debug log; a page counted."""
        elapsed = time.monotonic() - started
        failed = isinstance(outcome, AssetClientError)
        if self.hooks:
            code = status if isinstance(status, int) else None
            error = type(outcome).__name__ if failed else None
            event = AnswerReceived(
                call.endpoint.name, call.page_no, call.uid, attempt, code, elapsed, error
            )
            self.hooks.emit("answer_received", event, *call.counters)
        what = f"{call.endpoint.name} {call.label} attempt {attempt}"
        if isinstance(outcome, AssetClientError):
            logger.debug("%s: %s after %.3fs: %s", what, status, elapsed, outcome)
            return
        records = counted(len(outcome.items), "record")
        logger.debug("%s: HTTP %s, %s after %.3fs", what, status, records, elapsed)
        for stats in call.counters:
            stats.pages += 1

    async def _after_failure(self, call: _Call[P], attempt: int, error: AssetClientError) -> bool:
        """Carry out what `decide` says after ``attempt`` failed; True: give up."""
        # A rejection for rate counts in the key's streak (any page, any endpoint).
        streak = call.lane.rejected() if is_rejection(error) else 0
        decision = decide(error, attempt, self.policy, self._rng, self.rate.period, streak)
        if decision.refuse_key:
            # Calls queued behind this one (on every endpoint's lane) fail now, not later.
            self._hold.refuse(error)
        held = None if decision.pause is None else await self._pause(call, decision, error)
        if decision.give_up:
            return True
        self._retrying(call, attempt, error, decision, held)
        if held is None:
            await self._sleep(decision.backoff)
        # else: the retry waits in line behind the pause, like every other sender.
        return False

    async def _pause(self, call: _Call[P], decision: Decision, error: AssetClientError) -> float:
        """Hold every sender of the key (every endpoint, every process sharing the budget);
        return how long the key is held now (another sender's pause may be longer)."""
        pause = decision.pause or 0.0
        for stats in call.counters:
            stats.rate_limit_waits += 1
        await call.lane.pause(pause)
        held = max(pause, await call.lane.paused_for())
        if decision.give_up:
            logger.warning(
                "%s %s: rate limited (%s); pausing this key for %.2fs; giving up",
                call.endpoint.name,
                call.label,
                _reason(error),
                held,
            )
        if self.hooks:
            event = RateLimitPause(call.endpoint.name, call.page_no, call.uid, held)
            self.hooks.emit("rate_limit_pause", event, *call.counters)
        return held

    def _retrying(
        self,
        call: _Call[P],
        attempt: int,
        error: AssetClientError,
        decision: Decision,
        held: float | None,
    ) -> None:
        """A retry counted, told to the hooks and logged."""
        reason = _reason(error)
        for stats in call.counters:
            stats.retries += 1
        if self.hooks:
            wait = decision.backoff if held is None else held
            event = RetryScheduled(
                call.endpoint.name, call.page_no, call.uid, attempt, reason, wait, held is not None
            )
            self.hooks.emit("retry_scheduled", event, *call.counters)
        name, label, most = call.endpoint.name, call.label, self.policy.max_retries
        if held is not None:
            logger.warning(
                "%s %s: rate limited (%s); pausing this key for %.2fs, then retry %d of %d",
                name,
                label,
                reason,
                held,
                attempt,
                most,
            )
        else:
            logger.info(
                "%s %s: %s; retry %d of %d in %.2fs",
                name,
                label,
                reason,
                attempt,
                most,
                decision.backoff,
            )


def _reason(error: AssetClientError) -> str:
    return f"{type(error).__name__}: {error}"
