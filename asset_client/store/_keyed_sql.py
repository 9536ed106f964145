"""SQL for the datasets whose walks are not in uid order: invitees, daily volume (pure).

A sync stages each batch in a temp table, closes the current versions the batch holds
with other values, opens versions for the keys without a current one, and marks the keys
seen.  At the end, current versions in scope that were not seen are closed (gone).
The sharp edge: scope.  The invitee list is walked whole, so any unseen uid is gone; the
volume is walked over a window of days, so only unseen (uid, day) rows *inside* that
window are gone; days outside it keep their versions untouched.
"""

from __future__ import annotations

from attrs import frozen

from asset_client.store._datasets import KeyedTable

__all__ = ["KeyedSql", "keyed_sql"]


@frozen
class KeyedSql:
    create_incoming: str
    clear_incoming: str
    insert_incoming: str
    close_changed: str
    open_new: str
    mark_seen: str
    count_seen: str
    close_gone: str
    clear_seen: str
    changes: str
    history: str


def keyed_sql(spec: KeyedTable) -> KeyedSql:
    t, keys, cols = spec.table, spec.keys, spec.columns
    inc = f"temp.incoming_{t}"
    all_cols = (*keys, *cols)
    key_defs = ", ".join(f"{k} {'INTEGER' if k == 'uid' else 'TEXT'} NOT NULL" for k in keys)
    same_a = " AND ".join(f"i.{c} IS a.{c}" for c in cols)
    same_key = " AND ".join(f"a.{k} = i.{k}" for k in keys)
    current = f"a.series_id = :s AND {same_key} AND a.valid_to IS NULL"
    seen_on = " AND ".join(f"z.{k} = {t}.{k}" for k in keys)
    scope = " AND day >= :start AND day <= :end" if "day" in keys else ""
    at_a = "b.valid_from <= :a AND coalesce(b.valid_to, :forever) > :a"
    at_b = "f.valid_from <= :b AND coalesce(f.valid_to, :forever) > :b"
    key_list = ", ".join(keys)
    join_b = " AND ".join(f"b.{k} = t.{k}" for k in keys)
    join_f = " AND ".join(f"f.{k} = t.{k}" for k in keys)
    return KeyedSql(
        create_incoming=(
            f"CREATE TEMP TABLE IF NOT EXISTS incoming_{t} ({key_defs}, "
            f"{', '.join(f'{c} TEXT' for c in cols)}, PRIMARY KEY ({key_list}))"
        ),
        clear_incoming=f"DELETE FROM {inc}",  # noqa: S608 - constant names
        # A key twice in one batch: the last wins (the walk yields each key once anyway).
        insert_incoming=(
            f"INSERT OR REPLACE INTO {inc} ({', '.join(all_cols)}) "  # noqa: S608
            f"VALUES ({', '.join('?' * len(all_cols))})"
        ),
        # Driven by the batch (a lookup per incoming key), never a scan of the table.
        close_changed=(
            f"UPDATE {t} SET valid_to = :snap WHERE (series_id, {key_list}, valid_from) IN "  # noqa: S608
            f"(SELECT a.series_id, {', '.join(f'a.{k}' for k in keys)}, a.valid_from "
            # CROSS JOIN: the batch drives; "+": not the valid_from index (a scan).
            f"FROM {inc} AS i CROSS JOIN {t} AS a ON {current} AND +a.valid_from < :snap "
            f"WHERE NOT ({same_a}))"
        ),
        open_new=(
            f"INSERT INTO {t} (series_id, valid_from, {', '.join(all_cols)}) "  # noqa: S608
            f"SELECT :s, :snap, {', '.join(f'i.{c}' for c in all_cols)} FROM {inc} AS i "
            f"WHERE NOT EXISTS (SELECT 1 FROM {t} AS a WHERE {current})"
        ),
        mark_seen=(
            f"INSERT OR IGNORE INTO {spec.seen_table} ({key_list}) "  # noqa: S608
            f"SELECT {key_list} FROM {inc}"
        ),
        count_seen=f"SELECT count(*) FROM {spec.seen_table}",  # noqa: S608
        close_gone=(
            f"UPDATE {t} SET valid_to = :snap WHERE series_id = :s AND valid_to IS NULL "  # noqa: S608
            f"AND valid_from < :snap{scope} AND NOT EXISTS "
            f"(SELECT 1 FROM {spec.seen_table} AS z WHERE {seen_on})"
        ),
        clear_seen=f"DELETE FROM {spec.seen_table}",  # noqa: S608
        # Rows: keys..., before exists, before values..., after exists, after values...
        changes=f"""
            SELECT {", ".join(f"t.{k}" for k in keys)},
                b.uid IS NOT NULL, {", ".join(f"b.{c}" for c in cols)},
                f.uid IS NOT NULL, {", ".join(f"f.{c}" for c in cols)}
            FROM (
                SELECT {key_list} FROM {t}
                WHERE series_id = :s AND valid_from > :a AND valid_from <= :b
                UNION
                SELECT {key_list} FROM {t}
                WHERE series_id = :s AND valid_to > :a AND valid_to <= :b
            ) AS t
            LEFT JOIN {t} AS b ON b.series_id = :s AND {join_b} AND {at_a}
            LEFT JOIN {t} AS f ON f.series_id = :s AND {join_f} AND {at_b}
            ORDER BY {", ".join(f"t.{k}" for k in keys)}
        """,  # noqa: S608 - constant names
        history=(
            f"SELECT a.valid_from, f.taken_at, a.valid_to, t.taken_at, "  # noqa: S608
            f"{', '.join(f'a.{k}' for k in keys)}, {', '.join(f'a.{c}' for c in cols)} "
            f"FROM {t} a JOIN snapshots f ON f.id = a.valid_from "
            "LEFT JOIN snapshots t ON t.id = a.valid_to "
            f"WHERE a.series_id = ? AND a.uid = ? ORDER BY {', '.join(f'a.{k}' for k in keys)}, "
            "a.valid_from"
        ),
    )
