"""The history store's records: series, snapshots, changes, history entries (pure).

The sharp edge: a `Change` or a `HistoryEntry` keeps the stored strings (``before``,
``after``, ``values``: exact, as the export writes them) and builds typed records only
on access (``before_record``...): `changes` over 250k rows should not pay for objects
nobody reads.
"""

from __future__ import annotations

import enum
import warnings
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from attrs import field, frozen

from asset_client.records import InviteeAsset
from asset_client.store._schema import LEGACY_NAMES
from asset_client.store._table import DatasetTable

__all__ = [
    "Change",
    "ChangeKind",
    "HistoryEntry",
    "Series",
    "Snapshot",
    "SnapshotStatus",
    "canonical_name",
]

Values = Mapping[str, str | None]


def canonical_name(name: str) -> str:
    """A dataset's one name; the names schema 2 stored (``invitee_assets``,
    ``daily_volume``) still work for one release, with a `DeprecationWarning`."""
    new = LEGACY_NAMES.get(name)
    if new is None:
        return name
    warnings.warn(
        f"the dataset {name!r} is now called {new!r}; the old name goes in the next release",
        DeprecationWarning,
        stacklevel=3,
    )
    return new


@frozen(kw_only=True)
class Series:
    """What a snapshot was taken of.  Only snapshots of one series are compared."""

    dataset: str = field(default="assets", converter=canonical_name)
    source: str  #: "sandbox" or the server's origin, e.g. "https://api.coinw.com"
    quote: str  #: "" for a dataset without a quote
    start_time: str | None = None  #: window as sent, "yyyy-MM-dd HH:mm:ss" in server time
    end_time: str | None = None
    server_timezone: str = "UTC"

    def describe(self) -> str:
        """``assets usdt from sandbox (UTC)``, ``volume from https://api.coinw.com (UTC)``."""
        quote = f" {self.quote}" if self.quote else ""
        window = ""
        if self.start_time or self.end_time:
            window = f" {self.start_time or '...'} to {self.end_time or '...'}"
        return f"{self.dataset}{quote}{window} from {self.source} ({self.server_timezone})"


class SnapshotStatus(enum.StrEnum):
    COMPLETE = "complete"
    FAILED = "failed"  #: the sync stopped on an error; nothing of it was kept
    INTERRUPTED = "interrupted"  #: cancelled (Ctrl-C); nothing of it was kept


@frozen(kw_only=True)
class Snapshot:
    """One sync of one dataset.  Only complete ones hold records; the others say why
    they stopped."""

    id: int
    series: Series
    taken_at: datetime  #: when the walk started (aware, UTC)
    finished_at: datetime
    status: SnapshotStatus
    records: int | None = None
    #: exact sums of the records' required decimal fields, by field name (assets: the
    #: three money totals; volume: ``volume``); empty unless complete
    sums: Mapping[str, Decimal] = field(factory=dict, hash=False)
    new: int | None = None  #: against the series' previous complete snapshot
    changed: int | None = None
    gone: int | None = None
    requests: int | None = None
    client_version: str = ""
    error: str | None = None
    #: a windowed dataset (volume): the server days walked, both included
    window_start: date | None = None
    window_end: date | None = None

    @property
    def total_deposit(self) -> Decimal | None:
        return self.sums.get("total_deposit")

    @property
    def total_withdrawal(self) -> Decimal | None:
        return self.sums.get("total_withdrawal")

    @property
    def current_balance(self) -> Decimal | None:
        return self.sums.get("current_balance")

    @property
    def total_volume(self) -> Decimal | None:
        return self.sums.get("volume")


class ChangeKind(enum.StrEnum):
    NEW = "new"
    GONE = "gone"
    CHANGED = "changed"


def _named(
    columns: tuple[str, ...], values: tuple[str | None, ...] | None
) -> dict[str, str | None] | None:
    return None if values is None else dict(zip(columns, values, strict=True))


def _assets_only(table: DatasetTable) -> None:
    if not issubclass(table.record_type, InviteeAsset):
        raise ValueError(
            f"not an assets record (its fields are {', '.join(table.columns)}): read "
            "before/after, values or the typed record instead"
        )


@frozen(kw_only=True)
class Change:
    """One record whose stored version differs between two snapshots.

    ``before``/``after`` map the value fields (the export's names, after the key) to the
    exact strings stored; ``before`` is None for a new record, ``after`` for a gone one.
    ``before_record``/``after_record`` give the same as the dataset's typed records.
    """

    kind: ChangeKind
    key: tuple[Any, ...]  #: the record's key, typed, in the dataset's key order (uid first)
    #: The stored strings in `columns` order (what ``before``/``after`` name).
    before_values: tuple[str | None, ...] | None
    after_values: tuple[str | None, ...] | None
    table: DatasetTable = field(repr=False)

    @property
    def uid(self) -> int:
        uid: int = self.key[0]
        return uid

    @property
    def keys(self) -> dict[str, Any]:
        """The key by field name (``{"uid": 1, "day": date(...)}``)."""
        return dict(zip(self.table.keys, self.key, strict=True))

    @property
    def day(self) -> date | None:
        """The key's ``day`` (volume), None for a dataset without one."""
        day: date | None = self.keys.get("day")
        return day

    @property
    def columns(self) -> tuple[str, ...]:
        return self.table.columns

    @property
    def before(self) -> dict[str, str | None] | None:
        return _named(self.table.columns, self.before_values)

    @property
    def after(self) -> dict[str, str | None] | None:
        return _named(self.table.columns, self.after_values)

    @property
    def before_record(self) -> Any:
        """The version before, as the dataset's record (None for a new one)."""
        if self.before_values is None:
            return None
        return self.table.record(self.key, self.before_values)

    @property
    def after_record(self) -> Any:
        """The version after, as the dataset's record (None for a gone one)."""
        if self.after_values is None:
            return None
        return self.table.record(self.key, self.after_values)

    @property
    def before_asset(self) -> InviteeAsset | None:
        """`before_record` of an assets change; `ValueError` for another dataset's."""
        _assets_only(self.table)
        asset: InviteeAsset | None = self.before_record
        return asset

    @property
    def after_asset(self) -> InviteeAsset | None:
        _assets_only(self.table)
        asset: InviteeAsset | None = self.after_record
        return asset


@frozen(kw_only=True)
class HistoryEntry:
    """One version of a record: valid from one snapshot until another.

    ``until`` is None while it is still current.  If the next entry starts later than
    ``until``, the record was absent (gone) in between.
    """

    key: tuple[Any, ...]  #: the record's key, typed (uid first)
    series: Series
    since: int  #: first snapshot id holding this version
    since_time: datetime
    until: int | None  #: first snapshot id no longer holding it
    until_time: datetime | None
    values: Values
    table: DatasetTable = field(repr=False)

    @property
    def uid(self) -> int:
        uid: int = self.key[0]
        return uid

    @property
    def day(self) -> date | None:
        """The key's ``day`` (volume), None for a dataset without one."""
        day: date | None = dict(zip(self.table.keys, self.key, strict=True)).get("day")
        return day

    @property
    def record(self) -> Any:
        """This version as the dataset's typed record."""
        return self.table.record(self.key, tuple(self.values.values()))

    @property
    def asset(self) -> InviteeAsset:
        """`record` of an assets entry; `ValueError` for another dataset's."""
        _assets_only(self.table)
        asset: InviteeAsset = self.record
        return asset
