"""What a sync records, as data: `Recording` (an endpoint and its filters), and the
series each recording's snapshot belongs to (pure: validation only, no I/O).

The sharp edge: a snapshot is of everyone, so a recording takes only the filters a
series can name: ``quote`` and the endpoint's window (assets: the totals' time window,
part of the series).  A windowed dataset (`DatasetTable.window_key`: volume) is instead
walked over a window of days that moves from sync to sync and is the snapshot's, not the
series'; only rows inside it can be gone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, tzinfo
from typing import Any, Final

from attrs import field, frozen

from asset_client.endpoints import ENDPOINTS, Endpoint
from asset_client.store._datasets import DatasetName, dataset_of
from asset_client.store._models import Series
from asset_client.store._table import DatasetTable, table_of

__all__ = ["Planned", "Recording", "builtin_recordings", "plan"]


@frozen(kw_only=True)
class Recording:
    """One dataset of a sync: ``endpoint`` walked with ``filters`` (its own `client.walk`
    keywords: ``quote`` and its window, if it has them), recorded as one snapshot.

    ``days`` (both included) is the window a windowed dataset (volume) is walked over;
    None: from the day still open at the series' last snapshot to today, or the last 30
    days on the first sync.
    """

    endpoint: Endpoint[Any, Any, Any]
    filters: Mapping[str, object] = field(factory=dict, hash=False)
    days: tuple[date, date] | None = None


def _walk_filters(
    recording: Recording, table: DatasetTable, days: tuple[date, date] | None
) -> dict[str, Any]:
    filters: dict[str, Any] = dict(recording.filters)
    if days is not None and table.window_filters is not None:
        filters.update(zip(table.window_filters, days, strict=True))
    return filters


@frozen
class Planned:
    """A recording checked: its table, its series, the filters its walk takes."""

    recording: Recording
    table: DatasetTable
    series: Series

    def walk_filters(self, days: tuple[date, date] | None) -> dict[str, Any]:
        """The walk's keywords: the filters, and a windowed dataset's ``days``."""
        return _walk_filters(self.recording, self.table, days)


def plan(recording: Recording, *, source: str, zone: tzinfo, zone_name: str) -> Planned:
    """``recording`` checked now (before the lock and any request), with its series; a
    `ValueError` (`InvalidParameterError`) naming what is wrong."""
    table = table_of(recording.endpoint)
    window = table.window_filters if table.window_key is None else None
    allowed = {"quote", *(window or ())}
    extra = sorted(set(recording.filters) - allowed)
    if extra:
        raise ValueError(
            f"{table.name}: a history records everyone, so only the filters a series names "
            f"({', '.join(sorted(allowed))}) are taken; got {', '.join(extra)}"
        )
    if recording.days is not None and table.window_key is None:
        raise ValueError(f"{table.name} has no window of days to walk")
    filters = _walk_filters(recording, table, recording.days)
    query = recording.endpoint.validate(**filters, server_tz=zone)
    start, end = (getattr(query, name, None) for name in window) if window else (None, None)
    series = Series(
        dataset=table.name,
        source=source,
        quote=str(getattr(query, "quote", None) or ""),
        start_time=start,
        end_time=end,
        server_timezone=zone_name,
    )
    return Planned(recording, table, series)


#: Which of `SnapshotStore.sync_datasets`' filters each of the package's datasets takes
#: (the invitee list is walked whole; the volume's window is ``days``).
_FILTERS: Final[dict[str, tuple[str, ...]]] = {
    "assets": ("quote", "start_time", "end_time"),
    "invitees": (),
    "volume": (),
}


def builtin_recordings(
    datasets: Sequence[DatasetName | str],
    given: Mapping[str, object],
    days: tuple[date, date] | None,
) -> list[Recording]:
    """The recordings `sync_datasets` makes of dataset names (each once, in order)."""
    names: list[str] = []
    for name in datasets:
        table = dataset_of(name)  # ValueError naming the value
        if table.name not in names:
            names.append(table.name)
    if not names:
        raise ValueError("datasets must name at least one of " + ", ".join(ENDPOINTS))
    return [
        Recording(
            endpoint=ENDPOINTS[name],
            filters={key: given[key] for key in _FILTERS[name]},
            days=days if dataset_of(name).window_key else None,
        )
        for name in names
    ]
