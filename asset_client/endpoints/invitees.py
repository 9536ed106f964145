"""Get Directly Invited User List: GET, newest registration first.

Sharp edge: without a window the server answers for the current month only; the client
always sends one (see `asset_client._partner_query.resolve_invitee_window`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from operator import attrgetter

from asset_client._partner_decode import decode_invitee_page
from asset_client._partner_models import Invitee, InviteePage
from asset_client._partner_query import InviteeQuery, build_invitee_params, validate_invitee_query
from asset_client._signing import INVITEES_PATH
from asset_client._walk import Order
from asset_client.endpoints.base import Endpoint, PageLimits, WireRequest

__all__ = ["INVITEES"]


def _build(query: InviteeQuery, page_no: int, page_size: int) -> WireRequest:
    return WireRequest("GET", INVITEES_PATH, tuple(build_invitee_params(query, page_no, page_size)))


def _decode(
    data: object, page_no: int, page_size: int, server_tz: tzinfo, secrets: Sequence[str] = ()
) -> InviteePage:
    return decode_invitee_page(
        data, page_no=page_no, page_size=page_size, server_tz=server_tz, secrets=secrets
    )


INVITEES: Endpoint[InviteeQuery, Invitee, InviteePage] = Endpoint(
    name="invitees",
    path=INVITEES_PATH,
    method="GET",
    record_type=Invitee,
    validate=validate_invitee_query,
    build=_build,
    decode=_decode,
    # registerTime descending, then "by id" (which way is undocumented: ties are told
    # apart by uid, never by position).
    order=Order(
        identity=attrgetter("uid"),
        sort_key=attrgetter("register_time"),
        descending=True,
        noun="uid",
    ),
    limits=PageLimits(default=1000, fallback=100, max=1000, single=100),
    limit_bucket="invitees",
)
