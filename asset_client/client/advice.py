"""What to check next after a request got no answer (pure: exception in, sentence out).

Sharp edge: it reads aiohttp's exception classes, whose hierarchy differs between
versions, so the most specific cases are tested first and everything else falls back
to general network advice.  It names the host and port, never a proxy URL (which may
hold a password) or a request header.
"""

from __future__ import annotations

import ssl

import aiohttp
from yarl import URL

__all__ = ["connection_advice"]

_DNS_ERROR: type[BaseException] | None = getattr(aiohttp, "ClientConnectorDNSError", None)


def _where(url: str) -> tuple[str, str]:
    parsed = URL(url)
    host = parsed.host or "?"
    return host, f"{host}:{parsed.port}"


def connection_advice(exc: BaseException, url: str) -> str:
    """One sentence telling the user what to check after ``exc`` on a request to ``url``."""
    host, address = _where(url)
    if isinstance(exc, TimeoutError):
        return (
            f"check: the network path to {address} (a firewall dropping packets, a slow "
            "network or proxy), or raise the timeout"
        )
    if isinstance(exc, aiohttp.ClientHttpProxyError):
        return (
            "check: the proxy refused the request: its address and credentials "
            f"(HTTPS_PROXY / --proxy), and that it allows connections to {address}"
        )
    if isinstance(exc, aiohttp.ClientProxyConnectionError):
        return (
            "check: the proxy could not be reached: the host and port in HTTPS_PROXY / "
            "HTTP_PROXY or --proxy, and that the proxy is running"
        )
    if _DNS_ERROR is not None and isinstance(exc, _DNS_ERROR):
        return (
            f"check: the host name {host!r} did not resolve: the spelling of the base URL, "
            "this machine's DNS, or a proxy (HTTPS_PROXY) if this network needs one"
        )
    if isinstance(exc, aiohttp.ClientSSLError | ssl.SSLError):
        return (
            f"check: the TLS handshake with {host} failed: the system's CA certificates, "
            "the clock, or a proxy that intercepts TLS"
        )
    if isinstance(exc, aiohttp.ClientConnectorError):
        if isinstance(exc.os_error, ConnectionRefusedError):
            return (
                f"check: nothing accepted the connection at {address}: the host and port "
                "of the base URL (is the server or sandbox running?), or a firewall"
            )
        return (
            f"check: could not connect to {address}: the network, a firewall, or a proxy "
            "(HTTPS_PROXY) if this network needs one"
        )
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientOSError):
        return (
            f"check: {address} closed the connection; usually passing, but if it keeps "
            "happening a proxy or firewall may be cutting connections"
        )
    return f"check: the network path to {address} (DNS, firewall, proxy)"
