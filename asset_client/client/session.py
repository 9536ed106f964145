"""Sessions safe to share with `AssetClient`: no unmetered resend by aiohttp.

Sharp edge: when a server drops a kept-alive connection, aiohttp resends an idempotent
request (a GET) once by itself, on a new connection.  That resend bypasses the rate
limiter: CoinW sees one more request than the limiter allowed, and a client that keeps
tripping the limit can get its key banned.  A session the client opens never does it;
a session you pass in does, unless it comes from `metered_session` or went through
`make_session_safe`.  Either switches the resend off for *every* request of that
session (your other calls then see the dropped connection as an error, as with any
HTTP client without silent retries).  A session from `metered_session` also claims each
send slot once its connection is in hand; one made safe afterwards claims before asking
for a connection, unless it was built with ``trace_configs=[slot_trace_config()]``.
"""

from __future__ import annotations

from typing import Any

import aiohttp

from asset_client.client.transport import slot_trace_config
from asset_client.errors import InvalidParameterError

__all__ = ["is_session_safe", "make_session_safe", "metered_session"]

# aiohttp keeps the switch in a private attribute (aiohttp >= 3.9.4); older versions
# did not resend on a new connection, so they are safe as they are.
_RESEND = "_retry_connection"


def make_session_safe(session: aiohttp.ClientSession) -> aiohttp.ClientSession:
    """Switch off ``session``'s silent resend after a dropped connection; return it.

    Then a dropped connection reaches the `AssetClient`, which retries through its
    limiter.  Call it once, before sharing the session; it is idempotent.
    """
    if not isinstance(session, aiohttp.ClientSession):
        raise InvalidParameterError(
            f"session must be an aiohttp.ClientSession, got {session!r}", field="session"
        )
    if hasattr(session, _RESEND):
        setattr(session, _RESEND, False)
    return session


def is_session_safe(session: aiohttp.ClientSession) -> bool:
    """True unless ``session`` would resend a request by itself after a dropped connection."""
    return getattr(session, _RESEND, False) is False


def metered_session(**options: Any) -> aiohttp.ClientSession:
    """``aiohttp.ClientSession(**options)`` with the silent resend switched off, that
    claims each send slot once its connection is in hand (`slot_trace_config` is added to
    any ``trace_configs`` you give).  The client's own session is one of these.

    ::

        async with asset_client.metered_session() as session:
            client = AssetClient(api_key, secret_key, session=session)
    """
    traces = list(options.pop("trace_configs", None) or ())
    if slot_trace_config() not in traces:
        traces.append(slot_trace_config())
    return make_session_safe(aiohttp.ClientSession(trace_configs=traces, **options))
