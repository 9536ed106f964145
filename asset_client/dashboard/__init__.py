"""The affiliate's dashboard: one self-contained HTML file of KPIs, funnel, cohorts, trends
and top invitees, made from a history file (``asset-client dashboard``).

``build_dashboard(path, zone=..., zone_name=..., now=...)`` returns the page.  The sharp
edge: drawing needs the ``dashboard`` extra (Altair, vl-convert); without it
`MissingExtraError` says how to install it.  Sits above ``store``; only ``cli`` imports it.
"""

from asset_client.dashboard.demo import DEMO_DAYS, sync_demo_history
from asset_client.dashboard.render import (
    INSTALL_HINT,
    MissingExtraError,
    build_dashboard,
    require_extra,
)

__all__ = [
    "DEMO_DAYS",
    "INSTALL_HINT",
    "MissingExtraError",
    "build_dashboard",
    "require_extra",
    "sync_demo_history",
]
