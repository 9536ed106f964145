"""What a run of any export command leaves behind, live, for its last line and its summary.

Sharp edge: the run fills it in as it goes (the client's counters, the sums the output
holds), so a run that failed or was interrupted still has everything the command line's
one-line error and ``--summary-json`` report: it is read after the run, whatever happened.
"""

from __future__ import annotations

from typing import Any

from attrs import define

from asset_client.client.stats import ClientStats
from asset_client.export.sums import Sums

__all__ = ["ExportState"]


@define
class ExportState:
    """What a failed run leaves behind, for the CLI's one-line error message."""

    records_saved: int = 0  #: records in the partial file the checkpoint covers
    completed: bool = False  #: the output is complete (a late Ctrl-C changes nothing)
    checkpoint: str | None = None  #: where the checkpoint is, for the advice on failure
    resumable: bool = False  #: a checkpoint is in place for --resume
    stdout_started: bool = False  #: some records already went to stdout
    stats: ClientStats | None = None  #: the client's counters, live (for --summary-json)
    #: what the output holds so far, live (for --summary-json): the count and the
    #: dataset's own exact sums (a report's: its rows' money and volume)
    sums: Sums | None = None
    #: the dataset exported ("assets", "invitees", "volume"); None for a report
    dataset: str | None = None
    #: a report's KPIs (`Kpis.as_json`), for --summary-json; None for an export
    kpis: dict[str, Any] | None = None
