"""Log lines name their endpoint for every dataset and the uid of a lookup, and their
counts agree in number (issue 21.13)."""

from __future__ import annotations

import logging

import pytest

from asset_client import AssetClient, RateLimit
from asset_client.client.log import counted
from asset_client.sandbox import SandboxConfig, run_sandbox

FAST = RateLimit(requests=50, period=0.1, margin=0.0)


def test_counts_agree_in_number() -> None:
    assert [counted(n, "record") for n in (0, 1, 2)] == ["0 records", "1 record", "2 records"]
    assert counted(1, "request") == "1 request"


async def test_a_lookup_is_named_by_its_uid_and_a_notice_by_its_endpoint(
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = SandboxConfig(invitees=30, max_page_size=100, api_key="log-lines-key")
    async with (
        run_sandbox(config) as sandbox,
        AssetClient(
            sandbox.api_key, sandbox.secret_key, base_url=sandbox.base_url, rate_limit=FAST
        ) as client,
    ):
        first = [a async for a in client.iter_invitee_assets()]  # 1000 refused, then 100
        uid = first[0].uid
        with caplog.at_level(logging.DEBUG, logger="asset_client"):
            await client.get_invitee_asset(uid)
            async for _ in client.iter_invitees(page_size=100):
                pass
    lines = [r.getMessage() for r in caplog.records]
    assert any(f"assets uid {uid} attempt 1: HTTP 200, 1 record after" in m for m in lines), lines
    assert any(m.startswith("invitees page 1 attempt 1: HTTP 200, 30 records") for m in lines)
    assert not any("1 records" in m for m in lines)


async def test_walk_notices_name_the_endpoint(caplog: pytest.LogCaptureFixture) -> None:
    config = SandboxConfig(invitees=30, max_page_size=100, api_key="notice-key")
    async with (
        run_sandbox(config) as sandbox,
        AssetClient(
            sandbox.api_key, sandbox.secret_key, base_url=sandbox.base_url, rate_limit=FAST
        ) as client,
    ):
        with caplog.at_level(logging.INFO, logger="asset_client"):
            assert len([a async for a in client.iter_invitee_assets()]) == 30
    notices = [r.getMessage() for r in caplog.records if "refused pageSize" in r.getMessage()]
    assert notices and notices[0].startswith("assets: server refused pageSize=1000")
