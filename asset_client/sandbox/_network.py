"""The network between a client and the sandbox: connection set-up that takes time.

On loopback a connection opens at once; on the internet TCP and TLS cost one to three
round trips before the first request can be written.  `setup_delay_session` gives an
aiohttp session whose every *new* connection takes ``setup_delay`` seconds to open
(a resolver that answers late, with the DNS cache off), while a reused connection costs
nothing — as on the real network.  Use it with ``sandbox.named_url`` (a host name, so
the resolver runs) and, for one-way jitter at the server, ``FaultConfig(one_way_jitter=)``.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Sequence
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

__all__ = ["SetupDelayResolver", "setup_delay_session"]


class SetupDelayResolver(AbstractResolver):
    """Resolves every name to 127.0.0.1, ``delay`` seconds late."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.resolved = 0  #: new connections opened

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.resolved += 1
        if self.delay > 0:
            await asyncio.sleep(self.delay)
        return [
            {
                "hostname": host,
                "host": "127.0.0.1",
                "port": port,
                "family": socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
        ]

    async def close(self) -> None:
        return None


def setup_delay_session(
    setup_delay: float | SetupDelayResolver,
    *,
    trace_configs: Sequence[aiohttp.TraceConfig] = (),
    **kwargs: Any,
) -> aiohttp.ClientSession:
    """A session whose new connections take ``setup_delay`` seconds to open (pass a
    `SetupDelayResolver` to read how many it opened)."""
    resolver = (
        setup_delay
        if isinstance(setup_delay, SetupDelayResolver)
        else SetupDelayResolver(setup_delay)
    )
    connector = aiohttp.TCPConnector(resolver=resolver, use_dns_cache=False)
    return aiohttp.ClientSession(connector=connector, trace_configs=list(trace_configs), **kwargs)
