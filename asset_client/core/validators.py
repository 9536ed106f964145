"""attrs validators for settings objects that name the field and the value (pure).

The sharp edge is what ``ge(0)`` lets through: ``inf`` and ``nan`` (``nan >= 0`` is
false, but ``inf`` passes and then hangs a sleep or overflows a timer), ``True`` as
an integer, and absurd sizes.  These refuse all of them with `InvalidParameterError`.
"""

from __future__ import annotations

import math
from typing import Any

from asset_client.errors import InvalidParameterError

__all__ = ["bounded_int", "bounded_seconds", "seconds_at_least_zero"]


def bounded_seconds(low: float, high: float, *, low_inclusive: bool = True) -> Any:
    """A finite number of seconds in ``[low, high]`` (``(low, high]`` if not inclusive)."""
    opening = "[" if low_inclusive else "("

    def check(_: object, attribute: Any, value: object) -> None:
        ok = (
            not isinstance(value, bool)
            and isinstance(value, int | float)
            and math.isfinite(value)
            and (value >= low if low_inclusive else value > low)
            and value <= high
        )
        if not ok:
            raise InvalidParameterError(
                f"{attribute.name} must be a finite number of seconds in "
                f"{opening}{low:g}, {high:g}], got {value!r}",
                field=attribute.name,
            )

    return check


def bounded_int(low: int, high: int) -> Any:
    """An integer (not a bool) from ``low`` to ``high``."""

    def check(_: object, attribute: Any, value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise InvalidParameterError(
                f"{attribute.name} must be an integer from {low} to {high}, got {value!r}",
                field=attribute.name,
            )

    return check


def seconds_at_least_zero(name: str, value: object, expected: str) -> float:
    """``value`` as finite seconds >= 0, else `InvalidParameterError`: "``name`` must be
    ``expected``, got ``value``" (for plain arguments, where no attrs field checks them)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
    ):
        raise InvalidParameterError(f"{name} must be {expected}, got {value!r}", field=name)
    return float(value)
