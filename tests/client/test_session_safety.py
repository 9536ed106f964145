"""A caller's shared session made safe: a dropped connection is retried by the client,
through its limiter, never resent by aiohttp on its own."""

from __future__ import annotations

import logging

import aiohttp
import pytest

from asset_client import (
    AssetClient,
    InvalidParameterError,
    is_session_safe,
    make_session_safe,
    metered_session,
)
from asset_client.sandbox import Fault, FaultConfig, run_sandbox
from tests.client.test_client_sandbox import (
    CLIENT_RATE,
    QUICK_RETRIES,
    assert_exact,
    collect,
    config,
)

DROP_SECOND = FaultConfig(script={2: Fault.CONNECTION_RESET})


async def walk_on(session: aiohttp.ClientSession) -> tuple[int, int, int, bool]:
    """(requests the client counted, retries, requests the server saw, records exact)."""
    async with (
        run_sandbox(config(invitees=30, faults=DROP_SECOND)) as sandbox,
        AssetClient(
            sandbox.api_key,
            sandbox.secret_key,
            base_url=sandbox.base_url,
            session=session,
            rate_limit=CLIENT_RATE,
            retry_policy=QUICK_RETRIES,
            max_concurrency=1,  # one connection, kept alive: the one aiohttp would resend on
        ) as client,
    ):
        assets = await collect(client.iter_invitee_assets(page_size=10))
        assert_exact(assets, sandbox.expected("usdt"))
        return (
            client.stats.requests,
            client.stats.retries,
            len(sandbox.stats.requests),
            not session.closed,
        )


async def test_a_metered_session_leaves_the_retry_to_the_client() -> None:
    async with metered_session() as session:
        requests, retries, seen, still_open = await walk_on(session)
    assert retries == 1
    assert requests == seen == 4  # every request the server saw went through the limiter
    assert still_open  # the client never closes a session it did not open


async def test_a_plain_shared_session_resends_behind_the_limiter() -> None:
    # The hazard the safe sessions remove: aiohttp resent the GET by itself, unmetered.
    async with aiohttp.ClientSession() as session:
        requests, retries, seen, _ = await walk_on(session)
    assert retries == 0
    assert seen == requests + 1


async def test_make_session_safe_switches_an_existing_session() -> None:
    async with aiohttp.ClientSession() as session:
        assert not is_session_safe(session)
        assert make_session_safe(session) is session
        assert make_session_safe(session) is session  # idempotent
        assert is_session_safe(session)
        requests, retries, seen, _ = await walk_on(session)
    assert (requests, retries, seen) == (4, 1, 4)


async def test_the_client_own_session_is_safe(api_key: str) -> None:
    async with AssetClient(api_key, "secret", base_url="http://127.0.0.1:9") as client:
        assert is_session_safe(client._sessions.get())


def test_only_sessions_can_be_made_safe() -> None:
    with pytest.raises(InvalidParameterError) as caught:
        make_session_safe("not a session")  # type: ignore[arg-type]
    assert caught.value.field == "session"


async def test_a_plain_session_passed_in_is_warned_about_once_naming_the_remedies(
    api_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    base = "http://127.0.0.1:9"
    async with aiohttp.ClientSession() as plain, metered_session() as metered:
        with caplog.at_level(logging.WARNING, logger="asset_client"):
            for _ in range(2):  # two clients on one session: one warning
                async with AssetClient(api_key, "secret", base_url=base, session=plain):
                    pass
            async with AssetClient(api_key, "secret", base_url=base, session=metered):
                pass
            async with AssetClient(
                api_key, "secret", base_url=base, session=make_session_safe(plain)
            ):
                pass
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, warnings
    assert "metered_session()" in warnings[0] and "make_session_safe(session)" in warnings[0]
