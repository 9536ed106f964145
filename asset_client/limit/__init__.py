"""The limiter seam: the shared send clock (per API key) behind three backends.

``base`` holds the protocol and its error, ``clock`` the pure rules every backend
follows, ``process``/``host``/``redis_backend`` the backends, ``gate`` the in-process
fairness gate and ``select`` how a backend is chosen (argument, environment, default).
"""

from asset_client.limit.base import Lane, LimiterBackend, LimiterUnavailableError
from asset_client.limit.host import HostLimiter
from asset_client.limit.process import ProcessLimiter
from asset_client.limit.redis_backend import RedisLimiter
from asset_client.limit.select import LIMITER_ENV, resolve_limiter

__all__ = [
    "LIMITER_ENV",
    "HostLimiter",
    "Lane",
    "LimiterBackend",
    "LimiterUnavailableError",
    "ProcessLimiter",
    "RedisLimiter",
    "resolve_limiter",
]
