"""Classifying answers: one place decides what status, body and code mean."""

from __future__ import annotations

import json
from typing import Any

import pytest

from asset_client import (
    ApiError,
    AuthenticationError,
    ParameterRejectedError,
    PermissionDeniedError,
    RateLimitError,
    ResponseDecodeError,
    ServerError,
)
from asset_client.core.classify import classify_response, parse_retry_after


def classify(status: int, payload: Any = None, raw: bytes | None = None, **headers: str) -> Any:
    body = raw if raw is not None else json.dumps(payload).encode()
    return classify_response(status, headers, body, page_no=7, now=1_000_000.0)


@pytest.mark.parametrize("code", ["0", 0, "200", 200])
def test_success_codes_return_data(code: object) -> None:
    assert classify(200, {"code": code, "msg": "success", "data": {"total": 0}}) == {"total": 0}


@pytest.mark.parametrize(
    ("payload", "error", "retryable"),
    [
        ({"code": 29001, "msg": "API access frequently"}, RateLimitError, True),
        ({"code": "29001", "msg": "API access frequently"}, RateLimitError, True),
        ({"code": 6000, "msg": "api key not found"}, AuthenticationError, False),
        ({"code": "6001", "msg": "invalid signature"}, AuthenticationError, False),
        (
            {"code": 6003, "message": "require more permission", "retry": False, "success": False},
            PermissionDeniedError,
            False,
        ),
        (
            {"code": 9999, "msg": "Your account is not recognized as an affiliate account."},
            PermissionDeniedError,
            False,
        ),
        ({"code": 1, "msg": "invalid parameter"}, ParameterRejectedError, False),
        ({"code": 402, "msg": "param required"}, ParameterRejectedError, False),
        ({"code": 500, "msg": "Internal server error"}, ServerError, True),
        ({"code": 12345, "msg": "something new"}, ApiError, False),
    ],
)
def test_codes_map_to_typed_errors(
    payload: dict[str, Any], error: type[Exception], retryable: bool
) -> None:
    with pytest.raises(error) as info:
        classify(200, payload)
    assert type(info.value) is error
    assert info.value.retryable is retryable  # type: ignore[attr-defined]
    text = str(info.value)
    assert str(payload["code"]) in text and "page 7" in text
    assert str(payload.get("msg") or payload.get("message")) in text


def test_message_is_read_from_msg_or_message() -> None:
    with pytest.raises(PermissionDeniedError, match="require more permission") as info:
        classify(200, {"code": 6003, "message": "require more permission"})
    assert info.value.code == 6003 and info.value.raw_code == "6003"


def test_http_429_is_a_rate_limit_with_retry_after() -> None:
    with pytest.raises(RateLimitError) as info:
        classify(429, raw=b"Too Many Requests", **{"Retry-After": "3"})
    assert info.value.retry_after == 3.0 and info.value.status == 429


def test_http_429_without_retry_after() -> None:
    with pytest.raises(RateLimitError) as info:
        classify(429, raw=b"")
    assert info.value.retry_after is None


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_html_page_is_a_retryable_server_error_showing_the_body(status: int) -> None:
    with pytest.raises(ServerError) as info:
        classify(
            status, raw=b"<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"
        )
    assert info.value.retryable and info.value.status == status
    assert "503 Service Temporarily Unavailable" in str(info.value)


@pytest.mark.parametrize(
    "raw", [b'{"code": "0", "msg": "success", "data": {"total": 3, "li', b"", b"<html>oops</html>"]
)
def test_broken_200_bodies_are_retryable_decode_errors(raw: bytes) -> None:
    with pytest.raises(ResponseDecodeError) as info:
        classify(200, raw=raw)
    assert info.value.retryable
    assert "not JSON" in str(info.value)
    assert ("<empty body>" if not raw else raw[:10].decode()) in str(info.value)


def test_json_that_is_not_an_object_is_not_retried() -> None:
    with pytest.raises(ResponseDecodeError) as info:
        classify(200, ["a", "list"])
    assert not info.value.retryable


def test_missing_code_and_missing_data() -> None:
    with pytest.raises(ResponseDecodeError, match="no 'code'"):
        classify(200, {"msg": "hello"})
    with pytest.raises(ResponseDecodeError, match="no 'data'") as info:
        classify(200, {"code": "0", "msg": "success"})
    assert info.value.field == "data"


@pytest.mark.parametrize(
    ("status", "error"), [(401, AuthenticationError), (403, PermissionDeniedError), (404, ApiError)]
)
def test_error_statuses_without_json(status: int, error: type[Exception]) -> None:
    with pytest.raises(error) as info:
        classify(status, raw=b"<html>nope</html>")
    assert f"HTTP {status}" in str(info.value)


def test_long_bodies_are_cut_in_messages() -> None:
    with pytest.raises(ServerError) as info:
        classify(502, raw=b"x" * 5000)
    assert len(str(info.value)) < 400 and "5000 bytes" in str(info.value)


def test_retry_after_forms() -> None:
    assert parse_retry_after("2.5") == 2.5
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after("Thu, 01 Jan 1970 00:00:10 GMT", now=4.0) == 6.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
