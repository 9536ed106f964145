"""The sandbox server: a local, strict stand-in for CoinW's partner (affiliate) API.

It serves ``GET /api/v3/patener/openapi/v1/partner/invitation/user/assets`` on loopback (and
the invitee list and trading volume beside it, from the same people: see ``_partner``) with
CoinW's futures-style signing (``api_key``/``timestamp``/``sign`` headers, HMAC-SHA256 over the
*decoded* query in the order sent: see ``_auth``), a strict sliding-window limit per (client
IP, api key, endpoint) that counts every arrival, the documented parameters and envelope, and
seeded fault injection.

What it cannot know about the real server, and the choice made instead: the real error codes
for individual validation failures (code 1 with ``invalid parameter: name=value`` is used),
whether the limiter runs before authentication (here: before, and failed-auth requests count),
whether rejected requests count (here: they do), the real page-size ceiling (1000 or 100: both
configurable, as is silent clamping), the time zone of ``startTime``/``endTime`` (none: the
window is compared with the stored times as written), and the penalties CoinW applies to
clients that keep tripping the limit (not modelled: a rejection costs nothing beyond itself).
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Final

import attrs
from aiohttp import web

from asset_client.core.signing import ASSETS_PATH, INVITEES_PATH, VOLUME_PATH
from asset_client.sandbox._answers import (
    SERVER_ERROR,
    Answer,
    body_params,
    fault_answer,
    json_answer,
    refusal,
    success,
    too_frequent,
)
from asset_client.sandbox._arrival import ArrivalStamps, serve_stamped
from asset_client.sandbox._auth import authenticate
from asset_client.sandbox._config import RequestRecord, SandboxConfig, SandboxStats
from asset_client.sandbox._data import Population, SandboxData
from asset_client.sandbox._faults import Fault, FaultConfig, FaultPlan
from asset_client.sandbox._partner import (
    BadPartnerParameter,
    PartnerData,
    SpecialUids,
    parse_invitee_params,
    parse_volume_body,
)
from asset_client.sandbox._query import InvalidParameter, parse_params, split_query
from asset_client.sandbox._times import parse_time
from asset_client.sandbox._window import SlidingWindow

__all__ = ["Sandbox", "run_sandbox"]


class Sandbox:
    """A running sandbox (see :func:`run_sandbox`).

    Switch faults while it runs by assigning ``sandbox.faults = FaultConfig(...)``; this
    restarts the seeded fault/jitter streams.  Script ordinals and ``grow_after``/
    ``shrink_after`` keep counting from the sandbox's start (``stats``), not from the switch.
    """

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.api_key = config.api_key
        self.secret_key = config.secret_key
        self.base_url = ""  # set once the site is bound
        self.named_url = ""  # the same, as http://localhost:PORT
        self.stats = SandboxStats(window=config.window)
        self.data = SandboxData(config.seed, config.invitees, config.days)
        self._window = SlidingWindow(config.rate_limit, config.window)
        #: Each request's arrival, stamped as its first bytes reach the server (`_arrival`).
        self.arrivals = ArrivalStamps(config.clock)
        self._plan = FaultPlan(config.faults)
        self._secrets: dict[str, str] = dict(config.non_affiliate_keys)
        self._secrets[config.api_key] = config.secret_key
        self._building: dict[str, asyncio.Future[Population]] = {}
        self._transports: weakref.WeakSet[asyncio.BaseTransport] = weakref.WeakSet()
        # The invitee list and volume endpoints: the same people as the assets' usdt quote.
        self.partner = PartnerData(config.seed, self.data, config.partner_now)
        #: Called with each request's record once it is answered (the CLI logs it).
        self.on_request: Callable[[RequestRecord], None] | None = None
        self.app = web.Application()
        self.app.router.add_get(ASSETS_PATH, self._handle, allow_head=False)
        self.app.router.add_get(INVITEES_PATH, self._handle, allow_head=False)
        self.app.router.add_post(VOLUME_PATH, self._handle)
        self.app.router.add_route("*", "/{tail:.*}", self._wrong_url)

    @property
    def faults(self) -> FaultConfig:
        return self._plan.config

    @faults.setter
    def faults(self, value: FaultConfig) -> None:
        self._plan = FaultPlan(value)

    def expected(
        self,
        quote: str = "usdt",
        *,
        uid: int | None = None,
        start_time: str | None = None,
        end_time: str | None = None,
    ) -> list[dict[str, object]]:
        """Every record the server would return now for these filters, uid ascending."""
        start = _parse_or_raise("start_time", start_time)
        end = _parse_or_raise("end_time", end_time)
        return self.data.population(quote).records(uid=uid, start=start, end=end)

    def special_uids(self) -> SpecialUids:
        """Uids with a documented story for tests and demos (not an invitee, never
        deposited, no volume, volume only outside a 30-day window, the window's boundary
        day): see :class:`~asset_client.sandbox.SpecialUids`."""
        return self.partner.special_uids()

    # -- request handling ------------------------------------------------------------------

    async def _wrong_url(self, request: web.Request) -> web.Response:
        # CoinW answers unknown paths with this body rather than a plain 404.  They count
        # against the limit and show in the stats too: a client bug that storms a wrong
        # path must not hide from the tests.
        api_key = request.headers.get("api_key")
        arrived = self.arrivals.take(request.transport)
        self.arrivals.done(request.transport)
        allowed = self._window.hit((request.remote or "", api_key), arrived)
        answer = SERVER_ERROR
        if not allowed:
            self.stats.rejected += 1
            answer = too_frequent(self.config)
        _, _, raw_query = request.raw_path.partition("?")
        self.stats.requests.append(
            RequestRecord(
                time=arrived,
                api_key=api_key,
                params=split_query(raw_query)[1],
                status=answer.status,
                code=answer.code,
                fault=None,
                rate_limited=not allowed,
            )
        )
        self._notify(self.stats.requests[-1])
        return answer.response()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        try:
            return await self._answer(request)
        finally:
            self.arrivals.done(request.transport)

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        if request.transport is not None and request.transport not in self._transports:
            self._transports.add(request.transport)
            self.stats.connections += 1
        # The arrival is the wire's (stamped at the first bytes), never moved by the loop's
        # other work; one-way jitter is added to it arithmetically, and only the answer
        # waits for it (as the network would hold it).
        wire = self.arrivals.take(request.transport)
        jitter = self._plan.arrival_delay()
        if jitter > 0:
            await asyncio.sleep(jitter)
        _, _, raw_query = request.raw_path.partition("?")
        decoded_query, params = split_query(raw_query)
        # Everything up to the first await below runs in one step, so ordinals, the window
        # and the fault streams stay deterministic under concurrency.
        index, record, allowed = self._arrive(request, params, wire + jitter)
        plan = self._plan
        body = b""
        if request.method == "POST":
            body = await request.read()
            record = attrs.evolve(record, params=body_params(body))
            self.stats.requests[index] = record
        delay = plan.delay() + (plan.config.timeout_delay if record.fault is Fault.TIMEOUT else 0.0)
        if delay > 0:
            await asyncio.sleep(delay)
        if record.fault is Fault.CONNECTION_RESET:
            self._notify(record)
            if request.transport is not None:
                request.transport.close()
            # Writing to the closed transport fails with ConnectionError, which aiohttp
            # swallows quietly; the client sees the server disconnect.
            return web.Response()
        answer = fault_answer(record.fault, self.config)
        if answer is None and not allowed:
            self.stats.rejected += 1
            answer = too_frequent(self.config)
            record = attrs.evolve(record, rate_limited=True)
        elif answer is None:
            answer = await self._serve(request, decoded_query, params, body)
            if record.fault is Fault.TRUNCATED_JSON:
                answer = answer.truncated()
            elif answer.code == "0":
                self._accept()
        self.stats.requests[index] = attrs.evolve(record, status=answer.status, code=answer.code)
        self._notify(self.stats.requests[index])
        return answer.response()

    def _arrive(
        self, request: web.Request, params: tuple[tuple[str, str], ...], arrived: float
    ) -> tuple[int, RequestRecord, bool]:
        """Log an arrival (provisionally, until answered), hit the window and draw its fault:
        (its index in ``stats.requests``, its record, whether the window allowed it)."""
        api_key = request.headers.get("api_key")
        index = len(self.stats.requests)
        # Each endpoint has its own 5/s per (IP, key); the assets key keeps its old shape.
        window_key: tuple[str | None, ...] = (request.remote or "", api_key)
        if request.path != ASSETS_PATH:
            window_key = (*window_key, request.path)
        allowed = self._window.hit(window_key, arrived)
        record = RequestRecord(
            time=arrived,
            api_key=api_key,
            params=params,
            status=0,
            code=None,
            fault=self._plan.decide(index + 1),
            rate_limited=False,
            path=request.path,
        )
        self.stats.requests.append(record)
        return index, record, allowed

    def _notify(self, record: RequestRecord) -> None:
        if self.on_request is not None:
            self.on_request(record)

    def _accept(self) -> None:
        self.stats.accepted += 1
        plan = self._plan
        config = plan.config
        if plan.should_grow(self.stats.accepted):
            self.data.grow(config.grow_by, anywhere=config.grow_at == "anywhere")
        if plan.should_shrink(self.stats.accepted):
            self.data.shrink(config.shrink_by, anywhere=config.shrink_at == "anywhere")

    async def _serve(
        self,
        request: web.Request,
        decoded_query: str,
        params: Sequence[tuple[str, str]],
        body: bytes,
    ) -> Answer:
        """Authenticate, validate and page the endpoint at ``request.path``."""
        signed = (request.path, decoded_query, body)
        denied = authenticate(request.headers, self._secrets, self.config, signed)
        if denied is not None:
            return refusal(denied)
        if request.path == ASSETS_PATH:
            return await self._assets(params)
        return self._partner(request.path, params, body)

    async def _assets(self, params: Sequence[tuple[str, str]]) -> Answer:
        config = self.config
        try:
            query = parse_params(
                params,
                max_page_size=config.max_page_size,
                clamp_page_size=config.clamp_page_size,
                default_page_size=config.default_page_size,
            )
        except InvalidParameter as exc:
            return json_answer({"code": 1, "msg": str(exc)}, "1")
        population = await self._population(query.quote)
        total, records = population.page(
            query.offset, query.page_size, uid=query.uid, start=query.start, end=query.end
        )
        return success({"total": total, "list": records})

    async def _population(self, quote: str) -> Population:
        """The quote's population; a first use generates it off the event loop, once."""
        if self.data.is_ready(quote):
            return self.data.population(quote)
        pending = self._building.get(quote)
        if pending is None:
            pending = asyncio.ensure_future(asyncio.to_thread(self.data.build, quote))
            self._building[quote] = pending
        built = await asyncio.shield(pending)
        self._building.pop(quote, None)
        return self.data.install(quote, built)

    def _partner(self, path: str, params: Sequence[tuple[str, str]], body: bytes) -> Answer:
        """The invitee list (GET) or the volume (POST, its parameters in the JSON body)."""
        partner = self.partner
        try:
            if path == VOLUME_PATH:
                data = partner.volume_page(parse_volume_body(body, today=partner.now().date()))
            else:
                data = partner.list_page(parse_invitee_params(params, now=partner.now()))
        except BadPartnerParameter as exc:
            return json_answer({"code": 1, "msg": str(exc)}, "1")
        return success(data)


def _parse_or_raise(name: str, text: str | None) -> int | None:
    if text is None:
        return None
    moment = parse_time(text)
    if moment is None:
        raise ValueError(f"{name} must be 'yyyy-MM-dd HH:mm:ss', got {text!r}")
    return moment


_DEFAULT_CONFIG: Final = SandboxConfig()


@contextlib.asynccontextmanager
async def run_sandbox(
    config: SandboxConfig = _DEFAULT_CONFIG, *, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[Sandbox]:
    """Serve a sandbox on ``host:port`` (0 = a free port) for the duration of the block.

    Binding anything but loopback needs an explicit ``host``; the default never exposes the
    sandbox (its demo credentials are public).
    """
    sandbox = Sandbox(config)
    # The default quote is generated before serving so the first request isn't slowed by it;
    # in a thread so a big population doesn't stall the caller's event loop.
    sandbox.data.install("usdt", await asyncio.to_thread(sandbox.data.build, "usdt"))
    # A short shutdown_timeout: requests held by a TIMEOUT fault are cancelled at exit
    # instead of delaying it.
    runner = web.AppRunner(
        sandbox.app, access_log=None, handle_signals=False, shutdown_timeout=0.25
    )
    await runner.setup()
    server: asyncio.Server | None = None
    try:
        server = await serve_stamped(runner, sandbox.arrivals, host, port)
        bound_port = server.sockets[0].getsockname()[1]
        url_host = f"[{host}]" if ":" in host else host
        sandbox.base_url = f"http://{url_host}:{bound_port}"
        # By name, so a client's resolver runs (see sandbox._network).
        sandbox.named_url = f"http://localhost:{bound_port}"
        yield sandbox
    finally:
        if server is not None:
            server.close()  # stop listening; the runner closes the open connections
        await runner.cleanup()
