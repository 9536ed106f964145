"""A fourth endpoint, defined here alone, goes into the history with no change to the package.

Everything CoinW-specific lives in this file: the record (``Rebate``, keyed by uid and
coin), its page, its query, its `Endpoint` (path, method, parameters, decoder, order,
page limits) and a tiny aiohttp server on 127.0.0.1 serving it.  The store learns the
rest from the endpoint: its table and key, its value columns, its sums.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from operator import attrgetter
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from attrs import Factory, define, fields, frozen

from asset_client import AssetClient, RateLimit
from asset_client.core.walk import Order
from asset_client.endpoints.base import Endpoint, PageLimits, get_request
from asset_client.store import (
    Change,
    ChangeKind,
    HistoryEntry,
    Recording,
    Snapshot,
    SnapshotStatus,
    SnapshotStore,
)
from tests.conftest import SECRET

PATH = "/api/v1/partner/rebates"
ZONE = timezone(timedelta(hours=8))


@frozen
class Rebate:
    """What one invitee earned in one coin: the record of the fourth endpoint."""

    uid: int
    coin: str
    amount: Decimal
    paid_at: datetime | None = None


@frozen
class RebatePage:
    page_no: int
    page_size: int
    total: int
    items: tuple[Rebate, ...]


@frozen
class RebateQuery:
    """No filters: a snapshot is of every invitee."""


def _validate(*, server_tz: tzinfo) -> RebateQuery:
    return RebateQuery()


def _params(query: RebateQuery, page_no: int, page_size: int) -> list[tuple[str, str]]:
    return [("pageNo", str(page_no)), ("pageSize", str(page_size))]


def _decode(
    data: object, page_no: int, page_size: int, server_tz: tzinfo, secrets: Sequence[str] = ()
) -> RebatePage:
    assert isinstance(data, dict)
    items = tuple(
        Rebate(
            uid=int(row["uid"]),
            coin=str(row["coin"]),
            amount=Decimal(row["amount"]),
            paid_at=None
            if row["paidAt"] is None
            else datetime.fromisoformat(row["paidAt"]).replace(tzinfo=server_tz),
        )
        for row in data["list"]
    )
    return RebatePage(page_no, page_size, int(data["total"]), items)


REBATES: Endpoint[RebateQuery, Rebate, RebatePage] = Endpoint(
    name="rebates",
    path=PATH,
    method="GET",
    record_type=Rebate,
    validate=_validate,
    build=get_request(PATH, _params),
    decode=_decode,
    # uid ascending; one uid has a row per coin, told apart by (uid, coin).
    order=Order(identity=attrgetter("uid", "coin"), sort_key=attrgetter("uid"), noun="rebate"),
    # Small pages, so one sync walks several.
    limits=PageLimits(default=2, fallback=None, max=50, single=2),
    limit_bucket="rebates",
    key_fields=("uid", "coin"),
    sort_field="uid",
)


# -- the server ------------------------------------------------------------------------------

DAY_ONE: list[dict[str, Any]] = [
    {"uid": 1, "coin": "btc", "amount": "0.10", "paidAt": None},
    {"uid": 1, "coin": "usdt", "amount": "10.5", "paidAt": "2026-11-26 08:00:00"},
    {"uid": 2, "coin": "usdt", "amount": "3", "paidAt": "2026-11-26 09:30:00"},
    {"uid": 3, "coin": "eth", "amount": "1.000", "paidAt": "2026-11-25 23:00:00"},
    {"uid": 5, "coin": "usdt", "amount": "7", "paidAt": None},
]
#: The next day: uid 1's usdt grew, its btc is gone, uid 4 earned doge, uid 5 got paid.
DAY_TWO: list[dict[str, Any]] = [
    {"uid": 1, "coin": "usdt", "amount": "11.25", "paidAt": "2026-11-27 08:00:00"},
    DAY_ONE[2],
    DAY_ONE[3],
    {"uid": 4, "coin": "doge", "amount": "42", "paidAt": "2026-11-27 10:00:00"},
    {"uid": 5, "coin": "usdt", "amount": "7", "paidAt": "2026-11-27 11:00:00"},
]


@define
class _Server:
    rows: list[dict[str, Any]]  #: what it serves now
    requests: list[int] = Factory(list)  #: the page numbers asked for
    base_url: str = ""


_SERVER = web.AppKey("server", _Server)


async def _page(request: web.Request) -> web.Response:
    server = request.app[_SERVER]
    page_no, size = int(request.query["pageNo"]), int(request.query["pageSize"])
    server.requests.append(page_no)
    rows = server.rows
    return web.json_response(
        {
            "code": 200,
            "msg": "ok",
            "data": {"total": len(rows), "list": rows[(page_no - 1) * size : page_no * size]},
        }
    )


@pytest.fixture
async def server() -> AsyncIterator[_Server]:
    app = web.Application()
    app[_SERVER] = served = _Server(DAY_ONE)
    app.router.add_get(PATH, _page)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    served.base_url = f"http://{host}:{port}"
    try:
        yield served
    finally:
        await runner.cleanup()


def _client(api_key: str, server: _Server) -> AssetClient:
    return AssetClient(
        api_key,
        SECRET,
        base_url=server.base_url,
        rate_limit=RateLimit(requests=50, period=0.1, margin=0.0025),
        server_timezone=ZONE,
    )


# -- the tests -------------------------------------------------------------------------------


#: The changes from day one to day two: (key, kind, before, after).
DAY_TWO_CHANGES = [
    ((1, "btc"), ChangeKind.GONE, {"amount": "0.10", "paid_at": None}, None),
    (
        (1, "usdt"),
        ChangeKind.CHANGED,
        {"amount": "10.5", "paid_at": "2026-11-26T08:00:00+08:00"},
        {"amount": "11.25", "paid_at": "2026-11-27T08:00:00+08:00"},
    ),
    ((4, "doge"), ChangeKind.NEW, None, {"amount": "42", "paid_at": "2026-11-27T10:00:00+08:00"}),
    (
        (5, "usdt"),
        ChangeKind.CHANGED,
        {"amount": "7", "paid_at": None},
        {"amount": "7", "paid_at": "2026-11-27T11:00:00+08:00"},
    ),
]


async def _two_syncs(
    db: Path, api_key: str, server: _Server
) -> tuple[Snapshot, Snapshot, list[Change], list[HistoryEntry]]:
    """Day one, then (the server's data changed) day two; the changes and uid 1's history."""
    async with await SnapshotStore.open(db) as store, _client(api_key, server) as client:
        first = (await store.sync_endpoints(client, [REBATES]))["rebates"]
        server.rows = DAY_TWO
        second = (await store.sync_endpoints(client, [Recording(endpoint=REBATES)]))["rebates"]
        changes = [c async for c in store.changes(dataset=REBATES)]
        history = await store.history(1, dataset=REBATES)
        assert await store.snapshots(dataset=REBATES) == [first, second]
    return first, second, changes, history


async def test_a_fourth_endpoint_syncs_twice_and_reads_back_its_changes_and_history(
    tmp_path: Path, api_key: str, server: _Server
) -> None:
    first, second, changes, history = await _two_syncs(tmp_path / "h.sqlite", api_key, server)
    assert server.requests == [1, 2, 3] * 2  # five rows in pages of two, twice
    assert first.series.dataset == "rebates" and first.series == second.series
    assert first.series.describe() == f"rebates from {server.base_url} (+08:00)"
    assert (first.records, first.new, first.changed, first.gone) == (5, 5, 0, 0)
    assert (second.records, second.new, second.changed, second.gone) == (5, 1, 2, 1)
    assert first.sums == {"amount": Decimal("21.600")}  # exact, digits as summed
    assert second.sums == {"amount": Decimal("64.25")} and second.requests == 3
    assert first.status is second.status is SnapshotStatus.COMPLETE

    assert [(c.key, c.kind, c.before, c.after) for c in changes] == DAY_TWO_CHANGES
    assert changes[1].uid == 1 and changes[1].keys == {"uid": 1, "coin": "usdt"}
    assert changes[1].after_record == Rebate(
        1, "usdt", Decimal("11.25"), datetime(2026, 11, 27, 8, tzinfo=ZONE)
    )
    assert changes[0].after_record is None and changes[0].before_record.amount == Decimal("0.10")
    with pytest.raises(ValueError, match="not an assets record"):
        _ = changes[0].before_asset

    assert [(e.key, e.since, e.until, e.values["amount"]) for e in history] == [
        ((1, "btc"), first.id, second.id, "0.10"),
        ((1, "usdt"), first.id, second.id, "10.5"),
        ((1, "usdt"), second.id, None, "11.25"),
    ]
    assert history[2].record == changes[1].after_record


async def test_a_fourth_endpoints_table_is_its_own_and_a_reader_reads_it(
    tmp_path: Path, api_key: str, server: _Server
) -> None:
    db = tmp_path / "h.sqlite"
    first, _, changes, _ = await _two_syncs(db, api_key, server)
    # Its table is the endpoint's name, keyed as the endpoint says; only changes stored.
    with sqlite3.connect(db) as conn:
        columns = [r[1] for r in conn.execute("PRAGMA table_info(rebates)")]
        (rows,) = conn.execute("SELECT count(*) FROM rebates").fetchone()
        (seen,) = conn.execute("SELECT count(*) FROM sync_seen_rebates").fetchone()
    assert columns == ["series_id", "uid", "coin", "valid_from", "valid_to", "amount", "paid_at"]
    assert (rows, seen) == (5 + 1 + 2, 0)
    # A reader (read-only, as the CLI opens) reads it the same way.
    async with await SnapshotStore.open(db, readonly=True) as store:
        since_first = [c async for c in store.changes(dataset=REBATES, since=first.id)]
        assert since_first == changes
        assert [e.key for e in await store.history(4, dataset=REBATES)] == [(4, "doge")]


async def test_a_failing_fourth_walk_keeps_nothing(
    tmp_path: Path, api_key: str, server: _Server
) -> None:
    async with await SnapshotStore.open(tmp_path / "h.sqlite") as store:
        async with _client(api_key, server) as client:
            await store.sync_endpoints(client, [REBATES])
            # A row without its amount: the decoder fails on the second page.
            server.rows = [*DAY_TWO[:3], {"uid": 9, "coin": "x", "paidAt": None}]
            with pytest.raises(KeyError):
                await store.sync_endpoints(client, [REBATES])
        snapshots = await store.snapshots(dataset=REBATES)
        changes = [c.key async for c in store.changes(dataset=REBATES)]
    assert [s.status for s in snapshots] == [SnapshotStatus.COMPLETE, SnapshotStatus.FAILED]
    assert changes == [tuple(r[k] for k in ("uid", "coin")) for r in DAY_ONE]  # still the first


@frozen
class _NoUid:
    coin: str
    amount: Decimal


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": "series"}, "cannot be called 'series'"),
        ({"name": "Rebates!"}, "cannot be called"),
        ({"key_fields": ("coin",)}, "starts with an int uid"),
        ({"key_fields": ("uid", "coin", "amount", "paid_at")}, "a field besides its key"),
        ({"record_type": _NoUid, "key_fields": ("coin",)}, "starts with an int uid"),
        ({"key_fields": ("uid", "currency")}, r"\['currency'\] are not fields"),
    ],
)
async def test_an_endpoint_the_history_cannot_keep_is_refused_before_any_request(
    tmp_path: Path, api_key: str, server: _Server, change: dict[str, Any], message: str
) -> None:
    endpoint = Endpoint(**{**_fields(REBATES), **change})
    async with await SnapshotStore.open(tmp_path / "h.sqlite") as store:
        async with _client(api_key, server) as client:
            with pytest.raises(ValueError, match=message):
                await store.sync_endpoints(client, [endpoint])
        assert await store.snapshots() == []
    assert server.requests == []


def _fields(endpoint: Endpoint[Any, Any, Any]) -> dict[str, Any]:
    return {a.name: getattr(endpoint, a.name) for a in fields(type(endpoint))}


async def test_filters_a_series_cannot_name_are_refused(
    tmp_path: Path, api_key: str, server: _Server
) -> None:
    async with (
        await SnapshotStore.open(tmp_path / "h.sqlite") as store,
        _client(api_key, server) as client,
    ):
        with pytest.raises(ValueError, match="only the filters a series names"):
            await store.sync_endpoints(
                client, [Recording(endpoint=REBATES, filters={"coin": "usdt"})]
            )
    assert server.requests == []
