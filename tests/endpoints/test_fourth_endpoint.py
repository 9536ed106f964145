"""A fourth endpoint, defined in this file alone, gets everything the three shipped ones get
from `AssetClient`: a signed, limited single page, a full walk (its own order, ties told
apart by identity, its page-size fallback remembered), and a resumed walk.

Nothing here is known to the package: the path, the parameters and their validation, the
record class, the order, the page limits, the decoder, and the server (aiohttp.web on
127.0.0.1) that refuses pages above 5 records and checks every signature.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, timedelta, tzinfo
from decimal import Decimal
from operator import attrgetter
from typing import Any

import pytest
from aiohttp import web
from attrs import frozen

from asset_client import AssetClient, InvalidParameterError, RateLimit, Resume
from asset_client.core.query import decoded_query_string
from asset_client.core.signing import sign
from asset_client.core.walk import Order
from asset_client.endpoints.base import Endpoint, PageLimits, get_request

PATH = "/api/v3/test/partner/rebates"
API_KEY = "fourth-endpoint-key"
SECRET = "fourth-endpoint-secret"
SERVER_MAX = 5  # the server refuses a larger page with code 1, as CoinW may


# -- the endpoint, as data ---------------------------------------------------------------------


@frozen
class Rebate:
    uid: int
    day: date
    amount: Decimal


@frozen
class RebatePage:
    page_no: int
    page_size: int
    total: int
    items: tuple[Rebate, ...]


@frozen
class RebateQuery:
    min_amount: Decimal = Decimal(0)


def validate(*, min_amount: object = 0, server_tz: tzinfo) -> RebateQuery:
    if isinstance(min_amount, bool) or not isinstance(min_amount, int | Decimal):
        raise InvalidParameterError(f"min_amount must be a number, got {min_amount!r}")
    return RebateQuery(Decimal(min_amount))


def params(query: RebateQuery, page_no: int, page_size: int) -> list[tuple[str, str]]:
    return [("minAmount", str(query.min_amount)), ("page", str(page_no)), ("size", str(page_size))]


def decode(
    data: object, page_no: int, page_size: int, _tz: tzinfo, _secrets: Sequence[str]
) -> RebatePage:
    assert isinstance(data, dict)
    rows = tuple(
        Rebate(int(r["uid"]), date.fromisoformat(r["day"]), Decimal(r["amount"]))
        for r in data["rows"]
    )
    return RebatePage(page_no, page_size, int(data["count"]), rows)


REBATES: Endpoint[RebateQuery, Rebate, RebatePage] = Endpoint(
    name="rebates",
    path=PATH,
    method="GET",
    record_type=Rebate,
    validate=validate,
    build=get_request(PATH, params),
    decode=decode,
    # Day ascending, then uid: several invitees share a day, so ties are told by identity.
    order=Order(identity=lambda r: (r.uid, r.day), sort_key=attrgetter("day"), noun="(uid, day)"),
    limits=PageLimits(default=7, fallback=3, max=7, single=5),
    limit_bucket="rebates",
    key_fields=("uid", "day"),
    sort_field="day",
)


# -- its server ---------------------------------------------------------------------------------

FIRST_DAY = date(2026, 3, 1)
ROWS: list[dict[str, Any]] = [
    {"uid": uid, "day": (FIRST_DAY + timedelta(days=day)).isoformat(), "amount": f"{uid % 7}.5"}
    for day, uid in itertools.product(range(8), (101, 205, 309))
    if (day + uid) % 4  # some days have three rows, some two
]


class RebateServer:
    def __init__(self) -> None:
        self.sizes: list[int] = []  # every pageSize asked for, in order

    async def handle(self, request: web.Request) -> web.Response:
        query = list(request.query.items())
        ts = request.headers["timestamp"]
        if request.headers["sign"] != sign(SECRET, ts, "GET", PATH, decoded_query_string(query)):
            return web.json_response({"code": 6001, "msg": "invalid signature"})
        page, size = int(request.query["page"]), int(request.query["size"])
        self.sizes.append(size)
        if size > SERVER_MAX:
            return web.json_response({"code": 1, "msg": "size too large"})
        least = Decimal(request.query["minAmount"])
        rows = [r for r in ROWS if Decimal(r["amount"]) >= least]
        chunk = rows[(page - 1) * size : page * size]
        return web.json_response({"code": "0", "data": {"count": len(rows), "rows": chunk}})


@pytest.fixture
async def served() -> AsyncIterator[tuple[RebateServer, AssetClient]]:
    server = RebateServer()
    app = web.Application()
    app.router.add_get(PATH, server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    fast = RateLimit(requests=100, period=0.1, margin=0.0)
    try:
        async with AssetClient(
            API_KEY, SECRET, base_url=f"http://127.0.0.1:{port}", rate_limit=fast
        ) as client:
            yield server, client
    finally:
        await runner.cleanup()


def expected(min_amount: Decimal = Decimal(0)) -> list[Rebate]:
    rows = [r for r in ROWS if Decimal(r["amount"]) >= min_amount]
    return list(decode({"count": len(rows), "rows": rows}, 1, len(rows), UTC, ()).items)


async def walked(walk: AsyncIterator[Any]) -> list[Any]:
    return [record async for record in walk]


# -- what it gets --------------------------------------------------------------------------------


async def test_a_single_page_is_signed_checked_and_decoded(
    served: tuple[RebateServer, AssetClient],
) -> None:
    server, client = served
    page = await client.get_page(REBATES, page_no=2)
    assert page.items == tuple(expected()[5:10]) and page.total == len(ROWS)
    assert server.sizes == [REBATES.limits.single]
    with pytest.raises(InvalidParameterError, match="min_amount"):
        await client.get_page(REBATES, min_amount="lots")
    with pytest.raises(InvalidParameterError, match="page_size"):
        await client.get_page(REBATES, page_size=8)
    with pytest.raises(InvalidParameterError, match=r"rebates: .*'quote'"):
        client.walk(REBATES, quote="usdt")  # a filter of another endpoint
    assert server.sizes == [REBATES.limits.single]  # nothing refused was sent


async def test_a_full_walk_falls_back_once_and_remembers_the_size(
    served: tuple[RebateServer, AssetClient],
) -> None:
    server, client = served
    walk = client.walk(REBATES)
    assert await walked(walk) == expected()
    assert walk.stats.records == len(ROWS) and walk.stats.expected_total == len(ROWS)
    assert server.sizes[0] == 7 and set(server.sizes[1:]) == {3}  # refused, then the fallback
    server.sizes.clear()
    filtered = Decimal("3")
    assert await walked(client.walk(REBATES, min_amount=filtered)) == expected(filtered)
    assert set(server.sizes) == {3}  # this endpoint's fallback is remembered


@pytest.mark.parametrize("had", [1, 4, 9, len(ROWS) - 1, len(ROWS)])
async def test_a_resumed_walk_yields_exactly_the_rest(
    served: tuple[RebateServer, AssetClient], had: int
) -> None:
    _, client = served
    everything = expected()
    last = everything[had - 1]
    tied = frozenset(REBATES.order.identity(r) for r in everything[:had] if r.day == last.day)
    resume = Resume(after=last.day, had=had, tied=tied)
    walk = client.walk(REBATES, page_size=3, resume=resume)
    assert await walked(walk) == everything[had:]
    # Whole pages before the resume point are skipped, not fetched again.
    assert walk.stats.requests <= -(-(len(ROWS) - had + 3) // 3) + 1
