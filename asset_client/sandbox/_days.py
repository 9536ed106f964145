"""Simulated days: the seeded demo data as it would look ``days`` days later.

So that two snapshots of the sandbox differ like two days of a real affiliate's invitees:
each day some invitees deposit or withdraw (never-deposited ones make their first deposit),
new invitees register that day above every uid, and the oldest few disappear.  The partner
endpoints add each day's trading volume (see ``_partner``).  Deterministic per
(seed, quote, day).  The sharp edge: a day's events are dated after the seeded span
(2026-07-01 onwards), whatever today's date.
"""

from __future__ import annotations

import random

from asset_client.sandbox._population import (
    DEPOSITOR,
    NEVER,
    UNIT,
    Invitee,
    Population,
    is_quiet,
)
from asset_client.sandbox._times import DAY, SPAN

__all__ = ["advance"]

ACTIVE_SHARE = 0.02  #: invitees with a deposit or withdrawal on a given day
JOIN_SHARE = 0.005  #: new invitees per day, relative to the population
LEAVE_PER_THOUSAND = 1  #: invitees gone per day per thousand (at least one)


def _active(inv: Invitee, when: int, rng: random.Random) -> Invitee:
    """``inv`` after one deposit or withdrawal at ``when``."""
    if inv.current_balance > 0 and rng.random() < 0.4:
        amount = -(1 + int(rng.random() * inv.current_balance))
    else:
        amount = int((10 + rng.random() * 9_990) * UNIT)
    deposit = inv.total_deposit + max(amount, 0)
    withdrawal = inv.total_withdrawal + max(-amount, 0)
    return Invitee(
        inv.uid,
        (*inv.events, (when, amount)),
        inv.current_balance + amount,
        when,
        inv.null_first_deposit,
        (deposit, withdrawal),
        registered=inv.registered,
        # A first deposit moves a registrant down the funnel (trading is the volume's).
        profile=DEPOSITOR if inv.profile == NEVER else inv.profile,
    )


def advance(population: Population, seed: int, quote: str, days: int) -> None:
    """Apply ``days`` simulated days to a freshly generated population, in place."""
    for day in range(1, days + 1):
        rng = random.Random(f"coinw-sandbox:{seed}:{quote}:day:{day}")  # noqa: S311 - demo data
        start = SPAN + 1 + (day - 1) * DAY
        size = len(population)
        for index in range(size):
            if rng.random() < ACTIVE_SHARE and not is_quiet(seed, population[index].uid):
                changed = _active(population[index], start + int(rng.random() * DAY), rng)
                population.replace(index, changed)
        population.shrink(max(1, size * LEAVE_PER_THOUSAND // 1000))
        # Joiners register on this day (most have not deposited yet).
        population.grow(max(1, int(size * JOIN_SHARE)), lo=start, hi=start + DAY - 1)
