"""Error texts: the message without the class name, numeric codes as ints, lookups named by
uid rather than "page 1", and connection failures that say what to check next; one
hierarchy, where a parameter refused before any request is not an `ApiError`."""

from __future__ import annotations

import socket
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses

import asset_client.limit
from asset_client import (
    ApiError,
    AssetClient,
    AssetClientError,
    InvalidParameterError,
    LimiterUnavailableError,
    ParameterRejectedError,
    PermissionDeniedError,
    RateLimit,
    ResponseDecodeError,
    RetryPolicy,
    TransportError,
    errors,
)
from asset_client.client.advice import connection_advice
from asset_client.core.classify import classify_response
from tests._helpers import BASE, URL_RE, no_wait
from tests.conftest import SECRET, body

FAST = RateLimit(requests=1000, period=0.1, margin=0.0)


@pytest.mark.parametrize(
    "error",
    [
        ApiError("unexpected answer: boom", code="77", status=200, page_no=3),
        PermissionDeniedError("no affiliate", code="6003"),
        ResponseDecodeError("bad amount", page_no=2),
        TransportError("refused"),
    ],
)
def test_str_does_not_repeat_the_class_name(error: Exception) -> None:
    assert type(error).__name__ not in str(error)
    assert type(error).__name__ in repr(error)


def test_a_numeric_code_is_an_int_and_the_raw_text_is_kept() -> None:
    with pytest.raises(PermissionDeniedError) as info:
        classify_response(200, {}, body({"code": "6003", "message": "not an affiliate"}))
    assert info.value.code == 6003 and info.value.raw_code == "6003"
    with pytest.raises(ApiError) as other:
        classify_response(200, {}, body({"code": "E42", "msg": "odd"}))
    assert other.value.code == "E42" and other.value.raw_code == "E42"
    assert "code=E42" in str(other.value)


async def test_a_single_lookup_names_the_uid_not_page_1(api_key: str) -> None:
    async with AssetClient(api_key, SECRET, base_url=BASE, rate_limit=FAST) as client:
        with aioresponses() as mocked:
            mocked.get(URL_RE, payload={"code": 6003, "message": "not an affiliate"})
            with pytest.raises(PermissionDeniedError) as info:
                await client.get_invitee_assets_page(uid=4242)
            mocked.get(URL_RE, payload={"code": 6003, "message": "not an affiliate"})
            with pytest.raises(PermissionDeniedError) as paged:
                await client.get_invitee_assets_page(page_no=2)
    assert "uid 4242" in str(info.value) and "page" not in str(info.value)
    assert "page 2" in str(paged.value)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_a_refused_connection_says_what_to_check(api_key: str) -> None:
    port = _closed_port()
    async with AssetClient(
        api_key,
        SECRET,
        base_url=f"http://127.0.0.1:{port}",
        rate_limit=FAST,
        retry_policy=RetryPolicy(max_retries=0),
        sleep=no_wait,
    ) as client:
        with pytest.raises(TransportError) as info:
            await client.get_invitee_assets_page()
    text = str(info.value)
    assert f"nothing accepted the connection at 127.0.0.1:{port}" in text
    assert "host and port" in text and "firewall" in text
    assert SECRET not in text and api_key not in text


def _connector_error(os_error: OSError, cls: Any = aiohttp.ClientConnectorError) -> Any:
    key: Any = type("Key", (), {"host": "api.example.test", "port": 443, "ssl": True})()
    return cls(key, os_error)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (TimeoutError(), "raise the timeout"),
        (_connector_error(OSError("dns"), aiohttp.ClientConnectorDNSError), "did not resolve"),
        (_connector_error(OSError("p"), aiohttp.ClientProxyConnectionError), "HTTPS_PROXY"),
        (_connector_error(ConnectionRefusedError()), "nothing accepted the connection"),
        (_connector_error(OSError("unreachable")), "could not connect to api.example.test:443"),
        (aiohttp.ServerDisconnectedError(), "closed the connection"),
    ],
)
def test_each_connection_failure_gets_its_own_advice(error: BaseException, expected: str) -> None:
    advice = connection_advice(error, "https://api.example.test/x?pageNo=1")
    assert advice.startswith("check: ") and expected in advice


def test_a_locally_refused_parameter_is_not_an_api_error() -> None:
    local = InvalidParameterError("page_size must be an integer from 1 to 1000", field="page_size")
    assert isinstance(local, AssetClientError) and isinstance(local, ValueError)
    assert not isinstance(local, ApiError)
    assert str(local) == local.message and local.field == "page_size"


def test_the_servers_refusal_of_a_parameter_is_an_api_error_caught_as_invalid_too() -> None:
    with pytest.raises(ParameterRejectedError) as info:
        classify_response(200, {}, body({"code": 1, "msg": "pageSize too large"}), page_no=1)
    refused = info.value
    assert isinstance(refused, ApiError) and isinstance(refused, InvalidParameterError)
    assert refused.code == 1 and refused.message == "pageSize too large"
    assert str(refused) == "pageSize too large, code=1, HTTP 200, page 1"
    assert refused.field is None


def test_every_error_class_the_package_defines_is_an_asset_client_error() -> None:
    for name in errors.__all__:
        value = getattr(errors, name)
        if isinstance(value, type):
            assert issubclass(value, AssetClientError), name
    assert LimiterUnavailableError is asset_client.limit.LimiterUnavailableError
