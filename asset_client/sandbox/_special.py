"""The uids a test needs, each with a documented, exact story (see ``_partner``).

The sharp edge: the stories hold for the data as generated; a fault that removes invitees
(``shrink_after``) may remove one of them.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Final

import attrs

from asset_client.sandbox._population import UNIT

__all__ = ["NOT_AN_INVITEE", "SpecialUids", "special_volumes"]


@attrs.frozen(kw_only=True)
class SpecialUids:
    """Uids with a documented, exact story (see ``PartnerData.special_uids``).

    ``today`` is the partner endpoints' last day (the sandbox's start date)."""

    today: date
    not_invitee: int  #: on no endpoint: below every uid the sandbox hands out
    never_deposited: int  #: an invitee with no deposit ever and no volume
    no_volume: int  #: deposited (``totalDeposit`` > 0) but no volume on any day
    #: volume only on ``today - 31`` (700) and ``today - 45`` (300): outside a 30-day window
    volume_outside_window: int
    #: volume 1000 on ``today - 29`` (the first day of a 30-day window, today included) and
    #: 500 on ``today - 30`` (the day just outside it)
    window_boundary: int


#: Below the lowest uid the sandbox ever hands out (uids start at 10,000,000 - 2,000).
NOT_AN_INVITEE: Final = 9_000_000


def special_volumes(today: date) -> dict[str, tuple[tuple[date, int], ...]]:
    def day(back: int) -> date:
        return today - timedelta(days=back)

    return {
        "volume_outside_window": ((day(45), 300 * UNIT), (day(31), 700 * UNIT)),
        "window_boundary": ((day(30), 500 * UNIT), (day(29), 1000 * UNIT)),
    }
