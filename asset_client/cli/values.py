"""Option values: text from the command line to a checked value, or a clear refusal.

Each function is an argparse ``type=``: it raises `argparse.ArgumentTypeError`, which
argparse turns into a usage error naming the option (exit 2, before any request or file).
Sharp edge: numbers are plain ASCII digits only, because Python's ``int()`` also takes a
sign, spaces, ``_`` and full-width digits that the user never meant as a page size.
"""

from __future__ import annotations

import argparse
import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from asset_client.client.env import checked_proxy
from asset_client.core.list_query import MAX_VOLUME_DAYS, REFERRAL_CODE_RE
from asset_client.core.query import JAVA_LONG_MAX, TIME_FORMAT
from asset_client.core.retry import MAX_RETRIES
from asset_client.endpoints.base import PARTNER_LIMITS
from asset_client.errors import InvalidParameterError
from asset_client.limit.limiter import RateLimit

__all__ = [
    "TIME_HELP",
    "TIME_LEN",
    "ascii_int",
    "day",
    "file_mode",
    "page_size",
    "proxy",
    "rate",
    "referral_code",
    "retries",
    "server_time",
    "since",
    "time",
    "time_or_day",
    "uid",
    "volume_days",
    "zone",
]

TIME_LEN = len("yyyy-MM-dd HH:mm:ss")
_DAY_LEN = len("yyyy-MM-dd")


def ascii_int(text: str, low: int, high: int) -> int:
    """A plain ASCII decimal integer in ``[low, high]``: no sign, no spaces, no "_",
    no full-width digits (all of which Python's int() would take)."""
    if not (text.isascii() and text.isdigit() and len(text) <= len(str(high))):
        raise argparse.ArgumentTypeError(f"must be an integer from {low} to {high}, got {text!r}")
    value = int(text)
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"must be an integer from {low} to {high}, got {text!r}")
    return value


def page_size(text: str) -> int:
    return ascii_int(text, 1, PARTNER_LIMITS.max)


def uid(text: str) -> int:
    return ascii_int(text, 1, JAVA_LONG_MAX)


def retries(text: str) -> int:
    return ascii_int(text, 0, MAX_RETRIES)


def volume_days(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_VOLUME_DAYS:
        raise argparse.ArgumentTypeError(
            f"must be an integer from 1 to {MAX_VOLUME_DAYS}, got {text!r}"
        )
    return int(text)


#: What --start and --end take, said alike by every refusal.
TIME_HELP = (
    "a time like '2026-03-01 00:00:00' (yyyy-MM-dd HH:mm:ss, server time) or an ISO 8601 "
    "time with an offset, like '2026-03-01T00:00:00+08:00' or '2026-03-01T00:00:00Z'"
)


def _aware(text: str) -> datetime | None:
    """An ISO 8601 time with an offset (or Z), in whole seconds; None if ``text`` is not."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    if when.tzinfo is None or when.microsecond or len(text) <= TIME_LEN:
        return None
    return when


def _is_server_time(text: str) -> bool:
    try:
        return len(text) == TIME_LEN and bool(datetime.strptime(text, TIME_FORMAT))
    except ValueError:
        return False


def time(text: str) -> str:
    """``yyyy-MM-dd HH:mm:ss`` (CoinW's own format, server time) or an ISO 8601 time with
    an offset; `server_time` turns the latter into the former once the zone is known."""
    if _is_server_time(text) or _aware(text) is not None:
        return text
    raise argparse.ArgumentTypeError(f"must be {TIME_HELP}, got {text!r}")


def server_time(text: str | None, zone: tzinfo) -> str | None:
    """A value of `time` (or a time of `time_or_day`) as the server's own string."""
    when = None if text is None else _aware(text)
    return text if when is None else when.astimezone(zone).strftime(TIME_FORMAT)


def day(text: str) -> date:
    try:
        if len(text) != _DAY_LEN:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a day yyyy-MM-dd, got {text!r}") from None


def time_or_day(text: str) -> str:
    """A `time` (assets, invitees) or ``yyyy-MM-dd`` (volume): which one a dataset takes
    is checked once the dataset is known."""
    if _is_server_time(text) or _aware(text) is not None:
        return text
    try:
        if len(text) != _DAY_LEN or text[4] != "-" or text[7] != "-":
            raise ValueError
        date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be {TIME_HELP}, or a day like 2026-03-01 for --dataset volume, got {text!r}"
        ) from None
    return text


def since(text: str) -> int | datetime:
    """A snapshot id, or a date or ISO time (UTC when it has no offset)."""
    if text.isascii() and text.isdigit():
        return uid(text)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a snapshot id, a date like 2026-11-26 or an ISO time, got {text!r}"
        ) from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def referral_code(text: str) -> str:
    if not REFERRAL_CODE_RE.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"must be 1 to 32 letters, digits, '-' or '_', got {text!r}"
        )
    return text


_OFFSET_RE = re.compile(r"(?:UTC)?([+-])([0-9]{2}):?([0-9]{2})")


def zone(text: str) -> tuple[str, tzinfo]:
    """An IANA name (Asia/Shanghai), UTC, or a fixed offset (+08:00): (its name, the zone)."""
    if text.upper() in ("UTC", "Z"):
        return "UTC", UTC
    if match := _OFFSET_RE.fullmatch(text):
        sign, hours, minutes = match.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes))
        if delta >= timedelta(hours=24):
            raise argparse.ArgumentTypeError(f"offset out of range: {text!r}")
        name = f"{sign}{hours}:{minutes}"
        return name, timezone(-delta if sign == "-" else delta)
    try:
        return text, ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise argparse.ArgumentTypeError(
            f"unknown time zone {text!r} (use an IANA name like Asia/Shanghai, UTC, or +08:00)"
        ) from None


_PERIOD_RE = re.compile(r"[0-9]+(?:\.[0-9]+)?|\.[0-9]+")


def rate(text: str) -> RateLimit:
    """``REQUESTS/SECONDS``; the margin scales with the period like the default's."""
    requests_text, _, period_text = text.partition("/")
    try:
        requests = ascii_int(requests_text, 1, 1_000_000)
        if not _PERIOD_RE.fullmatch(period_text):
            raise ValueError
        period = float(period_text)
        return RateLimit(requests=requests, period=period, margin=period * RateLimit().margin)
    except (ValueError, argparse.ArgumentTypeError):  # InvalidParameterError is a ValueError
        raise argparse.ArgumentTypeError(
            f"must be REQUESTS/SECONDS like 5/1, got {text!r} (a whole number of "
            "requests, then a period in seconds above 0 and at most 3600)"
        ) from None


def proxy(text: str) -> str:
    try:
        return checked_proxy(text)
    except InvalidParameterError as exc:
        raise argparse.ArgumentTypeError(exc.message.removeprefix("proxy ")) from None


def file_mode(text: str) -> int:
    if not re.fullmatch(r"0?[0-7]{3}", text) or int(text, 8) & ~0o666:
        raise argparse.ArgumentTypeError(
            f"must be an octal mode without execute bits like 600 or 640, got {text!r}"
        )
    return int(text, 8)
