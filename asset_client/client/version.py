"""The installed version, and the User-Agent every request carries."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["USER_AGENT", "VERSION"]

try:
    VERSION = version("asset-client")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    VERSION = "0.0.0"

#: Sent on every request, so CoinW (or a proxy's log) can tell which client called.
USER_AGENT = f"asset-client/{VERSION}"
