"""Command-line conventions: --version, --summary-json, grammar, a broken pipe, the user's
path in errors, a busy output, --quiet, --log-format json, --proxy."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import shlex
import signal
import sys
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from asset_client.cli.main import main
from asset_client.client.version import VERSION
from asset_client.export.console import format_age, plural
from asset_client.sandbox import FaultConfig, Sandbox, run_sandbox
from tests.cli.test_cli_export import CONFIG, FAST, _env, export, read_csv, start_export
from tests.conftest import SECRET


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with run_sandbox(CONFIG) as sb:
        yield sb


TIMESTAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"


def _sums(expected: list[dict[str, object]]) -> dict[str, str]:
    def total(name: str) -> str:
        return f"{sum((Decimal(str(e[name])) for e in expected), Decimal(0)):f}"

    return {
        "total_deposit": total("totalDeposit"),
        "total_withdrawal": total("totalWithdrawal"),
        "current_balance": total("currentBalance"),
    }


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"asset-client {VERSION}"


def test_plural_and_age() -> None:
    assert [plural(n, "record") for n in (0, 1, 2)] == ["0 records", "1 record", "2 records"]
    assert plural(1, "retry") == "1 retry" and plural(3, "retry") == "3 retries"
    assert [format_age(s) for s in (5, 600, 3 * 3600 + 300, 3 * 86400)] == [
        "5 s",
        "10 min",
        "3 h 5 min",
        "3 days",
    ]


async def test_summary_json_on_success(tmp_path: Path, sandbox: Sandbox) -> None:
    result = await export(
        tmp_path, sandbox, "--out", "a.csv", "--page-size", "100", "--summary-json", "run.json"
    )
    assert result.code == 0, result.stderr
    doc = json.loads((tmp_path / "run.json").read_text())
    assert doc["status"] == "ok" and doc["exit_status"] == 0 and doc["complete"] is True
    assert doc["records"] == 1000 == len(read_csv(tmp_path / "a.csv"))
    assert doc["sums"] == _sums(sandbox.expected("usdt"))  # exact, as strings
    assert doc["requests"] == 10 and doc["retries"] == 0 and doc["error"] is None
    assert doc["elapsed_seconds"] > 0 and doc["output"] == "a.csv"


async def test_summary_json_on_failure_and_on_stdout(tmp_path: Path, sandbox: Sandbox) -> None:
    env = _env(secret="wrong-secret-value-123")
    result = await export(tmp_path, sandbox, "--out", "a.csv", "--summary-json", "-", env=env)
    assert result.code == 3
    doc = json.loads(result.stdout)
    assert doc["status"] == "failed" and doc["exit_status"] == 3 and doc["complete"] is False
    assert doc["records"] == 0 and doc["requests"] == 1
    assert "AuthenticationError" in doc["error"] and "wrong-secret" not in result.stdout.decode()


async def test_summary_json_cannot_share_stdout_with_the_output(tmp_path: Path) -> None:
    result = await export(tmp_path, None, "--sandbox", "--out", "-", "--summary-json", "-")
    assert result.code == 2 and "would share stdout" in result.stderr


async def test_one_record_one_request(tmp_path: Path, sandbox: Sandbox) -> None:
    uid = int(str(sandbox.expected("usdt")[0]["uid"]))
    result = await export(tmp_path, sandbox, "--out", "one.csv", "--uid", str(uid))
    assert result.code == 0, result.stderr
    assert "exported 1 record to one.csv" in result.stderr
    assert "; 1 request, 0 retries," in result.stderr


async def test_a_closed_pipe_exits_141_quietly(tmp_path: Path, sandbox: Sandbox) -> None:
    sandbox.faults = FaultConfig(latency=0.02)  # still writing when head exits
    command = [sys.executable, "-m", "asset_client", "export", "--base-url", sandbox.base_url]
    cli = shlex.join([*command, *FAST, "--out", "-", "--format", "jsonl", "--page-size", "10"])
    script = f'{cli} 2>err.txt | head -n 1 >/dev/null; echo "${{PIPESTATUS[0]}}" > status.txt'
    proc = await asyncio.create_subprocess_exec("bash", "-c", script, cwd=tmp_path, env=_env())
    await asyncio.wait_for(proc.wait(), timeout=60)
    assert (tmp_path / "status.txt").read_text().strip() == "141"
    err = (tmp_path / "err.txt").read_text()
    assert "Traceback" not in err and "error" not in err.lower()  # progress lines only
    assert all(" progress: " in line for line in err.splitlines())


async def test_errors_name_the_users_path_not_the_partial_file(tmp_path: Path) -> None:
    result = await export(tmp_path, None, "--sandbox", "--out", "missing/invitees.csv")
    assert result.code == 1
    assert "cannot write missing/invitees.csv: No such file or directory" in result.stderr
    assert ".partial" not in result.stderr


async def test_a_second_export_to_a_busy_output_says_so(tmp_path: Path, sandbox: Sandbox) -> None:
    # Slow enough (100 pages of 1 s, 8 at a time: ~12 s) that the first export is
    # still writing while two more processes start and are refused, even on a loaded
    # machine (each start can take 2 s there); it is interrupted once they are.
    sandbox.faults = FaultConfig(latency=1.0)
    args = ["--out", "a.csv", "--page-size", "10"]
    first = await start_export(tmp_path, "--base-url", sandbox.base_url, *FAST, *args, env=_env())
    checkpoint = tmp_path / "a.csv.checkpoint.json"
    async with asyncio.timeout(30):  # poll the filesystem: the first run has started writing
        while not (checkpoint.exists() and json.loads(checkpoint.read_text())["records"] > 0):
            assert first.returncode is None
            await asyncio.sleep(0.01)
    try:
        for extra in ([], ["--resume"]):
            second = await export(tmp_path, sandbox, *args, *extra)
            assert second.code == 2
            assert "another export is writing a.csv right now" in second.stderr
            assert "Pass --resume" not in second.stderr and ".partial" not in second.stderr
    finally:
        if first.returncode is None:
            with contextlib.suppress(ProcessLookupError):  # it may have just finished
                first.send_signal(signal.SIGINT)
        await asyncio.wait_for(first.communicate(), timeout=30)


async def test_a_leftover_checkpoint_says_how_old_it_is(tmp_path: Path, sandbox: Sandbox) -> None:
    failed = await export(tmp_path, sandbox, "--out", "a.csv", "--page-size", "10", "--uid", "1")
    assert failed.code == 0  # uid 1 does not exist: an empty export, nothing left behind
    (tmp_path / "a.csv").unlink()
    (tmp_path / ".a.csv.partial").write_bytes(b"")
    (tmp_path / "a.csv.checkpoint.json").write_text("{}")
    refused = await export(tmp_path, sandbox, "--out", "a.csv")
    assert refused.code == 2
    assert re.search(r"stopped \d+ s ago without finishing\. Pass --resume", refused.stderr)


async def test_quiet_prints_nothing_on_success(tmp_path: Path, sandbox: Sandbox) -> None:
    result = await export(tmp_path, sandbox, "--out", "a.csv", "--page-size", "100", "--quiet")
    assert result.code == 0 and result.stderr == ""
    bad = await export(tmp_path, sandbox, "--out", "b.csv", "-q", env=_env(secret="nope-nope"))
    assert bad.code == 3 and bad.stderr.startswith("asset-client: error: AuthenticationError")


async def test_json_log_format_gives_one_object_per_line(tmp_path: Path, sandbox: Sandbox) -> None:
    result = await export(
        tmp_path, sandbox, "--out", "a.csv", "--page-size", "100", "--log-format", "json"
    )
    assert result.code == 0, result.stderr
    docs = [json.loads(line) for line in result.stderr.splitlines()]
    assert all(re.fullmatch(TIMESTAMP, d["time"]) for d in docs)
    progress = [d for d in docs if d["kind"] == "progress"]
    assert progress[0]["records"] == 100 and progress[0]["total"] == 1000
    assert docs[-1]["kind"] == "summary" and "exported 1000 records" in docs[-1]["message"]
    failed = await export(
        tmp_path, sandbox, "--out", "b.csv", "--log-format", "json", env=_env(secret="nope-x")
    )
    [error] = [json.loads(line) for line in failed.stderr.splitlines()]
    assert error["kind"] == "error" and error["exit_status"] == 3


@pytest.mark.parametrize(
    "proxy", ["socks5://user:hunter2@proxy.example:1080", "proxy.example", "http://:8080"]
)
def test_a_bad_proxy_exits_2_without_its_password(
    capsys: pytest.CaptureFixture[str], proxy: str
) -> None:
    assert main(["export", "--out", "a.csv", "--proxy", proxy]) == 2
    err = capsys.readouterr().err
    assert "argument --proxy: must be an http:// or https:// URL" in err
    assert "hunter2" not in err and SECRET not in err


async def test_a_failed_single_invitee_export_names_the_uid(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    env = _env(secret="wrong-secret-value-123")
    result = await export(tmp_path, sandbox, "--out", "a.csv", "--uid", "4242", env=env)
    assert result.code == 3
    assert "code=6001, HTTP 200, uid 4242" in result.stderr and "page" not in result.stderr


async def test_json_debug_keeps_the_traceback_inside_the_json(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    env = _env(secret="wrong-secret-value-123")
    args = ["--out", "a.csv", "--log-format", "json", "--debug"]
    result = await export(tmp_path, sandbox, *args, env=env)
    assert result.code == 3
    docs = [json.loads(line) for line in result.stderr.splitlines()]  # every line is JSON
    [error] = [d for d in docs if d["kind"] == "error"]
    assert "Traceback" in error["traceback"] and "AuthenticationError" in error["traceback"]
    assert any(d["kind"] == "log" and d["level"] == "debug" for d in docs)
    assert SECRET not in result.stderr and "wrong-secret" not in result.stderr
