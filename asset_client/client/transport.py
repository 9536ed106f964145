"""The whole aiohttp adapter: one request, its body read within bounds, response released.

The sharp edges are the bounds.  The body is read in chunks and decompressed here
(aiohttp's own decompression is switched off for these requests), counting the
decompressed bytes as they come, so an oversized answer or a gzip bomb stops at
``max_body_size`` without ever holding more.  Each attempt has a total time limit
(``timeout``) and all attempts at one page share a budget (``page_timeout``), so a
server that drips its answer byte by byte fails in bounded time, retries included.
A POST body is sent as the exact bytes given (they are what was signed): nothing here
may serialise, re-encode or reorder it.

The rate-limit slot is claimed from aiohttp's connection signals, once the connection
is in hand and just before the request is written (`slot_trace_config`).  A session the
caller opened lacks those signals unless it was created with
``trace_configs=[asset_client.slot_trace_config()]``; the client then claims before
asking aiohttp for a connection, and a connection that takes long to open may make that
request arrive late (see docs/limits.md).
"""

from __future__ import annotations

import math
import time
import zlib
from collections.abc import Awaitable, Mapping
from types import SimpleNamespace
from typing import Protocol

import aiohttp
from attrs import field, frozen
from yarl import URL

from asset_client.client.advice import connection_advice
from asset_client.core.redact import redact
from asset_client.errors import (
    InvalidParameterError,
    ResponseDecodeError,
    ResponseTooLargeError,
    TransportError,
)

__all__ = [
    "DEFAULT_MAX_BODY_SIZE",
    "DEFAULT_PAGE_TIMEOUT",
    "DEFAULT_TIMEOUT",
    "Answer",
    "AnswerLimits",
    "PageBudget",
    "claims_on_connection",
    "http_request",
    "slot_trace_config",
]

Answer = tuple[int, Mapping[str, str], bytes]

#: A page of 1000 records is about 250 KB: 16 MiB is 60 times that.
DEFAULT_MAX_BODY_SIZE = 16 * 1024 * 1024
DEFAULT_TIMEOUT = 30.0
DEFAULT_PAGE_TIMEOUT = 60.0
#: Generous upper bounds, only there so a typo (or ``inf``) is caught at once.
MAX_TIMEOUT = 3600.0
MAX_BODY_SIZE_LIMIT = 1024 * 1024 * 1024
_CHUNK = 64 * 1024
#: The encodings this module decodes itself, and so the only ones asked for.
ACCEPT_ENCODING = "gzip, deflate"


def _seconds(value: object, name: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not 0 < value <= MAX_TIMEOUT
    ):
        raise InvalidParameterError(
            f"{name} must be a number of seconds above 0 and at most {MAX_TIMEOUT:g}, "
            f"got {value!r}",
            field=name,
        )
    return float(value)


def _timeout(value: object) -> float:
    return _seconds(value, "timeout")


def _page_timeout(value: object) -> float:
    return _seconds(value, "page_timeout")


def _body_size(value: object) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not 1 <= value <= MAX_BODY_SIZE_LIMIT
    ):
        raise InvalidParameterError(
            f"max_body_size must be an integer number of bytes from 1 to {MAX_BODY_SIZE_LIMIT}, "
            f"got {value!r}",
            field="max_body_size",
        )
    return value


@frozen(kw_only=True)
class AnswerLimits:
    """How long and how big one answer may be (validated: each names itself when wrong)."""

    timeout: float = field(default=DEFAULT_TIMEOUT, converter=_timeout)
    page_timeout: float = field(default=DEFAULT_PAGE_TIMEOUT, converter=_page_timeout)
    max_body_size: int = field(default=DEFAULT_MAX_BODY_SIZE, converter=_body_size)

    def budget(self) -> PageBudget:
        """A fresh budget for the attempts at one page."""
        return PageBudget(self)


class PageBudget:
    """The time the attempts at one page have spent waiting for answers.

    Waits for the limiter and backoff sleeps are not charged: only time with a
    request on the wire.
    """

    __slots__ = ("limits", "spent")

    def __init__(self, limits: AnswerLimits) -> None:
        self.limits = limits
        self.spent = 0.0

    @property
    def remaining(self) -> float:
        return self.limits.page_timeout - self.spent


class SlotClaim(Protocol):
    """What the connection signals call: claim the send slot now."""

    def commit(self) -> Awaitable[None]: ...


async def _connection_in_hand(
    session: aiohttp.ClientSession, context: SimpleNamespace, params: object
) -> None:
    claim = getattr(context, "trace_request_ctx", None)
    if claim is not None and hasattr(claim, "commit"):
        await claim.commit()


_TRACE = aiohttp.TraceConfig()
_TRACE.on_connection_create_end.append(_connection_in_hand)
_TRACE.on_connection_reuseconn.append(_connection_in_hand)


def slot_trace_config() -> aiohttp.TraceConfig:
    """Add to a session you share with `AssetClient` so it claims each send slot once the
    connection is in hand (this also meters aiohttp's own resend on a dropped connection)."""
    return _TRACE


def claims_on_connection(session: aiohttp.ClientSession) -> bool:
    """Whether ``session`` calls back when a connection is in hand."""
    return _TRACE in getattr(session, "trace_configs", ())


async def http_request(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    budget: PageBudget,
    claim: SlotClaim | None = None,
) -> Answer:
    """Send ``method`` to ``url`` exactly as given, with ``body`` as its exact bytes;
    the answer's body is read within ``budget``'s limits.  ``claim`` is committed by the
    session's connection signals once the connection is in hand (`slot_trace_config`)."""
    limits = budget.limits
    remaining = budget.remaining
    if remaining <= 0:
        raise _budget_spent(limits)
    attempt_timeout = min(limits.timeout, remaining)
    sent = {**headers, "Accept-Encoding": ACCEPT_ENCODING}
    if body is not None:
        sent["Content-Type"] = "application/json"
    started = time.monotonic()
    try:
        async with session.request(
            method,
            URL(url, encoded=True),
            data=body,
            headers=sent,
            timeout=aiohttp.ClientTimeout(total=attempt_timeout),
            allow_redirects=False,
            raise_for_status=False,
            auto_decompress=False,
            trace_request_ctx=claim,
        ) as response:
            answer = await _read_body(response, limits.max_body_size, tuple(headers.values()))
            return response.status, response.headers, answer
    except TimeoutError as exc:
        if attempt_timeout < limits.timeout:
            raise _budget_spent(limits) from exc
        advice = connection_advice(exc, url)
        raise TransportError(f"no complete answer within {attempt_timeout:g} s; {advice}") from exc
    except aiohttp.ClientError as exc:
        # Only the class name and aiohttp's text, redacted: no request header gets out.
        advice = connection_advice(exc, url)
        text = redact(f"{type(exc).__name__}: {exc}", headers.values())
        raise TransportError(f"{text}; {advice}") from None
    finally:
        budget.spent += time.monotonic() - started


def _budget_spent(limits: AnswerLimits) -> TransportError:
    return TransportError(
        f"no complete answer within page_timeout={limits.page_timeout:g} s "
        f"(all attempts at this page together); the server answers too slowly",
        retryable=False,
    )


async def _read_body(
    response: aiohttp.ClientResponse, limit: int, secrets: tuple[str, ...] = ()
) -> bytes:
    status = response.status
    length = response.content_length
    if length is not None and length > limit:
        raise _too_large(limit, status, f"Content-Length {length}")
    encoding = response.headers.get("Content-Encoding", "")
    inflater = _Inflater.for_encoding(encoding, status, secrets)
    body = bytearray()
    wire = 0
    async for chunk in response.content.iter_chunked(_CHUNK):
        wire += len(chunk)
        if wire > limit:
            raise _too_large(limit, status, "the body on the wire")
        if inflater is None:
            body += chunk
        else:
            # Never more than one byte past the limit: enough to know it was passed.
            body += inflater.feed(chunk, limit - len(body) + 1)
        if len(body) > limit:
            raise _too_large(limit, status, "the decompressed body")
    if inflater is not None:
        inflater.finish()
    return bytes(body)


def _too_large(limit: int, status: int, what: str) -> ResponseTooLargeError:
    return ResponseTooLargeError(
        f"HTTP {status}: {what} exceeds max_body_size={limit} bytes "
        f"(a page of 1000 records is about 250 KB); not read further, not retried",
        limit=limit,
        status=status,
    )


class _Inflater:
    """gzip or deflate, decompressed with a cap on each step's output."""

    __slots__ = ("_encoding", "_gzip", "_obj", "_status")

    def __init__(self, encoding: str, status: int) -> None:
        self._encoding = encoding
        self._gzip = encoding in ("gzip", "x-gzip")
        self._status = status
        self._obj: zlib._Decompress | None = None

    @classmethod
    def for_encoding(
        cls, header: str, status: int, secrets: tuple[str, ...] = ()
    ) -> _Inflater | None:
        encoding = header.strip().lower()
        if encoding in ("", "identity"):
            return None
        if encoding in ("gzip", "x-gzip", "deflate"):
            return cls(encoding, status)
        header = redact(header, secrets)  # before the cut: an echo may hold the sign header
        raise ResponseDecodeError(
            f"HTTP {status}: the body is in Content-Encoding {header[:40]!r}, "
            f"which was not asked for (Accept-Encoding: {ACCEPT_ENCODING})",
            status=status,
            field="Content-Encoding",
            value=header[:40],
        )

    def _new(self, first: bytes) -> zlib._Decompress:
        if self._gzip:
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        # "deflate" is meant to be zlib-wrapped, but some servers send raw deflate.
        wrapped = bool(first) and first[0] & 0x0F == 8
        return zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)

    def feed(self, data: bytes, room: int) -> bytes:
        """Decompress ``data``, returning at most ``room`` bytes (``room`` bytes means
        there was more: the caller's limit is passed)."""
        out = bytearray()
        try:
            while data and len(out) < room:
                if self._obj is None:
                    self._obj = self._new(data)
                elif self._obj.eof:
                    if not self._gzip:
                        break  # a deflate stream has one member; trailing bytes are ignored
                    self._obj = self._new(data)  # the next member of a multi-member gzip
                obj = self._obj
                out += obj.decompress(data, room - len(out))
                if obj.unconsumed_tail:
                    data = obj.unconsumed_tail  # output capped: the loop ends, limit passed
                elif obj.eof:
                    data = obj.unused_data
                else:
                    data = b""
        except zlib.error as exc:
            raise self._corrupt(str(exc)) from None
        return bytes(out)

    def finish(self) -> None:
        if self._obj is not None and not self._obj.eof:
            raise self._corrupt("the compressed stream ends early")

    def _corrupt(self, why: str) -> ResponseDecodeError:
        # A gateway accident as likely as a broken server: asking again may help.
        return ResponseDecodeError(
            f"HTTP {self._status}: the {self._encoding} body cannot be decompressed ({why})",
            status=self._status,
            retryable=True,
        )
