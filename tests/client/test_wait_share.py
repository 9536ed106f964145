"""``limiter_wait`` is summed over requests; ``limiter_wait_wall`` is the wall-clock time
the walk had at least one request waiting (issue 21.14)."""

from __future__ import annotations

import time

from asset_client import AssetClient, RateLimit, WalkStats
from asset_client.sandbox import SandboxConfig, run_sandbox


def test_the_wall_clock_share_is_the_union_of_the_waits() -> None:
    stats = WalkStats()
    stats.wait_began(10.0)
    stats.wait_began(10.5)  # overlapping: counted once
    stats.wait_ended(11.0)
    stats.wait_ended(12.0)
    stats.wait_began(15.0)
    stats.wait_ended(15.25)
    assert stats.limiter_wait_wall == 2.25
    stats.reset()
    assert stats.limiter_wait_wall == 0
    stats.wait_ended(16.0)  # more ends than beginnings never go negative
    assert stats.limiter_wait_wall == 0


async def test_a_concurrent_walk_waits_more_in_sum_than_on_the_wall() -> None:
    rate = RateLimit(requests=5, period=0.2, margin=0.0)
    config = SandboxConfig(invitees=120, rate_limit=5, window=0.2, api_key="wait-share-key")
    async with (
        run_sandbox(config) as sandbox,
        AssetClient(
            sandbox.api_key, sandbox.secret_key, base_url=sandbox.base_url, rate_limit=rate
        ) as client,
    ):
        started = time.monotonic()
        walk = client.iter_invitee_assets(page_size=10)
        assert len([a async for a in walk]) == 120
        took = time.monotonic() - started
    stats = walk.stats
    assert 0 < stats.limiter_wait_wall <= took
    # Up to 8 pages wait together: their summed wait outgrows the wall-clock span.
    assert stats.limiter_wait > stats.limiter_wait_wall
    assert client.stats.limiter_wait_wall >= stats.limiter_wait_wall
