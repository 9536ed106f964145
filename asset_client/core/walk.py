"""Every decision of a walk over numbered pages, as one pure state machine.

The machine is fed answers ("the request with ticket 7 came back with these records and
this total", "ticket 7 failed with this error") and returns actions ("request page K at
size S", "cancel these requests", "emit these records", "finished", "fail with this
error").  It owns page planning and the concurrency window, duplicates, the size
fallback, the resume anchor, rewinds when the total falls, re-planning when the server
serves shorter pages, and completeness.  It does no I/O and reads no clock: the client
only carries its actions out, and the property tests drive this very code.

Sharp edge: page-number paging over a list that changes cannot see everything.  The
promise is exact, and stated here once (README "Walks" repeats it):

  A walk yields every record that was on the server for its whole duration, each once,
  in order, or it raises `PaginationError` after yielding what it had.  The one
  exception no page-number client can avoid: a record is missed without an error only
  if, between the moments two of the walk's pages were served, the number of records
  before it fell and the number after it rose (records removed on one side, others
  added on the other), as the later-numbered page saw them.  Pages and totals are then
  exactly those of a server on which that record was removed and another added.  At
  most min(removed before, added after) records are missed that way.

How, in one paragraph.  The walk keeps an *anchor*: its watermark (the last record it
admitted, in the list's order) and a lower bound on how many records sat at or before
the watermark when a page with a known total was served.  A page whose first record is
at or before the watermark proves that nothing fell between the pages.  A page that
starts after it is trusted only if its offset is no further than the anchor, less the
fall of ``total`` since; otherwise records may have moved onto pages already read and
the walk steps back.  At the end, records the walk saw arrive behind its position (a
page repeating records means the list grew before it) cannot be fetched by this walk,
and a walk that admitted fewer distinct records than the last ``total`` is short: both
raise rather than report success.  A page shorter than asked while more follow is asked
again; the size changes only when two answers agree, and only to a size served.

Memory: the watermark and, for orders whose sort key is not unique, the identities of
the admitted records that share the watermark's sort key (the largest group of ties,
e.g. one day of a per-day list).  Records are never kept for a whole walk.  The order
must be a total order that is stable across requests (CoinW documents a tie-break by id).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Hashable, Sequence
from typing import Any, Generic, TypeVar

from attrs import define, frozen

from asset_client.errors import AssetClientError, InvalidParameterError, PaginationError

__all__ = [
    "Action",
    "Answer",
    "Cancel",
    "Emit",
    "Fail",
    "Failed",
    "Finish",
    "Notice",
    "NoticeKind",
    "Order",
    "Request",
    "Resume",
    "Served",
    "Walk",
]

R = TypeVar("R")

#: Steps back a walk may take before it gives up (a total that keeps falling and rising,
#: such as replicas that disagree, would otherwise re-read for ever).
DEFAULT_MAX_REWINDS = 32


@frozen
class Order(Generic[R]):
    """How the server sorts records, and what identifies one.

    ``sort_key`` is the server's sort field (compared with ``<``), ``descending`` its
    direction.  ``unique`` says the sort key alone identifies a record (uids): the walk
    then keeps only the watermark.  Otherwise ties are told apart by ``identity``.
    """

    identity: Callable[[R], Hashable]
    sort_key: Callable[[R], Any]
    descending: bool = False
    unique: bool = False
    #: How records are named in messages ("uid").
    noun: str = "record"


@frozen
class Resume:
    """The caller already has every record up to ``after`` (a sort-key value), ``had`` of
    them.  ``tied``: the identities the caller has among records whose sort key equals
    ``after`` (None: all of them, as for a unique key)."""

    after: Any
    had: int = 0
    tied: frozenset[Hashable] | None = None


# -- answers (what the driver feeds) --------------------------------------------------


@frozen
class Served(Generic[R]):
    """The request ``ticket`` came back with ``records`` and the server's ``total``."""

    ticket: int
    records: Sequence[R]
    total: int


@frozen
class Failed:
    """The request ``ticket`` failed for good (retries are the driver's business)."""

    ticket: int
    error: AssetClientError


Answer = Served[R] | Failed


# -- actions (what the driver carries out, in order) --------------------------------


@frozen
class Request:
    """Fetch ``page_no`` at ``page_size``; answer with the same ``ticket``."""

    ticket: int
    page_no: int
    page_size: int


@frozen
class Cancel:
    """Stop these requests; their answers, if any arrive, are ignored."""

    tickets: tuple[int, ...]


@frozen
class Emit(Generic[R]):
    """Hand these records to the caller, in this order."""

    records: tuple[R, ...]


class NoticeKind(enum.Enum):
    TOTAL_FELL = "total_fell"  #: the walk steps back (WARNING)
    RESUME_MOVED = "resume_moved"  #: the resume point did not hold: read from further back
    REASK = "reask"  #: a page came back short: asked again
    REPLAN = "replan"  #: the server serves fewer per page: new size
    FALLBACK = "fallback"  #: the page size was refused: the fallback size


@frozen
class Notice:
    """Something worth a log line."""

    kind: NoticeKind
    message: str


@frozen
class Finish:
    """Every record has been emitted."""


@frozen
class Fail:
    """Raise ``error`` (after the records emitted before it)."""

    error: AssetClientError


Action = Request | Cancel | Emit[R] | Notice | Finish | Fail

_NOTHING: Any = object()  # the watermark before any record is admitted


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
            raise ValueError(f"page_size and window must be >= 1, got {page_size}, {window}")
        if resume is not None and resume.had < 0:
            raise ValueError(f"resume.had must be >= 0, got {resume.had}")
        self.order = order
        self.window = window
        self.max_rewinds = max_rewinds
        self.fail_on_arrivals = fail_on_arrivals
        self._size = page_size
        self._fallback = fallback_size if fallback_size != page_size else None
        self._resume = resume
        #: True once a page was served at the fallback size (callers may remember it).
        self.fell_back = False
        self._trying_fallback = False
        self._counts = _Counts()
        self._rewinds = 0
        self._arrived_behind = 0
        # The anchor: watermark, its ties, and "at least ``_n`` records were at or before
        # the watermark when a page with total ``_n_total`` was served".
        self._w: Any = _NOTHING
        self._ties: set[Hashable] | None = None
        self._last_id: Hashable = _NOTHING
        self._n = 0
        self._n_total: int | None = None
        self._trusted = True  # False while the anchor is only the caller's resume claim
        self._exact = True  # ``_n`` is the watermark's position, not only a lower bound
        if resume is not None:
            self._w = resume.after
            self._ties = None if resume.tied is None else set(resume.tied)
            self._n = resume.had
            self._trusted = self._exact = False
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
    def page_size(self) -> int:
        """The size the walk asks for now."""
        return self._size

    @property
    def admitted(self) -> int:
        """Distinct records emitted."""
        return self._counts.admitted

    @property
    def duplicates(self) -> int:
        """Records served again (behind the walk's position) and not emitted twice."""
        return self._counts.duplicates

    @property
    def already_had(self) -> int:
        """Records at or before the resume point, skipped."""
        return self._counts.already_had

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

    @property
    def finished(self) -> bool:
        return self._done

    @property
    def remembered(self) -> int:
        """Identities held to tell ties apart (0 for a unique sort key): the walk's only
        memory that grows with the data, bounded by the largest group of ties."""
        return len(self._ties) if self._ties is not None else 0

    # -- driving -----------------------------------------------------------------------

    def start(self) -> list[Action[R]]:
        """The first requests."""
        self._k = self._restart_offset(self._size)
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
        self._k = _align(offset, size)
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
            isinstance(error, InvalidParameterError)
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
            self._move_to(self._restart_offset(size), size)
            return
        self._stop(Fail(error))

    # The anchor ---------------------------------------------------------------------

    def _lower(self, total: int) -> int:
        """At least this many records are at or before the watermark in a page served
        with ``total`` (unless a change no page-number client can see happened)."""
        if not self._trusted:
            return 0
        if self._n_total is None:
            return self._n
        return max(0, self._n - max(0, self._n_total - total))

    def _restart_offset(self, size: int) -> int:
        if not self._trusted:  # the resume claim: the page holding the last record had
            return _align(max(self._n - 1, 0), size)
        return _align(self._lower(self.total if self.total is not None else 0), size)

    def _before(self, a: Any, b: Any) -> bool:
        return bool(b < a) if self.order.descending else bool(a < b)

    def _behind(self, record: R) -> bool:
        """At or before the watermark: already emitted (or had, or arrived behind)."""
        if self._w is _NOTHING:
            return False
        key = self.order.sort_key(record)
        if self._before(key, self._w):
            return True
        if key == self._w:
            return self._ties is None or self.order.identity(record) in self._ties
        return False

    # One page, in its turn ------------------------------------------------------------

    def _page(self, page_no: int, records: Sequence[R], total: int) -> None:
        size = self._size
        offset = (page_no - 1) * size
        count = len(records)
        if self._trying_fallback:
            self._trying_fallback = False
            self.fell_back = True
        if count > size:
            self._stop(
                Fail(
                    PaginationError(
                        f"page {page_no} came back with {count} records where {size} were "
                        "asked: the server does not page as asked, so pages cannot be lined up."
                    )
                )
            )
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
                self._stop(Fail(self._short_error(total, page_no, count)))
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
                self._move_to(self._restart_offset(count), count)
                return
            # Page 1 starts at 0 whatever the size: use it as page 1 of the new size.
            self._move_to(0, count)
            size = count
        lower = self._lower(total)
        if count == 0:
            # The list ends before this page: every record is at or before the watermark
            # only if the anchor still reaches the end.
            if lower >= total:
                self._finish(total)
            else:
                self._rewind(page_no, lower, total)
            return
        behind = [self._behind(r) for r in records]
        if not behind[0] and offset > lower:
            self._rewind(page_no, lower, total)
            return
        if not behind[0] and offset < lower:
            # Fewer records before the watermark than even the fall of total allows:
            # records before it vanished while as many appeared after it.
            self._stop(
                Fail(
                    PaginationError(
                        f"page {page_no}: records before the walk's position vanished while "
                        "others appeared after it, so records may be missing. Everything "
                        "yielded is correct; walk again from the start to get them all."
                    )
                )
            )
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
        different values is the decoder's rule, `_decode.conflicting_copy`: it never
        reaches the walk.)"""
        order = self.order
        previous: Any = _NOTHING
        seen_last: Hashable = None
        for record in records:
            key = order.sort_key(record)
            ident = order.identity(record)
            if previous is not _NOTHING and self._before(key, previous):
                self._stop(
                    Fail(
                        PaginationError(
                            f"page {page_no}: {order.noun} {ident} came after "
                            f"{order.noun} {seen_last}, but results are sorted; the server's "
                            "paging is inconsistent and records may be missing. Run the walk "
                            "again."
                        )
                    )
                )
                return False
            previous = key
            seen_last = ident
        return True

    def _had(self, record: R) -> bool:
        """At or before the resume point: the caller has it."""
        resume = self._resume
        if resume is None:
            return False
        key = self.order.sort_key(record)
        if self._before(key, resume.after):
            return True
        if key == resume.after:
            return resume.tied is None or self.order.identity(record) in resume.tied
        return False

    def _admit(self, records: Sequence[R], behind: list[bool], offset: int, total: int) -> None:
        order = self.order
        had = duplicates = 0
        page_ids: set[Hashable] = set()
        new: list[R] = []
        for record, is_behind in zip(records, behind, strict=True):
            ident = order.identity(record)
            if is_behind or ident in page_ids:
                if is_behind and self._had(record):
                    had += 1
                else:
                    duplicates += 1
                continue
            page_ids.add(ident)
            new.append(record)
        last = records[-1]
        exact = bool(new) or order.identity(last) == self._last_id
        if exact and self._exact and self._trusted:
            # Where the watermark stands now against where it stood: more records before
            # it than the anchor allows means records arrived behind the walk.
            arrived = offset + sum(behind) - self._n
            if arrived > 0:
                self._arrived_behind += arrived
        # The new anchor: the last record of this page, at offset + count.
        key = order.sort_key(last)
        if self._w is _NOTHING or self._before(self._w, key):
            self._w = key
            self._ties = None if order.unique else set()
        if self._ties is not None and key == self._w:
            self._ties.update(order.identity(r) for r in records if order.sort_key(r) == key)
        if key == self._w:
            self._last_id = order.identity(last)
        position = offset + len(records)
        self._n = position if exact else max(self._lower(total), position)
        self._n_total = total
        self._trusted = True
        self._exact = exact
        self._emit.extend(new)
        counts = self._counts
        counts.admitted += len(new)
        counts.duplicates += duplicates
        counts.already_had += had

    def _rewind(self, page_no: int, lower: int, total: int) -> None:
        self._rewinds += 1
        if self._rewinds > self.max_rewinds:
            self._stop(
                Fail(
                    PaginationError(
                        f"the walk stepped back {self.max_rewinds} times (total now {total}): "
                        "the server's list keeps moving, so records may be missing. "
                        "Everything yielded is correct; walk again later."
                    )
                )
            )
            return
        target = _align(max(lower, 0), self._size)
        if self._trusted and self._n_total is not None and total < self._n_total:
            self._counts.total_decreases += 1
            self._notices.append(
                Notice(
                    NoticeKind.TOTAL_FELL,
                    f"total fell from {self._n_total} to {total} during the walk (page "
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
            self._stop(
                Fail(
                    PaginationError(
                        f"{self._arrived_behind} record(s) appeared before the walk's position "
                        f"while it ran (the server now lists {total}); this walk cannot fetch "
                        "them. Everything yielded is correct; walk again from the start to "
                        "get them all."
                    )
                )
            )
            return
        arrived = 0 if self.fail_on_arrivals else self._arrived_behind
        if self._accounted() + arrived < total:
            self._stop(Fail(self._short_error(total, None, None)))
            return
        self._stop(Finish())

    def _short_error(self, total: int, page_no: int | None, count: int | None) -> PaginationError:
        got = self._accounted()
        where = f" (page {page_no} came back with {count})" if page_no is not None else ""
        return PaginationError(
            f"the server reported {total} records but the walk ended after {got}{where}: "
            "pages shifted while the walk ran, so records may be missing. Everything "
            "yielded is correct; walk again from the start to get them all."
        )

    def _accounted(self) -> int:
        """Distinct records the caller now has: emitted, plus those it had."""
        claimed = self._resume.had if self._resume is not None else 0
        return self._counts.admitted + max(claimed, self._counts.already_had)


def _align(offset: int, size: int) -> int:
    return offset - offset % size
