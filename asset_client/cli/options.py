"""The options several commands share, declared once (as pip's ``cmdoptions``).

`add_request_options` is what every command that sends requests takes (export, report,
sync): where to connect, with which credentials, how fast, how to log, what to write
beside.  `add_logging_options` and `add_file_mode_option` are the conventions of the
commands that only read a history.  A command declares only its own options and adds
these groups.  Sharp edge: a value's own shape is checked by argparse (`values`); checks
that need two options or the chosen dataset run in the command, still before any I/O.
"""

from __future__ import annotations

import argparse
from datetime import UTC, tzinfo
from pathlib import Path
from typing import get_args
from urllib.parse import urlsplit

from asset_client.cli import values
from asset_client.client.client import DEFAULT_BASE_URL, checked_base_url
from asset_client.core.query import Quote
from asset_client.core.retry import MAX_RETRIES
from asset_client.endpoints import ENDPOINTS
from asset_client.endpoints.base import PARTNER_LIMITS
from asset_client.export.connect import Connection
from asset_client.export.console import FORMATS
from asset_client.export.files import DEFAULT_FILE_MODE, OutputFormat
from asset_client.export.run import ExportError
from asset_client.limit import LIMITER_ENV, resolve_limiter
from asset_client.limit.redis_backend import redacted_url
from asset_client.store import SCHEMA_VERSION

__all__ = [
    "DATASETS",
    "HISTORY_EPILOG",
    "add_file_mode_option",
    "add_history_options",
    "add_logging_options",
    "add_quote_option",
    "add_request_options",
    "checked_limiter",
    "checked_server",
    "proxy_for",
    "server_zone",
]

#: The datasets, named as the endpoints are: ``assets``, ``invitees``, ``volume``.
DATASETS: tuple[str, ...] = tuple(ENDPOINTS)

_LIMITS = PARTNER_LIMITS

#: What a history is, for the help of every command that reads or writes one.
HISTORY_EPILOG = f"""\
The history is one SQLite file (schema version {SCHEMA_VERSION}). Each sync records one
snapshot per dataset (assets, invitees, volume), all in one transaction: all or
nothing; only records that changed since the last snapshot are stored. Snapshots
compare only with snapshots of the same dataset and parameters (source, quote,
window, server time zone).
"""


def add_logging_options(parser: argparse.ArgumentParser) -> None:
    """``--quiet``, ``--log-format``, ``--debug``: what goes to stderr, and how."""
    parser.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="no progress and no summary line; warnings and errors still shown",
    )
    parser.add_argument(
        "--log-format",
        choices=FORMATS,
        default="text",
        help="stderr as timestamped text (default) or one JSON object per line",
    )
    parser.add_argument(
        "--debug", action="store_true", help="log every request; tracebacks on errors"
    )


def add_file_mode_option(parser: argparse.ArgumentParser, files: str = "files") -> None:
    parser.add_argument(
        "--file-mode",
        type=values.file_mode,
        default=DEFAULT_FILE_MODE,
        metavar="MODE",
        help=f"octal mode of the {files} created, e.g. 640 (default 600: owner only; "
        "the umask still applies)",
    )


def add_request_options(parser: argparse.ArgumentParser, files: str = "files") -> None:
    """Where to connect, with which credentials, how fast, how to report: every command
    that sends requests takes these, the same way."""
    parser.add_argument(
        "--page-size",
        type=values.page_size,
        metavar="N",
        help=f"records per request, 1..{_LIMITS.max} (default: {_LIMITS.default}, "
        f"{_LIMITS.fallback} if refused)",
    )
    parser.add_argument(
        "--base-url", default=DEFAULT_BASE_URL, help=f"API server (default {DEFAULT_BASE_URL})"
    )
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="use an embedded local sandbox with demo data instead of CoinW (no credentials "
        "needed)",
    )
    parser.add_argument(
        "--credentials-file",
        type=Path,
        metavar="PATH",
        help="file with api_key=... and secret_key=... (mode 600); default: environment",
    )
    parser.add_argument(
        "--server-timezone",
        type=values.zone,
        default=("UTC", UTC),
        metavar="ZONE",
        help="zone of the server's times: IANA name, UTC or +08:00 (default UTC)",
    )
    parser.add_argument(
        "--proxy",
        type=values.proxy,
        metavar="URL",
        help="HTTP proxy, http://[user:password@]host:port (default: HTTPS_PROXY from the "
        "environment)",
    )
    parser.add_argument(
        "--summary-json",
        metavar="FILE",
        help="also write the final summary (counts, exact sums, requests, retries, elapsed, "
        "exit status) as JSON to FILE, or - for stdout; written on failure too",
    )
    add_logging_options(parser)
    _add_advanced_options(parser)
    add_file_mode_option(parser, files)


def _add_advanced_options(parser: argparse.ArgumentParser) -> None:
    advanced = parser.add_argument_group("advanced (tests, benchmarks, special agreements)")
    advanced.add_argument(
        "--rate",
        type=values.rate,
        metavar="N/SECONDS",
        help="client rate limit, e.g. 50/0.1 against a fast sandbox (default 5/1: CoinW's limit)",
    )
    advanced.add_argument(
        "--limiter",
        metavar="BACKEND",
        help="where the key's one budget is kept: host (default: every process of this user "
        "on this machine), process (this process only) or redis://HOST:PORT/DB (every host "
        f"using that Redis); overrides {LIMITER_ENV}",
    )
    advanced.add_argument(
        "--max-retries",
        type=values.retries,
        metavar="N",
        help=f"retries per request, 0..{MAX_RETRIES} (default 5)",
    )


def add_quote_option(
    parser: argparse.ArgumentParser, what: str, default: str | None = None
) -> None:
    """``--quote``: the assets' quote currency, in any case (sent lower case, as the library
    takes it)."""
    parser.add_argument(
        "--quote", type=str.lower, choices=get_args(Quote), default=default, help=what
    )


def add_history_options(parser: argparse.ArgumentParser, what: str) -> None:
    """What every command that reads a history takes: the file, the dataset, where the
    rows go and how, and the logging conventions."""
    parser.add_argument("--db", required=True, type=Path, metavar="PATH", help="history file")
    parser.add_argument(
        "--dataset",
        choices=DATASETS,
        default="assets",
        help=f"{what} of assets (default), invitees or volume",
    )
    parser.add_argument("--out", metavar="FILE", help="write here (atomically) instead of stdout")
    parser.add_argument(
        "--format",
        # Rows of a history are lines: no Parquet here (export --format parquet has it).
        choices=[f.value for f in OutputFormat if f is not OutputFormat.PARQUET],
        help="default: from the --out extension (.csv, .jsonl, .ndjson), else csv",
    )
    add_logging_options(parser)
    add_file_mode_option(parser, "--out file")


# -- checks of the request options, before any I/O ----------------------------------------


#: Redis' databases by default (``databases 16``): a number beyond is refused by the
#: server only when the first request waits for a permit, so it is refused here instead.
REDIS_DATABASES = 16


def checked_limiter(spec: str | None) -> str | None:
    """The --limiter value, checked now (a bad one is a usage error before any I/O)."""
    if spec is None:
        return None
    resolve_limiter(spec)
    if spec.strip().startswith(("redis://", "rediss://")):
        _check_redis_url(spec.strip())
    return spec


def _check_redis_url(spec: str) -> None:
    """A port and a database number a Redis can have (the password never shows)."""
    parts = urlsplit(spec)
    shown = redacted_url(spec)
    try:
        parts.port  # noqa: B018 - urlsplit checks the port's range when it is read
    except ValueError:
        raise ExportError(f"--limiter: the port must be 1..65535, got {shown!r}") from None
    db = parts.path.strip("/") or "0"
    if not (db.isdigit() and int(db) < REDIS_DATABASES):
        raise ExportError(
            f"--limiter: the database number must be 0..{REDIS_DATABASES - 1} (Redis' "
            f"default), got {shown!r}"
        )


def proxy_for(args: argparse.Namespace) -> str | None:
    """``--proxy``, refused with ``--sandbox`` (which runs on this machine)."""
    if args.sandbox and args.proxy:
        raise ExportError("--proxy has no use with --sandbox: the sandbox runs on this machine")
    proxy: str | None = args.proxy
    return proxy


def checked_server(args: argparse.Namespace) -> None:
    """``--base-url`` by the client's rules (the sandbox brings its own)."""
    if not args.sandbox:
        checked_base_url(args.base_url)


def server_zone(args: argparse.Namespace) -> tuple[str, tzinfo]:
    """``--server-timezone``: (the name it is recorded under, the zone)."""
    name, zone = args.server_timezone
    return str(name), zone


def connection_for(args: argparse.Namespace, zone: tzinfo, *, sandbox: bool) -> Connection:
    """The connection options of a command (`add_request_options`), checked."""
    return Connection(
        sandbox=sandbox,
        base_url=args.base_url,
        rate=args.rate,
        max_retries=args.max_retries,
        server_timezone=zone,
        proxy=proxy_for(args),
        limiter=checked_limiter(args.limiter),
    )
