"""``asset-client report``: the three partner walks at once, joined into one row per invitee.

Sharp edge: a report is not resumable (its rows exist only once all three walks are
complete, and it is written all or nothing), so an interrupted report is run again.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from asset_client.cli import options, values
from asset_client.cli.base import Command
from asset_client.cli.credentials import credentials_for
from asset_client.cli.exits import EXIT_OK
from asset_client.cli.runner import OutputJob, Work, run_job
from asset_client.core.list_query import validate_invitee_query
from asset_client.export.console import Console
from asset_client.export.outpath import OutTargetError, checked_out
from asset_client.export.report_run import ReportSettings, report_summary, run_report
from asset_client.export.rows import OutputFormat
from asset_client.export.run import ExportError

__all__ = ["COMMAND", "report_settings"]


def _add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, metavar="FILE", help="the file to write")
    parser.add_argument(
        "--format",
        choices=[OutputFormat.CSV.value, OutputFormat.PARQUET.value],
        help="csv or parquet (default: parquet for a .parquet --out, else csv)",
    )
    parser.add_argument(
        "--start",
        type=values.time,
        metavar="TIME",
        help="only invitees registered from this time on, 'yyyy-MM-dd HH:mm:ss'",
    )
    parser.add_argument(
        "--end",
        type=values.time,
        metavar="TIME",
        help="only invitees registered up to this time (default: now)",
    )
    parser.add_argument(
        "--volume-days",
        type=values.volume_days,
        default=30,
        metavar="N",
        help="sum volume from N days ago to today, server time (default 30, as the API)",
    )
    options.add_request_options(parser)


def report_settings(args: argparse.Namespace) -> ReportSettings:
    """The report's settings from its command line; raises before any I/O."""
    try:
        target = checked_out(args.out)
    except OutTargetError as exc:
        raise ExportError(str(exc)) from None
    _, zone = options.server_zone(args)
    args.start = values.server_time(args.start, zone)  # an ISO time: the server's own
    args.end = values.server_time(args.end, zone)
    # The report's cohort is a window of the invitee list: its rules, now.
    validate_invitee_query(start_time=args.start, end_time=args.end, server_tz=zone)
    return ReportSettings(
        out=Path(args.out),
        target=target,
        file_mode=args.file_mode,
        start=args.start,
        end=args.end,
        volume_days=args.volume_days,
        page_size=args.page_size,
        base_url=args.base_url,
        sandbox=args.sandbox,
        server_timezone=zone,
        rate=args.rate,
        max_retries=args.max_retries,
        proxy=options.proxy_for(args),
        limiter=options.checked_limiter(args.limiter),
        fmt=_format(args),
    )


def _format(args: argparse.Namespace) -> OutputFormat:
    if args.format is not None:
        return OutputFormat(args.format)
    parquet = Path(args.out).suffix.lower() == ".parquet"
    return OutputFormat.PARQUET if parquet else OutputFormat.CSV


class _Report(OutputJob):
    def prepare(self) -> Work:
        report = report_settings(self.args)
        options.checked_server(self.args)
        credentials = credentials_for(self.args)
        console, state = self.console, self.state

        async def work() -> int:
            result = await run_report(report, credentials, stderr=console.stream, state=state)
            console.emit("summary", report_summary(result, report.out))
            return EXIT_OK

        return work


def _run(args: argparse.Namespace, console: Console) -> int:
    return run_job(args, console, _Report(args, console))


COMMAND = Command(
    name="report",
    help="one row per invitee: registration, deposits, balance and recent trading volume",
    description=(
        "Walk the whole partner API at once: the invitees' assets, the invited user list\n"
        "and their trading volume (each on its own rate budget), and write one row per\n"
        "invitee: uid, register_time, total_deposit, total_withdrawal, current_balance,\n"
        "first_deposit_time, volume (summed over the last --volume-days days). An endpoint\n"
        "with nothing on a user leaves their cells empty. CSV, or Parquet (--format parquet).\n"
        "Try it: asset-client report --sandbox --out r.csv"
    ),
    add_options=_add_options,
    run=_run,
)
