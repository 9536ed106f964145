"""Where a walk stands in the server's list: the watermark and how far it can be trusted
(pure).

The anchor is the walk's watermark (the last record it admitted, in the list's order)
and a lower bound on how many records sat at or before it when a page with a known
total was served.  Sharp edge: right after a resume the anchor is only the caller's
claim (``trusted`` is false): it places the first page, but nothing is concluded from
it until a page read by this walk confirms it.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any, Generic, TypeVar

from asset_client.core.walk.steps import Order, Resume

__all__ = ["NOTHING", "Anchor", "align"]

R = TypeVar("R")

NOTHING: Any = object()  # the watermark before any record is admitted


def align(offset: int, size: int) -> int:
    """The start of the page of ``size`` that holds ``offset``."""
    return offset - offset % size


class Anchor(Generic[R]):
    """The watermark, its ties, and "at least ``n`` records were at or before the
    watermark when a page with total ``n_total`` was served".

    Memory: for orders whose sort key is not unique, the identities of the admitted
    records that share the watermark's sort key (the largest group of ties).
    """

    def __init__(self, order: Order[R], resume: Resume | None) -> None:
        self.order = order
        self.resume = resume
        self.mark: Any = NOTHING
        self.ties: set[Hashable] | None = None
        self.last_id: Hashable = NOTHING
        self.n = 0
        self.n_total: int | None = None
        self.trusted = True  # False while the anchor is only the caller's resume claim
        self.exact = True  # ``n`` is the watermark's position, not only a lower bound
        if resume is not None:
            self.mark = resume.after
            self.ties = None if resume.tied is None else set(resume.tied)
            self.n = resume.had
            self.trusted = self.exact = False

    def before(self, a: Any, b: Any) -> bool:
        """Sort key ``a`` comes before ``b`` in the list's order."""
        return bool(b < a) if self.order.descending else bool(a < b)

    def lower(self, total: int) -> int:
        """At least this many records are at or before the watermark in a page served
        with ``total`` (unless a change no page-number client can see happened)."""
        if not self.trusted:
            return 0
        if self.n_total is None:
            return self.n
        return max(0, self.n - max(0, self.n_total - total))

    def restart_offset(self, size: int, total: int | None) -> int:
        """Where to read from at ``size``, ``total`` being the latest one consumed."""
        if not self.trusted:  # the resume claim: the page holding the last record had
            return align(max(self.n - 1, 0), size)
        return align(self.lower(total if total is not None else 0), size)

    def behind(self, record: R) -> bool:
        """At or before the watermark: already emitted (or had, or arrived behind)."""
        if self.mark is NOTHING:
            return False
        key = self.order.sort_key(record)
        if self.before(key, self.mark):
            return True
        if key == self.mark:
            return self.ties is None or self.order.identity(record) in self.ties
        return False

    def had(self, record: R) -> bool:
        """At or before the resume point: the caller has it."""
        resume = self.resume
        if resume is None:
            return False
        key = self.order.sort_key(record)
        if self.before(key, resume.after):
            return True
        if key == resume.after:
            return resume.tied is None or self.order.identity(record) in resume.tied
        return False

    def advance(
        self, records: Sequence[R], admitted_any: bool, behind: int, offset: int, total: int
    ) -> int:
        """Move the anchor to the last of ``records`` (a page at ``offset`` served with
        ``total``, ``behind`` of them at or before the watermark); return how many
        records that page shows to have arrived behind the walk."""
        order = self.order
        last = records[-1]
        exact = admitted_any or order.identity(last) == self.last_id
        arrived = 0
        if exact and self.exact and self.trusted:
            # Where the watermark stands now against where it stood: more records before
            # it than the anchor allows means records arrived behind the walk.
            arrived = max(0, offset + behind - self.n)
        # The new anchor: the last record of this page, at offset + count.
        key = order.sort_key(last)
        if self.mark is NOTHING or self.before(self.mark, key):
            self.mark = key
            self.ties = None if order.unique else set()
        if self.ties is not None and key == self.mark:
            self.ties.update(order.identity(r) for r in records if order.sort_key(r) == key)
        if key == self.mark:
            self.last_id = order.identity(last)
        position = offset + len(records)
        self.n = position if exact else max(self.lower(total), position)
        self.n_total = total
        self.trusted = True
        self.exact = exact
        return arrived

    def accounted(self, admitted: int, already_had: int) -> int:
        """Distinct records the caller now has: ``admitted`` by the walk, plus those it
        had before (its claim, or what the walk saw of them, whichever is more)."""
        claimed = self.resume.had if self.resume is not None else 0
        return admitted + max(claimed, already_had)
