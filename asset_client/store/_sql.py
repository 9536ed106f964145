"""The SQL that keeps one dataset's versions, generated from its `DatasetTable` (pure).

A sync stages each batch in a temp table, closes the current versions the batch holds
with other values, opens versions for the keys without a current one, and marks the keys
seen.  At the end, current versions in scope that were not seen are closed (gone).
The sharp edge: scope.  A dataset walked whole (assets, invitees) has every unseen key
gone; a windowed one (volume) is walked over a window of days, so only unseen rows
*inside* that window are gone; days outside it keep their versions untouched.
Names in this SQL are the table's own (checked identifiers), never user text.
"""

# ruff: noqa: S608 - every name below is a checked identifier (see `_table.table_of`)

from __future__ import annotations

from functools import cache

from attrs import frozen

from asset_client.store._table import DatasetTable

__all__ = ["TableSql", "table_sql"]


@frozen
class TableSql:
    """Every statement a sync or a reader runs on one dataset's table."""

    create: tuple[str, ...]  #: the table, its indexes and its seen table, if missing
    columns: tuple[str, ...]  #: what ``PRAGMA table_info`` must list, in order
    create_incoming: str
    clear_incoming: str
    insert_incoming: str
    close_changed: str
    open_new: str
    mark_seen: str
    count_seen: str
    close_gone: str
    clear_seen: str
    #: rows: keys..., before exists, before values..., after exists, after values...
    changes_indexed: str
    changes_scan: str
    history: str


def _create(spec: DatasetTable) -> tuple[str, ...]:
    t, keys = spec.table, spec.keys
    key_defs = [f"{k} {sql} NOT NULL" for k, sql in zip(keys, spec.key_sql_types, strict=True)]
    value_defs = [f"{c} TEXT{' NOT NULL' if c in spec.required else ''}" for c in spec.columns]
    key_list = ", ".join(keys)
    if len(keys) == 1 and spec.key_sql_types[0] == "INTEGER":
        seen = f"CREATE TABLE IF NOT EXISTS {spec.seen_table} ({keys[0]} INTEGER PRIMARY KEY)"
    else:
        seen = (
            f"CREATE TABLE IF NOT EXISTS {spec.seen_table} ({', '.join(key_defs)}, "
            f"PRIMARY KEY ({key_list})) WITHOUT ROWID"
        )
    return (
        f"CREATE TABLE IF NOT EXISTS {t} (series_id INTEGER NOT NULL REFERENCES series (id), "
        f"{', '.join(key_defs)}, valid_from INTEGER NOT NULL REFERENCES snapshots (id), "
        f"valid_to INTEGER REFERENCES snapshots (id), {', '.join(value_defs)}, "
        f"PRIMARY KEY (series_id, {key_list}, valid_from)) WITHOUT ROWID",
        f"CREATE INDEX IF NOT EXISTS {t}_current ON {t} (series_id, {key_list}) "
        "WHERE valid_to IS NULL",
        f"CREATE INDEX IF NOT EXISTS {t}_from ON {t} (series_id, valid_from)",
        f"CREATE INDEX IF NOT EXISTS {t}_to ON {t} (series_id, valid_to) "
        "WHERE valid_to IS NOT NULL",
        seen,
    )


def _joined(keys: tuple[str, ...], left: str, right: str) -> str:
    return " AND ".join(f"{left}.{k} = {right}.{k}" for k in keys)


def _listed(alias: str, names: tuple[str, ...]) -> str:
    return ", ".join(f"{alias}.{n}" for n in names)


def _sync(spec: DatasetTable) -> dict[str, str]:
    t, keys, cols = spec.table, spec.keys, spec.columns
    inc = f"temp.incoming_{t}"
    all_cols = (*keys, *cols)
    key_list = ", ".join(keys)
    current = f"a.series_id = :s AND {_joined(keys, 'a', 'i')} AND a.valid_to IS NULL"
    same = " AND ".join(f"i.{c} IS a.{c}" for c in cols)
    key_defs = ", ".join(
        f"{k} {sql} NOT NULL" for k, sql in zip(keys, spec.key_sql_types, strict=True)
    )
    w = spec.window_key
    scope = f" AND {w} >= :start AND {w} <= :end" if w else ""
    return {
        "create_incoming": (
            f"CREATE TEMP TABLE IF NOT EXISTS incoming_{t} ({key_defs}, "
            f"{', '.join(f'{c} TEXT' for c in cols)}, PRIMARY KEY ({key_list}))"
        ),
        "clear_incoming": f"DELETE FROM {inc}",
        # A key twice in one batch fails here (the primary key): see `_write`.
        "insert_incoming": (
            f"INSERT INTO {inc} ({', '.join(all_cols)}) VALUES ({', '.join('?' * len(all_cols))})"
        ),
        # Driven by the batch (a lookup per incoming key), never a scan of the table.
        "close_changed": (
            f"UPDATE {t} SET valid_to = :snap WHERE (series_id, {key_list}, valid_from) IN "
            f"(SELECT a.series_id, {_listed('a', keys)}, a.valid_from "
            # CROSS JOIN: the batch drives; "+": not the valid_from index (a scan).
            f"FROM {inc} AS i CROSS JOIN {t} AS a ON {current} AND +a.valid_from < :snap "
            f"WHERE NOT ({same}))"
        ),
        "open_new": (
            f"INSERT INTO {t} (series_id, valid_from, {', '.join(all_cols)}) "
            f"SELECT :s, :snap, {_listed('i', all_cols)} FROM {inc} AS i "
            f"WHERE NOT EXISTS (SELECT 1 FROM {t} AS a WHERE {current})"
        ),
        # A key seen in an earlier batch fails here (the primary key): see `_write`.
        "mark_seen": f"INSERT INTO {spec.seen_table} ({key_list}) SELECT {key_list} FROM {inc}",
        "count_seen": f"SELECT count(*) FROM {spec.seen_table}",
        "close_gone": (
            f"UPDATE {t} SET valid_to = :snap WHERE series_id = :s AND valid_to IS NULL "
            f"AND valid_from < :snap{scope} AND NOT EXISTS "
            f"(SELECT 1 FROM {spec.seen_table} AS z WHERE {_joined(keys, 'z', t)})"
        ),
        "clear_seen": f"DELETE FROM {spec.seen_table}",
    }


_AT_A = "b.valid_from <= :a AND coalesce(b.valid_to, :forever) > :a"
_AT_B = "f.valid_from <= :b AND coalesce(f.valid_to, :forever) > :b"


def _changes(spec: DatasetTable) -> dict[str, str]:
    t, keys, cols = spec.table, spec.keys, spec.columns
    key_list = ", ".join(keys)
    order = ", ".join(str(i + 1) for i in range(len(keys)))
    nulls = ", ".join(["NULL"] * len(cols))
    return {
        # Through the valid_from/valid_to indexes: cost follows the number of changes.
        "changes_indexed": f"""
            SELECT {_listed("t", keys)},
                b.uid IS NOT NULL, {_listed("b", cols)}, f.uid IS NOT NULL, {_listed("f", cols)}
            FROM (
                SELECT {key_list} FROM {t}
                WHERE series_id = :s AND valid_from > :a AND valid_from <= :b
                UNION
                SELECT {key_list} FROM {t}
                WHERE series_id = :s AND valid_to > :a AND valid_to <= :b
            ) AS t
            LEFT JOIN {t} AS b ON b.series_id = :s AND {_joined(keys, "b", "t")} AND {_AT_A}
            LEFT JOIN {t} AS f ON f.series_id = :s AND {_joined(keys, "f", "t")} AND {_AT_B}
            ORDER BY {order}
        """,
        # One pass over the series in key order: versions valid at b that began after a
        # (new or changed), then versions valid at a that ended by b with nothing valid
        # at b (gone), merged.
        "changes_scan": f"""
            SELECT {_listed("f", keys)}, b.uid IS NOT NULL, {_listed("b", cols)},
                1, {_listed("f", cols)}
            FROM {t} AS f
            LEFT JOIN {t} AS b ON b.series_id = :s AND {_joined(keys, "b", "f")} AND {_AT_A}
            WHERE f.series_id = :s AND f.valid_from > :a AND {_AT_B}
            UNION ALL
            SELECT {_listed("b", keys)}, 1, {_listed("b", cols)}, 0, {nulls}
            FROM {t} AS b
            WHERE b.series_id = :s AND {_AT_A} AND b.valid_to <= :b
            AND NOT EXISTS (SELECT 1 FROM {t} AS f
                            WHERE f.series_id = :s AND {_joined(keys, "f", "b")} AND {_AT_B})
            ORDER BY {order}
        """,
        "history": (
            "SELECT a.valid_from, f.taken_at, a.valid_to, t.taken_at, "
            f"{_listed('a', keys)}, {_listed('a', cols)} "
            f"FROM {t} a JOIN snapshots f ON f.id = a.valid_from "
            "LEFT JOIN snapshots t ON t.id = a.valid_to "
            f"WHERE a.series_id = ? AND a.uid = ? ORDER BY {_listed('a', keys)}, a.valid_from"
        ),
    }


@cache
def table_sql(spec: DatasetTable) -> TableSql:
    """The statements of ``spec``'s table (built once per table)."""
    return TableSql(
        create=_create(spec),
        columns=("series_id", *spec.keys, "valid_from", "valid_to", *spec.columns),
        **_sync(spec),
        **_changes(spec),
    )
