"""The rules of the send clock, pure: one state per key, the caller brings ``now``.

A key's state is the slot of the last send in each lane and the end of its pause.  A
claim succeeds only when ``now`` is at least one lane interval after that lane's last
slot (for every lane) and past the pause; it then records the send's slot: ``now``, or,
for a send at most the lane's ``slack`` late, the slot it was due at (last + interval).
Claiming at the moment of sending, not in advance, is the sharp edge: a sender that
oversleeps can never end up closer than one interval (less the slack) to the next.  Why
the slack: the event loop wakes a sender a few milliseconds late on every send, and
spacing each send from the late one before it adds that lateness to every gap (about 2 %
of the pace at 5/s); keeping the slot instead costs at most ``slack`` once per window:
slots are always at least one interval apart, and a send is at most ``slack`` after its
slot, so any ``requests + 1`` sends span at least ``period + margin - slack``.  The
adaptive margin counts the slack in (`asset_client.limit.margin`); a fixed margin runs
with no slack.  The process and host backends run these functions under their lock; the
Redis backend runs the same rules in Lua (``redis_backend``), and a test drives both with
the same steps.
"""

from __future__ import annotations

from typing import TypedDict

from asset_client.limit.base import Lane, Verdict

__all__ = ["State", "claim", "new_state", "pause", "peek"]


class State(TypedDict):
    """What a backend stores per key (no key in it: the key names the state)."""

    last: dict[str, float]  # lane name -> the slot of its last send
    pause: float  # end of the pause (0: none)


def new_state() -> State:
    return {"last": {}, "pause": 0.0}


def peek(state: State, lanes: tuple[Lane, ...], now: float, served: float | None) -> Verdict:
    """Seconds until a claim could succeed at ``now`` (0: it would succeed now)."""
    pause_end = state["pause"]
    if pause_end > now and (served is None or pause_end > served):
        return Verdict(wait=pause_end - now, pause_end=pause_end)
    ready = max(
        (state["last"].get(lane.name, -float("inf")) + lane.interval for lane in lanes),
        default=now,
    )
    return Verdict(wait=max(0.0, ready - now))


def claim(state: State, lanes: tuple[Lane, ...], now: float, served: float | None) -> Verdict:
    """Take the slot at ``now`` in every lane (mutating ``state``), or say how long to wait."""
    verdict = peek(state, lanes, now, served)
    if verdict.wait > 0:
        return verdict
    for lane in lanes:
        due = state["last"].get(lane.name, -float("inf")) + lane.interval
        state["last"][lane.name] = max(due, now - lane.slack)
    return Verdict(wait=0.0, claimed=True)


def pause(state: State, now: float, seconds: float) -> None:
    """Extend the key's pause to ``now + seconds`` (never shortens it)."""
    state["pause"] = max(state["pause"], now + seconds)
