"""Records <-> the rows the history stores (pure, no I/O).

Rows are tuples: the key (uid) first, then the values exactly as the export writes them
(exact decimal strings, ISO 8601 times with offset, ``None`` for missing).  The sharp edge:
two rows are the same version only if every string is equal, so ``"1.10"`` and ``"1.1"``
differ: the history keeps what the server sent, not a normalisation of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from asset_client.export.files import FIELDS, format_decimal
from asset_client.records import InviteeAsset

__all__ = ["ASSET_COLUMNS", "Row", "asset_from_values", "named", "render_asset"]

#: Value columns of the invitee-assets dataset: the export's field names after ``uid``.
ASSET_COLUMNS: tuple[str, ...] = FIELDS[1:]
_MONEY = frozenset({"total_deposit", "total_withdrawal", "current_balance", "first_deposit_amount"})

Row = tuple[int, *tuple[str | None, ...]]


def _money(value: Decimal) -> str:
    # str() is several times cheaper than format(); it is the same text unless it chose
    # an exponent ("0E-8") or the value is not finite, which format_decimal handles.
    text = str(value)
    if "E" in text or not text[-1].isdigit():
        return format_decimal(value)
    return text


def render_asset(asset: InviteeAsset) -> Row:
    """``(uid, total_deposit, ..., first_deposit_time)`` exactly as the export renders them
    (``format_decimal`` for money, ``isoformat`` for times, ``None`` for missing)."""
    update = asset.update_time
    first_amount = asset.first_deposit_amount
    first_time = asset.first_deposit_time
    return (
        asset.uid,
        _money(asset.total_deposit),
        _money(asset.total_withdrawal),
        _money(asset.current_balance),
        None if update is None else update.isoformat(),
        None if first_amount is None else _money(first_amount),
        None if first_time is None else first_time.isoformat(),
    )


def named(values: Sequence[str | None]) -> dict[str, str | None]:
    """Stored strings in `ASSET_COLUMNS` order, by column name."""
    return dict(zip(ASSET_COLUMNS, values, strict=True))


def asset_from_values(uid: int, values: dict[str, str | None]) -> InviteeAsset:
    """The typed record back from its stored strings (exact: Decimal, aware datetime)."""
    typed: dict[str, object] = {}
    for name in ASSET_COLUMNS:
        text = values[name]
        if text is None:
            typed[name] = None
        elif name in _MONEY:
            typed[name] = Decimal(text)
        else:
            typed[name] = datetime.fromisoformat(text)
    return InviteeAsset(uid=uid, **typed)  # type: ignore[arg-type]
