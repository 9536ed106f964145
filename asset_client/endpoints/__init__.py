"""Every CoinW partner endpoint as data: one `Endpoint` per file, no I/O.

Sharp edge: an endpoint's ``order`` is what its docs promise, and only that: ties in the
primary sort key come back in an order the docs leave vague ("then by id"), so a walk must
guard by ``identity``, never by position alone.
"""

from typing import Any

from asset_client.core.walk import Order
from asset_client.endpoints.assets import ASSETS
from asset_client.endpoints.base import Endpoint, PageLimits, WireRequest
from asset_client.endpoints.invitees import INVITEES
from asset_client.endpoints.volume import VOLUME

__all__ = [
    "ASSETS",
    "ENDPOINTS",
    "INVITEES",
    "VOLUME",
    "Endpoint",
    "Order",
    "PageLimits",
    "WireRequest",
]

#: By name, as the CLI's ``--dataset`` spells them.
ENDPOINTS: dict[str, Endpoint[Any, Any, Any]] = {e.name: e for e in (ASSETS, INVITEES, VOLUME)}
