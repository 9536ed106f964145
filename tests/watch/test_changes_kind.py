"""``changes --kind`` (the change kinds and the event kinds) agrees with the library's
`events_between` over the same two snapshots of the sandbox."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

import pytest

from asset_client.cli.main import main
from asset_client.store import SnapshotStore
from asset_client.watch import events_between, sync_once
from tests.watch._watch_helpers import small_target


async def _history(db: Path) -> dict[str, set[int]]:
    """Three sandbox days; the uids of each event kind between the last two."""
    async with await SnapshotStore.open(db) as store:
        for _ in range(3):
            await sync_once(small_target(), store)
        found: dict[str, set[int]] = {}
        for dataset in ("assets", "invitees"):
            base, target = await store.resolve(dataset=dataset)
            for event in await events_between(store, base, target):
                found.setdefault(event.kind.value, set()).add(event.uid)
    return found


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def test_changes_kind_lists_the_events_the_library_finds(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    expected = asyncio.run(_history(db))
    assert {"deposit", "withdrawal", "new_invitee", "gone"} <= set(expected)
    for kind, dataset in [
        ("first_deposit", "assets"),
        ("deposit", "assets"),
        ("withdrawal", "assets"),
        ("new_invitee", "invitees"),
        ("gone", "invitees"),
    ]:
        out = tmp_path / f"{kind}.csv"
        args = ["changes", "--db", str(db), "--dataset", dataset, "--kind", kind]
        assert main([*args, "--out", str(out)]) == 0
        rows = _rows(out)
        assert {r["kind"] for r in rows} <= {kind}
        assert {int(r["uid"]) for r in rows} == expected.get(kind, set()), kind
    both = tmp_path / "both.csv"
    args = ["changes", "--db", str(db), "--kind", "deposit", "--kind", "withdrawal"]
    assert main([*args, "--out", str(both)]) == 0
    assert len(_rows(both)) == len(expected["deposit"]) + len(expected["withdrawal"])


def test_a_volume_milestone_is_not_a_change_kind(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["changes", "--db", "x.sqlite", "--kind", "volume_milestone"]) == 2
    assert "--kind" in capsys.readouterr().err
