"""The ``asset-client`` command: the parser, the registry of commands, and dispatch.

Each command is one module beside this one that declares only its own options (the
shared ones come from `options`) and ends in ``COMMAND``; `COMMANDS` below lists them, so
a new command is one file plus one line here, and no command imports another.
Sharp edge: a usage error prints the usage of the command it belongs to (an option that
no command knows is reported by that command, not by the top-level parser), and exits 2
through `main`'s return value rather than argparse's ``sys.exit``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from asset_client.cli import (
    changes,
    dashboard,
    events,
    export,
    history,
    report,
    sandbox,
    snapshots,
    sync,
    verify,
    watch,
)
from asset_client.cli.base import PROG, Command, Parser, UsageError
from asset_client.cli.credentials import load_credentials_file
from asset_client.cli.exits import EXIT_CODES, EXIT_OK, EXIT_USAGE, exit_code_for
from asset_client.cli.runner import logging_to
from asset_client.client.version import VERSION
from asset_client.export.console import Console

__all__ = [
    "COMMANDS",
    "EXIT_CODES",
    "build_parser",
    "exit_code_for",
    "load_credentials_file",
    "main",
]

#: Every command, by name, in the order ``--help`` lists them.
COMMANDS: dict[str, Command] = {
    c.name: c
    for c in (
        export.COMMAND,
        report.COMMAND,
        sync.COMMAND,
        changes.COMMAND,
        history.COMMAND,
        snapshots.COMMAND,
        watch.COMMAND,
        events.COMMAND,
        sandbox.COMMAND,
        verify.COMMAND,
        dashboard.COMMAND,
    )
}

DESCRIPTION = """\
Read CoinW's partner (affiliate) API: your direct invitees' assets (deposits,
withdrawals, balances), the invited user list and their daily trading volume.
Export any of them to CSV or JSON Lines (resumably), join them in one report,
keep a local history of snapshots and list what changed, or run a local sandbox
of the API to try it all without a key."""


def build_parser() -> argparse.ArgumentParser:
    """The whole command line: the top level and every command's parser."""
    return _build()[0]


def _build() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    parser: argparse.ArgumentParser = Parser(
        prog=PROG,
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EXIT_CODES,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {VERSION}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    parsers: dict[str, argparse.ArgumentParser] = {}
    for command in COMMANDS.values():
        parsers[command.name] = sub = subparsers.add_parser(
            command.name,
            help=command.help,
            description=command.description,
            epilog=command.epilog,
            formatter_class=command.formatter_class,
        )
        command.add_options(sub)
    return parser, parsers


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser, commands = _build()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        # The command's own usage, not the top level's: it is the command that was misused.
        commands[args.command].error(f"unrecognized arguments: {' '.join(unknown)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``asset-client`` console script; returns the exit status."""
    try:
        args = _parse(argv)
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    except SystemExit as exc:  # --help, --version
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    console = Console(
        sys.stderr,
        fmt=getattr(args, "log_format", "text"),
        quiet=getattr(args, "quiet", False),
        prog=PROG,
    )
    with logging_to(console, getattr(args, "debug", False)):
        return COMMANDS[args.command].run(args, console)


# Kept for the tests outside cli/ that import them from here (tests/core/test_quote_case.py).
