"""Get Direct Invitee User Asset: GET, uid ascending (a time window filters the totals)."""

from __future__ import annotations

from operator import attrgetter

from asset_client.core.decode import decode_page
from asset_client.core.query import AssetQuery, build_query, validate_query
from asset_client.core.signing import ASSETS_PATH
from asset_client.core.walk import Order
from asset_client.endpoints.base import PARTNER_LIMITS, Endpoint, get_request, keyword_decoder
from asset_client.records import AssetPage, InviteeAsset

__all__ = ["ASSETS"]


ASSETS: Endpoint[AssetQuery, InviteeAsset, AssetPage] = Endpoint(
    name="assets",
    path=ASSETS_PATH,
    method="GET",
    record_type=InviteeAsset,
    validate=validate_query,
    build=get_request(ASSETS_PATH, build_query),
    decode=keyword_decoder(decode_page),
    # uid ascending, and a uid names one invitee.
    order=Order(identity=attrgetter("uid"), sort_key=attrgetter("uid"), unique=True, noun="uid"),
    limits=PARTNER_LIMITS,
    limit_bucket="assets",
    key_fields=("uid",),
    sort_field="uid",
    window_filters=("start_time", "end_time"),
)
