"""Transport behaviour with aioresponses: retries, error mapping, no retry on auth,
validation before any request, sessions, secrets."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses

from asset_client import (
    AssetClient,
    AssetClientError,
    AuthenticationError,
    InvalidParameterError,
    PermissionDeniedError,
    RateLimit,
    RateLimitError,
    ResponseDecodeError,
    RetryPolicy,
    ServerError,
    TransportError,
)
from tests.conftest import SECRET, envelope, record

BASE = "https://api.example.test"
URL_RE = re.compile(
    r"^https://api\.example\.test/api/v3/patener/openapi/v1/partner/invitation/user/assets\?.*$"
)
FAST = RateLimit(requests=1000, period=0.1, margin=0.0)


class Sleeps:
    """An injected sleep that records and returns at once: backoff costs no time."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def mocked() -> Any:
    with aioresponses() as mock:
        yield mock


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def client(api_key: str, sleeps: Sleeps) -> AsyncIterator[AssetClient]:
    async with AssetClient(
        api_key,
        SECRET,
        base_url=BASE,
        rate_limit=FAST,
        retry_policy=RetryPolicy(max_retries=3, base_delay=0.01),
        sleep=sleeps,
    ) as c:
        yield c


def sent(mocked: Any) -> int:
    return sum(len(calls) for calls in mocked.requests.values())


async def test_one_page_is_signed_and_decoded(mocked: Any, client: AssetClient) -> None:
    mocked.get(URL_RE, payload=envelope(1, [record(12345678)]))
    page = await client.get_invitee_assets_page(page_no=1, page_size=20, uid=12345678)
    assert page.total == 1 and page.items[0].uid == 12345678
    [(key, calls)] = list(mocked.requests.items())
    headers = calls[0].kwargs["headers"]
    assert set(headers) >= {"api_key", "timestamp", "sign"}
    assert len(headers["timestamp"]) == 13
    assert "uid=12345678" in str(key[1]) and "pageSize=20" in str(key[1])


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 503, "body": "<html><h1>503 Service Unavailable</h1></html>"},
        {"status": 502, "body": ""},
        {"status": 200, "body": '{"code": "0", "msg": "success", "data": {"tot'},
        {"status": 200, "body": ""},
        {"status": 200, "payload": {"code": 500, "msg": "Internal server error"}},
        {"exception": aiohttp.ServerDisconnectedError()},
        {"exception": aiohttp.ClientConnectionError("connection reset by peer")},
        {"exception": TimeoutError()},
    ],
)
async def test_transient_failures_are_retried(
    mocked: Any, client: AssetClient, sleeps: Sleeps, failure: dict[str, Any]
) -> None:
    mocked.get(URL_RE, **failure)
    mocked.get(URL_RE, **failure)
    mocked.get(URL_RE, payload=envelope(1, [record(7)]))
    page = await client.get_invitee_assets_page()
    assert [a.uid for a in page.items] == [7]
    assert client.stats.retries == 2 and client.stats.requests == 3
    assert len(sleeps.calls) == 2 and sleeps.calls[1] > 0


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ({"code": 6001, "msg": "invalid signature"}, AuthenticationError),
        ({"code": 6000, "msg": "api key not found"}, AuthenticationError),
        ({"code": 6003, "message": "require more permission"}, PermissionDeniedError),
        ({"code": 1, "msg": "invalid parameter"}, InvalidParameterError),
        ({"code": 402, "msg": "param required"}, InvalidParameterError),
    ],
)
async def test_final_errors_fail_on_the_first_answer(
    mocked: Any, client: AssetClient, payload: dict[str, Any], error: type[Exception]
) -> None:
    mocked.get(URL_RE, payload=payload, repeat=True)
    with pytest.raises(error):
        await client.get_invitee_assets_page()
    assert sent(mocked) == 1 and client.stats.retries == 0


async def test_retries_give_up_with_a_typed_error_saying_what_came_back(
    mocked: Any, client: AssetClient
) -> None:
    mocked.get(URL_RE, status=503, body="<html>Service Unavailable</html>", repeat=True)
    with pytest.raises(ServerError, match="Service Unavailable") as info:
        await client.get_invitee_assets_page(page_no=3)
    assert info.value.status == 503 and info.value.page_no == 3
    assert sent(mocked) == 4  # first try + max_retries=3


async def test_rate_limit_pauses_the_key_then_gives_up_as_rate_limit_error(
    mocked: Any, client: AssetClient, sleeps: Sleeps
) -> None:
    mocked.get(URL_RE, payload={"code": 29001, "msg": "API access frequently"}, repeat=True)
    with pytest.raises(RateLimitError, match="29001"):
        await client.get_invitee_assets_page()
    # every rejection paused the key, the last one too (the one this call gave up on)
    assert client.stats.rate_limit_waits == 4
    # each pause lasts at least one whole window so the server's window drains
    assert all(s >= FAST.period * 0.5 for s in sleeps.calls) and sleeps.calls


async def test_http_429_retry_after_is_honoured(
    mocked: Any, client: AssetClient, sleeps: Sleeps
) -> None:
    mocked.get(URL_RE, status=429, headers={"Retry-After": "7"}, body="slow down")
    mocked.get(URL_RE, payload=envelope(0, []))
    page = await client.get_invitee_assets_page()
    assert page.total == 0
    assert sleeps.calls and 6 < sleeps.calls[0] <= 7


async def test_schema_errors_are_not_retried(mocked: Any, client: AssetClient) -> None:
    mocked.get(URL_RE, payload=envelope(1, [record(1, totalDeposit="abc")]), repeat=True)
    with pytest.raises(ResponseDecodeError, match="totalDeposit"):
        await client.get_invitee_assets_page()
    assert sent(mocked) == 1


async def test_unknown_code_is_a_typed_api_error(mocked: Any, client: AssetClient) -> None:
    mocked.get(URL_RE, payload={"code": 777, "msg": "brand new"}, repeat=True)
    with pytest.raises(Exception, match="brand new") as info:
        await client.get_invitee_assets_page()
    assert type(info.value).__name__ == "ApiError" and "777" in str(info.value)


async def test_transport_error_after_retries(mocked: Any, client: AssetClient) -> None:
    mocked.get(URL_RE, exception=aiohttp.ClientConnectionError("refused"), repeat=True)
    with pytest.raises(TransportError, match="refused"):
        await client.get_invitee_assets_page()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"page_size": 0}, "page_size"),
        ({"page_size": 1001}, "page_size"),
        ({"quote": "btc"}, "quote"),
        ({"uid": -1}, "uid"),
        ({"start_time": "yesterday"}, "start_time"),
        ({"after_uid": -1}, "after_uid"),
        ({"start_offset": -2}, "start_offset"),
    ],
)
async def test_bad_arguments_fail_before_any_request(
    mocked: Any, client: AssetClient, kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidParameterError) as info:
        client.iter_invitee_assets(**kwargs)  # raises at call time, not at iteration
    assert info.value.field == field
    assert sent(mocked) == 0


async def test_walk_falls_back_to_100_when_1000_is_refused(
    mocked: Any, client: AssetClient
) -> None:
    mocked.get(URL_RE, payload={"code": 1, "msg": "pageSize must be <= 100"})
    mocked.get(URL_RE, payload=envelope(2, [record(1), record(2)]))
    uids = [a.uid async for a in client.iter_invitee_assets()]
    assert uids == [1, 2]
    sizes = [re.search(r"pageSize=(\d+)", str(url)).group(1) for _, url in mocked.requests]  # type: ignore[union-attr]
    assert sizes == ["1000", "100"]


async def test_an_explicit_page_size_is_not_changed(mocked: Any, client: AssetClient) -> None:
    mocked.get(URL_RE, payload={"code": 1, "msg": "pageSize too large"}, repeat=True)
    with pytest.raises(InvalidParameterError):
        _ = [a async for a in client.iter_invitee_assets(page_size=500)]
    assert sent(mocked) == 1


async def test_a_shared_session_is_never_closed(mocked: Any, api_key: str) -> None:
    mocked.get(URL_RE, payload=envelope(0, []))
    async with aiohttp.ClientSession() as session:
        async with AssetClient(
            api_key, SECRET, base_url=BASE, session=session, rate_limit=FAST
        ) as c:
            await c.get_invitee_assets_page()
        assert not session.closed


async def test_own_session_is_closed_and_client_refuses_reuse(mocked: Any, api_key: str) -> None:
    mocked.get(URL_RE, payload=envelope(0, []))
    c = AssetClient(api_key, SECRET, base_url=BASE, rate_limit=FAST)
    async with c:
        await c.get_invitee_assets_page()
        session = c._sessions.get()
    assert session is not None and session.closed
    with pytest.raises(AssetClientError, match="closed"):
        await c.get_invitee_assets_page()


@pytest.mark.parametrize(
    "url",
    ["http://api.coinw.com", "ftp://127.0.0.1", "api.coinw.com", "http://10.0.0.1:8080", ""],
)
def test_plain_http_is_refused_off_loopback(url: str, api_key: str) -> None:
    with pytest.raises(InvalidParameterError, match="base_url") as info:
        AssetClient(api_key, SECRET, base_url=url)
    assert info.value.field == "base_url"


@pytest.mark.parametrize("url", ["http://127.0.0.1:8765", "http://localhost:1", "http://[::1]:80"])
def test_plain_http_is_fine_on_loopback(url: str, api_key: str) -> None:
    assert AssetClient(api_key, SECRET, base_url=url, rate_limit=FAST).base_url == url


def test_bad_constructor_arguments(api_key: str) -> None:
    with pytest.raises(InvalidParameterError, match="secret_key") as info:
        AssetClient(api_key, "  ")
    assert info.value.field == "secret_key"
    with pytest.raises(InvalidParameterError, match="timeout"):
        AssetClient(api_key, SECRET, timeout=0)
    with pytest.raises(InvalidParameterError, match="max_concurrency"):
        AssetClient(api_key, SECRET, max_concurrency=0)
    with pytest.raises(InvalidParameterError, match="max_retries"):
        AssetClient(api_key, SECRET, max_retries=-1)
    with pytest.raises(InvalidParameterError, match="server_timezone") as tz_info:
        AssetClient(api_key, SECRET, server_timezone="Asia/Shanghai")  # type: ignore[arg-type]
    assert tz_info.value.field == "server_timezone"
    with pytest.raises(InvalidParameterError, match="rate_limit"):
        AssetClient(api_key, SECRET, rate_limit=5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("secret_key", "s3cret\udcff-surrogate"),  # bytes that were never UTF-8
        ("secret_key", "s3cret-with-newline\n"),
        ("api_key", "key\r\nInjected: header"),
    ],
)
def test_broken_credentials_are_refused_without_echoing_them(
    api_key: str, field: str, value: str
) -> None:
    keys = {"api_key": api_key, "secret_key": SECRET, field: value}
    with pytest.raises(InvalidParameterError) as info:
        AssetClient(keys["api_key"], keys["secret_key"])
    assert info.value.field == field
    assert value not in str(info.value) and value.strip() not in repr(info.value)
    assert info.value.__cause__ is None and info.value.__context__ is None


async def test_secret_and_signature_never_leak(
    mocked: Any, client: AssetClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="asset_client")
    mocked.get(URL_RE, payload={"code": 29001, "msg": "API access frequently"})
    mocked.get(URL_RE, status=503, body="<html>down</html>")
    mocked.get(URL_RE, exception=aiohttp.ServerDisconnectedError())
    mocked.get(URL_RE, payload={"code": 6001, "msg": "invalid signature"})
    with pytest.raises(AuthenticationError) as info:
        await client.get_invitee_assets_page()
    signatures = [
        call.kwargs["headers"]["sign"] for calls in mocked.requests.values() for call in calls
    ]
    assert len(signatures) == 4
    import traceback

    texts = [
        repr(client),
        str(client),
        str(info.value),
        repr(info.value),
        "".join(traceback.format_exception(info.value)),
        caplog.text,
    ]
    for text in texts:
        assert SECRET not in text
        assert all(signature not in text for signature in signatures)
    assert "…" in repr(client)


async def test_cancelling_a_request_leaves_no_task(mocked: Any, client: AssetClient) -> None:
    started = asyncio.Event()

    async def hang(url: Any, **kwargs: Any) -> None:
        started.set()
        await asyncio.Event().wait()

    mocked.get(URL_RE, callback=hang)
    task = asyncio.ensure_future(client.get_invitee_assets_page())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert client._walks.tasks == set()
