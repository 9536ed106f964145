"""The walk's state machine (`asset_client.core.walk.Walk`), driven directly against a model
server: the very code the client runs, with no I/O.

The model server changes between answers (inserts and removals anywhere), may cap the
page size, and answers the requests in flight in any order.  The promise checked: the
walk emits every record that was on the server for its whole duration, once and in
order, or fails with `PaginationError` -- except a record that a change no page-number
client can see carried across a page boundary (`invisibly_passed`).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, Generic, TypeVar

import pytest
from attrs import define, field
from hypothesis import given, settings
from hypothesis import strategies as st

from asset_client import (
    InvalidParameterError,
    InviteeAsset,
    PaginationError,
    ParameterRejectedError,
)
from asset_client.core.walk import (
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
    Walk,
)
from asset_client.endpoints import ASSETS

R = TypeVar("R")
ZERO = Decimal(0)
_ASSETS: dict[int, InviteeAsset] = {}


def asset(uid: int) -> InviteeAsset:
    if uid not in _ASSETS:
        _ASSETS[uid] = InviteeAsset(
            uid=uid, total_deposit=ZERO, total_withdrawal=ZERO, current_balance=ZERO
        )
    return _ASSETS[uid]


def remembered(walk: Walk[Any]) -> int:
    """Identities the walk holds to tell ties apart: its only memory that grows with the
    data, bounded by the largest group of ties (0 for a unique sort key)."""
    ties = walk._anchor.ties
    return len(ties) if ties is not None else 0


# A per-day list like CoinW's trading volume: (day, uid), newest day first, then uid.
Volume = tuple[int, int]
VOLUME_ORDER: Order[Volume] = Order(
    identity=lambda r: r, sort_key=lambda r: r[0], descending=True, noun="row"
)


class ModelServer(Generic[R]):
    """Pages by number over a sorted list that changes between answers.

    ``position_key`` is the server's total order (ties broken as the server does);
    ``cap`` silently caps the page size (the page is then served from ``(p-1)*cap``);
    ``odd`` maps an answer ordinal to a record count served once instead of a full page.
    Every answer keeps a snapshot of the list, to judge the walk afterwards.
    """

    def __init__(
        self,
        keys: Sequence[Any],
        make: Callable[[Any], R],
        cap: int | None = None,
        odd: dict[int, int] | None = None,
    ) -> None:
        self.keys = sorted(keys)
        self.make = make
        self.cap = cap
        self.odd = odd or {}
        self.snapshots: list[list[Any]] = [list(self.keys)]
        self.ever: set[Any] = set(self.keys)
        self.requests: list[tuple[int, int]] = []

    def serve(self, page_no: int, size: int) -> tuple[list[R], int]:
        self.requests.append((page_no, size))
        served = min(size, self.cap) if self.cap else size
        start = (page_no - 1) * served
        count = self.odd.pop(len(self.requests), served)
        self.snapshots.append(list(self.keys))
        return [self.make(k) for k in self.keys[start : start + count]], len(self.keys)

    def insert(self, key: Any) -> None:
        if key not in self.ever:
            self.ever.add(key)
            bisect.insort(self.keys, key)

    def remove_at(self, index: int) -> None:
        if self.keys:
            del self.keys[index % len(self.keys)]

    def present_throughout(self) -> set[Any]:
        required = set(self.snapshots[0])
        for snapshot in self.snapshots:
            required &= set(snapshot)
        return required & set(self.keys)


def invisibly_passed(key: Any, snapshots: list[list[Any]]) -> bool:
    """Whether, between two answers, records before ``key`` were removed and at least
    as many after it added (or the reverse): the change no page-number client can see."""
    counts = [
        (bisect.bisect_left(s, key), len(s) - bisect.bisect_right(s, key))
        for s in snapshots
        if key in s
    ]
    return any(b2 < b1 and a2 > a1 for b1, a1 in counts for b2, a2 in counts)


@define
class Outcome(Generic[R]):
    emitted: list[R] = field(factory=list)
    error: Exception | None = None
    requests: int = 0
    notices: list[Notice] = field(factory=list)


def drive(
    walk: Walk[R],
    server: ModelServer[R],
    choose: Callable[[int], int] = lambda n: 0,
    before_answer: Callable[[int], None] = lambda n: None,
    refuse: Callable[[Request], bool] = lambda r: False,
) -> Outcome[R]:
    """Carry out the walk's actions like the client does.  ``choose(n)`` picks which of
    the ``n`` requests in flight is answered next; ``before_answer(k)`` changes the
    server before the k-th answer."""
    outcome: Outcome[R] = Outcome()
    in_flight: dict[int, Request] = {}
    actions = walk.start()
    answers = 0
    while True:
        for action in actions:
            if isinstance(action, Request):
                in_flight[action.ticket] = action
                outcome.requests += 1
            elif isinstance(action, Cancel):
                for ticket in action.tickets:
                    del in_flight[ticket]  # never a ticket the driver does not hold
            elif isinstance(action, Emit):
                outcome.emitted.extend(action.records)
            elif isinstance(action, Notice):
                outcome.notices.append(action)
            elif isinstance(action, Finish):
                return outcome
            else:
                assert isinstance(action, Fail)
                outcome.error = action.error
                return outcome
        assert in_flight, "the walk waits with nothing in flight"
        tickets = sorted(in_flight)
        request = in_flight.pop(tickets[choose(len(tickets)) % len(tickets)])
        answers += 1
        assert answers < 20_000, "the walk does not end"
        before_answer(answers)
        if refuse(request):
            answer: Served[R] | Failed = Failed(
                request.ticket, ParameterRejectedError("pageSize too large", code="1")
            )
        else:
            records, total = server.serve(request.page_no, request.page_size)
            answer = Served(request.ticket, records, total)
        actions = walk.feed(answer)


# -- the promise, under changes anywhere ----------------------------------------------

changes = st.lists(
    st.tuples(
        st.integers(1, 40),  # before which answer
        st.sampled_from(["insert", "remove"]),
        st.floats(0, 1),  # where
        st.integers(1, 3),  # how many
    ),
    max_size=6,
)


def apply_changes(
    server: ModelServer[Any], steps: list[tuple[int, str, float, int]], fresh: Callable[[int], Any]
) -> Callable[[int], None]:
    def before_answer(ordinal: int) -> None:
        for at, kind, where, count in steps:
            if at != ordinal:
                continue
            for _ in range(count):
                if kind == "insert":
                    server.insert(fresh(int(where * (len(server.keys) + 1))))
                else:
                    server.remove_at(int(where * len(server.keys)))

    return before_answer


def uid_between(server: ModelServer[Any]) -> Callable[[int], int]:
    """A fresh uid that lands at about index ``i`` of the list."""

    def fresh(i: int) -> int:
        keys = server.keys
        low = keys[i - 1] if 0 < i <= len(keys) else 0
        high = keys[i] if i < len(keys) else low + 1000
        return (low + high) // 2 if high - low > 1 else low * 7919 + 1

    return fresh


def check_promise(
    outcome: Outcome[Any],
    server: ModelServer[Any],
    key: Callable[[Any], Any],
    sort_key: Callable[[Any], Any] | None = None,
) -> None:
    """``key``: the record's place in the server's order; ``sort_key``: what the walk
    knows of that order (records with equal sort keys may come in any order)."""
    keys = [key(r) for r in outcome.emitted]
    assert len(keys) == len(set(keys)), "emitted twice"
    sort_keys = [(sort_key or key)(r) for r in outcome.emitted]
    assert sort_keys == sorted(sort_keys), "emitted out of order"
    assert set(keys) <= server.ever, "emitted a record the server never had"
    if outcome.error is not None:
        assert isinstance(outcome.error, PaginationError), outcome.error
        return
    missing = server.present_throughout() - set(keys)
    unexplained = {k for k in missing if not invisibly_passed(k, server.snapshots)}
    assert not unexplained, f"lost {sorted(unexplained)} without an error"


@given(
    n=st.integers(0, 120),
    size=st.integers(1, 30),
    cap=st.one_of(st.none(), st.integers(1, 30)),
    window=st.integers(1, 6),
    steps=changes,
    data=st.data(),
)
@settings(max_examples=300, deadline=None)
def test_every_record_present_throughout_or_a_pagination_error(
    n: int,
    size: int,
    cap: int | None,
    window: int,
    steps: list[tuple[int, str, float, int]],
    data: st.DataObject,
) -> None:
    server = ModelServer(range(1000, 1000 * (n + 1), 1000), asset, cap=cap)
    walk = Walk(ASSETS.order, size, window=window)
    choose = data.draw(st.lists(st.integers(0, 7), max_size=200))
    outcome = drive(
        walk,
        server,
        choose=lambda k: choose.pop() if choose else 0,
        before_answer=apply_changes(server, steps, uid_between(server)),
    )
    check_promise(outcome, server, lambda a: a.uid)
    kinds = {kind for _, kind, _, _ in steps}
    if not steps:
        assert outcome.error is None
        assert [a.uid for a in outcome.emitted] == server.keys
    if kinds <= {"remove"} and window == 1 and cap is None:
        assert outcome.error is None, "removals alone, answered in order, need no error"


@given(
    days=st.lists(st.integers(1, 6), max_size=80),
    size=st.integers(1, 12),
    window=st.integers(1, 5),
    steps=changes,
    data=st.data(),
)
@settings(max_examples=150, deadline=None)
def test_a_descending_order_with_ties_keeps_the_promise(
    days: list[int],
    size: int,
    window: int,
    steps: list[tuple[int, str, float, int]],
    data: st.DataObject,
) -> None:
    # Server order: newest day first, then uid; the walk only knows "day, descending".
    rows = [(-day, uid) for uid, day in enumerate(days, start=1)]
    server: ModelServer[Volume] = ModelServer(rows, lambda k: (-k[0], k[1]))
    walk = Walk(VOLUME_ORDER, size, window=window)
    choose = data.draw(st.lists(st.integers(0, 7), max_size=200))
    next_uid = iter(range(10_000, 20_000))

    def fresh(i: int) -> tuple[int, int]:
        day = -((i % 6) + 1)
        return (day, next(next_uid))

    outcome = drive(
        walk,
        server,
        choose=lambda k: choose.pop() if choose else 0,
        before_answer=apply_changes(server, steps, fresh),
    )
    check_promise(outcome, server, lambda r: (-r[0], r[1]), sort_key=lambda r: -r[0])
    if not steps:
        assert outcome.error is None
    largest_tie = max((days.count(d) for d in set(days)), default=0)
    assert remembered(walk) <= largest_tie + 3 * len(steps)


# -- the two reproductions of issue 9 -------------------------------------------------


def scripted(
    script: dict[int, list[tuple[str, int]]], window: int
) -> tuple[Outcome[Any], ModelServer[InviteeAsset]]:
    server = ModelServer(range(10, 1010, 10), asset)

    def before_answer(ordinal: int) -> None:
        for kind, uid in script.get(ordinal, []):
            if kind == "insert":
                server.insert(uid)
            else:
                server.keys.remove(uid)

    return drive(Walk(ASSETS.order, 10, window=window), server, before_answer=before_answer), server


@pytest.mark.parametrize("window", [1, 8])
@pytest.mark.parametrize(
    "script",
    [
        # Inserted below the walk (seen as a duplicate), then one already read removed:
        # total ends where it began.
        {3: [("insert", 15)], 5: [("remove", 50)]},
        # Inserted below, then the two highest removed: total falls, the walk steps back.
        {3: [("insert", 15)], 5: [("remove", 1000), ("remove", 990)]},
    ],
    ids=["net-zero", "two-removed-at-the-top"],
)
def test_a_record_inserted_behind_the_walk_is_never_silently_missing(
    script: dict[int, list[tuple[str, int]]], window: int
) -> None:
    outcome, server = scripted(script, window)
    emitted = {a.uid for a in outcome.emitted}
    if outcome.error is None:
        assert set(server.keys) <= emitted
    else:
        assert isinstance(outcome.error, PaginationError)
        assert server.present_throughout() <= emitted  # everything it could get, first


@pytest.mark.parametrize("fail_on_arrivals", [True, False])
def test_newcomers_at_the_head_of_a_newest_first_list(fail_on_arrivals: bool) -> None:
    # Registrations during the walk land on page 1 and push every later page back by
    # one: duplicates, never gaps.
    rows = [(-day, uid) for uid, day in enumerate([5, 5, 4, 4, 4, 3, 2, 2, 1, 1], start=1)]
    server: ModelServer[Volume] = ModelServer(rows, lambda k: (-k[0], k[1]))

    def register(ordinal: int) -> None:
        if ordinal in (2, 3):
            server.insert((-6, 100 + ordinal))

    walk = Walk(VOLUME_ORDER, 3, window=1, fail_on_arrivals=fail_on_arrivals)
    outcome = drive(walk, server, before_answer=register)
    assert [(-r[0], r[1]) for r in outcome.emitted] == rows  # each once, in order
    assert walk.duplicates == 2 and walk.arrived_behind == 2
    if fail_on_arrivals:
        assert isinstance(outcome.error, PaginationError)
        assert "2 record(s) appeared before the walk's position" in str(outcome.error)
    else:
        assert outcome.error is None


# -- one odd page --------------------------------------------------------------------


@pytest.mark.parametrize("odd_page", [1, 2, 5, 19])
def test_one_short_page_costs_one_request_not_a_smaller_size(odd_page: int) -> None:
    server = ModelServer(range(1, 2001), asset, odd={odd_page: 49})
    outcome = drive(Walk(ASSETS.order, 100, window=1), server)
    assert [a.uid for a in outcome.emitted] == list(range(1, 2001))
    assert outcome.error is None
    assert len(server.requests) == 21  # 20 pages, one asked twice
    assert {size for _, size in server.requests} == {100}


@given(odd=st.integers(1, 20), count=st.integers(0, 99), window=st.integers(1, 8), data=st.data())
@settings(max_examples=60, deadline=None)
def test_one_odd_page_never_doubles_the_cost(
    odd: int, count: int, window: int, data: st.DataObject
) -> None:
    server = ModelServer(range(1, 2001), asset, odd={odd: count})
    choose = data.draw(st.lists(st.integers(0, 7), max_size=100))
    outcome = drive(
        Walk(ASSETS.order, 100, window=window),
        server,
        choose=lambda k: choose.pop() if choose else 0,
    )
    assert outcome.error is None
    assert [a.uid for a in outcome.emitted] == list(range(1, 2001))
    assert len(server.requests) <= 21  # 20 pages, the odd one asked twice
    assert {size for _, size in server.requests} == {100}


def test_a_server_that_caps_pages_is_replanned_at_the_size_it_serves_twice() -> None:
    server = ModelServer(range(1, 351), asset, cap=40)
    outcome = drive(Walk(ASSETS.order, 100, window=4), server)
    assert [a.uid for a in outcome.emitted] == list(range(1, 351))
    assert server.requests[:2] == [(1, 100), (1, 100)]  # one short page is not trusted
    assert {size for _, size in server.requests[2:]} == {40}
    assert len(server.requests) == 2 + 8  # pages 2..9 at 40
    assert [n.kind for n in outcome.notices] == [NoticeKind.REASK, NoticeKind.REPLAN]


def test_a_cap_found_mid_walk_rereads_from_the_walk_s_position() -> None:
    # The server serves 100 per page, then starts capping at 30 (two answers agree).
    server = ModelServer(range(1, 501), asset)

    def cap_after_two(ordinal: int) -> None:
        if ordinal == 3:
            server.cap = 30

    outcome = drive(Walk(ASSETS.order, 100, window=1), server, before_answer=cap_after_two)
    assert [a.uid for a in outcome.emitted] == list(range(1, 501))
    assert outcome.error is None
    assert server.requests[2:4] == [(3, 100), (3, 100)]
    assert server.requests[4] == (7, 30)  # record 180, at or before the walk's 200


# -- planning, fallback, resume -------------------------------------------------------


def test_one_request_per_page_when_the_size_is_honoured() -> None:
    server = ModelServer(range(1, 2501), asset)
    outcome = drive(Walk(ASSETS.order, 1000, window=4), server)
    assert len(outcome.emitted) == 2500
    assert server.requests == [(1, 1000), (2, 1000), (3, 1000)]


def test_page_one_alone_first_then_the_window() -> None:
    walk: Walk[InviteeAsset] = Walk(ASSETS.order, 10, window=3)
    [first] = walk.start()
    assert first == Request(1, 1, 10)
    actions = walk.feed(Served(1, [asset(u) for u in range(1, 11)], 100))
    requests = [a for a in actions if isinstance(a, Request)]
    assert [r.page_no for r in requests] == [2, 3, 4]
    # Requests come before the records, so later pages load while the caller works.
    assert isinstance(actions[-1], Emit) and len(actions[-1].records) == 10


def test_answers_out_of_order_are_emitted_in_order() -> None:
    walk: Walk[InviteeAsset] = Walk(ASSETS.order, 2, window=3)
    walk.start()
    walk.feed(Served(1, [asset(1), asset(2)], 8))
    assert walk.feed(Served(3, [asset(5), asset(6)], 8)) == []  # page 3 waits for page 2
    actions = walk.feed(Served(2, [asset(3), asset(4)], 8))
    emitted = [a for a in actions if isinstance(a, Emit)]
    assert [x.uid for x in emitted[0].records] == [3, 4, 5, 6]


def test_a_refused_default_size_falls_back_once_and_says_so() -> None:
    server = ModelServer(range(1, 251), asset)
    walk = Walk(ASSETS.order, 1000, fallback_size=100)
    outcome = drive(walk, server, refuse=lambda r: r.page_size > 100)
    assert len(outcome.emitted) == 250 and outcome.error is None
    assert walk.fell_back
    assert server.requests == [(1, 100), (2, 100), (3, 100)]


def test_a_refused_explicit_size_is_an_error() -> None:
    server = ModelServer(range(1, 251), asset)
    outcome = drive(Walk(ASSETS.order, 1000), server, refuse=lambda r: True)
    assert isinstance(outcome.error, InvalidParameterError)


def test_a_resume_starts_on_the_page_holding_the_last_record_had() -> None:
    server = ModelServer(range(1, 101), asset)
    walk = Walk(ASSETS.order, 10, resume=Resume(after=45, had=45))
    outcome = drive(walk, server)
    assert [a.uid for a in outcome.emitted] == list(range(46, 101))
    assert server.requests[0] == (5, 10)
    assert walk._counts.already_had == 5 and walk.duplicates == 0


def test_a_resume_point_that_moved_reads_from_page_one() -> None:
    server = ModelServer(range(1, 101), asset)
    outcome = drive(Walk(ASSETS.order, 10, resume=Resume(after=20, had=85)), server)
    assert [a.uid for a in outcome.emitted] == list(range(21, 101))
    assert [p for p, _ in server.requests[:2]] == [9, 1]


def test_a_growing_total_adds_pages() -> None:
    server = ModelServer(range(1, 21), asset)

    def grow(ordinal: int) -> None:
        if ordinal == 2:
            for uid in range(21, 36):
                server.insert(uid)

    outcome = drive(Walk(ASSETS.order, 10, window=1), server, before_answer=grow)
    assert [a.uid for a in outcome.emitted] == list(range(1, 36))


def test_an_empty_page_before_total_is_asked_again_then_an_error() -> None:
    walk: Walk[InviteeAsset] = Walk(ASSETS.order, 2, window=1)
    walk.start()
    walk.feed(Served(1, [asset(1), asset(2)], 6))
    again = walk.feed(Served(2, [], 6))
    assert [a for a in again if isinstance(a, Request)] == [Request(3, 2, 2)]
    [fail] = walk.feed(Served(3, [], 6))
    assert isinstance(fail, Fail) and "reported 6 records but the walk ended after 2" in str(
        fail.error
    )


def test_an_order_violation_inside_a_page_is_an_error() -> None:
    walk: Walk[InviteeAsset] = Walk(ASSETS.order, 2, window=1)
    walk.start()
    walk.feed(Served(1, [asset(10), asset(20)], 4))
    [fail] = walk.feed(Served(2, [asset(30), asset(15)], 4))
    assert isinstance(fail, Fail)
    assert "page 2: uid 15 came after uid 30" in str(fail.error)


def test_identical_copies_in_a_page_are_emitted_once() -> None:
    # Conflicting copies never get here: the decoder refuses them (the one rule,
    # test_hostile_answers.py::test_one_uid_twice_in_a_page_with_different_values_is_an_error).
    walk: Walk[InviteeAsset] = Walk(ASSETS.order, 3, window=1)
    walk.start()
    actions = walk.feed(Served(1, [asset(1), asset(2), asset(2)], 3))
    emitted = [r.uid for a in actions if isinstance(a, Emit) for r in a.records]
    assert emitted == [1, 2]


class LaggingCount(ModelServer[InviteeAsset]):
    """Serves the list, but reports a count that lags it (a cached count)."""

    def serve(self, page_no: int, size: int) -> tuple[list[InviteeAsset], int]:
        records, total = super().serve(page_no, size)
        return records, min(total, 15)


def test_a_total_that_lags_the_list_is_read_past() -> None:
    server = LaggingCount(range(1, 36), asset)
    outcome = drive(Walk(ASSETS.order, 10, window=2), server)
    assert outcome.error is None
    assert [a.uid for a in outcome.emitted] == list(range(1, 36))


def test_a_page_longer_than_asked_is_an_error() -> None:
    walk: Walk[InviteeAsset] = Walk(ASSETS.order, 2, window=1)
    walk.start()
    [fail] = walk.feed(Served(1, [asset(1), asset(2), asset(3)], 9))
    assert isinstance(fail, Fail) and "3 records where 2 were asked" in str(fail.error)


def test_a_uid_order_walk_remembers_no_uids() -> None:
    server = ModelServer(range(1, 20_001), asset)
    walk = Walk(ASSETS.order, 100, window=8)
    outcome = drive(walk, server, choose=lambda n: n - 1)
    assert len(outcome.emitted) == 20_000
    assert remembered(walk) == 0


def test_answers_to_cancelled_requests_are_ignored() -> None:
    walk: Walk[InviteeAsset] = Walk(ASSETS.order, 10, window=2)
    walk.start()
    walk.feed(Served(1, [asset(u) for u in range(1, 11)], 40))  # asks pages 2 and 3
    # Page 2 says total fell to 35: the walk steps back and drops page 3 in flight.
    actions = walk.feed(Served(2, [asset(u) for u in range(16, 26)], 35))
    cancelled = [a for a in actions if isinstance(a, Cancel)]
    assert cancelled == [Cancel((3,))]
    assert walk.feed(Served(3, [asset(u) for u in range(21, 31)], 40)) == []
    assert walk.total_decreases == 1
