"""What a sandbox is told and what it records: its config, each request seen, the counters.

The sharp edge: the demo credentials are public on purpose (printed by the CLI, written in
the docs): they protect nothing, so a sandbox binds loopback unless told otherwise.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Final

import attrs

from asset_client.core.signing import ASSETS_PATH
from asset_client.sandbox._faults import Fault, FaultConfig
from asset_client.sandbox._window import max_in_window

__all__ = [
    "DEMO_API_KEY",
    "DEMO_SECRET_KEY",
    "MAX_INVITEES",
    "RequestRecord",
    "SandboxConfig",
    "SandboxStats",
]

# Fixed, public demo credentials: they protect nothing and are meant to be printed.
DEMO_API_KEY: Final = "demo-api-key"
DEMO_SECRET_KEY: Final = "demo-secret-key"  # noqa: S105
#: Most invitees per quote a sandbox serves (~1 GiB of synthetic data at the top).
MAX_INVITEES: Final = 1_000_000


def _frozen_keys(value: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(value))


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def _positive(_inst: object, attribute: attrs.Attribute[float], value: float) -> None:
    if value <= 0:
        raise ValueError(f"{attribute.name} must be > 0")


@attrs.frozen(kw_only=True)
class SandboxConfig:
    """How the sandbox behaves; every default models the documented server."""

    invitees: int = attrs.field(
        default=3000, validator=[attrs.validators.ge(0), attrs.validators.le(MAX_INVITEES)]
    )
    seed: int = 1
    # Simulated days after the seeded data: deposits, withdrawals, joins and leaves.
    days: int = attrs.field(default=0, validator=attrs.validators.ge(0))
    api_key: str = attrs.field(default=DEMO_API_KEY, validator=attrs.validators.min_len(1))
    secret_key: str = attrs.field(default=DEMO_SECRET_KEY, validator=attrs.validators.min_len(1))
    # api_key -> secret: keys that authenticate but lack the Affiliate permission (6003).
    non_affiliate_keys: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen_keys)
    max_page_size: int = attrs.field(default=1000, validator=attrs.validators.ge(1))
    # Set -> pageSize is silently capped to this (the docs' other possible behaviour).
    clamp_page_size: int | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.ge(1))
    )
    default_page_size: int = attrs.field(default=20, validator=attrs.validators.ge(1))
    rate_limit: int = attrs.field(default=5, validator=attrs.validators.ge(1))
    window: float = attrs.field(default=1.0, validator=_positive)
    rate_limit_status: int = attrs.field(default=200, validator=attrs.validators.in_((200, 429)))
    retry_after: float | None = 1.0
    timestamp_tolerance: float = attrs.field(default=30.0, validator=_positive)
    faults: FaultConfig = attrs.field(factory=FaultConfig)
    clock: Callable[[], float] = time.monotonic  # drives the window
    wall_clock: Callable[[], float] = time.time  # drives timestamp freshness
    # Server-local "now" (naive) of the invitee list and volume endpoints: their default
    # windows (current month, past 30 days) and where synthetic registrations/volumes end.
    partner_now: Callable[[], datetime] = _utc_now


@attrs.frozen(kw_only=True)
class RequestRecord:
    """One request as the sandbox saw it.  Never holds the signature or a secret."""

    time: float  # config.clock() at arrival
    api_key: str | None  # header as received (an api key identifies, it does not authenticate)
    params: tuple[tuple[str, str], ...]  # decoded, in the order received
    status: int  # HTTP status sent; 0 for a connection reset or while still in flight
    code: str | None  # body "code" as a string; None without a (valid) JSON body
    fault: Fault | None
    rate_limited: bool  # rejected by the window (not by an injected fault)
    path: str = ASSETS_PATH  # which endpoint; a volume POST's params are its JSON body's


@attrs.define
class SandboxStats:
    """Mutable counters the tests read."""

    window: float
    requests: list[RequestRecord] = attrs.field(factory=list)
    accepted: int = 0  # answered code "0" with data (complete, un-faulted)
    connections: int = 0  # client connections that carried at least one request
    rejected: int = 0  # rejected by the sliding window

    def max_in_window(self, api_key: str | None = None, path: str | None = None) -> int:
        """Most arrivals for ``api_key`` (None: all keys) at ``path`` (None: every endpoint)
        in any window of ``window`` seconds."""
        times = [
            r.time
            for r in self.requests
            if (api_key is None or r.api_key == api_key) and (path is None or r.path == path)
        ]
        return max_in_window(times, self.window)
