"""One way for every command to reach the partner API: a client of the server, or of an
embedded sandbox with its demo credentials (``--sandbox``).

Sharp edge: the sandbox's server code is imported only when asked for, so a real run
never loads it; with ``--sandbox`` the proxy settings are ignored (it listens on loopback).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import tzinfo
from typing import Protocol

from attrs import field, frozen

from asset_client.client.client import AssetClient
from asset_client.core.retry import RetryPolicy
from asset_client.export.errors import ExportError
from asset_client.limit.limiter import RateLimit

__all__ = ["Connection", "ConnectionSettings", "Credentials", "open_client"]


@frozen(kw_only=True)
class Credentials:
    # repr=False: an accidental print or traceback of the object shows no key.
    api_key: str = field(repr=False)
    secret_key: str = field(repr=False)


class ConnectionSettings(Protocol):
    """What a command needs to reach the server (an export's or a report's settings)."""

    @property
    def sandbox(self) -> bool: ...
    @property
    def base_url(self) -> str: ...
    @property
    def rate(self) -> RateLimit | None: ...
    @property
    def max_retries(self) -> int | None: ...
    @property
    def server_timezone(self) -> tzinfo: ...
    @property
    def proxy(self) -> str | None: ...
    @property
    def limiter(self) -> str | None: ...


@frozen(kw_only=True)
class Connection:
    """`ConnectionSettings` on their own, for commands whose settings are not an export's."""

    base_url: str
    sandbox: bool = False
    rate: RateLimit | None
    max_retries: int | None
    server_timezone: tzinfo
    proxy: str | None
    limiter: str | None


@asynccontextmanager
async def open_client(
    settings: ConnectionSettings, credentials: Credentials | None
) -> AsyncIterator[tuple[AssetClient, Credentials]]:
    """A client of the given server, or of an embedded sandbox with its demo credentials
    (``--sandbox``), and the credentials it uses."""
    if not settings.sandbox:
        if credentials is None:
            raise ExportError("no credentials")
        base_url, creds = settings.base_url, credentials
        async with _client(settings, base_url, creds) as client:
            yield client, creds
        return
    from asset_client.sandbox import DEMO_API_KEY, DEMO_SECRET_KEY, SandboxConfig, run_sandbox

    config = SandboxConfig()
    if settings.rate is not None:
        config = SandboxConfig(rate_limit=settings.rate.requests, window=settings.rate.period)
    async with run_sandbox(config) as server:
        creds = Credentials(api_key=DEMO_API_KEY, secret_key=DEMO_SECRET_KEY)
        async with _client(settings, server.base_url, creds) as client:
            yield client, creds


def _client(settings: ConnectionSettings, base_url: str, creds: Credentials) -> AssetClient:
    retry_policy = RetryPolicy()
    if settings.max_retries is not None:
        retry_policy = RetryPolicy(max_retries=settings.max_retries)
    return AssetClient(
        creds.api_key,
        creds.secret_key,
        base_url=base_url,
        rate_limit=settings.rate,
        retry_policy=retry_policy,
        limiter=settings.limiter,
        server_timezone=settings.server_timezone,
        proxy=None if settings.sandbox else settings.proxy,
    )
