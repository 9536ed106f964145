"""One quote's synthetic invitees: generated from a seed, uid ascending, edited in place.

An invitee registers inside the seeded span (a fixed epoch, never "now"), makes a first
deposit some time after registering (or not yet), then a short dated history of deposits and
withdrawals; the totals for a time window are the sums of the events inside it, while
``currentBalance`` ignores the window (as the docs say).  A funnel like a real affiliate's:
about a quarter never deposited (``"0"`` totals and an empty or null first deposit, both shapes,
as the notes warn), about a quarter deposit but never trade, a few whales.  The sharp edge:
every change (growth, shrinkage, insertions anywhere) is seeded from (seed, quote, batch), so
a run replays exactly only when the same changes come in the same order.
Money is exact integer units of 1e-8 rendered through Decimal with exactly 8 decimals; no float.
"""

from __future__ import annotations

import bisect
import gc
import math
import random
from decimal import Decimal
from typing import Final

from asset_client.sandbox._times import SPAN, format_time

__all__ = [
    "DEPOSITOR",
    "NEVER",
    "TRADER",
    "UNIT",
    "WHALE",
    "Invitee",
    "Population",
    "is_quiet",
]

UNIT: Final = 10**8  #: units of an amount per coin (the wire format's resolution: 1e-8)
_FIRST_UID: Final = 10_000_000
# The funnel (profiles): shares of registrations.  A registrant whose first deposit would
# fall after the span has not deposited yet, so recent cohorts convert less, as in life.
NEVER: Final = 0  #: registered, never deposited
DEPOSITOR: Final = 1  #: deposited, never trades
TRADER: Final = 2  #: deposited and trades
WHALE: Final = 3  #: deposits and trades tens of times more than a trader
_NEVER_SHARE: Final = 0.25
_DEPOSITOR_SHARE: Final = 0.25
_WHALE_SHARE: Final = 0.02
_MEAN_DEPOSIT_DELAY: Final = 4 * 86_400  #: registration -> first deposit (exponential)


def is_quiet(seed: int, uid: int) -> bool:
    """One invitee in twenty is quiet: no activity on simulated days, so the special uids
    chosen among them (see ``_partner``) keep their story whatever the day."""
    return ((uid * 2_654_435_761 + seed) & 0xFFFFFFFF) % 20 == 0


def _money(units: int) -> str:
    """Integer units of 1e-8 -> exact 8-decimal string (via Decimal, never float)."""
    return f"{Decimal(units).scaleb(-8):.8f}"


class Invitee:
    """One direct invitee's history in one quote (immutable after creation).

    Amounts are exact integers in units of 1e-8 (the wire format's resolution): summing
    them is exact like Decimal and several times faster for 250k-invitee populations.
    """

    __slots__ = (
        "current_balance",
        "events",
        "null_first_deposit",
        "profile",
        "registered",
        "total_deposit",
        "total_withdrawal",
        "uid",
        "update_time",
    )

    def __init__(
        self,
        uid: int,
        events: tuple[tuple[int, int], ...],
        current_balance: int,
        update_time: int,
        null_first_deposit: bool = False,
        totals: tuple[int, int] | None = None,
        *,
        registered: int = 0,
        profile: int = TRADER,
    ) -> None:
        self.uid = uid
        # Seconds since the origin; never after the first event (see `_generate`).
        self.registered = registered
        self.profile = profile  # NEVER, DEPOSITOR, TRADER or WHALE
        # (seconds since origin, signed units): positive = deposit, negative = withdrawal.
        self.events = events
        self.current_balance = current_balance
        self.update_time = update_time
        self.null_first_deposit = null_first_deposit
        # Precomputed so the common no-window page costs no summing; the generator passes
        # them in because it already has them.
        if totals is None:
            totals = (sum(a for _, a in events if a > 0), -sum(a for _, a in events if a < 0))
        self.total_deposit, self.total_withdrawal = totals

    def totals(self, start: int | None = None, end: int | None = None) -> tuple[int, int]:
        """(deposits, withdrawals) in units inside the inclusive window."""
        if start is None and end is None:
            return self.total_deposit, self.total_withdrawal
        lo = start if start is not None else -(2**62)
        hi = end if end is not None else 2**62
        deposit = withdrawal = 0
        for t, amount in self.events:
            if lo <= t <= hi:
                if amount > 0:
                    deposit += amount
                else:
                    withdrawal -= amount
        return deposit, withdrawal

    def record(self, start: int | None = None, end: int | None = None) -> dict[str, object]:
        """The raw JSON record the server returns for this invitee and time window."""
        if not self.events:
            empty: str | None = None if self.null_first_deposit else ""
            return {
                "uid": self.uid,
                "totalDeposit": "0",
                "totalWithdrawal": "0",
                "currentBalance": "0",
                "updateTime": format_time(self.update_time),
                "firstDepositAmount": empty,
                "firstDepositTime": empty,
            }
        deposit, withdrawal = self.totals(start, end)
        first_time, first_amount = self.events[0]
        return {
            "uid": self.uid,
            "totalDeposit": _money(deposit),
            "totalWithdrawal": _money(withdrawal),
            "currentBalance": _money(self.current_balance),
            "updateTime": format_time(self.update_time),
            "firstDepositAmount": _money(first_amount),
            "firstDepositTime": format_time(first_time),
        }


def _profile(draw: float) -> int:
    if draw < _NEVER_SHARE:
        return NEVER
    if draw < _NEVER_SHARE + _DEPOSITOR_SHARE:
        return DEPOSITOR
    return WHALE if draw >= 1 - _WHALE_SHARE else TRADER


def _generate(
    rng: random.Random, first_uid: int, count: int, lo: int = 0, hi: int = SPAN
) -> list[Invitee]:
    """``count`` invitees with ascending uids starting at ``first_uid``, registered and
    active within ``lo..hi`` (seconds since the origin): nothing before registration."""
    out: list[Invitee] = []
    append = out.append
    uid = first_uid
    rand = rng.random  # int(rand() * n) is ~2x faster than randint at this volume
    span = hi - lo + 1
    for _ in range(count):
        profile = _profile(rand())
        registered = lo + int(rand() * span)
        # Exponential delay to the first deposit; past the span: has not deposited yet.
        first_at = registered + int(-math.log(1.0 - rand()) * _MEAN_DEPOSIT_DELAY)
        if profile == NEVER or first_at > hi:
            update = registered + int(rand() * (hi - registered + 1))
            append(
                Invitee(
                    uid, (), 0, update, rand() < 0.5, (0, 0), registered=registered, profile=NEVER
                )
            )
        else:
            scale = 50 if profile == WHALE else 1
            later = [first_at + int(rand() * (hi - first_at + 1)) for _ in range(int(rand() * 5))]
            times = [first_at, *sorted(later)]
            first = int((10 + rand() * 19_990) * scale * UNIT)
            events = [(times[0], first)]
            balance = deposited = first
            withdrawn = 0
            for t in times[1:]:
                if rand() < 0.6 or balance == 0:
                    units = int((10 + rand() * 19_990) * scale * UNIT)
                    balance += units
                    deposited += units
                    events.append((t, units))
                else:
                    units = 1 + int(rand() * balance)  # 1..balance: never overdraws
                    balance -= units
                    withdrawn += units
                    events.append((t, -units))
            # Trading moves the balance away from deposits minus withdrawals (never below 0).
            if profile != DEPOSITOR:
                balance += int((rand() - 0.5) * (balance // 2))
            update = times[-1] + int(rand() * (hi - times[-1] + 1))
            totals = (deposited, withdrawn)
            append(
                Invitee(
                    uid,
                    tuple(events),
                    balance,
                    update,
                    False,
                    totals,
                    registered=registered,
                    profile=profile,
                )
            )
        uid += 1 + int(rand() * 2_000)
    return out


def _base_offset(seed: int, quote: str) -> int:
    """Where a quote's uids start (differs per seed and quote)."""
    return random.Random(f"coinw-sandbox:{seed}:{quote}:base").randint(0, 99_999)  # noqa: S311


class Population:
    """The invitees of one quote, uid ascending.  It grows at the top and shrinks at the
    bottom (`grow`, `shrink`), or gains and loses invitees anywhere (`insert_anywhere`,
    `remove_anywhere`); every change is seeded, so a run replays exactly."""

    def __init__(self, seed: int, quote: str, size: int) -> None:
        self._seed = seed
        self._quote = quote
        self._batches = 0
        self._removals = 0
        self._gone: set[int] = set()  # uids removed: never handed out again
        self._items: list[Invitee] = []
        self._uids: list[int] = []
        self._next_uid = _FIRST_UID + _base_offset(seed, quote)
        self.grow(size)

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: int) -> Invitee:
        return self._items[index]

    def replace(self, index: int, invitee: Invitee) -> None:
        """Put ``invitee`` at ``index`` (same uid: a day's activity, see ``_days``)."""
        if invitee.uid != self._uids[index]:
            raise ValueError(f"uid {invitee.uid} cannot replace uid {self._uids[index]}")
        self._items[index] = invitee

    def grow(self, count: int, *, lo: int = 0, hi: int = SPAN) -> None:
        """Append ``count`` invitees with uids above every existing one (pages don't shift),
        registered within ``lo..hi`` (seconds since the origin)."""
        if count <= 0:
            return
        # Each batch has its own derived seed, so growth is as deterministic as the base.
        # Seeded synthetic data, not security: a PRNG is the point.
        rng = random.Random(f"coinw-sandbox:{self._seed}:{self._quote}:{self._batches}")  # noqa: S311
        self._batches += 1
        # Hundreds of thousands of small objects trigger needless cyclic-GC passes.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            new = _generate(rng, self._next_uid, count, lo, hi)
        finally:
            if gc_was_enabled:
                gc.enable()
        self._next_uid = new[-1].uid + rng.randint(1, 2_000)
        self._items.extend(new)
        self._uids.extend(inv.uid for inv in new)

    def shrink(self, count: int) -> None:
        """Remove ``count`` invitees from the low-uid end."""
        if count > 0:
            self._gone.update(self._uids[:count])
            del self._items[:count]
            del self._uids[:count]

    def insert_anywhere(self, count: int) -> None:
        """Add ``count`` invitees at seeded random places among the existing uids (pages
        after each one shift forward).  A uid is never reused."""
        if count <= 0:
            return
        rng = random.Random(f"coinw-sandbox:{self._seed}:{self._quote}:{self._batches}")  # noqa: S311
        self._batches += 1
        for _ in range(count):
            for _attempt in range(20):
                i = rng.randint(0, len(self._uids))
                high = self._uids[i] if i < len(self._uids) else self._next_uid
                low = self._uids[i - 1] if i > 0 else max(0, high - 2_000)
                uid = rng.randint(low + 1, high - 1) if high - low > 1 else 0
                if uid > 0 and uid not in self._gone:
                    break
            else:
                uid = self._next_uid  # no free gap found: at the top
            if uid >= self._next_uid:
                self._next_uid = uid + rng.randint(1, 2_000)
            invitee = _generate(rng, uid, 1)[0]
            at = bisect.bisect_left(self._uids, uid)
            self._items.insert(at, invitee)
            self._uids.insert(at, uid)

    def remove_anywhere(self, count: int) -> None:
        """Remove ``count`` invitees chosen at seeded random places."""
        rng = random.Random(f"coinw-sandbox:{self._seed}:{self._quote}:removal:{self._removals}")  # noqa: S311
        self._removals += 1
        for _ in range(min(count, len(self._uids))):
            at = rng.randrange(len(self._uids))
            self._gone.add(self._uids[at])
            del self._items[at]
            del self._uids[at]

    def matching(self, uid: int | None) -> list[Invitee]:
        """All invitees, or the one with ``uid`` (empty list if none)."""
        if uid is None:
            return self._items
        i = bisect.bisect_left(self._uids, uid)
        if i < len(self._uids) and self._uids[i] == uid:
            return [self._items[i]]
        return []

    def page(
        self,
        offset: int,
        size: int,
        *,
        uid: int | None = None,
        start: int | None = None,
        end: int | None = None,
    ) -> tuple[int, list[dict[str, object]]]:
        """``(total, records)`` for one page."""
        selected = self.matching(uid)
        return len(selected), [inv.record(start, end) for inv in selected[offset : offset + size]]

    def records(
        self, *, uid: int | None = None, start: int | None = None, end: int | None = None
    ) -> list[dict[str, object]]:
        """Every matching record (the ground truth a full walk should return)."""
        return [inv.record(start, end) for inv in self.matching(uid)]

    def uids(self) -> list[int]:
        return list(self._uids)
