"""Reading one HTTP answer: success data, or the typed error it amounts to (pure).

This is the one place that decides what a status, a body and a CoinW code mean.
Whether an error is worth retrying is carried by the error itself (``retryable``):
a body that is not JSON (a gateway's HTML page, a truncation) may come out right
next time; well-formed JSON that is absurd (nested 100,000 deep) will not.  Server
text reaches a message only through `excerpt`/`shown`, with ``secrets`` redacted.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any

from asset_client.core.redact import excerpt, redact, shown
from asset_client.errors import (
    ApiError,
    AuthenticationError,
    ParameterRejectedError,
    PermissionDeniedError,
    RateLimitError,
    ResponseDecodeError,
    ServerError,
)

__all__ = ["classify_response", "parse_retry_after"]

SUCCESS_CODES = frozenset({"0", "200"})
RATE_LIMIT_CODE = "29001"
_AUTH_CODES = frozenset({"6000", "6001"})
_PERMISSION_CODES = frozenset({"6003"})
_PARAMETER_CODES = frozenset({"1", "402"})
_SERVER_CODES = frozenset({"500"})
_NOT_AFFILIATE = "not recognized as an affiliate"
#: Integers longer than this stay `Decimal` (no int-str conversion limit, no quadratic
#: conversion); every field that wants an int refuses them by name.
_MAX_INT_DIGITS = 40
_MESSAGE_LIMIT = 300
_MAX_CODE = 40


def _parse_int(text: str) -> int | Decimal:
    return int(text) if len(text) <= _MAX_INT_DIGITS else Decimal(text)


def _load_json(body: bytes) -> tuple[Any, str | None, bool]:
    """(payload, what is wrong or None, whether asking again may help)."""
    try:
        return json.loads(body, parse_float=Decimal, parse_int=_parse_int), None, False
    except RecursionError:
        return None, "JSON nested too deep to read", False
    except (ValueError, UnicodeDecodeError):
        return None, "not JSON (HTML error page or truncated?)", True


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if value is None or not value.strip():
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, OverflowError, IndexError):
            return None
        if now is None:
            return None
        try:
            seconds = when.timestamp() - now
        except (OverflowError, ValueError, OSError):
            return None
    return max(seconds, 0.0) if math.isfinite(seconds) else None


def _code_text(code: object, secrets: Sequence[str]) -> str | None:
    """The server's code as text, redacted *before* it is cut (a code that echoes the sign
    header must not leave 40 of its characters behind)."""
    if code is None or isinstance(code, bool):
        return None
    text = None
    if isinstance(code, int | Decimal):
        text = str(code)
    elif isinstance(code, str) and code.strip():
        text = redact(code.strip(), secrets)
    if text is not None and len(text) > _MAX_CODE:
        # No real code is this long; keep the message short and the code unmatched.
        text = f"{text[:_MAX_CODE]}…"
    return text


def classify_response(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    page_no: int | None = None,
    now: float | None = None,
    secrets: Sequence[str] = (),
) -> Any:
    """Return the ``data`` member of a successful answer, or raise what the answer means.

    ``now`` (epoch seconds) is only used to read a Retry-After given as a date.
    ``secrets`` (API key, secret, signature) are redacted from every message.
    """
    if status == 429:
        raise RateLimitError(
            f"rate limited: {excerpt(body, secrets=secrets)}",
            status=status,
            page_no=page_no,
            retry_after=parse_retry_after(headers.get("Retry-After"), now),
        )
    payload, wrong, retryable = _load_json(body)
    if wrong is None and not isinstance(payload, dict):
        wrong = "not a JSON object"
    if wrong is not None or not isinstance(payload, dict):
        _raise_unreadable(status, body, page_no, wrong or "", retryable, secrets)
        raise AssertionError("unreachable")  # pragma: no cover

    # A server that echoes the request may put the key into the code itself.
    code = _code_text(payload.get("code"), secrets)
    raw_message = payload.get("msg") or payload.get("message") or ""
    text = raw_message if isinstance(raw_message, str) else shown(raw_message, secrets)
    message = excerpt(text, _MESSAGE_LIMIT, secrets) if text else ""
    seen = excerpt(body, secrets=secrets)
    if code is None:
        if status >= 500:
            raise ServerError(f"no code in answer: {seen}", status=status, page_no=page_no)
        if status != 200:
            raise ApiError(f"no code in answer: {seen}", status=status, page_no=page_no)
        raise ResponseDecodeError(
            f"answer has no 'code': {seen}", page_no=page_no, field="code", status=status
        )
    if code in SUCCESS_CODES and status < 300:
        if "data" not in payload:
            raise ResponseDecodeError(
                f"success answer has no 'data': {seen}",
                page_no=page_no,
                field="data",
                status=status,
            )
        return payload["data"]
    _raise_for_code(code, message, status, page_no, headers, now)


def _raise_unreadable(
    status: int,
    body: bytes,
    page_no: int | None,
    what: str,
    retryable: bool,
    secrets: Sequence[str],
) -> None:
    seen = f"{what}: {excerpt(body, secrets=secrets)}"
    if status >= 500:
        raise ServerError(seen, status=status, page_no=page_no)
    if status == 401:
        raise AuthenticationError(seen, status=status, page_no=page_no)
    if status == 403:
        raise PermissionDeniedError(seen, status=status, page_no=page_no)
    if status != 200:
        raise ApiError(seen, status=status, page_no=page_no)
    # A 200 whose body is broken is a gateway or network accident: asking again helps.
    # One that is well-formed but absurd (nested too deep, not an object) stays so.
    raise ResponseDecodeError(
        f"HTTP 200 but the body is {seen}",
        page_no=page_no,
        status=status,
        retryable=retryable,
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
        raise ParameterRejectedError(message or "invalid parameter", **kwargs)
    if code in _SERVER_CODES or status >= 500:
        raise ServerError(message or "internal server error", **kwargs)
    raise ApiError(f"unexpected answer: {message or '<no message>'}", **kwargs)
