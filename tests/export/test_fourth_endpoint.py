"""The proof that export is generic over `Endpoint`: a fourth endpoint, defined here alone
(its record, its spec, its own little server), is exported, interrupted and resumed to the
very bytes of an uninterrupted run, with no change to the package."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from operator import attrgetter
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from attrs import frozen

from asset_client import InvalidParameterError, ServerError
from asset_client.core.walk import Order
from asset_client.endpoints import Endpoint, PageLimits
from asset_client.endpoints.base import get_request
from asset_client.export.rows import OutputFormat
from asset_client.export.run import Credentials, ExportSettings, ExportState, run_export
from asset_client.limit.limiter import RateLimit

PATH = "/v1/partner/rebates"
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
FAST = RateLimit(requests=50, period=0.1, margin=0.0025)


# -- the endpoint, as data ------------------------------------------------------------------


@frozen
class Rebate:
    """One rebate paid to an invitee: several a day, told apart by (uid, day, seq)."""

    uid: int
    day: date
    seq: int
    amount: Decimal
    memo: str | None = None


@frozen
class RebatePage:
    page_no: int
    page_size: int
    total: int
    items: tuple[Rebate, ...]


@frozen
class RebateQuery:
    uid: int | None = None
    since: str | None = None
    until: str | None = None


def _day(value: object, name: str) -> str | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise InvalidParameterError(f"{name} must be a day, got {value!r}", field=name) from None


def validate(
    *, uid: object = None, since: object = None, until: object = None, server_tz: tzinfo
) -> RebateQuery:
    if uid is not None and not isinstance(uid, int):
        raise InvalidParameterError(f"uid must be an integer, got {uid!r}", field="uid")
    return RebateQuery(uid=uid, since=_day(since, "since"), until=_day(until, "until"))


def prepare(query: RebateQuery, now: datetime, zone: tzinfo) -> RebateQuery:
    """An open window is 2026 up to today, frozen when the walk starts."""
    until = query.until or now.astimezone(zone).date().isoformat()
    return RebateQuery(uid=query.uid, since=query.since or "2026-01-01", until=until)


def params(query: RebateQuery, page_no: int, page_size: int) -> list[tuple[str, str]]:
    pairs = [(name, str(getattr(query, name))) for name in ("uid", "since", "until")]
    present = [(name, value) for name, value in pairs if value != "None"]
    return [*present, ("pageNo", str(page_no)), ("pageSize", str(page_size))]


def decode(
    data: object, page_no: int, page_size: int, _tz: tzinfo, _secrets: Sequence[str] = ()
) -> RebatePage:
    assert isinstance(data, dict)
    items = tuple(
        Rebate(
            uid=int(item["uid"]),
            day=date.fromisoformat(item["day"]),
            seq=int(item["seq"]),
            amount=Decimal(item["amount"]),
            memo=item["memo"],
        )
        for item in data["list"]
    )
    return RebatePage(page_no, page_size, int(data["total"]), items)


REBATES: Endpoint[RebateQuery, Rebate, RebatePage] = Endpoint(
    name="rebates",
    path=PATH,
    method="GET",
    record_type=Rebate,
    validate=validate,
    build=get_request(PATH, params),
    decode=decode,
    # newest day first, then by (uid, seq): ties in the day are told apart by identity
    order=Order(
        identity=attrgetter("uid", "day", "seq"), sort_key=attrgetter("day"), descending=True
    ),
    limits=PageLimits(default=7, fallback=None, max=50, single=7),
    limit_bucket="rebates",
    key_fields=("uid", "day", "seq"),
    sort_field="day",
    window_filters=("since", "until"),
    prepare=prepare,
)


# -- its server --------------------------------------------------------------------------


def _rebates() -> list[dict[str, Any]]:
    """Ten days of six rebates each (three invitees, two a day): pages of 7 cut ties."""
    rows = []
    for day in range(10, 0, -1):
        for uid in (101, 102, 103):
            for seq in (1, 2):
                amount = Decimal(uid * seq).scaleb(-day) + Decimal("0.1")
                memo = None if (day + uid + seq) % 3 else f'bonus, "day"\n{day}'
                rows.append(
                    {
                        "uid": uid,
                        "day": date(2026, 6, day).isoformat(),
                        "seq": seq,
                        "amount": format(amount, "f"),
                        "memo": memo,
                    }
                )
    return rows


class RebateServer:
    def __init__(self) -> None:
        self.data = _rebates()
        self.fail_page: int | None = None  # answered once with a 500
        self.requests: list[dict[str, str]] = []

    async def handle(self, request: web.Request) -> web.Response:
        query = request.query
        self.requests.append(dict(query))
        if query["pageNo"] == str(self.fail_page):
            self.fail_page = None
            return web.json_response({"code": 500, "msg": "try later"}, status=500)
        rows = [r for r in self.data if query["since"] <= r["day"] <= query["until"]]
        page_no, size = int(query["pageNo"]), int(query["pageSize"])
        page = rows[(page_no - 1) * size : page_no * size]
        return web.json_response({"code": 200, "data": {"total": len(rows), "list": page}})


@pytest.fixture
async def server() -> AsyncIterator[tuple[RebateServer, str]]:
    rebates = RebateServer()
    app = web.Application()
    app.router.add_get(PATH, rebates.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield rebates, f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# -- exported, interrupted, resumed -------------------------------------------------------


async def export(base_url: str, out: Path, fmt: OutputFormat, **overrides: Any) -> str:
    settings = ExportSettings(
        endpoint=REBATES,
        filters={"uid": None},
        out=out,
        fmt=fmt,
        base_url=base_url,
        server_timezone=UTC,
        rate=FAST,
        **overrides,
    )
    err = io.StringIO()
    await run_export(
        settings,
        Credentials(api_key="rebates-key", secret_key="rebates-secret"),
        stdout=io.BytesIO(),
        stderr=err,
        state=ExportState(),
        now=NOW,
    )
    return err.getvalue()


@pytest.mark.parametrize("fmt", [OutputFormat.CSV, OutputFormat.JSONL])
async def test_a_fourth_endpoint_exports_and_resumes_to_the_same_bytes(
    server: tuple[RebateServer, str], tmp_path: Path, fmt: OutputFormat
) -> None:
    rebates, base_url = server
    clean = tmp_path / f"clean.{fmt}"
    await export(base_url, clean, fmt)
    assert rebates.requests[0]["until"] == "2026-06-15"  # the window frozen at NOW

    out = tmp_path / f"out.{fmt}"
    rebates.fail_page = 5
    with pytest.raises(ServerError):
        await export(base_url, out, fmt, max_retries=0)
    assert not out.exists()
    checkpoint = json.loads((tmp_path / f"out.{fmt}.checkpoint.json").read_text())
    saved = checkpoint["records"]
    assert saved == 4 * 7  # pages 1 to 4, in order: it stopped inside a day's six ties
    assert checkpoint["params"]["dataset"] == "rebates"
    assert checkpoint["window"] == ["2026-01-01", "2026-06-15"]
    assert set(checkpoint["sums"]) == {"amount"}  # its own amounts, exact

    # The data moves on: a rebate on a new day lies outside the frozen window.
    rebates.data.insert(0, {**rebates.data[0], "day": "2026-06-20", "seq": 9})
    before = len(rebates.requests)
    err = await export(base_url, out, fmt, resume=True)
    assert f": {saved} records already written (last day 2026-06-" in err
    assert out.read_bytes() == clean.read_bytes()
    assert names(tmp_path) == [clean.name, out.name]
    # It resumed where it stopped: not from page 1.
    assert "1" not in {r["pageNo"] for r in rebates.requests[before:]}
