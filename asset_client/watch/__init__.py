"""Watching the history: each cycle syncs, turns the new snapshots into events, keeps
them in an outbox in the history file and delivers them through apprise; metrics for
Prometheus.  Optional parts (apprise, prometheus-client) come with ``asset-client[watch]``.

The sharp edge: delivery is at least once — an event is marked sent only after every
target took it, so after a crash it may come again, always with the same ``id``.
"""

from asset_client.store.events import Event, EventKind, EventRules
from asset_client.watch.connect import Target, sync_once
from asset_client.watch.cycle import Cycle, Watch, WatchSettings
from asset_client.watch.deliver import Backoff, Delivery, deliver
from asset_client.watch.derive import Derived, derive_pending, events_between
from asset_client.watch.metrics import METRIC_NAMES, WatchMetrics
from asset_client.watch.notify import INSTALL_HINT, Notifier, NotifyError, label, message
from asset_client.watch.outbox import Outbox

__all__ = [
    "INSTALL_HINT",
    "METRIC_NAMES",
    "Backoff",
    "Cycle",
    "Delivery",
    "Derived",
    "Event",
    "EventKind",
    "EventRules",
    "Notifier",
    "NotifyError",
    "Outbox",
    "Target",
    "Watch",
    "WatchMetrics",
    "WatchSettings",
    "deliver",
    "derive_pending",
    "events_between",
    "label",
    "message",
    "sync_once",
]
