"""asset_client: async client, bulk exporter and sandbox for CoinW's
"Get Direct Invitee User Asset" partner API."""

from importlib.metadata import PackageNotFoundError, version

from ._client import DEFAULT_BASE_URL, DEFAULT_PAGE_SIZE, AssetClient, ClientStats
from ._errors import (
    ApiError,
    AssetClientError,
    AuthenticationError,
    InvalidParameterError,
    PaginationError,
    PermissionDeniedError,
    RateLimitError,
    ResponseDecodeError,
    ServerError,
    TransportError,
)
from ._models import AssetPage, InviteeAsset
from ._ratelimit import RateLimit
from ._retry import RetryPolicy
from ._transport import slot_trace_config
from .limit import (
    HostLimiter,
    LimiterBackend,
    LimiterUnavailableError,
    ProcessLimiter,
    RedisLimiter,
)

try:
    __version__ = version("asset-client")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_PAGE_SIZE",
    "ApiError",
    "AssetClient",
    "AssetClientError",
    "AssetPage",
    "AuthenticationError",
    "ClientStats",
    "HostLimiter",
    "InvalidParameterError",
    "InviteeAsset",
    "LimiterBackend",
    "LimiterUnavailableError",
    "PaginationError",
    "PermissionDeniedError",
    "ProcessLimiter",
    "RateLimit",
    "RateLimitError",
    "RedisLimiter",
    "ResponseDecodeError",
    "RetryPolicy",
    "ServerError",
    "TransportError",
    "__version__",
    "slot_trace_config",
]
