"""``asset-client watch``: sync every dataset each cycle, turn what changed into events
(first deposits, deposits, withdrawals, joins, leaves, volume milestones) and deliver
them through apprise, never losing one.

Sharp edge: notification URLs hold secrets (bot tokens, passwords); they are never
printed, logged or stored — only a label (scheme and hash, see `watch.label`).
"""

from __future__ import annotations

import argparse
import logging
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from asset_client.cli import options, values
from asset_client.cli.base import PROG, Command
from asset_client.cli.credentials import credentials_for
from asset_client.cli.exits import EXIT_OK
from asset_client.cli.runner import ReadJob, Work, run_job
from asset_client.export.console import Console, plural
from asset_client.export.errors import ExportError
from asset_client.store import SnapshotStore, StoreError
from asset_client.store.events import EventRules
from asset_client.watch import (
    Backoff,
    Cycle,
    Notifier,
    NotifyError,
    Outbox,
    Target,
    Watch,
    WatchMetrics,
    WatchSettings,
    sync_once,
)

__all__ = ["COMMAND"]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def every(text: str) -> float:
    """``--every``: 90, 90s, 15m, 1h, 1d (seconds when no unit)."""
    number, unit = (text[:-1], text[-1]) if text[-1:] in _UNITS else (text, "s")
    try:
        seconds = float(number) * _UNITS[unit]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--every: not a duration: {text!r}") from None
    if not seconds > 0 or seconds == float("inf"):
        raise argparse.ArgumentTypeError(f"--every must be > 0, got {text!r}")
    return seconds


def amount(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value.is_finite() or value < 0:
        raise argparse.ArgumentTypeError(f"must be a number >= 0, got {text!r}")
    return value


def _add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", required=True, type=Path, metavar="PATH", help="history file")
    parser.add_argument(
        "--every",
        type=every,
        default=900.0,
        metavar="DURATION",
        help="time between cycle starts: 90s, 15m, 1h (default 15m)",
    )
    parser.add_argument("--once", action="store_true", help="one cycle, then exit (cron)")
    _add_event_options(parser)
    options.add_quote_option(parser, "assets: default usdt", default="usdt")
    options.add_request_options(parser, files="history file")


def _add_event_options(parser: argparse.ArgumentParser) -> None:
    """What is an event, and where it goes."""
    parser.add_argument(
        "--notify",
        action="append",
        default=[],
        metavar="URL",
        help="apprise URL to deliver events to (repeatable): tgram://, "
        "discord://, slack://, mailto://, json://host/path ...",
    )
    parser.add_argument(
        "--notify-format",
        choices=("text", "json"),
        default="text",
        help="text: the event in words and its id; json: the event object",
    )
    parser.add_argument(
        "--min-deposit",
        type=amount,
        default=Decimal(0),
        metavar="X",
        help="deposits below X are not events",
    )
    parser.add_argument(
        "--volume-milestone",
        type=amount,
        metavar="Y",
        help="an event when an invitee's volume over --volume-days crosses Y",
    )
    parser.add_argument(
        "--volume-days",
        type=values.volume_days,
        default=7,
        metavar="N",
        help="days the volume milestone counts (default 7)",
    )
    parser.add_argument(
        "--announce-existing",
        action="store_true",
        help="on an empty history, announce every invitee found (default: record them silently)",
    )
    parser.add_argument(
        "--metrics-port",
        type=int,
        metavar="PORT",
        help="serve Prometheus metrics on 127.0.0.1:PORT/metrics",
    )
    parser.add_argument(
        "--retry-after",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="first wait after a refused delivery (doubles, up to 5 min)",
    )


def _target(args: argparse.Namespace) -> Target:
    """Every check that needs no I/O, before any."""
    credentials = credentials_for(args)
    _, zone = options.server_zone(args)
    options.checked_server(args)
    if args.metrics_port is not None and not 0 <= args.metrics_port <= 65535:
        raise StoreError(f"--metrics-port must be 0..65535, got {args.metrics_port}", usage=True)
    if not args.retry_after > 0:
        raise StoreError(f"--retry-after must be > 0, got {args.retry_after}", usage=True)
    return Target(
        base_url=args.base_url,
        api_key="" if credentials is None else credentials.api_key,
        secret_key="" if credentials is None else credentials.secret_key,
        sandbox=args.sandbox,
        rate=args.rate,
        max_retries=args.max_retries,
        server_timezone=zone,
        proxy=options.proxy_for(args),
        limiter=options.checked_limiter(args.limiter),
        quote=args.quote,
        page_size=args.page_size,
    )


def _notifier(args: argparse.Namespace) -> Notifier | None:
    if not args.notify:
        return None
    try:
        return Notifier(args.notify, args.notify_format)
    except NotifyError as exc:
        raise ExportError(str(exc)) from None


def _metrics(args: argparse.Namespace) -> WatchMetrics | None:
    if args.metrics_port is None:
        return None
    try:
        return WatchMetrics()
    except ImportError:
        raise ExportError(
            "--metrics-port needs prometheus-client: pip install 'asset-client[watch]'"
        ) from None


def _reporter(console: Console) -> Any:
    def report(done: Cycle) -> None:
        if done.error is not None:
            logging.getLogger("asset_client.watch").warning(
                "sync failed: %s: %s", type(done.error).__name__, done.error
            )
        if done.derived.silent:
            counts = ", ".join(f"{n} {name}" for name, n in done.derived.silent.items())
            console.note(
                f"{PROG}: first snapshot: {counts} records recorded silently "
                "(--announce-existing announces them)"
            )
        console.emit(
            "summary",
            f"{PROG}: cycle: {plural(len(done.snapshots), 'snapshot')}, "
            f"{plural(done.derived.added, 'new event')}, {done.delivery.sent} delivered, "
            f"{done.pending} pending, {done.seconds:.1f} s",
        )

    return report


def _work(args: argparse.Namespace, console: Console) -> Work:
    target = _target(args)
    notifier = _notifier(args)
    metrics = _metrics(args)
    rules = EventRules(
        min_deposit=args.min_deposit,
        volume_milestone=args.volume_milestone,
        volume_days=args.volume_days,
    )
    settings = WatchSettings(
        every=args.every,
        once=args.once,
        rules=rules,
        announce_existing=args.announce_existing,
        backoff=Backoff(first=args.retry_after),
    )

    async def work() -> int:
        server = None if metrics is None else metrics.serve(args.metrics_port)
        try:
            async with (
                await SnapshotStore.open(args.db, busy_timeout=30.0) as store,
                await Outbox.open(args.db) as outbox,
            ):
                watch = Watch(
                    store=store,
                    outbox=outbox,
                    sync=lambda s, e: sync_once(target, s, metrics, e),
                    settings=settings,
                    notifier=notifier,
                    metrics=metrics,
                    on_cycle=_reporter(console),
                )
                await watch.run()
        finally:
            if server is not None:
                server.shutdown()
        return EXIT_OK

    return work


def _run(args: argparse.Namespace, console: Console) -> int:
    return run_job(args, console, ReadJob(console, lambda: _work(args, console)))


COMMAND = Command(
    name="watch",
    help="sync every cycle and deliver events (first deposits, joins...) through apprise",
    description=(
        "Each cycle: sync every dataset (the invitees' assets, the invitee list, their\n"
        "trading volume) into the history (as sync), compute the events\n"
        "an affiliate acts on — new_invitee, gone, first_deposit, deposit, withdrawal,\n"
        "volume_milestone — keep them in the history file's outbox and deliver them to\n"
        "every --notify URL (apprise: Telegram, Discord, Slack, e-mail, webhooks...).\n"
        "Nothing is lost: a kill at any moment leaves the events pending for the next start."
    ),
    epilog=(
        "SIGTERM/SIGINT: the cycle in progress is rolled back cleanly; exit 130.\n"
        "--notify needs the watch extra: pip install 'asset-client[watch]'."
    ),
    add_options=_add_options,
    run=_run,
)
