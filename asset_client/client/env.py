"""Settings from the environment (`AssetClient.from_env`) and proxy URLs, checked.

Sharp edge: an error names the variable that is missing or wrong, never its value (it
may be a secret); a proxy URL is shown with its password masked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from yarl import URL

from asset_client.errors import InvalidParameterError

__all__ = [
    "ENV_API_KEY",
    "ENV_BASE_URL",
    "ENV_SECRET_KEY",
    "checked_proxy",
    "client_from_env",
    "masked_url",
]

ENV_API_KEY = "COINW_API_KEY"
ENV_SECRET_KEY = "COINW_SECRET_KEY"  # noqa: S105 - a variable name, not a secret
ENV_BASE_URL = "ASSET_CLIENT_BASE_URL"

_FROM_ENV = {"api_key": ENV_API_KEY, "secret_key": ENV_SECRET_KEY, "base_url": ENV_BASE_URL}

T = TypeVar("T")


def client_from_env(
    build: Callable[..., T], environ: Mapping[str, str], overrides: Mapping[str, Any]
) -> T:
    """``build(api_key=, secret_key=, base_url=, **overrides)`` with what the environment
    holds for every argument not overridden."""
    kwargs = dict(overrides)
    read: dict[str, str] = {}  # argument -> the variable it came from
    missing: list[tuple[str, str]] = []  # (argument, variable)
    for name, variable in _FROM_ENV.items():
        if name in kwargs:
            continue
        value = environ.get(variable, "").strip()
        if value:
            kwargs[name] = value
            read[name] = variable
        elif name != "base_url":  # the base URL has a default
            missing.append((name, variable))
    if missing:
        raise InvalidParameterError(
            f"{' and '.join(variable for _, variable in missing)} not set in the environment "
            "(set it, or pass the value to from_env as a keyword)",
            field=missing[0][0],
        )
    try:
        return build(**kwargs)
    except InvalidParameterError as exc:
        source = read.get(exc.field or "")
        if source is None:
            raise
        # The client's message never echoes a credential; the base URL is no secret.
        raise InvalidParameterError(f"{source}: {exc.message}", field=exc.field) from None


def masked_url(url: URL) -> str:
    """``url`` as text with any password replaced."""
    return str(url.with_password("***")) if url.password is not None else str(url)


def checked_proxy(proxy: object) -> str:
    """A proxy URL aiohttp can use: ``http://[user:password@]host:port`` (or https)."""
    if not isinstance(proxy, str) or not proxy.strip():
        raise InvalidParameterError(
            f"proxy must be a URL like http://proxy.example:3128, got {proxy!r}", field="proxy"
        )
    try:
        url = URL(proxy.strip())
        port = url.port
    except ValueError:
        url, port = URL(), None
    shown = masked_url(url) if url.host else "an unreadable URL"
    if url.scheme not in ("http", "https") or not url.host or port is None:
        raise InvalidParameterError(
            f"proxy must be an http:// or https:// URL with a host, like "
            f"http://proxy.example:3128, got {shown}",
            field="proxy",
        )
    if url.path not in ("", "/") or url.query_string or url.fragment:
        raise InvalidParameterError(
            f"proxy must be just scheme://host:port (no path or query), got {shown}",
            field="proxy",
        )
    return str(url)
