"""Get Direct Invitee User Asset: GET, uid ascending (a time window filters the totals)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from operator import attrgetter

from asset_client._decode import decode_page
from asset_client._models import AssetPage, InviteeAsset
from asset_client._query import AssetQuery, build_query, validate_query
from asset_client._signing import ASSETS_PATH
from asset_client._walk import Order
from asset_client.endpoints.base import Endpoint, PageLimits, WireRequest

__all__ = ["ASSETS"]


def _build(query: AssetQuery, page_no: int, page_size: int) -> WireRequest:
    return WireRequest("GET", ASSETS_PATH, tuple(build_query(query, page_no, page_size)))


def _decode(
    data: object, page_no: int, page_size: int, server_tz: tzinfo, secrets: Sequence[str] = ()
) -> AssetPage:
    return decode_page(
        data, page_no=page_no, page_size=page_size, server_tz=server_tz, secrets=secrets
    )


ASSETS: Endpoint[AssetQuery, InviteeAsset, AssetPage] = Endpoint(
    name="assets",
    path=ASSETS_PATH,
    method="GET",
    record_type=InviteeAsset,
    validate=validate_query,
    build=_build,
    decode=_decode,
    # uid ascending, and a uid names one invitee.
    order=Order(identity=attrgetter("uid"), sort_key=attrgetter("uid"), unique=True, noun="uid"),
    # The docs give 1000 and 100 as the maximum: ask 1000, fall back to 100 if refused.
    limits=PageLimits(default=1000, fallback=100, max=1000, single=100),
    limit_bucket="assets",
)
