"""asset_client: async client, bulk exporter and sandbox for CoinW's partner (affiliate) API:
invitee assets, the invited user list and their daily trading volume."""

from importlib.metadata import PackageNotFoundError, version

from asset_client.client.blocking import SyncAssetClient, SyncWalk
from asset_client.client.client import DEFAULT_BASE_URL, DEFAULT_PAGE_SIZE, AssetClient, ClientStats
from asset_client.client.hooks import (
    AnswerReceived,
    Hooks,
    PageYielded,
    RateLimitPause,
    RequestSent,
    RetryScheduled,
    WalkDone,
)
from asset_client.client.session import is_session_safe, make_session_safe, metered_session
from asset_client.client.stats import WalkStats
from asset_client.client.transport import slot_trace_config
from asset_client.client.walk_iter import WalkIterator
from asset_client.core.kpis import Kpis, compute_kpis
from asset_client.core.query import Quote
from asset_client.core.retry import RetryPolicy
from asset_client.core.walk import Resume
from asset_client.endpoints import ENDPOINTS, Endpoint
from asset_client.errors import (
    ApiError,
    AssetClientError,
    AuthenticationError,
    InvalidParameterError,
    LimiterBusyError,
    PaginationError,
    ParameterRejectedError,
    PermissionDeniedError,
    RateLimitError,
    ResponseDecodeError,
    ResponseTooLargeError,
    ServerError,
    TransportError,
)
from asset_client.limit import (
    HostLimiter,
    LimiterBackend,
    LimiterRegistry,
    LimiterUnavailableError,
    ProcessLimiter,
    RedisLimiter,
)
from asset_client.limit.limiter import RateLimit
from asset_client.limit.state import LaneState, LimiterState
from asset_client.records import (
    AssetPage,
    DailyVolume,
    Invitee,
    InviteeAsset,
    InviteePage,
    Qualification,
    VolumePage,
)

try:
    __version__ = version("asset-client")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_PAGE_SIZE",
    "ENDPOINTS",
    "AnswerReceived",
    "ApiError",
    "AssetClient",
    "AssetClientError",
    "AssetPage",
    "AuthenticationError",
    "ClientStats",
    "DailyVolume",
    "Endpoint",
    "Hooks",
    "HostLimiter",
    "InvalidParameterError",
    "Invitee",
    "InviteeAsset",
    "InviteePage",
    "Kpis",
    "LaneState",
    "LimiterBackend",
    "LimiterBusyError",
    "LimiterRegistry",
    "LimiterState",
    "LimiterUnavailableError",
    "PageYielded",
    "PaginationError",
    "ParameterRejectedError",
    "PermissionDeniedError",
    "ProcessLimiter",
    "Qualification",
    "Quote",
    "RateLimit",
    "RateLimitError",
    "RateLimitPause",
    "RedisLimiter",
    "RequestSent",
    "ResponseDecodeError",
    "ResponseTooLargeError",
    "Resume",
    "RetryPolicy",
    "RetryScheduled",
    "ServerError",
    "SyncAssetClient",
    "SyncWalk",
    "TransportError",
    "VolumePage",
    "WalkDone",
    "WalkIterator",
    "WalkStats",
    "__version__",
    "compute_kpis",
    "is_session_safe",
    "make_session_safe",
    "metered_session",
    "slot_trace_config",
]
