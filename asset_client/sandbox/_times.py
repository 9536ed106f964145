"""The sandbox's clock face: ``yyyy-MM-dd HH:mm:ss`` text <-> whole seconds since its origin.

The seeded data spans 2026-01-01 .. 2026-06-30 and is stored as seconds since 2026-01-01.
The sharp edge: no time zone anywhere (CoinW's docs name none), so a window is compared with
the stored times as written, and parsing is strict (no ``T``, no fraction, no 2026-02-30).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Final

__all__ = ["DAY", "ORIGIN", "SPAN", "TIME_FORMAT", "format_time", "parse_datetime", "parse_time"]

TIME_FORMAT: Final = "%Y-%m-%d %H:%M:%S"
_TIME_RE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")
DAY: Final = 86_400
# Times are kept as whole seconds since this origin (no time zone: the docs name none).
ORIGIN: Final = datetime(2026, 1, 1)
#: The last second of the seeded span, in seconds since the origin.
SPAN: Final = int((datetime(2026, 6, 30, 23, 59, 59) - ORIGIN).total_seconds())


def parse_datetime(text: str) -> datetime | None:
    """``yyyy-MM-dd HH:mm:ss`` -> a naive datetime; None if malformed (strictly: no
    ``T``, no fraction, no zone, no 2026-02-30)."""
    if not _TIME_RE.fullmatch(text):
        return None
    try:
        return datetime.strptime(text, TIME_FORMAT)
    except ValueError:
        return None


def parse_time(text: str) -> int | None:
    """``yyyy-MM-dd HH:mm:ss`` -> seconds since the origin; None if malformed (strictly)."""
    moment = parse_datetime(text)
    return None if moment is None else int((moment - ORIGIN).total_seconds())


def format_time(seconds: int) -> str:
    """Seconds since the origin -> ``yyyy-MM-dd HH:mm:ss``."""
    day, rest = divmod(seconds, DAY)
    if 0 <= day < len(_DAYS):
        # Hot path (every record renders two or three times): no datetime objects.
        hours, rest = divmod(rest, 3_600)
        minutes, secs = divmod(rest, 60)
        return f"{_DAYS[day]} {hours:02d}:{minutes:02d}:{secs:02d}"
    return (ORIGIN + timedelta(seconds=seconds)).isoformat(sep=" ")


_DAYS: Final = tuple(
    (ORIGIN + timedelta(days=d)).strftime("%Y-%m-%d") for d in range(SPAN // DAY + 1)
)
