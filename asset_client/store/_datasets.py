"""The datasets a history holds: names, tables, keys and value columns (pure, no I/O).

The sharp edge: the CLI and the library name a dataset ``assets``/``invitees``/``volume``
(as ``export --dataset`` does) while the file stores ``invitee_assets``/``invitees``/
``daily_volume`` in ``series.dataset`` and as table names; `DATASETS` maps one to the other.
The invitee list and the volume walks are not in uid order, so their syncs mark the keys
they have seen (``seen_table``) instead of comparing uid stretches as the assets sync does.
"""

from __future__ import annotations

from typing import Final, Literal

from attrs import frozen

from asset_client.export.rows import DATASETS as EXPORT_ROWS
from asset_client.records import DailyVolume, Invitee
from asset_client.store._rows import ASSET_COLUMNS

__all__ = [
    "ALL_DATASETS",
    "DATASETS",
    "DatasetName",
    "KeyedTable",
    "dataset_of",
    "render_invitee",
    "render_volume",
]

DatasetName = Literal["assets", "invitees", "volume"]
ALL_DATASETS: Final[tuple[DatasetName, ...]] = ("assets", "invitees", "volume")


@frozen(kw_only=True)
class KeyedTable:
    """A dataset's version table: the key columns, then the value columns."""

    name: DatasetName
    table: str  #: also its ``series.dataset``
    keys: tuple[str, ...]
    columns: tuple[str, ...]  #: value columns: the export's field names after the key
    seen_table: str = ""


DATASETS: Final[dict[DatasetName, KeyedTable]] = {
    "assets": KeyedTable(
        name="assets", table="invitee_assets", keys=("uid",), columns=ASSET_COLUMNS
    ),
    "invitees": KeyedTable(
        name="invitees",
        table="invitees",
        keys=("uid",),
        columns=EXPORT_ROWS["invitees"].fields[1:],
        seen_table="sync_seen_invitees",
    ),
    "volume": KeyedTable(
        name="volume",
        table="daily_volume",
        keys=("uid", "day"),
        columns=EXPORT_ROWS["volume"].fields[2:],
        seen_table="sync_seen_volume",
    ),
}


def dataset_of(name: str) -> KeyedTable:
    """The dataset called ``name`` (CLI name or stored name); a clear error otherwise."""
    for spec in DATASETS.values():
        if name in (spec.name, spec.table):
            return spec
    raise ValueError(f"dataset must be one of {', '.join(ALL_DATASETS)}, got {name!r}")


def render_invitee(record: Invitee) -> tuple[int, str]:
    """``(uid, register_time)`` exactly as the invitee export writes them."""
    return record.uid, record.register_time.isoformat()


def render_volume(record: DailyVolume) -> tuple[int, str, str]:
    """``(uid, day, volume)`` exactly as the volume export writes them."""
    cells = EXPORT_ROWS["volume"].cells(record)
    return record.uid, str(cells[1]), str(cells[2])
