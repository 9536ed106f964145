"""Why a walk fails: each `PaginationError` a walk can end with, worded once (pure).

Sharp edge: every message says what the caller may trust ("everything yielded is
correct") and what to do next, because a failed walk has already yielded records.
"""

from __future__ import annotations

from collections.abc import Hashable

from asset_client.errors import PaginationError

__all__ = [
    "kept_moving",
    "missed_arrivals",
    "out_of_order",
    "oversized_page",
    "short_walk",
    "vanished_before",
]

_AGAIN = "Everything yielded is correct; walk again from the start to get them all."


def oversized_page(page_no: int, count: int, size: int) -> PaginationError:
    return PaginationError(
        f"page {page_no} came back with {count} records where {size} were "
        "asked: the server does not page as asked, so pages cannot be lined up."
    )


def out_of_order(page_no: int, noun: str, ident: Hashable, previous: Hashable) -> PaginationError:
    return PaginationError(
        f"page {page_no}: {noun} {ident} came after {noun} {previous}, but results are "
        "sorted; the server's paging is inconsistent and records may be missing. Run the "
        "walk again."
    )


def vanished_before(page_no: int) -> PaginationError:
    return PaginationError(
        f"page {page_no}: records before the walk's position vanished while others "
        f"appeared after it, so records may be missing. {_AGAIN}"
    )


def kept_moving(rewinds: int, total: int) -> PaginationError:
    return PaginationError(
        f"the walk stepped back {rewinds} times (total now {total}): the server's list "
        "keeps moving, so records may be missing. Everything yielded is correct; walk "
        "again later."
    )


def missed_arrivals(count: int, total: int) -> PaginationError:
    return PaginationError(
        f"{count} record(s) appeared before the walk's position while it ran (the server "
        f"now lists {total}); this walk cannot fetch them. {_AGAIN}"
    )


def short_walk(total: int, got: int, page_no: int | None, count: int | None) -> PaginationError:
    where = f" (page {page_no} came back with {count})" if page_no is not None else ""
    return PaginationError(
        f"the server reported {total} records but the walk ended after {got}{where}: pages "
        f"shifted while the walk ran, so records may be missing. {_AGAIN}"
    )
