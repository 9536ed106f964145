"""``report --summary-json`` gains ``kpis``: checked against the report's own CSV rows."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

from asset_client.cli.main import main


def test_report_summary_has_kpis_matching_its_rows(tmp_path: Path) -> None:
    out, summary = tmp_path / "r.csv", tmp_path / "s.json"
    args = ["report", "--sandbox", "--out", str(out), "--summary-json", str(summary)]
    assert main([*args, "--rate", "50/0.1", "--quiet"]) == 0
    with out.open(newline="") as f:
        rows = list(csv.DictReader(f))
    kpis = json.loads(summary.read_text())["kpis"]

    def total(name: str) -> Decimal:
        return sum((Decimal(r[name]) for r in rows if r[name]), Decimal(0))

    deposited = sum(1 for r in rows if r["first_deposit_time"] or Decimal(r["total_deposit"] or 0))
    traded = sum(1 for r in rows if Decimal(r["volume"] or 0) > 0)
    assert kpis["invitees"] == len(rows) > 0
    assert (kpis["deposited"], kpis["traded"]) == (deposited, traded)
    assert Decimal(kpis["total_deposit"]) == total("total_deposit")
    net = total("total_deposit") - total("total_withdrawal")
    assert Decimal(kpis["net_deposit"]) == net
    assert Decimal(kpis["volume"]) == total("volume") and kpis["volume_days"] == 30
    months = {r["register_time"][:7] for r in rows if r["register_time"]}
    assert [c["month"] for c in kpis["cohorts"]] == sorted(months)
    assert sum(c["invitees"] for c in kpis["cohorts"]) + kpis["unregistered"] == len(rows)
    assert isinstance(kpis["deposited_share"], str)  # exact text, never a float
