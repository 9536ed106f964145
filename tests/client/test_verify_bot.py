"""The Telegram example's verification function, against the sandbox (nothing contacts
Telegram): every reply is a sentence, 30 users at once cost one request each question."""

from __future__ import annotations

import asyncio
import importlib.util
import os
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest

from tests.client.test_client_sandbox import config, connected

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "telegram_verify_bot.py"


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("telegram_verify_bot", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_the_bot_replies_for_each_kind_of_uid() -> None:
    bot = _example()
    async with connected(config(invitees=100)) as (sb, client):
        records = {int(str(r["uid"])): r for r in sb.expected("usdt")}
        broke = next(u for u, r in records.items() if Decimal(str(r["totalDeposit"])) == 0)
        assert await bot.verify_reply(client, "x") == (
            "Usage: /verify UID (your CoinW UID, digits only)"
        )
        assert sb.stats.requests == []
        stranger = await bot.verify_reply(client, str(max(records) + 1))
        assert stranger == f"UID {max(records) + 1} does not qualify yet: not a direct invitee."
        reply = await bot.verify_reply(client, str(broke))
        assert reply.startswith(f"UID {broke} does not qualify yet: deposit 0 USDT is below 100")
        rich = next(
            u
            for u, r in records.items()
            if Decimal(str(r["totalDeposit"])) >= 100
            and sum(units for _, units in sb.partner.by_uid()[u].volumes) >= 1000 * 10**8
            and all((sb.partner.today - day).days < 30 for day, _ in sb.partner.by_uid()[u].volumes)
        )
        assert await bot.verify_reply(client, str(rich)) == f"UID {rich} qualifies. Welcome!"


async def test_thirty_users_asking_at_once_get_one_request_per_question() -> None:
    bot = _example()
    async with connected(config(invitees=100)) as (sb, client):
        uid = int(str(sb.expected("usdt")[5]["uid"]))
        replies = await asyncio.gather(*(bot.verify_reply(client, str(uid)) for _ in range(30)))
        assert len(set(replies)) == 1
        # assets, list and volume: one request each, whoever asked.
        assert len(sb.stats.requests) == 3


async def test_the_aiogram_wiring_routes_verify_to_the_reply() -> None:
    if importlib.util.find_spec("aiogram") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("aiogram (the examples extra) is missing under CI=true")
        pytest.skip("aiogram (the examples extra) is not installed")
    bot = _example()
    async with connected(config(invitees=5)) as (_, client):
        dp = bot.dispatcher(client)
        [handler] = dp.message.handlers
        assert handler.callback.__name__ == "verify"
        [command_filter] = [f.callback for f in handler.filters]
        assert list(command_filter.commands) == ["verify"]
