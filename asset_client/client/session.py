"""The sessions a client sends through: its own (`SessionSource`), or one you share with
it, made safe (no unmetered resend by aiohttp).

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

import logging
import weakref
from typing import Any

import aiohttp
from yarl import URL

from asset_client.client.env import checked_proxy
from asset_client.client.settings import is_loopback
from asset_client.client.transport import slot_trace_config
from asset_client.errors import AssetClientError, InvalidParameterError

__all__ = ["SessionSource", "is_session_safe", "make_session_safe", "metered_session"]

logger = logging.getLogger("asset_client")

#: Sessions already warned about (one WARNING per session, however many clients use it).
_WARNED: weakref.WeakSet[aiohttp.ClientSession] = weakref.WeakSet()

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


def warn_if_unsafe(session: aiohttp.ClientSession) -> None:
    """One WARNING per session that would resend by itself (a plain ``ClientSession()``)."""
    if is_session_safe(session) or session in _WARNED:
        return
    _WARNED.add(session)
    logger.warning(
        "the session passed as session= resends a request by itself after a dropped "
        "connection, past the rate limiter (CoinW may count one request too many); "
        "create it with asset_client.metered_session() or pass it through "
        "asset_client.make_session_safe(session) first"
    )


class SessionSource:
    """The session a client sends through: the caller's (never closed here), or its own,
    opened on first use and closed with the client.

    Its own session is metered: it claims each send slot once its connection is in hand
    and never resends on its own (that resend would bypass the limiter).
    """

    __slots__ = ("_closed", "_options", "_owned", "_session")

    def __init__(
        self, session: aiohttp.ClientSession | None, *, base_url: str, proxy: str | None
    ) -> None:
        if proxy is not None and session is not None:
            raise InvalidParameterError(
                "proxy applies to the session the client opens; set it on your session",
                field="proxy",
            )
        # trust_env: HTTP(S)_PROXY and NO_PROXY apply, except to a loopback sandbox.
        self._options: dict[str, Any] = {"trust_env": not is_loopback(URL(base_url).host or "")}
        if proxy is not None:
            self._options["proxy"] = checked_proxy(proxy)  # session-wide (aiohttp >= 3.10)
        self._session = session
        self._owned = session is None
        self._closed = False
        if session is not None:
            warn_if_unsafe(session)

    def get(self) -> aiohttp.ClientSession:
        """The session to send through (opened now if it is the client's own)."""
        if self._closed:
            raise AssetClientError("this AssetClient is closed")
        if self._session is None:
            self._session = metered_session(**self._options)
        return self._session

    def refuse_new(self) -> None:
        """No session from now on (the one open stays open until `close`)."""
        self._closed = True

    async def close(self) -> None:
        """No session from now on; the client's own is closed, the caller's is left open."""
        self._closed = True
        if self._owned and self._session is not None:
            await self._session.close()
            self._session = None
