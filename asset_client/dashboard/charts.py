"""The dashboard's charts: Altair (Vega-Lite) specs rendered to inline SVG by vl-convert.

No browser and no network: vl-convert renders in-process.  Every chart takes a few
dozen aggregated points (see `aggregate`), never one mark per invitee.  The sharp edge:
a chart's positions are floats (a drawing, not a report: the exact numbers sit in the
table under each chart), and its colours must read on a dark and a light page alike, so
the background is transparent and text is a mid grey.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import altair as alt
import vl_convert

__all__ = ["bar_chart", "line_chart", "svg_of"]

_GREY = "#8a8f98"
_PALETTE = ["#3b82f6", "#f59e0b", "#10b981", "#ef4444"]
_CONFIG: dict[str, Any] = {
    "background": None,
    "view": {"stroke": None},
    "font": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif",
    "axis": {
        "labelColor": _GREY,
        "titleColor": _GREY,
        "gridColor": "#8a8f9833",
        "domainColor": _GREY,
        "tickColor": _GREY,
        "labelFontSize": 11,
        "titleFontSize": 11,
    },
    "legend": {"labelColor": _GREY, "titleColor": _GREY, "orient": "top"},
    "range": {"category": _PALETTE},
}


def svg_of(chart: alt.TopLevelMixin, title: str) -> str:
    """``chart`` as an inline ``<svg>`` that scales to its container, titled for
    screen readers."""
    spec = chart.to_dict()
    spec["config"] = _CONFIG
    svg = vl_convert.vegalite_to_svg(vl_spec=spec)
    # Scale with the page (a phone): keep the viewBox, let CSS set the width.
    svg = re.sub(r'<svg([^>]*?) width="[\d.]+" height="[\d.]+"', r"<svg\1", svg, count=1)
    label = title.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return svg.replace("<svg", f'<svg role="img" aria-label="{label}"', 1)


def bar_chart(
    rows: Sequence[dict[str, Any]],
    *,
    x: str,
    y: str,
    x_type: str = "ordinal",
    color: str | None = None,
    x_title: str = "",
    y_title: str = "",
    horizontal: bool = False,
) -> alt.Chart:
    """Bars of ``y`` by ``x`` (grouped by ``color`` if given)."""
    enc_x = alt.X(f"{x}:{x_type[0].upper()}", title=x_title, sort=None)
    enc_y = alt.Y(f"{y}:Q", title=y_title, axis=alt.Axis(format="~s", tickCount=5))
    chart = alt.Chart({"values": list(rows)}).mark_bar(color=_PALETTE[0])
    if horizontal:
        chart = chart.encode(y=alt.Y(f"{x}:N", title=x_title, sort=None), x=enc_y.copy())
    else:
        chart = chart.encode(x=enc_x, y=enc_y)
    if color is not None:
        chart = chart.encode(color=alt.Color(f"{color}:N", title=None), xOffset=f"{color}:N")
    sized: alt.Chart = chart.properties(width=560, height=220)
    return sized


def line_chart(
    rows: Sequence[dict[str, Any]],
    *,
    x: str,
    y: str,
    color: str | None = None,
    y_title: str = "",
) -> alt.Chart:
    """A line with points of ``y`` over time ``x`` (one per ``color`` if given)."""
    chart = (
        alt.Chart({"values": list(rows)})
        .mark_line(point=len(rows) <= 60, color=_PALETTE[0])
        .encode(
            x=alt.X(f"{x}:T", title=None),
            y=alt.Y(f"{y}:Q", title=y_title, axis=alt.Axis(format="~s", tickCount=5)),
        )
    )
    if color is not None:
        chart = chart.encode(color=alt.Color(f"{color}:N", title=None))
    sized: alt.Chart = chart.properties(width=560, height=220)
    return sized
