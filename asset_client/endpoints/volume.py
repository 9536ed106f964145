"""Get Invited Users Trading Volume: POST with a signed JSON body, newest day first.

Sharp edge: the body is signed over its exact bytes; `build` makes them once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from operator import attrgetter

from attrs import evolve

from asset_client.core.list_decode import decode_volume_page, volume_identity
from asset_client.core.list_query import (
    VolumeQuery,
    build_volume_body,
    validate_volume_query,
    volume_window,
)
from asset_client.core.signing import VOLUME_PATH
from asset_client.core.walk import Order
from asset_client.endpoints.base import PARTNER_LIMITS, Endpoint, WireRequest
from asset_client.records import DailyVolume, VolumePage

__all__ = ["VOLUME"]


def _build(query: VolumeQuery, page_no: int, page_size: int) -> WireRequest:
    return WireRequest("POST", VOLUME_PATH, body=build_volume_body(query, page_no, page_size))


#: The volume API's own default when no dates are sent: "30 days ago" to "today".
DEFAULT_DAYS = 30


def _last_days(query: VolumeQuery, now: datetime, server_tz: tzinfo) -> VolumeQuery:
    """An open day bound filled with the API's default: the last 30 days, server time."""
    since, until = volume_window(DEFAULT_DAYS, now, server_tz)
    return evolve(
        query,
        start_date=query.start_date or since.isoformat(),
        end_date=query.end_date or until.isoformat(),
    )


def _decode(
    data: object, page_no: int, page_size: int, server_tz: tzinfo, secrets: Sequence[str] = ()
) -> VolumePage:
    return decode_volume_page(data, page_no=page_no, page_size=page_size, secrets=secrets)


VOLUME: Endpoint[VolumeQuery, DailyVolume, VolumePage] = Endpoint(
    name="volume",
    path=VOLUME_PATH,
    method="POST",
    record_type=DailyVolume,
    validate=validate_volume_query,
    build=_build,
    decode=_decode,
    # trade day descending, then "by id" (direction undocumented); one record per uid a day.
    order=Order(
        identity=volume_identity, sort_key=attrgetter("day"), descending=True, noun="(uid, day)"
    ),
    limits=PARTNER_LIMITS,
    limit_bucket="volume",
    key_fields=("uid", "day"),
    sort_field="day",
    window_filters=("start_date", "end_date"),
    open_window=_last_days,
)
