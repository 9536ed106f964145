"""A Telegram bot (aiogram 3) that answers ``/verify UID``: is it my invitee, and did it qualify?

Run the demo: ``.venv/bin/python examples/telegram_verify_bot.py``.  Without
``TELEGRAM_BOT_TOKEN`` it starts the embedded sandbox and prints the bot's replies to a few
messages (nothing contacts Telegram).  With ``TELEGRAM_BOT_TOKEN``, ``COINW_API_KEY`` and
``COINW_SECRET_KEY`` set, it polls Telegram for real.  Needs the ``examples`` extra
(``pip install 'asset-client[examples]'``: aiogram).

What it shows: one `AssetClient` (one metered session, one rate limit) for every chat;
`AssetClient.qualify` answers in one call with the fewest requests; 30 users asking about
the same uid at once share one request; ``with_options(max_wait=...)`` lets the bot say
"busy, try again in 3 s" at once instead of keeping a user waiting behind a queue.
"""

from __future__ import annotations

import asyncio
import math
import os
from typing import TYPE_CHECKING

from asset_client import (
    AssetClient,
    AssetClientError,
    InvalidParameterError,
    PermissionDeniedError,
    metered_session,
)
from asset_client.sandbox import SandboxConfig, run_sandbox

if TYPE_CHECKING:
    from aiogram import Dispatcher

#: What qualifies: a deposit of at least 100 USDT and 1000 USDT traded in 30 days.
MIN_DEPOSIT = 100
MIN_VOLUME = 1000
DAYS = 30
#: How long a user may wait for a send slot before the bot says "busy".
MAX_WAIT = 3.0


async def verify_reply(client: AssetClient, argument: str | None) -> str:
    """The bot's reply to ``/verify ARGUMENT``: every outcome is a sentence, never a crash."""
    text = (argument or "").strip()
    if not (text.isascii() and text.isdigit()):
        return "Usage: /verify UID (your CoinW UID, digits only)"
    try:
        answer = await client.with_options(max_wait=MAX_WAIT).qualify(
            int(text), min_deposit=MIN_DEPOSIT, min_volume=MIN_VOLUME, days=DAYS
        )
    except InvalidParameterError as exc:
        return f"That does not look right: {exc.message}"
    except PermissionDeniedError:
        return "This bot's API key lacks CoinW's Affiliate permission."
    except AssetClientError as exc:
        # A full queue (LimiterBusyError) or a rate limit says when to come back.
        retry_after = getattr(exc, "retry_after", None)
        if isinstance(retry_after, int | float):
            return f"Busy, try again in {max(1, math.ceil(retry_after))} s."
        return f"Could not ask CoinW ({type(exc).__name__}); try again later."
    if answer.qualified:
        return f"UID {answer.uid} qualifies. Welcome!"
    return f"UID {answer.uid} does not qualify yet: {'; '.join(answer.reasons)}."


def dispatcher(client: AssetClient) -> Dispatcher:
    """The bot's one command, answered through ``client``."""
    # Imported here: aiogram takes seconds to import, and the demo does not need it.
    from aiogram import Dispatcher
    from aiogram.filters import Command, CommandObject
    from aiogram.types import Message

    dp = Dispatcher()

    @dp.message(Command("verify"))
    async def verify(message: Message, command: CommandObject) -> None:
        await message.answer(await verify_reply(client, command.args))

    return dp


async def poll_telegram(token: str) -> None:
    """The real bot: long polling until stopped (Ctrl-C)."""
    from aiogram import Bot

    async with (
        metered_session() as session,
        AssetClient.from_env(session=session) as client,
    ):
        bot = Bot(token=token)
        try:
            await dispatcher(client).start_polling(bot)
        finally:
            await bot.session.close()


async def demo() -> None:
    """What the bot would reply, against the sandbox (no Telegram)."""
    async with run_sandbox(SandboxConfig(invitees=200)) as sandbox:
        uid = sandbox.expected("usdt")[0]["uid"]
        async with (
            metered_session() as session,
            AssetClient(
                sandbox.api_key, sandbox.secret_key, base_url=sandbox.base_url, session=session
            ) as client,
        ):
            for argument in (str(uid), "1", "x"):
                print(f"> /verify {argument}")
                print(await verify_reply(client, argument))
            # Thirty users asking about one uid at once: one request, thirty replies.
            before = client.stats.requests
            replies = await asyncio.gather(*(verify_reply(client, "1") for _ in range(30)))
            sent = client.stats.requests - before
            print(f"30 users asked at once: {len(set(replies))} distinct reply, {sent} request")


if __name__ == "__main__":
    token = os.environ.get("TELEGRAM_BOT_TOKEN")
    asyncio.run(poll_telegram(token) if token else demo())
