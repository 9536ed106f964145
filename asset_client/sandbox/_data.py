"""Deterministic synthetic invitee population for the sandbox.

Each quote (``usdt``, ``usdc``) has its own population, generated lazily from the seed on first
use and cached.  An invitee has a short dated history of deposits and withdrawals between
2026-01-01 and 2026-06-30; the totals for a time window are the sums of the events inside it,
while ``currentBalance`` ignores the window (as the docs say).  About 10% never deposited and
come back with ``"0"`` totals and an empty or null first deposit (both shapes, as the notes warn).

What the real server does is unknown in places; the choices made here:
  * the window is inclusive at both ends and is read in the same (unspecified) time zone as
    the stored times, so no conversion happens;
  * every invitee is listed whatever the window (an invitee without events in it shows zero
    totals), so ``total`` does not depend on the window;
  * ``firstDepositAmount``/``firstDepositTime`` describe the account, not the window.
Money is exact integer units of 1e-8 rendered through Decimal with exactly 8 decimals; no float.
"""

from __future__ import annotations

import bisect
import gc
import random
import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Final

__all__ = [
    "QUOTES",
    "Invitee",
    "Population",
    "SandboxData",
    "format_time",
    "parse_datetime",
    "parse_time",
]

QUOTES: Final = ("usdt", "usdc")
TIME_FORMAT: Final = "%Y-%m-%d %H:%M:%S"
_TIME_RE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")
# Times are kept as whole seconds since this origin (no time zone: the docs name none).
_ORIGIN: Final = datetime(2026, 1, 1)
_SPAN: Final = int((datetime(2026, 6, 30, 23, 59, 59) - _ORIGIN).total_seconds())
_FIRST_UID: Final = 10_000_000
_NEVER_DEPOSITED_SHARE: Final = 0.1


def parse_datetime(text: str) -> datetime | None:
    """``yyyy-MM-dd HH:mm:ss`` -> a naive datetime; None if malformed (strictly: no
    ``T``, no fraction, no zone, no 2026-02-30)."""
    if not _TIME_RE.fullmatch(text):
        return None
    try:
        return datetime.strptime(text, TIME_FORMAT)
    except ValueError:
        return None


def parse_time(text: str) -> int | None:
    """``yyyy-MM-dd HH:mm:ss`` -> seconds since the origin; None if malformed (strictly)."""
    moment = parse_datetime(text)
    return None if moment is None else int((moment - _ORIGIN).total_seconds())


def format_time(seconds: int) -> str:
    """Seconds since the origin -> ``yyyy-MM-dd HH:mm:ss``."""
    day, rest = divmod(seconds, 86_400)
    if 0 <= day < len(_DAYS):
        # Hot path (every record renders two or three times): no datetime objects.
        hours, rest = divmod(rest, 3_600)
        minutes, secs = divmod(rest, 60)
        return f"{_DAYS[day]} {hours:02d}:{minutes:02d}:{secs:02d}"
    return (_ORIGIN + timedelta(seconds=seconds)).isoformat(sep=" ")


_DAYS: Final = tuple(
    (_ORIGIN + timedelta(days=d)).strftime("%Y-%m-%d") for d in range(_SPAN // 86_400 + 1)
)


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
    ) -> None:
        self.uid = uid
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


_UNIT: Final = 10**8


def _generate(rng: random.Random, first_uid: int, count: int) -> list[Invitee]:
    """``count`` invitees with ascending uids starting at ``first_uid``."""
    out: list[Invitee] = []
    append = out.append
    uid = first_uid
    rand = rng.random  # int(rand() * n) is ~2x faster than randint at this volume
    span = _SPAN + 1
    for _ in range(count):
        if rand() < _NEVER_DEPOSITED_SHARE:
            append(Invitee(uid, (), 0, int(rand() * span), rand() < 0.5, (0, 0)))
        else:
            times = sorted([int(rand() * span) for _ in range(1 + int(rand() * 5))])
            first = int((10 + rand() * 19_990) * _UNIT)
            events = [(times[0], first)]
            balance = deposited = first
            withdrawn = 0
            for t in times[1:]:
                if rand() < 0.6 or balance == 0:
                    units = int((10 + rand() * 19_990) * _UNIT)
                    balance += units
                    deposited += units
                    events.append((t, units))
                else:
                    units = 1 + int(rand() * balance)  # 1..balance: never overdraws
                    balance -= units
                    withdrawn += units
                    events.append((t, -units))
            # Trading moves the balance away from deposits minus withdrawals (never below 0).
            balance += int((rand() - 0.5) * (balance // 2))
            update = times[-1] + int(rand() * (span - times[-1]))
            append(Invitee(uid, tuple(events), balance, update, False, (deposited, withdrawn)))
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

    def grow(self, count: int) -> None:
        """Append ``count`` invitees with uids above every existing one (pages don't shift)."""
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
            new = _generate(rng, self._next_uid, count)
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


class SandboxData:
    """Both quotes' populations, generated on first use; every change applies to every quote."""

    def __init__(self, seed: int, invitees: int, days: int = 0) -> None:
        self._seed = seed
        self._invitees = invitees
        self._days = days  # simulated days after the seeded data (see `_days`)
        self._populations: dict[str, Population] = {}
        # Changes made before a quote was first generated are replayed on it.
        self._changes: list[tuple[str, int]] = []

    def population(self, quote: str) -> Population:
        """The quote's population, generating it now if needed."""
        pop = self._populations.get(quote)
        if pop is None:
            pop = self.install(quote, self.build(quote))
        return pop

    def is_ready(self, quote: str) -> bool:
        return quote in self._populations

    def build(self, quote: str) -> Population:
        """Generate a quote's base population without touching shared state (thread-safe)."""
        if quote not in QUOTES:
            raise ValueError(f"unknown quote {quote!r}")
        pop = Population(self._seed, quote, self._invitees)
        if self._days:
            from asset_client.sandbox._days import advance

            advance(pop, self._seed, quote, self._days)
        return pop

    def install(self, quote: str, pop: Population) -> Population:
        """Adopt a built population, replaying growth/shrink made meanwhile; first one wins."""
        existing = self._populations.get(quote)
        if existing is not None:
            return existing
        self._replay(pop, self._changes)
        self._populations[quote] = pop
        return pop

    def grow(self, count: int, *, anywhere: bool = False) -> None:
        """Add ``count`` invitees: above every uid, or ``anywhere`` among them."""
        self._apply(("insert" if anywhere else "grow", count))

    def shrink(self, count: int, *, anywhere: bool = False) -> None:
        """Remove ``count`` invitees: the lowest uids, or ``anywhere``."""
        self._apply(("remove" if anywhere else "shrink", count))

    def _apply(self, change: tuple[str, int]) -> None:
        self._changes.append(change)
        for pop in self._populations.values():
            self._replay(pop, [change])

    @staticmethod
    def _replay(pop: Population, changes: Iterable[tuple[str, int]]) -> None:
        for kind, count in changes:
            if kind == "grow":
                pop.grow(count)
            elif kind == "insert":
                pop.insert_anywhere(count)
            elif kind == "remove":
                pop.remove_anywhere(count)
            else:
                pop.shrink(count)
