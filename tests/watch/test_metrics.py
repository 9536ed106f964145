"""The metrics endpoint of a watch over the sandbox, scraped over HTTP on 127.0.0.1 and
parsed with prometheus_client's own parser."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import aiohttp

from asset_client.client.client import AssetClient
from asset_client.store import SnapshotStore
from asset_client.store.events import EventRules
from asset_client.watch import METRIC_NAMES, Outbox, Watch, WatchMetrics, WatchSettings, sync_once
from tests.watch._watch_helpers import need, small_target


async def test_the_metrics_endpoint_serves_what_the_watch_did(tmp_path: Path) -> None:
    need("prometheus_client")
    from prometheus_client.parser import text_string_to_metric_families

    db = tmp_path / "h.sqlite"
    metrics = WatchMetrics()
    server = metrics.serve(0)
    target = small_target()
    settings = WatchSettings(once=True, rules=EventRules(volume_milestone=Decimal(1000)))
    try:
        async with await SnapshotStore.open(db) as store, await Outbox.open(db) as outbox:
            watch = Watch(
                store=store,
                outbox=outbox,
                sync=lambda s, e: sync_once(target, s, metrics, e),
                settings=settings,
                metrics=metrics,
            )
            cycles = [await watch.run() for _ in range(3)]
        url = f"http://127.0.0.1:{server.server_port}/metrics"
        async with aiohttp.ClientSession() as session, session.get(url) as answer:
            assert answer.status == 200
            text = await answer.text()
    finally:
        server.shutdown()
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }

    def value(name: str, **labels: str) -> float:
        return samples.get((name, tuple(sorted(labels.items()))), 0.0)

    for endpoint in ("assets", "invitees", "volume"):
        assert value("asset_client_requests_total", endpoint=endpoint, outcome="ok") > 0
    events = [e for c in cycles for e in c.derived.events]
    assert events
    for kind in {e.kind.value for e in events}:
        expected = sum(1 for e in events if e.kind.value == kind)
        assert value("asset_client_watch_events_total", kind=kind) == expected
    assert value("asset_client_watch_cycles_total", outcome="ok") == 3
    assert value("asset_client_watch_outbox_pending") == cycles[-1].pending == len(events)
    assert value("asset_client_watch_last_success_timestamp_seconds") > 1.7e9
    assert value("asset_client_watch_cycle_duration_seconds") > 0
    names = {name for name, _ in samples}
    if hasattr(AssetClient, "limiter_state"):  # the lanes' gauges need the client's state
        assert value("asset_client_limiter_waiting", lane="assets") >= 0
        assert "asset_client_limiter_next_slot_seconds" in names
    served = {n.removesuffix("_total") for n in names}
    assert {n.removesuffix("_total") for n in METRIC_NAMES} >= served - {
        n for n in served if n.endswith("_created")
    }
