"""Typed, immutable records of every partner endpoint, and their pages as the server sent them.

Money is exact (`Decimal` from the server's strings, never float); times are aware.  Sharp
edge: ``DailyVolume.day`` is a calendar day of the *server's* time zone (the API gives day
precision only), so it is a `date`, never a midnight `datetime`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Generic, TypeVar

from attrs import field, frozen

R_co = TypeVar("R_co", covariant=True)

__all__ = [
    "AssetPage",
    "DailyVolume",
    "Invitee",
    "InviteeAsset",
    "InviteePage",
    "Qualification",
    "VolumePage",
]


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


class _Records(Generic[R_co]):
    """What makes a page a sized, iterable collection of its records (``items``):
    ``for r in page``, ``len(page)``; like any empty collection, an empty page is falsy."""

    __slots__ = ()
    items: tuple[R_co, ...]

    def __iter__(self) -> Iterator[R_co]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def _as_tuple(items: Iterable[InviteeAsset]) -> tuple[InviteeAsset, ...]:
    return tuple(items)


@frozen
class AssetPage(_Records[InviteeAsset]):
    """One page as the server sent it."""

    page_no: int
    page_size: int
    total: int
    items: tuple[InviteeAsset, ...] = field(converter=_as_tuple)


@frozen
class Invitee:
    """One direct invitee: who, and when they registered (aware, in ``server_timezone``)."""

    uid: int
    register_time: datetime


@frozen
class DailyVolume:
    """One invitee's trading volume on one server day; exact (`Decimal`, never float)."""

    uid: int
    day: date
    volume: Decimal


def _invitees(items: Iterable[Invitee]) -> tuple[Invitee, ...]:
    return tuple(items)


def _volumes(items: Iterable[DailyVolume]) -> tuple[DailyVolume, ...]:
    return tuple(items)


@frozen
class InviteePage(_Records[Invitee]):
    """One page of the invitee list as the server sent it (newest registration first)."""

    page_no: int
    page_size: int
    total: int
    items: tuple[Invitee, ...] = field(converter=_invitees)


@frozen
class VolumePage(_Records[DailyVolume]):
    """One page of daily volumes as the server sent it (newest day first)."""

    page_no: int
    page_size: int
    total: int
    items: tuple[DailyVolume, ...] = field(converter=_volumes)


@frozen
class Qualification:
    """The answer to "is this uid my direct invitee, and did it qualify?" (`AssetClient.qualify`).

    ``reasons`` holds one plain sentence per unmet condition (empty when ``qualified``).
    Money is in ``quote``; ``total_deposit``/``current_balance`` are None when the uid is
    not an invitee, ``volume`` is None when it was not asked for (no ``min_volume``) or
    the uid is not an invitee.  ``volume_start``..``volume_end`` is the window of the
    last ``days`` server days, today included, both ends inclusive.
    """

    uid: int
    is_invitee: bool
    qualified: bool
    registered_at: datetime | None
    total_deposit: Decimal | None
    current_balance: Decimal | None
    volume: Decimal | None
    volume_start: date
    volume_end: date
    reasons: tuple[str, ...]
    quote: str = "usdt"
    days: int = 30
    min_deposit: Decimal | None = None
    min_volume: Decimal | None = None
