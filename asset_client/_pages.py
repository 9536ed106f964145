"""Page planning for the walk over every invitee (pure, no I/O).

The server pages by number (``pageNo``, ``pageSize``), sorted by uid.  The planner
decides which pages to ask for, consumes answers strictly in page order, follows a
growing ``total``, and re-plans when the server silently serves shorter pages than
asked (clamping) so that nothing is skipped.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable

from ._errors import PaginationError
from ._models import InviteeAsset

__all__ = ["PagePlanner", "Step", "UidGuard"]


class Step(enum.Enum):
    """What the walk does after consuming a page."""

    CONTINUE = "continue"
    #: Pages in flight were planned with a size the server does not honour: drop them.
    REPLAN = "replan"
    #: ``total`` fell: records after the walk's position may have shifted onto pages it
    #: has read.  This page is not used; pages in flight are dropped and the walk reads
    #: again from far enough back to catch them (the uid guard drops what it re-reads).
    REWIND = "rewind"
    DONE = "done"


class PagePlanner:
    """Tracks the walk: size in use, records consumed, latest total, next pages.

    Invariant: ``consumed`` is always a multiple of ``page_size`` until the last page,
    so page ``consumed // page_size + 1`` starts exactly where the walk left off.
    """

    __slots__ = (
        "consumed",
        "first_page",
        "next_to_consume",
        "next_to_request",
        "page_size",
        "replans",
        "total",
    )

    def __init__(self, page_size: int, start_offset: int = 0) -> None:
        """``start_offset``: records the caller already has.  The walk starts at the page
        holding the last of them, so that page can prove where it is (its uids reach the
        caller's last uid); the pages before it are skipped."""
        if page_size < 1:
            raise ValueError(f"page_size must be >= 1, got {page_size}")
        if start_offset < 0:
            raise ValueError(f"start_offset must be >= 0, got {start_offset}")
        self.page_size = page_size
        self.first_page = (start_offset - 1) // page_size + 1 if start_offset else 1
        self.consumed = (self.first_page - 1) * page_size
        self.total: int | None = None
        self.next_to_request = self.first_page
        self.next_to_consume = self.first_page
        self.replans = 0

    @property
    def last_page(self) -> int:
        """The last page the current total and size call for (1 before page 1 is seen)."""
        if self.total is None:
            return self.first_page
        return max(1, math.ceil(self.total / self.page_size))

    def next_request(self) -> int | None:
        """The next page number to ask for, or None when every planned page is asked."""
        if self.next_to_request > self.last_page:
            return None
        if self.total is None and self.next_to_request > self.first_page:
            return None  # total unknown: the first page alone first
        page_no = self.next_to_request
        self.next_to_request += 1
        return page_no

    def consume(self, page_no: int, count: int, total: int) -> Step:
        """Take the answer of ``page_no`` (``count`` records, server ``total``)."""
        if page_no != self.next_to_consume:
            raise ValueError(f"pages are consumed in order: expected {self.next_to_consume}")
        if self.total is not None and total < self.total:
            # Up to (old - new) records may have moved from ahead of us to behind us.
            back_to = max(0, self.consumed - (self.total - total))
            self.consumed = back_to - back_to % self.page_size
            self.next_to_consume = self.next_to_request = self.consumed // self.page_size + 1
            self.total = total
            return Step.REWIND
        self.total = total
        if count == 0:
            return Step.DONE
        self.consumed += count
        if self.consumed >= total:
            return Step.DONE
        if count < self.page_size:
            # Short page with more to come: the server caps the size.  Continue with a size
            # that divides what we have, so the next page starts exactly after it.
            size = count if self.consumed % count == 0 else math.gcd(self.consumed, count)
            self.page_size = size
            self.next_to_consume = self.next_to_request = self.consumed // size + 1
            self.replans += 1
            return Step.REPLAN
        self.next_to_consume += 1
        return Step.CONTINUE


class UidGuard:
    """Never lets a uid through twice, and refuses pages whose uids go backwards.

    Results are sorted by uid.  A uid equal to one already yielded is a duplicate
    (pages shifted because invitees were added or removed mid-walk): dropped and
    counted.  A uid below the last one that is not a known duplicate means the order
    is broken and records may be missing, which raises `PaginationError`.  Memory
    stays bounded: only the previous page's uids are remembered.  After a rewind,
    everything up to the last uid yielded is known to be had (`rewind`).
    """

    __slots__ = (
        "_previous_page",
        "after_uid",
        "already_had",
        "duplicates",
        "duplicates_at_rewind",
        "last_uid",
    )

    def __init__(self, after_uid: int | None = None) -> None:
        """``after_uid``: the caller already has every uid up to this one (resume)."""
        self.after_uid = after_uid
        self.last_uid: int | None = None
        self.duplicates = 0
        self.duplicates_at_rewind = 0  # duplicates before the walk's position last moved back
        self.already_had = 0
        self._previous_page: set[int] = set()

    def rewind(self) -> None:
        """The walk reads again from further back: every uid up to the last one
        yielded was yielded (results are sorted), so re-reading them is expected."""
        if self.last_uid is not None:
            self.after_uid = max(self.after_uid or 0, self.last_uid)
        self.duplicates_at_rewind = self.duplicates

    def admit(self, items: Iterable[InviteeAsset], page_no: int) -> list[InviteeAsset]:
        """The items of ``page_no`` that were not yielded before, in order."""
        admitted: list[InviteeAsset] = []
        current: set[int] = set()
        for item in items:
            uid = item.uid
            if self.after_uid is not None and uid <= self.after_uid:
                self.already_had += 1
                continue
            if self.last_uid is not None and uid <= self.last_uid:
                if uid == self.last_uid or uid in current or uid in self._previous_page:
                    self.duplicates += 1
                    continue
                raise PaginationError(
                    f"page {page_no}: uid {uid} came after uid {self.last_uid}, but results "
                    "are sorted by uid; the server's paging is inconsistent and records may "
                    "be missing. Run the walk again."
                )
            admitted.append(item)
            current.add(uid)
            self.last_uid = uid
        if current:
            self._previous_page = current
        return admitted
