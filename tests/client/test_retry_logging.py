"""Every retry, backoff and rate-limit pause is logged at INFO or above, with its reason,
page (or uid for a lookup), endpoint and wait; never a secret."""

from __future__ import annotations

import logging
import re
import socket

import pytest

from asset_client import AssetClient, RateLimit, RetryPolicy, TransportError
from asset_client.sandbox import Fault, FaultConfig
from tests.client.test_client_sandbox import collect, config, connected, uid_at


class NoWait:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # closed again: nothing listens there


async def test_a_host_with_nothing_listening_is_not_silent(
    caplog: pytest.LogCaptureFixture, api_key: str
) -> None:
    caplog.set_level(logging.INFO, logger="asset_client")
    sleep = NoWait()
    async with AssetClient(
        api_key,
        "secret-never-logged",
        base_url=f"http://127.0.0.1:{closed_port()}",
        retry_policy=RetryPolicy(max_retries=3, base_delay=0.5),
        rate_limit=RateLimit(requests=1000, period=0.1, margin=0.0),
        sleep=sleep,
    ) as client:
        with pytest.raises(TransportError):
            await client.get_invitee_assets_page(page_no=2)
    retries = [r for r in caplog.records if r.levelno == logging.INFO and "retry" in r.message]
    assert len(retries) == 3 == len(sleep.waits)
    for number, (record, wait) in enumerate(zip(retries, sleep.waits, strict=True), 1):
        assert record.message.startswith("assets page 2: TransportError: ")
        assert f"retry {number} of 3 in {wait:.2f}s" in record.message
        assert "refused" in record.message.lower() or "connect" in record.message.lower()
    assert "secret-never-logged" not in caplog.text and api_key not in caplog.text


async def test_server_errors_and_rate_limits_are_logged_with_their_waits(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="asset_client")
    faults = FaultConfig(script={1: Fault.SERVER_ERROR_HTML, 3: Fault.RATE_LIMITED})
    async with connected(config(invitees=30, faults=faults)) as (sb, client):
        await collect(client.iter_invitee_assets(page_size=10))
        assert sb.secret_key not in caplog.text and sb.api_key not in caplog.text
    backoff = [r for r in caplog.records if "ServerError" in r.message]
    assert len(backoff) == 1 and backoff[0].levelno == logging.INFO
    assert re.match(
        r"assets page 1: ServerError: .*; retry 1 of 8 in \d+\.\d\ds$", backoff[0].message
    )
    paused = [r for r in caplog.records if "rate limited" in r.message]
    assert len(paused) == 1 and paused[0].levelno == logging.WARNING
    assert re.match(
        r"assets page \d: rate limited \(RateLimitError: .*\); pausing this key for "
        r"\d+\.\d\ds, then retry 1 of 8$",
        paused[0].message,
    )
    assert client.stats.retries == 2


async def test_a_lookup_logs_its_uid_not_page_1(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="asset_client")
    faults = FaultConfig(script={1: Fault.CODE_500})
    async with connected(config(invitees=30, faults=faults)) as (sb, client):
        uid = uid_at(sb.expected("usdt"), 4)
        asset = await client.get_invitee_asset(uid)
        assert asset is not None and asset.uid == uid
    [retry] = [r for r in caplog.records if "retry 1 of" in r.message]
    assert retry.message.startswith(f"assets uid {uid}: ")


async def test_partner_endpoints_name_themselves(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="asset_client")
    faults = FaultConfig(script={1: Fault.TRUNCATED_JSON})
    async with connected(config(invitees=30, faults=faults)) as (_, client):
        [_ async for _ in client.iter_invitees(page_size=10)]
    [retry] = [r for r in caplog.records if "retry 1 of" in r.message]
    assert retry.message.startswith("invitees page 1: ")
