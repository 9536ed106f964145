"""What an export asks an endpoint for: its filters, and the time window frozen on the first run.

Generic over `Endpoint`: the command line's ``--start``/``--end`` are the endpoint's
``window_filters``; its other options keep their names and go only to an endpoint whose
``validate`` takes them.  The window a walk sends is what ``validate`` then the endpoint's
``prepare`` make of them "now" (the invitee list: 2017 up to now); it is frozen in the
checkpoint, so a resume walks the same records however late it runs.

Sharp edge: an endpoint's open window is frozen only if it says what the server means by
it (``open_window``: the volume's last 30 days); otherwise it is walked as asked (the
assets' totals up to the moment of each request).
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import Any

from asset_client.endpoints import Endpoint

__all__ = ["filters_for", "frozen_window", "takes"]


def takes(endpoint: Endpoint[Any, Any, Any]) -> frozenset[str] | None:
    """The keywords ``endpoint.validate`` takes (None: any, it has ``**kwargs``)."""
    parameters = inspect.signature(endpoint.validate).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    return frozenset(p.name for p in parameters if p.name != "server_tz")


def filters_for(
    endpoint: Endpoint[Any, Any, Any], start: object, end: object, **named: object
) -> dict[str, object]:
    """The endpoint's keyword filters from the command line's fields: ``start``/``end`` as
    its window (ignored if it has none), ``named`` as themselves where it takes them (the
    command line refuses an option that does not apply before this point)."""
    given = dict(named)
    if endpoint.window_filters is not None:
        given.update(zip(endpoint.window_filters, (start, end), strict=True))
    accepted = takes(endpoint)
    return {name: value for name, value in given.items() if accepted is None or name in accepted}


def frozen_window(
    endpoint: Endpoint[Any, Any, Any], filters: Mapping[str, object], now: datetime, zone: tzinfo
) -> tuple[Any, Any] | None:
    """The window a first run walks, as the endpoint's query holds it (None: it has no
    window).  Raises `InvalidParameterError` for filters, or a window, it refuses."""
    if endpoint.window_filters is None:
        return None
    query = endpoint.validate(**filters, server_tz=zone)
    prepare = endpoint.prepare or endpoint.open_window
    if prepare is not None:
        query = prepare(query, now, zone)
    names = endpoint.window_filters
    window = (getattr(query, names[0]), getattr(query, names[1]))
    # What a resume sends must pass too (a filled bound may land after the other).
    endpoint.validate(**{**filters, **dict(zip(names, window, strict=True))}, server_tz=zone)
    return window
