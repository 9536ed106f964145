"""The invitee list and daily volume in the history: sync, changes, history (real SQLite).

Ground truth comes from walking the same sandbox with the public client; the store's
current rows must equal it, and a failure in any walk must leave nothing of that sync.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from asset_client import AssetClient, RateLimit
from asset_client.core.retry import RetryPolicy
from asset_client.endpoints import ENDPOINTS
from asset_client.records import DailyVolume
from asset_client.sandbox import SandboxConfig, run_sandbox
from asset_client.sandbox._faults import Fault, FaultConfig
from asset_client.store import ChangeKind, Series, SnapshotStatus, SnapshotStore, StoreError
from tests._store_helpers import INVITEES, SEED, config
from tests.conftest import SECRET

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
VOLUME = Series(dataset="volume", source="sandbox", quote="")
INVITEE_SERIES = Series(dataset="invitees", source="sandbox", quote="")


#: The dataset each sandbox path serves.
_DATASET_AT = {endpoint.path: name for name, endpoint in ENDPOINTS.items()}


def _config(api_key: str, days: int = 0, faults: FaultConfig | None = None) -> SandboxConfig:
    base = config(api_key, days)
    return SandboxConfig(
        invitees=base.invitees,
        seed=SEED,
        days=days,
        api_key=api_key,
        secret_key=SECRET,
        rate_limit=50,
        window=0.1,
        faults=faults or FaultConfig(),
        partner_now=lambda: NOW.replace(tzinfo=None),
    )


def _client(api_key: str, base_url: str) -> AssetClient:
    return AssetClient(
        api_key,
        SECRET,
        base_url=base_url,
        rate_limit=RateLimit(requests=50, period=0.1, margin=0.0025),
        retry_policy=RetryPolicy(max_retries=0),
    )


async def _truth(
    api_key: str, days: int, start: date, end: date
) -> tuple[dict[int, str], dict[tuple[int, str], str]]:
    """The invitee list and the volumes of [start, end] as the public client walks them."""
    async with run_sandbox(_config(api_key, days)) as sb, _client(api_key, sb.base_url) as client:
        invitees = {i.uid: i.register_time.isoformat() async for i in client.iter_invitees()}
        volumes = {
            (v.uid, v.day.isoformat()): f"{v.volume:f}"
            async for v in client.iter_trading_volume(start_date=start, end_date=end)
        }
    return invitees, volumes


async def _sync(store: SnapshotStore, api_key: str, days: int, **kwargs: Any) -> dict[str, Any]:
    async with run_sandbox(_config(api_key, days)) as sb, _client(api_key, sb.base_url) as client:
        snaps = await store.sync_datasets(client, source="sandbox", now=NOW, **kwargs)
        return {str(name): snap for name, snap in snaps.items()}


def _current(db: Path, sql: str) -> dict[Any, str]:
    with sqlite3.connect(db) as conn:
        return {tuple(r[:-1]) if len(r) > 2 else r[0]: r[-1] for r in conn.execute(sql)}


async def test_one_sync_records_assets_invitees_and_volume_as_the_client_walks_them(
    tmp_path: Path, api_key: str
) -> None:
    db = tmp_path / "h.sqlite"
    async with await SnapshotStore.open(db) as store:
        snaps = await _sync(store, api_key, 0)
    assert list(snaps) == ["assets", "invitees", "volume"]
    assert [s.id for s in snaps.values()] == [1, 2, 3]
    window = (NOW.date() - timedelta(days=30), NOW.date())
    assert (snaps["volume"].window_start, snaps["volume"].window_end) == window
    invitees, volumes = await _truth(api_key, 0, *window)
    assert snaps["assets"].records == INVITEES
    assert snaps["invitees"].records == len(invitees) == snaps["invitees"].new
    assert snaps["volume"].records == len(volumes) > 0
    assert snaps["volume"].total_volume == sum((Decimal(v) for v in volumes.values()), Decimal(0))
    stored_invitees = _current(db, "SELECT uid, register_time FROM invitees WHERE valid_to IS NULL")
    assert stored_invitees == invitees
    stored_volume = _current(db, "SELECT uid, day, volume FROM volume WHERE valid_to IS NULL")
    assert stored_volume == volumes


async def test_a_second_day_records_who_joined_and_left_and_changes_say_so(
    tmp_path: Path, api_key: str
) -> None:
    db = tmp_path / "h.sqlite"
    async with await SnapshotStore.open(db) as store:
        await _sync(store, api_key, 0, datasets=("invitees",))
        second = await _sync(store, api_key, 1, datasets=("invitees",))
        changes = [c async for c in store.changes(dataset="invitees")]
        # "Who registered since the last sync?"
        joined = {c.uid: c.after for c in changes if c.kind is ChangeKind.NEW}
    before, _ = await _truth(api_key, 0, NOW.date(), NOW.date())
    after, _ = await _truth(api_key, 1, NOW.date(), NOW.date())
    assert joined == {u: {"register_time": after[u]} for u in after.keys() - before.keys()}
    assert joined, "the sandbox's day 1 has new invitees"
    gone = {c.uid for c in changes if c.kind is ChangeKind.GONE}
    assert gone == before.keys() - after.keys()
    assert second["invitees"].new == len(joined) and second["invitees"].gone == len(gone)
    with sqlite3.connect(db) as conn:
        (rows,) = conn.execute("SELECT count(*) FROM invitees").fetchone()
    assert rows == len(before) + len(joined)  # unchanged invitees are not stored again


async def _days(*rows: tuple[int, date, str]) -> AsyncIterator[DailyVolume]:
    for uid, day, volume in rows:
        yield DailyVolume(uid, day, Decimal(volume))


D1, D2, D3 = date(2026, 11, 25), date(2026, 11, 26), date(2026, 11, 27)


async def test_volume_rows_outside_the_window_stay_and_only_changed_days_are_stored(
    tmp_path: Path,
) -> None:
    db = tmp_path / "h.sqlite"
    async with await SnapshotStore.open(db) as store:
        first = await store.record(
            _days((1, D1, "10.5"), (1, D2, "3"), (2, D2, "7.00")), VOLUME, window=(D1, D2)
        )
        assert (first.records, first.new, first.total_volume) == (3, 3, Decimal("20.50"))
        # The next day: D2 was still open and grew for uid 1, uid 2's D2 was revised
        # away, D3 is new.  D1 is outside the window: kept, not gone.
        second = await store.record(_days((1, D3, "1"), (1, D2, "4")), VOLUME, window=(D2, D3))
        assert (second.new, second.changed, second.gone) == (1, 1, 1)
        changes = [
            (c.uid, c.day, c.kind, c.before, c.after) async for c in store.changes(dataset="volume")
        ]
        history = await store.history(1, dataset="volume")
    assert changes == [
        (1, D2, ChangeKind.CHANGED, {"volume": "3"}, {"volume": "4"}),
        (1, D3, ChangeKind.NEW, None, {"volume": "1"}),
        (2, D2, ChangeKind.GONE, {"volume": "7.00"}, None),
    ]
    assert [(e.day, e.since, e.until, e.values["volume"]) for e in history] == [
        (D1, first.id, None, "10.5"),
        (D2, first.id, second.id, "3"),
        (D2, second.id, None, "4"),
        (D3, second.id, None, "1"),
    ]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM volume").fetchone() == (5,)
        assert conn.execute("SELECT count(*) FROM sync_seen_volume").fetchone() == (0,)


async def test_the_default_volume_window_starts_at_the_day_open_at_the_last_sync(
    tmp_path: Path, api_key: str
) -> None:
    db = tmp_path / "h.sqlite"
    async with await SnapshotStore.open(db) as store:
        first = await _sync(store, api_key, 0, datasets=("volume",))
        async with run_sandbox(_config(api_key)) as sb, _client(api_key, sb.base_url) as client:
            later = NOW + timedelta(days=2)
            second = await store.sync(client, dataset="volume", source="sandbox", now=later)
            explicit = await store.sync(
                client, dataset="volume", source="sandbox", volume_days=1, now=later
            )
    assert first["volume"].window_start == NOW.date() - timedelta(days=30)
    assert (second.window_start, second.window_end) == (NOW.date(), later.date())
    assert (explicit.window_start, explicit.window_end) == (
        later.date() - timedelta(days=1),
        later.date(),
    )
    # The same data again: nothing new stored, nothing gone.
    assert (second.new, second.changed, second.gone) == (0, 0, 0)


@pytest.mark.parametrize("fail_at", [2, 4, 5])
async def test_a_failing_walk_keeps_nothing_of_that_sync(
    tmp_path: Path, api_key: str, fail_at: int
) -> None:
    db = tmp_path / "h.sqlite"
    async with await SnapshotStore.open(db) as store:
        kept = await _sync(store, api_key, 0)
        # 1200 invitees, pages of 1000: 2 assets, 2 invitees and 1 volume request (one day),
        # at once; the one that fails is whichever walk's request came ``fail_at``th.
        faults = FaultConfig(script={fail_at: Fault.CODE_500})
        async with (
            run_sandbox(_config(api_key, 1, faults)) as sb,
            _client(api_key, sb.base_url) as client,
        ):
            with pytest.raises(Exception) as failure:
                await store.sync_datasets(client, source="sandbox", now=NOW)
            walk = _DATASET_AT[sb.stats.requests[fail_at - 1].path]
        assert not isinstance(failure.value, StoreError)
        snapshots = await store.snapshots()
    complete = [s.id for s in snapshots if s.status is SnapshotStatus.COMPLETE]
    assert complete == [s.id for s in kept.values()]
    failed = [s for s in snapshots if s.status is SnapshotStatus.FAILED]
    assert {s.series.dataset for s in failed} == {"assets", "invitees", "volume"}
    assert all(f"in the {walk} walk" in (s.error or "") for s in failed)
    with sqlite3.connect(db) as conn:
        for table in ("assets", "invitees", "volume"):
            (late,) = conn.execute(
                f"SELECT count(*) FROM {table} WHERE valid_from > ? OR valid_to IS NOT NULL",  # noqa: S608
                (max(complete),),
            ).fetchone()
            assert late == 0, table
        assert conn.execute("SELECT count(*) FROM sync_seen_invitees").fetchone() == (0,)


async def test_bad_dataset_and_window_arguments_fail_before_any_request(
    tmp_path: Path, api_key: str
) -> None:
    async with await SnapshotStore.open(tmp_path / "h.sqlite") as store:
        async with run_sandbox(_config(api_key)) as sb, _client(api_key, sb.base_url) as client:
            with pytest.raises(ValueError, match="'trades'"):
                await store.sync_datasets(client, datasets=("trades",))  # type: ignore[arg-type]
            with pytest.raises(ValueError, match="volume_days"):
                await store.sync(client, dataset="volume", volume_days=2, start_date=D1)
            with pytest.raises(ValueError, match="page_size"):
                await store.sync_datasets(client, page_size=5000)
            with pytest.raises(ValueError, match="start_date '2026-11-27' is after"):
                await store.sync(client, dataset="volume", start_date=D3, end_date=D1)
            assert sb.stats.requests == []
        assert await store.snapshots() == []


async def test_a_volume_change_is_not_read_as_an_asset(tmp_path: Path) -> None:
    async with await SnapshotStore.open(tmp_path / "h.sqlite") as store:
        await store.record(_days((1, D1, "2")), VOLUME, window=(D1, D1))
        [change] = [c async for c in store.changes(dataset="volume", quote="usdt")]
        [entry] = await store.history(1, dataset="volume")
    assert change.after == entry.values == {"volume": "2"}
    with pytest.raises(ValueError, match=r"not an assets record .*volume"):
        _ = change.after_asset
    with pytest.raises(ValueError, match="not an assets record"):
        _ = entry.asset
