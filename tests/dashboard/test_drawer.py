"""The chart worker process: it draws what it is sent, in order, and a worker that fails
is an error of the build, never a hang or a process left behind."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import pytest

from asset_client.dashboard.aggregate import aggregate, frame
from asset_client.dashboard.draw import Drawer
from asset_client.dashboard.load import load_history
from asset_client.dashboard.render import charts_of
from tests.dashboard.conftest import need_extra


def test_the_worker_draws_the_parts_it_is_sent_in_order(history: Path) -> None:
    need_extra()
    data = load_history(history)
    dashboard = aggregate(data, zone=UTC, zone_name="UTC")
    with Drawer() as drawer:
        drawer.draw("snapshots", frame(data, zone=UTC, zone_name="UTC"))
        drawer.draw("kpis", dashboard)
        drawn = drawer.charts()
    assert drawn == charts_of(dashboard, "snapshots") + charts_of(dashboard, "kpis")
    assert [c[0] for c in drawn] == [
        "trend_invitees",
        "trend_money",
        "daily_volume",
        "funnel",
        "arrivals",
        "ttfd",
    ]


def test_a_failing_worker_is_an_error_not_a_hang() -> None:
    need_extra()
    with Drawer() as drawer:
        drawer.draw("kpis", None)  # type: ignore[arg-type]  # no dashboard: it fails
        with pytest.raises(RuntimeError, match="chart worker failed"):
            drawer.charts()


def test_leaving_early_ends_the_worker() -> None:
    with pytest.raises(KeyError), Drawer() as drawer:
        process = drawer._process
        raise KeyError("the history could not be read")
    assert process.poll() is not None  # killed and reaped, not left running
