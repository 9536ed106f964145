"""Pure tests of fault decisions (no server)."""

from __future__ import annotations

import pytest

from asset_client.sandbox import Fault, FaultConfig
from asset_client.sandbox._faults import FaultPlan


def test_nothing_fires_by_default() -> None:
    plan = FaultPlan(FaultConfig())
    assert [plan.decide(i) for i in range(1, 1_001)] == [None] * 1_000
    assert plan.delay() == 0.0
    assert not plan.should_grow(1)
    assert not plan.should_shrink(1)


def test_script_fires_on_its_ordinals_only() -> None:
    plan = FaultPlan(FaultConfig(script={2: Fault.EMPTY_BODY, 4: Fault.CODE_500}))
    assert [plan.decide(i) for i in range(1, 6)] == [
        None,
        Fault.EMPTY_BODY,
        None,
        Fault.CODE_500,
        None,
    ]


def test_random_faults_are_seeded() -> None:
    config = FaultConfig(random_rate=0.3, seed=11)
    plan_a, plan_b = FaultPlan(config), FaultPlan(config)
    seq_a = [plan_a.decide(i) for i in range(1, 201)]
    assert seq_a == [plan_b.decide(i) for i in range(1, 201)]
    fired = [f for f in seq_a if f is not None]
    assert 30 < len(fired) < 100
    assert set(fired) <= set(config.random_kinds)
    other = FaultPlan(FaultConfig(random_rate=0.3, seed=12))
    assert [other.decide(i) for i in range(1, 201)] != seq_a


def test_jitter_does_not_change_which_requests_fail() -> None:
    plain = FaultPlan(FaultConfig(random_rate=0.3, seed=4))
    jittered = FaultPlan(FaultConfig(random_rate=0.3, seed=4, latency_jitter=0.1))
    for i in range(1, 101):
        jittered.delay()
        assert plain.decide(i) == jittered.decide(i)


def test_jitter_is_seeded_and_bounded() -> None:
    config = FaultConfig(latency=0.5, latency_jitter=0.25, seed=3)
    a, b = FaultPlan(config), FaultPlan(config)
    delays = [a.delay() for _ in range(50)]
    assert delays == [b.delay() for _ in range(50)]
    assert all(0.5 <= d <= 0.75 for d in delays)
    assert len(set(delays)) > 1


def test_growth_and_shrink_fire_once() -> None:
    plan = FaultPlan(FaultConfig(grow_after=3, grow_by=10, shrink_after=5, shrink_by=2))
    assert [plan.should_grow(n) for n in range(1, 8)] == [n == 3 for n in range(1, 8)]
    assert [plan.should_shrink(n) for n in range(1, 8)] == [n == 5 for n in range(1, 8)]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"random_rate": 1.5},
        {"random_rate": 0.5, "random_kinds": ()},
        {"latency": -1.0},
        {"script": {0: Fault.EMPTY_BODY}},
    ],
)
def test_invalid_config(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        FaultConfig(**kwargs)  # type: ignore[arg-type]


def test_script_is_immutable() -> None:
    script = {1: Fault.TIMEOUT}
    config = FaultConfig(script=script)
    script[2] = Fault.EMPTY_BODY
    assert dict(config.script) == {1: Fault.TIMEOUT}


def test_growth_and_shrink_can_repeat() -> None:
    plan = FaultPlan(
        FaultConfig(grow_after=3, grow_by=1, shrink_after=4, shrink_by=1, repeat_every=4)
    )
    assert [n for n in range(1, 16) if plan.should_grow(n)] == [3, 7, 11, 15]
    assert [n for n in range(1, 16) if plan.should_shrink(n)] == [4, 8, 12]


@pytest.mark.parametrize(
    "kwargs", [{"grow_at": "middle"}, {"shrink_at": "top"}, {"repeat_every": 0}]
)
def test_invalid_change_places(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        FaultConfig(**kwargs)  # type: ignore[arg-type]
