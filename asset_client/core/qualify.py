"""What "did this uid qualify?" means, decided from answers already fetched (pure, no I/O).

The thresholds and the window are checked here before any request; the answers (the
uid's assets, its registration, its daily volumes) become one `Qualification` with a
plain sentence per unmet condition.  Sharp edge: the volume window is the last ``days``
days of *server* time, today included (``days=1`` is today alone), so it is one day
shorter than "``days`` days ago to today" (`volume_window`, the report's reading).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal, InvalidOperation

from attrs import frozen

from asset_client.core.list_query import MAX_VOLUME_DAYS
from asset_client.core.query import JAVA_LONG_MAX, QUOTES, check_int, validate_uid
from asset_client.errors import InvalidParameterError, ResponseDecodeError
from asset_client.records import DailyVolume, Invitee, InviteeAsset, Qualification

__all__ = [
    "Conditions",
    "amount_text",
    "check_conditions",
    "qualification",
    "registration_of",
    "volume_sum",
]


@frozen
class Conditions:
    """What a uid must meet, checked: thresholds exact, ``days`` within the volume bound."""

    uid: int
    min_deposit: Decimal | None
    min_volume: Decimal | None
    days: int
    quote: str

    def window(self, now: datetime, server_tz: tzinfo) -> tuple[date, date]:
        """The last ``days`` days of server time, today included (both ends inclusive)."""
        today = now.astimezone(server_tz).date()
        try:
            return today - timedelta(days=self.days - 1), today
        except OverflowError:
            raise InvalidParameterError(
                f"days {self.days} reaches before the year 1 from {today}", field="days"
            ) from None


def _threshold(value: object, field: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise InvalidParameterError(
            f"{field} must be a number (Decimal, int or numeric text), got {value!r}",
            field=field,
        )
    try:
        # A float is read as it prints (0.1 -> 0.1), not as its binary expansion.
        amount = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, ValueError):
        amount = None
    if amount is None or not amount.is_finite() or amount < 0:
        raise InvalidParameterError(
            f"{field} must be a finite amount >= 0, got {value!r}", field=field
        )
    return amount


def check_conditions(
    uid: object, min_deposit: object, min_volume: object, days: object, quote: object
) -> Conditions:
    """Every argument of ``qualify`` checked, naming the bad one, before any request."""
    if uid is None:
        raise InvalidParameterError(
            f"uid must be an integer from 1 to {JAVA_LONG_MAX}, got None", field="uid"
        )
    checked = validate_uid(uid)
    assert checked is not None
    if not isinstance(quote, str) or quote.lower() not in QUOTES:
        raise InvalidParameterError(f"quote must be one of {QUOTES}, got {quote!r}", field="quote")
    return Conditions(
        uid=checked,
        min_deposit=_threshold(min_deposit, "min_deposit"),
        min_volume=_threshold(min_volume, "min_volume"),
        days=check_int(days, "days", 1, MAX_VOLUME_DAYS),
        quote=quote.lower(),
    )


def amount_text(amount: Decimal, *, grouped: bool = False) -> str:
    """An amount as a person writes it: no exponent, no trailing zeros (``50``, ``0.5``)."""
    if amount == 0:
        return "0"
    plain = amount.normalize()
    return f"{plain:,f}" if grouped else f"{plain:f}"


def volume_sum(records: Iterable[DailyVolume], uid: int, start: date, end: date) -> Decimal:
    """The uid's volume over ``start..end``; a record of another uid or day is the server
    ignoring a filter (`ResponseDecodeError`), never a wrong sum."""
    total = Decimal(0)
    for record in records:
        if record.uid != uid:
            raise ResponseDecodeError(
                f"asked for the volume of uid {uid} but the answer holds uid {record.uid}: "
                "the server ignored the uid filter"
            )
        if not start <= record.day <= end:
            raise ResponseDecodeError(
                f"asked for the volume of uid {uid} from {start} to {end} but the answer "
                f"holds {record.day}: the server ignored the dates"
            )
        total += record.volume
    return total


def registration_of(items: Iterable[Invitee], uid: int) -> datetime | None:
    """The uid's registration time from a uid-filtered list page (None: not listed)."""
    found = None
    for invitee in items:
        if invitee.uid != uid:
            raise ResponseDecodeError(
                f"asked the invitee list for uid {uid} but the answer holds uid "
                f"{invitee.uid}: the server ignored the uid filter"
            )
        found = invitee.register_time
    return found


def _reasons(
    conditions: Conditions, asset: InviteeAsset | None, volume: Decimal | None
) -> tuple[str, ...]:
    if asset is None:
        return ("not a direct invitee",)
    reasons: list[str] = []
    unit = conditions.quote.upper()
    if conditions.min_deposit is not None and asset.total_deposit < conditions.min_deposit:
        reasons.append(
            f"deposit {amount_text(asset.total_deposit)} {unit} is below "
            f"{amount_text(conditions.min_deposit)}"
        )
    if conditions.min_volume is not None:
        have = volume if volume is not None else Decimal(0)
        if have < conditions.min_volume:
            reasons.append(
                f"volume {amount_text(have)} over {_days(conditions.days)} is below "
                f"{amount_text(conditions.min_volume)}"
            )
    return tuple(reasons)


def _days(days: int) -> str:
    return "1 day" if days == 1 else f"{days} days"


def qualification(
    conditions: Conditions,
    window: tuple[date, date],
    asset: InviteeAsset | None,
    registered_at: datetime | None,
    volume: Decimal | None,
) -> Qualification:
    """The `Qualification` built from the answers (``asset`` None: not an invitee)."""
    reasons = _reasons(conditions, asset, volume)
    return Qualification(
        uid=conditions.uid,
        is_invitee=asset is not None,
        qualified=not reasons,
        registered_at=registered_at,
        total_deposit=None if asset is None else asset.total_deposit,
        current_balance=None if asset is None else asset.current_balance,
        volume=volume,
        volume_start=window[0],
        volume_end=window[1],
        reasons=reasons,
        quote=conditions.quote,
        days=conditions.days,
        min_deposit=conditions.min_deposit,
        min_volume=conditions.min_volume,
    )
