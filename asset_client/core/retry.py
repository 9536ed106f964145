"""When to ask again and how long to wait first (pure)."""

from __future__ import annotations

import random

from attrs import field, frozen

from asset_client.core.validators import bounded_int, bounded_seconds
from asset_client.errors import AssetClientError, RateLimitError

__all__ = ["MAX_RETRIES", "RetryPolicy"]

MAX_RETRIES = 100


@frozen(kw_only=True)
class RetryPolicy:
    """Capped exponential backoff with jitter.

    Retries cover rate limits (29001, HTTP 429), server errors (5xx, code 500),
    connection errors, timeouts and broken bodies; never authentication, permission
    or parameter errors, which fail on the first answer.
    """

    #: Every field is checked (`InvalidParameterError` naming it): finite, not
    #: negative, and within a sane bound (100 retries, an hour's delay, a day's wait).
    max_retries: int = field(default=5, validator=bounded_int(0, MAX_RETRIES))
    base_delay: float = field(default=0.5, validator=bounded_seconds(0, 3600))
    max_delay: float = field(default=30.0, validator=bounded_seconds(0, 3600))
    #: The longest ``Retry-After`` obeyed; a server asking for more gets a
    #: `RateLimitError` (with its ``retry_after``) instead of a frozen key.
    max_retry_after: float = field(default=300.0, validator=bounded_seconds(0, 86400))

    def backoff(self, retry_no: int, rng: random.Random) -> float:
        """Delay before retry number ``retry_no`` (1-based): half fixed, half random, so
        retries of concurrent requests spread out but never collapse to zero."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (retry_no - 1))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)

    def delay_for(
        self, error: AssetClientError, retry_no: int, rng: random.Random, window: float
    ) -> float | None:
        """Seconds to wait before retry ``retry_no`` (1-based) after ``error``, or None
        to give up and raise it.

        A rate limit waits for ``Retry-After`` or the backoff, and at least one whole
        ``window`` so the server's sliding window can drain; a ``Retry-After`` beyond
        ``max_retry_after`` is not obeyed.
        """
        if not error.retryable or retry_no > self.max_retries:
            return None
        delay = self.backoff(retry_no, rng)
        if isinstance(error, RateLimitError):
            if error.retry_after is not None and error.retry_after > self.max_retry_after:
                return None
            return max(error.retry_after or delay, window)
        return delay
