"""When to ask again and how long to wait first (pure)."""

from __future__ import annotations

import random

from attrs import field, frozen
from attrs.validators import ge

__all__ = ["RetryPolicy"]


@frozen(kw_only=True)
class RetryPolicy:
    """Capped exponential backoff with jitter.

    Retries cover rate limits (29001, HTTP 429), server errors (5xx, code 500),
    connection errors, timeouts and broken bodies; never authentication, permission
    or parameter errors, which fail on the first answer.
    """

    max_retries: int = field(default=5, validator=ge(0))
    base_delay: float = field(default=0.5, validator=ge(0))
    max_delay: float = field(default=30.0, validator=ge(0))
    #: The longest ``Retry-After`` obeyed; a server asking for more gets a
    #: `RateLimitError` (with its ``retry_after``) instead of a frozen key.
    max_retry_after: float = field(default=300.0, validator=ge(0))

    def backoff(self, retry_no: int, rng: random.Random) -> float:
        """Delay before retry number ``retry_no`` (1-based): half fixed, half random, so
        retries of concurrent requests spread out but never collapse to zero."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (retry_no - 1))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)
