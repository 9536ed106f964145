"""``asset-client verify UID ...``: is each uid a direct invitee, and did it qualify?

One line per uid on stdout (text, or one JSON object per line), in the order given;
`AssetClient.qualify` asks the server.  Sharp edge: the exit status says whether *every*
uid qualified (0) or any did not (6, `EXIT_NOT_QUALIFIED`); the usual 2/3/4/5 still mean
the question could not be answered at all.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from decimal import Decimal, InvalidOperation

import attrs

from asset_client.cli import options, values
from asset_client.cli.base import Command
from asset_client.cli.credentials import credentials_for
from asset_client.cli.exits import EXIT_NOT_QUALIFIED, EXIT_OK
from asset_client.cli.runner import ReadJob, Work, run_job
from asset_client.core.qualify import amount_text
from asset_client.export.connect import open_client
from asset_client.export.console import Console
from asset_client.records import Qualification

__all__ = ["COMMAND", "qualification_json", "qualification_line"]


def _amount(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value < 0:
        raise argparse.ArgumentTypeError(f"must be an amount >= 0, got {text!r}")
    return value


def _add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("uids", nargs="+", type=values.uid, metavar="UID", help="uids to check")
    parser.add_argument(
        "--min-deposit", type=_amount, metavar="X", help="least total deposit, in --quote"
    )
    parser.add_argument(
        "--min-volume", type=_amount, metavar="Y", help="least trading volume over --days"
    )
    parser.add_argument(
        "--days",
        type=values.volume_days,
        default=30,
        metavar="N",
        help="volume over the last N days of server time, today included (default 30)",
    )
    options.add_quote_option(parser, "quote currency of the deposits (default usdt)", "usdt")
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="output (default text)"
    )
    options.add_request_options(parser)


def qualification_line(answer: Qualification) -> str:
    """``10001234 qualified: deposit 250 USDT, volume 12,000 over 30 days`` (or why not)."""
    if not answer.qualified:
        return f"{answer.uid} not qualified: {'; '.join(answer.reasons)}"
    facts = []
    if answer.total_deposit is not None:
        facts.append(
            f"deposit {amount_text(answer.total_deposit, grouped=True)} {answer.quote.upper()}"
        )
    if answer.volume is not None:
        days = "1 day" if answer.days == 1 else f"{answer.days} days"
        facts.append(f"volume {amount_text(answer.volume, grouped=True)} over {days}")
    return f"{answer.uid} qualified: {', '.join(facts)}"


def qualification_json(answer: Qualification) -> str:
    """One JSON object: the fields of `Qualification`, amounts as strings, times ISO 8601."""

    def text(value: object) -> object:
        if value is None or isinstance(value, bool | int):
            return value
        if isinstance(value, tuple):
            return list(value)
        if hasattr(value, "isoformat"):
            return value.isoformat()
        return str(value)  # Decimal: exact, as a string

    fields = attrs.asdict(answer, recurse=False)
    return json.dumps({name: text(value) for name, value in fields.items()}, ensure_ascii=False)


def _work(args: argparse.Namespace) -> Work:
    _, zone = options.server_zone(args)
    options.checked_server(args)
    credentials = credentials_for(args)
    connection = options.connection_for(args, zone, sandbox=args.sandbox)
    show = qualification_json if args.format == "json" else qualification_line

    async def work() -> int:
        async with open_client(connection, credentials) as (client, _):
            answers = await asyncio.gather(
                *(
                    client.qualify(
                        uid,
                        min_deposit=args.min_deposit,
                        min_volume=args.min_volume,
                        days=args.days,
                        quote=args.quote,
                    )
                    for uid in args.uids
                )
            )
        for answer in answers:
            print(show(answer), file=sys.stdout, flush=True)
        return EXIT_OK if all(a.qualified for a in answers) else EXIT_NOT_QUALIFIED

    return work


def _run(args: argparse.Namespace, console: Console) -> int:
    return run_job(args, console, ReadJob(console, lambda: _work(args)))


COMMAND = Command(
    name="verify",
    help="is each UID your direct invitee, and did it deposit / trade enough? (exit 6: not all)",
    description=(
        "Check each UID as a verification bot does: is it your direct invitee (the invitee\n"
        "assets and the invited user list), are its deposits at least --min-deposit, and\n"
        "is its trading volume over the last --days days (server time, today included) at\n"
        "least --min-volume? One line per UID; exit 0 when every UID qualified, 6 when\n"
        "any did not.\n"
        "Try it: asset-client verify --sandbox 10001234 --min-deposit 100"
    ),
    add_options=_add_options,
    run=_run,
)
