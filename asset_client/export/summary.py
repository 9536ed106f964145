"""The final summary of an export or a report as a JSON document (``--summary-json``), for
cron and monitoring: built from what the run left behind, so a failed run has one too.

Each run's ``sums`` are its own: an assets export's money (total_deposit,
total_withdrawal, current_balance), a volume export's volume, none for the invitee list
(a count), a report's deposits, withdrawals, balances and volume of its rows; never a
field that does not apply.  Sharp edge: sums are exact decimal *strings* (a JSON number
would be read as a float) and cover the records the output holds, which after a failure is
what the checkpoint covers; ``records`` counts those too.  A complete report adds
``kpis`` (`asset_client.core.kpis`: funnel, money, timing, cohorts over its rows).
"""

from __future__ import annotations

from typing import Any

from asset_client.client.log import redact
from asset_client.client.version import VERSION
from asset_client.export.state import ExportState
from asset_client.export.sums import Sums

__all__ = ["SUMMARY_VERSION", "summary_document"]

SUMMARY_VERSION = 1


def _status(exit_status: int) -> str:
    if exit_status == 0:
        return "ok"
    if exit_status == 130:
        return "interrupted"
    return "failed"


def summary_document(
    *,
    state: ExportState,
    exit_status: int,
    error: str | None,
    elapsed: float,
    destination: str | None,
) -> dict[str, Any]:
    """The summary of one run (``destination`` None means stdout).  ``dataset`` is present
    for an export (``"assets"``, ``"invitees"``, ``"volume"``)."""
    sums = state.sums if state.sums is not None else Sums()
    stats = state.stats
    dataset = {} if state.dataset is None else {"dataset": state.dataset}
    kpis = {} if state.kpis is None else {"kpis": state.kpis}
    return {
        "summary_version": SUMMARY_VERSION,
        "asset_client": VERSION,
        "status": _status(exit_status),
        "exit_status": exit_status,
        "complete": state.completed,
        **dataset,
        "output": destination if destination is not None else "stdout",
        "records": sums.records,
        "sums": sums.text(),
        **kpis,
        "requests": stats.requests if stats is not None else 0,
        "retries": stats.retries if stats is not None else 0,
        "rate_limit_waits": stats.rate_limit_waits if stats is not None else 0,
        "elapsed_seconds": round(elapsed, 3),
        "resumable": state.resumable,
        "checkpoint": state.checkpoint if state.resumable else None,
        "error": None if error is None else redact(error),
    }
