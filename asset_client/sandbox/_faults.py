"""Fault injection: which request gets which fault, and how long each answer is delayed.

Pure and seeded: the same :class:`FaultConfig` and the same sequence of request ordinals give
the same decisions, so a failing test replays exactly.  Nothing fires unless configured.
"""

from __future__ import annotations

import enum
import math
import random
from collections.abc import Mapping
from types import MappingProxyType

import attrs

__all__ = ["Fault", "FaultConfig", "FaultPlan"]


class Fault(enum.Enum):
    """Failure modes a client of the real API has to survive (gateways included)."""

    SERVER_ERROR_HTML = "server_error_html"  # HTTP 503 with an HTML page, as a gateway sends
    TRUNCATED_JSON = "truncated_json"  # HTTP 200, the real JSON answer cut in half
    EMPTY_BODY = "empty_body"  # HTTP 200, no body at all
    CONNECTION_RESET = "connection_reset"  # transport closed without an answer
    RATE_LIMITED = "rate_limited"  # 29001 (or HTTP 429) although the window allows it
    TIMEOUT = "timeout"  # answer normally, but only after FaultConfig.timeout_delay
    CODE_500 = "code_500"  # HTTP 200 with {"code": 500, "msg": "Internal server error"}


def _frozen_mapping(value: Mapping[int, Fault]) -> Mapping[int, Fault]:
    return MappingProxyType(dict(value))


_DEFAULT_KINDS = (
    Fault.SERVER_ERROR_HTML,
    Fault.TRUNCATED_JSON,
    Fault.CONNECTION_RESET,
    Fault.RATE_LIMITED,
)


@attrs.frozen(kw_only=True)
class FaultConfig:
    """What to inject.  The default injects nothing."""

    latency: float = 0.0  # seconds added before every answer
    latency_jitter: float = 0.0  # uniform extra 0..jitter, from the seeded RNG
    # One-way network jitter: each request *arrives* (is counted by the window) uniformly
    # 0..2*jitter after it reached the server, i.e. ±jitter around a one-way delay of
    # jitter.  Two sends can thus arrive up to 2*jitter closer than they were sent.
    one_way_jitter: float = 0.0
    # 1-based ordinal of the request since the sandbox started (counting every request that
    # reaches the handler, i.e. ``len(stats.requests)`` after it arrived) -> fault.
    script: Mapping[int, Fault] = attrs.field(factory=dict, converter=_frozen_mapping)
    random_rate: float = 0.0  # probability that a request gets a random fault
    random_kinds: tuple[Fault, ...] = _DEFAULT_KINDS
    seed: int = 0  # seeds latency jitter and random faults
    grow_after: int | None = None  # after this many accepted requests, add grow_by invitees
    grow_by: int = 0
    grow_at: str = attrs.field(default="top", validator=attrs.validators.in_(("top", "anywhere")))
    shrink_after: int | None = None  # after this many accepted requests, drop shrink_by
    shrink_by: int = 0
    shrink_at: str = attrs.field(
        default="bottom", validator=attrs.validators.in_(("bottom", "anywhere"))
    )
    # If set, growth and shrink happen again every this many accepted requests after
    # their first time (a list that keeps changing under the walk).
    repeat_every: int | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.ge(1))
    )
    timeout_delay: float = 5.0

    def __attrs_post_init__(self) -> None:
        if not 0.0 <= self.random_rate <= 1.0:
            raise ValueError("random_rate must be within 0..1")
        if self.random_rate > 0 and not self.random_kinds:
            raise ValueError("random_kinds must not be empty when random_rate > 0")
        delays = (self.latency, self.latency_jitter, self.timeout_delay, self.one_way_jitter)
        if not all(math.isfinite(d) and d >= 0 for d in delays):
            raise ValueError(
                "latency, latency_jitter, one_way_jitter and timeout_delay must be finite "
                f"and >= 0, got {delays}"
            )
        if any(ordinal < 1 for ordinal in self.script):
            raise ValueError("script ordinals are 1-based")


class FaultPlan:
    """Stateful decisions for one FaultConfig (a fresh plan restarts the seeded streams)."""

    def __init__(self, config: FaultConfig) -> None:
        self.config = config
        # Separate streams: enabling jitter must not change which requests fail.  Seeded
        # PRNGs on purpose (reproducible test runs), nothing security-related.
        self._fault_rng = random.Random(f"faults:{config.seed}")  # noqa: S311
        self._latency_rng = random.Random(f"latency:{config.seed}")  # noqa: S311
        self._arrival_rng = random.Random(f"arrival:{config.seed}")  # noqa: S311

    def decide(self, ordinal: int) -> Fault | None:
        """The fault for the request with this 1-based ordinal, or None."""
        scripted = self.config.script.get(ordinal)
        if scripted is not None:
            return scripted
        if self.config.random_rate <= 0:
            return None
        if self._fault_rng.random() < self.config.random_rate:
            return self._fault_rng.choice(self.config.random_kinds)
        return None

    def delay(self) -> float:
        """Seconds to wait before answering (latency plus seeded jitter)."""
        jitter = self.config.latency_jitter
        extra = self._latency_rng.uniform(0.0, jitter) if jitter > 0 else 0.0
        return self.config.latency + extra

    def arrival_delay(self) -> float:
        """Seconds between reaching the server and arriving at its window (jitter)."""
        jitter = self.config.one_way_jitter
        return self._arrival_rng.uniform(0.0, 2 * jitter) if jitter > 0 else 0.0

    def should_grow(self, accepted: int) -> bool:
        """True when ``accepted`` reaches grow_after (and, with repeat_every, every
        repeat_every requests after it)."""
        return self._due(self.config.grow_after, self.config.grow_by, accepted)

    def should_shrink(self, accepted: int) -> bool:
        return self._due(self.config.shrink_after, self.config.shrink_by, accepted)

    def _due(self, after: int | None, count: int, accepted: int) -> bool:
        if after is None or count <= 0 or accepted < after:
            return False
        every = self.config.repeat_every
        return accepted == after or (every is not None and (accepted - after) % every == 0)
