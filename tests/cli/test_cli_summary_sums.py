"""Issue 21 #1, through the command line: each dataset's ``--summary-json`` carries its own
sums (assets: the money; volume: the volume; invitees: none), equal to the file written and
to the summary line on stderr; the report's sums are its rows'."""

from __future__ import annotations

import csv
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from asset_client.cli.main import main

FAST = ["--rate", "50/0.1"]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as file:
        return list(csv.DictReader(file))


def _total(rows: list[dict[str, str]], column: str) -> str:
    return format(sum(Decimal(r[column]) for r in rows if r[column]), "f")


@pytest.mark.parametrize(
    ("dataset", "columns"),
    [
        ("assets", {"total_deposit", "total_withdrawal", "current_balance"}),
        ("volume", {"volume"}),
        ("invitees", set()),
    ],
)
def test_an_exports_summary_json_carries_its_datasets_own_sums(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], dataset: str, columns: set[str]
) -> None:
    out = tmp_path / f"{dataset}.csv"
    argv = ["export", "--sandbox", *FAST, "--dataset", dataset, "--out", str(out)]
    assert main([*argv, "--summary-json", "-"]) == 0
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    rows = _rows(out)
    assert doc["dataset"] == dataset and doc["records"] == len(rows) > 0
    assert doc["sums"] == {column: _total(rows, column) for column in columns}
    line = captured.err.strip().splitlines()[-1]
    for column, value in doc["sums"].items():  # stderr and the JSON agree
        assert re.search(rf"\b{column}={re.escape(value)}\b", line), line
    if not columns:
        assert "sums:" not in line and "=0" not in line


def test_a_reports_summary_json_sums_its_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.csv"
    assert main(["report", "--sandbox", *FAST, "--out", str(out), "--summary-json", "-"]) == 0
    doc = json.loads(capsys.readouterr().out)
    rows = _rows(out)
    names = ("total_deposit", "total_withdrawal", "current_balance", "volume")
    assert doc["records"] == len(rows) > 0
    assert doc["sums"] == {name: _total(rows, name) for name in names}
