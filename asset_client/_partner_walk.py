"""Walking every page of an endpoint ordered by anything, guarded by identity (I/O-free core).

`IdentityGuard` lets each record identity through once.  It is what makes a walk over a
newest-first list safe: an arrival during the walk shifts later pages down by one, so a
record is read twice (never lost) and the second copy is dropped here.  Sharp edge: it
remembers every identity of the walk (O(records) memory), because a descending order with
undocumented tie-breaking gives no cheaper test for "seen before".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable
from typing import Generic, TypeVar

__all__ = ["IdentityGuard", "last_page"]

R = TypeVar("R")


class IdentityGuard(Generic[R]):
    """Admits each identity once; ``known`` are identities the caller already has."""

    __slots__ = ("_identity", "_known", "_seen", "already_had", "duplicates")

    def __init__(self, identity: Callable[[R], Hashable], known: Iterable[Hashable] = ()) -> None:
        self._identity = identity
        self._known = frozenset(known)
        self._seen: set[Hashable] = set(self._known)
        self.duplicates = 0  #: read twice in this walk (pages shifted)
        self.already_had = 0  #: among ``known`` (a resumed export has them)

    def __len__(self) -> int:
        return len(self._seen)

    def admit(self, items: Iterable[R]) -> list[R]:
        """The items not seen before, in order; the rest are counted as duplicates."""
        admitted: list[R] = []
        for item in items:
            key = self._identity(item)
            if key in self._seen:
                if key in self._known:
                    self.already_had += 1
                else:
                    self.duplicates += 1
                continue
            self._seen.add(key)
            admitted.append(item)
        return admitted


def last_page(total: int, page_size: int) -> int:
    """The last page holding records for this ``total`` (1 when there are none)."""
    return max(1, math.ceil(total / page_size))
