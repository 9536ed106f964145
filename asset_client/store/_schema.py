"""The history file's schema, as SQL text: each version's migration, and how an older file
reads as the current one (pure: no I/O).

Schema versions live in ``PRAGMA user_version``; ``MIGRATIONS[n]`` takes a version-``n``
file to ``n + 1``.  A migration is history: once released its text never changes (a
dataset's table made today comes from `_sql.table_ddl`, which may).  The sharp edge:
readers never migrate, so a read-only open of a version-1 or -2 file reads it through
temporary views (`legacy_views`) that show it as the current version; `LEGACY_NAMES` is
the one place the old dataset names are mapped.
"""

# ruff: noqa: S608 - SQL text from constants only

from __future__ import annotations

from typing import Final

__all__ = [
    "APPLICATION_ID",
    "LEGACY_NAMES",
    "MIGRATIONS",
    "OUTBOX_DDL",
    "SCHEMA_V1",
    "SCHEMA_VERSION",
    "legacy_views",
    "statements",
]

#: ``PRAGMA application_id``: "ACHS" (asset-client history store), so `file(1)` and this
#: code can tell our databases from any other SQLite file.
APPLICATION_ID: Final = 0x41434853
SCHEMA_VERSION: Final = 3

#: Dataset names as schema versions 1 and 2 stored them -> their one name since 3.
LEGACY_NAMES: Final = {"invitee_assets": "assets", "daily_volume": "volume"}

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


def _sums(total_volume: str) -> str:
    """A version-1/2 snapshot's sums as version 3 keeps them: JSON of exact decimal text
    (digits only, so no escaping is needed), '{}' for a dataset without sums."""
    return f"""CASE WHEN status <> 'complete' THEN NULL
        WHEN total_deposit IS NOT NULL THEN '{{"total_deposit": "' || total_deposit
            || '", "total_withdrawal": "' || total_withdrawal
            || '", "current_balance": "' || current_balance || '"}}'
        WHEN {total_volume} IS NOT NULL THEN '{{"volume": "' || {total_volume} || '"}}'
        ELSE '{{}}' END"""


_SNAPSHOTS_V3: Final = """
CREATE TABLE snapshots_v3 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: ids order snapshots in time
    series_id INTEGER NOT NULL REFERENCES series (id),
    taken_at TEXT NOT NULL,          -- ISO 8601 with offset (UTC): when the walk started
    finished_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('complete', 'failed', 'interrupted')),
    records INTEGER,                 -- the rest is NULL unless complete
    sums TEXT,                       -- JSON {field: exact sum as text} of the required
                                     -- decimal fields; '{}' for a dataset without any
    new INTEGER,                     -- against the series' previous complete snapshot
    changed INTEGER,
    gone INTEGER,
    requests INTEGER,
    window_start TEXT,               -- a windowed dataset (volume): first day walked
    window_end TEXT,                 -- and last
    client_version TEXT NOT NULL,
    error TEXT                       -- why a failed or interrupted sync stopped
)"""

_V3_COLUMNS: Final = (
    "id, series_id, taken_at, finished_at, status, records, sums, new, changed, gone, "
    "requests, window_start, window_end, client_version, error"
)


def _renamed(old: str, new: str, keys: str) -> str:
    """A version table renamed to its dataset's name, its indexes with it."""
    return f"""
ALTER TABLE {old} RENAME TO {new};
DROP INDEX {old}_current;
DROP INDEX {old}_from;
DROP INDEX {old}_to;
CREATE INDEX {new}_current ON {new} (series_id, {keys}) WHERE valid_to IS NULL;
CREATE INDEX {new}_from ON {new} (series_id, valid_from);
CREATE INDEX {new}_to ON {new} (series_id, valid_to) WHERE valid_to IS NOT NULL;
UPDATE series SET dataset = '{new}' WHERE dataset = '{old}';
"""


#: 2 -> 3: one name per dataset (tables and series take the names the CLI and the
#: library use); one ``sums`` column for every dataset's sums instead of a column each
#: (the snapshots table is rebuilt: SQLite before 3.35 cannot drop a column).
MIGRATION_2_TO_3: Final = (
    _renamed("invitee_assets", "assets", "uid")
    + _renamed("daily_volume", "volume", "uid, day")
    + _SNAPSHOTS_V3
    + f""";
INSERT INTO snapshots_v3 ({_V3_COLUMNS})
    SELECT id, series_id, taken_at, finished_at, status, records, {_sums("total_volume")},
    new, changed, gone, requests, window_start, window_end, client_version, error
    FROM snapshots;
-- Ids are never reused: the new table continues the old one's sequence.
DELETE FROM sqlite_sequence WHERE name = 'snapshots_v3';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'snapshots_v3', seq FROM sqlite_sequence WHERE name = 'snapshots';
DROP TABLE snapshots;
ALTER TABLE snapshots_v3 RENAME TO snapshots;
CREATE INDEX snapshots_by_series ON snapshots (series_id, status, id);
"""
)

#: from-version -> SQL taking the database to the next version.
MIGRATIONS: Final[dict[int, str]] = {1: MIGRATION_1_TO_2, 2: MIGRATION_2_TO_3}


def legacy_views(version: int) -> list[str]:
    """Temporary views that show a version-1 or -2 file as the current version, for a
    reader (which never migrates); they shadow the file's own tables by name."""
    names = " ".join(f"WHEN '{old}' THEN '{new}'" for old, new in LEGACY_NAMES.items())
    views = [
        f"CREATE TEMP VIEW series AS SELECT id, CASE dataset {names} ELSE dataset END "
        "AS dataset, source, quote, start_time, end_time, server_timezone FROM main.series",
        "CREATE TEMP VIEW assets AS SELECT * FROM main.invitee_assets",
    ]
    if version >= 2:
        views.append("CREATE TEMP VIEW volume AS SELECT * FROM main.daily_volume")
    window = "window_start, window_end" if version >= 2 else "NULL, NULL"
    views.append(
        f"CREATE TEMP VIEW snapshots ({_V3_COLUMNS}) AS SELECT id, series_id, taken_at, "
        f"finished_at, status, records, {_sums('total_volume' if version >= 2 else 'NULL')}, "
        f"new, changed, gone, requests, {window}, client_version, error FROM main.snapshots"
    )
    return views


def statements(script: str) -> list[str]:
    """Split a script on ';' at line ends (our DDL has no ';' inside statements)."""
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


#: The watch's outbox (made by the first `watch`, beside the history; no version bump:
#: like a dataset's table, it exists once needed and older readers never look at it).
#: ``outbox`` holds each event once (by its stable id) until delivery marks it sent;
#: ``outbox_derived`` names the snapshots whose events are in it (or were skipped:
#: ``silent``), so a kill between a sync and its events is caught up on the next start.
OUTBOX_DDL: Final = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, -- delivery order
    id TEXT NOT NULL UNIQUE,               -- the event's stable id
    kind TEXT NOT NULL,
    uid INTEGER NOT NULL,
    snapshot_id INTEGER NOT NULL,          -- the snapshot that produced it
    observed_at TEXT NOT NULL,             -- ISO 8601, server time
    event TEXT NOT NULL,                   -- the event as JSON
    sent_at TEXT,                          -- NULL: pending
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL,                  -- epoch seconds; NULL: due now
    last_error TEXT                        -- never a notification URL
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (seq) WHERE sent_at IS NULL;
CREATE TABLE IF NOT EXISTS outbox_derived (
    snapshot_id INTEGER PRIMARY KEY,
    events INTEGER NOT NULL,
    silent INTEGER NOT NULL
);
"""
