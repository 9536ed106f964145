"""The command line says every retry as it happens (INFO), and --quiet keeps it quiet."""

from __future__ import annotations

from pathlib import Path

from asset_client.sandbox import Fault, FaultConfig, Sandbox
from tests.cli.test_cli_export import export, sandbox  # noqa: F401 - the fixture


async def test_retries_are_printed_by_default(tmp_path: Path, sandbox: Sandbox) -> None:  # noqa: F811
    sandbox.faults = FaultConfig(script={2: Fault.SERVER_ERROR_HTML})
    result = await export(tmp_path, sandbox, "--out", "a.csv", "--page-size", "100")
    assert result.code == 0, result.stderr
    [line] = [line for line in result.stderr.splitlines() if "retry 1 of" in line]
    assert "asset-client: INFO: assets page " in line and ": ServerError: " in line
    assert "1 retry" in result.stderr  # the summary agrees


async def test_quiet_hides_retries(tmp_path: Path, sandbox: Sandbox) -> None:  # noqa: F811
    sandbox.faults = FaultConfig(script={2: Fault.SERVER_ERROR_HTML})
    result = await export(tmp_path, sandbox, "--out", "a.csv", "--page-size", "100", "--quiet")
    assert result.code == 0, result.stderr
    assert "retry" not in result.stderr
