"""After a failed attempt: ask again, pause the key, or give up (pure: no I/O, no clock).

`decide` is the one place that turns an error into what happens next; the client only
carries the `Decision` out.  Sharp edge: a rate-limit rejection pauses every sender of
the key *even when this call gives up*, for at least one whole window, and longer for
each rejection in a row (the key's ``streak``, which the caller remembers).
"""

from __future__ import annotations

import random

from attrs import field, frozen

from asset_client.core.penalty import escalated_pause
from asset_client.core.validators import bounded_int, bounded_seconds
from asset_client.errors import (
    AssetClientError,
    AuthenticationError,
    PermissionDeniedError,
    RateLimitError,
)

__all__ = ["MAX_RETRIES", "Decision", "RetryPolicy", "decide"]

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

    def rejection_pause(
        self, error: RateLimitError, retry_no: int, rng: random.Random, window: float
    ) -> float:
        """How long every sender of the key waits after a rejection this call gives up
        on: the server's ``Retry-After`` up to ``max_retry_after``, else the backoff, and
        at least one whole window."""
        wanted = error.retry_after if error.retry_after is not None else self.backoff(retry_no, rng)
        return max(window, min(wanted, self.max_retry_after))


@frozen
class Decision:
    """What to do after a failed attempt."""

    #: Raise the error now (after the pause, if there is one).
    give_up: bool
    #: Seconds to sleep before asking again (0 after a pause: the retry then waits in
    #: the limiter's line behind it, like every other sender of the key).
    backoff: float = 0.0
    #: Hold every sender of the key this long from now (a rate-limit rejection).
    pause: float | None = None
    #: The server refused the key itself: calls already queued for it fail now.
    refuse_key: bool = False


def is_rejection(error: AssetClientError) -> bool:
    """Whether ``error`` is the server refusing for rate (it counts in the key's streak)."""
    return isinstance(error, RateLimitError)


def decide(
    error: AssetClientError,
    attempt: int,
    policy: RetryPolicy,
    rng: random.Random,
    window: float,
    streak: int = 0,
) -> Decision:
    """What follows attempt number ``attempt`` (1-based) failing with ``error``.

    ``window`` is the rate limit's period; ``streak`` how many rate-limit rejections in
    a row the key has drawn, this one included (0 for other errors).  ``rng`` draws the
    jitter, so a seeded one gives the same decision every time.
    """
    refused = isinstance(error, AuthenticationError | PermissionDeniedError)
    delay = policy.delay_for(error, attempt, rng, window)
    if not isinstance(error, RateLimitError):
        if delay is None:
            return Decision(give_up=True, refuse_key=refused)
        return Decision(give_up=False, backoff=delay, refuse_key=refused)
    pause = delay if delay is not None else policy.rejection_pause(error, attempt, rng, window)
    # Rejections in a row (any page, any endpoint of the key) lengthen the pause.
    pause = max(pause, escalated_pause(window, streak, policy.max_retry_after))
    return Decision(give_up=delay is None, pause=pause)
