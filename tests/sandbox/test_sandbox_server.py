"""The sandbox over real HTTP: signing, limits, params, paging, faults, growth."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote

import aiohttp
import attrs
import pytest
import yarl

from asset_client.core.signing import ASSETS_PATH, sign
from asset_client.sandbox import (
    DEMO_API_KEY,
    DEMO_SECRET_KEY,
    Fault,
    FaultConfig,
    Sandbox,
    SandboxConfig,
    run_sandbox,
)
from tests._helpers import FakeClock, signed_get

Params = Sequence[tuple[str, str]]


@attrs.define
class Reply:
    status: int
    headers: dict[str, str]
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


@attrs.define
class Caller:
    """Signs and sends requests the way CoinW's own clients do."""

    sandbox: Sandbox
    session: aiohttp.ClientSession

    async def get(
        self,
        params: Params = (),
        *,
        api_key: str | None = None,
        secret: str | None = None,
        timestamp: str | None = None,
        path: str = ASSETS_PATH,
    ) -> Reply:
        url, headers = signed_get(
            self.sandbox.base_url,
            path,
            params,
            api_key=api_key if api_key is not None else self.sandbox.api_key,
            secret_key=secret if secret is not None else self.sandbox.secret_key,
            timestamp=timestamp,
        )
        async with self.session.get(url, headers=headers) as response:
            return Reply(response.status, dict(response.headers), await response.text())

    async def page(self, params: Params = ()) -> dict[str, Any]:
        reply = await self.get(params)
        body = reply.json()
        assert reply.status == 200 and body["code"] == "0", reply
        data: dict[str, Any] = body["data"]
        return data


@asynccontextmanager
async def serve(config: SandboxConfig | None = None, **kwargs: Any) -> AsyncIterator[Caller]:
    """A sandbox (small population, roomy limit unless overridden) and a signed caller."""
    settings: dict[str, Any] = {"invitees": 120, "rate_limit": 10_000}
    settings.update(kwargs)
    # force_close: a fresh connection per request, so aiohttp never silently retries a GET
    # on a reused keep-alive connection that the sandbox reset.
    async with (
        run_sandbox(config or SandboxConfig(**settings)) as sandbox,
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as session,
    ):
        yield Caller(sandbox, session)


# -- envelope and auth ---------------------------------------------------------------------


async def test_signed_request_returns_documented_envelope() -> None:
    async with serve() as c:
        assert c.sandbox.base_url.startswith("http://127.0.0.1:")
        reply = await c.get([("quote", "usdt"), ("pageNo", "1"), ("pageSize", "20")])
        assert reply.status == 200
        assert reply.headers["Content-Type"].startswith("application/json")
        body = reply.json()
        assert body["code"] == "0" and body["msg"] == "success"
        assert body["data"]["total"] == 120
        records = body["data"]["list"]
        assert len(records) == 20
        assert records == c.sandbox.expected("usdt")[:20]
        assert isinstance(records[0]["uid"], int)
        assert isinstance(records[0]["totalDeposit"], str)
        record = c.sandbox.stats.requests[-1]
        assert (record.status, record.code, record.api_key) == (200, "0", DEMO_API_KEY)
        assert record.params == (("quote", "usdt"), ("pageNo", "1"), ("pageSize", "20"))
        assert c.sandbox.stats.accepted == 1


async def test_no_params_uses_defaults() -> None:
    async with serve() as c:
        data = await c.page()
        assert len(data["list"]) == 20  # default_page_size
        assert data["list"] == c.sandbox.expected()[:20]


async def test_demo_credentials_are_defaults() -> None:
    async with serve() as c:
        assert (c.sandbox.api_key, c.sandbox.secret_key) == (DEMO_API_KEY, DEMO_SECRET_KEY)


async def test_wrong_secret_fails_6001() -> None:
    async with serve() as c:
        reply = await c.get([("pageNo", "1")], secret="not-the-secret")
        assert reply.status == 200
        assert reply.json() == {"code": 6001, "msg": "invalid signature"}
        assert c.sandbox.stats.requests[-1].code == "6001"
        assert c.sandbox.stats.accepted == 0


async def test_unknown_key_fails() -> None:
    async with serve() as c:
        reply = await c.get(api_key="someone-else")
        assert reply.json()["code"] in (6000, 6001)


async def test_missing_headers_fail_6001() -> None:
    async with serve() as c, c.session.get(c.sandbox.base_url + ASSETS_PATH) as response:
        assert response.status == 200
        assert (await response.json())["code"] == 6001


async def test_stale_timestamp_fails_6001() -> None:
    async with serve() as c:
        stale = str(int((time.time() - 120) * 1000))
        assert (await c.get(timestamp=stale)).json()["code"] == 6001
        assert (await c.get(timestamp="1700000000")).json()["code"] == 6001  # 10 digits


async def test_signature_over_encoded_query_fails() -> None:
    # Signing the percent-encoded form is the classic mistake; the server must reject it.
    async with serve() as c:
        start = "2026-03-01 00:00:00"
        ts = str(int(time.time() * 1000))
        encoded = f"startTime={quote(start, safe='')}"
        bad = sign(c.sandbox.secret_key, ts, "GET", ASSETS_PATH, encoded)
        url = yarl.URL(f"{c.sandbox.base_url}{ASSETS_PATH}?{encoded}", encoded=True)
        headers = {"api_key": c.sandbox.api_key, "timestamp": ts, "sign": bad}
        async with c.session.get(url, headers=headers) as response:
            assert (await response.json())["code"] == 6001


async def test_time_window_signed_decoded_passes() -> None:
    async with serve() as c:
        params = [("startTime", "2026-03-01 00:00:00"), ("endTime", "2026-05-21 10:25:00")]
        data = await c.page(params)
        assert (
            data["list"]
            == c.sandbox.expected(start_time="2026-03-01 00:00:00", end_time="2026-05-21 10:25:00")[
                :20
            ]
        )
        assert c.sandbox.stats.requests[-1].params == tuple(params)


async def test_non_affiliate_key_gets_6003_with_message() -> None:
    async with serve(invitees=10, non_affiliate_keys={"plain-key": "plain-secret"}) as c:
        reply = await c.get(api_key="plain-key", secret="plain-secret")
        assert reply.json() == {
            "code": 6003,
            "message": "Your account is not recognized as an affiliate account.",
            "retry": False,
            "success": False,
        }
        # A wrong signature on that key is still just a bad signature.
        assert (await c.get(api_key="plain-key", secret="x")).json()["code"] == 6001


async def test_wrong_path_answers_code_500() -> None:
    async with serve() as c:
        reply = await c.get(path="/api/v3/patener/openapi/v1/partner/invitation/user/asset")
        assert reply.json() == {"code": 500, "msg": "Internal server error"}
        # counted and recorded like any request, so a storm on a wrong path shows
        [record] = c.sandbox.stats.requests
        assert record.code == "500" and not record.rate_limited


# -- rate limit ----------------------------------------------------------------------------


async def test_window_rejects_sixth_and_recovers() -> None:
    clock = FakeClock()
    async with serve(rate_limit=5, clock=clock) as c:
        for _ in range(5):
            assert (await c.get()).json()["code"] == "0"
            clock.now += 0.1
        reply = await c.get()  # 6th within the second that started at 1000.0
        assert reply.status == 200
        assert reply.json() == {"code": 29001, "msg": "API access frequently"}
        assert c.sandbox.stats.requests[-1].rate_limited
        clock.now = 1_001.51  # every earlier arrival (the rejected one too) has left
        assert (await c.get()).json()["code"] == "0"
        assert c.sandbox.stats.rejected == 1
        assert c.sandbox.stats.accepted == 6
        assert c.sandbox.stats.max_in_window(DEMO_API_KEY) == 6


async def test_rejected_requests_count_in_the_window() -> None:
    clock = FakeClock()
    async with serve(rate_limit=2, clock=clock) as c:
        assert (await c.get()).json()["code"] == "0"
        assert (await c.get()).json()["code"] == "0"
        clock.now += 0.6
        assert (await c.get()).json()["code"] == 29001
        clock.now += 0.6  # the first two have left, but the rejected one at +0.6 has not
        assert (await c.get()).json()["code"] == "0"
        assert (await c.get()).json()["code"] == 29001
        assert c.sandbox.stats.rejected == 2


async def test_failed_auth_counts_in_the_window() -> None:
    clock = FakeClock()
    async with serve(rate_limit=2, clock=clock) as c:
        assert (await c.get(secret="bad")).json()["code"] == 6001
        assert (await c.get(secret="bad")).json()["code"] == 6001
        assert (await c.get()).json()["code"] == 29001


async def test_keys_have_separate_windows() -> None:
    clock = FakeClock()
    async with serve(rate_limit=1, clock=clock, non_affiliate_keys={"other": "s"}) as c:
        assert (await c.get()).json()["code"] == "0"
        assert (await c.get(api_key="other", secret="s")).json()["code"] == 6003


async def test_429_mode_with_retry_after() -> None:
    clock = FakeClock()
    async with serve(rate_limit=1, clock=clock, rate_limit_status=429, retry_after=2.0) as c:
        assert (await c.get()).status == 200
        reply = await c.get()
        assert reply.status == 429
        assert reply.headers["Retry-After"] == "2"
        assert reply.json() == {"code": 29001, "msg": "API access frequently"}
        assert c.sandbox.stats.requests[-1].status == 429


async def test_429_mode_without_retry_after() -> None:
    clock = FakeClock()
    async with serve(rate_limit=1, clock=clock, rate_limit_status=429, retry_after=None) as c:
        await c.get()
        reply = await c.get()
        assert reply.status == 429 and "Retry-After" not in reply.headers


# -- parameters and paging -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ([("pageNo", "0")], "invalid parameter: pageNo=0"),
        ([("pageSize", "0")], "invalid parameter: pageSize=0"),
        ([("pageSize", "1001")], "invalid parameter: pageSize=1001"),
        ([("quote", "eur")], "invalid parameter: quote=eur"),
        (
            [("startTime", "2026-03-01T00:00:00")],
            "invalid parameter: startTime=2026-03-01T00:00:00",
        ),
        (
            [("startTime", "2026-03-02 00:00:00"), ("endTime", "2026-03-01 00:00:00")],
            "invalid parameter: startTime=2026-03-02 00:00:00",
        ),
        ([("pageNo", "1"), ("pageNo", "1")], "invalid parameter: pageNo=1"),
    ],
)
async def test_invalid_params_answer_code_1(params: Params, message: str) -> None:
    async with serve(invitees=5) as c:
        reply = await c.get(params)
        assert reply.status == 200
        assert reply.json() == {"code": 1, "msg": message}


async def test_max_page_size_100_mode() -> None:
    async with serve(max_page_size=100) as c:
        assert len((await c.page([("pageSize", "100")]))["list"]) == 100
        assert (await c.get([("pageSize", "101")])).json()["code"] == 1


async def test_clamp_mode_caps_pages_with_consistent_offsets() -> None:
    async with serve(invitees=130, clamp_page_size=50) as c:
        expected = c.sandbox.expected()
        walked: list[dict[str, Any]] = []
        for page_no in (1, 2, 3):
            data = await c.page([("pageNo", str(page_no)), ("pageSize", "5000")])
            assert data["total"] == 130
            walked.extend(data["list"])
        assert [len(walked[i : i + 50]) for i in (0, 50, 100)] == [50, 50, 30]
        assert walked == expected


async def test_paging_equals_expected_for_each_quote_and_window() -> None:
    async with serve(invitees=95) as c:
        cases: list[tuple[str, str | None, str | None]] = [
            ("usdt", None, None),
            ("usdc", "2026-02-01 00:00:00", None),
            ("usdc", None, "2026-04-15 12:00:00"),
        ]
        for quote_, start, end in cases:
            extra = [("startTime", start)] if start else []
            extra += [("endTime", end)] if end else []
            walked: list[dict[str, Any]] = []
            page_no = 1
            while True:
                data = await c.page(
                    [*extra, ("quote", quote_), ("pageNo", str(page_no)), ("pageSize", "30")]
                )
                walked.extend(data["list"])
                if len(data["list"]) < 30:
                    break
                page_no += 1
            assert walked == c.sandbox.expected(quote_, start_time=start, end_time=end)
        assert c.sandbox.expected("usdt") != c.sandbox.expected("usdc")


async def test_page_past_the_end_is_empty() -> None:
    async with serve(invitees=10) as c:
        data = await c.page([("pageNo", "5"), ("pageSize", "10")])
        assert data == {"total": 10, "list": []}


async def test_uid_filter() -> None:
    async with serve() as c:
        target = c.sandbox.expected()[17]
        data = await c.page([("uid", str(target["uid"]))])
        assert data == {"total": 1, "list": [target]}
        assert c.sandbox.expected(uid=int(str(target["uid"]))) == [target]
        assert await c.page([("uid", "1")]) == {"total": 0, "list": []}


async def test_time_window_changes_totals_not_balance() -> None:
    async with serve() as c:
        full = (await c.page([("pageSize", "120")]))["list"]
        window = [("startTime", "2026-04-01 00:00:00"), ("endTime", "2026-04-30 23:59:59")]
        windowed = (await c.page([*window, ("pageSize", "120")]))["list"]
        assert [r["currentBalance"] for r in full] == [r["currentBalance"] for r in windowed]
        assert [r["totalDeposit"] for r in full] != [r["totalDeposit"] for r in windowed]


async def test_data_is_deterministic_per_seed() -> None:
    async with serve(seed=5) as a, serve(seed=5) as b, serve(seed=6) as other:
        assert (await a.page()) == (await b.page())
        assert (await a.page()) != (await other.page())


async def test_expected_rejects_bad_time() -> None:
    async with serve(invitees=1) as c:
        with pytest.raises(ValueError):
            c.sandbox.expected(start_time="2026-03-01")


# -- growth --------------------------------------------------------------------------------


async def test_growth_appends_higher_uids_and_total_grows() -> None:
    async with serve(invitees=40, faults=FaultConfig(grow_after=2, grow_by=7)) as c:
        first = await c.page([("pageSize", "40")])
        second = await c.page([("pageSize", "40")])  # the 2nd accepted request triggers growth
        assert first == second
        grown = await c.page([("pageSize", "100")])
        assert grown["total"] == 47
        assert grown["list"][:40] == first["list"]
        assert min(r["uid"] for r in grown["list"][40:]) > max(r["uid"] for r in first["list"])
        assert len(c.sandbox.expected()) == 47
        assert len(c.sandbox.expected("usdc")) == 47


async def test_shrink_drops_lowest_uids() -> None:
    async with serve(invitees=40, faults=FaultConfig(shrink_after=1, shrink_by=3)) as c:
        before = await c.page([("pageSize", "40")])
        after = await c.page([("pageSize", "40")])
        assert after["total"] == 37
        assert after["list"] == before["list"][3:]


# -- faults --------------------------------------------------------------------------------


async def test_no_faults_unless_configured() -> None:
    async with serve(invitees=5) as c:
        for _ in range(20):
            assert (await c.get()).json()["code"] == "0"
        assert all(r.fault is None for r in c.sandbox.stats.requests)


async def test_scripted_faults_fire_on_their_ordinal() -> None:
    script = {
        2: Fault.SERVER_ERROR_HTML,
        3: Fault.TRUNCATED_JSON,
        4: Fault.EMPTY_BODY,
        # Two resets: aiohttp silently retries an idempotent request once after a disconnect,
        # so only a second reset reaches the caller.
        5: Fault.CONNECTION_RESET,
        6: Fault.CONNECTION_RESET,
        7: Fault.RATE_LIMITED,
        8: Fault.CODE_500,
    }
    async with serve(invitees=5, faults=FaultConfig(script=script)) as c:
        assert (await c.get()).json()["code"] == "0"

        html = await c.get()
        assert html.status == 503 and "<html>" in html.text

        truncated = await c.get()
        assert truncated.status == 200 and truncated.text.startswith('{"code":"0"')
        with pytest.raises(json.JSONDecodeError):
            truncated.json()

        empty = await c.get()
        assert (empty.status, empty.text) == (200, "")

        with pytest.raises(aiohttp.ServerDisconnectedError):
            await c.get()

        assert (await c.get()).json() == {"code": 29001, "msg": "API access frequently"}
        assert (await c.get()).json() == {"code": 500, "msg": "Internal server error"}
        assert (await c.get()).json()["code"] == "0"

        records = c.sandbox.stats.requests
        assert [r.fault for r in records] == [None, *script.values(), None]
        assert [r.status for r in records] == [200, 503, 200, 200, 0, 0, 200, 200, 200]
        assert [r.code for r in records] == ["0", None, None, None, None, None, "29001", "500", "0"]
        assert not any(r.rate_limited for r in records)  # the 29001 was injected
        assert c.sandbox.stats.accepted == 2
        assert c.sandbox.stats.rejected == 0


async def test_single_reset_is_retried_by_aiohttp() -> None:
    # Worth knowing for rate budgeting: aiohttp resends a GET once after a disconnect, so
    # one reset costs two arrivals in CoinW's window.
    async with serve(invitees=5, faults=FaultConfig(script={1: Fault.CONNECTION_RESET})) as c:
        assert (await c.get()).json()["code"] == "0"
        assert [r.fault for r in c.sandbox.stats.requests] == [Fault.CONNECTION_RESET, None]


async def test_rate_limited_fault_follows_429_mode() -> None:
    faults = FaultConfig(script={1: Fault.RATE_LIMITED})
    async with serve(invitees=5, faults=faults, rate_limit_status=429) as c:
        reply = await c.get()
        assert reply.status == 429 and reply.headers["Retry-After"] == "1"


async def test_timeout_fault_holds_the_answer() -> None:
    faults = FaultConfig(script={1: Fault.TIMEOUT}, timeout_delay=30.0)
    async with serve(invitees=5, faults=faults) as c:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(c.get(), 0.2)
        assert (await c.get()).json()["code"] == "0"
    # Leaving the block did not wait 30 s for the held request (pytest-timeout would say).


async def test_timeout_fault_answers_normally_after_the_delay() -> None:
    faults = FaultConfig(script={1: Fault.TIMEOUT}, timeout_delay=0.05)
    async with serve(invitees=5, faults=faults) as c:
        started = time.monotonic()
        assert (await c.get()).json()["code"] == "0"
        assert time.monotonic() - started >= 0.05


async def test_latency_is_added() -> None:
    async with serve(invitees=5, faults=FaultConfig(latency=0.05)) as c:
        started = time.monotonic()
        await c.get()
        assert time.monotonic() - started >= 0.05


async def test_random_faults_with_full_rate() -> None:
    faults = FaultConfig(random_rate=1.0, random_kinds=(Fault.CODE_500,))
    async with serve(invitees=5, faults=faults) as c:
        for _ in range(3):
            assert (await c.get()).json()["code"] == 500


async def test_faults_can_be_switched_while_running() -> None:
    async with serve(invitees=5) as c:
        assert (await c.get()).json()["code"] == "0"
        c.sandbox.faults = FaultConfig(random_rate=1.0, random_kinds=(Fault.EMPTY_BODY,))
        assert (await c.get()).text == ""
        c.sandbox.faults = FaultConfig()
        assert (await c.get()).json()["code"] == "0"


async def test_concurrent_requests_stay_within_window_accounting() -> None:
    clock = FakeClock()
    async with serve(invitees=5, rate_limit=5, clock=clock) as c:
        replies = await asyncio.gather(*(c.get() for _ in range(12)))
        codes = sorted(str(r.json()["code"]) for r in replies)
        assert codes == ["0"] * 5 + ["29001"] * 7
        assert c.sandbox.stats.accepted == 5 and c.sandbox.stats.rejected == 7
        assert len(c.sandbox.stats.requests) == 12
