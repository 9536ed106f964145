"""The baseline: a client written the way the API docs' sample suggests.

Sequential pages, a fixed 0.2 s sleep between requests, hand-signed with
`asset_client.core.signing.sign`, plain aiohttp, JSON parsed into dicts.  It retries
nothing: a page answered with an error (29001 included) is lost and the walk moves on.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from asset_client.core.signing import ASSETS_PATH, sign

__all__ = ["DocsStyleClient"]

FIXED_SLEEP = 0.2  #: seconds between two requests, as 5 requests/s suggests


@dataclass
class DocsStyleClient:
    """Sequential pages with a fixed sleep; counts what went wrong instead of retrying."""

    base_url: str
    api_key: str
    secret_key: str
    sleep: float = FIXED_SLEEP
    requests: int = 0
    errors: list[str] = field(default_factory=list)

    async def _get(self, session: aiohttp.ClientSession, query: str) -> dict[str, Any]:
        timestamp = str(int(time.time() * 1000))
        headers = {
            "api_key": self.api_key,
            "timestamp": timestamp,
            "sign": sign(self.secret_key, timestamp, "GET", ASSETS_PATH, query),
        }
        self.requests += 1
        async with session.get(f"{self.base_url}{ASSETS_PATH}?{query}", headers=headers) as resp:
            body = await resp.read()
        payload: dict[str, Any] = json.loads(body)
        return payload

    async def iter_assets(self, quote: str = "usdt", page_size: int = 100) -> AsyncIterator[Any]:
        """Every record as a dict, page after page."""
        async with aiohttp.ClientSession() as session:
            page_no = 1
            total: int | None = None
            while True:
                if page_no > 1:
                    await asyncio.sleep(self.sleep)
                query = f"quote={quote}&pageNo={page_no}&pageSize={page_size}"
                payload = await self._get(session, query)
                if str(payload.get("code")) != "0":
                    # No retry: the docs' sample only checks the answer.  The page is lost.
                    self.errors.append(
                        f"page {page_no}: {payload.get('code')} {payload.get('msg')}"
                    )
                    if total is None:
                        return
                else:
                    data = payload["data"]
                    total = int(data["total"])
                    items = data["list"]
                    for item in items:
                        yield item
                    if not items:
                        return
                if page_no * page_size >= total:
                    return
                page_no += 1
