"""The datasets a history knows by name: one `DatasetTable` per endpoint of `ENDPOINTS`.

The sharp edge: a name finds only the package's own endpoints; a history of another
endpoint is read and written by passing that `Endpoint` itself wherever a dataset is
asked for (its table is made on its first sync).
"""

from __future__ import annotations

from typing import Any, Final, Literal

from asset_client.endpoints import ENDPOINTS, Endpoint
from asset_client.store._models import canonical_name
from asset_client.store._table import DatasetTable, table_of

__all__ = ["ALL_DATASETS", "DATASETS", "DatasetName", "DatasetRef", "dataset_of"]

DatasetName = Literal["assets", "invitees", "volume"]
#: A dataset as the API takes it: its name, or the endpoint itself.
DatasetRef = DatasetName | Endpoint[Any, Any, Any]

DATASETS: Final[dict[str, DatasetTable]] = {
    name: table_of(endpoint) for name, endpoint in ENDPOINTS.items()
}
ALL_DATASETS: Final[tuple[DatasetName, ...]] = ("assets", "invitees", "volume")


def dataset_of(dataset: DatasetRef | str) -> DatasetTable:
    """The table of ``dataset`` (a name, or any `Endpoint`); a `ValueError` naming the
    value otherwise."""
    if isinstance(dataset, Endpoint):
        return table_of(dataset)
    found = DATASETS.get(canonical_name(dataset)) if isinstance(dataset, str) else None
    if found is None:
        raise ValueError(
            f"dataset must be one of {', '.join(DATASETS)} (or an Endpoint), got {dataset!r}"
        )
    return found
