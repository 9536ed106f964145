"""The public API types as documented: checked by mypy (``--strict``, so unused ignores
are errors), never run.

Each ``# type: ignore[...]`` line is a wrong call mypy must reject: if a signature grew
loose again (``object`` instead of ``datetime | str``), the ignore would be unused and
mypy would fail.  The other lines must type-check as they are.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator
from datetime import UTC, datetime

import aiohttp

from asset_client import (
    AssetClient,
    AssetPage,
    ClientStats,
    DailyVolume,
    Hooks,
    Invitee,
    InviteeAsset,
    Quote,
    Resume,
    RetryScheduled,
    WalkDone,
    WalkIterator,
    WalkStats,
    make_session_safe,
    metered_session,
)
from asset_client.endpoints import ASSETS


class Metrics(Hooks):
    def retry_scheduled(self, event: RetryScheduled) -> None:
        print(event.reason, event.wait)

    def walk_done(self, event: WalkDone) -> None:
        stats: WalkStats = event.stats
        print(stats.records)


async def accepted(client: AssetClient) -> None:
    quote: Quote = "usdc"
    walk: WalkIterator[InviteeAsset] = client.iter_invitee_assets(
        quote=quote, start_time=datetime(2026, 3, 1, tzinfo=UTC), end_time="2026-05-01 00:00:00"
    )
    generator: AsyncGenerator[InviteeAsset, None] = walk
    async with contextlib.aclosing(generator):
        async for asset in walk:
            print(asset.uid)
    walk_stats: WalkStats = walk.stats
    client_stats: ClientStats = client.stats
    print(walk_stats.requests, client_stats.requests)
    client.stats.reset()
    client.reset_stats()
    found: InviteeAsset | None = await client.get_invitee_asset(10111929, quote="usdt")
    print(found)
    invitees: WalkIterator[Invitee] = client.iter_invitees(start_time="2026-01-01 00:00:00")
    volume: WalkIterator[DailyVolume] = client.iter_trading_volume()
    print(invitees.stats, volume.stats)
    await client.get_invitee_assets_page(start_time=datetime(2026, 3, 1))
    await client.get_invitees_page(end_time=datetime(2026, 3, 1))
    any_walk: WalkIterator[InviteeAsset] = client.walk(ASSETS, resume=Resume(10111929, 1))
    any_page: AssetPage = await client.get_page(ASSETS, page_size=10, quote="usdc")
    resumed: WalkIterator[Invitee] = client.iter_invitees(resume=Resume(datetime(2026, 3, 1)))
    print(any_walk.stats, any_page.total, resumed.stats)


async def sessions() -> None:
    async with metered_session(trust_env=True) as session:
        AssetClient("key", "secret", session=session, hooks=[Metrics()])
    async with aiohttp.ClientSession() as plain:
        safe: aiohttp.ClientSession = make_session_safe(plain)
        print(safe)


async def rejected(client: AssetClient) -> None:
    client.iter_invitee_assets(quote="eur")  # type: ignore[arg-type]
    client.iter_invitee_assets(start_time=[1, 2])  # type: ignore[arg-type]
    client.iter_invitee_assets(end_time=1_700_000_000)  # type: ignore[arg-type]
    await client.get_invitee_assets_page(quote="btc")  # type: ignore[arg-type]
    await client.get_invitee_assets_page(start_time=b"2026-03-01")  # type: ignore[arg-type]
    await client.get_invitee_asset("10111929")  # type: ignore[arg-type]
    client.iter_invitees(start_time=1.5)  # type: ignore[arg-type]
    await client.get_invitees_page(end_time=(2026, 3, 1))  # type: ignore[arg-type]
    print(client.iter_invitee_assets().stats.no_such_counter)  # type: ignore[attr-defined]
    AssetClient("key", "secret", hooks=[print])  # type: ignore[list-item]
    make_session_safe("session")  # type: ignore[arg-type]
    client.walk(ASSETS, resume=(10111929, 1))  # type: ignore[arg-type]
    client.iter_trading_volume(resume="2026-03-01")  # type: ignore[arg-type]
    wrong: WalkIterator[Invitee] = client.walk(ASSETS)  # type: ignore[arg-type]
    print(wrong)
