"""The argument rules every endpoint shares (integers, uids, time windows) and the assets
query, validated and built (pure, no I/O).

The query is built once, in one fixed order, as ``(name, value)`` pairs.  Its decoded
form is what gets signed; its encoded form is what goes on the wire, so the HTTP layer
never reorders or re-encodes it.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Literal, TypeGuard
from urllib.parse import quote as _percent_encode

from attrs import frozen

from asset_client.errors import InvalidParameterError

__all__ = [
    "JAVA_INT_MAX",
    "JAVA_LONG_MAX",
    "TIME_FORMAT",
    "AssetQuery",
    "Quote",
    "build_query",
    "check_int",
    "decoded_query_string",
    "encoded_query_string",
    "is_int",
    "render_window",
    "to_server_zone",
    "validate_page_no",
    "validate_query",
    "validate_uid",
]

Quote = Literal["usdt", "usdc"]
QUOTES: tuple[Quote, ...] = ("usdt", "usdc")
_QUOTES: dict[str, Quote] = {quote: quote for quote in QUOTES}
#: The server is Java: uids are ``long``, ``pageNo`` an ``Integer``.  Larger values
#: would overflow (or be refused) on the server, so they never leave the client.
JAVA_LONG_MAX = 2**63 - 1
JAVA_INT_MAX = 2**31 - 1
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_TIME_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")

QueryParams = Sequence[tuple[str, str]]


@frozen
class AssetQuery:
    """Validated filters of one walk; times already rendered in the server's zone."""

    quote: Quote = "usdt"
    uid: int | None = None
    start_time: str | None = None
    end_time: str | None = None


def is_int(value: object) -> TypeGuard[int]:
    # bool is an int subclass; uid=True is a bug, not uid 1
    return isinstance(value, int) and not isinstance(value, bool)


def check_int(value: object, field: str, low: int, high: int) -> int:
    """``value`` if it is an integer (not a bool) from ``low`` to ``high``; else
    `InvalidParameterError` naming ``field`` and the value.  The one integer rule."""
    if not is_int(value) or not low <= value <= high:
        raise InvalidParameterError(
            f"{field} must be an integer from {low} to {high}, got {value!r}", field=field
        )
    return value


def validate_page_no(page_no: object, field: str = "page_no") -> int:
    return check_int(page_no, field, 1, JAVA_INT_MAX)


def to_server_zone(value: datetime, field: str, server_tz: tzinfo) -> datetime:
    """``value`` in the server's zone (a naive one is taken as server time already)."""
    moment = value.replace(tzinfo=server_tz) if value.tzinfo is None else value
    try:
        return moment.astimezone(server_tz)
    except (OverflowError, ValueError):
        raise InvalidParameterError(
            f"{field} {value!r} cannot be expressed in the server's time zone "
            f"{server_tz} (out of the range of years 1 to 9999)",
            field=field,
        ) from None


def _render_time(value: object, field: str, server_tz: tzinfo) -> tuple[str, datetime]:
    """The value as the server's string, and as an aware datetime for comparing."""
    if isinstance(value, datetime):
        local = to_server_zone(value, field, server_tz)
        # Not strftime: it renders year 1 as "1", the server wants "0001".
        return local.isoformat(sep=" ", timespec="seconds")[:19], local
    if isinstance(value, str) and _TIME_RE.fullmatch(value):
        with contextlib.suppress(ValueError):  # shaped right but not a date: 2026-02-30
            return value, datetime.strptime(value, TIME_FORMAT).replace(tzinfo=server_tz)
    raise InvalidParameterError(
        f"{field} must be a datetime or a 'yyyy-MM-dd HH:mm:ss' string, got {value!r}", field=field
    )


def render_window(
    start_time: object, end_time: object, server_tz: tzinfo
) -> tuple[str | None, str | None]:
    """``start_time`` and ``end_time`` (each optional) as the server's strings; the one
    window rule for every endpoint: a start after the end is refused."""
    start = _render_time(start_time, "start_time", server_tz) if start_time is not None else None
    end = _render_time(end_time, "end_time", server_tz) if end_time is not None else None
    if start and end and start[1] > end[1]:
        raise InvalidParameterError(
            f"start_time {start[0]!r} is after end_time {end[0]!r}", field="start_time"
        )
    return (start[0] if start else None), (end[0] if end else None)


def validate_uid(uid: object) -> int | None:
    """None, or a uid the server can hold: 1 .. 2**63-1 (its Java ``long``).  One rule
    for every endpoint's ``uid``."""
    return None if uid is None else check_int(uid, "uid", 1, JAVA_LONG_MAX)


def validate_query(
    *,
    quote: object = "usdt",
    uid: object = None,
    start_time: object = None,
    end_time: object = None,
    server_tz: tzinfo,
) -> AssetQuery:
    """Check every filter and render times in the server's zone; raise before any I/O.

    Naive datetimes are taken as server time; aware ones are converted to it.
    """
    known = _QUOTES.get(quote.lower()) if isinstance(quote, str) else None
    if known is None:
        raise InvalidParameterError(f"quote must be one of {QUOTES}, got {quote!r}", field="quote")
    uid = validate_uid(uid)
    start, end = render_window(start_time, end_time, server_tz)
    return AssetQuery(quote=known, uid=uid, start_time=start, end_time=end)


def build_query(query: AssetQuery, page_no: int, page_size: int) -> list[tuple[str, str]]:
    """The request's parameters in the one order they are signed and sent.

    ``pageSize`` is always sent: the docs disagree on its default (10 or 20).
    """
    params: list[tuple[str, str]] = []
    if query.uid is not None:
        params.append(("uid", str(query.uid)))
    if query.start_time is not None:
        params.append(("startTime", query.start_time))
    if query.end_time is not None:
        params.append(("endTime", query.end_time))
    params.append(("quote", query.quote))
    params.append(("pageNo", str(page_no)))
    params.append(("pageSize", str(page_size)))
    return params


def decoded_query_string(params: QueryParams) -> str:
    """What gets signed: values exactly as they are, no percent-encoding."""
    return "&".join(f"{name}={value}" for name, value in params)


def encoded_query_string(params: QueryParams) -> str:
    """What goes on the wire: same order, each name and value percent-encoded."""
    return "&".join(
        f"{_percent_encode(name, safe='')}={_percent_encode(value, safe='')}"
        for name, value in params
    )
