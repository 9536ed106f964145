"""The export's final summary as a JSON document (``--summary-json``), for cron and
monitoring: built from what the run left behind, so a failed run has one too.

Sharp edge: sums are exact decimal *strings* (a JSON number would be read as a float)
and cover the records the output holds, which after a failure is what the checkpoint
covers; ``records`` counts those too.
"""

from __future__ import annotations

from typing import Any

from asset_client.client.log import redact
from asset_client.client.version import VERSION
from asset_client.export.files import Sums, format_decimal
from asset_client.export.run import ExportState

__all__ = ["SUMMARY_VERSION", "summary_document"]

SUMMARY_VERSION = 1
_MONEY = ("total_deposit", "total_withdrawal", "current_balance")


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
    """The summary of one export run (``destination`` None means stdout)."""
    sums = state.sums if state.sums is not None else Sums()
    stats = state.stats
    return {
        "summary_version": SUMMARY_VERSION,
        "asset_client": VERSION,
        "status": _status(exit_status),
        "exit_status": exit_status,
        "complete": state.completed,
        "output": destination if destination is not None else "stdout",
        "records": sums.records,
        "sums": {name: format_decimal(getattr(sums, name)) for name in _MONEY},
        "requests": stats.requests if stats is not None else 0,
        "retries": stats.retries if stats is not None else 0,
        "rate_limit_waits": stats.rate_limit_waits if stats is not None else 0,
        "elapsed_seconds": round(elapsed, 3),
        "resumable": state.resumable,
        "checkpoint": state.checkpoint if state.resumable else None,
        "error": None if error is None else redact(error),
    }
