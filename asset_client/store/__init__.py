"""A local history of snapshots of the invitees' assets, on SQLite.

``SnapshotStore.open(path)`` then ``await store.sync(client)``: each sync is one atomic
snapshot; only records that changed are stored.  ``store.changes()`` and
``store.history(uid)`` read it back.  See `_schema` for the file format and migrations.
"""

from asset_client.store._models import (
    Change,
    ChangeKind,
    HistoryEntry,
    Series,
    Snapshot,
    SnapshotStatus,
)
from asset_client.store._schema import SCHEMA_VERSION, StoreBusyError, StoreError
from asset_client.store._store import SnapshotStore

__all__ = [
    "SCHEMA_VERSION",
    "Change",
    "ChangeKind",
    "HistoryEntry",
    "Series",
    "Snapshot",
    "SnapshotStatus",
    "SnapshotStore",
    "StoreBusyError",
    "StoreError",
]
