"""`Walk`: every decision of a walk over numbered pages, as one pure state machine.

It is fed answers and returns actions (`asset_client.core.walk.steps`); it owns page
planning and the concurrency window, duplicates, the size fallback, rewinds when the total
falls, re-planning when the server serves shorter pages, and completeness; where it stands
is its `Anchor`.  Sharp edge: page-number paging over a list that changes cannot see
everything; the exact promise is in the package docstring (`asset_client.core.walk`).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Generic, TypeVar

from attrs import define, frozen

from asset_client.core.walk.anchor import Anchor, align
from asset_client.core.walk.failures import (
    kept_moving,
    missed_arrivals,
    out_of_order,
    oversized_page,
    short_walk,
    vanished_before,
)
from asset_client.core.walk.steps import (
    Action,
    Answer,
    Cancel,
    Emit,
    Fail,
    Failed,
    Finish,
    Notice,
    NoticeKind,
    Order,
    Request,
    Resume,
)
from asset_client.errors import AssetClientError, InvalidParameterError, ParameterRejectedError

__all__ = ["DEFAULT_MAX_REWINDS", "Walk"]

R = TypeVar("R")

#: Steps back a walk may take before it gives up (a total that keeps falling and rising,
#: such as replicas that disagree, would otherwise re-read for ever).
DEFAULT_MAX_REWINDS = 32


@frozen
class _Ticket:
    page_no: int
    size: int


@define
class _Counts:
    admitted: int = 0
    duplicates: int = 0
    already_had: int = 0
    total_decreases: int = 0
    replans: int = 0


class Walk(Generic[R]):
    """The state machine of one walk.  Call `start` once, then `feed` each answer.

    ``page_size`` is the size asked first; ``fallback_size`` (if not None) is tried once
    when the server refuses it on the first page.  At most ``window`` pages are requested
    and not yet consumed.  Answers may come in any order; records are emitted in page
    order.  ``resume``: the caller already has the records up to a point.

    ``fail_on_arrivals=False`` ends a walk that saw records arrive before its position
    with `Finish` instead of `Fail` (they count as listed but not fetched; see
    `arrived_behind`).  For lists where newcomers sort first (newest first), every
    arrival during a walk lands there; the promise about records present throughout the
    walk holds either way.
    """

    def __init__(
        self,
        order: Order[R],
        page_size: int,
        *,
        window: int = 8,
        fallback_size: int | None = None,
        resume: Resume | None = None,
        max_rewinds: int = DEFAULT_MAX_REWINDS,
        fail_on_arrivals: bool = True,
    ) -> None:
        if page_size < 1 or window < 1:
            raise InvalidParameterError(
                f"page_size and window must be >= 1, got {page_size}, {window}", field="page_size"
            )
        if resume is not None and resume.had < 0:
            raise InvalidParameterError(
                f"resume.had must be >= 0, got {resume.had}", field="resume"
            )
        self.order = order
        self.window = window
        self.max_rewinds = max_rewinds
        self.fail_on_arrivals = fail_on_arrivals
        self._size = page_size
        self._fallback = fallback_size if fallback_size != page_size else None
        #: True once a page was served at the fallback size (callers may remember it).
        self.fell_back = False
        self._trying_fallback = False
        self._counts = _Counts()
        self._rewinds = 0
        self._arrived_behind = 0
        self._anchor = Anchor(order, resume)
        # Planning.
        self.total: int | None = None  #: the latest total consumed
        self._k = 0  # offset of the next page to consume
        self._next_page = 1
        self._reach = 0  # records known to exist, when a page showed more than ``total``
        self._in_flight: dict[int, _Ticket] = {}
        self._ready: dict[int, Sequence[R] | AssetClientError] = {}
        self._ready_total: dict[int, int] = {}
        self._reasked: set[int] = set()
        self._tickets = 0
        self._done = False
        # Actions being gathered for the current call.
        self._new: list[Request] = []
        self._cancelled: list[int] = []
        self._emit: list[R] = []
        self._notices: list[Notice] = []
        self._end: Finish | Fail | None = None

    # -- read-only views ------------------------------------------------------------

    @property
    def duplicates(self) -> int:
        """Records served again (behind the walk's position) and not emitted twice."""
        return self._counts.duplicates

    @property
    def total_decreases(self) -> int:
        """Times the walk stepped back because ``total`` fell."""
        return self._counts.total_decreases

    @property
    def replans(self) -> int:
        """Times the walk changed its page size because the server served fewer."""
        return self._counts.replans

    @property
    def arrived_behind(self) -> int:
        """Records seen to arrive before the walk's position (pages repeating records):
        on the server, but not fetched by this walk."""
        return self._arrived_behind

    # -- driving -----------------------------------------------------------------------

    def start(self) -> list[Action[R]]:
        """The first requests."""
        self._k = self._anchor.restart_offset(self._size, self.total)
        self._next_page = self._k // self._size + 1
        self._plan()
        return self._flush()

    def feed(self, answer: Answer[R]) -> list[Action[R]]:
        """Take one answer; return what to do next."""
        ticket = self._in_flight.pop(answer.ticket, None)
        if self._done or ticket is None or ticket.size != self._size:
            return []  # cancelled, stale or after the end: ignored
        page_no = ticket.page_no
        if isinstance(answer, Failed):
            self._ready[page_no] = answer.error
        else:
            self._ready[page_no] = answer.records
            self._ready_total[page_no] = answer.total
        self._drain()
        if not self._done:
            self._plan()
        return self._flush()

    # -- internals -------------------------------------------------------------------

    def _flush(self) -> list[Action[R]]:
        actions: list[Action[R]] = list(self._notices)
        if self._cancelled:
            actions.append(Cancel(tuple(self._cancelled)))
        actions.extend(self._new)
        if self._emit:
            actions.append(Emit(tuple(self._emit)))
        if self._end is not None:
            actions.append(self._end)
        self._notices, self._cancelled, self._new, self._emit = [], [], [], []
        self._end = None
        return actions

    def _request(self, page_no: int) -> None:
        self._tickets += 1
        self._in_flight[self._tickets] = _Ticket(page_no, self._size)
        self._new.append(Request(self._tickets, page_no, self._size))

    def _cancel_all(self) -> None:
        new = {r.ticket for r in self._new}
        self._new = []
        self._cancelled.extend(t for t in self._in_flight if t not in new)
        self._in_flight.clear()
        self._ready.clear()
        self._ready_total.clear()
        self._reasked.clear()

    def _outstanding(self) -> int:
        return len(self._in_flight) + len(self._ready)

    def _last_page(self) -> int:
        first = self._k // self._size + 1
        if self.total is None:
            return first  # the first answer alone tells the total
        return max(first, -(-max(self.total, self._reach) // self._size))

    def _plan(self) -> None:
        last = self._last_page()
        while self._outstanding() < self.window and self._next_page <= last:
            self._request(self._next_page)
            self._next_page += 1

    def _move_to(self, offset: int, size: int) -> None:
        """Drop everything in flight and continue from ``offset`` at ``size``."""
        self._cancel_all()
        self._reach = 0
        self._size = size
        self._k = align(offset, size)
        self._next_page = self._k // size + 1

    def _stop(self, end: Finish | Fail) -> None:
        self._cancel_all()
        self._done = True
        self._end = end

    def _drain(self) -> None:
        while not self._done:
            page_no = self._k // self._size + 1
            if page_no not in self._ready:
                return
            records = self._ready.pop(page_no)
            total = self._ready_total.pop(page_no, 0)
            if isinstance(records, AssetClientError):
                self._failed(page_no, records)
            else:
                self._page(page_no, records, total)

    def _failed(self, page_no: int, error: AssetClientError) -> None:
        if (
            isinstance(error, ParameterRejectedError)
            and self.total is None
            and self._fallback is not None
        ):
            self._notices.append(
                Notice(
                    NoticeKind.FALLBACK,
                    f"server refused pageSize={self._size}; trying {self._fallback}",
                )
            )
            size, self._fallback = self._fallback, None
            self._trying_fallback = True
            self._move_to(self._anchor.restart_offset(size, self.total), size)
            return
        self._stop(Fail(error))

    # One page, in its turn ------------------------------------------------------------

    def _page(self, page_no: int, records: Sequence[R], total: int) -> None:
        size = self._size
        offset = (page_no - 1) * size
        count = len(records)
        if self._trying_fallback:
            self._trying_fallback = False
            self.fell_back = True
        if count > size:
            self._stop(Fail(oversized_page(page_no, count, size)))
            return
        if not self._in_order(page_no, records):
            return
        if count < size and offset + count < total:
            # Shorter than asked while more follow: one odd answer, or a server that
            # caps the size.  Never trust one page: ask it again.
            if page_no not in self._reasked:
                self._reasked.add(page_no)
                self._notices.append(
                    Notice(
                        NoticeKind.REASK,
                        f"page {page_no} came back with {count} of {size} records while "
                        f"{total} are listed: asking again",
                    )
                )
                self._request(page_no)
                return
            if count == 0:
                self._stop(Fail(short_walk(total, self._accounted(), page_no, count)))
                return
            self._counts.replans += 1
            self._notices.append(
                Notice(
                    NoticeKind.REPLAN,
                    f"page {page_no} came back with {count} of {size} twice: the server "
                    f"serves at most {count}; re-planning",
                )
            )
            if page_no != 1:
                # Served from another offset than asked: read again at the size served.
                self.total = total
                self._move_to(self._anchor.restart_offset(count, self.total), count)
                return
            # Page 1 starts at 0 whatever the size: use it as page 1 of the new size.
            self._move_to(0, count)
            size = count
        lower = self._anchor.lower(total)
        if count == 0:
            # The list ends before this page: every record is at or before the watermark
            # only if the anchor still reaches the end.
            if lower >= total:
                self._finish(total)
            else:
                self._rewind(page_no, lower, total)
            return
        behind = [self._anchor.behind(r) for r in records]
        if not behind[0] and offset > lower:
            self._rewind(page_no, lower, total)
            return
        if not behind[0] and offset < lower:
            # Fewer records before the watermark than even the fall of total allows:
            # records before it vanished while as many appeared after it.
            self._stop(Fail(vanished_before(page_no)))
            return
        self._admit(records, behind, offset, total)
        self._k = offset + size
        self._next_page = max(self._next_page, page_no + 1)
        self.total = total
        if count == size and offset + count > total:
            # A full page reaching past ``total``: the count lags the list (a cached
            # count?).  Read on until a page ends inside it.
            self._reach = offset + count + 1
        elif offset + count >= total:
            self._finish(total)

    def _in_order(self, page_no: int, records: Sequence[R]) -> bool:
        """Refuse a page that breaks the order.  (One record twice in a page with
        different values is the decoder's rule, `asset_client.core.decode.conflicting_copy`:
        it never reaches the walk.)"""
        order = self.order
        previous: object = None
        first = True
        seen_last: Hashable = None
        for record in records:
            key = order.sort_key(record)
            ident = order.identity(record)
            if not first and self._anchor.before(key, previous):
                self._stop(Fail(out_of_order(page_no, order.noun, ident, seen_last)))
                return False
            previous, first = key, False
            seen_last = ident
        return True

    def _admit(self, records: Sequence[R], behind: list[bool], offset: int, total: int) -> None:
        order = self.order
        had = duplicates = 0
        page_ids: set[Hashable] = set()
        new: list[R] = []
        for record, is_behind in zip(records, behind, strict=True):
            ident = order.identity(record)
            if is_behind or ident in page_ids:
                if is_behind and self._anchor.had(record):
                    had += 1
                else:
                    duplicates += 1
                continue
            page_ids.add(ident)
            new.append(record)
        self._arrived_behind += self._anchor.advance(records, bool(new), sum(behind), offset, total)
        self._emit.extend(new)
        counts = self._counts
        counts.admitted += len(new)
        counts.duplicates += duplicates
        counts.already_had += had

    def _rewind(self, page_no: int, lower: int, total: int) -> None:
        self._rewinds += 1
        if self._rewinds > self.max_rewinds:
            self._stop(Fail(kept_moving(self.max_rewinds, total)))
            return
        target = align(max(lower, 0), self._size)
        anchor = self._anchor
        if anchor.trusted and anchor.n_total is not None and total < anchor.n_total:
            self._counts.total_decreases += 1
            self._notices.append(
                Notice(
                    NoticeKind.TOTAL_FELL,
                    f"total fell from {anchor.n_total} to {total} during the walk (page "
                    f"{page_no}): records may have moved onto pages already read; reading "
                    f"again from record {target}",
                )
            )
        else:
            self._notices.append(
                Notice(
                    NoticeKind.RESUME_MOVED,
                    f"the records before page {page_no} moved: reading again from record {target}",
                )
            )
        self.total = total
        self._move_to(target, self._size)

    def _finish(self, total: int) -> None:
        self.total = total
        if self._arrived_behind and self.fail_on_arrivals:
            self._stop(Fail(missed_arrivals(self._arrived_behind, total)))
            return
        arrived = 0 if self.fail_on_arrivals else self._arrived_behind
        if self._accounted() + arrived < total:
            self._stop(Fail(short_walk(total, self._accounted(), None, None)))
            return
        self._stop(Finish())

    def _accounted(self) -> int:
        """Distinct records the caller now has: emitted, plus those it had."""
        return self._anchor.accounted(self._counts.admitted, self._counts.already_had)
