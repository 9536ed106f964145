"""How a watch reaches the server each cycle: one client for the whole run, or (demo)
a fresh embedded sandbox per cycle, one simulated day further than the last.

The sharp edge: with the sandbox, the day served is the number of complete sandbox
snapshots of assets already in the history, as ``sync --sandbox`` counts it, so that
each cycle (and each ``--once`` run) sees the data change as a real day would.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any

from attrs import frozen
from yarl import URL

from asset_client.client.client import AssetClient
from asset_client.client.hooks import Hooks
from asset_client.core.retry import RetryPolicy
from asset_client.endpoints import ASSETS, ENDPOINTS
from asset_client.limit.limiter import RateLimit
from asset_client.sandbox import DEMO_API_KEY, DEMO_SECRET_KEY, SandboxConfig, run_sandbox
from asset_client.store import EventOutbox, Snapshot, SnapshotStatus, SnapshotStore
from asset_client.watch.metrics import WatchMetrics, polling

__all__ = ["Target", "sync_once"]


@frozen(kw_only=True)
class Target:
    """The server and how to talk to it (every value already checked)."""

    base_url: str
    api_key: str = ""
    secret_key: str = ""
    sandbox: bool = False
    rate: RateLimit | None = None
    max_retries: int | None = None
    server_timezone: tzinfo = UTC
    proxy: str | None = None
    limiter: str | None = None
    quote: str = "usdt"
    page_size: int | None = None
    datasets: tuple[str, ...] = tuple(ENDPOINTS)
    sandbox_invitees: int = 3000  #: the demo population (small in tests)

    def __repr__(self) -> str:  # the keys are secrets
        return f"Target(base_url={self.base_url!r}, sandbox={self.sandbox})"

    def client(self, base_url: str, key: str, secret: str, hooks: Sequence[Hooks]) -> AssetClient:
        policy = (
            RetryPolicy() if self.max_retries is None else RetryPolicy(max_retries=self.max_retries)
        )
        return AssetClient(
            key,
            secret,
            base_url=base_url,
            rate_limit=self.rate,
            retry_policy=policy,
            limiter=self.limiter,
            server_timezone=self.server_timezone,
            proxy=None if self.sandbox else self.proxy,
            hooks=hooks,
        )


async def _sandbox_day(store: SnapshotStore) -> int:
    snapshots = await store.snapshots(dataset=ASSETS)
    return sum(
        1 for s in snapshots if s.status is SnapshotStatus.COMPLETE and s.series.source == "sandbox"
    )


@contextlib.asynccontextmanager
async def connected(
    target: Target, store: SnapshotStore, hooks: Sequence[Hooks]
) -> AsyncIterator[tuple[AssetClient, str]]:
    """(client, series source) for one cycle."""
    if not target.sandbox:
        async with target.client(target.base_url, target.api_key, target.secret_key, hooks) as c:
            yield c, str(URL(target.base_url).origin())
        return
    # Registration times derive from the sandbox's "now": frozen at today's midnight so
    # that two cycles of one day see the same invitee list (as `sync --sandbox`).
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    rate: dict[str, Any] = {}
    if target.rate is not None:
        rate = {"rate_limit": target.rate.requests, "window": target.rate.period}
    config = SandboxConfig(
        days=await _sandbox_day(store),
        partner_now=lambda: midnight,
        invitees=target.sandbox_invitees,
        **rate,
    )
    async with (
        run_sandbox(config) as sandbox,
        target.client(sandbox.base_url, DEMO_API_KEY, DEMO_SECRET_KEY, hooks) as client,
    ):
        yield client, "sandbox"


async def sync_once(
    target: Target,
    store: SnapshotStore,
    metrics: WatchMetrics | None = None,
    events: EventOutbox | None = None,
) -> dict[str, Snapshot]:
    """Sync every dataset of ``target`` once (one transaction, as ``sync``; with the new
    snapshots' ``events`` in it, if given)."""
    hooks = () if metrics is None else (metrics,)
    async with connected(target, store, hooks) as (client, source), polling(metrics, client):
        snapshots = await store.sync_datasets(
            client,
            datasets=target.datasets,  # type: ignore[arg-type]
            quote=target.quote,
            page_size=target.page_size,
            source=source,
            events=events,
        )
    return {str(k): v for k, v in snapshots.items()}
