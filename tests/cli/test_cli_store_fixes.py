"""Issue 21 #4 and #8 through the command line, in subprocesses: two sandbox syncs at once
record two simulated days (the second reads its day after the first committed);
``changes --since`` after the newest snapshot shows nothing; failed writes name the
output; an empty --out says it is empty."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from asset_client.cli.main import main
from asset_client.sandbox._data import SandboxData
from tests._store_helpers import expected_changes, rendered
from tests.cli.test_cli_store import FAST, cli

DEV_FULL = Path("/dev/full")


def _truth(day: int) -> dict[int, dict[str, str | None]]:
    pop = SandboxData(1, 3000, day).population("usdt")
    return {int(str(r["uid"])): rendered(r) for r in pop.records()}


def _snapshots(db: Path) -> list[tuple[int, int, int, int]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT id, new, changed, gone FROM snapshots ORDER BY id").fetchall()
    conn.close()
    return [tuple(row) for row in rows]


async def test_two_sandbox_syncs_at_once_record_two_days(tmp_path: Path) -> None:
    sync = ("sync", "--sandbox", "--db", "h.sqlite", "--dataset", "assets", "--wait", "60")
    first, second = await asyncio.gather(cli(tmp_path, *sync, *FAST), cli(tmp_path, *sync, *FAST))
    assert first.code == second.code == 0, first.stderr + second.stderr
    snapshots = _snapshots(tmp_path / "h.sqlite")
    want = expected_changes(_truth(0), _truth(1))
    counts = tuple(sum(1 for w in want if w[1] == k) for k in ("new", "changed", "gone"))
    assert [s[1:] for s in snapshots] == [(3000, 0, 0), counts]  # day 0, then day 1
    # ... and asking for changes since now, after the newest, shows none (#4)
    # Rounded up to the next whole second: "now" truncated could fall before the newest
    # snapshot's fractional taken_at and then (rightly) show its changes.
    since = (datetime.now(UTC) + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S")
    later = await cli(
        tmp_path, "changes", "--db", "h.sqlite", "--since", since, "--format", "jsonl"
    )
    assert later.code == 0 and later.stdout == "", later.stderr
    assert "0 changes" in later.stderr and "from #2" in later.stderr
    newest = await cli(tmp_path, "changes", "--db", "h.sqlite", "--since", "2", "--out", "-")
    assert newest.code == 0 and newest.stdout.splitlines()[1:] == [], newest.stderr


@pytest.mark.skipif(not DEV_FULL.exists(), reason="no /dev/full on this system")
def test_a_full_output_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["export", "--sandbox", *FAST, "--out", str(DEV_FULL)]) == 1
    err = capsys.readouterr().err
    assert "cannot write /dev/full: No space left on device" in err
    assert "the output on /dev/full is incomplete" in err and "stdout" not in err
    assert main(["sync", "--sandbox", *FAST, "--db", "h.sqlite", "--dataset", "invitees"]) == 0
    capsys.readouterr()
    invitees = ["--dataset", "invitees"]
    for command in (["changes", *invitees], ["snapshots"], ["history", "--uid", "1", *invitees]):
        code = main([*command, "--db", "h.sqlite", "--format", "csv", "--out", str(DEV_FULL)])
        err = capsys.readouterr().err
        assert code == 1 and "cannot write /dev/full: No space left on device" in err, err


def test_an_empty_out_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "h.sqlite").touch()
    for command in (
        ["export", "--sandbox"],
        ["report", "--sandbox"],
        ["changes", "--db", "h.sqlite"],
        ["snapshots", "--db", "h.sqlite"],
    ):
        assert main([*command, "--out", ""]) == 2
        err = capsys.readouterr().err
        assert "--out is empty: name a file, or - for stdout" in err, err
    assert json.dumps(sorted(p.name for p in tmp_path.iterdir())) == '["h.sqlite"]'
