"""Simulated days in the sandbox: deterministic joins, leaves, activity, first deposits."""

from __future__ import annotations

from asset_client.sandbox import SandboxConfig
from asset_client.sandbox._data import SandboxData


def _records(days: int) -> dict[int, dict[str, object]]:
    return {int(str(r["uid"])): r for r in SandboxData(3, 2000, days).population("usdc").records()}


def test_a_day_brings_joins_leaves_activity_and_first_deposits() -> None:
    day0, day1 = _records(0), _records(1)
    joined, left = day1.keys() - day0.keys(), day0.keys() - day1.keys()
    changed = [uid for uid in day0.keys() & day1.keys() if day0[uid] != day1[uid]]
    assert len(joined) == 10 and min(joined) > max(day0)  # 0.5 % join, above every uid
    assert len(left) == 2 and max(left) < min(day1)  # the oldest leave
    assert 20 <= len(changed) <= 60  # about 2 % active
    firsts = [uid for uid in changed if day0[uid]["firstDepositTime"] in ("", None)]
    assert firsts  # someone made a first deposit
    for uid in changed:
        assert str(day1[uid]["updateTime"]) >= "2026-07-01 00:00:00"  # dated after the seed
        assert day1[uid]["firstDepositTime"] == day0[uid]["firstDepositTime"] or uid in firsts


def test_days_are_deterministic_and_cumulative() -> None:
    assert _records(2) == _records(2)
    assert _records(2) != _records(1)
    assert SandboxConfig().days == 0
