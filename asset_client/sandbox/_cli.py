"""The ``asset-client sandbox`` subcommand (also ``python -m asset_client.sandbox``): run the
sandbox server in the foreground, one log line per request on stdout.

Sharp edge: the log line shows the API key masked to its last 4 characters, never the
signature: a real key pointed here by mistake stays out of terminals and logs.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import math
import sys
import time
from datetime import UTC, datetime
from typing import Any

from asset_client.sandbox._config import (
    DEMO_API_KEY,
    DEMO_SECRET_KEY,
    MAX_INVITEES,
    RequestRecord,
    SandboxConfig,
)
from asset_client.sandbox._faults import FaultConfig
from asset_client.sandbox._server import run_sandbox

__all__ = [
    "add_sandbox_arguments",
    "add_sandbox_parser",
    "build_parser",
    "is_loopback",
    "request_line",
    "run_sandbox_command",
    "sandbox_config_from_args",
]

DEFAULT_PORT = 8765  # fixed, so demo instructions can name the URL


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 0 to 65535, got {text!r}")
    return port


def _invitees(text: str) -> int:
    # Checked before anything is allocated: 10**30 would otherwise never listen.
    try:
        count = int(text)
    except ValueError:
        count = -1
    if not 0 <= count <= MAX_INVITEES:
        raise argparse.ArgumentTypeError(
            f"must be a whole number from 0 to {MAX_INVITEES:,}, got {text!r}"
        )
    return count


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be a finite number of seconds >= 0, got {text!r}")
    return value


def _credential(text: str) -> str:
    if not text:
        raise argparse.ArgumentTypeError(f"must not be empty, got {text!r}")
    return text


_DESCRIPTION = (
    "Serve a local, strict imitation of CoinW's partner API (invitee assets, the "
    "invited user list and their trading volume) with synthetic data. It accepts only "
    "its own credentials (by default the public demo pair "
    f"{DEMO_API_KEY!r} / {DEMO_SECRET_KEY!r}). --secret-key on "
    "the command line is for throwaway sandbox credentials only: never pass a real "
    "CoinW secret here (it would land in shell history and process listings)."
)


class _DefaultsFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default, except where there is none to show."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or isinstance(action.default, bool):
            return action.help
        return super()._get_help_string(action)


def add_sandbox_parser(subparsers: Any) -> None:
    """Add the ``sandbox`` subcommand to an ``argparse`` subparsers object.

    ``subparsers`` is what ``ArgumentParser.add_subparsers()`` returns (typed Any because
    argparse's class for it is private).
    """
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "sandbox",
        help="run a local fake CoinW server for demos and tests",
        description=_DESCRIPTION,
        formatter_class=_DefaultsFormatter,
    )
    add_sandbox_arguments(parser)


def build_parser(prog: str = "python -m asset_client.sandbox") -> argparse.ArgumentParser:
    """The standalone parser of ``python -m asset_client.sandbox``."""
    parser = argparse.ArgumentParser(
        prog=prog, description=_DESCRIPTION, formatter_class=_DefaultsFormatter
    )
    add_sandbox_arguments(parser)
    return parser


def add_sandbox_arguments(parser: argparse.ArgumentParser) -> None:
    """The sandbox's options, on the subcommand and on the standalone parser."""
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="interface to bind (anything but loopback must be given explicitly)",
    )
    parser.add_argument("--port", type=_port, default=DEFAULT_PORT, help="0 = any free port")
    parser.add_argument(
        "--api-key", type=_credential, default=DEMO_API_KEY, help="key the sandbox accepts"
    )
    parser.add_argument(
        "--secret-key",
        type=_credential,
        default=DEMO_SECRET_KEY,
        help="secret the sandbox accepts (throwaway sandbox credentials only)",
    )
    parser.add_argument(
        "--non-affiliate-key",
        metavar="KEY",
        help="also accept KEY (with the same secret) as a key without the Affiliate "
        "permission: it gets code 6003, to try the permission error",
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="no log line per request")
    parser.add_argument(
        "--invitees",
        type=_invitees,
        default=3000,
        help=f"invitees per quote (at most {MAX_INVITEES:,})",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic data")
    parser.add_argument(
        "--days", type=int, default=0, help="serve the data this many simulated days later"
    )
    parser.add_argument(
        "--max-page-size", type=int, default=1000, help="largest pageSize accepted (docs: 1000/100)"
    )
    parser.add_argument(
        "--clamp-page-size",
        type=int,
        default=None,
        help="silently cap pageSize to this instead of rejecting large sizes",
    )
    parser.add_argument(
        "--rate-limit", type=int, default=5, help="requests per second per IP and key"
    )
    parser.add_argument(
        "--rate-limit-status",
        type=int,
        choices=(200, 429),
        default=200,
        help="200: code 29001 in the body; 429: HTTP 429 with Retry-After",
    )
    parser.add_argument(
        "--latency", type=_seconds, default=0.0, help="seconds added to every answer"
    )
    parser.add_argument(
        "--fault-rate",
        type=float,
        default=0.0,
        help="probability (0..1) that a request gets a random fault",
    )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def sandbox_config_from_args(args: argparse.Namespace) -> SandboxConfig:
    return SandboxConfig(
        invitees=args.invitees,
        seed=args.seed,
        days=args.days,
        api_key=args.api_key,
        secret_key=args.secret_key,
        non_affiliate_keys=(
            {} if args.non_affiliate_key is None else {args.non_affiliate_key: args.secret_key}
        ),
        max_page_size=args.max_page_size,
        clamp_page_size=args.clamp_page_size,
        rate_limit=args.rate_limit,
        rate_limit_status=args.rate_limit_status,
        faults=FaultConfig(latency=args.latency, random_rate=args.fault_rate),
    )


def _masked(api_key: str | None) -> str:
    if not api_key:
        return "none"
    return f"…{api_key[-4:]}" if len(api_key) > 8 else "…"


def request_line(record: RequestRecord, wall_time: float) -> str:
    """One request as a log line: when, what was asked, what was answered."""
    when = datetime.fromtimestamp(wall_time, UTC).isoformat(timespec="milliseconds")
    query = "&".join(f"{k}={v}" for k, v in record.params) or "-"
    answer = "connection reset" if record.status == 0 else f"HTTP {record.status}"
    if record.code is not None:
        answer += f" code {record.code}"
    if record.rate_limited:
        answer += " (rate limited)"
    if record.fault is not None:
        answer += f" (injected fault: {record.fault.name.lower()})"
    return f"{when.replace('+00:00', 'Z')} GET {query} key={_masked(record.api_key)} -> {answer}"


async def run_sandbox_command(args: argparse.Namespace) -> int:
    """Run until cancelled (Ctrl-C); return the exit status."""
    host: str = args.host
    try:
        config = sandbox_config_from_args(args)
    except ValueError as exc:
        print(f"asset-client sandbox: {exc}", file=sys.stderr)
        return 2
    if not is_loopback(host):
        # Explicitly requested (the default is loopback), but worth a loud note.
        print(
            f"warning: binding {host}: the sandbox is reachable from other machines and "
            "its credentials are not secret",
            file=sys.stderr,
        )
    try:
        async with run_sandbox(config, host=host, port=args.port) as sandbox:
            if not getattr(args, "quiet", False):
                sandbox.on_request = lambda r: print(request_line(r, time.time()), flush=True)
            print(f"CoinW sandbox listening on {sandbox.base_url}", flush=True)
            print(f"  api key:    {sandbox.api_key}")
            print(f"  secret key: {sandbox.secret_key}  (sandbox credentials, not a real secret)")
            for key in config.non_affiliate_keys:
                print(f"  non-affiliate key: {key} (same secret; answered with code 6003)")
            print(
                f"  {config.invitees} invitees per quote (usdt, usdc), seed {config.seed}, "
                f"{config.rate_limit} requests/s per IP and key"
            )
            print(
                "Point the exporter at it with base URL "
                f"{sandbox.base_url} and the credentials above "
                "(or run `asset-client export --sandbox` for an embedded one). Ctrl-C stops.",
                flush=True,
            )
            await asyncio.Event().wait()  # until cancelled
    except OSError as exc:
        print(f"asset-client sandbox: cannot listen on {host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    except (asyncio.CancelledError, KeyboardInterrupt):
        pass
    return 0
