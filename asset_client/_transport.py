"""The whole aiohttp adapter: one request, answer read in full, response released.

Sharp edge: a POST body is sent as the exact bytes given (they are what was signed);
nothing here may serialise, re-encode or reorder it.
"""

from __future__ import annotations

from collections.abc import Mapping

import aiohttp
from yarl import URL

from ._advice import connection_advice
from ._errors import TransportError

__all__ = ["Answer", "http_get", "http_request"]

Answer = tuple[int, Mapping[str, str], bytes]


async def http_get(
    session: aiohttp.ClientSession,
    url: str,
    headers: Mapping[str, str],
    client_timeout: aiohttp.ClientTimeout,
) -> Answer:
    """GET ``url`` exactly as given (already encoded: aiohttp must not re-encode it)."""
    return await http_request(session, "GET", url, headers, None, client_timeout)


async def http_request(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    client_timeout: aiohttp.ClientTimeout,
) -> Answer:
    """Send ``method`` to ``url`` exactly as given, with ``body`` as its exact bytes."""
    if body is not None:
        headers = {**headers, "Content-Type": "application/json"}
    try:
        async with session.request(
            method,
            URL(url, encoded=True),
            data=body,
            headers=headers,
            timeout=client_timeout,
            allow_redirects=False,
            raise_for_status=False,
        ) as response:
            answer = await response.read()
            return response.status, response.headers, answer
    except TimeoutError as exc:
        advice = connection_advice(exc, url)
        raise TransportError(f"no answer within {client_timeout.total} s; {advice}") from exc
    except aiohttp.ClientError as exc:
        # Only the class name and aiohttp's text: request headers (the signature) stay out.
        advice = connection_advice(exc, url)
        raise TransportError(f"{type(exc).__name__}: {exc}; {advice}") from None
