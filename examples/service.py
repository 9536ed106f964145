"""A long-running service that walks every invitee with ``async for``.

Run it: ``.venv/bin/python examples/service.py``.  It starts the embedded sandbox, so it
needs no account and no network.  Against CoinW, build the client with
``AssetClient.from_env()`` (``COINW_API_KEY``, ``COINW_SECRET_KEY``) instead.

What it shows: one client for the life of the service, a walk per report, records
streamed (never a list of them all), exact ``Decimal`` sums, and a walk stopped early
with ``contextlib.aclosing`` so nothing is left in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from decimal import Decimal

from asset_client import AssetClient, AssetClientError, Quote
from asset_client.sandbox import SandboxConfig, run_sandbox


async def deposit_report(client: AssetClient, quote: Quote) -> None:
    """One pass over every invitee: how many deposited, and how much in total."""
    invitees = depositors = 0
    deposits = Decimal(0)
    async for asset in client.iter_invitee_assets(quote=quote):
        invitees += 1
        if asset.first_deposit_time is not None:
            depositors += 1
        deposits += asset.total_deposit
    print(f"{quote}: {invitees} invitees, {depositors} deposited, total deposits {deposits}")


async def first_big_depositor(client: AssetClient, threshold: Decimal) -> int | None:
    """Stop at the first match: aclosing() cancels the pages still in flight at once."""
    async with contextlib.aclosing(client.iter_invitee_assets()) as walk:
        async for asset in walk:
            if asset.total_deposit >= threshold:
                return asset.uid
    return None


async def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    async with (
        run_sandbox(SandboxConfig(invitees=2500)) as sandbox,
        AssetClient(sandbox.api_key, sandbox.secret_key, base_url=sandbox.base_url) as client,
    ):
        try:
            for quote in ("usdt", "usdc"):
                await deposit_report(client, quote)
            uid = await first_big_depositor(client, Decimal(10000))
            print(f"first invitee with deposits of 10000 or more: {uid}")
        except AssetClientError as exc:
            # A service logs and carries on; the next run tries again.
            logging.error("report failed: %s: %s", type(exc).__name__, exc)
        print(f"{client.stats.requests} requests, {client.stats.retries} retries")


if __name__ == "__main__":
    asyncio.run(main())
