"""``sync`` of all three datasets by default, and ``--dataset`` on the reading commands."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

from tests.cli.test_cli_store import FAST, cli


async def test_sync_records_all_three_datasets_and_each_reads_back(tmp_path: Path) -> None:
    for _ in range(2):
        result = await cli(tmp_path, "sync", "--sandbox", "--db", "h.sqlite", *FAST)
        assert result.code == 0, result.stderr
    lines = result.stderr.splitlines()[-3:]
    assert lines[0].startswith(
        "asset-client: snapshot #4 of assets usdt from sandbox (UTC) in h.sqlite:"
    )
    assert lines[1].startswith(
        "asset-client: snapshot #5 of invitees from sandbox (UTC) in h.sqlite:"
    )
    assert lines[2].startswith("asset-client: snapshot #6 of volume from sandbox (UTC)")
    assert "; days " in lines[2] and "volume=" in lines[2]

    # Default --dataset assets: the assets' changes, as before.
    assets = await cli(tmp_path, "changes", "--db", "h.sqlite")
    assert assets.stdout.startswith("uid,kind,before_total_deposit,")
    assert "of assets usdt from sandbox (UTC) from #1 " in assets.stderr

    invitees = await cli(
        tmp_path, "changes", "--db", "h.sqlite", "--dataset", "invitees", "--format", "jsonl"
    )
    assert invitees.code == 0, invitees.stderr
    rows = [json.loads(line) for line in invitees.stdout.splitlines()]
    with sqlite3.connect(tmp_path / "h.sqlite") as conn:
        joined = {
            uid: t
            for uid, t in conn.execute(
                "SELECT uid, register_time FROM invitees WHERE valid_from = 5"
            )
        }
        left = {uid for (uid,) in conn.execute("SELECT uid FROM invitees WHERE valid_to = 5")}
    assert joined and left
    assert {r["uid"]: r["after"] for r in rows if r["kind"] == "new"} == {
        u: {"register_time": t} for u, t in joined.items()
    }
    assert {r["uid"] for r in rows if r["kind"] == "gone"} == left
    assert all(r["before"] is None for r in rows if r["kind"] == "new")
    assert "from #2 " in invitees.stderr and "to #5 " in invitees.stderr

    volume = await cli(
        tmp_path, "changes", "--db", "h.sqlite", "--dataset", "volume", "--since", "3"
    )
    assert volume.code == 0, volume.stderr
    assert volume.stdout.splitlines()[0] == "uid,day,kind,before_volume,after_volume"

    snaps = await cli(tmp_path, "snapshots", "--db", "h.sqlite", "--dataset", "volume")
    table = list(csv.DictReader(io.StringIO(snaps.stdout)))
    assert [r["id"] for r in table] == ["3", "6"]
    assert table[1]["start_day"] == table[0]["end_day"]  # re-reads the day open then
    assert table[0]["total_volume"] and table[0]["start_day"] < table[0]["end_day"]

    with sqlite3.connect(tmp_path / "h.sqlite") as conn:
        uid, day, amount = conn.execute(
            "SELECT uid, day, volume FROM volume ORDER BY uid, day LIMIT 1"
        ).fetchone()
    history = await cli(
        tmp_path,
        "history",
        "--db",
        "h.sqlite",
        "--dataset",
        "volume",
        "--uid",
        str(uid),
        "--format",
        "jsonl",
    )
    first = json.loads(history.stdout.splitlines()[0])
    assert (first["uid"], first["day"], first["volume"], first["since_snapshot"]) == (
        uid,
        day,
        amount,
        3,
    )


async def test_one_dataset_and_bad_volume_windows(tmp_path: Path) -> None:
    only = await cli(
        tmp_path, "sync", "--sandbox", "--db", "h.sqlite", "--dataset", "invitees", *FAST
    )
    assert only.code == 0, only.stderr
    listed = await cli(tmp_path, "snapshots", "--db", "h.sqlite", "--dataset", "invitees")
    assert len(listed.stdout.splitlines()) == 2
    assert (await cli(tmp_path, "snapshots", "--db", "h.sqlite")).stdout.count("\n") == 1
    for bad, says in (
        (["--volume-days", "2", "--volume-start", "2026-11-01"], "--volume-days"),
        (["--volume-start", "2026-11-05", "--volume-end", "2026-11-01"], "--volume-start"),
        (["--volume-start", "2026-13-01"], "--volume-start"),
        (["--dataset", "trades"], "--dataset"),
    ):
        result = await cli(tmp_path, "sync", "--sandbox", "--db", "h.sqlite", *bad, *FAST)
        assert result.code == 2, result.stderr
        assert says in result.stderr
