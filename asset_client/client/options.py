"""`with_options`: a view of a client with other per-call options, sharing everything else.

The view shares the session, the key's limiters, the hooks, the stats and the shared
lookups of the client it was made from; only ``timeout``, ``max_retries`` and
``max_wait`` differ.  Sharp edge: a view does not own what it shares, so closing a view
only stops its own walks; the client that made it closes the session and lets go of the
limiters (a view used after that fails as the client would).
"""

from __future__ import annotations

import copy
from typing import Any, TypeVar

from attrs import evolve

from asset_client.client.requests import RequestLoop
from asset_client.client.walks import WalkRunner
from asset_client.core.validators import seconds_at_least_zero

__all__ = ["UNSET", "checked_max_wait", "view_with"]

C = TypeVar("C")


class _Unset:
    """Not given: keep the client's own value (None is a value: ``max_wait=None``)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


def checked_max_wait(value: object) -> float | None:
    """``max_wait``: None (wait as long as it takes) or finite seconds >= 0."""
    if value is None:
        return None
    return seconds_at_least_zero("max_wait", value, "None or a finite number of seconds >= 0")


def view_with(client: C, *, timeout: object, max_retries: object, max_wait: object) -> C:
    """A copy of ``client`` sharing its parts, with its own request options (checked now)."""
    source: Any = client  # an `EndpointClient` (not imported: it imports this module)
    requests: RequestLoop = source._requests
    loop = copy.copy(requests)
    scope = list(source._lookup_scope)
    if timeout is not UNSET:
        # AnswerLimits validates (and names) the value; the page budget grows with it.
        limits = evolve(requests._limits, timeout=timeout)
        if limits.page_timeout < limits.timeout:
            limits = evolve(limits, page_timeout=limits.timeout)
        loop._limits = limits
        scope.append(("timeout", limits.timeout))
    if max_retries is not UNSET:
        loop.policy = evolve(requests.policy, max_retries=max_retries)  # type: ignore[arg-type]
        scope.append(("max_retries", loop.policy.max_retries))
    view: Any = copy.copy(client)
    if max_wait is not UNSET:
        view.max_wait = checked_max_wait(max_wait)
        scope.append(("max_wait", view.max_wait))
    view._requests = loop
    view._walks = WalkRunner(loop, source._walks.window)
    view._lookup_scope = tuple(scope)
    view._view_of = client
    result: C = view
    return result
