"""Which limiter backend a spec names: its ``limiter`` argument, else the environment
variable ``ASSET_CLIENT_LIMITER``, else ``host``.

Sharp edge: this module builds a new backend for every call; sharing one per spec (so two
clients with one key and spec always share a budget) is `LimiterRegistry.backend`'s job.
"""

from __future__ import annotations

import os

from asset_client.errors import InvalidParameterError
from asset_client.limit.base import LimiterBackend
from asset_client.limit.host import AVAILABLE, HostLimiter
from asset_client.limit.process import ProcessLimiter
from asset_client.limit.redis_backend import RedisLimiter, redacted_url

__all__ = ["DEFAULT_LIMITER", "LIMITER_ENV", "backend_from_spec", "requested_spec"]

LIMITER_ENV = "ASSET_CLIENT_LIMITER"
#: ``host`` wherever ``flock`` exists (Linux, macOS, BSD); ``process`` elsewhere (Windows).
DEFAULT_LIMITER = "host" if AVAILABLE else "process"


def requested_spec(limiter: str | None) -> tuple[str, str]:
    """The spec asked for (``limiter``, else the environment, else the default) and where
    it came from, for messages."""
    if limiter is not None:
        return limiter.strip(), "limiter"
    env = os.environ.get(LIMITER_ENV, "").strip()
    if env:
        return env, LIMITER_ENV
    return DEFAULT_LIMITER, "limiter"


def backend_from_spec(spec: str, source: str) -> LimiterBackend:
    """A new backend for ``spec`` (``process``, ``host`` or ``redis://...``); a bad spec is
    `InvalidParameterError` naming ``source`` (a Redis password never shows)."""
    if spec == "process":
        return ProcessLimiter()
    if spec == "host":
        return HostLimiter()
    if spec.startswith(("redis://", "rediss://")):
        try:
            return RedisLimiter(spec)
        except InvalidParameterError as exc:
            raise InvalidParameterError(f"{source}: {exc.message}", field="limiter") from None
    shown = redacted_url(spec) if "://" in spec else spec
    raise InvalidParameterError(
        f"{source} must be 'process', 'host' or 'redis://host:port/db', got {shown!r}",
        field="limiter",
    )
