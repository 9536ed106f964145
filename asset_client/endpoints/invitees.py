"""Get Directly Invited User List: GET, newest registration first.

Sharp edge: without a window the server answers for the current month only; the client
always sends one (see `asset_client.core.list_query.resolve_invitee_window`).
"""

from __future__ import annotations

from operator import attrgetter

from asset_client.core.list_decode import decode_invitee_page
from asset_client.core.list_query import (
    InviteeQuery,
    build_invitee_params,
    resolve_invitee_window,
    validate_invitee_query,
)
from asset_client.core.signing import INVITEES_PATH
from asset_client.core.walk import Order
from asset_client.endpoints.base import PARTNER_LIMITS, Endpoint, get_request, keyword_decoder
from asset_client.records import Invitee, InviteePage

__all__ = ["INVITEES"]


INVITEES: Endpoint[InviteeQuery, Invitee, InviteePage] = Endpoint(
    name="invitees",
    path=INVITEES_PATH,
    method="GET",
    record_type=Invitee,
    validate=validate_invitee_query,
    build=get_request(INVITEES_PATH, build_invitee_params),
    decode=keyword_decoder(decode_invitee_page),
    # registerTime descending, then "by id" (which way is undocumented: ties are told
    # apart by uid, never by position).
    order=Order(
        identity=attrgetter("uid"),
        sort_key=attrgetter("register_time"),
        descending=True,
        noun="uid",
    ),
    limits=PARTNER_LIMITS,
    limit_bucket="invitees",
    key_fields=("uid",),
    sort_field="register_time",
    window_filters=("start_time", "end_time"),
    # Without a window the server answers for the current month only: always send one,
    # frozen when the walk starts.
    prepare=resolve_invitee_window,
)
