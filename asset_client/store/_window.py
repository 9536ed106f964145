"""Which server days a volume sync walks (pure, no I/O).

The sharp edge: a day's volume is final once the day is over (server time), except that
the day still open at the last sync may have grown since.  So by default a sync walks from
the last day of the previous volume snapshot (the day open then) to today: a daily sync
re-reads two days, not the month, and stores only the rows that changed.
"""

from __future__ import annotations

from datetime import date, timedelta, tzinfo

from asset_client.core.list_query import MAX_VOLUME_DAYS, validate_volume_query
from asset_client.errors import InvalidParameterError

__all__ = ["FIRST_SYNC_DAYS", "automatic_window", "volume_dates"]

#: The first volume sync of a series walks the last 30 days: what the API itself answers
#: without dates.
FIRST_SYNC_DAYS = 30


def volume_dates(
    start_date: object, end_date: object, volume_days: object, today: date, server_tz: tzinfo
) -> tuple[date, date] | None:
    """The window asked for: explicit dates (a missing end is today), or the last
    ``volume_days`` days up to today; None for the automatic window (`automatic_window`).
    Checked before any request: a clear error naming the field and the value."""
    if volume_days is not None and (start_date is not None or end_date is not None):
        raise InvalidParameterError(
            f"volume_days {volume_days!r} and start_date/end_date exclude each other",
            field="volume_days",
        )
    if volume_days is not None:
        if (
            isinstance(volume_days, bool)
            or not isinstance(volume_days, int)
            or not 0 <= volume_days <= MAX_VOLUME_DAYS
        ):
            raise InvalidParameterError(
                f"volume_days must be an integer from 0 to {MAX_VOLUME_DAYS}, got {volume_days!r}",
                field="volume_days",
            )
        return today - timedelta(days=volume_days), today
    if start_date is None and end_date is None:
        return None
    query = validate_volume_query(start_date=start_date, end_date=end_date, server_tz=server_tz)
    end = date.fromisoformat(query.end_date) if query.end_date else today
    if query.start_date is None:
        raise InvalidParameterError(
            f"end_date {query.end_date!r} needs a start_date too", field="start_date"
        )
    start = date.fromisoformat(query.start_date)
    if start > end:
        raise InvalidParameterError(
            f"start_date {query.start_date!r} is after end_date {end.isoformat()!r}",
            field="start_date",
        )
    return start, end


def automatic_window(previous_end: date | None, today: date) -> tuple[date, date]:
    """From the day open at the previous volume snapshot (``previous_end``) to today; the
    last `FIRST_SYNC_DAYS` days on the first sync."""
    if previous_end is None:
        return today - timedelta(days=FIRST_SYNC_DAYS), today
    return min(previous_end, today), today
