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
from ._hooks import (
    AnswerReceived,
    Hooks,
    PageYielded,
    RateLimitPause,
    RequestSent,
    RetryScheduled,
    WalkDone,
)
from ._models import AssetPage, InviteeAsset
from ._partner_models import DailyVolume, Invitee, InviteePage, VolumePage
from ._query import Quote
from ._ratelimit import RateLimit
from ._retry import RetryPolicy
from ._session import is_session_safe, make_session_safe, metered_session
from ._stats import WalkStats
from ._transport import slot_trace_config
from ._walk_iter import WalkIterator
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
    "AnswerReceived",
    "ApiError",
    "AssetClient",
    "AssetClientError",
    "AssetPage",
    "AuthenticationError",
    "ClientStats",
    "DailyVolume",
    "Hooks",
    "HostLimiter",
    "InvalidParameterError",
    "Invitee",
    "InviteeAsset",
    "InviteePage",
    "LimiterBackend",
    "LimiterUnavailableError",
    "PageYielded",
    "PaginationError",
    "PermissionDeniedError",
    "ProcessLimiter",
    "Quote",
    "RateLimit",
    "RateLimitError",
    "RateLimitPause",
    "RedisLimiter",
    "RequestSent",
    "ResponseDecodeError",
    "ResponseTooLargeError",
    "RetryPolicy",
    "RetryScheduled",
    "ServerError",
    "TransportError",
    "VolumePage",
    "WalkDone",
    "WalkIterator",
    "WalkStats",
    "__version__",
    "is_session_safe",
    "make_session_safe",
    "metered_session",
    "slot_trace_config",
]
