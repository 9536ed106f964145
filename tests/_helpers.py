"""What many test modules share: the mocked server's address, a sleep that never waits,
a clock tests move by hand, a client for mocked answers, a send slot taken as a request
takes it, the CLI as a subprocess, a signed GET, and a sandbox with its client.

Sharp edge: `mocked_client` never waits (rate limit 1000 per 0.1 s, no backoff sleep), so
a test that needs the limiter's real pacing must build its own client.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sys
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yarl

from asset_client import AssetClient, RateLimit, RetryPolicy
from asset_client.core.signing import sign
from asset_client.limit.limiter import KeyLimiter, Ticket
from asset_client.limit.permit import Sleep
from asset_client.sandbox import Sandbox, SandboxConfig, run_sandbox
from tests.conftest import SECRET

BASE = "https://api.example.test"
URL_RE = re.compile(r"^https://api\.example\.test/.*$")


async def no_wait(_: float) -> None:
    """Injected sleep: backoff and pauses cost no time in these tests."""


class FakeClock:
    """A clock that stands still until a test moves ``now``: no sleeping in tests."""

    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def mocked_client(api_key: str, *, max_retries: int) -> AssetClient:
    """A client for `BASE` that never waits: fast limiter, instant backoff."""
    return AssetClient(
        api_key,
        SECRET,
        base_url=BASE,
        rate_limit=RateLimit(requests=1000, period=0.1, margin=0.0),
        retry_policy=RetryPolicy(max_retries=max_retries, base_delay=0.001),
        sleep=no_wait,
    )


async def take_slot(
    limiter: KeyLimiter, ticket: Ticket | None = None, page: int = 0, sleep: Sleep = asyncio.sleep
) -> float:
    """Wait for a send slot and claim it, as the client does on a session without the
    connection signal (`KeyLimiter.acquire`, then `Permit.commit`); return the wait."""
    permit = await limiter.acquire(ticket, page, sleep)
    await permit.commit()
    return permit.waited


def env_without_keys() -> dict[str, str]:
    """This process's environment minus every ``COINW_*`` (so no real key leaks in)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("COINW_")}


async def start_cli(cwd: Path, *args: str, env: Mapping[str, str]) -> asyncio.subprocess.Process:
    """``python -m asset_client *args`` in ``cwd``: no stdin, stdout and stderr piped."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "asset_client",
        *args,
        cwd=cwd,
        env=dict(env),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


def signed_get(
    base_url: str,
    path: str,
    params: Sequence[tuple[str, str]],
    *,
    api_key: str,
    secret_key: str,
    timestamp: str | None = None,
) -> tuple[yarl.URL, dict[str, str]]:
    """The URL (query percent-encoded, kept as is) and headers of a GET signed the way
    CoinW's own clients sign it: over the *decoded* query."""
    encoded = "&".join(f"{k}={quote(v, safe='')}" for k, v in params)
    decoded = "&".join(f"{k}={v}" for k, v in params)
    ts = timestamp if timestamp is not None else str(int(time.time() * 1000))
    url = yarl.URL(base_url + path + (f"?{encoded}" if encoded else ""), encoded=True)
    headers = {
        "api_key": api_key,
        "timestamp": ts,
        "sign": sign(secret_key, ts, "GET", path, decoded),
    }
    return url, headers


@contextlib.asynccontextmanager
async def sandbox_and_client(
    config: SandboxConfig, **client_kwargs: Any
) -> AsyncIterator[tuple[Sandbox, AssetClient]]:
    """A sandbox from ``config`` and a client of it (with the sandbox's key and secret
    unless ``api_key``/``secret_key`` are given); both closed on exit."""
    async with (
        run_sandbox(config) as sandbox,
        AssetClient(
            client_kwargs.pop("api_key", sandbox.api_key),
            client_kwargs.pop("secret_key", sandbox.secret_key),
            base_url=sandbox.base_url,
            **client_kwargs,
        ) as client,
    ):
        yield sandbox, client
