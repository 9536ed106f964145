"""Decoding the invitee list and trading volume answers into typed pages (pure, no I/O).

Same strictness as `_decode`, whose hooks and page loop (`decode_list`) it reuses: a missing
or malformed field raises `ResponseDecodeError` naming the field, the value and the page;
unknown fields are ignored.
Sharp edge: a record without ``registerTime`` (or a volume without ``time``) is refused,
not defaulted — a listed invitee with no registration time would be a silent wrong record.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, tzinfo
from decimal import Decimal
from functools import cache
from operator import attrgetter
from typing import Any

import cattrs
from cattrs.gen import make_dict_structure_fn, override

from asset_client.core.decode import _FieldValueError, _time_hook, _to_decimal, _uid, decode_list
from asset_client.records import DailyVolume, Invitee, InviteePage, VolumePage

__all__ = ["decode_invitee_page", "decode_volume_page", "parse_day", "volume_identity"]

_DAY_LEN = len("yyyy-MM-dd")
_INVITEE_RENAMES: Mapping[str, str] = {"register_time": "registerTime"}
_VOLUME_RENAMES: Mapping[str, str] = {"day": "time"}


def parse_day(value: object) -> date | None:
    """``yyyy-MM-dd`` -> date, strictly (no ``20260101``, no time part); None if not."""
    if isinstance(value, str) and len(value) == _DAY_LEN and value[4] == value[7] == "-":
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _day(value: object, _: object) -> date:
    day = parse_day(value)
    if day is None:
        raise _FieldValueError(value, "a 'yyyy-MM-dd' day")
    return day


def _volume(value: object, _: object) -> Decimal:
    amount = _to_decimal(value)
    if amount < 0:
        raise _FieldValueError(value, "a volume >= 0")
    return amount


def _required_time(server_tz: tzinfo) -> Callable[[object, object], datetime]:
    optional = _time_hook(server_tz)

    def structure(value: object, kind: object) -> datetime:
        moment: datetime | None = optional(value, kind)
        if moment is None:
            raise _FieldValueError(value, "a 'yyyy-MM-dd HH:mm:ss' time")
        return moment

    return structure


@cache
def _invitee_structurer(server_tz: tzinfo) -> Any:
    converter = cattrs.Converter(detailed_validation=True)
    return make_dict_structure_fn(
        Invitee,
        converter,
        uid=override(struct_hook=_uid),
        register_time=override(rename="registerTime", struct_hook=_required_time(server_tz)),
    )


@cache
def _volume_structurer() -> Any:
    converter = cattrs.Converter(detailed_validation=True)
    return make_dict_structure_fn(
        DailyVolume,
        converter,
        uid=override(struct_hook=_uid),
        day=override(rename="time", struct_hook=_day),
        volume=override(struct_hook=_volume),
    )


def volume_identity(item: DailyVolume) -> tuple[int, date]:
    """What names a volume record: one invitee's one day."""
    return item.uid, item.day


def decode_invitee_page(
    data: object,
    *,
    page_no: int,
    page_size: int,
    server_tz: tzinfo,
    secrets: Sequence[str] = (),
) -> InviteePage:
    """Decode the ``data`` object of a successful invitee list answer."""
    total, items = decode_list(
        data,
        page_no=page_no,
        structure=_invitee_structurer(server_tz),
        record_type=Invitee,
        renames=_INVITEE_RENAMES,
        identity=attrgetter("uid"),
        noun="uid",
        secrets=secrets,
    )
    return InviteePage(page_no=page_no, page_size=page_size, total=total, items=items)


def decode_volume_page(
    data: object, *, page_no: int, page_size: int, secrets: Sequence[str] = ()
) -> VolumePage:
    """Decode the ``data`` object of a successful trading volume answer."""
    total, items = decode_list(
        data,
        page_no=page_no,
        structure=_volume_structurer(),
        record_type=DailyVolume,
        renames=_VOLUME_RENAMES,
        identity=volume_identity,
        noun="(uid, day)",
        secrets=secrets,
    )
    return VolumePage(page_no=page_no, page_size=page_size, total=total, items=items)
