"""The checks on what an `AssetClient` is made with: base URL, credentials, types, bounds.

Sharp edge: a credential is never echoed in a message (it may be a real secret, or one
pasted in the wrong place), and neither is a base URL that holds a password.
"""

from __future__ import annotations

import ipaddress
import math
from typing import Any

from attrs import evolve
from yarl import URL

from asset_client.core.query import check_int
from asset_client.core.retry import RetryPolicy
from asset_client.errors import InvalidParameterError
from asset_client.limit.registry import LimiterRegistry, default_registry

__all__ = [
    "MAX_CONCURRENCY",
    "check_credential",
    "check_type",
    "checked_base_url",
    "checked_concurrency",
    "checked_max_wait",
    "checked_policy",
    "checked_registry",
    "is_loopback",
    "masked_key",
]

MAX_CONCURRENCY = 1000


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine (a local sandbox)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def checked_base_url(base_url: object) -> str:
    """The base URL without a trailing slash; https, or http to a loopback host only."""
    if not isinstance(base_url, str) or not base_url:
        raise InvalidParameterError(
            f"base_url must be a URL string, got {base_url!r}", field="base_url"
        )
    try:
        url = URL(base_url)
    except ValueError:
        url = URL()
    # First, and without echoing the URL: a password in it must not reach a message.
    if url.user is not None or url.password is not None or "@" in url.raw_authority:
        raise InvalidParameterError(
            "base_url must not hold a user name or password (credentials go in api_key and "
            "secret_key)",
            field="base_url",
        )
    if url.scheme not in ("https", "http") or not url.host:
        raise InvalidParameterError(
            f"base_url must be an http(s) URL, got {base_url!r}", field="base_url"
        )
    if url.raw_query_string or url.raw_fragment or "?" in base_url or "#" in base_url:
        # The query is signed: anything here would go unsigned or break the signature.
        raise InvalidParameterError(
            f"base_url must have no query string or fragment, got {base_url!r}",
            field="base_url",
        )
    if url.scheme == "http" and not is_loopback(url.host):
        raise InvalidParameterError(
            f"base_url must use https (plain http only to a loopback sandbox), got {base_url!r}",
            field="base_url",
        )
    return base_url.rstrip("/")


def check_credential(value: object, field: str) -> None:
    """A non-empty printable ASCII string, or `InvalidParameterError` naming ``field``."""
    # Never echo the value: it may be a real secret, or one pasted in the wrong place.
    if not isinstance(value, str) or not value.strip():
        raise InvalidParameterError(f"{field} must be a non-empty string", field=field)
    if not value.isascii() or not value.isprintable():
        raise InvalidParameterError(
            f"{field} must be printable ASCII; check how it was read (encoding, stray newline)",
            field=field,
        )


def check_type(value: object, expected: Any, field: str, description: str) -> None:
    """``value`` is an instance of ``expected`` (a type or a union), or
    `InvalidParameterError` naming ``field``."""
    if not isinstance(value, expected):
        raise InvalidParameterError(f"{field} must be {description}, got {value!r}", field=field)


def checked_policy(policy: RetryPolicy | None, max_retries: int | None) -> RetryPolicy:
    """The retry policy given (or the default), with ``max_retries`` if given."""
    check_type(policy, RetryPolicy | None, "retry_policy", "a RetryPolicy or None")
    policy = policy or RetryPolicy()
    if max_retries is not None:
        policy = evolve(policy, max_retries=max_retries)  # validated by RetryPolicy
    return policy


def checked_registry(registry: LimiterRegistry | None) -> LimiterRegistry:
    """The limiter registry given, else the default one (`default_registry`)."""
    check_type(registry, LimiterRegistry | None, "limiter_registry", "a LimiterRegistry")
    return registry or default_registry()


def checked_concurrency(value: object) -> int:
    """How many pages a walk may have in flight: an integer from 1 to `MAX_CONCURRENCY`."""
    return check_int(value, "max_concurrency", 1, MAX_CONCURRENCY)


def checked_max_wait(value: object, field: str = "max_wait") -> float | None:
    """None (wait as long as it takes) or a finite number of seconds >= 0."""
    if value is None:
        return None
    ok = (
        not isinstance(value, bool)
        and isinstance(value, int | float)
        and math.isfinite(value)
        and 0 <= value <= 86_400
    )
    if not ok:
        raise InvalidParameterError(
            f"{field} must be None or a finite number of seconds in [0, 86400], got {value!r}",
            field=field,
        )
    return float(value)  # type: ignore[arg-type]


def masked_key(value: str) -> str:
    """The last four characters of a long key, for a repr."""
    return f"…{value[-4:]}" if len(value) > 8 else "…"
