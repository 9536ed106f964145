"""Backoff: capped, exponential, jittered, never zero."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asset_client import (
    AuthenticationError,
    InvalidParameterError,
    RateLimitError,
    RetryPolicy,
    ServerError,
)


@given(retry_no=st.integers(1, 60), seed=st.integers(0, 2**32))
def test_backoff_stays_within_half_and_whole_ceiling(retry_no: int, seed: int) -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=30.0)
    ceiling = min(30.0, 0.5 * 2 ** (retry_no - 1))
    delay = policy.backoff(retry_no, random.Random(seed))
    assert ceiling / 2 <= delay <= ceiling


def test_backoff_grows_then_caps() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=8.0)
    rng = random.Random(1)
    lows = [policy.backoff(n, rng) for n in range(1, 8)]
    assert lows[0] <= 1.0 and lows[3] >= 4.0 and max(lows) <= 8.0


def test_jitter_spreads_concurrent_retries() -> None:
    policy = RetryPolicy()
    delays = {policy.backoff(3, random.Random(seed)) for seed in range(20)}
    assert len(delays) == 20


def test_negative_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="max_retries"):
        RetryPolicy(max_retries=-1)


WINDOW = 1.0


def test_delay_for_gives_up_on_final_errors_and_after_the_last_retry() -> None:
    policy = RetryPolicy(max_retries=2, base_delay=0.5)
    rng = random.Random(3)
    assert policy.delay_for(AuthenticationError("no"), 1, rng, WINDOW) is None
    assert policy.delay_for(InvalidParameterError("bad"), 1, rng, WINDOW) is None
    assert policy.delay_for(ServerError("503"), 2, rng, WINDOW) is not None
    assert policy.delay_for(ServerError("503"), 3, rng, WINDOW) is None


def test_a_rate_limit_waits_at_least_one_window_or_retry_after() -> None:
    policy = RetryPolicy(base_delay=0.01)
    rng = random.Random(3)
    assert policy.delay_for(RateLimitError("29001"), 1, rng, WINDOW) == WINDOW
    assert policy.delay_for(RateLimitError("429", retry_after=7.0), 1, rng, WINDOW) == 7.0


def test_retry_after_beyond_the_cap_is_not_obeyed() -> None:
    policy = RetryPolicy(max_retry_after=300.0)
    rng = random.Random(3)
    assert policy.delay_for(RateLimitError("429", retry_after=301.0), 1, rng, WINDOW) is None
    assert policy.delay_for(RateLimitError("429", retry_after=300.0), 1, rng, WINDOW) == 300.0
