"""What changed between the stored versions and the records just walked (pure, no I/O).

Rows are tuples: the key (uid) first, then the values exactly as the export writes them
(exact decimal strings, ISO 8601 times with offset, ``None`` for missing).  Two rows are
the same version only if every string is equal: ``"1.10"`` and ``"1.1"`` differ, because
the history keeps what the server sent, not a normalisation of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from attrs import frozen

from .._export import FIELDS, format_decimal
from .._models import InviteeAsset

__all__ = ["ASSET_COLUMNS", "PageDiff", "Row", "asset_from_values", "diff_range", "render_asset"]

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


@frozen
class PageDiff:
    """What one stretch of uids needs: versions to close, versions to add, and counts."""

    close: list[int]  #: uids whose current version ends here (changed or gone)
    insert: list[Row]  #: new current versions (new or changed uids)
    new: int
    changed: int
    gone: int


def diff_range(current: Sequence[Row], incoming: Sequence[Row]) -> PageDiff:
    """Merge two uid-ascending lists covering the same stretch of uids.

    ``current`` holds the stored current versions in the stretch, ``incoming`` what the
    walk returned for it.  A uid only in ``current`` is gone, only in ``incoming`` new.
    """
    close: list[int] = []
    insert: list[Row] = []
    new = changed = gone = 0
    i = j = 0
    while i < len(current) or j < len(incoming):
        old = current[i] if i < len(current) else None
        row = incoming[j] if j < len(incoming) else None
        if row is None or (old is not None and old[0] < row[0]):
            assert old is not None
            close.append(old[0])
            gone += 1
            i += 1
        elif old is None or row[0] < old[0]:
            insert.append(row)
            new += 1
            j += 1
        else:
            if old != row:
                close.append(row[0])
                insert.append(row)
                changed += 1
            i += 1
            j += 1
    return PageDiff(close=close, insert=insert, new=new, changed=changed, gone=gone)
