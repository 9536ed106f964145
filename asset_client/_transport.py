"""The whole aiohttp adapter: one GET, answer read in full, response released."""

from __future__ import annotations

from collections.abc import Mapping

import aiohttp
from yarl import URL

from ._advice import connection_advice
from ._errors import TransportError

__all__ = ["Answer", "http_get"]

Answer = tuple[int, Mapping[str, str], bytes]


async def http_get(
    session: aiohttp.ClientSession,
    url: str,
    headers: Mapping[str, str],
    client_timeout: aiohttp.ClientTimeout,
) -> Answer:
    """GET ``url`` exactly as given (already encoded: aiohttp must not re-encode it)."""
    try:
        async with session.get(
            URL(url, encoded=True),
            headers=headers,
            timeout=client_timeout,
            allow_redirects=False,
            raise_for_status=False,
        ) as response:
            body = await response.read()
            return response.status, response.headers, body
    except TimeoutError as exc:
        advice = connection_advice(exc, url)
        raise TransportError(f"no answer within {client_timeout.total} s; {advice}") from exc
    except aiohttp.ClientError as exc:
        # Only the class name and aiohttp's text: request headers (the signature) stay out.
        advice = connection_advice(exc, url)
        raise TransportError(f"{type(exc).__name__}: {exc}; {advice}") from None
