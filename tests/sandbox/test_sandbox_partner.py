"""The sandbox's invitee list and trading volume over real HTTP, from one population."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from typing import Any

import aiohttp
import attrs
import pytest

from asset_client.core.signing import ASSETS_PATH, INVITEES_PATH, VOLUME_PATH, sign, sign_body
from asset_client.sandbox import Fault, FaultConfig, Sandbox, SandboxConfig, run_sandbox
from tests._helpers import FakeClock, signed_get

NOW = datetime(2026, 6, 15, 12, 0, 0)
Params = Sequence[tuple[str, str]]


@attrs.define
class Caller:
    sandbox: Sandbox
    session: aiohttp.ClientSession

    async def get(self, path: str, params: Params = ()) -> tuple[int, Any]:
        url, headers = signed_get(
            self.sandbox.base_url,
            path,
            params,
            api_key=self.sandbox.api_key,
            secret_key=self.sandbox.secret_key,
        )
        async with self.session.get(url, headers=headers) as response:
            return response.status, await _json_or_text(response)

    async def post(self, body: bytes, *, signed_body: bytes | None = None) -> tuple[int, Any]:
        ts = str(int(time.time() * 1000))
        signed = body if signed_body is None else signed_body
        headers = {
            "api_key": self.sandbox.api_key,
            "timestamp": ts,
            "sign": sign_body(self.sandbox.secret_key, ts, VOLUME_PATH, signed),
            "Content-Type": "application/json",
        }
        url = self.sandbox.base_url + VOLUME_PATH
        async with self.session.post(url, data=body, headers=headers) as response:
            return response.status, await _json_or_text(response)

    async def invitees(self, params: Params = ()) -> dict[str, Any]:
        status, answer = await self.get(INVITEES_PATH, params)
        assert status == 200 and answer["code"] == "0", answer
        data: dict[str, Any] = answer["data"]
        return data

    async def volumes(self, payload: dict[str, Any]) -> dict[str, Any]:
        status, answer = await self.post(json.dumps(payload).encode())
        assert status == 200 and answer["code"] == "0", answer
        data: dict[str, Any] = answer["data"]
        return data


async def _json_or_text(response: aiohttp.ClientResponse) -> Any:
    text = await response.text()
    try:
        return json.loads(text)
    except ValueError:
        return text


@asynccontextmanager
async def serve(**kwargs: Any) -> AsyncIterator[Caller]:
    settings: dict[str, Any] = {"invitees": 300, "rate_limit": 10_000, "partner_now": lambda: NOW}
    settings.update(kwargs)
    async with (
        run_sandbox(SandboxConfig(**settings)) as sandbox,
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as session,
    ):
        yield Caller(sandbox, session)


EVER = (("startTime", "2017-01-01 00:00:00"), ("endTime", "2026-06-15 12:00:00"))


# -- the invitee list -------------------------------------------------------------------------


async def test_list_without_window_is_only_the_current_month() -> None:
    async with serve() as c:
        data = await c.invitees([("pageSize", "1000")])
        everyone = await c.invitees([*EVER, ("pageSize", "1000")])
    month = [r for r in everyone["list"] if r["registerTime"].startswith("2026-06-")]
    assert 0 < data["total"] == len(month) < everyone["total"] == 300
    assert data["list"] == month


async def test_list_is_newest_first_then_uid_ascending_and_pages_consistently() -> None:
    async with serve() as c:
        c.sandbox.partner.register(3, at=datetime(2026, 6, 1, 9, 0, 0))  # a three-way tie
        pages = [await c.invitees([*EVER, ("pageNo", str(n)), ("pageSize", "7")]) for n in (1, 2)]
        full = await c.invitees([*EVER, ("pageSize", "1000")])
    rows = full["list"]
    keys = [(r["registerTime"], -r["uid"]) for r in rows]
    assert keys == sorted(keys, reverse=True)
    assert len({r["uid"] for r in rows}) == len(rows) == 303
    assert pages[0]["list"] + pages[1]["list"] == rows[:14]
    tie = [r["uid"] for r in rows if r["registerTime"] == "2026-06-01 09:00:00"]
    assert tie == sorted(tie) and len(tie) >= 3


async def test_list_is_the_assets_population() -> None:
    async with serve() as c:
        full = await c.invitees([*EVER, ("pageSize", "1000")])
        assets = c.sandbox.expected("usdt")
    assert sorted(r["uid"] for r in full["list"]) == [r["uid"] for r in assets]


async def test_list_filters_by_uid_and_referral_code() -> None:
    async with serve() as c:
        partner = c.sandbox.partner
        someone = partner.invitees(start=datetime(2017, 1, 1), end=NOW)[5]
        by_uid = await c.invitees([*EVER, ("uid", str(someone.uid))])
        by_code = await c.invitees([*EVER, ("referralCode", someone.referral_code)])
        nobody = await c.invitees([*EVER, ("referralCode", "NOSUCHCODE")])
    assert by_uid["list"] == [
        {"uid": someone.uid, "registerTime": someone.register_time.strftime("%Y-%m-%d %H:%M:%S")}
    ]
    assert someone.uid in {r["uid"] for r in by_code["list"]}
    assert 0 < by_code["total"] < 300
    assert nobody == {"total": 0, "list": []}


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ([("pageSize", "1001")], "pageSize"),
        ([("pageSize", "0")], "pageSize"),
        ([("pageNo", "x")], "pageNo"),
        ([("startTime", "2026-06-01")], "startTime"),
        ([("endTime", "2026-06-31 00:00:00")], "endTime"),
        ([("startTime", "2026-06-02 00:00:00"), ("endTime", "2026-06-01 00:00:00")], "startTime"),
        ([("uid", "1"), ("uid", "2")], "uid"),
        ([("referralCode", "")], "referralCode"),
    ],
)
async def test_list_bad_params_answer_code_1(params: Params, name: str) -> None:
    async with serve() as c:
        status, answer = await c.get(INVITEES_PATH, params)
    assert status == 200 and answer["code"] == 1 and f"{name}=" in answer["msg"]


async def test_list_signature_is_checked() -> None:
    async with serve() as c:
        # Signed for the assets path, sent to the list path.
        ts = str(int(time.time() * 1000))
        headers = {
            "api_key": c.sandbox.api_key,
            "timestamp": ts,
            "sign": sign(c.sandbox.secret_key, ts, "GET", ASSETS_PATH, ""),
        }
        async with c.session.get(c.sandbox.base_url + INVITEES_PATH, headers=headers) as r:
            answer = await r.json()
    assert answer["code"] == 6001


async def test_registration_mid_walk_shifts_later_pages_and_grows_total() -> None:
    async with serve() as c:
        first = await c.invitees([*EVER, ("pageSize", "10")])
        new = c.sandbox.partner.register(2, at=NOW - timedelta(seconds=1))
        second = await c.invitees([*EVER, ("pageNo", "2"), ("pageSize", "10")])
        again = await c.invitees([*EVER, ("pageSize", "10")])
    assert second["total"] == first["total"] + 2
    # The two newest moved onto page 1, pushing its last two records onto page 2.
    assert [r["uid"] for r in again["list"][:2]] == new
    assert second["list"][:2] == first["list"][-2:]


# -- the trading volume -----------------------------------------------------------------------


async def test_volume_defaults_to_the_past_30_days_newest_day_first() -> None:
    async with serve() as c:
        data = await c.volumes({"pageSize": 1000})
        wide = await c.volumes(
            {"pageSize": 1000, "startTime": "2026-01-01", "endTime": "2026-06-15"}
        )
    since = (NOW.date() - timedelta(days=30)).isoformat()
    recent = [r for r in wide["list"] if r["time"] >= since]
    assert data["list"] == recent and 0 < data["total"] < wide["total"]
    keys = [(r["time"], -r["uid"]) for r in wide["list"]]
    assert keys == sorted(keys, reverse=True)
    assert len({(r["uid"], r["time"]) for r in wide["list"]}) == len(wide["list"])


async def test_volume_respects_dates_uid_and_pages() -> None:
    async with serve() as c:
        wide = await c.volumes(
            {"pageSize": 1000, "startTime": "2026-05-01", "endTime": "2026-05-31"}
        )
        uid = wide["list"][0]["uid"]
        one = await c.volumes({"uid": uid, "startTime": "2026-05-01", "endTime": "2026-05-31"})
        page2 = await c.volumes(
            {"pageNo": 2, "pageSize": 5, "startTime": "2026-05-01", "endTime": "2026-05-31"}
        )
    assert all("2026-05-01" <= r["time"] <= "2026-05-31" for r in wide["list"])
    assert one["list"] == [r for r in wide["list"] if r["uid"] == uid]
    assert page2["list"] == wide["list"][5:10]


async def test_every_invitee_has_sparse_volume_only_after_registering() -> None:
    async with serve() as c:
        partner = c.sandbox.partner
        people = partner.by_uid()
        rows = partner.volumes(start=date(2000, 1, 1), end=NOW.date())
    traders = {uid for _, uid, _ in rows}
    assert 0 < len(traders) < len(people)
    assert all(day >= people[uid].register_time.date() for day, uid, _ in rows)


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b"not json",
        b'{"pageSize": 1001}',
        b'{"pageNo": true}',
        b'{"pageNo": 1.5}',
        b'{"startTime": "2026-05-01 00:00:00"}',
        b'{"startTime": "2026-05-02", "endTime": "2026-05-01"}',
    ],
)
async def test_volume_bad_body_answers_code_1(body: bytes) -> None:
    async with serve() as c:
        status, answer = await c.post(body)
    assert status == 200 and answer["code"] == 1, answer


@pytest.mark.parametrize(
    ("sent", "signed"),
    [
        (b'{"pageNo":1,"pageSize":100}', b'{"pageNo":1,"pageSize":10}'),
        (b'{"pageNo": 1, "pageSize": 100}', b'{"pageNo":1,"pageSize":100}'),  # re-serialised
        (b"", b"{}"),
    ],
)
async def test_volume_signature_must_cover_the_exact_body(sent: bytes, signed: bytes) -> None:
    async with serve() as c:
        _, answer = await c.post(sent, signed_body=signed)
        _, ok = await c.post(sent if sent else b"{}")
    assert answer["code"] == 6001, answer
    assert ok["code"] == "0"


async def test_volume_request_log_holds_the_body_fields_not_the_signature() -> None:
    async with serve() as c:
        await c.volumes({"pageNo": 1, "pageSize": 3})
        record = c.sandbox.stats.requests[-1]
    assert record.path == VOLUME_PATH
    assert record.params == (("pageNo", "1"), ("pageSize", "3"))


# -- limits and faults ------------------------------------------------------------------------


async def test_each_endpoint_has_its_own_five_per_second() -> None:
    clock = FakeClock()
    async with serve(rate_limit=5, clock=clock) as c:
        for _ in range(5):
            assert (await c.get(ASSETS_PATH))[1]["code"] == "0"
            assert (await c.get(INVITEES_PATH, EVER))[1]["code"] == "0"
            assert (await c.post(b"{}"))[1]["code"] == "0"
        sixth = [
            (await c.get(ASSETS_PATH))[1]["code"],
            (await c.get(INVITEES_PATH, EVER))[1]["code"],
            (await c.post(b"{}"))[1]["code"],
        ]
        clock.now += 1.0
        after = (await c.get(INVITEES_PATH, EVER))[1]["code"]
        stats = c.sandbox.stats
    assert sixth == [29001, 29001, 29001]
    assert after == "0"
    assert stats.max_in_window(path=INVITEES_PATH) == 6
    assert stats.rejected == 3


@pytest.mark.parametrize(
    ("fault", "check"),
    [
        (Fault.SERVER_ERROR_HTML, lambda s, a: s == 503 and "nginx" in a),
        (Fault.CODE_500, lambda s, a: a["code"] == 500),
        (Fault.RATE_LIMITED, lambda s, a: a["code"] == 29001),
        (Fault.TRUNCATED_JSON, lambda s, a: isinstance(a, str) and a.startswith('{"code"')),
        (Fault.EMPTY_BODY, lambda s, a: a == ""),
    ],
)
async def test_faults_apply_to_both_partner_endpoints(fault: Fault, check: Any) -> None:
    async with serve(faults=FaultConfig(script={1: fault, 2: fault})) as c:
        listed = await c.get(INVITEES_PATH, EVER)
        volume = await c.post(b"{}")
        clean = await c.post(b"{}")
    assert check(*listed) and check(*volume)
    assert clean[1]["code"] == "0"
