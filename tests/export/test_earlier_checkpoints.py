"""Exports interrupted under the release before this one resume after the upgrade: its
checkpoints (assets version 1, invitees and volume ``dataset-1``) load, resume to the bytes
of an uninterrupted run, and a complete one is recognised."""

from __future__ import annotations

import csv
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from yarl import URL

from asset_client import ServerError
from asset_client.export.checkpoint import key_fingerprint
from asset_client.export.files import checkpoint_path, partial_path
from asset_client.export.run import (
    ExportResult,
)
from asset_client.sandbox import Fault, FaultConfig, Sandbox
from tests.export._partner import export_settings, partner_sandbox, run

_SETTINGS = ("page_size", "format", "source", "server_timezone", "key")


@pytest.fixture
async def sandbox(api_key: str) -> AsyncIterator[Sandbox]:
    async with partner_sandbox(api_key, invitees=300, seed=5) as sb:
        yield sb


async def export(
    sb: Sandbox, out: Path, dataset: str, **overrides: Any
) -> tuple[ExportResult, str]:
    return await run(sb, export_settings(sb, out, dataset=dataset, **overrides))


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def as_earlier_release(doc: dict[str, Any], dataset: str, partial: Path) -> dict[str, Any]:
    """Today's checkpoint ``doc`` as the release before this one wrote it."""
    filters = doc["params"]["filters"]
    settings = {name: doc["params"][name] for name in _SETTINGS}
    progress = {n: doc[n] for n in ("records", "partial_bytes", "complete")}
    if dataset == "assets":
        with partial.open() as file:
            last_uid = int(list(csv.DictReader(file))[doc["records"] - 1]["uid"])
        params = {
            "quote": filters["quote"],
            "uid": filters["uid"],
            "start": filters["start_time"],
            "end": filters["end_time"],
            **settings,
        }
        return {
            "version": 1,
            "params": params,
            "last_uid": last_uid,
            **progress,
            "sums": doc["sums"],
        }
    start, end = ("start_time", "end_time") if dataset == "invitees" else ("start_date", "end_date")
    params = {
        "dataset": dataset,
        "uid": filters["uid"],
        "referral_code": filters.get("referral_code"),
        "start": filters[start],
        "end": filters[end],
        **settings,
    }
    return {"version": "dataset-1", "params": params, "window": doc["window"], **progress}


@pytest.mark.parametrize("dataset", ["assets", "invitees", "volume"])
async def test_an_interrupted_export_of_the_earlier_release_resumes(
    sandbox: Sandbox, tmp_path: Path, dataset: str
) -> None:
    (tmp_path / "clean").mkdir()
    clean = tmp_path / "clean" / "out.csv"
    whole, _ = await export(sandbox, clean, dataset)

    out = tmp_path / "out.csv"
    sandbox.faults = FaultConfig(script={len(sandbox.stats.requests) + 3: Fault.CODE_500})
    with pytest.raises(ServerError):
        await export(sandbox, out, dataset, max_retries=0)
    sandbox.faults = FaultConfig()
    path = checkpoint_path(out)
    doc = json.loads(path.read_text())
    saved = doc["records"]
    assert 0 < saved < whole.records
    path.write_text(json.dumps(as_earlier_release(doc, dataset, partial_path(out))))

    result, err = await export(sandbox, out, dataset, resume=True)
    assert f": {saved} records already written" in err
    assert result.resumed_from == saved and result.sums == whole.sums
    assert out.read_bytes() == clean.read_bytes()
    assert names(tmp_path) == ["clean", "out.csv"]


async def test_a_complete_dataset_1_checkpoint_is_finished_with_its_sums(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    out = tmp_path / "vol.csv"
    whole, _ = await export(sandbox, out, "volume")
    assert set(whole.sums.amounts) == {"volume"} and whole.sums.amounts["volume"] > Decimal(0)
    # Killed by the earlier release just before its final rename.
    out.rename(partial_path(out))
    window = ["2026-05-16", "2026-06-15"]
    params = {"dataset": "volume", "uid": None, "referral_code": None, "start": None, "end": None}
    doc = {
        "version": "dataset-1",
        "params": {
            **params,
            "page_size": 50,
            "format": "csv",
            "source": str(URL(sandbox.base_url).origin()),
            "server_timezone": "UTC",
            "key": key_fingerprint(sandbox.api_key),
        },
        "window": window,
        "records": whole.records,
        "partial_bytes": partial_path(out).stat().st_size,
        "complete": True,
    }
    checkpoint_path(out).write_text(json.dumps(doc))
    requests = len(sandbox.stats.requests)
    result, err = await export(sandbox, out, "volume", resume=True)
    assert f"had completed ({whole.records} records)" in err and "is already complete" in err
    assert result.sums == whole.sums  # read back from the finished file: none were kept
    assert len(sandbox.stats.requests) == requests
    assert names(tmp_path) == ["vol.csv"]
