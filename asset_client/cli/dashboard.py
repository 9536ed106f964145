"""``asset-client dashboard``: one self-contained HTML file of the history's KPIs and charts.

``--db FILE`` reads a history (never writes it); ``--sandbox`` first syncs a few simulated
days of the embedded sandbox into a temporary history, so a newcomer sees a full
dashboard in one command.  Sharp edge: the charts need the ``dashboard`` extra; without
it the command says how to install it and exits 2 before reading anything.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from asset_client.cli import options, values
from asset_client.cli.base import Command
from asset_client.cli.exits import EXIT_OK, EXIT_USAGE
from asset_client.cli.runner import ReadJob, Work, run_job
from asset_client.dashboard import (
    DEMO_DAYS,
    MissingExtraError,
    build_dashboard,
    require_extra,
    sync_demo_history,
)
from asset_client.export.console import Console
from asset_client.export.outpath import OutTarget, write_whole

__all__ = ["COMMAND"]


def _add_options(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--db", type=Path, metavar="FILE", help="the history file to show")
    source.add_argument(
        "--sandbox",
        action="store_true",
        help=f"show {DEMO_DAYS} simulated days of the embedded sandbox (no key needed)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("dashboard.html"),
        metavar="FILE",
        help="where the page goes (default: dashboard.html), replaced atomically",
    )
    parser.add_argument(
        "--timezone",
        type=values.zone,
        default=("UTC", UTC),
        metavar="ZONE",
        help="times and days shown in this zone: IANA name, UTC (default) or +08:00",
    )
    options.add_quote_option(parser, "the assets shown (default: usdt)")
    options.add_file_mode_option(parser, "the page")
    options.add_logging_options(parser)


async def _page(args: argparse.Namespace, db: Path) -> str:
    zone_name, zone = args.timezone
    now = datetime.fromtimestamp(time.time(), UTC)
    return await asyncio.to_thread(
        build_dashboard, db, zone=zone, zone_name=zone_name, quote=args.quote or "usdt", now=now
    )


def _work(args: argparse.Namespace, console: Console) -> Work:
    async def work() -> int:
        if args.sandbox:
            with tempfile.TemporaryDirectory(prefix="asset-client-dashboard-") as tmp:
                db = Path(tmp) / "demo.sqlite"
                console.note(f"syncing {DEMO_DAYS} simulated days of the sandbox...")
                await sync_demo_history(db)
                page = await _page(args, db)
        else:
            page = await _page(args, args.db)
        data = page.encode()
        await asyncio.to_thread(write_whole, OutTarget(file=args.out), data, args.file_mode)
        if not args.quiet:
            console.note(f"dashboard written to {args.out} ({len(data) / 1024:.0f} KiB)")
        return EXIT_OK

    return work


def _run(args: argparse.Namespace, console: Console) -> int:
    try:
        require_extra()
    except MissingExtraError as exc:
        console.error(f"asset-client dashboard: {exc}", exit_status=EXIT_USAGE)
        return EXIT_USAGE
    return run_job(args, console, ReadJob(console, lambda: _work(args, console)))


COMMAND = Command(
    name="dashboard",
    help="one HTML file of KPIs, funnel, cohorts, trends and top invitees",
    description=(
        "Draw the history as one self-contained HTML file (no network needed to view it):\n"
        "KPI tiles of your invitees' deposits, balances and trading volume, the funnel\n"
        "registered -> deposited -> traded, monthly cohorts, trends\n"
        "over the snapshots, daily volume, top 20 invitees and time to first deposit.\n"
        "Needs the dashboard extra: pip install 'asset-client[dashboard]'."
    ),
    epilog="Try it: asset-client dashboard --sandbox --out dashboard.html",
    add_options=_add_options,
    run=_run,
)
