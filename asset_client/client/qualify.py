"""`qualify`'s calls: the fewest requests that answer "is this uid mine, and did it qualify?".

One assets lookup first (it answers "invitee?" and "deposited?"); nothing more when the uid
is not an invitee.  Then, together, the uid-filtered invitee list (its registration time)
and, only when ``min_volume`` is given, its daily volumes over the window (one page of
1000 days; more pages only for a longer window).  What the answers mean is decided in
`asset_client.core.qualify`.  Sharp edge: every call goes through ``get_page``, so
identical questions in flight share their requests (`Lookups`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any, Protocol

from asset_client.core.qualify import (
    Conditions,
    check_conditions,
    qualification,
    registration_of,
    volume_sum,
)
from asset_client.records import DailyVolume, InviteeAsset, InviteePage, Qualification, VolumePage

__all__ = ["Asker", "qualify"]


class Asker(Protocol):
    """The calls `qualify` makes (an `AssetClient`; not imported: it imports this)."""

    @property
    def server_timezone(self) -> tzinfo: ...

    async def get_invitee_asset(self, uid: int, *, quote: Any = ...) -> InviteeAsset | None: ...

    async def get_invitees_page(self, *, uid: int | None = ...) -> InviteePage: ...

    async def get_trading_volume_page(
        self,
        *,
        page_no: int = ...,
        page_size: int = ...,
        start_date: date | str | None = ...,
        end_date: date | str | None = ...,
        uid: int | None = ...,
    ) -> VolumePage: ...


#: One page of volumes holds this many (uid, day) records: one per day for one uid.
_VOLUME_PAGE = 1000


async def qualify(
    client: Asker,
    clock: Callable[[], float],
    uid: object,
    *,
    min_deposit: object = None,
    min_volume: object = None,
    days: object = 30,
    quote: object = "usdt",
) -> Qualification:
    """See `AssetClient.qualify`."""
    conditions = check_conditions(uid, min_deposit, min_volume, days, quote)
    zone = client.server_timezone
    now = datetime.fromtimestamp(clock(), zone)
    window = conditions.window(now, zone)
    asset = await client.get_invitee_asset(conditions.uid, quote=conditions.quote)
    if asset is None:
        return qualification(conditions, window, None, None, None)
    async with asyncio.TaskGroup() as group:
        registered = group.create_task(_registered_at(client, conditions.uid))
        volume = (
            group.create_task(_volume(client, conditions, window))
            if conditions.min_volume is not None
            else None
        )
    total = None if volume is None else volume.result()
    return qualification(conditions, window, asset, registered.result(), total)


async def _registered_at(client: Asker, uid: int) -> datetime | None:
    page = await client.get_invitees_page(uid=uid)
    return registration_of(page.items, uid)


async def _volume(client: Asker, conditions: Conditions, window: tuple[date, date]) -> Decimal:
    start, end = window
    records: list[DailyVolume] = []
    page_no = 1
    while True:
        page = await client.get_trading_volume_page(
            page_no=page_no,
            page_size=_VOLUME_PAGE,
            start_date=start,
            end_date=end,
            uid=conditions.uid,
        )
        records.extend(page.items)
        # One record per day: a window longer than a page needs more pages.
        if not page.items or len(records) >= page.total:
            return volume_sum(records, conditions.uid, start, end)
        page_no += 1
