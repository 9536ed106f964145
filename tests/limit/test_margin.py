"""The margin that follows the link (issue 21.19): the pure estimator, without a clock."""

from __future__ import annotations

import random

from asset_client import RateLimit
from asset_client.limit.limiter import KeyLimiter
from asset_client.limit.margin import MarginEstimator

KIND = ("assets", 1000)


def test_it_starts_at_the_safe_default_and_shrinks_only_with_evidence() -> None:
    margins = MarginEstimator()
    assert margins.margin == 0.065
    for _ in range(margins.evidence - 1):
        margins.observe(KIND, 0.010)  # a quiet link: identical round trips
    assert margins.margin == 0.065  # not enough evidence yet
    for _ in range(200):
        margins.observe(KIND, 0.010)
    assert abs(margins.margin - margins.floor) < 1e-6  # down to the floor, never below


def test_it_shrinks_part_of_the_way_per_round_trip() -> None:
    margins = MarginEstimator()
    for _ in range(margins.evidence):
        before = margins.margin
        margins.observe(KIND, 0.3)
    assert margins.floor < margins.margin < before


def test_a_wider_spread_widens_it_at_once() -> None:
    margins = MarginEstimator()
    for _ in range(100):
        margins.observe(KIND, 0.300)
    assert margins.margin < 0.03
    margins.observe(KIND, 0.360)  # one round trip 60 ms slower: ±30 ms of jitter
    assert margins.margin >= 1.5 * 0.060


def test_jitter_keeps_it_at_least_the_spread() -> None:
    rng = random.Random(7)
    margins = MarginEstimator()
    for _ in range(500):
        margins.observe(KIND, 0.3 + rng.uniform(-0.03, 0.03) + rng.uniform(0, 0.001))
    assert margins.margin >= 0.06  # the ±30 ms one-way jitter's 60 ms, with room


def test_kinds_are_compared_apart() -> None:
    margins = MarginEstimator()
    for _ in range(100):
        margins.observe(("assets", 1000), 0.250)
        margins.observe(("assets", 10), 0.020)  # smaller pages are faster: not jitter
    assert margins.margin < 0.03


def test_a_rejection_widens_it_at_once_and_forgets_the_evidence() -> None:
    margins = MarginEstimator()
    for _ in range(100):
        margins.observe(KIND, 0.01)
    assert margins.rejected() == 0.065  # back to at least the safe default
    assert margins.rejected() == 0.13  # and twice the margin that failed
    for _ in range(margins.evidence - 1):
        margins.observe(KIND, 0.01)
    assert margins.margin == 0.13  # fresh evidence needed before it shrinks again


def test_nonsense_round_trips_are_ignored_and_the_ceiling_holds() -> None:
    margins = MarginEstimator()
    margins.observe(KIND, float("nan"))
    margins.observe(KIND, -1.0)
    assert margins.margin == 0.065
    margins.observe(KIND, 0.0)
    margins.observe(KIND, 50.0)
    assert margins.margin == margins.ceiling


def test_the_lane_follows_its_estimator_only_when_the_rate_is_adaptive() -> None:
    assert RateLimit().adaptive and not RateLimit(margin=0.01).adaptive
    assert not RateLimit(adaptive=False).adaptive
    limiter = KeyLimiter(RateLimit())
    assert limiter.lanes[0].interval == RateLimit().interval
    for _ in range(200):
        limiter.observe(KIND, 0.005)
    assert limiter.margin < 0.021
    assert limiter.lanes[0].interval < RateLimit().interval
    limiter.rejected()
    assert limiter.lanes[0].interval >= RateLimit().interval
    fixed = KeyLimiter(RateLimit(margin=0.01))
    for _ in range(200):
        fixed.observe(KIND, 0.5 if _ % 2 else 0.005)
    assert fixed.margin == 0.01 and fixed.margins is None


def test_few_round_trips_are_stretched_and_the_slack_is_counted_in() -> None:
    margins = MarginEstimator()
    margins.observe(KIND, 0.300)
    margins.observe(KIND, 0.310)  # 10 ms apart, only two samples: stretched 3 times
    needed, enough = margins.needed()
    assert not enough
    assert abs(needed - (margins.factor * 0.010 * 3 + margins.slack)) < 1e-9
    for n in range(200):
        margins.observe(KIND, 0.300 + 0.010 * (n % 2))
    # Many samples: the range itself, barely stretched, plus the slack.
    needed, enough = margins.needed()
    assert enough
    assert abs(needed - (margins.factor * 0.010 * 33 / 31 + margins.slack)) < 1e-9
