"""How a number or a time reads on the dashboard, and how it stays checkable.

Pure.  Every number goes out as ``<data value="EXACT" data-k="KEY">shown</data>``: what a
person reads (thousands separators, two decimals, the quote's unit) next to the exact
value a test compares with the raw records.  Every time goes out as ``<time>`` in the
chosen zone.  The sharp edge: an amount *shown* is rounded half-even to 2 places; the
``value`` attribute is never rounded.
"""

from __future__ import annotations

import html
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal

__all__ = ["amount", "count", "duration", "esc", "moment", "num", "percent"]

_CENTS = Decimal("0.01")


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def num(key: str, value: Decimal | int | None, shown: str) -> str:
    """A checkable number: ``value`` exact in the attribute, ``shown`` for people."""
    exact = "" if value is None else (f"{value:f}" if isinstance(value, Decimal) else str(value))
    return f'<data value="{esc(exact)}" data-k="{esc(key)}">{esc(shown)}</data>'


def amount_text(value: Decimal, unit: str) -> str:
    """``1,234.57 USDT`` (half-even to cents)."""
    return f"{value.quantize(_CENTS, rounding=ROUND_HALF_EVEN):,} {unit}"


def amount(key: str, value: Decimal, unit: str) -> str:
    return num(key, value, amount_text(value, unit))


def count(key: str, value: int) -> str:
    return num(key, value, f"{value:,}")


def percent(key: str, value: Decimal) -> str:
    """A share (0.8123) shown as ``81.2 %``."""
    shown = (value * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN)
    return num(key, value, f"{shown} %")


def duration_text(seconds: int) -> str:
    """``45 min``, ``5.2 h``, ``3.1 days`` (one decimal above an hour)."""
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{Decimal(seconds) / 3600:.1f} h"
    return f"{Decimal(seconds) / 86400:.1f} days"


def duration(key: str, seconds: int | None) -> str:
    return num(key, seconds, "n/a" if seconds is None else duration_text(seconds))


def moment(value: datetime | date, zone_name: str = "") -> str:
    """A time as ``2026-07-03 14:05 UTC`` (already in the zone); a date as itself."""
    if isinstance(value, datetime):
        shown = value.strftime("%Y-%m-%d %H:%M") + (f" {zone_name}" if zone_name else "")
    else:
        shown = value.isoformat()
    return f'<time datetime="{value.isoformat()}">{esc(shown)}</time>'
