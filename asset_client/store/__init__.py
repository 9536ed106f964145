"""A local history of the partner API's datasets (any `Endpoint`), on SQLite.

``SnapshotStore.open(path)`` then ``await store.sync(client)``: each sync is one atomic
snapshot per dataset; only records that changed are stored.  ``store.changes()`` and
``store.history(uid)`` read it back.  The sharp edge: snapshots compare only within one
series (dataset, source, quote, window, server time zone).  See `_schema` for the file
format and migrations, `_table` for how an endpoint's records are stored.
"""

from asset_client.store._derive import Derived, EventOutbox
from asset_client.store._errors import StoreBusyError, StoreError
from asset_client.store._models import (
    Change,
    ChangeKind,
    HistoryEntry,
    Series,
    Snapshot,
    SnapshotStatus,
)
from asset_client.store._plans import Recording
from asset_client.store._schema import SCHEMA_VERSION
from asset_client.store._store import SnapshotStore
from asset_client.store._table import DatasetTable
from asset_client.store._window import volume_dates

__all__ = [
    "SCHEMA_VERSION",
    "Change",
    "ChangeKind",
    "DatasetTable",
    "Derived",
    "EventOutbox",
    "HistoryEntry",
    "Recording",
    "Series",
    "Snapshot",
    "SnapshotStatus",
    "SnapshotStore",
    "StoreBusyError",
    "StoreError",
    "volume_dates",
]
