"""Backoff: capped, exponential, jittered, never zero; and `decide`, the one pure decision
after a failed attempt (retry, pause the key, give up), checked without I/O or a clock."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asset_client import (
    AuthenticationError,
    InvalidParameterError,
    ParameterRejectedError,
    PermissionDeniedError,
    RateLimitError,
    ResponseDecodeError,
    RetryPolicy,
    ServerError,
)
from asset_client.core.retry import Decision, decide


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


# -- decide: what follows a failed attempt (pure: no I/O, no clock) ----------------------

POLICY = RetryPolicy(max_retries=3, base_delay=0.5, max_delay=30.0, max_retry_after=300.0)


def test_a_refused_key_gives_up_at_once_and_fails_the_queued_calls() -> None:
    for error in (AuthenticationError("bad sign", code="6001"), PermissionDeniedError("no")):
        decision = decide(error, 1, POLICY, random.Random(1), WINDOW)
        assert decision == Decision(give_up=True, refuse_key=True)


def test_a_refused_parameter_or_an_absurd_answer_gives_up_without_a_pause() -> None:
    for error in (ParameterRejectedError("too large", code="1"), ResponseDecodeError("shape")):
        assert decide(error, 1, POLICY, random.Random(1), WINDOW) == Decision(give_up=True)


def test_a_server_error_backs_off_then_gives_up_after_the_last_retry() -> None:
    first = decide(ServerError("503"), 1, POLICY, random.Random(7), WINDOW)
    assert not first.give_up and first.pause is None and not first.refuse_key
    assert first.backoff == POLICY.backoff(1, random.Random(7))  # the same draw, seeded
    assert decide(ServerError("503"), 4, POLICY, random.Random(7), WINDOW) == Decision(give_up=True)


def test_a_rate_limit_pauses_the_key_and_the_retry_waits_behind_the_pause() -> None:
    decision = decide(RateLimitError("29001"), 1, POLICY, random.Random(1), WINDOW, streak=1)
    assert decision == Decision(give_up=False, backoff=0.0, pause=WINDOW)
    told = decide(RateLimitError("429", retry_after=7.0), 1, POLICY, random.Random(1), WINDOW, 1)
    assert told.pause == 7.0 and not told.give_up


@given(streak=st.integers(1, 12))
def test_rejections_in_a_row_lengthen_the_pause_up_to_the_cap(streak: int) -> None:
    decision = decide(RateLimitError("29001"), 1, POLICY, random.Random(1), WINDOW, streak)
    assert decision.pause == max(WINDOW, min(WINDOW * 2 ** (streak - 1), 300.0))


def test_a_rate_limit_given_up_on_still_pauses_every_sender() -> None:
    last = decide(RateLimitError("29001"), 4, POLICY, random.Random(1), WINDOW, streak=1)
    assert last.give_up and last.pause is not None and last.pause >= WINDOW
    # A Retry-After beyond the policy's cap is not obeyed: give up, pausing only the cap.
    far = decide(RateLimitError("429", retry_after=3600.0), 1, POLICY, random.Random(1), WINDOW)
    assert far.give_up and far.pause == 300.0
