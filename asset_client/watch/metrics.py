"""Prometheus metrics of a running watch (prometheus-client, the ``watch`` extra): the
client's requests (a `Hooks`), the limiter's state, cycles, events and the outbox.

The sharp edge: the limiter's gauges come from ``client.limiter_state()`` polled by the
watch (the scrape runs on another thread, and the state is asked of the backend, async);
a client without it leaves those gauges out rather than guessing.  Every metric lives in
the `WatchMetrics`' own registry: two watches in one process never collide.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from typing import Any

from asset_client.client.hooks import AnswerReceived, Hooks, RateLimitPause, RetryScheduled

__all__ = ["METRIC_NAMES", "WatchMetrics", "polling"]

log = logging.getLogger("asset_client.watch")

#: Every metric a watch serves (what a Grafana board plots), name -> help.
METRIC_NAMES: dict[str, str] = {
    "asset_client_requests_total": "requests answered or failed, by endpoint and outcome",
    "asset_client_rejections_total": "rate-limit refusals (29001/429) by endpoint",
    "asset_client_retry_wait_seconds_total": "seconds waited before retries, by endpoint",
    "asset_client_limiter_next_slot_seconds": "seconds until the lane's next free send slot",
    "asset_client_limiter_waiting": "callers of this process waiting in the lane's line",
    "asset_client_limiter_paused": "1 while the key's pause is in force (by lane)",
    "asset_client_limiter_paused_until_seconds": "end of the pause in force (unix time), 0: none",
    "asset_client_limiter_penalty": "1 while the half-rate penalty phase is in force (by lane)",
    "asset_client_watch_cycles_total": "watch cycles, by outcome (ok, failed)",
    "asset_client_watch_last_success_timestamp_seconds": "when the last good cycle ended",
    "asset_client_watch_cycle_duration_seconds": "how long the last good cycle took",
    "asset_client_watch_events_total": "events put into the outbox, by kind",
    "asset_client_watch_delivered_total": "events delivered (every target took them)",
    "asset_client_watch_outbox_pending": "events waiting to be delivered",
}


def _unix(moment: datetime | None) -> float:
    return 0.0 if moment is None else moment.timestamp()


class WatchMetrics(Hooks):
    """The watch's metrics in a registry of their own; also the client's `Hooks`."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge

        self.registry = CollectorRegistry()
        r, h = self.registry, METRIC_NAMES

        def counter(name: str, labels: Iterable[str] = ()) -> Any:
            return Counter(name.removesuffix("_total"), h[name], list(labels), registry=r)

        def gauge(name: str, labels: Iterable[str] = ()) -> Any:
            return Gauge(name, h[name], list(labels), registry=r)

        self.requests = counter("asset_client_requests_total", ("endpoint", "outcome"))
        self.rejections = counter("asset_client_rejections_total", ("endpoint",))
        self.retry_wait = counter("asset_client_retry_wait_seconds_total", ("endpoint",))
        self.next_slot = gauge("asset_client_limiter_next_slot_seconds", ("lane",))
        self.waiting = gauge("asset_client_limiter_waiting", ("lane",))
        self.paused = gauge("asset_client_limiter_paused", ("lane",))
        self.paused_until = gauge("asset_client_limiter_paused_until_seconds", ("lane",))
        self.penalty = gauge("asset_client_limiter_penalty", ("lane",))
        self.cycles = counter("asset_client_watch_cycles_total", ("outcome",))
        self.last_success = gauge("asset_client_watch_last_success_timestamp_seconds")
        self.duration = gauge("asset_client_watch_cycle_duration_seconds")
        self.events = counter("asset_client_watch_events_total", ("kind",))
        self.delivered = counter("asset_client_watch_delivered_total")
        self.pending = gauge("asset_client_watch_outbox_pending")

    # -- the client's hooks (called synchronously, on the event loop) ----------------------

    def answer_received(self, event: AnswerReceived) -> None:
        self.requests.labels(event.endpoint, event.error or "ok").inc()

    def rate_limit_pause(self, event: RateLimitPause) -> None:
        self.rejections.labels(event.endpoint).inc()

    def retry_scheduled(self, event: RetryScheduled) -> None:
        self.retry_wait.labels(event.endpoint).inc(event.wait)

    # -- the watch's own ---------------------------------------------------------------------

    def cycle_done(self, *, ok: bool, duration: float, pending: int) -> None:
        self.cycles.labels("ok" if ok else "failed").inc()
        if ok:
            self.last_success.set(time.time())
            self.duration.set(duration)
        self.pending.set(pending)

    async def poll_limiter(self, client: Any) -> bool:
        """Copy ``client.limiter_state()`` into the gauges; False if the client has none."""
        state_of = getattr(client, "limiter_state", None)
        if state_of is None:
            return False
        state = state_of()
        if hasattr(state, "__await__"):
            state = await state
        for lane in state:
            name = str(lane.lane)
            self.next_slot.labels(name).set(float(lane.next_slot))
            self.waiting.labels(name).set(int(lane.waiting))
            self.paused.labels(name).set(1 if lane.paused_until is not None else 0)
            self.paused_until.labels(name).set(_unix(lane.paused_until))
            self.penalty.labels(name).set(1 if lane.slowed_until is not None else 0)
        return True

    def serve(self, port: int, host: str = "127.0.0.1") -> Any:
        """Serve ``/metrics`` on ``host:port`` (a thread); the server (``.shutdown()``)."""
        from prometheus_client import start_http_server

        server, _thread = start_http_server(port, addr=host, registry=self.registry)
        return server


@contextlib.asynccontextmanager
async def polling(
    metrics: WatchMetrics | None, client: Any, every: float = 1.0
) -> AsyncIterator[None]:
    """While inside, copy the client's limiter state into the metrics every ``every`` s."""
    if metrics is None:
        yield
        return

    async def poll() -> None:
        while await metrics.poll_limiter(client):  # noqa: ASYNC110 - a poll, not a wait
            await asyncio.sleep(every)
        log.debug("this client has no limiter_state(): the limiter gauges are left out")

    task = asyncio.create_task(poll())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
