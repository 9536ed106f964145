"""The history store's errors, and sqlite3's errors told in one line.

The sharp edge: ``usage`` separates "the file you named is the problem" (not SQLite,
another program's, a newer schema: exit 2 in the CLI) from a problem of the disk, a
lock or the permissions (exit 1); whichever it is, the committed snapshots are intact.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from asset_client.errors import AssetClientError

__all__ = ["StoreBusyError", "StoreError", "store_error"]


class StoreError(AssetClientError):
    """The history database cannot be used or written; the message is one line.

    Whatever raised it, the snapshots committed before are intact.
    """

    def __init__(self, message: str, *, usage: bool = False) -> None:
        super().__init__(message)
        #: True when the file given is the problem (not SQLite, another schema), rather
        #: than the disk, a lock or the permissions.
        self.usage = usage


class StoreBusyError(StoreError):
    """Another process holds the database's write lock (a sync in progress)."""


def store_error(exc: sqlite3.Error, path: Path, doing: str) -> StoreError:
    """A one-line `StoreError` for an sqlite3 error met while ``doing`` something."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith("SQLITE_BUSY") or name.startswith("SQLITE_LOCKED"):
        return StoreBusyError(f"{path} is locked by another sync; try again when it has finished")
    if name == "SQLITE_FULL":
        return StoreError(
            f"disk full while {doing} {path}; nothing was recorded, the earlier snapshots "
            "are intact"
        )
    if name.startswith("SQLITE_READONLY") or (
        # WAL's side files cannot be made in a directory that cannot be written
        name.startswith("SQLITE_CANTOPEN") and not os.access(path.parent, os.W_OK)
    ):
        return StoreError(
            f"{path} is read-only (or its directory is): cannot record a snapshot; the "
            "earlier snapshots are intact"
        )
    if name == "SQLITE_NOTADB":
        return StoreError(f"{path} is not a SQLite database", usage=True)
    if name.startswith("SQLITE_CORRUPT"):
        return StoreError(f"{path} is damaged ({exc}); restore it from a backup", usage=True)
    if name.startswith("SQLITE_CANTOPEN"):
        return StoreError(f"cannot open {path}: {exc}")
    if name.startswith("SQLITE_IOERR"):
        return StoreError(
            f"I/O error while {doing} {path} ({exc}, disk full?); nothing was recorded, the "
            "earlier snapshots are intact"
        )
    return StoreError(f"{doing} {path}: {exc}")
