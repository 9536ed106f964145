"""What differs between the exported datasets: rows, checkpoint, resume point, walk.

The one export run (`_export_run`) and its sinks take any `Dataset`: assets, invitees
and volume each say how records become bytes, what their checkpoint holds, where a
resumed walk picks up and what the records add up to.  Nothing here opens a file.

Sharp edges:
- The two checkpoint formats are the ones earlier versions wrote (assets: version 1,
  with the last uid and exact sums; invitees/volume: ``dataset-1``, with the window
  frozen on the first run), so an interrupted export resumes across the upgrade.
- An invitee/volume resume reads the partial file's valid prefix back (the last row's
  sort key and the identities tied with it) and hands the walk that `Resume`; an assets
  resume passes the last uid and the record count (``after_uid``/``start_offset``).
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Callable, Sequence
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any, Protocol

from attrs import asdict, frozen

from asset_client.client.client import AssetClient
from asset_client.core.list_query import InviteeQuery, VolumeQuery, resolve_invitee_window
from asset_client.core.query import Quote
from asset_client.core.walk import Resume
from asset_client.endpoints import INVITEES, VOLUME
from asset_client.errors import PaginationError
from asset_client.export.files import (
    Checkpoint,
    CheckpointError,
    ExportParams,
    OutputFormat,
    Sums,
    encode_header,
    encode_records,
    param_differences,
)
from asset_client.export.rows import DatasetRows, read_back
from asset_client.records import InviteeAsset

__all__ = [
    "AssetsDataset",
    "Dataset",
    "PartnerCheckpoint",
    "PartnerDataset",
    "check_against_total",
    "resolve_window",
]

PARTNER_CHECKPOINT_VERSION = "dataset-1"


class Saved(Protocol):
    """What every checkpoint tells the sink: how far the partial file got, and whether
    the export was complete (saved just before the final rename)."""

    @property
    def complete(self) -> bool: ...
    @property
    def records(self) -> int: ...
    @property
    def partial_bytes(self) -> int: ...


class Dataset(Protocol):
    """One dataset's part in an export: the sinks and the run ask it, never the endpoint."""

    name: str
    #: What the output holds so far: the record count (and, for assets, exact money sums).
    sums: Sums

    @property
    def volume(self) -> Decimal | None:
        """The exact volume sum the summary shows, or None (no such column, or unknown)."""

    def header(self) -> bytes:
        """What starts a new file (the CSV header; nothing for JSONL)."""

    def encode(self, batch: Sequence[Any]) -> bytes:
        """Complete lines for ``batch``."""

    def add(self, batch: Sequence[Any]) -> None:
        """Count (and sum) ``batch``, once it is written."""

    def checkpoint(self, partial_bytes: int, *, complete: bool = False) -> bytes:
        """The checkpoint document for the output as it stands."""

    def load(self, data: bytes) -> Saved:
        """A checkpoint read back; raises `CheckpointError` saying what is wrong."""

    def differences(self, saved: Any) -> list[str]:
        """How ``saved`` was asked differently from this export (empty: the same)."""

    def restore(self, saved: Any, written: Callable[[], bytes]) -> None:
        """Pick up where ``saved`` stopped; ``written()`` is the partial file's valid
        prefix.  Raises `CheckpointError` or `ValueError` if they cannot be used."""

    def finished(self, saved: Any) -> None:
        """Take the totals of a complete ``saved`` (nothing left to walk)."""

    def resumed_note(self) -> str:
        """What the resume line adds after the record count."""

    def walk(self, client: AssetClient) -> AsyncGenerator[Any, None]:
        """Every record still to write, from the resume point."""

    def check_complete(self, expected_total: int | None) -> None:
        """Raise if the output cannot be called complete."""


def check_against_total(records: int, total: int | None) -> None:
    """Refuse to call an export complete that holds fewer records than the server lists.

    A resumed export only adds uids after its last one, so an invitee that appeared
    below that point (or records that shifted between pages) would be missing.
    """
    if total is not None and records < total:
        raise PaginationError(
            f"the server lists {total} records but the export holds {records}: invitees "
            "appeared below the point this export resumed from, or pages shifted while it ran"
        )


# -- assets ------------------------------------------------------------------------------


class AssetsDataset:
    """Invitee assets in uid order; the checkpoint keeps the last uid and exact sums."""

    name = "assets"
    volume = None

    def __init__(
        self, params: ExportParams, fmt: OutputFormat, *, quote: Quote, page_size: int | None
    ) -> None:
        self._params = params
        self._fmt = fmt
        self._quote: Quote = quote
        self._page_size = page_size
        self.sums = Sums()
        self.last_uid: int | None = None

    def header(self) -> bytes:
        return encode_header(self._fmt)

    def encode(self, batch: Sequence[InviteeAsset]) -> bytes:
        return encode_records(self._fmt, batch)

    def add(self, batch: Sequence[InviteeAsset]) -> None:
        self.sums.add(batch)
        self.last_uid = batch[-1].uid

    def checkpoint(self, partial_bytes: int, *, complete: bool = False) -> bytes:
        return Checkpoint(
            params=self._params,
            last_uid=self.last_uid,
            sums=self.sums,
            partial_bytes=partial_bytes,
            complete=complete,
        ).to_json()

    def load(self, data: bytes) -> Checkpoint:
        return Checkpoint.from_json(data)

    def differences(self, saved: Checkpoint) -> list[str]:
        return param_differences(saved.params, self._params)

    def restore(self, saved: Checkpoint, written: Callable[[], bytes]) -> None:
        self.sums = saved.sums.copy()
        self.last_uid = saved.last_uid

    def finished(self, saved: Checkpoint) -> None:
        self.restore(saved, bytes)

    def resumed_note(self) -> str:
        return f" (last uid {self.last_uid})"

    def walk(self, client: AssetClient) -> AsyncGenerator[InviteeAsset, None]:
        params = self._params
        return client.iter_invitee_assets(
            quote=self._quote,
            start_time=params.start,
            end_time=params.end,
            uid=params.uid,
            page_size=self._page_size,
            after_uid=self.last_uid,
            start_offset=self.sums.records,
        )

    def check_complete(self, expected_total: int | None) -> None:
        check_against_total(self.sums.records, expected_total)


# -- invitees and volume -------------------------------------------------------------------


@frozen(kw_only=True)
class PartnerCheckpoint:
    """JSON beside the target: what was asked, the frozen window, how far the file got."""

    params: dict[str, Any]
    window: tuple[str, str]
    records: int
    partial_bytes: int
    complete: bool = False

    def to_json(self) -> bytes:
        doc = asdict(self)
        doc = {"version": PARTNER_CHECKPOINT_VERSION, **doc, "window": list(self.window)}
        return (json.dumps(doc, indent=2) + "\n").encode()

    @classmethod
    def from_json(cls, data: bytes) -> PartnerCheckpoint:
        try:
            doc = json.loads(data)
            if not isinstance(doc, dict) or doc.get("version") != PARTNER_CHECKPOINT_VERSION:
                raise CheckpointError(f"not a {PARTNER_CHECKPOINT_VERSION} checkpoint")
            params, window, size = doc["params"], doc["window"], doc["partial_bytes"]
            if not isinstance(params, dict):
                raise CheckpointError(f"params must be an object, got {params!r}")
            if not (isinstance(window, list) and len(window) == 2):
                raise CheckpointError(f"window must be [start, end], got {window!r}")
            if not isinstance(size, int) or size < 0:
                raise CheckpointError(f"partial_bytes must be an integer >= 0, got {size!r}")
            complete = doc.get("complete", False)
            if not isinstance(complete, bool):
                raise CheckpointError(f"complete must be true or false, got {complete!r}")
            return cls(
                params=params,
                window=(str(window[0]), str(window[1])),
                records=int(doc["records"]),
                partial_bytes=size,
                complete=complete,
            )
        except RecursionError:
            raise CheckpointError("unreadable (nested too deep)") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise CheckpointError(f"unreadable ({str(exc)[:200]})") from None


def resolve_window(
    dataset: str, start: str | None, end: str | None, zone: tzinfo, now: datetime
) -> tuple[str, str]:
    """The explicit window a first run walks (and a resume walks again)."""
    if dataset == "invitees":
        query = resolve_invitee_window(
            INVITEES.validate(start_time=start, end_time=end, server_tz=zone), now, zone
        )
        assert query.start_time is not None and query.end_time is not None
        return query.start_time, query.end_time
    today = now.astimezone(zone).date()
    start = start or (today - timedelta(days=30)).isoformat()
    end = end or today.isoformat()
    VOLUME.validate(start_date=start, end_date=end, server_tz=zone)  # start after end
    return start, end


class PartnerDataset:
    """The invitee list or the trading volume, newest first, in the window frozen on the
    first run; a resume reads the partial file back for the walk's `Resume`."""

    def __init__(
        self,
        rows: DatasetRows,
        fmt: OutputFormat,
        asked: dict[str, Any],
        window: tuple[str, str],
        *,
        uid: int | None,
        referral_code: str | None,
        page_size: int | None,
    ) -> None:
        self.name = rows.name
        self._rows = rows
        self._fmt = fmt
        self._asked = asked
        self._window = window
        self._uid = uid
        self._referral_code = referral_code
        self._page_size = page_size
        self.sums = Sums()  # a count only (for --summary-json)
        self._volume: Decimal | None = Decimal(0) if rows.sum_of is not None else None
        self._resume: Resume | None = None

    @property
    def volume(self) -> Decimal | None:
        return self._volume

    def header(self) -> bytes:
        return self._rows.header(self._fmt)

    def encode(self, batch: Sequence[Any]) -> bytes:
        return self._rows.encode(self._fmt, batch)

    def add(self, batch: Sequence[Any]) -> None:
        self.sums.records += len(batch)
        if self._volume is not None:
            self._volume = self._rows.add_sum(self._volume, batch)

    def checkpoint(self, partial_bytes: int, *, complete: bool = False) -> bytes:
        return PartnerCheckpoint(
            params=self._asked,
            window=self._window,
            records=self.sums.records,
            partial_bytes=partial_bytes,
            complete=complete,
        ).to_json()

    def load(self, data: bytes) -> PartnerCheckpoint:
        return PartnerCheckpoint.from_json(data)

    def differences(self, saved: PartnerCheckpoint) -> list[str]:
        return [
            "API key: the checkpoint was made with another key"
            if name == "key"
            else f"{name}: checkpoint {saved.params.get(name)!r}, now {value!r}"
            for name, value in self._asked.items()
            if saved.params.get(name) != value
        ]

    def restore(self, saved: PartnerCheckpoint, written: Callable[[], bytes]) -> None:
        self._window = saved.window
        back = read_back(self._rows, self._fmt, written())
        self.sums = Sums(records=back.records)
        if self._volume is not None:
            self._volume = back.total
        if back.records:
            self._resume = Resume(back.last_key, back.records, back.tied)

    def finished(self, saved: PartnerCheckpoint) -> None:
        self.sums = Sums(records=saved.records)
        self._volume = None  # not in the checkpoint: the summary leaves it out

    def resumed_note(self) -> str:
        return ""

    def walk(self, client: AssetClient) -> AsyncGenerator[Any, None]:
        start, end = self._window
        if self.name == "invitees":
            invitees = InviteeQuery(
                uid=self._uid, referral_code=self._referral_code, start_time=start, end_time=end
            )
            return client._walk_endpoint(INVITEES, invitees, self._page_size, resume=self._resume)
        volume = VolumeQuery(uid=self._uid, start_date=start, end_date=end)
        return client._walk_endpoint(VOLUME, volume, self._page_size, resume=self._resume)

    def check_complete(self, expected_total: int | None) -> None:
        pass  # the walk judges it (records that arrived during it are logged, not lost)
