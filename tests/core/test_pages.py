"""Pages are sized, iterable collections of their records (issue 21.16), every page class."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from asset_client import (
    AssetPage,
    DailyVolume,
    Invitee,
    InviteeAsset,
    InviteePage,
    VolumePage,
)

ASSET = InviteeAsset(
    uid=7, total_deposit=Decimal(1), total_withdrawal=Decimal(0), current_balance=Decimal(1)
)
INVITEE = Invitee(uid=8, register_time=datetime(2026, 1, 2, tzinfo=UTC))
VOLUME = DailyVolume(uid=9, day=date(2026, 1, 2), volume=Decimal("2.5"))


@pytest.mark.parametrize(
    ("page_class", "record"),
    [(AssetPage, ASSET), (InviteePage, INVITEE), (VolumePage, VOLUME)],
)
def test_a_page_iterates_and_counts_its_records(page_class: type, record: object) -> None:
    page = page_class(page_no=1, page_size=10, total=2, items=[record, record])
    assert len(page) == 2
    assert list(page) == [record, record] == list(page.items)
    assert [r for r in page] == list(page.items)
    empty = page_class(page_no=2, page_size=10, total=2, items=[])
    assert len(empty) == 0 and list(empty) == [] and not empty
    assert page != empty and hash(page) == hash(page_class(1, 10, 2, [record, record]))
