"""The checkpoint of an export of any partner dataset: what was asked and how far it got.

One format (version 2) for assets, invitees, volume and any other endpoint: the dataset and
the filters asked (never credentials, only a fingerprint of the key), the window frozen on
the first run, the record count and exact sums of what the partial file holds, its valid
length, and whether the export was complete.  Checkpoints of earlier releases are read by
`asset_client.export.legacy_checkpoints`.

Sharp edge: the checkpoint says ``complete`` *before* the final rename, so a kill between
the rename and the checkpoint's removal leaves a checkpoint that says so, not one that
looks like an interrupted export.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import attrs
from attrs import frozen

from asset_client.core.query import is_int
from asset_client.export.errors import CheckpointError
from asset_client.export.sums import Sums

__all__ = [
    "CHECKPOINT_VERSION",
    "Asked",
    "Checkpoint",
    "Json",
    "count",
    "key_fingerprint",
    "load_document",
    "plain",
    "plain_filters",
    "plain_window",
]

CHECKPOINT_VERSION = 2

#: A value as a checkpoint holds it.
Json = str | int | float | bool | None


def key_fingerprint(api_key: str) -> str:
    """A short one-way tag of the API key, so a resume with another affiliate's key is
    refused.  Not the key, and the secret key is never involved."""
    return hashlib.sha256(b"asset-client checkpoint\x00" + api_key.encode()).hexdigest()[:16]


def plain(value: object) -> Json:
    """A filter's value as JSON keeps it (dates and times in ISO 8601, anything else as
    text), so that what was asked compares equal after a round trip."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def plain_filters(filters: Mapping[str, object]) -> dict[str, Json]:
    return {name: plain(value) for name, value in filters.items()}


def plain_window(window: tuple[Any, Any] | None) -> tuple[Json, Json] | None:
    return None if window is None else (plain(window[0]), plain(window[1]))


@frozen(kw_only=True)
class Asked:
    """Everything that decides the export's content.  A resume must match all of it."""

    dataset: str
    filters: dict[str, Json]  #: the endpoint's own keyword filters, as given
    page_size: int | None
    format: str
    source: str  #: "sandbox" or the server's scheme://host[:port]
    server_timezone: str  #: decides how times are sent and rendered
    key: str  #: `key_fingerprint` of the API key

    def differences(self, now: Asked) -> list[str]:
        """Human-readable differences, e.g. ``quote: checkpoint 'usdt', now 'usdc'``."""
        diffs = []
        for name, old, new in _pairs(self, now):
            if old != new:
                if name == "key":  # fingerprints mean nothing to a reader
                    diffs.append("API key: the checkpoint was made with another key")
                else:
                    diffs.append(f"{name}: checkpoint {old!r}, now {new!r}")
        return diffs


def _pairs(saved: Asked, now: Asked) -> list[tuple[str, object, object]]:
    names = [*saved.filters, *(n for n in now.filters if n not in saved.filters)]
    pairs: list[tuple[str, object, object]] = [("dataset", saved.dataset, now.dataset)]
    pairs += [(n, saved.filters.get(n), now.filters.get(n)) for n in names]
    pairs += [
        (a.name, getattr(saved, a.name), getattr(now, a.name))
        for a in attrs.fields(Asked)
        if a.name not in ("dataset", "filters")
    ]
    return pairs


@frozen(kw_only=True)
class Checkpoint:
    """How far an interrupted export got.  The partial file is valid up to
    ``partial_bytes`` (header included); anything after that is cut off on resume."""

    asked: Asked
    #: the window frozen on the first run (None: the endpoint has none, or the checkpoint
    #: predates frozen windows: the filters asked are walked again)
    window: tuple[Json, Json] | None
    records: int
    #: exact sums of the records (None: a checkpoint of an earlier release that kept none)
    sums: Sums | None
    partial_bytes: int
    #: Written just before the final rename: the partial file of ``partial_bytes`` is
    #: the whole export.
    complete: bool = False

    def to_json(self) -> bytes:
        asked = attrs.asdict(self.asked)
        doc: dict[str, Any] = {
            "version": CHECKPOINT_VERSION,
            "params": asked,
            "window": None if self.window is None else list(self.window),
            "records": self.records,
            "sums": None if self.sums is None else self.sums.text(),
            "partial_bytes": self.partial_bytes,
            "complete": self.complete,
        }
        return (json.dumps(doc, indent=2) + "\n").encode()

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Checkpoint:
        """A version-2 document read back; `CheckpointError` saying what is wrong."""
        try:
            records = count(doc["records"], "records")
            sums = doc["sums"]
            if sums is not None and not isinstance(sums, dict):
                raise CheckpointError(f"sums must be an object, got {sums!r}")
            return cls(
                asked=_asked(doc["params"]),
                window=_window(doc["window"]),
                records=records,
                sums=None if sums is None else _sums(records, sums),
                partial_bytes=count(doc["partial_bytes"], "partial_bytes"),
                complete=flag(doc.get("complete", False)),
            )
        except (KeyError, TypeError) as exc:
            raise CheckpointError(f"missing or malformed field {exc}") from None


def load_document(data: bytes) -> dict[str, Any]:
    """The checkpoint's JSON object, whatever its version."""
    try:
        doc = json.loads(data)
    except RecursionError:
        raise CheckpointError("not valid JSON (nested too deep)") from None
    except ValueError as exc:  # also UnicodeDecodeError, and ints past the digit limit
        raise CheckpointError(f"not valid JSON ({str(exc)[:200]})") from None
    if not isinstance(doc, dict):
        raise CheckpointError("not a JSON object")
    return doc


def count(value: object, name: str) -> int:
    if not is_int(value) or value < 0:
        raise CheckpointError(f"{name} must be a non-negative integer, got {value!r}")
    return value


def flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise CheckpointError(f"complete must be true or false, got {value!r}")
    return value


def _sums(records: int, amounts: Mapping[str, object]) -> Sums:
    try:
        return Sums.from_text(records, amounts)
    except ValueError as exc:
        raise CheckpointError(str(exc)) from None


def _window(raw: object) -> tuple[Json, Json] | None:
    if raw is None:
        return None
    if not (isinstance(raw, list) and len(raw) == 2):
        raise CheckpointError(f"window must be [start, end], got {raw!r}")
    return plain(raw[0]), plain(raw[1])


def _asked(raw: object) -> Asked:
    if not isinstance(raw, Mapping):
        raise CheckpointError("params must be an object")
    names = {a.name for a in attrs.fields(Asked)}
    if set(raw) != names:
        raise CheckpointError(f"params must have exactly the fields {sorted(names)}")
    filters = raw["filters"]
    if not isinstance(filters, dict) or not all(isinstance(n, str) for n in filters):
        raise CheckpointError(f"params.filters must be an object, got {filters!r}")
    page_size = raw["page_size"]
    if page_size is not None and not is_int(page_size):
        raise CheckpointError(f"params.page_size must be an integer or null, got {page_size!r}")
    texts = {n: raw[n] for n in ("dataset", "format", "source", "server_timezone", "key")}
    for name, value in texts.items():
        if not isinstance(value, str):
            raise CheckpointError(f"params.{name} must be a string, got {value!r}")
    return Asked(filters=plain_filters(filters), page_size=page_size, **texts)
