"""The walk over numbered pages, every decision of it as one pure state machine.

The machine is fed answers ("the request with ticket 7 came back with these records and
this total", "ticket 7 failed with this error") and returns actions ("request page K at
size S", "cancel these requests", "emit these records", "finished", "fail with this
error").  It owns page planning and the concurrency window, duplicates, the size
fallback, the resume anchor, rewinds when the total falls, re-planning when the server
serves shorter pages, and completeness.  It does no I/O and reads no clock: the client
only carries its actions out, and the property tests drive this very code.  Modules:
``steps`` (the answers fed and the actions returned), ``machine`` (`Walk`), ``anchor``
(where the walk stands), ``failures`` (how a walk can fail).

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

from asset_client.core.walk.machine import DEFAULT_MAX_REWINDS, Walk
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
    Served,
)

__all__ = [
    "DEFAULT_MAX_REWINDS",
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
