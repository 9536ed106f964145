"""The send clock's slack (issue 21.19): a send a little late keeps its slot, so the event
loop's lateness does not add to every gap, and no window ever loses more than the slack.
Pure: the clock's rules with times the test chooses."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from asset_client import RateLimit
from asset_client.limit import Lane, clock
from asset_client.limit.limiter import KeyLimiter
from asset_client.limit.margin import SLACK

INTERVAL = 0.204
SLACK_LANE = Lane("assets", INTERVAL, 0.005)


def _send_all(lane: Lane, lateness: list[float]) -> list[float]:
    """Each send leaves ``lateness[i]`` after the moment the clock first allows it."""
    state = clock.new_state()
    now, sent = 1_000.0, []
    for late in lateness:
        wait = clock.peek(state, (lane,), now, None).wait
        now += wait + late
        assert clock.claim(state, (lane,), now, None).claimed
        sent.append(now)
    return sent


def test_lateness_within_the_slack_does_not_add_up() -> None:
    late = [0.004] * 30  # the loop wakes every sender 4 ms late
    with_slack = _send_all(SLACK_LANE, late)
    without = _send_all(Lane("assets", INTERVAL), late)
    # Spaced from the slot: the 2nd to the 30th send span 28 intervals exactly.  Spaced from
    # each send: 28 intervals and 28 latenesses.
    assert abs((with_slack[-1] - with_slack[1]) - 28 * INTERVAL) < 1e-9
    assert abs((without[-1] - without[1]) - 28 * (INTERVAL + 0.004)) < 1e-9


def test_lateness_beyond_the_slack_moves_the_slot() -> None:
    sent = _send_all(SLACK_LANE, [0.0, 0.050, 0.0])
    # The second send left 50 ms late: the third is spaced from it, less the slack only.
    assert abs((sent[2] - sent[1]) - (INTERVAL - 0.005)) < 1e-9


@given(
    lateness=st.lists(st.floats(min_value=0.0, max_value=0.3), min_size=7, max_size=40),
    slack=st.sampled_from([0.0, 0.001, 0.005, 0.02]),
)
def test_any_six_sends_span_five_intervals_less_the_slack(
    lateness: list[float], slack: float
) -> None:
    sent = _send_all(Lane("assets", INTERVAL, slack), lateness)
    for first, sixth in zip(sent, sent[5:], strict=False):
        assert sixth - first >= 5 * INTERVAL - slack - 1e-9


def test_only_a_learnt_margin_runs_with_slack() -> None:
    adaptive = KeyLimiter(RateLimit())
    assert all(lane.slack == SLACK for lane in adaptive.lanes + adaptive.slow_lanes)
    # The starting margin already holds the slack: 65 ms = 60 ms of jitter + 5 ms.
    assert adaptive.margin >= 0.060 + SLACK
    fixed = KeyLimiter(RateLimit(margin=0.0))
    assert all(lane.slack == 0.0 for lane in fixed.lanes + fixed.slow_lanes)
    assert fixed.lanes[0].interval == 0.2
