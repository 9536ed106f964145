"""Which limiter backend a client uses: its ``limiter`` argument, else the environment
variable ``ASSET_CLIENT_LIMITER``, else ``host``.

Sharp edge: backends named by a string are one shared object per process (one
``process`` clock, one ``host`` clock, one ``redis`` client per URL), so two clients
with the same key and spec always share a budget.
"""

from __future__ import annotations

import os
import threading

from asset_client.errors import InvalidParameterError
from asset_client.limit.base import LimiterBackend
from asset_client.limit.host import AVAILABLE, HostLimiter
from asset_client.limit.process import ProcessLimiter
from asset_client.limit.redis_backend import RedisLimiter, redacted_url

__all__ = ["DEFAULT_LIMITER", "LIMITER_ENV", "resolve_limiter"]

LIMITER_ENV = "ASSET_CLIENT_LIMITER"
#: ``host`` wherever ``flock`` exists (Linux, macOS, BSD); ``process`` elsewhere (Windows).
DEFAULT_LIMITER = "host" if AVAILABLE else "process"

_SHARED: dict[str, LimiterBackend] = {}
_LOCK = threading.Lock()


def _from_spec(spec: str, source: str) -> LimiterBackend:
    text = spec.strip()
    with _LOCK:
        backend = _SHARED.get(text)
        if backend is not None:
            return backend
        if text == "process":
            backend = ProcessLimiter()
        elif text == "host":
            backend = HostLimiter()
        elif text.startswith(("redis://", "rediss://")):
            try:
                backend = RedisLimiter(text)
            except ValueError as exc:
                raise InvalidParameterError(f"{source}: {exc}", field="limiter") from None
        else:
            shown = redacted_url(text) if "://" in text else text
            raise InvalidParameterError(
                f"{source} must be 'process', 'host' or 'redis://host:port/db', got {shown!r}",
                field="limiter",
            )
        _SHARED[text] = backend
        return backend


def resolve_limiter(limiter: object = None) -> LimiterBackend:
    """The backend for ``limiter``: a spec string, a backend object, or None (environment,
    then the ``host`` default)."""
    if limiter is None:
        env = os.environ.get(LIMITER_ENV, "").strip()
        if env:
            return _from_spec(env, LIMITER_ENV)
        return _from_spec(DEFAULT_LIMITER, "limiter")
    if isinstance(limiter, str):
        return _from_spec(limiter, "limiter")
    if isinstance(limiter, LimiterBackend):
        return limiter
    raise InvalidParameterError(
        f"limiter must be 'process', 'host', 'redis://...' or a limiter backend, got {limiter!r}",
        field="limiter",
    )
