"""End to end: ``asset-client sync``, ``changes``, ``history``, ``snapshots`` in a subprocess.

``sync --sandbox`` serves the demo data one simulated day later per sandbox snapshot
already in the file, so the ground truth of two syncs is `SandboxData(1, 3000, day)`.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import shlex
import signal
import sqlite3
import sys
from decimal import Decimal
from pathlib import Path

import attrs

from asset_client.sandbox import FaultConfig, SandboxConfig, run_sandbox
from asset_client.sandbox._data import SandboxData
from tests._helpers import env_without_keys, start_cli
from tests._store_helpers import expected_changes, rendered
from tests.conftest import SECRET

FAST = ["--rate", "50/0.1"]
FIELDS = (
    "total_deposit",
    "total_withdrawal",
    "current_balance",
    "update_time",
    "first_deposit_amount",
    "first_deposit_time",
)


@attrs.frozen
class Result:
    code: int
    stdout: str
    stderr: str


def _env(api_key: str | None = None) -> dict[str, str]:
    env = env_without_keys()
    if api_key is not None:
        env |= {"COINW_API_KEY": api_key, "COINW_SECRET_KEY": SECRET}
    return env


async def cli(cwd: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    proc = await start_cli(cwd, *args, env=_env() if env is None else env)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode is not None
    return Result(proc.returncode, out.decode(), err.decode())


def _truth(day: int) -> dict[int, dict[str, str | None]]:
    pop = SandboxData(1, 3000, day).population("usdt")
    return {int(str(r["uid"])): rendered(r) for r in pop.records()}


async def _two_syncs(cwd: Path) -> list[Result]:
    results = [
        await cli(cwd, "sync", "--sandbox", "--db", "h.sqlite", "--dataset", "assets", *FAST)
        for _ in range(2)
    ]
    for result in results:
        assert result.code == 0, result.stderr
    return results


async def test_two_syncs_then_changes_as_csv_and_jsonl(tmp_path: Path) -> None:
    first, second = await _two_syncs(tmp_path)
    want = expected_changes(_truth(0), _truth(1))
    counts = {k: sum(1 for w in want if w[1] == k) for k in ("new", "changed", "gone")}
    assert first.stderr.splitlines()[-1].startswith(
        "asset-client: snapshot #1 of assets usdt from sandbox (UTC) in h.sqlite: 3000 records, "
        "3000 new, 0 changed, 0 gone; sums: total_deposit="
    )
    assert (
        f"{len(_truth(1))} records, {counts['new']} new, {counts['changed']} changed, "
        f"{counts['gone']} gone" in second.stderr
    )

    as_csv = await cli(tmp_path, "changes", "--db", "h.sqlite")
    assert as_csv.code == 0, as_csv.stderr
    rows = list(csv.reader(io.StringIO(as_csv.stdout)))
    assert rows[0] == [
        "uid",
        "kind",
        *(f"before_{f}" for f in FIELDS),
        *(f"after_{f}" for f in FIELDS),
    ]
    empty = [""] * len(FIELDS)
    assert rows[1:] == [
        [
            str(uid),
            kind,
            *(empty if old is None else ["" if v is None else v for v in old.values()]),
            *(empty if new is None else ["" if v is None else v for v in new.values()]),
        ]
        for uid, kind, old, new in want
    ]
    assert as_csv.stderr.strip().startswith(
        f"asset-client: {len(want)} changes ({counts['new']} new, {counts['changed']} changed, "
        f"{counts['gone']} gone) of assets usdt from sandbox (UTC) from #1 ("
    )

    as_jsonl = await cli(tmp_path, "changes", "--db", "h.sqlite", "--out", "c.jsonl")
    assert as_jsonl.code == 0 and as_jsonl.stdout == "", as_jsonl.stderr
    lines = [json.loads(line) for line in (tmp_path / "c.jsonl").read_text().splitlines()]
    assert lines == [
        {"uid": uid, "kind": kind, "before": old, "after": new} for uid, kind, old, new in want
    ]
    assert not list(tmp_path.glob(".*"))  # noqa: ASYNC240 - no partial file left behind


async def test_snapshots_and_history(tmp_path: Path) -> None:
    await _two_syncs(tmp_path)
    listed = await cli(tmp_path, "snapshots", "--db", "h.sqlite", "--format", "jsonl")
    assert listed.code == 0, listed.stderr
    snaps = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(s["id"], s["status"], s["source"], s["quote"], s["records"]) for s in snaps] == [
        (1, "complete", "sandbox", "usdt", 3000),
        (2, "complete", "sandbox", "usdt", len(_truth(1))),
    ]
    assert snaps[1]["total_deposit"] == str(
        sum((Decimal(str(r["total_deposit"])) for r in _truth(1).values()), Decimal(0))
    )
    assert snaps[0]["taken_at"].endswith("+00:00")

    changed = next(w for w in expected_changes(_truth(0), _truth(1)) if w[1] == "changed")
    history = await cli(tmp_path, "history", "--db", "h.sqlite", "--uid", str(changed[0]))
    assert history.code == 0, history.stderr
    rows = list(csv.DictReader(io.StringIO(history.stdout)))
    assert [(r["since_snapshot"], r["until_snapshot"]) for r in rows] == [("1", "2"), ("2", "")]
    assert [{f: r[f] or None for f in FIELDS} for r in rows] == [changed[2], changed[3]]
    assert rows[0]["series"] == "assets usdt from sandbox (UTC)"


async def test_since_a_snapshot_or_a_date(tmp_path: Path) -> None:
    await _two_syncs(tmp_path)
    by_id = await cli(tmp_path, "changes", "--db", "h.sqlite", "--since", "1")
    default = await cli(tmp_path, "changes", "--db", "h.sqlite")
    assert by_id.stdout == default.stdout and by_id.code == 0
    too_early = await cli(tmp_path, "changes", "--db", "h.sqlite", "--since", "2020-01-01")
    assert too_early.code == 2
    assert too_early.stderr.count("\n") == 1
    assert (
        "no snapshot of assets usdt from sandbox (UTC) taken at or before 2020-01-01T00:00:00+00:00"
        in too_early.stderr
    )
    bad = await cli(tmp_path, "changes", "--db", "h.sqlite", "--since", "yesterday")
    assert bad.code == 2 and "must be a snapshot id, a date like 2026-11-26" in bad.stderr


async def test_bad_databases_fail_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a database\n" * 100)
    for command in (["sync", "--sandbox", *FAST], ["changes"], ["history", "--uid", "1"]):
        result = await cli(tmp_path, *command, "--db", "notes.txt")
        assert result.code == 2, result.stderr
        assert result.stderr == "asset-client: error: notes.txt is not a SQLite database\n"
    missing = await cli(tmp_path, "snapshots", "--db", "none.sqlite")
    assert missing.code == 1
    assert missing.stderr == (
        "asset-client: error: no history database at none.sqlite (run asset-client sync first)\n"
    )
    assert not (tmp_path / "none.sqlite").exists()


async def test_a_sync_while_another_holds_the_file_exits_1(tmp_path: Path) -> None:
    await cli(tmp_path, "sync", "--sandbox", "--db", "h.sqlite", *FAST)
    holder = sqlite3.connect(tmp_path / "h.sqlite", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = await cli(tmp_path, "sync", "--sandbox", "--db", "h.sqlite", "--wait", "0", *FAST)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.code == 1
    assert result.stderr == (
        "asset-client: error: h.sqlite is locked by another sync; try again when it has finished\n"
    )


async def test_sigint_mid_sync_records_nothing_and_exits_130(tmp_path: Path) -> None:
    key = "store-cli-sigint-key"
    config = SandboxConfig(
        invitees=1000,
        api_key=key,
        secret_key=SECRET,
        rate_limit=50,
        window=0.1,
        faults=FaultConfig(latency=0.05),
    )
    async with run_sandbox(config) as sb:
        args = ["sync", "--db", "h.sqlite", "--base-url", sb.base_url, *FAST]
        first = await cli(tmp_path, *args, env=_env(key))
        assert first.code == 0, first.stderr
        proc = await start_cli(tmp_path, *args, "--page-size", "10", env=_env(key))
        requests_before = len(sb.stats.requests)
        async with asyncio.timeout(30):  # poll the server: the walk is well under way
            while len(sb.stats.requests) < requests_before + 10:
                assert proc.returncode is None
                await asyncio.sleep(0.01)
        proc.send_signal(signal.SIGINT)
        _, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    assert proc.returncode == 130, err.decode()
    assert err.decode().splitlines()[-1] == (
        "asset-client: interrupted; nothing recorded, the earlier snapshots in h.sqlite are intact"
    )
    listed = await cli(tmp_path, "snapshots", "--db", "h.sqlite", "--format", "jsonl")
    snaps = [json.loads(line) for line in listed.stdout.splitlines()]
    # One sync = one snapshot of each dataset (#1-#3); the interrupted one is noted
    # for each of them (#4-#6), none holding records.
    assert [(s["id"], s["status"]) for s in snaps] == [(1, "complete"), (4, "interrupted")]
    for dataset, ids in (("invitees", (2, 5)), ("volume", (3, 6))):
        listed = await cli(
            tmp_path, "snapshots", "--db", "h.sqlite", "--format", "jsonl", "--dataset", dataset
        )
        snaps = [json.loads(line) for line in listed.stdout.splitlines()]
        assert [(s["id"], s["status"]) for s in snaps] == [
            (ids[0], "complete"),
            (ids[1], "interrupted"),
        ]
    assert snaps[0]["source"] == sb.base_url


async def test_sync_needs_credentials_unless_sandbox(tmp_path: Path) -> None:
    result = await cli(tmp_path, "sync", "--db", "h.sqlite")
    assert result.code == 2
    assert "no credentials: set COINW_API_KEY and COINW_SECRET_KEY" in result.stderr
    assert not (tmp_path / "h.sqlite").exists()


async def test_a_refused_key_exits_3_and_records_nothing(tmp_path: Path) -> None:
    key = "store-cli-auth-key"
    config = SandboxConfig(invitees=100, api_key=key, secret_key=SECRET, rate_limit=50, window=0.1)
    async with run_sandbox(config) as sb:
        env = _env(key) | {"COINW_SECRET_KEY": "not-the-secret"}
        result = await cli(
            tmp_path, "sync", "--db", "h.sqlite", "--base-url", sb.base_url, *FAST, env=env
        )
    assert result.code == 3, result.stderr
    assert result.stderr.count("\n") == 1 and "AuthenticationError" in result.stderr
    assert "not-the-secret" not in result.stderr
    listed = await cli(tmp_path, "snapshots", "--db", "h.sqlite", "--format", "jsonl")
    (snap,) = [json.loads(line) for line in listed.stdout.splitlines()]
    assert (snap["status"], snap["records"]) == ("failed", None)
    assert snap["error"].startswith("AuthenticationError")
    assert b"not-the-secret" not in (tmp_path / "h.sqlite").read_bytes()


async def test_a_closed_pipe_ends_changes_quietly_with_141(tmp_path: Path) -> None:
    await cli(tmp_path, "sync", "--sandbox", "--db", "h.sqlite", *FAST)
    # The first snapshot against nothing: 3000 "new" lines, far more than a pipe holds.
    command = [sys.executable, "-m", "asset_client", "changes", "--db", "h.sqlite"]
    script = (
        f"{shlex.join([*command, '--format', 'jsonl'])} 2>err.txt | head -n 1 >/dev/null; "
        'echo "${PIPESTATUS[0]}" > status.txt'
    )
    proc = await asyncio.create_subprocess_exec("bash", "-c", script, cwd=tmp_path, env=_env())
    await asyncio.wait_for(proc.wait(), timeout=60)
    assert (tmp_path / "status.txt").read_text().strip() == "141"
    assert (tmp_path / "err.txt").read_text() == ""
