"""``asset-client sandbox``: the local imitation of the partner API, in the foreground.

The options and the server are the sandbox's own (`asset_client.sandbox`, also run as
``python -m asset_client.sandbox``); this module only names the command.  Sharp edge:
``--secret-key`` is the one secret the command line takes, because it is the sandbox's
throwaway secret, never a CoinW one.
"""

from __future__ import annotations

import argparse
import asyncio

from asset_client.cli.base import Command
from asset_client.cli.exits import EXIT_INTERRUPTED
from asset_client.export.console import Console
from asset_client.sandbox import DEMO_API_KEY, DEMO_SECRET_KEY
from asset_client.sandbox._cli import add_sandbox_arguments, run_sandbox_command

__all__ = ["COMMAND"]


class _DefaultsFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default, except where there is none to show."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or isinstance(action.default, bool):
            return action.help
        return super()._get_help_string(action)


def _run(args: argparse.Namespace, console: Console) -> int:
    try:
        return asyncio.run(run_sandbox_command(args))
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


COMMAND = Command(
    name="sandbox",
    help="run a local fake CoinW partner API (assets, invitee list, trading volume) for "
    "demos and tests",
    description=(
        "Serve a local, strict imitation of CoinW's partner API (the invitees' assets, the "
        "invited user list and their daily trading volume) with synthetic data. It accepts "
        "only its own credentials (by default the public demo pair "
        f"{DEMO_API_KEY!r} / {DEMO_SECRET_KEY!r}). --secret-key on the command line is for "
        "throwaway sandbox credentials only: never pass a real CoinW secret here (it would "
        "land in shell history and process listings)."
    ),
    add_options=add_sandbox_arguments,
    run=_run,
    formatter_class=_DefaultsFormatter,
)
