"""The history store's records: series, snapshots, changes, history entries."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal

from attrs import frozen

from asset_client.records import InviteeAsset
from asset_client.store._rows import ASSET_COLUMNS, asset_from_values

__all__ = ["Change", "ChangeKind", "HistoryEntry", "Series", "Snapshot", "SnapshotStatus"]

#: The stored name of the assets dataset; ``invitees`` and ``daily_volume`` are the others
#: (see `_datasets`): each its own series, snapshots and version table.
INVITEE_ASSETS = "invitee_assets"

Values = Mapping[str, str | None]


@frozen(kw_only=True)
class Series:
    """What a snapshot was taken of.  Only snapshots of one series are compared."""

    dataset: str = INVITEE_ASSETS
    source: str  #: "sandbox" or the server's origin, e.g. "https://api.coinw.com"
    quote: str
    start_time: str | None = None  #: window as sent, "yyyy-MM-dd HH:mm:ss" in server time
    end_time: str | None = None
    server_timezone: str = "UTC"

    def describe(self) -> str:
        if self.dataset != INVITEE_ASSETS:  # no quote, no window in the series
            return f"{self.dataset} from {self.source} ({self.server_timezone})"
        window = ""
        if self.start_time or self.end_time:
            window = f" {self.start_time or '...'} to {self.end_time or '...'}"
        return f"{self.quote}{window} from {self.source} ({self.server_timezone})"


class SnapshotStatus(enum.StrEnum):
    COMPLETE = "complete"
    FAILED = "failed"  #: the sync stopped on an error; nothing of it was kept
    INTERRUPTED = "interrupted"  #: cancelled (Ctrl-C); nothing of it was kept


@frozen(kw_only=True)
class Snapshot:
    """One sync.  Only complete ones hold records; the others say why they stopped."""

    id: int
    series: Series
    taken_at: datetime  #: when the walk started (aware, UTC)
    finished_at: datetime
    status: SnapshotStatus
    records: int | None = None
    total_deposit: Decimal | None = None  #: exact sums of the snapshot's records
    total_withdrawal: Decimal | None = None
    current_balance: Decimal | None = None
    new: int | None = None  #: against the series' previous complete snapshot
    changed: int | None = None
    gone: int | None = None
    requests: int | None = None
    client_version: str = ""
    error: str | None = None
    #: volume only: the server days walked (both included) and the exact sum of the walk
    window_start: date | None = None
    window_end: date | None = None
    total_volume: Decimal | None = None


class ChangeKind(enum.StrEnum):
    NEW = "new"
    GONE = "gone"
    CHANGED = "changed"


@frozen(kw_only=True)
class Change:
    """One invitee whose record differs between two snapshots.

    ``before``/``after`` map the export's field names (without ``uid``) to the exact
    strings stored; ``before`` is None for a new invitee, ``after`` for a gone one.
    ``before_asset``/``after_asset`` give the same as typed `InviteeAsset` records.
    """

    uid: int
    kind: ChangeKind
    #: The stored strings in `columns` order (what ``before``/``after`` name).
    before_values: tuple[str | None, ...] | None
    after_values: tuple[str | None, ...] | None
    #: The value columns: the export's field names after the key (default: assets').
    columns: tuple[str, ...] = ASSET_COLUMNS
    #: Volume only: the server day of the (uid, day) that changed.
    day: date | None = None

    @property
    def before(self) -> dict[str, str | None] | None:
        return _named(self.columns, self.before_values)

    @property
    def after(self) -> dict[str, str | None] | None:
        return _named(self.columns, self.after_values)

    @property
    def before_asset(self) -> InviteeAsset | None:
        _assets_only(self.columns)
        before = self.before
        return None if before is None else asset_from_values(self.uid, before)

    @property
    def after_asset(self) -> InviteeAsset | None:
        _assets_only(self.columns)
        after = self.after
        return None if after is None else asset_from_values(self.uid, after)


def _assets_only(columns: tuple[str, ...]) -> None:
    if columns != ASSET_COLUMNS:
        raise ValueError(
            f"not an assets record (its fields are {', '.join(columns)}): read before/after "
            "or values instead"
        )


def _named(
    columns: tuple[str, ...], values: tuple[str | None, ...] | None
) -> dict[str, str | None] | None:
    # Built on access: `changes` over 250k rows should not pay for dicts nobody reads.
    if values is None:
        return None
    return dict(zip(columns, values, strict=True))


@frozen(kw_only=True)
class HistoryEntry:
    """One version of an invitee's record: valid from one snapshot until another.

    ``until`` is None while it is still current.  If the next entry starts later than
    ``until``, the invitee was absent (gone) in between.
    """

    uid: int
    series: Series
    since: int  #: first snapshot id holding this version
    since_time: datetime
    until: int | None  #: first snapshot id no longer holding it
    until_time: datetime | None
    values: Values
    day: date | None = None  #: volume only: the server day this version is of

    @property
    def asset(self) -> InviteeAsset:
        _assets_only(tuple(self.values))
        return asset_from_values(self.uid, dict(self.values))
