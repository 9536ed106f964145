"""Builds the dashboard file: read the history, aggregate, draw each chart, write the page.

The one entry point is `build_dashboard`; `charts_of` turns a `Dashboard` into its six
charts with their data tables (run in the chart worker, `draw`).  The sharp edge: Altair
and vl-convert are an extra (``asset-client[dashboard]``), imported only inside the
chart functions (so in the worker), so `require_extra` finds them without importing
them and `MissingExtraError` says how to install them instead of an ImportError deep in
a command.
"""

from __future__ import annotations

import gc
import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, tzinfo
from pathlib import Path

from asset_client.core.kpis import TTFD_BUCKETS
from asset_client.dashboard.aggregate import Dashboard, aggregate, frame
from asset_client.dashboard.draw import Drawer, Part
from asset_client.dashboard.fmt import amount, count, esc, moment
from asset_client.dashboard.load import load_history
from asset_client.dashboard.page import Chart, render_page, table

__all__ = ["INSTALL_HINT", "MissingExtraError", "build_dashboard", "charts_of", "require_extra"]

INSTALL_HINT = "pip install 'asset-client[dashboard]'"


class MissingExtraError(RuntimeError):
    """The charting libraries (the ``dashboard`` extra) are not installed."""


def require_extra() -> None:
    """Raise `MissingExtraError` (with the pip line) unless altair and vl-convert are
    installed (found, not imported: importing them takes a second, spent in the worker)."""
    missing = [m for m in ("altair", "vl_convert") if importlib.util.find_spec(m) is None]
    if missing:
        raise MissingExtraError(f"the dashboard needs {' and '.join(missing)}: {INSTALL_HINT}")


def _naive(moment_: datetime) -> str:
    # Already in the chosen zone: a naive time is drawn as is, whatever the renderer's zone.
    return moment_.replace(tzinfo=None).isoformat()


def _funnel(d: Dashboard) -> Chart:
    from asset_client.dashboard.charts import bar_chart, svg_of

    k = d.kpis
    stages = [("Registered", k.invitees), ("Deposited", k.deposited), ("Traded", k.traded)]
    rows = [{"stage": s, "invitees": n} for s, n in stages]
    chart = bar_chart(
        rows, x="stage", y="invitees", x_title="", y_title="invitees", horizontal=True
    )
    data = table(
        ["Stage", "Invitees"],
        [[s, count(f"funnel.{s.lower()}", n)] for s, n in stages],
    )
    title = "Funnel: registered → deposited → traded"
    return ("funnel", title, svg_of(chart.properties(height=120), title), data)


def _period_start(key: str) -> str:
    """The first day of a period key (``2026-07-03``, ``2026-W27``, ``2026-07``)."""
    if "-W" in key:
        year, week = key.split("-W")
        return date.fromisocalendar(int(year), int(week), 1).isoformat()
    return key if key.count("-") == 2 else f"{key}-01"


def _arrivals(d: Dashboard) -> Chart:
    from asset_client.dashboard.charts import line_chart, svg_of

    rows = [
        {"start": _period_start(p), "what": what, "n": n}
        for p, new, first in d.arrivals
        for what, n in (("new invitees", new), ("first deposits", first))
    ]
    title = f"New invitees and first deposits per {d.period}"
    data = table(
        [d.period.capitalize(), "New invitees", "First deposits"],
        [
            [
                f'<time datetime="{p}">{p}</time>',
                count(f"arrivals.{p}.new", new),
                count(f"arrivals.{p}.first", first),
            ]
            for p, new, first in d.arrivals
        ],
    )
    # Years of months: a line over time reads; a hundred grouped bars would not.
    chart = line_chart(rows, x="start", y="n", color="what", y_title="invitees")
    return ("arrivals", title, svg_of(chart, title) if rows else None, data)


def _trend_invitees(d: Dashboard) -> Chart:
    from asset_client.dashboard.charts import line_chart, svg_of

    rows = [{"t": _naive(t), "invitees": n} for t, n in d.trend_invitees]
    title = "Invitees over the snapshots"
    data = table(
        [f"Snapshot ({d.zone_name})", "Invitees"],
        [[moment(t), count(f"trend.{t.isoformat()}.invitees", n)] for t, n in d.trend_invitees],
    )
    chart = line_chart(rows, x="t", y="invitees", y_title="invitees")
    return ("trend_invitees", title, svg_of(chart, title) if rows else None, data)


def _trend_money(d: Dashboard) -> Chart:
    from asset_client.dashboard.charts import line_chart, svg_of

    rows = [
        {"t": _naive(t), "what": what, "amount": float(v)}
        for t, dep, bal in d.trend_money
        for what, v in (("total deposits", dep), ("current balances", bal))
    ]
    title = f"Deposits and balances over the snapshots ({d.unit})"
    data = table(
        [f"Snapshot ({d.zone_name})", "Total deposits", "Current balances"],
        [
            [
                moment(t),
                amount(f"trend.{t.isoformat()}.total_deposit", dep, d.unit),
                amount(f"trend.{t.isoformat()}.current_balance", bal, d.unit),
            ]
            for t, dep, bal in d.trend_money
        ],
    )
    chart = line_chart(rows, x="t", y="amount", color="what", y_title=d.unit)
    return ("trend_money", title, svg_of(chart, title) if rows else None, data)


def _daily_volume(d: Dashboard) -> Chart:
    from asset_client.dashboard.charts import bar_chart, svg_of

    rows = [{"day": day.isoformat(), "volume": float(v)} for day, v in d.daily_volume]
    title = f"Daily trading volume ({d.unit}, server days)"
    data = table(
        ["Day", "Volume"],
        [[moment(day), amount(f"daily.{day}", v, d.unit)] for day, v in d.daily_volume],
    )
    chart = bar_chart(rows, x="day", y="volume", x_type="temporal", y_title=d.unit)
    return ("daily_volume", title, svg_of(chart, title) if rows else None, data)


def _ttfd(d: Dashboard) -> Chart:
    from asset_client.dashboard.charts import bar_chart, svg_of

    hist = d.kpis.ttfd_histogram
    rows = [{"bucket": label, "invitees": hist[label]} for label, _ in TTFD_BUCKETS]
    title = "Time from registration to first deposit"
    body = [
        [esc(label), count(f"ttfd.{i}", hist[label])] for i, (label, _) in enumerate(TTFD_BUCKETS)
    ]
    inconsistent = count("ttfd.inconsistent", d.kpis.ttfd_inconsistent)
    body.append(["deposit dated before registration (left out)", inconsistent])
    data = table(["Time to first deposit", "Invitees"], body)
    chart = bar_chart(rows, x="bucket", y="invitees", y_title="invitees")
    drawn = svg_of(chart, title) if sum(hist.values()) else None
    return ("ttfd", title, drawn, data)


def charts_of(d: Dashboard, part: Part | None = None) -> list[Chart]:
    """The six charts (funnel first), or those of one `Part` of them."""
    of_kpis = [_funnel, _arrivals, _ttfd]
    of_snapshots = [_trend_invitees, _trend_money, _daily_volume]
    if part is not None:
        return [draw(d) for draw in (of_kpis if part == "kpis" else of_snapshots)]
    return [draw(d) for draw in of_kpis[:2] + of_snapshots + of_kpis[2:]]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside: reading makes ~a million objects, none in a
    cycle, and the collector would walk them all again and again (a third of the time)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def build_dashboard(
    db: Path, *, zone: tzinfo, zone_name: str, quote: str = "usdt", now: datetime
) -> str:
    """The dashboard page of the history at ``db`` (raises `MissingExtraError`,
    `StoreError`).

    The charts are drawn by a worker process (`draw`), started first: it imports and
    warms up the charting libraries while this process reads and aggregates."""
    require_extra()
    with Drawer() as drawer:
        with _collector_paused():
            data = load_history(db, quote=quote)
            # The snapshots' charts need no KPIs: drawn while those are computed.
            drawer.draw("snapshots", frame(data, zone=zone, zone_name=zone_name))
            dashboard = aggregate(data, zone=zone, zone_name=zone_name)
            del data  # the rows, before the rest is drawn
        drawer.draw("kpis", dashboard)
        trend_invitees, trend_money, daily, funnel, arrivals, ttfd = drawer.charts()
    charts = [funnel, arrivals, trend_invitees, trend_money, daily, ttfd]  # `charts_of` order
    return render_page(dashboard, charts, generated=now.astimezone(zone))
