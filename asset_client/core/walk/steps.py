"""What a walk and its driver exchange: answers in, actions out (pure values).

Sharp edge: an answer names the request it answers by ``ticket``, never by page number:
after a re-plan the same page number may be asked again at another size, and only the
ticket tells a stale answer from a current one.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Hashable, Sequence
from typing import Any, Generic, TypeVar

from attrs import frozen

from asset_client.errors import AssetClientError

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
]

R = TypeVar("R")


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
