"""A walker process for the cross-process limiter tests and benchmarks.

``python -m tests._walker BASE_URL PAGE_SIZE [LIMITER [MARGIN]]`` prints ``ready``, waits for a
line on stdin (so every walker starts at once), walks every invitee of the demo key with
the given page size, and prints its stats as JSON.
"""

from __future__ import annotations

import asyncio
import json
import sys

from asset_client import AssetClient, RateLimit
from asset_client.sandbox import DEMO_API_KEY, DEMO_SECRET_KEY

#: Loopback has no real jitter; a 25 ms margin keeps the run fast and still exact.
WALKER_RATE = RateLimit(margin=0.025)


async def walk(
    base_url: str, page_size: int, limiter: str | None, rate: RateLimit
) -> dict[str, float]:
    async with AssetClient(
        DEMO_API_KEY,
        DEMO_SECRET_KEY,
        base_url=base_url,
        rate_limit=rate,
        limiter=limiter,
        max_concurrency=4,
    ) as client:
        records = 0
        async for _ in client.iter_invitee_assets(page_size=page_size):
            records += 1
        stats = client.stats
        return {
            "records": records,
            "requests": stats.requests,
            "rate_limit_waits": stats.rate_limit_waits,
            "limiter_wait": stats.limiter_wait,
        }


def main() -> None:
    base_url, page_size = sys.argv[1], int(sys.argv[2])
    limiter = sys.argv[3] if len(sys.argv) > 3 else None
    rate = RateLimit(margin=float(sys.argv[4])) if len(sys.argv) > 4 else WALKER_RATE
    print("ready", flush=True)
    sys.stdin.readline()
    print(json.dumps(asyncio.run(walk(base_url, page_size, limiter, rate))), flush=True)


if __name__ == "__main__":
    main()
