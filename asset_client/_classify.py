"""Reading one HTTP answer: success data, or the typed error it amounts to (pure).

This is the one place that decides what a status, a body and a CoinW code mean.
Whether an error is worth retrying is carried by the error itself (``retryable``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any

from ._errors import (
    ApiError,
    AuthenticationError,
    InvalidParameterError,
    PermissionDeniedError,
    RateLimitError,
    ResponseDecodeError,
    ServerError,
    excerpt,
)

__all__ = ["classify_response", "parse_retry_after"]

SUCCESS_CODES = frozenset({"0", "200"})
RATE_LIMIT_CODE = "29001"
_AUTH_CODES = frozenset({"6000", "6001"})
_PERMISSION_CODES = frozenset({"6003"})
_PARAMETER_CODES = frozenset({"1", "402"})
_SERVER_CODES = frozenset({"500"})
_NOT_AFFILIATE = "not recognized as an affiliate"


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if value is None or not value.strip():
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if now is None:
            return None
        seconds = when.timestamp() - now
    return max(seconds, 0.0) if math.isfinite(seconds) else None


def _code_text(code: object) -> str | None:
    if code is None or isinstance(code, bool):
        return None
    if isinstance(code, int | Decimal):
        return str(code)
    if isinstance(code, str) and code.strip():
        return code.strip()
    return None


def classify_response(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    page_no: int | None = None,
    now: float | None = None,
) -> Any:
    """Return the ``data`` member of a successful answer, or raise what the answer means.

    ``now`` (epoch seconds) is only used to read a Retry-After given as a date.
    """
    if status == 429:
        raise RateLimitError(
            f"rate limited: {excerpt(body)}",
            status=status,
            page_no=page_no,
            retry_after=parse_retry_after(headers.get("Retry-After"), now),
        )
    try:
        payload = json.loads(body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        payload = None
        parsed = False
    else:
        parsed = True
    if not parsed or not isinstance(payload, dict):
        _raise_unreadable(status, body, page_no, parsed)

    code = _code_text(payload.get("code"))
    message = payload.get("msg") or payload.get("message") or ""
    message = str(message)
    if code is None:
        if status >= 500:
            raise ServerError(f"no code in answer: {excerpt(body)}", status=status, page_no=page_no)
        if status != 200:
            raise ApiError(f"no code in answer: {excerpt(body)}", status=status, page_no=page_no)
        raise ResponseDecodeError(
            f"answer has no 'code': {excerpt(body)}", page_no=page_no, field="code", status=status
        )
    if code in SUCCESS_CODES and status < 300:
        if "data" not in payload:
            raise ResponseDecodeError(
                f"success answer has no 'data': {excerpt(body)}",
                page_no=page_no,
                field="data",
                status=status,
            )
        return payload["data"]
    _raise_for_code(code, message, status, page_no, headers, now)


def _raise_unreadable(status: int, body: bytes, page_no: int | None, parsed: bool) -> None:
    what = "not a JSON object" if parsed else "not JSON (HTML error page or truncated?)"
    if status >= 500:
        raise ServerError(f"{what}: {excerpt(body)}", status=status, page_no=page_no)
    if status == 401:
        raise AuthenticationError(f"{what}: {excerpt(body)}", status=status, page_no=page_no)
    if status == 403:
        raise PermissionDeniedError(f"{what}: {excerpt(body)}", status=status, page_no=page_no)
    if status != 200:
        raise ApiError(f"{what}: {excerpt(body)}", status=status, page_no=page_no)
    # A 200 whose body is broken is a gateway or network accident: asking again helps.
    raise ResponseDecodeError(
        f"HTTP 200 but the body is {what}: {excerpt(body)}",
        page_no=page_no,
        status=status,
        retryable=not parsed,
    )


def _raise_for_code(
    code: str,
    message: str,
    status: int,
    page_no: int | None,
    headers: Mapping[str, str],
    now: float | None,
) -> None:
    kwargs: dict[str, Any] = {"code": code, "status": status, "page_no": page_no}
    if code == RATE_LIMIT_CODE:
        retry_after = parse_retry_after(headers.get("Retry-After"), now)
        raise RateLimitError(message or "rate limited", retry_after=retry_after, **kwargs)
    if code in _PERMISSION_CODES or _NOT_AFFILIATE in message.lower():
        raise PermissionDeniedError(
            message or "permission denied: the key needs CoinW's Affiliate permission", **kwargs
        )
    if code in _AUTH_CODES:
        raise AuthenticationError(message or "authentication failed", **kwargs)
    if code in _PARAMETER_CODES:
        raise InvalidParameterError(message or "invalid parameter", **kwargs)
    if code in _SERVER_CODES or status >= 500:
        raise ServerError(message or "internal server error", **kwargs)
    raise ApiError(f"unexpected answer: {message or '<no message>'}", **kwargs)
