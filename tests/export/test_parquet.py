"""``--format parquet`` against a sandbox: read back with pyarrow it equals the CSV export
value for value, exact decimal(38, 18), UTC times, atomic, ``--resume`` refused."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest

from asset_client import ServerError
from asset_client.endpoints import ENDPOINTS
from asset_client.export.parquet import RESUME_REFUSED, STREAM_REFUSED
from asset_client.export.report import ReportRow
from asset_client.export.report_run import ReportSettings, run_report
from asset_client.export.rows import OutputFormat, rows_of
from asset_client.export.run import (
    Credentials,
    ExportError,
    ExportSettings,
    ExportState,
)
from asset_client.sandbox import Fault, FaultConfig, Sandbox
from tests._helpers import env_without_keys, start_cli
from tests.conftest import SECRET
from tests.export._partner import FAST, NOW, export_settings, partner_sandbox, run
from tests.extras import require

pa = require("pyarrow")
pq = require("pyarrow.parquet")


@pytest.fixture
async def sandbox(api_key: str) -> AsyncIterator[Sandbox]:
    async with partner_sandbox(api_key, invitees=400, seed=3) as sb:
        yield sb


def settings(sb: Sandbox, out: Path | None, **overrides: object) -> ExportSettings:
    return export_settings(sb, out, **{"fmt": OutputFormat.PARQUET, **overrides})


async def export(sb: Sandbox, s: ExportSettings, state: ExportState | None = None) -> Any:
    return (await run(sb, s, state))[0]


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def csv_values(path: Path, record_type: type) -> list[dict[str, object]]:
    """The CSV export's rows, each cell read back to its value (`Rows.parse`)."""
    rows = rows_of(record_type)
    return [
        {name: rows.parse(name, cell) for name, cell in row.items()}
        for row in csv.DictReader(path.open())
    ]


@pytest.mark.parametrize("dataset", ["assets", "invitees", "volume"])
async def test_parquet_equals_the_csv_export_value_for_value(
    sandbox: Sandbox, tmp_path: Path, dataset: str
) -> None:
    record_type = ENDPOINTS[dataset].record_type
    extra: dict[str, object] = {"start": "2026-04-01"} if dataset == "volume" else {}
    if dataset == "assets":
        extra["page_size"] = 100
    await export(
        sandbox,
        settings(sandbox, tmp_path / "d.csv", dataset=dataset, fmt=OutputFormat.CSV, **extra),
    )
    result = await export(
        sandbox, settings(sandbox, tmp_path / "d.parquet", dataset=dataset, **extra)
    )
    table = pq.read_table(tmp_path / "d.parquet")
    expected = csv_values(tmp_path / "d.csv", record_type)
    assert result.records == table.num_rows == len(expected) > 0
    assert table.to_pylist() == expected  # Decimals equal as values, times as instants
    for field in table.schema:
        if pa.types.is_decimal(field.type):
            assert field.type == pa.decimal128(38, 18)
        if pa.types.is_timestamp(field.type):
            assert field.type == pa.timestamp("us", tz="UTC")
    # Atomic: only the finished files, owner-only; no partial, no checkpoint.
    assert names(tmp_path) == ["d.csv", "d.parquet"]
    assert (tmp_path / "d.parquet").stat().st_mode & 0o077 == 0


async def test_an_interrupted_parquet_export_leaves_nothing_and_reruns_whole(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    out = tmp_path / "inv.parquet"
    sandbox.faults = FaultConfig(script={4: Fault.CODE_500})
    state = ExportState()
    with pytest.raises(ServerError):
        await export(sandbox, settings(sandbox, out, max_retries=0), state)
    assert not state.resumable
    assert names(tmp_path) == []  # no target, no partial file, no checkpoint
    sandbox.faults = FaultConfig()
    result = await export(sandbox, settings(sandbox, out))
    assert result.records == pq.read_table(out).num_rows == 400


async def test_resume_and_stdout_are_refused_before_any_request(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    with pytest.raises(ExportError) as refused:
        await export(sandbox, settings(sandbox, tmp_path / "inv.parquet", resume=True))
    assert str(refused.value) == RESUME_REFUSED and "\n" not in RESUME_REFUSED
    with pytest.raises(ExportError, match="cannot be streamed"):
        await export(sandbox, settings(sandbox, None))
    assert sandbox.stats.requests == []
    assert names(tmp_path) == []


async def test_report_as_parquet_equals_the_csv_report(sandbox: Sandbox, tmp_path: Path) -> None:
    for name, fmt in (("r.csv", OutputFormat.CSV), ("r.parquet", OutputFormat.PARQUET)):
        await run_report(
            ReportSettings(
                out=tmp_path / name,
                base_url=sandbox.base_url,
                server_timezone=UTC,
                rate=FAST,
                volume_days=10,
                fmt=fmt,
            ),
            Credentials(api_key=sandbox.api_key, secret_key=SECRET),
            stderr=io.StringIO(),
            now=NOW.replace(tzinfo=UTC),
        )
    table = pq.read_table(tmp_path / "r.parquet")
    assert table.schema.field("volume").type == pa.decimal128(38, 18)
    assert table.to_pylist() == csv_values(tmp_path / "r.csv", ReportRow)


async def _cli(cwd: Path, *args: str, api_key: str) -> tuple[int, str]:
    env = env_without_keys() | {"COINW_API_KEY": api_key, "COINW_SECRET_KEY": SECRET}
    proc = await start_cli(cwd, *args, env=env)
    _, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode is not None
    return proc.returncode, err.decode()


async def test_cli_guesses_parquet_and_refuses_resume_in_one_line(
    sandbox: Sandbox, tmp_path: Path, api_key: str
) -> None:
    base = ["--base-url", sandbox.base_url, "--rate", "50/0.1", "--dataset", "invitees"]
    code, err = await _cli(tmp_path, "export", "--out", "i.parquet", *base, api_key=api_key)
    assert code == 0, err
    assert pq.read_table(tmp_path / "i.parquet").num_rows == 400
    code, err = await _cli(
        tmp_path, "export", "--out", "j.parquet", "--resume", *base, api_key=api_key
    )
    assert code == 2 and RESUME_REFUSED in err, err
    code, err = await _cli(
        tmp_path, "export", "--out", "-", "--format", "parquet", *base, api_key=api_key
    )
    assert code == 2 and STREAM_REFUSED in err, err
    assert names(tmp_path) == ["i.parquet"]
