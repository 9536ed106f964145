"""``python -m asset_client.sandbox``: serves, logs one line per request, answers a
non-affiliate key with 6003, and shows its defaults in --help."""

from __future__ import annotations

import asyncio
import re
import signal
import sys

import pytest

from asset_client import AssetClient, PermissionDeniedError, RateLimit
from asset_client.cli.main import main
from asset_client.sandbox import DEMO_API_KEY, DEMO_SECRET_KEY

NOT_AFFILIATE = "not-an-affiliate-key-1"
# The sandbox process keeps its own 5/s window; these two clients stay well inside it.
SLOW = RateLimit(requests=2, period=1.0)


async def _line(stream: asyncio.StreamReader) -> str:
    return (await asyncio.wait_for(stream.readline(), timeout=30)).decode().rstrip("\n")


async def test_module_serves_logs_each_request_and_refuses_a_non_affiliate() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "asset_client.sandbox",
        "--port",
        "0",
        "--invitees",
        "5",
        "--non-affiliate-key",
        NOT_AFFILIATE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    try:
        banner = await _line(proc.stdout)
        match = re.fullmatch(r"CoinW sandbox listening on (http://127\.0\.0\.1:\d+)", banner)
        assert match, banner
        while "Ctrl-C stops" not in (line := await _line(proc.stdout)):
            pass
        base_url = match.group(1)
        async with AssetClient(
            NOT_AFFILIATE, DEMO_SECRET_KEY, base_url=base_url, rate_limit=SLOW
        ) as client:
            with pytest.raises(PermissionDeniedError) as info:
                await client.get_invitee_assets_page()
        assert info.value.code == 6003
        assert info.value.message == "Your account is not recognized as an affiliate account."
        line = await _line(proc.stdout)
        assert re.fullmatch(
            r"\S+Z GET quote=usdt&pageNo=1&pageSize=100 key=…ey-1 -> HTTP 200 code 6003", line
        ), line
        async with AssetClient(
            DEMO_API_KEY, DEMO_SECRET_KEY, base_url=base_url, rate_limit=SLOW
        ) as client:
            assert (await client.get_invitee_assets_page()).total == 5
        assert (await _line(proc.stdout)).endswith("key=…-key -> HTTP 200 code 0")
    finally:
        proc.send_signal(signal.SIGINT)
        await asyncio.wait_for(proc.wait(), timeout=30)
    assert proc.returncode == 0


def test_sandbox_help_shows_the_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sandbox", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for shown in ("(default: 8765)", "(default: 3000)", "(default: demo-api-key)", "(default: 5)"):
        assert shown in text
