"""The limiter seam: the shared send clock (per API key) behind three backends.

``base`` holds the protocol, ``clock`` the pure rules every backend follows,
``process``/``host``/``redis_backend`` the backends, ``gate`` the in-process fairness
gate, ``permit`` one request's place in line, ``limiter`` a key's lane (`KeyLimiter`),
``registry`` which lanes each key gets (`LimiterRegistry`) and ``select`` how a backend
is named (argument, environment, default).  Sharp edge: only the clock and the pause are
shared between processes; the line and the penalty memory stay in the process.
"""

from asset_client.limit.base import Lane, LimiterBackend, LimiterUnavailableError
from asset_client.limit.host import HostLimiter
from asset_client.limit.process import ProcessLimiter
from asset_client.limit.redis_backend import RedisLimiter
from asset_client.limit.registry import (
    KeyHold,
    LimiterRegistry,
    default_registry,
    resolve_limiter,
    use_registry,
)
from asset_client.limit.select import LIMITER_ENV

__all__ = [
    "LIMITER_ENV",
    "HostLimiter",
    "KeyHold",
    "Lane",
    "LimiterBackend",
    "LimiterRegistry",
    "LimiterUnavailableError",
    "ProcessLimiter",
    "RedisLimiter",
    "default_registry",
    "resolve_limiter",
    "use_registry",
]
