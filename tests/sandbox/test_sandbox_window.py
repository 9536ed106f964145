"""Pure tests of the sandbox's strict sliding-window limiter."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asset_client.sandbox._window import SlidingWindow, max_in_window


def test_sixth_request_in_window_is_rejected_and_allowed_after() -> None:
    window = SlidingWindow(5, 1.0)
    assert all(window.hit("k", 10.0 + i * 0.1) for i in range(5))
    assert not window.hit("k", 10.5)
    # 10.0 leaves the window exactly at 11.0 (now - t >= window), but the rejected arrival at
    # 10.5 still counts, so 10.1..10.5 hold five slots until 11.1.
    assert not window.hit("k", 11.0)
    assert window.hit("k", 11.55)


def test_rejected_requests_count() -> None:
    window = SlidingWindow(2, 1.0)
    assert window.hit("k", 0.0)
    assert window.hit("k", 0.1)
    # Hammering keeps the window full: every rejected arrival is remembered.
    for t in (0.5, 0.9, 1.2, 1.6):
        assert not window.hit("k", t)
    assert window.in_window("k", 1.6) == 3
    assert window.hit("k", 2.7)


def test_keys_are_independent() -> None:
    window = SlidingWindow(1, 1.0)
    assert window.hit(("127.0.0.1", "a"), 0.0)
    assert window.hit(("127.0.0.1", "b"), 0.0)
    assert not window.hit(("127.0.0.1", "a"), 0.5)


def test_invalid_construction() -> None:
    with pytest.raises(ValueError):
        SlidingWindow(0, 1.0)
    with pytest.raises(ValueError):
        SlidingWindow(1, 0.0)


def _brute_max(times: list[float], window: float) -> int:
    return max((sum(1 for u in times if 0 <= u - t < window) for t in times), default=0)


arrivals = st.lists(st.integers(min_value=0, max_value=5_000), max_size=60).map(
    lambda ms: sorted(m / 1000 for m in ms)
)


@given(arrivals, st.integers(min_value=1, max_value=6))
def test_accepted_arrivals_never_exceed_limit_in_any_window(times: list[float], limit: int) -> None:
    window = SlidingWindow(limit, 1.0)
    accepted = [t for t in times if window.hit("k", t)]
    assert max_in_window(accepted, 1.0) <= limit


@given(arrivals, st.integers(min_value=1, max_value=6))
def test_window_matches_reference_model(times: list[float], limit: int) -> None:
    window = SlidingWindow(limit, 1.0)
    seen: list[float] = []
    for t in times:
        expected = sum(1 for u in seen if t - u < 1.0) < limit
        assert window.hit("k", t) is expected
        seen.append(t)


@given(arrivals)
def test_max_in_window_matches_brute_force(times: list[float]) -> None:
    assert max_in_window(times, 1.0) == _brute_max(times, 1.0)
    assert max_in_window(list(reversed(times)), 1.0) == _brute_max(times, 1.0)
