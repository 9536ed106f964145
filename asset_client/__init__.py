"""asset_client: async client, bulk exporter and sandbox for CoinW's partner (affiliate) API:
invitee assets, the invited user list and their daily trading volume."""

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
    ResponseTooLargeError,
    ServerError,
    TransportError,
)
from ._models import AssetPage, InviteeAsset
from ._partner_models import DailyVolume, Invitee, InviteePage, VolumePage
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
    "DailyVolume",
    "HostLimiter",
    "InvalidParameterError",
    "Invitee",
    "InviteeAsset",
    "InviteePage",
    "LimiterBackend",
    "LimiterUnavailableError",
    "PaginationError",
    "PermissionDeniedError",
    "ProcessLimiter",
    "RateLimit",
    "RateLimitError",
    "RedisLimiter",
    "ResponseDecodeError",
    "ResponseTooLargeError",
    "RetryPolicy",
    "ServerError",
    "TransportError",
    "VolumePage",
    "__version__",
    "slot_trace_config",
]
