"""A demo history: a few simulated days of the embedded sandbox synced into one file.

For ``dashboard --sandbox``: a newcomer sees a full dashboard (trends over several
snapshots) in one command, with no key.  The sharp edge: the sandbox's "now" is frozen at
today's midnight (UTC), as ``sync --sandbox`` does, so every day's invitee list agrees;
the sandbox's own limit is raised so that the demo takes seconds, not a minute.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from asset_client.client.client import AssetClient
from asset_client.limit.limiter import RateLimit
from asset_client.sandbox import DEMO_API_KEY, DEMO_SECRET_KEY, SandboxConfig, run_sandbox
from asset_client.store import SnapshotStore

__all__ = ["DEMO_DAYS", "sync_demo_history"]

DEMO_DAYS = 5
#: The demo's pace (sandbox and client alike): 50 requests per 0.1 s.
_RATE = RateLimit(requests=50, period=0.1)


async def sync_demo_history(db: Path, *, days: int = DEMO_DAYS, invitees: int = 3000) -> None:
    """Sync ``days`` simulated days of a sandbox of ``invitees`` into the history ``db``."""
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    async with await SnapshotStore.open(db) as store:
        for day in range(days):
            config = SandboxConfig(
                invitees=invitees,
                days=day,
                partner_now=lambda: midnight,
                rate_limit=_RATE.requests,
                window=_RATE.period,
            )
            async with run_sandbox(config) as sandbox:
                client = AssetClient(
                    DEMO_API_KEY,
                    DEMO_SECRET_KEY,
                    base_url=sandbox.base_url,
                    rate_limit=_RATE,
                    limiter="process",
                )
                async with client:
                    await store.sync_datasets(client, source="sandbox")
