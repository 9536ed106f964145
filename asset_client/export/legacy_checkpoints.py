"""Reading a checkpoint of any version this release knows: today's, and the two before it.

Earlier releases wrote two formats: assets exports version ``1`` (the last uid and exact
money sums), invitee and volume exports ``"dataset-1"`` (the frozen window, no sums).  Both
are read into today's `Checkpoint`, so an export interrupted before the upgrade resumes
after it; the next checkpoint the run saves is in today's format.

Sharp edge: what was asked is translated to today's terms (``start``/``end`` become the
endpoint's window filters) so that the same command line compares equal; a version-1
checkpoint has no frozen window (assets never had one) and a ``dataset-1`` one no sums
(the run reads them back from the partial file, as it reads the resume point).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from asset_client.endpoints import ASSETS, ENDPOINTS
from asset_client.export.checkpoint import (
    CHECKPOINT_VERSION,
    Asked,
    Checkpoint,
    count,
    flag,
    load_document,
    plain_filters,
)
from asset_client.export.errors import CheckpointError
from asset_client.export.filters import filters_for
from asset_client.export.sums import Sums, amount_fields

__all__ = ["read_checkpoint"]

#: The assets checkpoint of earlier releases, and its parameters' names.
ASSETS_VERSION = 1
_ASSETS_PARAMS = frozenset(
    {"quote", "uid", "start", "end", "page_size", "format", "source", "server_timezone", "key"}
)
#: The invitee and volume checkpoint of earlier releases.
DATASET_VERSION = "dataset-1"
#: What both kept besides the filters, under today's names.
_SETTINGS = ("page_size", "format", "source", "server_timezone", "key")


def read_checkpoint(data: bytes) -> Checkpoint:
    """A checkpoint of today's format or an earlier one; `CheckpointError` saying what is
    wrong with it."""
    doc = load_document(data)
    version = doc.get("version")
    if version == CHECKPOINT_VERSION and not isinstance(version, bool):
        return Checkpoint.from_doc(doc)
    try:
        if version == ASSETS_VERSION and not isinstance(version, bool):
            return _assets(doc)
        if version == DATASET_VERSION:
            return _dataset(doc)
    except (KeyError, TypeError) as exc:
        raise CheckpointError(f"missing or malformed field {exc}") from None
    raise CheckpointError(
        f"format version {version!r}, this program reads {CHECKPOINT_VERSION} "
        f"(and {ASSETS_VERSION!r}, {DATASET_VERSION!r} of earlier releases)"
    )


def _asked(dataset: str, params: Mapping[str, Any], filters: dict[str, object]) -> Asked:
    return Asked(
        dataset=dataset,
        filters=plain_filters(filters),
        **{name: params[name] for name in _SETTINGS},
    )


def _assets(doc: Mapping[str, Any]) -> Checkpoint:
    """Version 1: ``params`` of an assets export, ``last_uid``, ``records``, ``sums``."""
    params = doc["params"]
    if not isinstance(params, Mapping):
        raise CheckpointError("params must be an object")
    if set(params) != _ASSETS_PARAMS:
        raise CheckpointError(f"params must have exactly the fields {sorted(_ASSETS_PARAMS)}")
    records = count(doc["records"], "records")
    last_uid = doc["last_uid"]
    if last_uid is not None and (
        not isinstance(last_uid, int) or isinstance(last_uid, bool) or last_uid < 1
    ):
        raise CheckpointError(f"last_uid must be a positive integer, got {last_uid!r}")
    if (last_uid is None) != (records == 0):
        raise CheckpointError("last_uid and records disagree")
    raw_sums = doc["sums"]
    amounts = {name: raw_sums[name] for name in amount_fields(ASSETS.record_type)}
    try:
        sums = Sums.from_text(records, amounts)
    except ValueError as exc:
        raise CheckpointError(str(exc)) from None
    filters = filters_for(
        ASSETS, params["start"], params["end"], quote=params["quote"], uid=params["uid"]
    )
    return Checkpoint(
        asked=_asked(ASSETS.name, params, filters),
        window=None,
        records=records,
        sums=sums,
        partial_bytes=count(doc["partial_bytes"], "partial_bytes"),
        complete=flag(doc.get("complete", False)),
    )


def _dataset(doc: Mapping[str, Any]) -> Checkpoint:
    """``dataset-1``: ``params`` (with the dataset's name), ``window``, ``records``."""
    params, window = doc["params"], doc["window"]
    if not isinstance(params, Mapping):
        raise CheckpointError(f"params must be an object, got {params!r}")
    if not (isinstance(window, list) and len(window) == 2):
        raise CheckpointError(f"window must be [start, end], got {window!r}")
    endpoint = ENDPOINTS.get(str(params.get("dataset")))
    if endpoint is None:
        raise CheckpointError(f"unknown dataset {params.get('dataset')!r}")
    filters = filters_for(
        endpoint,
        params["start"],
        params["end"],
        uid=params["uid"],
        referral_code=params["referral_code"],
    )
    return Checkpoint(
        asked=_asked(endpoint.name, params, filters),
        window=(str(window[0]), str(window[1])),
        records=count(doc["records"], "records"),
        sums=None,
        partial_bytes=count(doc["partial_bytes"], "partial_bytes"),
        complete=flag(doc.get("complete", False)),
    )
