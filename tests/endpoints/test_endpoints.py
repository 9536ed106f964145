"""Endpoints are data: each description builds the exact request, and a new one is small."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, tzinfo
from operator import attrgetter

import pytest
from attrs import frozen

from asset_client import AssetClient, InvalidParameterError
from asset_client.core.list_query import InviteeQuery, VolumeQuery, build_invitee_params
from asset_client.core.query import AssetQuery, decoded_query_string
from asset_client.core.signing import INVITEES_PATH, VOLUME_PATH, sign, sign_body
from asset_client.core.walk import Order
from asset_client.endpoints import ASSETS, ENDPOINTS, INVITEES, VOLUME
from asset_client.endpoints.base import Endpoint, PageLimits, WireRequest, get_request
from asset_client.sandbox import SandboxConfig, run_sandbox


def test_catalogue_names_methods_and_buckets() -> None:
    assert {name: (e.method, e.limit_bucket) for name, e in ENDPOINTS.items()} == {
        "assets": ("GET", "assets"),
        "invitees": ("GET", "invitees"),
        "volume": ("POST", "volume"),
    }
    assert [e.order.descending for e in (ASSETS, INVITEES, VOLUME)] == [False, True, True]


def test_get_request_signs_its_decoded_query_and_sends_it_encoded() -> None:
    query = InviteeQuery(start_time="2017-01-01 00:00:00", end_time="2026-06-15 12:00:00")
    request = INVITEES.build(query, 2, 1000)
    params = build_invitee_params(query, 2, 1000)
    assert request == WireRequest("GET", INVITEES_PATH, tuple(params))
    assert request.url("https://h").endswith(
        "?startTime=2017-01-01%2000%3A00%3A00&endTime=2026-06-15%2012%3A00%3A00&pageNo=2&pageSize=1000"
    )
    assert request.signature("s", "1") == sign(
        "s", "1", "GET", INVITEES_PATH, decoded_query_string(params)
    )


def test_post_request_signs_the_body_it_carries() -> None:
    request = VOLUME.build(VolumeQuery(uid=123126704), 1, 100)
    assert request.body == b'{"pageNo":1,"pageSize":100,"uid":123126704}'
    assert request.url("https://h") == f"https://h{VOLUME_PATH}"
    assert request.signature("sk-test", "1700000000000") == (
        "yLYQHbdk1Tmqu70aarxRyEiv2djZ0FjAx7EPXLhjgf8="
    )
    assert request.signature("s", "1") == sign_body("s", "1", VOLUME_PATH, request.body)


def test_identities() -> None:
    page = VOLUME.decode(
        {"total": 1, "list": [{"uid": 3, "time": "2026-01-02", "volume": "1"}]}, 1, 10, UTC, ()
    )
    assert VOLUME.order.identity(page.items[0]) == (3, page.items[0].day)
    assert INVITEES.order.sort_key is not None and not INVITEES.order.unique
    assets = ASSETS.build(AssetQuery(), 1, 10)
    assert assets.method == "GET" and assets.body is None


def test_page_limits_check_names_the_field() -> None:
    with pytest.raises(InvalidParameterError, match="page_size must be an integer from 1 to 50"):
        PageLimits(default=50, fallback=None, max=50, single=10).check(51)


# -- a fourth endpoint in a dozen lines ------------------------------------------------------


@frozen
class Registered:
    uid: int


@frozen
class RegisteredPage:
    page_no: int
    page_size: int
    total: int
    items: tuple[Registered, ...]


def _decode_uids(
    data: object, page_no: int, page_size: int, _tz: tzinfo, _secrets: Sequence[str]
) -> RegisteredPage:
    assert isinstance(data, dict)
    items = tuple(Registered(int(r["uid"])) for r in data["list"])
    return RegisteredPage(page_no, page_size, int(data["total"]), items)


UIDS_ONLY: Endpoint[InviteeQuery, Registered, RegisteredPage] = Endpoint(
    name="uids",
    path=INVITEES_PATH,
    method="GET",
    record_type=Registered,
    validate=lambda **_: InviteeQuery(
        start_time="2017-01-01 00:00:00", end_time="2099-01-01 00:00:00"
    ),
    build=get_request(INVITEES_PATH, build_invitee_params),
    decode=_decode_uids,
    order=Order(identity=attrgetter("uid"), sort_key=attrgetter("uid"), unique=True),
    limits=PageLimits(default=100, fallback=None, max=1000, single=100),
    limit_bucket="invitees",
    key_fields=("uid",),
    sort_field="uid",
)


async def test_a_new_endpoint_is_fetched_by_the_public_generic_call() -> None:
    async with (
        run_sandbox(SandboxConfig(invitees=50)) as sandbox,
        AssetClient(sandbox.api_key, sandbox.secret_key, base_url=sandbox.base_url) as client,
    ):
        page = await client.get_page(UIDS_ONLY)
    assert page.total == 50 and len({r.uid for r in page.items}) == 50
