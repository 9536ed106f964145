"""Typed, immutable records of the invitee list and the trading volume endpoints.

Sharp edge: ``DailyVolume.day`` is a calendar day of the *server's* time zone (the API
gives day precision only), so it is a `date`, never a midnight `datetime`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from attrs import field, frozen

__all__ = ["DailyVolume", "Invitee", "InviteePage", "VolumePage"]


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
class InviteePage:
    """One page of the invitee list as the server sent it (newest registration first)."""

    page_no: int
    page_size: int
    total: int
    items: tuple[Invitee, ...] = field(converter=_invitees)


@frozen
class VolumePage:
    """One page of daily volumes as the server sent it (newest day first)."""

    page_no: int
    page_size: int
    total: int
    items: tuple[DailyVolume, ...] = field(converter=_volumes)
