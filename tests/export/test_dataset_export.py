"""Exports of the invitee list and the volume, and the joined report, against a sandbox."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from asset_client import ServerError
from asset_client.core.signing import ASSETS_PATH, INVITEES_PATH, VOLUME_PATH
from asset_client.export.files import PartialFile, partial_path
from asset_client.export.report_run import ReportSettings, run_report
from asset_client.export.rows import OutputFormat
from asset_client.export.run import (
    Credentials,
    ExportError,
    ExportResult,
    ExportSettings,
    ExportState,
    summary_line,
)
from asset_client.export.summary import summary_document
from asset_client.export.sums import Sums
from asset_client.sandbox import Fault, FaultConfig, Sandbox
from tests._helpers import env_without_keys, start_cli
from tests.conftest import SECRET
from tests.export._partner import FAST, NOW, export_settings, partner_sandbox, run

EVER = datetime(2017, 1, 1)


@pytest.fixture
async def sandbox(api_key: str) -> AsyncIterator[Sandbox]:
    async with partner_sandbox(api_key, invitees=400, seed=3) as sb:
        yield sb


def settings(sb: Sandbox, out: Path | None, **overrides: object) -> ExportSettings:
    return export_settings(sb, out, **{"fmt": OutputFormat.CSV, **overrides})


async def export(
    sb: Sandbox, s: ExportSettings, state: ExportState | None = None
) -> tuple[ExportResult, str]:
    return await run(sb, s, state)


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.open()))


def expected_invitees(sb: Sandbox) -> list[dict[str, str]]:
    return [
        {"uid": str(e.uid), "register_time": e.register_time.replace(tzinfo=UTC).isoformat()}
        for e in sb.partner.invitees(start=EVER, end=NOW)
    ]


async def test_invitee_export_is_every_invitee_newest_first(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    out = tmp_path / "inv.csv"
    result, _ = await export(sandbox, settings(sandbox, out))
    assert result.records == 400 and result.sums.amounts == {}  # a count: no sums
    assert rows(out) == expected_invitees(sandbox)
    assert names(tmp_path) == ["inv.csv"]


async def test_interrupted_export_resumes_without_duplicates_or_gaps(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    out = tmp_path / "inv.csv"
    sandbox.faults = FaultConfig(script={4: Fault.CODE_500})
    state = ExportState()
    with pytest.raises(ServerError):
        await export(sandbox, settings(sandbox, out, max_retries=0), state)
    assert state.resumable and 0 < state.records_saved < 400
    assert not out.exists()
    checkpoint = json.loads((tmp_path / "inv.csv.checkpoint.json").read_text())
    assert checkpoint["window"] == ["2017-01-01 00:00:00", "2026-06-15 12:00:00"]
    # Registrations after the first run started lie outside its frozen window.
    sandbox.partner.register(5, at=NOW + timedelta(minutes=1))
    first_run = len(sandbox.stats.requests)
    result, err = await export(sandbox, settings(sandbox, out, max_retries=0, resume=True))
    # The one export run: the same resume line as assets, with the checkpoint's age.
    assert f"resuming {out} from a checkpoint saved " in err
    assert f": {result.resumed_from} records already written" in err
    assert result.records == 400 and 0 < result.resumed_from < 400
    # The resume point held: the walk skipped the pages before it.
    resumed = [dict(r.params) for r in sandbox.stats.requests[first_run:]]
    assert int(resumed[0]["pageNo"]) == result.resumed_from // 50 + (result.resumed_from % 50 > 0)
    assert "1" not in {r["pageNo"] for r in resumed}
    assert rows(out) == expected_invitees(sandbox)
    assert names(tmp_path) == ["inv.csv"]


async def test_resume_with_other_options_is_refused(sandbox: Sandbox, tmp_path: Path) -> None:
    out = tmp_path / "inv.csv"
    sandbox.faults = FaultConfig(script={3: Fault.CODE_500})
    with pytest.raises(ServerError):
        await export(sandbox, settings(sandbox, out, max_retries=0))
    with pytest.raises(ExportError, match=r"stopped .* ago without finishing"):
        await export(sandbox, settings(sandbox, out))
    with pytest.raises(ExportError, match="page_size: checkpoint 50, now 100"):
        await export(sandbox, settings(sandbox, out, page_size=100, resume=True))
    with pytest.raises(ExportError, match="--resume"):
        await export(sandbox, settings(sandbox, out))


async def test_a_dataset_output_another_export_is_writing_is_refused_as_busy(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    out = tmp_path / "vol.csv"
    # Another run holds the partial file (its lock) and has saved a checkpoint.
    other = PartialFile(partial_path(out))
    (tmp_path / "vol.csv.checkpoint.json").write_text("{}")
    try:
        for resume in (False, True):
            s = settings(sandbox, out, dataset="volume", resume=resume)
            with pytest.raises(ExportError, match=f"another export is writing {out} right now"):
                await export(sandbox, s)
    finally:
        other.discard()
    assert sandbox.stats.requests == []
    assert names(tmp_path) == ["vol.csv.checkpoint.json"]  # the other run's, untouched


async def test_volume_export_rows_per_uid_and_day_exact(sandbox: Sandbox, tmp_path: Path) -> None:
    out = tmp_path / "vol.jsonl"
    s = settings(sandbox, out, dataset="volume", fmt=OutputFormat.JSONL, start="2026-04-01")
    result, _ = await export(sandbox, s)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    expected = sandbox.partner.volumes(start=date(2026, 4, 1), end=NOW.date())
    assert lines == [
        {"uid": uid, "day": day.isoformat(), "volume": f"{Decimal(units).scaleb(-8):.8f}"}
        for day, uid, units in expected
    ]
    total = sum(Decimal(line["volume"]) for line in lines)
    assert result.records == len(expected) and result.sums.amounts == {"volume": total}


async def test_volume_export_without_dates_freezes_the_30_day_default(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    out = tmp_path / "vol.csv"
    sandbox.faults = FaultConfig(script={2: Fault.CODE_500})
    with pytest.raises(ServerError):
        await export(sandbox, settings(sandbox, out, dataset="volume", max_retries=0))
    checkpoint = json.loads((tmp_path / "vol.csv.checkpoint.json").read_text())
    assert checkpoint["window"] == ["2026-05-16", "2026-06-15"]
    await export(sandbox, settings(sandbox, out, dataset="volume", resume=True))
    got = [(r["uid"], r["day"]) for r in rows(out)]
    expected = sandbox.partner.volumes(start=date(2026, 5, 16), end=NOW.date())
    assert got == [(str(uid), day.isoformat()) for day, uid, _ in expected]


async def test_report_joins_three_endpoints_with_empty_cells(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    new = sandbox.partner.register(2, at=NOW - timedelta(hours=1))  # not on the assets endpoint
    out = tmp_path / "report.csv"
    result = await run_report(
        ReportSettings(
            out=out, base_url=sandbox.base_url, server_timezone=UTC, rate=FAST, volume_days=10
        ),
        Credentials(api_key=sandbox.api_key, secret_key=SECRET),
        stderr=io.StringIO(),
        now=NOW.replace(tzinfo=UTC),
    )
    table = rows(out)
    assert result.rows == len(table) == 402
    assert [int(r["uid"]) for r in table] == sorted(int(r["uid"]) for r in table)
    by_uid = {int(r["uid"]): r for r in table}
    for uid in new:
        assert by_uid[uid]["total_deposit"] == "" and by_uid[uid]["register_time"] != ""
    assets = {int(str(a["uid"])): a for a in sandbox.expected("usdt")}
    some_uid = next(iter(assets))
    assert by_uid[some_uid]["total_deposit"] == assets[some_uid]["totalDeposit"]
    volume: dict[int, Decimal] = {}
    for _, uid, units in sandbox.partner.volumes(
        start=NOW.date() - timedelta(days=10), end=NOW.date()
    ):
        volume[uid] = volume.get(uid, Decimal(0)) + Decimal(units).scaleb(-8)
    assert {u: Decimal(r["volume"]) for u, r in by_uid.items() if r["volume"]} == volume
    assert set(result.walks) == {"assets", "invitees", "volume"}
    # The three walks run at once, each on its own lane of the key's budget: never over
    # one endpoint's limit, never a rejection, yet more than one endpoint's worth at once.
    assert sandbox.stats.rejected == 0
    for path in (ASSETS_PATH, INVITEES_PATH, VOLUME_PATH):
        assert sandbox.stats.max_in_window(sandbox.api_key, path=path) <= FAST.requests


async def _cli(cwd: Path, *args: str, api_key: str) -> tuple[int, str]:
    env = env_without_keys() | {"COINW_API_KEY": api_key, "COINW_SECRET_KEY": SECRET}
    proc = await start_cli(cwd, *args, env=env)
    _, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode is not None
    return proc.returncode, err.decode()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dataset", "invitees", "--quote", "usdc"], "--quote applies to --dataset assets"),
        (["--dataset", "volume", "--start", "2026-01-01 00:00:00"], "must be a day"),
        (["--dataset", "invitees", "--end", "2026-01-01"], "must be a time"),
        (["--dataset", "volume", "--referral-code", "ABC"], "--referral-code applies"),
        (["--referral-code", "bad code"], "must be 1 to 32 letters"),
        (["--dataset", "volume", "--start", "2026-02-02", "--end", "2026-02-01"], "start_date"),
    ],
)
async def test_cli_refuses_bad_dataset_options_with_exit_2(
    tmp_path: Path, api_key: str, args: list[str], message: str
) -> None:
    code, err = await _cli(
        tmp_path,
        "export",
        "--out",
        "x.csv",
        "--base-url",
        "http://127.0.0.1:9",
        *args,
        api_key=api_key,
    )
    assert code == 2 and message in err, err
    assert names(tmp_path) == []


async def test_cli_export_and_report_end_to_end(
    sandbox: Sandbox, tmp_path: Path, api_key: str
) -> None:
    base = ["--base-url", sandbox.base_url, "--rate", "50/0.1"]
    code, err = await _cli(
        tmp_path,
        "export",
        "--dataset",
        "volume",
        "--start",
        "2026-05-01",
        "--out",
        "v.csv",
        "--summary-json",
        "s.json",
        *base,
        api_key=api_key,
    )
    assert code == 0, err
    written = len(rows(tmp_path / "v.csv"))
    assert written == len(
        sandbox.partner.volumes(start=date(2026, 5, 1), end=datetime.now(UTC).date())
    )
    summary = json.loads((tmp_path / "s.json").read_text())
    assert (summary["records"], summary["complete"], summary["exit_status"]) == (written, True, 0)
    code, err = await _cli(tmp_path, "report", "--out", "r.csv", *base, api_key=api_key)
    assert code == 0 and "report of 400 invitees" in err, err
    assert names(tmp_path) == ["r.csv", "s.json", "v.csv"]
    assert SECRET not in err


def test_the_summary_line_counts_in_good_grammar_with_the_datasets_own_sums() -> None:
    one = ExportResult(
        sums=Sums(records=1), resumed_from=0, requests=1, retries=1, elapsed=0.1, destination="x"
    )
    line = summary_line(one)
    assert "exported 1 record to x; 1 request, 1 retry," in line  # a count: no sums
    many = ExportResult(
        sums=Sums(3, {"volume": Decimal("1.50")}),
        resumed_from=0,
        requests=2,
        retries=0,
        elapsed=0.1,
        destination="x",
    )
    line = summary_line(many)
    assert "exported 3 records to x; sums: volume=1.50; 2 requests, 0 retries" in line


def _summary(state: ExportState) -> dict[str, object]:
    return summary_document(state=state, exit_status=0, error=None, elapsed=1.0, destination="x")


async def test_each_summary_carries_its_own_sums(sandbox: Sandbox, tmp_path: Path) -> None:
    sums: dict[str, object] = {}
    for dataset in ("assets", "invitees", "volume"):
        state = ExportState()
        await export(
            sandbox, settings(sandbox, tmp_path / f"{dataset}.csv", dataset=dataset), state
        )
        doc = _summary(state)
        assert doc["dataset"] == dataset and doc["complete"] is True
        sums[dataset] = doc["sums"]
    assert list(sums["assets"]) == ["total_deposit", "total_withdrawal", "current_balance"]  # type: ignore[call-overload]
    assert sums["invitees"] == {}  # a count: no field that does not apply
    volume = sum(Decimal(r["volume"]) for r in rows(tmp_path / "volume.csv"))
    assert sums["volume"] == {"volume": format(volume, "f")}


async def test_the_report_summary_sums_its_rows(sandbox: Sandbox, tmp_path: Path) -> None:
    out = tmp_path / "report.csv"
    state = ExportState()
    await run_report(
        ReportSettings(out=out, base_url=sandbox.base_url, server_timezone=UTC, rate=FAST),
        Credentials(api_key=sandbox.api_key, secret_key=SECRET),
        stderr=io.StringIO(),
        state=state,
        now=NOW.replace(tzinfo=UTC),
    )
    doc = _summary(state)
    table = rows(out)
    names = ("total_deposit", "total_withdrawal", "current_balance", "volume")
    expected = {n: format(sum(Decimal(r[n]) for r in table if r[n]), "f") for n in names}
    assert doc["records"] == len(table) and doc["sums"] == expected
    assert "dataset" not in doc


async def test_a_partial_file_that_disagrees_with_its_checkpoint_is_refused(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    out = tmp_path / "vol.csv"
    sandbox.faults = FaultConfig(script={3: Fault.CODE_500})
    with pytest.raises(ServerError):
        await export(sandbox, settings(sandbox, out, dataset="volume", max_retries=0))
    sandbox.faults = FaultConfig()
    path = tmp_path / "vol.csv.checkpoint.json"
    doc = json.loads(path.read_text())
    path.write_text(json.dumps({**doc, "sums": {"volume": "0"}}))
    with pytest.raises(ExportError, match="sums differ from its checkpoint's; delete"):
        await export(sandbox, settings(sandbox, out, dataset="volume", resume=True))
    path.write_text(json.dumps({**doc, "records": doc["records"] - 1}))
    with pytest.raises(ExportError, match="its checkpoint says"):
        await export(sandbox, settings(sandbox, out, dataset="volume", resume=True))
    path.write_text(json.dumps(doc))
    result, _ = await export(sandbox, settings(sandbox, out, dataset="volume", resume=True))
    assert result.resumed_from == doc["records"]
