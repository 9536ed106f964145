"""Opening a history database: recognise it, create or migrate its schema, map errors.

The sharp edge: a file is only written to if it is empty, or already carries this
application's id and a schema version this code knows.  Anything else (not SQLite, another
program's database, a newer schema) is refused before a single byte changes.

Schema versions live in ``PRAGMA user_version``; ``MIGRATIONS[n]`` takes a version-``n``
database to ``n + 1`` inside the same transaction that bumps the version, so an upgrade is
all or nothing.  Version 1 is the first; a new file is made as version 1 and then
migrated like any old one, so every migration runs on every new file.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Final

__all__ = [
    "APPLICATION_ID",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "StoreBusyError",
    "StoreError",
    "connect",
    "store_error",
]

#: ``PRAGMA application_id``: "ACHS" (asset-client history store), so `file(1)` and this
#: code can tell our databases from any other SQLite file.
APPLICATION_ID: Final = 0x41434853
SCHEMA_VERSION: Final = 2

SCHEMA_V1: Final = """
CREATE TABLE series (
    id INTEGER PRIMARY KEY,
    dataset TEXT NOT NULL,           -- 'invitee_assets'; later 'invitees', 'daily_volume'
    source TEXT NOT NULL,            -- 'sandbox' or the server's origin
    quote TEXT NOT NULL,             -- '' for datasets without a quote
    start_time TEXT NOT NULL,        -- window as sent, in server time; '' = none
    end_time TEXT NOT NULL,
    server_timezone TEXT NOT NULL,   -- how times were sent and read
    UNIQUE (dataset, source, quote, start_time, end_time, server_timezone)
);
CREATE TABLE snapshots (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: ids order snapshots in time
    series_id INTEGER NOT NULL REFERENCES series (id),
    taken_at TEXT NOT NULL,          -- ISO 8601 with offset (UTC): when the walk started
    finished_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('complete', 'failed', 'interrupted')),
    records INTEGER,                 -- the rest is NULL unless complete
    total_deposit TEXT,              -- exact sums, as decimal text
    total_withdrawal TEXT,
    current_balance TEXT,
    new INTEGER,                     -- against the series' previous complete snapshot
    changed INTEGER,
    gone INTEGER,
    requests INTEGER,
    client_version TEXT NOT NULL,
    error TEXT                       -- why a failed or interrupted sync stopped
);
CREATE INDEX snapshots_by_series ON snapshots (series_id, status, id);
-- One row per version of an invitee's record: valid in snapshots
-- valid_from <= s < valid_to (NULL: still current).  Values exactly as the export writes them.
CREATE TABLE invitee_assets (
    series_id INTEGER NOT NULL REFERENCES series (id),
    uid INTEGER NOT NULL,
    valid_from INTEGER NOT NULL REFERENCES snapshots (id),
    valid_to INTEGER REFERENCES snapshots (id),
    total_deposit TEXT NOT NULL,
    total_withdrawal TEXT NOT NULL,
    current_balance TEXT NOT NULL,
    update_time TEXT,
    first_deposit_amount TEXT,
    first_deposit_time TEXT,
    PRIMARY KEY (series_id, uid, valid_from)
) WITHOUT ROWID;
CREATE INDEX invitee_assets_current ON invitee_assets (series_id, uid) WHERE valid_to IS NULL;
CREATE INDEX invitee_assets_from ON invitee_assets (series_id, valid_from);
CREATE INDEX invitee_assets_to ON invitee_assets (series_id, valid_to)
    WHERE valid_to IS NOT NULL;
"""

#: 1 -> 2: the invitee list and daily volume, each its own dataset (series) with its own
#: version table of the same valid_from/valid_to shape; a snapshot's volume window and sum.
MIGRATION_1_TO_2: Final = """
ALTER TABLE snapshots ADD COLUMN window_start TEXT;  -- volume: first server day walked
ALTER TABLE snapshots ADD COLUMN window_end TEXT;    -- volume: last server day walked
ALTER TABLE snapshots ADD COLUMN total_volume TEXT;  -- volume: exact sum of the walk
CREATE TABLE invitees (
    series_id INTEGER NOT NULL REFERENCES series (id),
    uid INTEGER NOT NULL,
    valid_from INTEGER NOT NULL REFERENCES snapshots (id),
    valid_to INTEGER REFERENCES snapshots (id),
    register_time TEXT NOT NULL,
    PRIMARY KEY (series_id, uid, valid_from)
) WITHOUT ROWID;
CREATE INDEX invitees_current ON invitees (series_id, uid) WHERE valid_to IS NULL;
CREATE INDEX invitees_from ON invitees (series_id, valid_from);
CREATE INDEX invitees_to ON invitees (series_id, valid_to) WHERE valid_to IS NOT NULL;
-- One row per version of a (uid, day)'s volume: a revised day is a new version.
CREATE TABLE daily_volume (
    series_id INTEGER NOT NULL REFERENCES series (id),
    uid INTEGER NOT NULL,
    day TEXT NOT NULL,               -- server day, yyyy-mm-dd
    valid_from INTEGER NOT NULL REFERENCES snapshots (id),
    valid_to INTEGER REFERENCES snapshots (id),
    volume TEXT NOT NULL,
    PRIMARY KEY (series_id, uid, day, valid_from)
) WITHOUT ROWID;
CREATE INDEX daily_volume_current ON daily_volume (series_id, uid, day) WHERE valid_to IS NULL;
CREATE INDEX daily_volume_from ON daily_volume (series_id, valid_from);
CREATE INDEX daily_volume_to ON daily_volume (series_id, valid_to) WHERE valid_to IS NOT NULL;
-- The keys a sync has seen so far (these walks are not in uid order); empty outside a
-- sync.  In the file, not in memory: the transaction spills them, memory stays flat.
CREATE TABLE sync_seen_invitees (uid INTEGER PRIMARY KEY);
CREATE TABLE sync_seen_volume (
    uid INTEGER NOT NULL,
    day TEXT NOT NULL,
    PRIMARY KEY (uid, day)
) WITHOUT ROWID;
"""

#: from-version -> SQL taking the database to the next version.
MIGRATIONS: Final[dict[int, str]] = {1: MIGRATION_1_TO_2}


class StoreError(Exception):
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
    if name.startswith("SQLITE_READONLY"):
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


def connect(path: Path, *, write: bool, busy_timeout: float) -> sqlite3.Connection:
    """An autocommit connection to a checked history database at ``path``.

    ``write=True`` creates the file and its schema if needed (and migrates an older one);
    ``write=False`` opens read-only and never creates anything.
    """
    if path.is_dir():
        raise StoreError(f"{path} is a directory; name a database file", usage=True)
    if not write and not path.exists():
        raise StoreError(f"no history database at {path} (run asset-client sync first)")
    try:
        if write:
            conn = sqlite3.connect(path, isolation_level=None, timeout=busy_timeout)
        else:
            uri = path.resolve().as_uri() + "?mode=ro"
            conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=busy_timeout)
    except sqlite3.Error as exc:
        raise store_error(exc, path, "opening") from None
    try:
        _check_and_prepare(conn, path, write=write)
    except BaseException:
        conn.close()
        raise
    return conn


def _header(conn: sqlite3.Connection) -> tuple[int, int, int]:
    (app_id,) = conn.execute("PRAGMA application_id").fetchone()
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    (tables,) = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    return int(app_id), int(version), int(tables)


def _check_and_prepare(conn: sqlite3.Connection, path: Path, *, write: bool) -> None:
    try:
        app_id, version, tables = _header(conn)
    except sqlite3.Error as exc:
        raise store_error(exc, path, "reading") from None
    if app_id == 0 and version == 0 and tables == 0:
        if not write:
            raise StoreError(f"{path} holds no history yet (run asset-client sync first)")
    else:
        _check_known(path, app_id, version)
        if not write or version == SCHEMA_VERSION:
            _set_pragmas(conn, path, write=write)
            return
    _set_pragmas(conn, path, write=True)
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            app_id, version, tables = _header(conn)  # another process may have won the race
            if app_id == 0 and version == 0 and tables == 0:
                for statement in _statements(SCHEMA_V1):
                    conn.execute(statement)
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                version = 1
            else:
                _check_known(path, app_id, version)
            while version < SCHEMA_VERSION:
                for statement in _statements(MIGRATIONS[version]):
                    conn.execute(statement)
                version += 1
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    except sqlite3.Error as exc:
        raise store_error(exc, path, "creating the schema in") from None


def _check_known(path: Path, app_id: int, version: int) -> None:
    if app_id != APPLICATION_ID:
        raise StoreError(
            f"{path} is a SQLite database of another program, not an asset-client history",
            usage=True,
        )
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path} has history schema version {version}, newer than this asset-client "
            f"understands ({SCHEMA_VERSION}): upgrade asset-client to read it",
            usage=True,
        )
    if version < 1:
        raise StoreError(f"{path} has an unknown history schema version {version}", usage=True)


def _set_pragmas(conn: sqlite3.Connection, path: Path, *, write: bool) -> None:
    try:
        if write:
            # WAL: readers (changes, history) never block a sync, nor a sync them; a
            # crash leaves uncommitted frames that the next open ignores.  FULL: the
            # commit that ends a sync survives a power cut, at one fsync per sync.
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(f"cannot switch {path} to WAL mode (journal_mode={mode})")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA temp_store = MEMORY")  # the per-batch staging table
        conn.execute("PRAGMA foreign_keys = OFF")  # declared for readers; checks cost inserts
    except sqlite3.Error as exc:
        raise store_error(exc, path, "opening") from None


def _statements(script: str) -> list[str]:
    """Split a script on ';' at line ends (our DDL has no ';' inside statements)."""
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
