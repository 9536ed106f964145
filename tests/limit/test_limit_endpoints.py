"""The limiter seam on every endpoint, GET and POST, through the one request loop: the
slot claimed once the connection is in hand for the POST too, fail fast and the key's
pause across endpoints, and --limiter on every command that sends requests."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from aioresponses import aioresponses

from asset_client import (
    AssetClient,
    PermissionDeniedError,
    RateLimit,
    RateLimitError,
    slot_trace_config,
)
from asset_client.cli.main import main
from asset_client.core.signing import VOLUME_PATH
from asset_client.endpoints import ASSETS
from asset_client.sandbox import (
    FaultConfig,
    SandboxConfig,
    SetupDelayResolver,
    run_sandbox,
    setup_delay_session,
)
from tests._helpers import URL_RE, mocked_client

UNREACHABLE = "redis://127.0.0.1:1/0"  # nothing listens on port 1


async def test_the_volume_post_claims_its_slot_once_the_connection_is_in_hand() -> None:
    faults = FaultConfig(one_way_jitter=0.03, latency=0.3, seed=5)
    config = SandboxConfig(invitees=60, api_key="post-setup-key", faults=faults)
    resolver = SetupDelayResolver(0.3)
    async with (
        run_sandbox(config) as sandbox,
        setup_delay_session(resolver, trace_configs=[slot_trace_config()]) as session,
        AssetClient(
            sandbox.api_key,
            sandbox.secret_key,
            base_url=sandbox.named_url,
            session=session,
            rate_limit=RateLimit(),  # production numbers: 5 per 1 s, 65 ms margin
        ) as client,
    ):
        pages = await asyncio.gather(
            *(client.get_trading_volume_page(page_no=n, page_size=1) for n in range(1, 13))
        )
        assert all(len(p.items) == 1 for p in pages)
        # New connections opened while sends were due (the case that used to burst) ...
        assert resolver.resolved >= 2
        # ... and the server never saw six POSTs in one second.
        assert sandbox.stats.rejected == 0
        assert sandbox.stats.max_in_window(sandbox.api_key, path=VOLUME_PATH) <= 5


async def test_a_refused_key_fails_queued_calls_of_every_endpoint_at_once() -> None:
    config = SandboxConfig(invitees=10, non_affiliate_keys={"no-affiliate-key-2": "its-secret"})
    async with (
        run_sandbox(config) as sandbox,
        AssetClient(
            "no-affiliate-key-2", "its-secret", base_url=sandbox.base_url, rate_limit=RateLimit()
        ) as client,
    ):
        calls = [
            *(client.get_invitees_page(page_no=n) for n in range(1, 21)),
            *(client.get_trading_volume_page(page_no=n) for n in range(1, 21)),
        ]
        results = await asyncio.gather(*calls, return_exceptions=True)
        assert all(isinstance(r, PermissionDeniedError) for r in results)
        # At most the first call of each endpoint's lane was sent; 38 never were.
        assert len(sandbox.stats.requests) <= 2


async def test_a_rate_limit_on_the_volume_post_pauses_the_whole_key(api_key: str) -> None:
    async with mocked_client(api_key, max_retries=0) as client:
        with aioresponses() as mocked:
            mocked.post(URL_RE, payload={"code": 29001, "msg": "API access frequently"})
            error: Any = None
            try:
                await client.get_trading_volume_page()
            except RateLimitError as exc:
                error = exc
        assert isinstance(error, RateLimitError)
        # The assets lane of the same key is held too: the server's window is the key's.
        assert await client._requests.lane(ASSETS).paused_for() >= 0.1 * 0.5


@pytest.mark.parametrize(
    "command",
    [
        ["export", "--sandbox", "--dataset", "invitees", "--out", "x.csv"],
        ["export", "--sandbox", "--dataset", "volume", "--out", "x.csv"],
        ["report", "--sandbox", "--out", "x.csv"],
        ["sync", "--sandbox", "--db", "x.db"],
    ],
    ids=["export-invitees", "export-volume", "report", "sync"],
)
def test_every_command_that_sends_takes_limiter(
    command: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ASSET_CLIENT_LIMITER", raising=False)
    # A bad value is a usage error before any file is made ...
    assert main([*command, "--limiter", "memcached://x"]) == 2
    assert "got 'memcached://x'" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())
    # ... and the value reaches the client: an unreachable Redis stops it with exit 4.
    assert main([*command, "--limiter", UNREACHABLE]) == 4
    assert "LimiterUnavailableError" in capsys.readouterr().err
