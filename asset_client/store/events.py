"""The events an affiliate acts on, computed from the history's changes (pure: no I/O).

``events_of(change, base, target, rules)`` turns one `Change` between two snapshots into
events: ``new_invitee``, ``gone``, ``first_deposit``, ``deposit``, ``withdrawal``;
``volume_milestone`` comes from per-uid volume sums (`milestones`).  Each event has a
stable ``id``: a hash of what it is about (kind, dataset, key, the two snapshot ids), so
the same event computed twice — after a crash, on another machine — has the same id.
The sharp edge: a first deposit is announced as ``first_deposit`` only, not also as a
``deposit`` (one change, one money event: commissions are not counted twice).
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from attrs import field, frozen

from asset_client.records import Invitee, InviteeAsset
from asset_client.store._models import Change, ChangeKind, Snapshot

__all__ = [
    "Event",
    "EventKind",
    "EventRules",
    "event_id",
    "events_of",
    "milestone_days",
    "milestones",
    "observed_at",
]


class EventKind(enum.StrEnum):
    NEW_INVITEE = "new_invitee"
    GONE = "gone"
    FIRST_DEPOSIT = "first_deposit"
    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"
    VOLUME_MILESTONE = "volume_milestone"


@frozen(kw_only=True)
class EventRules:
    """What the user asked to hear about."""

    #: deposits (first or not) below this amount are not events
    min_deposit: Decimal = Decimal(0)
    #: volume over the last ``volume_days`` days crossing this, upward (None: off)
    volume_milestone: Decimal | None = None
    volume_days: int = 7


@frozen(kw_only=True)
class Event:
    """One thing that happened to one invitee between two snapshots."""

    id: str
    kind: EventKind
    dataset: str
    uid: int
    amount: Decimal | None
    before: Mapping[str, Any] | None = field(hash=False)
    after: Mapping[str, Any] | None = field(hash=False)
    base_snapshot: int | None  #: None: compared with an empty history
    snapshot: int
    observed_at: datetime  #: when the target snapshot was taken, in server time

    def as_json(self) -> dict[str, Any]:
        """The event as a JSON object (amounts as exact decimal text)."""
        return {
            "id": self.id,
            "kind": self.kind.value,
            "dataset": self.dataset,
            "uid": self.uid,
            "amount": None if self.amount is None else format(self.amount, "f"),
            "before": None if self.before is None else dict(self.before),
            "after": None if self.after is None else dict(self.after),
            "base_snapshot": self.base_snapshot,
            "snapshot": self.snapshot,
            "observed_at": self.observed_at.isoformat(),
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> Event:
        amount = doc.get("amount")
        return cls(
            id=doc["id"],
            kind=EventKind(doc["kind"]),
            dataset=doc["dataset"],
            uid=int(doc["uid"]),
            amount=None if amount is None else Decimal(amount),
            before=doc.get("before"),
            after=doc.get("after"),
            base_snapshot=doc.get("base_snapshot"),
            snapshot=int(doc["snapshot"]),
            observed_at=datetime.fromisoformat(doc["observed_at"]),
        )

    def describe(self) -> str:
        """The event in words: ``10001234 made a first deposit: 250 USDT``."""
        amount = "" if self.amount is None else format(self.amount.normalize(), "f")
        quote = str((self.after or self.before or {}).get("quote") or "USDT").upper()
        words = {
            EventKind.NEW_INVITEE: "joined as a new invitee",
            EventKind.GONE: "is no longer an invitee",
            EventKind.FIRST_DEPOSIT: f"made a first deposit: {amount} {quote}",
            EventKind.DEPOSIT: f"deposited {amount} {quote}",
            EventKind.WITHDRAWAL: f"withdrew {amount} {quote}",
            EventKind.VOLUME_MILESTONE: f"crossed a trading volume of {amount}",
        }
        return f"{self.uid} {words[self.kind]}"


def event_id(
    kind: EventKind, dataset: str, key: Iterable[Any], base: int | None, target: int
) -> str:
    """A stable id: the same (kind, dataset, key, snapshots) always hashes alike."""
    text = json.dumps([kind.value, dataset, [str(k) for k in key], base, target])
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def observed_at(target: Snapshot) -> datetime:
    """When ``target`` was taken, in its series' server time zone (UTC if unknown)."""
    try:
        zone = ZoneInfo(target.series.server_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return target.taken_at
    return target.taken_at.astimezone(zone)


def _amount(values: Mapping[str, str | None] | None, name: str) -> Decimal:
    text = None if values is None else values.get(name)
    try:
        return Decimal(text) if text else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def _asset_events(change: Change, rules: EventRules) -> Iterator[tuple[EventKind, Decimal]]:
    before, after = change.before, change.after
    if after is None:
        return  # an assets record gone: the invitee list says who left
    deposit_before, deposit_after = (
        _amount(before, "total_deposit"),
        _amount(after, "total_deposit"),
    )
    first_time_appears = bool(after.get("first_deposit_time")) and not (
        before and before.get("first_deposit_time")
    )
    rise = deposit_after - deposit_before
    if (deposit_before <= 0 and deposit_after > 0) or (first_time_appears and rise > 0):
        first = _amount(after, "first_deposit_amount") or deposit_after
        if deposit_after >= rules.min_deposit and deposit_after > 0:
            yield EventKind.FIRST_DEPOSIT, first if deposit_before <= 0 else rise
    elif rise > 0 and rise >= rules.min_deposit:
        yield EventKind.DEPOSIT, rise
    withdrawn = _amount(after, "total_withdrawal") - _amount(before, "total_withdrawal")
    if withdrawn > 0:
        yield EventKind.WITHDRAWAL, withdrawn


def events_of(
    change: Change, base: Snapshot | None, target: Snapshot, rules: EventRules
) -> list[Event]:
    """The events one change implies (none for most changes of most datasets)."""
    found: list[tuple[EventKind, Decimal | None]] = []
    record_type = change.table.record_type
    if issubclass(record_type, Invitee):
        if change.kind is ChangeKind.NEW:
            found.append((EventKind.NEW_INVITEE, None))
        elif change.kind is ChangeKind.GONE:
            found.append((EventKind.GONE, None))
    elif issubclass(record_type, InviteeAsset):
        found.extend(_asset_events(change, rules))
    dataset = target.series.dataset
    quote = target.series.quote
    return [
        Event(
            id=event_id(kind, dataset, change.key, None if base is None else base.id, target.id),
            kind=kind,
            dataset=dataset,
            uid=change.uid,
            amount=amount,
            before=_with_quote(change.before, quote),
            after=_with_quote(change.after, quote),
            base_snapshot=None if base is None else base.id,
            snapshot=target.id,
            observed_at=observed_at(target),
        )
        for kind, amount in found
    ]


def _with_quote(values: Mapping[str, Any] | None, quote: str) -> dict[str, Any] | None:
    if values is None:
        return None
    return {**values, "quote": quote} if quote else dict(values)


def milestone_days(
    base: Snapshot | None, target: Snapshot, rules: EventRules
) -> tuple[tuple[date, date], tuple[date, date]] | None:
    """The two runs of ``rules.volume_days`` days whose volume sums a milestone compares
    (before: ending at ``base``'s last day; after: at ``target``'s), or None when there
    is nothing to compare (no milestone set, no base, a snapshot without a window)."""
    if rules.volume_milestone is None or base is None:
        return None
    if base.window_end is None or target.window_end is None:
        return None
    span = timedelta(days=rules.volume_days - 1)
    return (base.window_end - span, base.window_end), (target.window_end - span, target.window_end)


def milestones(
    before: Mapping[int, Decimal],
    after: Mapping[int, Decimal],
    base: Snapshot | None,
    target: Snapshot,
    rules: EventRules,
) -> list[Event]:
    """``volume_milestone`` events: uids whose volume over the last N days was below the
    threshold at ``base`` and is at or above it at ``target`` (sums by uid)."""
    threshold = rules.volume_milestone
    if threshold is None:
        return []
    dataset = target.series.dataset
    base_id = None if base is None else base.id
    events = []
    for uid in sorted(after):
        was, now = before.get(uid, Decimal(0)), after[uid]
        if was < threshold <= now:
            key = (uid, format(threshold, "f"), rules.volume_days)
            events.append(
                Event(
                    id=event_id(EventKind.VOLUME_MILESTONE, dataset, key, base_id, target.id),
                    kind=EventKind.VOLUME_MILESTONE,
                    dataset=dataset,
                    uid=uid,
                    amount=threshold,
                    before={"volume": format(was, "f"), "days": rules.volume_days},
                    after={"volume": format(now, "f"), "days": rules.volume_days},
                    base_snapshot=base_id,
                    snapshot=target.id,
                    observed_at=observed_at(target),
                )
            )
    return events
