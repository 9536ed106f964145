"""Metrics for Prometheus from asset_client's hooks.

Run it: ``.venv/bin/python examples/prometheus_metrics.py`` (needs ``prometheus_client``,
in the ``test`` and ``docs`` extras; asset_client itself never imports it).  It walks the
embedded sandbox, which drops in a server error and a rate-limit rejection, and prints
the metrics as Prometheus would scrape them.

What it shows: a `Hooks` subclass that only counts and observes (hooks run on the event
loop and must be quick), labels kept to a small fixed set (endpoint, status, error class,
outcome: never a uid or a page number, which would explode the series), and the walk's
own stats next to the metrics.  In a service, serve ``registry`` with
``prometheus_client.start_http_server(port, registry=registry)`` instead of printing it.
"""

from __future__ import annotations

import asyncio

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from asset_client import (
    AnswerReceived,
    AssetClient,
    Hooks,
    PageYielded,
    RateLimitPause,
    RequestSent,
    RetryScheduled,
    WalkDone,
)
from asset_client.sandbox import Fault, FaultConfig, SandboxConfig, run_sandbox


class PrometheusHooks(Hooks):
    """asset_client's events as Prometheus counters and histograms."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "asset_client_requests",
            "HTTP requests sent, retries included",
            ["endpoint"],
            registry=registry,
        )
        self.answers = Counter(
            "asset_client_answers",
            "Answers by HTTP status ('none': no answer came)",
            ["endpoint", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "asset_client_request_seconds",
            "Seconds from sending a request to its answer",
            ["endpoint"],
            registry=registry,
        )
        self.retries = Counter(
            "asset_client_retries",
            "Retries scheduled, by the error that caused them",
            ["endpoint", "error"],
            registry=registry,
        )
        self.pause_seconds = Counter(
            "asset_client_rate_limit_pause_seconds",
            "Seconds the key was paused after the server refused for rate",
            ["endpoint"],
            registry=registry,
        )
        self.records = Counter(
            "asset_client_records", "Records handed to the caller", ["endpoint"], registry=registry
        )
        self.walks = Counter(
            "asset_client_walks",
            "Walks ended, by outcome",
            ["endpoint", "outcome"],
            registry=registry,
        )

    def request_sent(self, event: RequestSent) -> None:
        self.requests.labels(event.endpoint).inc()

    def answer_received(self, event: AnswerReceived) -> None:
        status = "none" if event.status is None else str(event.status)
        self.answers.labels(event.endpoint, status).inc()
        self.latency.labels(event.endpoint).observe(event.elapsed)

    def retry_scheduled(self, event: RetryScheduled) -> None:
        error = event.reason.partition(":")[0]  # the class name: a small, fixed set
        self.retries.labels(event.endpoint, error).inc()

    def rate_limit_pause(self, event: RateLimitPause) -> None:
        self.pause_seconds.labels(event.endpoint).inc(event.wait)

    def page_yielded(self, event: PageYielded) -> None:
        self.records.labels(event.endpoint).inc(event.records)

    def walk_done(self, event: WalkDone) -> None:
        self.walks.labels(event.endpoint, event.outcome).inc()


async def main() -> None:
    registry = CollectorRegistry()
    faults = FaultConfig(script={2: Fault.SERVER_ERROR_HTML, 4: Fault.RATE_LIMITED})
    async with (
        run_sandbox(SandboxConfig(invitees=2500, faults=faults)) as sandbox,
        AssetClient(
            sandbox.api_key,
            sandbox.secret_key,
            base_url=sandbox.base_url,
            hooks=[PrometheusHooks(registry)],
        ) as client,
    ):
        walk = client.iter_invitee_assets(page_size=500)
        count = sum([1 async for _ in walk])
        print(
            f"{count} invitees; this walk: {walk.stats.requests} requests, "
            f"{walk.stats.retries} retries"
        )
    for line in generate_latest(registry).decode().splitlines():
        if line.startswith("asset_client_") and "_created" not in line and "_bucket" not in line:
            print(line)


if __name__ == "__main__":
    asyncio.run(main())
