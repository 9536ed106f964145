"""When a request arrived: stamped as its first bytes reach the server, as the wire sees it.

The window must count a request at the moment it reached the server, not when its handler
got to run: between the two lie everything else the event loop does (other answers being
rendered, a population being built, a client sharing the loop), and the sandbox's own
simulated jitter and latency.  Counting at handler start once compressed requests the wire
showed 212 ms apart into "6 in 1 s".  So a thin protocol in front of aiohttp's stamps each
connection's first bytes of a request (``data_received``, the earliest point a process can
see), and the handler takes that stamp.  The sharp edge: a stall *before* the bytes are read
(the loop blocked while they sit in the kernel) still moves the stamp; only the kernel's own
receive time would not, and asyncio does not expose it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiohttp import web

__all__ = ["ArrivalStamps", "StampingProtocol", "serve_stamped"]


class ArrivalStamps:
    """Per connection: the clock reading at a request's first bytes (pure; clock injected).

    ``seen`` on every chunk received; ``take`` when the request's handler starts; ``done``
    when it has answered.  Bytes that come while a request is being handled belong to it (a
    POST body; clients don't pipeline), so only the first chunk after ``done`` stamps.
    """

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._pending: dict[object, float] = {}
        self._busy: set[object] = set()
        #: Called with each stamp as it is taken from the wire (tests observe it).
        self.on_stamp: Callable[[float], None] | None = None

    def seen(self, connection: object) -> None:
        if connection in self._busy or connection in self._pending:
            return
        stamp = self._clock()
        self._pending[connection] = stamp
        if self.on_stamp is not None:
            self.on_stamp(stamp)

    def take(self, connection: object) -> float:
        """The arrival of the request now handled on ``connection`` (now, if unseen)."""
        self._busy.add(connection)
        stamp = self._pending.pop(connection, None)
        return self._clock() if stamp is None else stamp

    def done(self, connection: object) -> None:
        self._busy.discard(connection)

    def forget(self, connection: object) -> None:
        self._busy.discard(connection)
        self._pending.pop(connection, None)


class StampingProtocol(asyncio.Protocol):
    """aiohttp's request handler protocol, with ``data_received`` stamped first."""

    def __init__(self, inner: asyncio.Protocol, stamps: ArrivalStamps) -> None:
        self._inner = inner
        self._stamps = stamps
        self._transport: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport
        self._inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        self._stamps.seen(self._transport)
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stamps.forget(self._transport)
        self._inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()


async def serve_stamped(
    runner: web.AppRunner, stamps: ArrivalStamps, host: str, port: int
) -> asyncio.Server:
    """Listen on ``host:port`` with the runner's request handler behind a stamping protocol
    (``runner.server`` is aiohttp's public protocol factory); the caller closes it."""
    handler_factory = runner.server
    assert handler_factory is not None
    loop = asyncio.get_running_loop()
    return await loop.create_server(lambda: StampingProtocol(handler_factory(), stamps), host, port)
