"""The sandbox server: a local, strict stand-in for CoinW's partner (affiliate) API.

It serves ``GET /api/v3/patener/openapi/v1/partner/invitation/user/assets`` on loopback (and
the invitee list and trading volume beside it, from the same people: see ``_partner``) with
CoinW's futures-style signing (``api_key``/``timestamp``/``sign`` headers, HMAC-SHA256 over the
*decoded* query in the order sent), a strict sliding-window limit per (client IP, api key) that
counts every arrival, the documented parameters and envelope, and seeded fault injection.

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
import hmac
import json
import re
import time
import weakref
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Final
from urllib.parse import unquote_plus

import attrs
from aiohttp import web

from asset_client.core.signing import ASSETS_PATH, INVITEES_PATH, VOLUME_PATH, sign, sign_body
from asset_client.sandbox._data import QUOTES, Population, SandboxData, parse_time
from asset_client.sandbox._faults import Fault, FaultConfig, FaultPlan
from asset_client.sandbox._partner import (
    BadPartnerParameter,
    PartnerData,
    parse_invitee_params,
    parse_volume_body,
)
from asset_client.sandbox._window import SlidingWindow, max_in_window

__all__ = [
    "DEMO_API_KEY",
    "DEMO_SECRET_KEY",
    "AssetQuery",
    "InvalidParameter",
    "RequestRecord",
    "Sandbox",
    "SandboxConfig",
    "SandboxStats",
    "parse_params",
    "run_sandbox",
    "split_query",
]

# Fixed, public demo credentials: they protect nothing and are meant to be printed.
DEMO_API_KEY: Final = "demo-api-key"
DEMO_SECRET_KEY: Final = "demo-secret-key"  # noqa: S105

_INT_RE: Final = re.compile(r"[0-9]{1,19}")
_JAVA_INT_MAX: Final = 2**31 - 1  # pageNo/pageSize are documented as Integer
_JAVA_LONG_MAX: Final = 2**63 - 1  # uid is documented as Long
_KNOWN_PARAMS: Final = frozenset({"uid", "startTime", "endTime", "quote", "pageNo", "pageSize"})
_JSON_TYPE: Final = "application/json"
_HTML_ERROR: Final = (
    "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n"
    "<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n"
    "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


def _frozen_keys(value: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(value))


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def _positive(_inst: object, attribute: attrs.Attribute[float], value: float) -> None:
    if value <= 0:
        raise ValueError(f"{attribute.name} must be > 0")


@attrs.frozen(kw_only=True)
class SandboxConfig:
    """How the sandbox behaves; every default models the documented server."""

    invitees: int = attrs.field(default=3000, validator=attrs.validators.ge(0))
    seed: int = 1
    # Simulated days after the seeded data: deposits, withdrawals, joins and leaves.
    days: int = attrs.field(default=0, validator=attrs.validators.ge(0))
    api_key: str = DEMO_API_KEY
    secret_key: str = DEMO_SECRET_KEY
    # api_key -> secret: keys that authenticate but lack the Affiliate permission (6003).
    non_affiliate_keys: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen_keys)
    max_page_size: int = attrs.field(default=1000, validator=attrs.validators.ge(1))
    # Set -> pageSize is silently capped to this (the docs' other possible behaviour).
    clamp_page_size: int | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.ge(1))
    )
    default_page_size: int = attrs.field(default=20, validator=attrs.validators.ge(1))
    rate_limit: int = attrs.field(default=5, validator=attrs.validators.ge(1))
    window: float = attrs.field(default=1.0, validator=_positive)
    rate_limit_status: int = attrs.field(default=200, validator=attrs.validators.in_((200, 429)))
    retry_after: float | None = 1.0
    timestamp_tolerance: float = attrs.field(default=30.0, validator=_positive)
    faults: FaultConfig = attrs.field(factory=FaultConfig)
    clock: Callable[[], float] = time.monotonic  # drives the window
    wall_clock: Callable[[], float] = time.time  # drives timestamp freshness
    # Server-local "now" (naive) of the invitee list and volume endpoints: their default
    # windows (current month, past 30 days) and where synthetic registrations/volumes end.
    partner_now: Callable[[], datetime] = _utc_now


@attrs.frozen(kw_only=True)
class RequestRecord:
    """One request as the sandbox saw it.  Never holds the signature or a secret."""

    time: float  # config.clock() at arrival
    api_key: str | None  # header as received (an api key identifies, it does not authenticate)
    params: tuple[tuple[str, str], ...]  # decoded, in the order received
    status: int  # HTTP status sent; 0 for a connection reset or while still in flight
    code: str | None  # body "code" as a string; None without a (valid) JSON body
    fault: Fault | None
    rate_limited: bool  # rejected by the window (not by an injected fault)
    path: str = ASSETS_PATH  # which endpoint; a volume POST's params are its JSON body's


@attrs.define
class SandboxStats:
    """Mutable counters the tests read."""

    window: float
    requests: list[RequestRecord] = attrs.field(factory=list)
    accepted: int = 0  # answered code "0" with data (complete, un-faulted)
    connections: int = 0  # client connections that carried at least one request
    rejected: int = 0  # rejected by the sliding window

    def max_in_window(self, api_key: str | None = None, path: str | None = None) -> int:
        """Most arrivals for ``api_key`` (None: all keys) at ``path`` (None: every endpoint)
        in any window of ``window`` seconds."""
        times = [
            r.time
            for r in self.requests
            if (api_key is None or r.api_key == api_key) and (path is None or r.path == path)
        ]
        return max_in_window(times, self.window)


class InvalidParameter(ValueError):
    """A query parameter the server rejects with code 1."""

    def __init__(self, name: str, value: str) -> None:
        super().__init__(f"invalid parameter: {name}={value}")
        self.name = name
        self.value = value


@attrs.frozen(kw_only=True)
class AssetQuery:
    """Validated parameters; ``page_size`` is the effective (possibly clamped) size."""

    page_no: int = 1
    page_size: int = 20
    quote: str = "usdt"
    uid: int | None = None
    start: int | None = None  # seconds since the data origin
    end: int | None = None

    @property
    def offset(self) -> int:
        return (self.page_no - 1) * self.page_size


def split_query(raw_query: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Raw query string -> (decoded query as CoinW signs it, decoded params in order).

    Each name and value is percent-decoded ('+' read as a space, as form encoding does) and
    re-joined as ``k=v&k=v`` in the order received; the server has no other way to rebuild
    what the client signed.
    """
    if not raw_query:
        return "", ()
    decoded: list[str] = []
    params: list[tuple[str, str]] = []
    for part in raw_query.split("&"):
        name, sep, value = part.partition("=")
        name, value = unquote_plus(name), unquote_plus(value)
        decoded.append(f"{name}{sep}{value}")
        if name:
            params.append((name, value))
    return "&".join(decoded), tuple(params)


def _integer(name: str, value: str, lo: int, hi: int) -> int:
    if not _INT_RE.fullmatch(value) or not lo <= int(value) <= hi:
        raise InvalidParameter(name, value)
    return int(value)


def parse_params(
    params: Sequence[tuple[str, str]],
    *,
    max_page_size: int = 1000,
    clamp_page_size: int | None = None,
    default_page_size: int = 20,
) -> AssetQuery:
    """Validate decoded params like the server does; raise InvalidParameter on the first bad one.

    Unknown names are ignored; a known name given twice is rejected (which value would win is
    undocumented, so a client must never rely on it).
    """
    seen: dict[str, str] = {}
    for name, value in params:
        if name not in _KNOWN_PARAMS:
            continue
        if name in seen:
            raise InvalidParameter(name, value)
        seen[name] = value

    page_no = 1
    page_size = default_page_size
    quote = "usdt"
    uid: int | None = None
    start: int | None = None
    end: int | None = None
    for name, value in seen.items():
        if name == "pageNo":
            page_no = _integer(name, value, 1, _JAVA_INT_MAX)
        elif name == "pageSize":
            ceiling = _JAVA_INT_MAX if clamp_page_size is not None else max_page_size
            page_size = _integer(name, value, 1, ceiling)
        elif name == "quote":
            if value not in QUOTES:
                raise InvalidParameter(name, value)
            quote = value
        elif name == "uid":
            uid = _integer(name, value, 1, _JAVA_LONG_MAX)
        else:  # startTime / endTime
            moment = parse_time(value)
            if moment is None:
                raise InvalidParameter(name, value)
            if name == "startTime":
                start = moment
            else:
                end = moment
    if start is not None and end is not None and start > end:
        raise InvalidParameter("startTime", seen["startTime"])
    if clamp_page_size is not None:
        page_size = min(page_size, clamp_page_size)
    return AssetQuery(
        page_no=page_no, page_size=page_size, quote=quote, uid=uid, start=start, end=end
    )


def _json(body: Mapping[str, object], status: int = 200) -> tuple[int, bytes]:
    return status, json.dumps(body, separators=(",", ":")).encode()


def _format_seconds(value: float) -> str:
    # Whole seconds as HTTP wants them; fractions kept so tests can use short windows.
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


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

    # -- request handling ------------------------------------------------------------------

    async def _wrong_url(self, request: web.Request) -> web.Response:
        # CoinW answers unknown paths with this body rather than a plain 404.  They count
        # against the limit and show in the stats too: a client bug that storms a wrong
        # path must not hide from the tests.
        api_key = request.headers.get("api_key")
        allowed = self._window.hit((request.remote or "", api_key), self.config.clock())
        headers: dict[str, str] = {}
        if allowed:
            status, body = _json({"code": 500, "msg": "Internal server error"})
            code = "500"
        else:
            self.stats.rejected += 1
            status, body, headers = self._too_frequent()
            code = "29001"
        _, _, raw_query = request.raw_path.partition("?")
        self.stats.requests.append(
            RequestRecord(
                time=self.config.clock(),
                api_key=api_key,
                params=split_query(raw_query)[1],
                status=status,
                code=code,
                fault=None,
                rate_limited=not allowed,
            )
        )
        self._notify(self.stats.requests[-1])
        return web.Response(status=status, body=body, headers=headers, content_type=_JSON_TYPE)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        config = self.config
        if request.transport is not None and request.transport not in self._transports:
            self._transports.add(request.transport)
            self.stats.connections += 1
        if (jitter := self._plan.arrival_delay()) > 0:
            await asyncio.sleep(jitter)  # one-way jitter: the window counts it this late
        arrived = config.clock()
        api_key = request.headers.get("api_key")
        path = request.path
        _, _, raw_query = request.raw_path.partition("?")
        decoded_query, params = split_query(raw_query)
        # Everything up to the first await runs in arrival order, so ordinals, the window and
        # the fault streams stay deterministic under concurrency.
        index = len(self.stats.requests)
        # Each endpoint has its own 5/s per (IP, key); the assets key keeps its old shape.
        window_key: tuple[str | None, ...] = (request.remote or "", api_key)
        if path != ASSETS_PATH:
            window_key = (*window_key, path)
        allowed = self._window.hit(window_key, arrived)
        plan = self._plan
        fault = plan.decide(index + 1)
        record = RequestRecord(
            time=arrived,
            api_key=api_key,
            params=params,
            status=0,
            code=None,
            fault=fault,
            rate_limited=False,
            path=path,
        )
        self.stats.requests.append(record)  # provisional until answered
        body_bytes = b""
        if request.method == "POST":
            body_bytes = await request.read()
            record = attrs.evolve(record, params=_body_params(body_bytes))
            self.stats.requests[index] = record

        delay = plan.delay() + (plan.config.timeout_delay if fault is Fault.TIMEOUT else 0.0)
        if delay > 0:
            await asyncio.sleep(delay)

        headers: dict[str, str] = {}
        content_type: str | None = _JSON_TYPE
        code: str | None
        if fault is Fault.CONNECTION_RESET:
            self.stats.requests[index] = record
            self._notify(record)
            if request.transport is not None:
                request.transport.close()
            # Writing to the closed transport fails with ConnectionError, which aiohttp
            # swallows quietly; the client sees the server disconnect.
            return web.Response()
        if fault is Fault.SERVER_ERROR_HTML:
            status, body, code = 503, _HTML_ERROR.encode(), None
            content_type = "text/html"
        elif fault is Fault.EMPTY_BODY:
            status, body, code, content_type = 200, b"", None, None
        elif fault is Fault.CODE_500:
            status, body = _json({"code": 500, "msg": "Internal server error"})
            code = "500"
        elif fault is Fault.RATE_LIMITED:
            status, body, headers = self._too_frequent()
            code = "29001"
        elif not allowed:
            self.stats.rejected += 1
            status, body, headers = self._too_frequent()
            code = "29001"
            record = attrs.evolve(record, rate_limited=True)
        else:
            if path == ASSETS_PATH:
                status, body, code = await self._answer(request, api_key, decoded_query, params)
            else:
                status, body, code = self._answer_partner(
                    request, api_key, path, decoded_query, params, body_bytes
                )
            if fault is Fault.TRUNCATED_JSON:
                body, code = body[: len(body) // 2], None
            elif code == "0":
                self._accept()

        self.stats.requests[index] = attrs.evolve(record, status=status, code=code)
        self._notify(self.stats.requests[index])
        response = web.Response(status=status, body=body, headers=headers)
        if content_type is not None:
            response.content_type = content_type
        return response

    def _notify(self, record: RequestRecord) -> None:
        if self.on_request is not None:
            self.on_request(record)

    def _too_frequent(self) -> tuple[int, bytes, dict[str, str]]:
        config = self.config
        status, body = _json({"code": 29001, "msg": "API access frequently"})
        headers: dict[str, str] = {}
        if config.rate_limit_status == 429:
            status = 429
            if config.retry_after is not None:
                headers["Retry-After"] = _format_seconds(config.retry_after)
        return status, body, headers

    def _accept(self) -> None:
        self.stats.accepted += 1
        plan = self._plan
        config = plan.config
        if plan.should_grow(self.stats.accepted):
            self.data.grow(config.grow_by, anywhere=config.grow_at == "anywhere")
        if plan.should_shrink(self.stats.accepted):
            self.data.shrink(config.shrink_by, anywhere=config.shrink_at == "anywhere")

    async def _answer(
        self,
        request: web.Request,
        api_key: str | None,
        decoded_query: str,
        params: Sequence[tuple[str, str]],
    ) -> tuple[int, bytes, str]:
        """Authenticate, validate and page: (status, body, code)."""
        denied = self._authenticate(
            request, api_key, lambda secret, ts: sign(secret, ts, "GET", ASSETS_PATH, decoded_query)
        )
        if denied is not None:
            status, body = _json(denied)
            return status, body, str(denied["code"])
        config = self.config
        try:
            query = parse_params(
                params,
                max_page_size=config.max_page_size,
                clamp_page_size=config.clamp_page_size,
                default_page_size=config.default_page_size,
            )
        except InvalidParameter as exc:
            status, body = _json({"code": 1, "msg": str(exc)})
            return status, body, "1"
        population = await self._population(query.quote)
        total, records = population.page(
            query.offset, query.page_size, uid=query.uid, start=query.start, end=query.end
        )
        status, body = _json(
            {"code": "0", "msg": "success", "data": {"total": total, "list": records}}
        )
        return status, body, "0"

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

    def _answer_partner(
        self,
        request: web.Request,
        api_key: str | None,
        path: str,
        decoded_query: str,
        params: Sequence[tuple[str, str]],
        body: bytes,
    ) -> tuple[int, bytes, str]:
        """The invitee list (GET) or the volume (POST, signed over the body's exact bytes)."""

        def expected(secret: str, ts: str) -> str:
            if path == VOLUME_PATH:
                return sign_body(secret, ts, VOLUME_PATH, body)
            return sign(secret, ts, "GET", path, decoded_query)

        denied = self._authenticate(request, api_key, expected)
        if denied is not None:
            status, answer = _json(denied)
            return status, answer, str(denied["code"])
        partner = self.partner
        try:
            if path == VOLUME_PATH:
                data = partner.volume_page(parse_volume_body(body, today=partner.now().date()))
            else:
                data = partner.list_page(parse_invitee_params(params, now=partner.now()))
        except BadPartnerParameter as exc:
            status, answer = _json({"code": 1, "msg": str(exc)})
            return status, answer, "1"
        status, answer = _json({"code": "0", "msg": "success", "data": data})
        return status, answer, "0"

    def _authenticate(
        self,
        request: web.Request,
        api_key: str | None,
        expected_sign: Callable[[str, str], str],
    ) -> dict[str, object] | None:
        """None if the request is signed by a key with the Affiliate permission."""
        invalid: dict[str, object] = {"code": 6001, "msg": "invalid signature"}
        timestamp = request.headers.get("timestamp")
        signature = request.headers.get("sign")
        if not api_key or not timestamp or not signature:
            return invalid
        secret = self._secrets.get(api_key)
        if secret is None:
            return {"code": 6000, "msg": "api key not found"}
        if not (len(timestamp) == 13 and timestamp.isascii() and timestamp.isdigit()):
            return invalid
        skew = abs(self.config.wall_clock() - int(timestamp) / 1000)
        if skew > self.config.timestamp_tolerance:
            return invalid
        expected = expected_sign(secret, timestamp)
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            return invalid
        if api_key in self.config.non_affiliate_keys:
            return {
                "code": 6003,
                "message": "Your account is not recognized as an affiliate account.",
                "retry": False,
                "success": False,
            }
        return None


def _body_params(body: bytes) -> tuple[tuple[str, str], ...]:
    """A POST body's top-level fields as (name, value) strings, for the request log."""
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return ()
    if not isinstance(payload, dict):
        return ()
    return tuple((str(name), str(value)) for name, value in payload.items())


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
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_port = runner.addresses[0][1]
        url_host = f"[{host}]" if ":" in host else host
        sandbox.base_url = f"http://{url_host}:{bound_port}"
        # By name, so a client's resolver runs (see sandbox._network).
        sandbox.named_url = f"http://localhost:{bound_port}"
        yield sandbox
    finally:
        await runner.cleanup()
