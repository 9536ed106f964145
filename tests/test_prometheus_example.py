"""The Prometheus example's hooks count exactly what the client's stats count."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from asset_client.sandbox import Fault, FaultConfig
from tests.client.test_client_sandbox import collect, config, connected

prometheus_client = pytest.importorskip("prometheus_client")

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "prometheus_metrics.py"


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("prometheus_metrics_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


async def test_the_metrics_match_the_stats() -> None:
    example = load_example()
    registry = prometheus_client.CollectorRegistry()
    faults = FaultConfig(script={1: Fault.CONNECTION_RESET, 3: Fault.RATE_LIMITED})
    hooks = example.PrometheusHooks(registry)
    async with connected(config(invitees=30, faults=faults), hooks=[hooks]) as (sb, client):
        walk = client.iter_invitee_assets(page_size=10)
        await collect(walk)

    def value(name: str, **labels: str) -> float:
        sample = registry.get_sample_value(name, {"endpoint": "assets", **labels})
        return 0.0 if sample is None else float(sample)

    assert value("asset_client_requests_total") == client.stats.requests == len(sb.stats.requests)
    assert value("asset_client_answers_total", status="none") == 1
    assert value("asset_client_request_seconds_count") == client.stats.requests
    assert value("asset_client_retries_total", error="TransportError") == 1
    assert value("asset_client_retries_total", error="RateLimitError") == 1
    assert value("asset_client_rate_limit_pause_seconds_total") >= 0.1
    assert value("asset_client_records_total") == walk.stats.records == 30
    assert value("asset_client_walks_total", outcome="finished") == 1
