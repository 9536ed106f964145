"""The whole aiohttp adapter: one GET, answer read in full, response released.

Sharp edge: the rate-limit slot is claimed from aiohttp's connection signals, once the
connection is in hand and just before the request is written (`slot_trace_config`).
A session the caller opened lacks those signals unless it was created with
``trace_configs=[asset_client.slot_trace_config()]``; the client then claims before
asking aiohttp for a connection, and a connection that takes long to open may make
that request arrive late (see the README).
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from types import SimpleNamespace
from typing import Protocol

import aiohttp
from yarl import URL

from ._errors import TransportError

__all__ = ["Answer", "claims_on_connection", "http_get", "open_session", "slot_trace_config"]

Answer = tuple[int, Mapping[str, str], bytes]


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


def open_session() -> aiohttp.ClientSession:
    """A session of the client's own: slot claimed on connection, no unmetered resend."""
    session = aiohttp.ClientSession(trace_configs=[_TRACE])
    # aiohttp resends a GET once by itself when the server drops the connection; the
    # client retries on its own, metered terms instead.
    if hasattr(session, "_retry_connection"):
        session._retry_connection = False
    return session


async def http_get(
    session: aiohttp.ClientSession,
    url: str,
    headers: Mapping[str, str],
    client_timeout: aiohttp.ClientTimeout,
    claim: SlotClaim | None = None,
) -> Answer:
    """GET ``url`` exactly as given (already encoded: aiohttp must not re-encode it)."""
    try:
        async with session.get(
            URL(url, encoded=True),
            headers=headers,
            timeout=client_timeout,
            allow_redirects=False,
            raise_for_status=False,
            trace_request_ctx=claim,
        ) as response:
            body = await response.read()
            return response.status, response.headers, body
    except TimeoutError as exc:
        raise TransportError(f"no answer within {client_timeout.total} s") from exc
    except aiohttp.ClientError as exc:
        # Only the class name and aiohttp's text: request headers (the signature) stay out.
        raise TransportError(f"{type(exc).__name__}: {exc}") from None
