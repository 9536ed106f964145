"""The rate-limit pause as hooks, logs and stats see it: the key's shared pause (a longer
one already in force wins), told also when the call then gives up, counted per walk."""

from __future__ import annotations

import logging

import pytest

from asset_client import (
    AssetClient,
    RateLimitError,
    RateLimitPause,
    RetryPolicy,
    RetryScheduled,
    metered_session,
    slot_trace_config,
)
from asset_client.client.transport import claims_on_connection
from asset_client.endpoints import ASSETS
from asset_client.limit import ProcessLimiter
from asset_client.sandbox import Fault, FaultConfig
from tests._helpers import no_wait
from tests.client.test_client_sandbox import collect, config, connected
from tests.client.test_hooks import Recorder

ONCE_LIMITED = FaultConfig(script={1: Fault.RATE_LIMITED})


async def test_a_pause_already_in_force_is_the_one_reported(
    caplog: pytest.LogCaptureFixture,
) -> None:
    recorder = Recorder()
    backend = ProcessLimiter()
    async with connected(
        config(invitees=5, faults=ONCE_LIMITED), hooks=[recorder], limiter=backend, sleep=no_wait
    ) as (_, client):
        # Another sender of the key (another client, process or host) paused it for 30 s;
        # the injected sleep lets this one through anyway (as if served), into a 29001.
        await backend.pause(client._requests.lane(ASSETS).key, 30.0)
        with caplog.at_level(logging.INFO, logger="asset_client"):
            walk = client.iter_invitee_assets(page_size=10)
            assert len(await collect(walk)) == 5
    [pause] = recorder.of(RateLimitPause)
    assert isinstance(pause, RateLimitPause) and 25.0 < pause.wait <= 30.0
    [retry] = recorder.of(RetryScheduled)
    assert isinstance(retry, RetryScheduled) and retry.rate_limited and retry.wait == pause.wait
    [warning] = [
        r
        for r in caplog.records
        if r.levelno == logging.WARNING and "pausing this key" in r.getMessage()
    ]
    assert f"pausing this key for {pause.wait:.2f}s, then retry 1" in warning.getMessage()
    assert walk.stats.rate_limit_waits == client.stats.rate_limit_waits == 1
    assert walk.stats.requests == client.stats.requests == 2


async def test_a_call_that_gives_up_still_pauses_the_key_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    recorder = Recorder()
    async with connected(
        config(invitees=5, faults=ONCE_LIMITED),
        hooks=[recorder],
        retry_policy=RetryPolicy(max_retries=0),
    ) as (_, client):
        with caplog.at_level(logging.INFO, logger="asset_client"), pytest.raises(RateLimitError):
            await client.get_invitee_assets_page()
        held = await client._requests.lane(ASSETS).paused_for()
    [pause] = recorder.of(RateLimitPause)
    assert isinstance(pause, RateLimitPause) and pause.wait >= held > 0
    assert recorder.of(RetryScheduled) == []
    [warning] = [
        r
        for r in caplog.records
        if r.levelno == logging.WARNING and "pausing this key" in r.getMessage()
    ]
    assert "giving up" in warning.getMessage()
    assert client.stats.rate_limit_waits == 1 and client.stats.retries == 0


async def test_a_metered_session_claims_on_connection_and_keeps_your_traces() -> None:
    async with metered_session() as plain:
        assert claims_on_connection(plain)
    mine = slot_trace_config()
    async with metered_session(trace_configs=[mine]) as given:
        assert claims_on_connection(given)
        assert given.trace_configs.count(mine) == 1


async def test_the_client_session_is_a_metered_one(api_key: str) -> None:
    async with AssetClient(api_key, "secret", base_url="http://127.0.0.1:9") as client:
        assert claims_on_connection(client._sessions.get())
