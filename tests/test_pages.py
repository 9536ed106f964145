"""Page planning and the uid guard, against simulated servers (pure, no I/O)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asset_client import InviteeAsset, PaginationError
from asset_client._pages import PagePlanner, Step, UidGuard


def asset(uid: int) -> InviteeAsset:
    zero = Decimal(0)
    return InviteeAsset(uid=uid, total_deposit=zero, total_withdrawal=zero, current_balance=zero)


class FakeServer:
    """Pages by number over a uid list, optionally capping the size it honours."""

    def __init__(self, uids: list[int], cap: int | None = None) -> None:
        self.uids = uids
        self.cap = cap
        self.requests = 0

    def page(self, page_no: int, size: int) -> list[int]:
        self.requests += 1
        size = min(size, self.cap) if self.cap else size
        start = (page_no - 1) * size
        return self.uids[start : start + size]


def walk(
    server: FakeServer,
    size: int,
    window: int = 1,
    grow: list[int] | None = None,
    shrink: int = 0,
) -> list[int]:
    """Drive the planner like the client does: up to ``window`` pages requested ahead,
    consumed in order.  After the first answer the ``shrink`` lowest uids are removed
    (records move towards pages already read); after the second, ``grow`` uids are
    appended.  (A removal and an addition between the same two answers leave ``total``
    unchanged: no page-number client can see that.)"""
    planner = PagePlanner(size)
    guard = UidGuard()
    answered: dict[int, tuple[list[int], int]] = {}
    seen: list[int] = []
    while True:
        while len(answered) < window and (page_no := planner.next_request()) is not None:
            answered[page_no] = (server.page(page_no, planner.page_size), len(server.uids))
            if server.requests == 1:
                del server.uids[:shrink]
            if server.requests == 2:
                server.uids.extend(grow or [])
        page_no = planner.next_to_consume
        items, total = answered.pop(page_no)
        step = planner.consume(page_no, len(items), total)
        if step in (Step.REPLAN, Step.REWIND):
            answered.clear()
        if step is Step.REWIND:
            guard.rewind()
            continue
        seen.extend(a.uid for a in guard.admit([asset(u) for u in items], page_no))
        if step is Step.DONE:
            return seen


@given(
    n=st.integers(0, 400),
    size=st.integers(1, 120),
    cap=st.one_of(st.none(), st.integers(1, 120)),
    window=st.integers(1, 8),
    grow=st.integers(0, 50),
    shrink=st.integers(0, 30),
)
@settings(max_examples=400, deadline=None)
def test_every_record_exactly_once_in_order(
    n: int, size: int, cap: int | None, window: int, grow: int, shrink: int
) -> None:
    uids = list(range(10, 10 + 3 * n, 3))
    extra = list(range(10 + 3 * n, 10 + 3 * n + grow))
    server = FakeServer(list(uids), cap)
    seen = walk(server, size, window, extra, shrink)
    assert seen == sorted(set(seen))  # in order, never twice
    # Growth after page 2 is seen only if the walk had not ended by then.
    first = min(size, cap or size)
    more_after_first = n > first and n - shrink > 2 * first
    # Every record still there at the end was yielded; removed ones may or may not be.
    still_there = uids[shrink:] + (extra if more_after_first else [])
    assert set(still_there) <= set(seen) <= set(uids + extra)


def test_requests_are_one_per_page_when_the_size_is_honoured() -> None:
    server = FakeServer(list(range(1, 2501)))
    assert len(walk(server, 1000, window=4)) == 2500
    assert server.requests == 3


def test_clamped_first_page_replans_with_the_observed_size() -> None:
    planner = PagePlanner(1000)
    assert planner.next_request() == 1
    assert planner.next_request() is None  # total unknown: page 1 alone
    assert planner.consume(1, 100, 350) is Step.REPLAN
    assert planner.page_size == 100
    assert [planner.next_request() for _ in range(4)] == [2, 3, 4, None]


def test_short_page_mid_walk_keeps_alignment() -> None:
    planner = PagePlanner(10)
    planner.next_request()
    assert planner.consume(1, 10, 100) is Step.CONTINUE
    planner.next_request()
    # page 2 served only 4: 14 consumed, the next size must divide 14
    assert planner.consume(2, 4, 100) is Step.REPLAN
    assert 14 % planner.page_size == 0
    assert planner.next_request() == 14 // planner.page_size + 1


def test_growing_total_adds_pages_and_empty_page_ends() -> None:
    planner = PagePlanner(10)
    planner.next_request()
    planner.consume(1, 10, 20)
    assert planner.last_page == 2
    planner.next_request()
    assert planner.consume(2, 10, 35) is Step.CONTINUE
    assert planner.last_page == 4
    planner.next_request()
    assert planner.consume(3, 0, 35) is Step.DONE


def test_start_offset_skips_whole_pages_only() -> None:
    planner = PagePlanner(100, start_offset=250)
    assert planner.first_page == 3 and planner.consumed == 200
    assert planner.next_request() == 3
    assert planner.next_request() is None


def test_a_resume_on_a_page_boundary_starts_on_the_page_holding_the_last_record() -> None:
    # 1000 records had: page 10 holds record 1000, the anchor the resume check needs.
    planner = PagePlanner(100, start_offset=1000)
    assert planner.first_page == 10 and planner.consumed == 900


def test_pages_must_be_consumed_in_order() -> None:
    planner = PagePlanner(10)
    with pytest.raises(ValueError, match="in order"):
        planner.consume(2, 10, 100)


def test_guard_drops_duplicates_across_pages() -> None:
    guard = UidGuard()
    assert [a.uid for a in guard.admit(map(asset, [1, 2, 3]), 1)] == [1, 2, 3]
    # two records were inserted before: the next page repeats the last two
    assert [a.uid for a in guard.admit(map(asset, [2, 3, 4, 5]), 2)] == [4, 5]
    assert guard.duplicates == 2


def test_guard_refuses_an_order_violation() -> None:
    guard = UidGuard()
    guard.admit(map(asset, [10, 20]), 1)
    with pytest.raises(PaginationError, match=r"page 2: uid 15 came after uid 30"):
        guard.admit(map(asset, [30, 15]), 2)


def test_guard_after_uid_skips_what_the_caller_has() -> None:
    guard = UidGuard(after_uid=20)
    assert [a.uid for a in guard.admit(map(asset, [10, 20, 30]), 3)] == [30]
    assert guard.already_had == 2 and guard.duplicates == 0
