"""What a command is: its name, its help, the options it declares and how it runs.

Every module under ``cli/`` that is a command ends in one ``COMMAND = Command(...)``, and
`asset_client.cli.main` lists them: a new command is one file plus one line there.
Sharp edge: argparse exits the process on a usage error; `Parser` raises `UsageError`
instead, so ``main`` returns its status like any other failure (and tests can call it).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import NoReturn

from attrs import frozen

from asset_client.export.console import Console

__all__ = ["PROG", "Command", "Parser", "UsageError"]

PROG = "asset-client"


class UsageError(Exception):
    """A bad command line, already explained by the usage that was printed."""


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error raises instead of exiting, so `main` returns."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        raise UsageError(f"{self.prog}: error: {message}")


@frozen(kw_only=True)
class Command:
    """One subcommand: how to declare its options and how to run it."""

    name: str
    help: str  #: one line in ``asset-client --help``
    description: str  #: the top of ``asset-client NAME --help``
    #: declares the command's own options (and the shared groups it takes from `options`)
    add_options: Callable[[argparse.ArgumentParser], None]
    #: runs the parsed command line; returns the exit status
    run: Callable[[argparse.Namespace, Console], int]
    epilog: str | None = None
    formatter_class: type[argparse.HelpFormatter] = argparse.RawDescriptionHelpFormatter
