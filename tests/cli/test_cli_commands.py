"""The command line's shape: one module per command, the shared options declared once and
taken by every command that sends requests (sync included), the reading commands'
conventions, one name per dataset, help that names the whole partner API, and usage
errors that show the misused command's own usage."""

from __future__ import annotations

import argparse
import ast
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from asset_client.cli import options
from asset_client.cli.main import COMMANDS, build_parser, main
from asset_client.endpoints import ENDPOINTS
from tests.cli.test_cli_store import FAST, cli

SENDING = ("export", "report", "sync", "verify")
READING = ("changes", "history", "snapshots")
CLI_DIR = Path(options.__file__).parent


def _commands() -> dict[str, argparse.ArgumentParser]:
    [subparsers] = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(subparsers.choices)


def _option_strings(parser: argparse.ArgumentParser) -> set[str]:
    return {option for action in parser._actions for option in action.option_strings}


def _dataset_choices(parser: argparse.ArgumentParser) -> tuple[str, ...]:
    [action] = [a for a in parser._actions if "--dataset" in a.option_strings]
    assert action.choices is not None
    return tuple(action.choices)


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)  # the common default, inherited by the subprocess
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


# -- the shape ------------------------------------------------------------------------------


def test_every_command_that_sends_requests_takes_the_same_request_options() -> None:
    shared = argparse.ArgumentParser()
    options.add_request_options(shared)
    request_options = _option_strings(shared) - {"-h", "--help"}
    assert {"--proxy", "--log-format", "--quiet", "--summary-json", "--file-mode"} <= (
        request_options
    )
    commands = _commands()
    for name in SENDING:
        missing = request_options - _option_strings(commands[name])
        assert not missing, f"{name} lacks {sorted(missing)}"


def test_the_reading_commands_take_the_logging_and_file_conventions() -> None:
    commands = _commands()
    for name in READING:
        taken = _option_strings(commands[name])
        for option in ("--quiet", "-q", "--log-format", "--debug", "--file-mode", "--out"):
            assert option in taken, f"{name} lacks {option}"


def test_one_name_per_dataset_in_every_command() -> None:
    names = tuple(ENDPOINTS)
    assert names == ("assets", "invitees", "volume")
    commands = _commands()
    for name in ("export", "sync", *READING):
        assert _dataset_choices(commands[name]) == names, name


def test_help_names_the_whole_partner_api(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    top = " ".join(capsys.readouterr().out.split())
    for part in ("assets", "invited user list", "trading volume"):
        assert part in top
    for command in COMMANDS.values():
        text = " ".join(command.description.split())
        assert "invite" in text and "volume" in text, command.name
        assert "assets" in text or "deposits" in text, command.name


def test_no_command_imports_another_or_the_registry() -> None:
    modules = {f"asset_client.cli.{path.stem}" for path in CLI_DIR.glob("*.py")}
    commands = {f"asset_client.cli.{name}" for name in COMMANDS}
    assert commands <= modules  # one module per command, named as the command
    for module in commands:
        tree = ast.parse((CLI_DIR / f"{module.rsplit('.', 1)[1]}.py").read_text())
        imported = set()
        for node in ast.walk(tree):  # lazy (function-level) imports included
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
                imported.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
        others = (commands - {module}) | {"asset_client.cli.main"}
        assert not imported & others, f"{module} imports {sorted(imported & others)}"


# -- usage errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["sync", "--db", "h.sqlite", "--bogus"],
        ["sync", "--db", "h.sqlite", "--page-size", "0"],
        ["changes", "--db", "h.sqlite", "--nope"],
        ["snapshots", "--db", "h.sqlite", "--log-format", "xml"],
        ["export", "--out", "x.csv", "--bogus"],
    ],
)
def test_a_usage_error_prints_the_commands_own_usage(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"usage: asset-client {argv[0]} ")
    assert f"asset-client {argv[0]}: error: " in err


def test_sync_takes_quiet_and_proxy_like_export(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    argv = ["--quiet", "--sandbox", "--proxy", "http://proxy.example:3128"]
    assert main(["sync", "--db", "h.sqlite", *argv]) == 2
    err = capsys.readouterr().err
    assert err.strip() == (
        "asset-client: error: --proxy has no use with --sandbox: the sandbox runs on this machine"
    )
    assert main(["sync", "--db", "h.sqlite", "--proxy", "socks5://proxy.example:1080"]) == 2
    assert "argument --proxy: must be an http:// or https:// URL" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())  # refused before any file


# -- the conventions, end to end ------------------------------------------------------------


async def test_sync_quiet_summary_json_and_file_mode(tmp_path: Path, umask_022: None) -> None:
    args = ["sync", "--sandbox", "--db", "h.sqlite", *FAST]
    first = await cli(tmp_path, *args, "--quiet", "--summary-json", "s.json", "--file-mode", "640")
    assert first.code == 0 and first.stderr == "", first.stderr
    assert _mode(tmp_path / "h.sqlite") == 0o640
    doc = json.loads((tmp_path / "s.json").read_text())
    assert (doc["status"], doc["exit_status"], doc["complete"]) == ("ok", 0, True)
    assert doc["database"] == "h.sqlite" and doc["requests"] > 0 and doc["error"] is None
    by_dataset = {s["dataset"]: s for s in doc["snapshots"]}
    assert list(by_dataset) == ["assets", "invitees", "volume"]
    # Each dataset carries its own sums, and no field that does not apply.
    assert set(by_dataset["assets"]["sums"]) == {
        "total_deposit",
        "total_withdrawal",
        "current_balance",
    }
    assert by_dataset["invitees"]["sums"] == {}
    assert set(by_dataset["volume"]["sums"]) == {"total_volume"}
    assert by_dataset["volume"]["start_day"] <= by_dataset["volume"]["end_day"]
    assert by_dataset["assets"]["records"] == 3000 == by_dataset["assets"]["new"]

    second = await cli(tmp_path, *args, "--log-format", "json", "--summary-json", "-")
    assert second.code == 0, second.stderr
    lines = [json.loads(line) for line in second.stderr.splitlines()]  # every line is JSON
    summaries = [d["message"] for d in lines if d["kind"] == "summary"]
    assert [m.split(" of ")[0] for m in summaries] == [
        "asset-client: snapshot #4",
        "asset-client: snapshot #5",
        "asset-client: snapshot #6",
    ]
    assert json.loads(second.stdout)["snapshots"][0]["id"] == 4

    # Owner-only by default, -wal and -shm alike (SQLite gives them the file's mode).
    alone = await cli(tmp_path, *args[:2], "--db", "new.sqlite", "--dataset", "invitees", *FAST)
    assert alone.code == 0, alone.stderr
    assert _mode(tmp_path / "new.sqlite") == 0o600


async def test_sync_summary_json_on_failure(tmp_path: Path) -> None:
    result = await cli(tmp_path, "sync", "--db", "h.sqlite", "--summary-json", "-")
    assert result.code == 2
    doc = json.loads(result.stdout)
    assert (doc["status"], doc["exit_status"], doc["complete"]) == ("failed", 2, False)
    assert doc["snapshots"] == [] and doc["requests"] == 0
    assert doc["error"].startswith("asset-client: error: no credentials")


async def test_reading_commands_quiet_json_and_file_mode(tmp_path: Path, umask_022: None) -> None:
    synced = await cli(tmp_path, "sync", "--sandbox", "--db", "h.sqlite", "--quiet", *FAST)
    assert synced.code == 0, synced.stderr
    changes = await cli(
        tmp_path,
        "changes",
        "--db",
        "h.sqlite",
        "--out",
        "c.csv",
        "--file-mode",
        "640",
        "--log-format",
        "json",
    )
    assert changes.code == 0, changes.stderr
    assert _mode(tmp_path / "c.csv") == 0o640
    [summary] = [json.loads(line) for line in changes.stderr.splitlines()]
    assert summary["kind"] == "summary" and "3000 changes (3000 new" in summary["message"]
    quiet = await cli(tmp_path, "changes", "--db", "h.sqlite", "--quiet", "--dataset", "volume")
    assert quiet.code == 0 and quiet.stderr == "" and quiet.stdout.startswith("uid,day,kind,")
    missing = await cli(tmp_path, "history", "--db", "h.sqlite", "--uid", "1", "-q")
    assert missing.code == 0 and missing.stderr == "" and missing.stdout.startswith("uid,")
    said = await cli(tmp_path, "history", "--db", "h.sqlite", "--uid", "1", "--dataset", "volume")
    assert said.stderr == "asset-client: uid 1 is in no snapshot of volume in h.sqlite\n"
    failed = await cli(tmp_path, "snapshots", "--db", "none.sqlite", "--log-format", "json")
    [error] = [json.loads(line) for line in failed.stderr.splitlines()]
    assert failed.code == 1 and (error["kind"], error["exit_status"]) == ("error", 1)
    assert "no history database at none.sqlite" in error["message"]
