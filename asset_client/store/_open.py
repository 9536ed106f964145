"""Opening a history file: recognise it, create or migrate its schema, set it up.

The sharp edge: a file is only written to if it is empty, or already carries this
application's id and a schema version this code knows.  Anything else (not SQLite, another
program's database, a newer schema) is refused before a single byte changes.  A writer
migrates an older file in one transaction (all or nothing); a reader never migrates, and
reads an older file through temporary views (`_schema.legacy_views`), so a reader that
opened an old file just before a writer upgraded it fails on its next read (open again).
A new file is made as version 1 and migrated like any old one: every migration runs on
every new file.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from asset_client.store._errors import StoreError, store_error
from asset_client.store._schema import (
    APPLICATION_ID,
    MIGRATIONS,
    SCHEMA_V1,
    SCHEMA_VERSION,
    legacy_views,
    statements,
)

__all__ = ["DEFAULT_FILE_MODE", "connect"]

#: A new history file's mode (SQLite gives its -wal and -shm the same): it holds third
#: parties' financial data, as exports do.
DEFAULT_FILE_MODE = 0o600


def connect(
    path: Path, *, write: bool, busy_timeout: float, file_mode: int = DEFAULT_FILE_MODE
) -> sqlite3.Connection:
    """An autocommit connection to a checked history database at ``path``.

    ``write=True`` creates the file (``file_mode``, the umask still applies) and its
    schema if needed (and migrates an older one); ``write=False`` opens read-only
    (``immutable`` where the directory is not writable: a read-only filesystem, where
    WAL's side files cannot exist) and never creates anything.
    """
    if path.is_dir():
        raise StoreError(f"{path} is a directory; name a database file", usage=True)
    if not write and not path.exists():
        raise StoreError(f"no history database at {path} (run asset-client sync first)")
    try:
        if write:
            _create(path, file_mode)
            conn = sqlite3.connect(path, isolation_level=None, timeout=busy_timeout)
        else:
            conn = _open_readonly(path, busy_timeout)
    except sqlite3.Error as exc:
        raise store_error(exc, path, "opening") from None
    try:
        _check_and_prepare(conn, path, write=write)
    except BaseException:
        conn.close()
        raise
    return conn


def _create(path: Path, mode: int) -> None:
    """A new file gets ``mode`` before SQLite opens it; an existing one keeps its own."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode))


def _uri(path: Path, *, immutable: bool) -> str:
    return path.resolve().as_uri() + ("?mode=ro&immutable=1" if immutable else "?mode=ro")


def _open_readonly(path: Path, busy_timeout: float) -> sqlite3.Connection:
    """A read-only connection.  The header is read first as plain bytes (no locks, no
    side files), so that a file refused here never gets a -wal or -shm beside it."""
    _precheck(path)
    # Immutable where WAL's side files cannot be made (a read-only filesystem), unless a
    # -wal is there: its commits are the newest state, and an immutable reader skips it.
    wal = Path(f"{path}-wal")
    immutable = not os.access(path.resolve().parent, os.W_OK) and not (
        wal.exists() and wal.stat().st_size > 0
    )
    uri = _uri(path, immutable=immutable)
    return sqlite3.connect(uri, uri=True, isolation_level=None, timeout=busy_timeout)


#: A SQLite file's first bytes, and where its header keeps the two numbers checked here.
_MAGIC = b"SQLite format 3\x00"
_USER_VERSION_AT, _APPLICATION_ID_AT = 60, 68


def _precheck(path: Path) -> None:
    """Refuse what is certainly not a history this code reads, from the file's header
    bytes alone.  A header not yet written back from the WAL is an older one (never
    another program's): what it cannot tell is left to the checked open that follows."""
    try:
        with path.open("rb") as file:
            head = file.read(100)
    except OSError as exc:
        raise StoreError(f"cannot open {path}: {exc.strerror}") from None
    if not head:
        return  # empty: the checked open says it holds no history yet
    if len(head) < 100 or not head.startswith(_MAGIC):
        raise StoreError(f"{path} is not a SQLite database", usage=True)
    version = int.from_bytes(head[_USER_VERSION_AT : _USER_VERSION_AT + 4], "big", signed=True)
    app_id = int.from_bytes(head[_APPLICATION_ID_AT : _APPLICATION_ID_AT + 4], "big", signed=True)
    if app_id != 0 or version != 0:
        _check_known(path, app_id, version)


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
    empty = app_id == 0 and version == 0 and tables == 0
    if empty and not write:
        raise StoreError(f"{path} holds no history yet (run asset-client sync first)")
    if not empty:
        _check_known(path, app_id, version)
    if not write:
        _set_pragmas(conn, path, write=False)
        _read_as_current(conn, path, version)
        return
    _set_pragmas(conn, path, write=True)
    if version != SCHEMA_VERSION:
        _create_or_migrate(conn, path)


def _create_or_migrate(conn: sqlite3.Connection, path: Path) -> None:
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            app_id, version, tables = _header(conn)  # another process may have won the race
            if app_id == 0 and version == 0 and tables == 0:
                for statement in statements(SCHEMA_V1):
                    conn.execute(statement)
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                version = 1
            else:
                _check_known(path, app_id, version)
            while version < SCHEMA_VERSION:
                for statement in statements(MIGRATIONS[version]):
                    conn.execute(statement)
                version += 1
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    except sqlite3.Error as exc:
        raise store_error(exc, path, "creating the schema in") from None


def _read_as_current(conn: sqlite3.Connection, path: Path, version: int) -> None:
    if version == SCHEMA_VERSION:
        return
    try:
        for view in legacy_views(version):
            conn.execute(view)
    except sqlite3.Error as exc:
        raise store_error(exc, path, "reading") from None


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
        conn.execute("PRAGMA temp_store = MEMORY")  # the per-batch staging table; views
        conn.execute("PRAGMA foreign_keys = OFF")  # declared for readers; checks cost inserts
    except sqlite3.Error as exc:
        raise store_error(exc, path, "opening") from None
