"""Issue 21 #9: sync, changes, history and snapshots take export's conventions (--quiet,
--log-format json, --summary-json for sync, --proxy, --file-mode) and a usage error prints
the subcommand's own usage.  In-process `main`, on one real history made by one sync."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from asset_client.cli.main import main

FAST = ["--rate", "50/0.1"]
READERS = (
    ["changes", "--dataset", "invitees"],
    ["history", "--dataset", "invitees", "--uid", "1"],
    ["snapshots"],
)


@pytest.fixture
def history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    old = os.umask(0o022)
    try:
        sync = ["sync", "--sandbox", *FAST, "--db", "h.sqlite", "--dataset", "invitees"]
        assert main([*sync, "--quiet", "--file-mode", "640", "--summary-json", "s.json"]) == 0
        yield tmp_path / "h.sqlite"
    finally:
        os.umask(old)


def test_sync_quiet_file_mode_and_summary_json(
    history: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert capsys.readouterr().err == ""  # --quiet: nothing on success
    assert stat.S_IMODE(history.stat().st_mode) == 0o640  # --file-mode widened the new file
    doc = json.loads((history.parent / "s.json").read_text())
    assert doc["status"] == "ok" and doc["exit_status"] == 0
    (snapshot,) = doc["snapshots"]
    assert snapshot["dataset"] == "invitees" and snapshot["records"] > 0
    assert snapshot["sums"] == {}  # the invitee list is a count


@pytest.mark.parametrize("command", READERS)
def test_readers_are_quiet_log_json_and_write_owner_only_files(
    history: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    capsys.readouterr()
    base = [*command, "--db", str(history)]
    assert main([*base, "--quiet", "--out", "-"]) == 0
    assert capsys.readouterr().err == ""
    assert main([*base, "--log-format", "json", "--out", "-"]) == 0
    lines = capsys.readouterr().err.splitlines()
    assert all(isinstance(json.loads(line), dict) for line in lines)  # snapshots: none
    missing = [*command, "--db", str(history.parent / "missing.sqlite"), "--log-format", "json"]
    assert main(missing) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert "no history database" in json.loads(line)["message"]
    out = history.parent / f"{command[0]}.csv"
    assert main([*base, "--quiet", "--out", str(out)]) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    wide = history.parent / f"{command[0]}-wide.csv"
    assert main([*base, "--quiet", "--file-mode", "644", "--out", str(wide)]) == 0
    assert stat.S_IMODE(wide.stat().st_mode) == 0o644


@pytest.mark.parametrize("command", ["sync", "changes", "history", "snapshots"])
def test_a_usage_error_prints_the_subcommands_usage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    assert main([command, "--db", str(tmp_path / "h.sqlite"), "--quiet", "--no-such-option"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"usage: asset-client {command} ")
    assert f"asset-client {command}: error: " in err


def test_sync_takes_proxy_as_export_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for command, target in (("export", "a.csv"), ("sync", "h.sqlite")):
        flag = "--out" if command == "export" else "--db"
        args = [command, "--sandbox", flag, target, "--proxy", "http://u:pw@127.0.0.1:9"]
        assert main(args) == 2
        err = capsys.readouterr().err
        assert "--proxy has no use with --sandbox" in err and "pw" not in err
    assert list(tmp_path.iterdir()) == []


def test_each_walks_progress_names_its_dataset_and_counts_its_own_requests(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 21 #11: a plain progress line per walk (stderr is no terminal here)."""
    monkeypatch.chdir(tmp_path)
    sync = ["sync", "--sandbox", *FAST, "--db", "h.sqlite", "--page-size", "500"]
    assert main([*sync, "--log-format", "json", "--summary-json", "s.json"]) == 0
    docs = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    progress = [d for d in docs if d["kind"] == "progress"]
    snapshots = json.loads((tmp_path / "s.json").read_text())["snapshots"]
    assert [s["dataset"] for s in snapshots] == ["assets", "invitees", "volume"]
    for snapshot in snapshots:
        mine = [p for p in progress if p["dataset"] == snapshot["dataset"]]
        assert mine, progress
        assert all(f"progress: {snapshot['dataset']}: " in p["message"] for p in mine)
        # this walk's requests, not the run's so far
        assert 1 <= max(p["requests"] for p in mine) <= snapshot["requests"]
        assert max(p["records"] for p in mine) <= snapshot["records"]
