"""End to end: the real ``asset-client export`` in a subprocess against a sandbox.

The sandbox runs in the test's event loop, so the subprocess is driven with
asyncio (the loop keeps serving while the export runs).  Rates are fast
(50 per 0.1 s on both sides) so the whole file stays quick.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import signal
from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest

from asset_client.export.files import FIELDS
from asset_client.sandbox import Fault, FaultConfig, Sandbox, SandboxConfig, run_sandbox
from tests._helpers import env_without_keys, start_cli
from tests.conftest import SECRET

API_KEY = "e2e-api-key-0001"
FAST = ["--rate", "50/0.1"]
CONFIG = SandboxConfig(
    invitees=1000, seed=7, api_key=API_KEY, secret_key=SECRET, rate_limit=50, window=0.1
)


@attrs.frozen
class Result:
    code: int
    stdout: bytes
    stderr: str


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with run_sandbox(CONFIG) as sb:
        yield sb


def _env(api_key: str | None = API_KEY, secret: str | None = SECRET) -> dict[str, str]:
    env = env_without_keys()
    if api_key is not None:
        env["COINW_API_KEY"] = api_key
    if secret is not None:
        env["COINW_SECRET_KEY"] = secret
    return env


async def start_export(cwd: Path, *args: str, env: Mapping[str, str]) -> asyncio.subprocess.Process:
    return await start_cli(cwd, "export", *args, env=env)


async def export(
    cwd: Path, sb: Sandbox | None, *args: str, env: Mapping[str, str] | None = None
) -> Result:
    base = ["--base-url", sb.base_url] if sb is not None else []
    proc = await start_export(cwd, *base, *FAST, *args, env=_env() if env is None else env)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode is not None
    return Result(proc.returncode, out, err.decode())


def _leftovers(cwd: Path) -> list[str]:
    return sorted(p.name for p in cwd.iterdir())


def _assert_no_secret(cwd: Path, *results: Result) -> None:
    for result in results:
        assert SECRET not in result.stderr
        assert SECRET.encode() not in result.stdout
    for path in cwd.iterdir():
        assert SECRET.encode() not in path.read_bytes(), path


def _decimal(value: object) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _time(value: object, expected: object) -> None:
    if expected in (None, ""):
        assert value in (None, "")
    else:
        # server's 'yyyy-MM-dd HH:mm:ss' in the default zone (UTC), written as ISO 8601
        assert datetime.fromisoformat(str(value)) == datetime.fromisoformat(f"{expected}+00:00")


def assert_matches(rows: list[dict[str, Any]], expected: list[dict[str, object]]) -> None:
    assert [int(r["uid"]) for r in rows] == [e["uid"] for e in expected]
    for row, want in zip(rows, expected, strict=True):
        assert list(row) == list(FIELDS)
        for name, wire in [
            ("total_deposit", "totalDeposit"),
            ("total_withdrawal", "totalWithdrawal"),
            ("current_balance", "currentBalance"),
        ]:
            # exact strings: the export writes the server's digits, zeros included
            assert row[name] == want[wire]
        assert _decimal(row["first_deposit_amount"]) == _decimal(want["firstDepositAmount"])
        _time(row["update_time"], want["updateTime"])
        _time(row["first_deposit_time"], want["firstDepositTime"])


def read_csv(path: Path) -> list[dict[str, Any]]:
    with open(path, newline="") as file:
        return list(csv.DictReader(file))


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _checkpoint(cwd: Path, name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((cwd / f"{name}.checkpoint.json").read_text())
    return loaded


async def test_csv_export_round_trips_and_reports_plainly(tmp_path: Path, sandbox: Sandbox) -> None:
    result = await export(tmp_path, sandbox, "--out", "invitees.csv", "--page-size", "100")
    assert result.code == 0, result.stderr
    assert_matches(read_csv(tmp_path / "invitees.csv"), sandbox.expected("usdt"))
    assert _leftovers(tmp_path) == ["invitees.csv"]  # no partial, no checkpoint
    lines = result.stderr.splitlines()
    # not a TTY: plain progress lines, no bar redraws, then the summary
    assert "\r" not in result.stderr
    # timestamped in UTC, to the millisecond
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z progress: 100/1000 records, 1 request",
        lines[0],
    )
    expected = sandbox.expected("usdt")
    deposits = sum((Decimal(str(e["totalDeposit"])) for e in expected), Decimal(0))
    assert lines[-1].startswith("asset-client: exported 1000 records to invitees.csv; sums: ")
    assert f"total_deposit={deposits:f} " in lines[-1]
    assert "10 requests, 0 retries" in lines[-1]
    _assert_no_secret(tmp_path, result)


async def test_jsonl_export_with_filters(tmp_path: Path, sandbox: Sandbox) -> None:
    window = ("2026-02-01 00:00:00", "2026-04-30 23:59:59")
    result = await export(
        tmp_path,
        sandbox,
        "--out",
        "usdc.ndjson",
        "--quote",
        "usdc",
        "--start",
        window[0],
        "--end",
        window[1],
    )
    assert result.code == 0, result.stderr
    rows = read_jsonl(tmp_path / "usdc.ndjson")
    assert_matches(rows, sandbox.expected("usdc", start_time=window[0], end_time=window[1]))
    assert any(r["first_deposit_time"] is None for r in rows)  # null, not ""


async def test_stdout_export(tmp_path: Path, sandbox: Sandbox) -> None:
    uid = int(str(sandbox.expected("usdt")[3]["uid"]))
    result = await export(tmp_path, sandbox, "--out", "-", "--uid", str(uid))
    assert result.code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout.decode())))
    assert_matches(rows, sandbox.expected("usdt", uid=uid))
    assert _leftovers(tmp_path) == []


async def test_bad_secret_exits_3_with_one_line(tmp_path: Path, sandbox: Sandbox) -> None:
    wrong = "wrong-secret-ALSO-SECRET-987654321"
    result = await export(tmp_path, sandbox, "--out", "x.csv", env=_env(secret=wrong))
    assert result.code == 3
    (line,) = result.stderr.splitlines()
    assert line.startswith("asset-client: error: AuthenticationError")
    assert "check COINW_API_KEY / COINW_SECRET_KEY" in line
    assert wrong not in result.stderr and result.stdout == b""
    assert _leftovers(tmp_path) == []  # nothing to resume, so nothing left behind


async def test_non_affiliate_key_exits_3(tmp_path: Path) -> None:
    config = attrs.evolve(CONFIG, non_affiliate_keys={"plain-key": SECRET})
    async with run_sandbox(config) as sb:
        result = await export(tmp_path, sb, "--out", "x.csv", env=_env(api_key="plain-key"))
    assert result.code == 3
    (line,) = result.stderr.splitlines()
    assert "PermissionDeniedError" in line and "Affiliate permission" in line
    _assert_no_secret(tmp_path, result)


async def test_given_up_export_resumes_to_the_same_file(tmp_path: Path, sandbox: Sandbox) -> None:
    clean_dir = tmp_path / "clean"
    clean_dir.mkdir()
    args = ["--out", "invitees.csv", "--page-size", "100"]
    clean = await export(clean_dir, sandbox, *args)
    assert clean.code == 0, clean.stderr

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    # The 5th request of this run resets the connection; with no retries the run gives up.
    sandbox.faults = FaultConfig(script={len(sandbox.stats.requests) + 5: Fault.CONNECTION_RESET})
    failed = await export(run_dir, sandbox, *args, "--max-retries", "0")
    assert failed.code == 4, failed.stderr
    # Which page the 5th request carries depends on scheduling: pages 2..10 are in flight.
    saved = _checkpoint(run_dir, "invitees.csv")["records"]
    assert saved in range(100, 1000, 100)
    line = failed.stderr.splitlines()[-1]
    assert line.startswith("asset-client: error: TransportError")
    assert line.endswith(f"{saved} records saved; run the same command with --resume to continue")
    # never a file at the target that looks complete
    assert _leftovers(run_dir) == [".invitees.csv.partial", "invitees.csv.checkpoint.json"]

    # without --resume: refused, the interrupted export is kept
    refused = await export(run_dir, sandbox, *args)
    assert refused.code == 2
    assert "Pass --resume to continue it, or delete" in refused.stderr
    # other parameters: refused, naming what differs
    other = await export(run_dir, sandbox, *args, "--quote", "usdc", "--resume")
    assert other.code == 2
    assert "quote: checkpoint 'usdt', now 'usdc'" in other.stderr
    assert _checkpoint(run_dir, "invitees.csv")["records"] == saved

    before = len(sandbox.stats.requests)
    resumed = await export(run_dir, sandbox, *args, "--resume")
    assert resumed.code == 0, resumed.stderr
    assert re.search(
        rf"resuming invitees.csv from a checkpoint saved \d+ s ago: {saved} records already "
        "written",
        resumed.stderr,
    )
    assert f"exported 1000 records ({saved} from the checkpoint)" in resumed.stderr
    assert (run_dir / "invitees.csv").read_bytes() == (clean_dir / "invitees.csv").read_bytes()
    assert _leftovers(run_dir) == ["invitees.csv"]
    # the resume skipped the pages it had: it starts on the page holding its last record
    # (the anchor that proves the data did not move) and reads each later page once
    pages = sorted(int(dict(r.params)["pageNo"]) for r in sandbox.stats.requests[before:])
    assert pages == list(range(saved // 100, 11))  # (arrival order may differ from send order)
    _assert_no_secret(run_dir, failed, refused, other, resumed)


async def test_sigint_saves_a_checkpoint_and_resume_completes(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    # Slow answers so the run is still going when the signal arrives.
    sandbox.faults = FaultConfig(latency=0.05)
    args = ["--out", "out.jsonl", "--page-size", "10"]
    proc = await start_export(tmp_path, "--base-url", sandbox.base_url, *FAST, *args, env=_env())
    checkpoint = tmp_path / "out.jsonl.checkpoint.json"
    # Poll the filesystem (no blind sleep): wait until some records are checkpointed.
    async with asyncio.timeout(30):
        while not (checkpoint.exists() and json.loads(checkpoint.read_text())["records"] > 0):
            assert proc.returncode is None
            await asyncio.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    _, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    assert proc.returncode == 130, err.decode()
    saved = json.loads(checkpoint.read_text())["records"]
    assert 0 < saved < 1000
    assert err.decode().splitlines()[-1] == (
        f"asset-client: interrupted; {saved} records saved; "
        "run the same command with --resume to continue"
    )
    assert not (tmp_path / "out.jsonl").exists()

    sandbox.faults = FaultConfig()
    resumed = await export(tmp_path, sandbox, *args, "--resume")
    assert resumed.code == 0, resumed.stderr
    rows = read_jsonl(tmp_path / "out.jsonl")
    assert_matches(rows, sandbox.expected("usdt"))  # no duplicates, no gaps
    assert _leftovers(tmp_path) == ["out.jsonl"]


async def test_resume_without_checkpoint_starts_fresh(tmp_path: Path, sandbox: Sandbox) -> None:
    result = await export(tmp_path, sandbox, "--out", "a.csv", "--resume")
    assert result.code == 0, result.stderr
    assert "--resume: no checkpoint at a.csv.checkpoint.json; starting a fresh export" in (
        result.stderr
    )
    assert len(read_csv(tmp_path / "a.csv")) == 1000


async def test_page_size_zero_exits_2(tmp_path: Path) -> None:
    result = await export(tmp_path, None, "--sandbox", "--out", "a.csv", "--page-size", "0")
    assert result.code == 2
    assert "--page-size: must be an integer from 1 to 1000, got '0'" in result.stderr


async def test_embedded_sandbox_needs_no_credentials(tmp_path: Path) -> None:
    result = await export(tmp_path, None, "--sandbox", "--out", "demo.csv", env=_env(None, None))
    assert result.code == 0, result.stderr
    rows = read_csv(tmp_path / "demo.csv")
    assert len(rows) == 3000
    assert "exported 3000 records to demo.csv" in result.stderr
