"""A chat bot that answers "is this my invitee, and did they deposit?".

Run it: ``.venv/bin/python examples/chat_bot.py``.  It starts the embedded sandbox and
feeds the bot a few messages, as a chat platform would.

What it shows: the bot's one `aiohttp.ClientSession` shared with the `AssetClient`
(``session=``; the client never closes a session it did not open), made by
`metered_session` so a dropped connection is retried through the rate limiter, one
request per lookup (``get_invitee_asset(uid)``), and every failure turned into a reply
instead of a crash.  The rate limiter is per API key for the whole process, so however many chats
ask at once, CoinW sees at most 5 requests a second.
"""

from __future__ import annotations

import asyncio

from asset_client import (
    AssetClient,
    AssetClientError,
    InvalidParameterError,
    PermissionDeniedError,
    RateLimitError,
    metered_session,
)
from asset_client.sandbox import SandboxConfig, run_sandbox


class InviteeBot:
    """Commands: ``/invitee UID`` and ``/count``."""

    def __init__(self, client: AssetClient) -> None:
        self._client = client

    async def reply(self, text: str) -> str:
        command, _, argument = text.strip().partition(" ")
        try:
            if command == "/invitee":
                return await self._invitee(argument)
            if command == "/count":
                page = await self._client.get_invitee_assets_page(page_size=1)
                return f"You have {page.total} direct invitees."
            return "Try /invitee UID or /count."
        except InvalidParameterError as exc:
            return f"That does not look right: {exc.message}"
        except PermissionDeniedError:
            return "This API key lacks CoinW's Affiliate permission."
        except RateLimitError:
            return "CoinW is busy; ask again in a minute."
        except AssetClientError as exc:
            return f"Could not ask CoinW ({type(exc).__name__}); try again later."

    async def _invitee(self, argument: str) -> str:
        if not argument.isdigit():
            return "Usage: /invitee UID"
        asset = await self._client.get_invitee_asset(int(argument))
        if asset is None:
            return f"{argument} is not one of your direct invitees."
        if asset.first_deposit_time is None:
            return f"{asset.uid} is your invitee and has not deposited yet."
        return (
            f"{asset.uid} is your invitee: first deposit {asset.first_deposit_amount} on "
            f"{asset.first_deposit_time:%Y-%m-%d}, balance {asset.current_balance}."
        )


async def main() -> None:
    async with run_sandbox(SandboxConfig(invitees=200)) as sandbox:
        some_uid = sandbox.expected("usdt")[0]["uid"]
        # The bot's own session: its chat API calls would use it too.  metered_session()
        # is aiohttp.ClientSession() without aiohttp's silent, unmetered resend.
        async with metered_session() as session:
            client = AssetClient(
                sandbox.api_key, sandbox.secret_key, base_url=sandbox.base_url, session=session
            )
            async with client:
                bot = InviteeBot(client)
                for message in (f"/invitee {some_uid}", "/invitee 1", "/count", "/invitee x"):
                    print(f"> {message}")
                    print(await bot.reply(message))
            assert not session.closed  # the client left the bot's session open


if __name__ == "__main__":
    asyncio.run(main())
