"""Pure tests of the sandbox's synthetic population."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asset_client.sandbox._data import Population, SandboxData, format_time, parse_time

MONEY = re.compile(r"\d+\.\d{8}")
TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
FIELDS = {
    "uid",
    "totalDeposit",
    "totalWithdrawal",
    "currentBalance",
    "updateTime",
    "firstDepositAmount",
    "firstDepositTime",
}


def test_deterministic_for_a_seed_and_different_across_seeds() -> None:
    a = Population(7, "usdt", 300).records()
    assert a == Population(7, "usdt", 300).records()
    assert a != Population(8, "usdt", 300).records()
    assert a != Population(7, "usdc", 300).records()


def test_records_are_well_formed_and_sorted() -> None:
    records = Population(3, "usdt", 2_000).records()
    uids = [r["uid"] for r in records if isinstance(r["uid"], int)]
    assert len(uids) == len(records)  # JSON numbers, not strings
    assert uids == sorted(set(uids))
    assert uids[0] >= 10_000_000
    never = [r for r in records if r["totalDeposit"] == "0"]
    assert 0.2 < len(never) / len(records) < 0.35  # the funnel: about a quarter, and late ones
    # Both shapes of "no first deposit" occur.
    assert {r["firstDepositAmount"] for r in never} == {None, ""}
    for r in records:
        assert set(r) == FIELDS
        assert TIME.fullmatch(str(r["updateTime"]))
        if r in never:
            assert r["totalWithdrawal"] == "0"
            assert r["firstDepositTime"] == r["firstDepositAmount"]
            continue
        for key in ("totalDeposit", "totalWithdrawal", "currentBalance", "firstDepositAmount"):
            assert MONEY.fullmatch(str(r[key])), (key, r[key])
        assert TIME.fullmatch(str(r["firstDepositTime"]))
        assert str(r["firstDepositTime"]) <= str(r["updateTime"])


def test_window_changes_totals_but_not_balance() -> None:
    pop = Population(1, "usdt", 500)
    full = pop.records()
    start = parse_time("2026-03-01 00:00:00")
    end = parse_time("2026-04-30 23:59:59")
    windowed = pop.records(start=start, end=end)
    assert [r["uid"] for r in windowed] == [r["uid"] for r in full]
    assert [r["currentBalance"] for r in windowed] == [r["currentBalance"] for r in full]
    assert [r["totalDeposit"] for r in windowed] != [r["totalDeposit"] for r in full]


@given(
    st.integers(min_value=0, max_value=15_638_399), st.integers(min_value=0, max_value=15_638_399)
)
def test_window_sums_only_events_inside(a: int, b: int) -> None:
    start, end = min(a, b), max(a, b)
    pop = Population(5, "usdc", 50)
    for inv in pop.matching(None):
        deposit, withdrawal = inv.totals(start, end)
        assert deposit == sum(x for t, x in inv.events if start <= t <= end and x > 0)
        assert withdrawal == -sum(x for t, x in inv.events if start <= t <= end and x < 0)
        assert deposit <= inv.total_deposit
        assert withdrawal <= inv.total_withdrawal


def test_uid_filter() -> None:
    pop = Population(1, "usdt", 100)
    records = pop.records()
    target = records[42]
    assert pop.records(uid=int(str(target["uid"]))) == [target]
    assert pop.records(uid=1) == []
    assert pop.page(0, 10, uid=1) == (0, [])


def test_growth_appends_higher_uids_and_shrink_drops_lowest() -> None:
    data = SandboxData(seed=2, invitees=100)
    before = data.population("usdt").records()
    data.grow(10)
    after = data.population("usdt").records()
    assert after[:100] == before
    assert len(after) == 110
    assert min(int(str(r["uid"])) for r in after[100:]) > int(str(before[-1]["uid"]))
    # A quote generated after the change gets it too.
    assert len(data.population("usdc")) == 110
    data.shrink(5)
    assert data.population("usdt").records() == after[5:]
    assert len(data.population("usdc")) == 105


def test_unknown_quote() -> None:
    with pytest.raises(ValueError):
        SandboxData(1, 1).population("eur")


@pytest.mark.parametrize(
    "text",
    [
        "2026-03-01",
        "2026-03-01T00:00:00",
        "2026-3-01 00:00:00",
        "2026-02-30 00:00:00",
        " 2026-03-01 00:00:00",
        "2026-03-01 24:00:00",
    ],
)
def test_parse_time_is_strict(text: str) -> None:
    assert parse_time(text) is None


@given(st.integers(min_value=-(10**8), max_value=10**8))
def test_time_round_trip(seconds: int) -> None:
    assert parse_time(format_time(seconds)) == seconds


def test_changes_anywhere_are_seeded_and_never_reuse_a_uid() -> None:
    def run() -> tuple[list[int], list[int]]:
        data = SandboxData(seed=3, invitees=200)
        before = data.population("usdt").uids()
        data.grow(15, anywhere=True)
        data.shrink(10, anywhere=True)
        data.grow(15, anywhere=True)
        return before, data.population("usdt").uids()

    before, after = run()
    assert run() == (before, after)  # the same seed replays the same changes
    assert after == sorted(set(after)) and len(after) == 220
    added, removed = set(after) - set(before), set(before) - set(after)
    assert len(added) == 30 and len(removed) == 10
    # Not only at the ends: newcomers land below the highest uid, removals above the lowest.
    assert min(added) < before[-1] and max(removed) > before[0]
    assert not added & removed
    # Records stay consistent with their uid, in order.
    records = SandboxData(seed=3, invitees=200).population("usdc")
    records.insert_anywhere(5)
    assert [r["uid"] for r in records.records()] == records.uids()
