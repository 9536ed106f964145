"""Deterministic synthetic invitee data for the sandbox: both quotes, changed alike.

Each quote (``usdt``, ``usdc``) has its own population (see ``_population``), generated
lazily from the seed on first use and cached; growth and shrinkage apply to every quote, and
changes made before a quote is first generated are replayed on it.

What the real server does is unknown in places; the choices made here:
  * the window is inclusive at both ends and is read in the same (unspecified) time zone as
    the stored times, so no conversion happens;
  * every invitee is listed whatever the window (an invitee without events in it shows zero
    totals), so ``total`` does not depend on the window;
  * ``firstDepositAmount``/``firstDepositTime`` describe the account, not the window.
The sharp edge: ``build`` is thread-safe and ``install`` is not (the server builds a quote in
a thread and installs it on the event loop; the first install wins).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from asset_client.sandbox._days import advance
from asset_client.sandbox._population import Invitee, Population
from asset_client.sandbox._times import TIME_FORMAT, format_time, parse_datetime, parse_time

# Invitee, Population and the time helpers are re-exported: tests and benchmarks import
# them from here.
__all__ = [
    "QUOTES",
    "TIME_FORMAT",
    "Invitee",
    "Population",
    "SandboxData",
    "format_time",
    "parse_datetime",
    "parse_time",
]

QUOTES: Final = ("usdt", "usdc")


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

    @property
    def invitees(self) -> int:
        """The base population's size per quote."""
        return self._invitees

    @property
    def days(self) -> int:
        """Simulated days after the seeded data (see ``_days``)."""
        return self._days

    def is_ready(self, quote: str) -> bool:
        return quote in self._populations

    def build(self, quote: str) -> Population:
        """Generate a quote's base population without touching shared state (thread-safe)."""
        if quote not in QUOTES:
            raise ValueError(f"unknown quote {quote!r}")
        pop = Population(self._seed, quote, self._invitees)
        if self._days:
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
