"""What an output adds up to: its record count and the exact sum of each of its amounts.

Each dataset of the partner API carries its own sums, derived from its record class: the
amounts every record has (a field typed `Decimal`, not ``Decimal | None``) — the assets'
total_deposit, total_withdrawal and current_balance; the volume's volume; nothing for the
invitee list, which is a count.  A sum over a column some records lack would read as a
total it is not, so optional amounts are left out unless a caller names them (the report).

Sharp edge: sums are exact whatever the amounts (the default 28-digit context would round
a long sum silently): `EXACT` traps any rounding instead.
"""

from __future__ import annotations

import decimal
import typing
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal

import attrs
from attrs import define

from asset_client.export.rows import format_decimal

__all__ = ["EXACT", "Sums", "amount_fields"]

EXACT = decimal.Context(
    prec=decimal.MAX_PREC,
    Emax=decimal.MAX_EMAX,
    Emin=decimal.MIN_EMIN,
    traps=[decimal.Inexact, decimal.Rounded, decimal.InvalidOperation],
)


def amount_fields(record_type: type, *, optional: bool = False) -> tuple[str, ...]:
    """The fields of an attrs record class typed `Decimal` (and, with ``optional``,
    ``Decimal | None``), in their order."""
    hints = typing.get_type_hints(record_type)
    wanted: tuple[object, ...] = (Decimal, Decimal | None) if optional else (Decimal,)
    return tuple(a.name for a in attrs.fields(record_type) if hints[a.name] in wanted)


def _attribute(record: object, name: str) -> object:
    return getattr(record, name)


@define
class Sums:
    """Running count and exact sums; ``amounts`` names what is summed (``None`` values are
    skipped: a record without that amount adds nothing to it)."""

    records: int = 0
    amounts: dict[str, Decimal] = attrs.field(factory=dict)

    @classmethod
    def of(cls, record_type: type) -> Sums:
        """Zero, over ``record_type``'s amounts (`amount_fields`)."""
        return cls.over(amount_fields(record_type))

    @classmethod
    def over(cls, names: Iterable[str]) -> Sums:
        """Zero, over the amounts ``names``."""
        return cls(0, dict.fromkeys(names, Decimal(0)))

    def add(
        self, records: Iterable[object], get: Callable[[object, str], object] = _attribute
    ) -> None:
        """Count ``records`` and add their amounts (read with ``get(record, name)``)."""
        names = tuple(self.amounts)
        for record in records:
            self.records += 1
            for name in names:
                value = get(record, name)
                if value is not None:
                    if not isinstance(value, Decimal):
                        raise TypeError(f"{name} must be a Decimal, got {value!r}")
                    self.amounts[name] = EXACT.add(self.amounts[name], value)

    def copy(self) -> Sums:
        return Sums(self.records, dict(self.amounts))

    def text(self) -> dict[str, str]:
        """The sums as exact decimal strings (a JSON number would be read as a float)."""
        return {name: format_decimal(value) for name, value in self.amounts.items()}

    @classmethod
    def from_text(cls, records: int, amounts: Mapping[str, object]) -> Sums:
        """Sums read back from `text`; `ValueError` naming an amount that is not one."""
        parsed: dict[str, Decimal] = {}
        for name, value in amounts.items():
            try:
                amount = Decimal(value) if isinstance(value, str) else None
            except decimal.InvalidOperation:
                amount = None
            if amount is None or not amount.is_finite():
                raise ValueError(f"sums.{name} must be a decimal string, got {value!r}")
            parsed[name] = amount
        return cls(records, parsed)
