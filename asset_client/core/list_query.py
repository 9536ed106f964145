"""Validation and request building for the invitee list and trading volume (pure, no I/O).

The list is a GET: ``(name, value)`` pairs in one fixed order, signed decoded and sent
encoded (see `_query`).  The volume call is a POST whose JSON body is built here once, as
bytes, compact, in one fixed key order: those exact bytes are signed and sent.

Sharp edges:
- Without ``startTime``/``endTime`` the list server answers for the *current month only*.
  `resolve_invitee_window` therefore always sends a window: from `EARLIEST_REGISTRATION`
  (CoinW was founded in 2017; no affiliate can have an invitee before) to "now" in server
  time, frozen when the walk starts, so registrations arriving during the walk fall outside
  it and cannot shift its pages.
- Without dates the volume server means "the past 30 days"; that default is kept (no dates
  are sent), explicit ``yyyy-MM-dd`` dates are allowed.  A single bound is sent alone: the
  server fills the other one with its own default.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta, tzinfo

from attrs import evolve, frozen

from asset_client.core.query import (
    TIME_FORMAT,
    check_int,
    render_window,
    to_server_zone,
    validate_uid,
)
from asset_client.errors import InvalidParameterError

__all__ = [
    "EARLIEST_REGISTRATION",
    "REFERRAL_CODE_RE",
    "InviteeQuery",
    "VolumeQuery",
    "build_invitee_params",
    "build_volume_body",
    "resolve_invitee_window",
    "validate_invitee_query",
    "validate_volume_query",
    "volume_window",
]

#: The start of the "every invitee ever" window: CoinW's founding year.
EARLIEST_REGISTRATION = "2017-01-01 00:00:00"
#: The report's --volume-days and `volume_window`: ten years, a bound that catches typos.
MAX_VOLUME_DAYS = 3650
#: Referral codes are short alphanumeric tokens; 1-32 of letters, digits, ``-`` and ``_``
#: is a deliberate, documented guess that refuses whitespace, separators and typos early.
REFERRAL_CODE_RE = re.compile(r"[A-Za-z0-9_-]{1,32}")
_DAY_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DAY_FORMAT = "%Y-%m-%d"


@frozen
class InviteeQuery:
    """Validated list filters; times rendered in the server's zone (None = not sent)."""

    uid: int | None = None
    referral_code: str | None = None
    start_time: str | None = None
    end_time: str | None = None


@frozen
class VolumeQuery:
    """Validated volume filters; days as ``yyyy-MM-dd`` (None = the server's default)."""

    uid: int | None = None
    start_date: str | None = None
    end_date: str | None = None


def validate_invitee_query(
    *,
    uid: object = None,
    referral_code: object = None,
    start_time: object = None,
    end_time: object = None,
    server_tz: tzinfo,
) -> InviteeQuery:
    """Check every list filter and render times in the server's zone; raise before any I/O.

    Naive datetimes are server time; aware ones are converted to it.
    """
    checked_uid = validate_uid(uid)
    if referral_code is not None and (
        not isinstance(referral_code, str) or not REFERRAL_CODE_RE.fullmatch(referral_code)
    ):
        raise InvalidParameterError(
            f"referral_code must be 1 to 32 letters, digits, '-' or '_', got {referral_code!r}",
            field="referral_code",
        )
    start, end = render_window(start_time, end_time, server_tz)
    return InviteeQuery(
        uid=checked_uid, referral_code=referral_code, start_time=start, end_time=end
    )


def resolve_invitee_window(query: InviteeQuery, now: datetime, server_tz: tzinfo) -> InviteeQuery:
    """Fill a missing bound: from `EARLIEST_REGISTRATION`, up to ``now`` (server time).

    Raises if an explicit ``start_time`` lies after ``now`` with no ``end_time`` given.
    """
    if query.start_time is not None and query.end_time is not None:
        return query
    end = query.end_time or now.astimezone(server_tz).strftime(TIME_FORMAT)
    # An explicit end before the earliest registration asks for nothing: send it as a
    # window of its own rather than an inverted one.
    start = query.start_time or min(EARLIEST_REGISTRATION, end)
    if start > end:  # same fixed-width format: string order is time order
        raise InvalidParameterError(
            f"start_time {start!r} is after the current server time {end!r}", field="start_time"
        )
    return evolve(query, start_time=start, end_time=end)


def _render_day(value: object, field: str, server_tz: tzinfo) -> str:
    # isoformat, not strftime: strftime renders year 1 as "1", the server wants "0001".
    if isinstance(value, datetime):
        return to_server_zone(value, field, server_tz).date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and _DAY_RE.fullmatch(value):
        try:
            date.fromisoformat(value)
        except ValueError:
            pass  # shaped right but not a day: 2026-02-30
        else:
            return value
    raise InvalidParameterError(
        f"{field} must be a date or a 'yyyy-MM-dd' string, got {value!r}", field=field
    )


def validate_volume_query(
    *,
    uid: object = None,
    start_date: object = None,
    end_date: object = None,
    server_tz: tzinfo,
) -> VolumeQuery:
    """Check the volume filters; a datetime counts as its day in the server's zone."""
    checked_uid = validate_uid(uid)
    start = _render_day(start_date, "start_date", server_tz) if start_date is not None else None
    end = _render_day(end_date, "end_date", server_tz) if end_date is not None else None
    if start and end and start > end:
        raise InvalidParameterError(
            f"start_date {start!r} is after end_date {end!r}", field="start_date"
        )
    return VolumeQuery(uid=checked_uid, start_date=start, end_date=end)


def volume_window(days: object, now: datetime, server_tz: tzinfo) -> tuple[date, date]:
    """``(today - days, today)`` in server time: "the last N days" as the API words its own
    30-day default ("30 days ago" to "today"), so ``days=30`` asks what no dates ask."""
    days = check_int(days, "volume_days", 0, MAX_VOLUME_DAYS)
    today = now.astimezone(server_tz).date()
    try:
        return today - timedelta(days=days), today
    except OverflowError:
        raise InvalidParameterError(
            f"volume_days {days} reaches before the year 1 from {today}", field="volume_days"
        ) from None


def build_invitee_params(
    query: InviteeQuery, page_no: int, page_size: int
) -> list[tuple[str, str]]:
    """The list request's parameters in the one order they are signed and sent."""
    params: list[tuple[str, str]] = []
    if query.start_time is not None:
        params.append(("startTime", query.start_time))
    if query.end_time is not None:
        params.append(("endTime", query.end_time))
    if query.uid is not None:
        params.append(("uid", str(query.uid)))
    if query.referral_code is not None:
        params.append(("referralCode", query.referral_code))
    params.append(("pageNo", str(page_no)))
    params.append(("pageSize", str(page_size)))
    return params


def build_volume_body(query: VolumeQuery, page_no: int, page_size: int) -> bytes:
    """The volume request's JSON body: the exact bytes that are signed and sent.

    Compact (no spaces), ASCII, keys in one fixed order (the docs' example order:
    ``pageNo``, ``pageSize``, ``uid``, then the dates); numbers as JSON numbers.
    """
    body: dict[str, object] = {"pageNo": page_no, "pageSize": page_size}
    if query.uid is not None:
        body["uid"] = query.uid
    if query.start_date is not None:
        body["startTime"] = query.start_date
    if query.end_date is not None:
        body["endTime"] = query.end_date
    return json.dumps(body, separators=(",", ":"), ensure_ascii=True).encode("ascii")
