"""The joined report's pure part: three record streams in, one row per invitee out.

Feed `ReportBuilder` the records of the three walks in any interleaving (they run
concurrently); `rows` then gives one `ReportRow` per uid seen by *any* endpoint, uid
ascending.  A cell is empty (``None``) when that endpoint said nothing about the uid — an
invitee with no trades in the window has an empty ``volume``, not ``0``.

Memory, and its sharp edge: the three endpoints sort differently (uid ascending, newest
registration first, newest day first), so no streaming merge-join is possible without
holding one side.  The builder holds one small slot per uid (six fields) and nothing per
volume record: daily volumes are summed into their uid's slot as they arrive, so memory is
O(invitees), not O(invitees x days).  It trusts the walks to deliver each (uid, day) once
(they guard by identity); a second copy would be summed twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal

from attrs import frozen

from asset_client.export.rows import OutputFormat, rows_of
from asset_client.export.sums import EXACT, Sums, amount_fields
from asset_client.records import DailyVolume, Invitee, InviteeAsset

__all__ = ["REPORT_FIELDS", "ReportBuilder", "ReportRow", "encode_report_rows", "report_sums"]


@frozen
class ReportRow:
    """One invitee's line of the report; ``None`` = that endpoint had nothing for them."""

    uid: int
    register_time: datetime | None = None
    total_deposit: Decimal | None = None
    total_withdrawal: Decimal | None = None
    current_balance: Decimal | None = None
    first_deposit_time: datetime | None = None
    volume: Decimal | None = None


class _Slot:
    __slots__ = ("asset", "register_time", "volume")

    def __init__(self) -> None:
        self.register_time: datetime | None = None
        self.asset: InviteeAsset | None = None
        self.volume: Decimal | None = None


class ReportBuilder:
    """Joins invitees, assets and daily volumes by uid.

    ``volume_since``/``volume_until`` (inclusive) bound which days count towards
    ``volume``; days outside are ignored (a walk with explicit dates sends none anyway).
    With ``invitees_only`` a uid the invitee list never named gets no row: the report is
    then about the list's cohort (e.g. a registration window), not everyone the other two
    endpoints know.
    """

    def __init__(
        self,
        *,
        volume_since: date | None = None,
        volume_until: date | None = None,
        invitees_only: bool = False,
    ) -> None:
        self._slots: dict[int, _Slot] = {}
        self._since = volume_since
        self._until = volume_until
        self._invitees_only = invitees_only

    def __len__(self) -> int:
        return len(self._slots)

    def _slot(self, uid: int) -> _Slot:
        slot = self._slots.get(uid)
        if slot is None:
            slot = self._slots[uid] = _Slot()
        return slot

    def add_invitee(self, invitee: Invitee) -> None:
        self._slot(invitee.uid).register_time = invitee.register_time

    def add_asset(self, asset: InviteeAsset) -> None:
        self._slot(asset.uid).asset = asset

    def add_volume(self, volume: DailyVolume) -> None:
        if (self._since is not None and volume.day < self._since) or (
            self._until is not None and volume.day > self._until
        ):
            return
        slot = self._slot(volume.uid)
        # Exact context: the default 28 digits would round a long sum silently.
        slot.volume = (
            volume.volume if slot.volume is None else EXACT.add(slot.volume, volume.volume)
        )

    def rows(self) -> Iterator[ReportRow]:
        """One row per uid, uid ascending."""
        for uid in sorted(self._slots):
            slot = self._slots[uid]
            if self._invitees_only and slot.register_time is None:
                continue
            asset = slot.asset
            yield ReportRow(
                uid=uid,
                register_time=slot.register_time,
                total_deposit=asset.total_deposit if asset else None,
                total_withdrawal=asset.total_withdrawal if asset else None,
                current_balance=asset.current_balance if asset else None,
                first_deposit_time=asset.first_deposit_time if asset else None,
                volume=slot.volume,
            )


#: The report's columns: `ReportRow`'s fields, in order.
REPORT_FIELDS: tuple[str, ...] = rows_of(ReportRow).fields


def encode_report_rows(rows: Iterable[ReportRow], *, header: bool) -> bytes:
    """CSV lines (``\\n``-terminated) for ``rows``; exact decimals, ISO 8601 times."""
    report = rows_of(ReportRow)
    return (report.header(OutputFormat.CSV) if header else b"") + report.encode(
        OutputFormat.CSV, rows
    )


def report_sums(rows: Iterable[ReportRow]) -> Sums:
    """The rows counted, and their deposits, withdrawals, balances and volume summed (a
    cell an endpoint left empty adds nothing)."""
    sums = Sums.over(amount_fields(ReportRow, optional=True))
    sums.add(rows)
    return sums
