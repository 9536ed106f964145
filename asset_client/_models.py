"""Typed, immutable records."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from attrs import field, frozen

__all__ = ["AssetPage", "InviteeAsset"]


@frozen
class InviteeAsset:
    """One direct invitee's deposits, withdrawals and balance in one quote currency.

    Money is exact (`Decimal` from the server's strings, never float).  Times are
    timezone-aware, read in the client's ``server_timezone``.  ``first_deposit_*`` are
    ``None`` for users who never deposited.
    """

    uid: int
    total_deposit: Decimal
    total_withdrawal: Decimal
    current_balance: Decimal
    update_time: datetime | None = None
    first_deposit_amount: Decimal | None = None
    first_deposit_time: datetime | None = None


def _as_tuple(items: Iterable[InviteeAsset]) -> tuple[InviteeAsset, ...]:
    return tuple(items)


@frozen
class AssetPage:
    """One page as the server sent it."""

    page_no: int
    page_size: int
    total: int
    items: tuple[InviteeAsset, ...] = field(converter=_as_tuple)
