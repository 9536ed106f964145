"""The ``asset-client`` command: argument parsing, credentials, exit statuses.

Subcommands: ``export`` (here and in `_export_run`) and ``sandbox`` (in
`asset_client.sandbox._cli`).  Secrets come from the environment or a private file,
never from the command line, where ``ps`` and shell history would show them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import re
import signal
import stat
import sys
import time
import traceback
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from asset_client.cli.datasets import (
    add_dataset_arguments,
    add_report_parser,
    dataset_settings,
    export_settings,
    out_target,
    output_format,
    proxy_for,
    report_settings,
    time_or_day,
)
from asset_client.client import log as _logging
from asset_client.client.client import DEFAULT_BASE_URL, checked_base_url
from asset_client.client.env import ENV_API_KEY, ENV_SECRET_KEY, checked_proxy
from asset_client.client.log import redact
from asset_client.client.version import VERSION
from asset_client.core.query import JAVA_LONG_MAX, MAX_PAGE_SIZE, TIME_FORMAT, validate_query
from asset_client.core.retry import MAX_RETRIES
from asset_client.errors import (
    AssetClientError,
    AuthenticationError,
    InvalidParameterError,
    PaginationError,
    PermissionDeniedError,
    RateLimitError,
    ResponseDecodeError,
    ServerError,
    TransportError,
    relabel_for_lookup,
)
from asset_client.export.console import FORMATS, Console, plural
from asset_client.export.files import DEFAULT_FILE_MODE, OutputFormat, atomic_write, partial_path
from asset_client.export.report_run import report_summary, run_report
from asset_client.export.run import (
    Credentials,
    ExportError,
    ExportSettings,
    ExportState,
    run_export,
    summary_line,
)
from asset_client.export.summary import summary_document
from asset_client.limit import LIMITER_ENV, LimiterUnavailableError
from asset_client.limit.host import RUNTIME_DIR_ENV
from asset_client.limit.limiter import RateLimit

__all__ = ["EXIT_CODES", "exit_code_for", "load_credentials_file", "main"]

PROG = "asset-client"

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_GAVE_UP = 4
EXIT_UNTRUSTED = 5
EXIT_INTERRUPTED = 130
#: A reader closed the pipe (``... --out - | head``): what a shell reports for a
#: command killed by SIGPIPE (128 + 13), quietly, as other tools do.
EXIT_BROKEN_PIPE = 141

EXIT_CODES = f"""\
exit statuses:
  {EXIT_OK}    success: the output file is complete
  {EXIT_FAILURE}    local failure (cannot write the output, unexpected error)
  {EXIT_USAGE}    bad usage: invalid option or value, missing credentials, or a
       checkpoint that does not fit this export
  {EXIT_AUTH}    authentication or permission refused (check the key and secret; the key
       needs CoinW's Affiliate permission)
  {EXIT_GAVE_UP}    gave up after retries: rate limit, network or server errors, or the
       shared limiter (Redis) unreachable (try again later with --resume)
  {EXIT_UNTRUSTED}    the server sent data that cannot be trusted (unreadable answers,
       inconsistent pages); retrying will probably not help
  {EXIT_INTERRUPTED}  interrupted (Ctrl-C or SIGTERM); continue with --resume
  {EXIT_BROKEN_PIPE}  the reader of --out - closed the pipe (e.g. | head): no message
"""

EXPORT_EPILOG = f"""\
credentials:
  Read from the environment ({ENV_API_KEY}, {ENV_SECRET_KEY}) or from
  --credentials-file: lines "api_key=..." and "secret_key=..." (or a JSON
  object with those keys), readable by its owner only (chmod 600).
  Never given on the command line. --sandbox needs none.

output:
  The target file appears only when the export is complete; until then
  records go to a hidden ".NAME.partial" beside it, and a checkpoint
  "NAME.checkpoint.json" records the progress (never any credentials).
  If a checkpoint exists, pass --resume to continue it (the result is the
  same file a clean run would write), or delete it to start over.
  Files are created owner-only (mode 600; see --file-mode). A device or
  FIFO (/dev/null, /dev/stdout, a named pipe) is written through like
  "--out -", never replaced; other non-regular files are refused.

{EXIT_CODES}"""

logger = _logging.get_logger()


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error raises instead of exiting, so `main` returns."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        raise _UsageError(f"{self.prog}: error: {message}")


class _UsageError(Exception):
    pass


# -- argument types ------------------------------------------------------------------------


def _ascii_int(text: str, low: int, high: int) -> int:
    """A plain ASCII decimal integer in ``[low, high]``: no sign, no spaces, no "_",
    no full-width digits (all of which Python's int() would take)."""
    if not (text.isascii() and text.isdigit() and len(text) <= len(str(high))):
        raise argparse.ArgumentTypeError(f"must be an integer from {low} to {high}, got {text!r}")
    value = int(text)
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"must be an integer from {low} to {high}, got {text!r}")
    return value


def _page_size(text: str) -> int:
    return _ascii_int(text, 1, MAX_PAGE_SIZE)


def _uid(text: str) -> int:
    return _ascii_int(text, 1, JAVA_LONG_MAX)


def _time(text: str) -> str:
    try:
        if len(text) != len("yyyy-MM-dd HH:mm:ss"):
            raise ValueError
        datetime.strptime(text, TIME_FORMAT)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a time like '2026-03-01 00:00:00' (yyyy-MM-dd HH:mm:ss), got {text!r}"
        ) from None
    return text


_OFFSET_RE = re.compile(r"(?:UTC)?([+-])([0-9]{2}):?([0-9]{2})")


def _zone(text: str) -> tuple[str, tzinfo]:
    """An IANA name (Asia/Shanghai), UTC, or a fixed offset (+08:00)."""
    if text.upper() in ("UTC", "Z"):
        return "UTC", UTC
    if match := _OFFSET_RE.fullmatch(text):
        sign, hours, minutes = match.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes))
        if delta >= timedelta(hours=24):
            raise argparse.ArgumentTypeError(f"offset out of range: {text!r}")
        name = f"{sign}{hours}:{minutes}"
        return name, timezone(-delta if sign == "-" else delta)
    try:
        return text, ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise argparse.ArgumentTypeError(
            f"unknown time zone {text!r} (use an IANA name like Asia/Shanghai, UTC, or +08:00)"
        ) from None


_PERIOD_RE = re.compile(r"[0-9]+(?:\.[0-9]+)?|\.[0-9]+")


def _rate(text: str) -> RateLimit:
    """``REQUESTS/SECONDS``; the margin scales with the period like the default's."""
    requests_text, _, period_text = text.partition("/")
    try:
        requests = _ascii_int(requests_text, 1, 1_000_000)
        if not _PERIOD_RE.fullmatch(period_text):
            raise ValueError
        period = float(period_text)
        return RateLimit(requests=requests, period=period, margin=period * RateLimit().margin)
    except (ValueError, argparse.ArgumentTypeError):  # InvalidParameterError is a ValueError
        raise argparse.ArgumentTypeError(
            f"must be REQUESTS/SECONDS like 5/1, got {text!r} (a whole number of "
            "requests, then a period in seconds above 0 and at most 3600)"
        ) from None


def _proxy(text: str) -> str:
    try:
        return checked_proxy(text)
    except InvalidParameterError as exc:
        raise argparse.ArgumentTypeError(exc.message.removeprefix("proxy ")) from None


def _retries(text: str) -> int:
    return _ascii_int(text, 0, MAX_RETRIES)


def _file_mode(text: str) -> int:
    if not re.fullmatch(r"0?[0-7]{3}", text) or int(text, 8) & ~0o666:
        raise argparse.ArgumentTypeError(
            f"must be an octal mode without execute bits like 600 or 640, got {text!r}"
        )
    return int(text, 8)


# -- parser ------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Export CoinW direct-invitee assets (partner API), or run a local sandbox.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EXIT_CODES,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {VERSION}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_export_parser(subparsers)
    add_report_parser(subparsers, _add_connection_args)
    _add_sandbox_parser(subparsers)
    from asset_client.cli.store import add_store_parsers  # sync, changes, history, snapshots

    add_store_parsers(subparsers)
    return parser


def _add_export_parser(subparsers: argparse._SubParsersAction[_Parser]) -> None:
    export = subparsers.add_parser(
        "export",
        help="export every direct invitee's assets to CSV or JSON Lines",
        description=(
            "Export every direct invitee's deposits, withdrawals and balance to a CSV or\n"
            "JSON Lines file, resumably. Try it: asset-client export --sandbox --out invitees.csv"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EXPORT_EPILOG,
    )
    export.add_argument(
        "--out",
        required=True,
        metavar="FILE",
        help="output file, or - for stdout (then no checkpoint and no --resume)",
    )
    export.add_argument(
        "--format",
        choices=[f.value for f in OutputFormat],
        help="default: from the extension (.csv, .jsonl, .ndjson); csv for stdout",
    )
    export.add_argument(
        "--quote",
        type=str.lower,  # any case, as the library takes it
        choices=["usdt", "usdc"],
        help="default usdt (assets only; any case)",
    )
    export.add_argument("--uid", type=_uid, help="export this one invitee only")
    export.add_argument(
        "--start",
        type=time_or_day,
        metavar="TIME",
        help="window start, 'yyyy-MM-dd HH:mm:ss' (volume: a day, yyyy-MM-dd)",
    )
    export.add_argument(
        "--end",
        type=time_or_day,
        metavar="TIME",
        help="window end, 'yyyy-MM-dd HH:mm:ss' (volume: a day, yyyy-MM-dd)",
    )
    add_dataset_arguments(export)
    export.add_argument(
        "--resume", action="store_true", help="continue an interrupted export from its checkpoint"
    )
    _add_connection_args(export)


def _add_connection_args(parser: argparse.ArgumentParser) -> None:
    """Where to connect, with which credentials, how fast: shared by export and report."""
    export = parser
    export.add_argument(
        "--page-size",
        type=_page_size,
        metavar="N",
        help=f"records per request, 1..{MAX_PAGE_SIZE} (default: 1000, 100 if refused)",
    )
    export.add_argument(
        "--base-url", default=DEFAULT_BASE_URL, help=f"API server (default {DEFAULT_BASE_URL})"
    )
    export.add_argument(
        "--sandbox",
        action="store_true",
        help="export from an embedded local sandbox with demo data (no credentials needed)",
    )
    export.add_argument(
        "--credentials-file",
        type=Path,
        metavar="PATH",
        help="file with api_key=... and secret_key=... (mode 600); default: environment",
    )
    export.add_argument(
        "--server-timezone",
        type=_zone,
        default=("UTC", UTC),
        metavar="ZONE",
        help="zone of the server's times: IANA name, UTC or +08:00 (default UTC)",
    )
    export.add_argument(
        "--proxy",
        type=_proxy,
        metavar="URL",
        help="HTTP proxy, http://[user:password@]host:port (default: HTTPS_PROXY from the "
        "environment)",
    )
    export.add_argument(
        "--summary-json",
        metavar="FILE",
        help="also write the final summary (counts, exact sums, requests, retries, elapsed, "
        "exit status) as JSON to FILE, or - for stdout; written on failure too",
    )
    export.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="no progress and no summary line; warnings and errors still shown",
    )
    export.add_argument(
        "--log-format",
        choices=FORMATS,
        default="text",
        help="stderr as timestamped text (default) or one JSON object per line",
    )
    export.add_argument(
        "--debug", action="store_true", help="log every request; tracebacks on errors"
    )
    advanced = export.add_argument_group("advanced (tests, benchmarks, special agreements)")
    advanced.add_argument(
        "--rate",
        type=_rate,
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
        type=_retries,
        metavar="N",
        help=f"retries per request, 0..{MAX_RETRIES} (default 5)",
    )
    export.add_argument(
        "--file-mode",
        type=_file_mode,
        default=DEFAULT_FILE_MODE,
        metavar="MODE",
        help="octal mode of the files created, e.g. 640 (default 600: owner only; "
        "the umask still applies)",
    )


def _add_sandbox_parser(subparsers: argparse._SubParsersAction[_Parser]) -> None:
    try:
        from asset_client.sandbox._cli import add_sandbox_parser
    except ModuleNotFoundError as exc:  # pragma: no cover - a partial install
        if not (exc.name or "").startswith("asset_client.sandbox"):
            raise
        return
    add_sandbox_parser(subparsers)


# -- credentials --------------------------------------------------------------------------


_KEY_NAMES = {
    "api_key": "api_key",
    ENV_API_KEY.lower(): "api_key",
    "secret_key": "secret_key",
    ENV_SECRET_KEY.lower(): "secret_key",
}


def load_credentials_file(path: Path) -> Credentials:
    """Read ``api_key``/``secret_key`` from a ``key=value`` or JSON file.

    Refused if group or other can read it (like ssh does with private keys).  Error
    messages name lines, never their content, which may be the secret.
    """
    try:
        info = path.stat()
        if os.name == "posix" and stat.S_IMODE(info.st_mode) & 0o077:
            raise ExportError(
                f"{path} is readable by other users (mode {stat.S_IMODE(info.st_mode):o}); "
                f"run: chmod 600 {path}"
            )
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ExportError(f"cannot read credentials file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ExportError(f"credentials file {path} is not UTF-8 text") from None
    values: dict[str, str] = {}
    if text.lstrip().startswith("{"):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ExportError(
                f"credentials file {path}: invalid JSON (line {exc.lineno})"
            ) from None
        if isinstance(doc, dict):
            for key, value in doc.items():
                name = _KEY_NAMES.get(str(key).lower())
                if name and isinstance(value, str):
                    values[name] = value
    else:
        for number, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            key, sep, value = line.removeprefix("export ").partition("=")
            if not sep:
                raise ExportError(f"credentials file {path}: line {number} is not key=value")
            name = _KEY_NAMES.get(key.strip().lower())
            if name:
                values[name] = value.strip().strip("'\"")
    missing = [name for name in ("api_key", "secret_key") if not values.get(name)]
    if missing:
        raise ExportError(f"credentials file {path} has no {' and no '.join(missing)}")
    return Credentials(api_key=values["api_key"], secret_key=values["secret_key"])


def _credentials(args: argparse.Namespace) -> Credentials | None:
    if args.sandbox:
        return None  # the embedded sandbox brings its demo pair
    if args.credentials_file is not None:
        return load_credentials_file(args.credentials_file)
    api_key = os.environ.get(ENV_API_KEY, "").strip()
    secret_key = os.environ.get(ENV_SECRET_KEY, "").strip()
    if not api_key or not secret_key:
        missing = [n for n, v in ((ENV_API_KEY, api_key), (ENV_SECRET_KEY, secret_key)) if not v]
        raise ExportError(
            f"no credentials: set {' and '.join(missing)} in the environment, or pass "
            "--credentials-file (or try --sandbox)"
        )
    return Credentials(api_key=api_key, secret_key=secret_key)


# -- export ---------------------------------------------------------------------------------


def _settings(args: argparse.Namespace) -> ExportSettings:
    target = out_target(args.out, resume=args.resume)  # the rules of every --out
    fmt = output_format(args, target)
    if target.is_stdout and args.summary_json == "-":
        raise ExportError("--summary-json - and --out - would share stdout: name a file for one")
    proxy = proxy_for(args)
    zone_name, zone = args.server_timezone
    if not args.sandbox:
        checked_base_url(args.base_url)
    # Cross-field checks (start after end) with the library's own rules, before any I/O.
    for option, value in (("--start", args.start), ("--end", args.end)):
        if value is not None and len(value) != len("yyyy-MM-dd HH:mm:ss"):
            raise ExportError(f"{option} must be a time like '2026-03-01 00:00:00', got {value!r}")
    query = validate_query(
        quote=args.quote or "usdt",
        uid=args.uid,
        start_time=args.start,
        end_time=args.end,
        server_tz=zone,
    )
    return export_settings(
        args, target, fmt, zone_name=zone_name, zone=zone, proxy=proxy, quote=query.quote
    )


def exit_code_for(exc: BaseException) -> int:
    """The documented exit status for an error that stopped a run."""
    if isinstance(exc, ExportError):
        return exc.exit_code
    if isinstance(exc, InvalidParameterError):
        return EXIT_USAGE
    if isinstance(exc, AuthenticationError | PermissionDeniedError):
        return EXIT_AUTH
    if isinstance(exc, LimiterUnavailableError):
        return EXIT_GAVE_UP
    if isinstance(exc, RateLimitError | TransportError | ServerError):
        return EXIT_GAVE_UP
    if isinstance(exc, ResponseDecodeError):
        # A broken body (retryable) that kept coming is a flaky network or gateway; a
        # well-formed answer of the wrong shape is the server's data itself.
        return EXIT_GAVE_UP if exc.retryable else EXIT_UNTRUSTED
    if isinstance(exc, PaginationError | AssetClientError):
        return EXIT_UNTRUSTED  # includes unknown API error codes
    return EXIT_FAILURE


def _hint(exc: BaseException) -> str:
    if isinstance(exc, PermissionDeniedError):
        return "the API key needs CoinW's Affiliate permission (master accounts only)"
    if isinstance(exc, AuthenticationError):
        return f"check {ENV_API_KEY} / {ENV_SECRET_KEY} (or the credentials file) and the clock"
    if isinstance(exc, LimiterUnavailableError):
        if exc.backend == "host":
            return (
                f"fix or set {RUNTIME_DIR_ENV} (a directory of your own), or choose another "
                f"limiter with --limiter or {LIMITER_ENV} (process: this process only)"
            )
        return (
            "start the limiter's server, or choose another with --limiter or "
            f"{LIMITER_ENV} (host: one machine; process: this process only)"
        )
    return ""


def _user_path(filename: object, out: str | None) -> object:
    """The user's --out instead of the hidden partial file they never named."""
    if out is not None and out != "-" and str(filename) == str(partial_path(Path(out))):
        return out
    return filename


def _failure_line(exc: BaseException, state: ExportState, out: str | None = None) -> str:
    what = str(exc) or type(exc).__name__
    if isinstance(exc, AssetClientError):
        what = f"{type(exc).__name__}: {what}"  # the kind of failure first
    elif isinstance(exc, OSError) and exc.strerror:
        if exc.filename:
            what = f"cannot write {_user_path(exc.filename, out)}: {exc.strerror}"
        else:
            what = exc.strerror
            if out is not None and out != "-":
                what = f"cannot write {out}: {what}"
    parts = [f"{PROG}: error: {what}"]
    if hint := _hint(exc):
        parts.append(hint)
    if isinstance(exc, PaginationError) and state.resumable:
        # A resume only appends after the last uid: it cannot fill a gap below it.
        parts.append(
            f"the records saved cannot be completed in order; delete {state.checkpoint} "
            "and run the command again without --resume"
        )
    elif state.resumable:
        parts.append(
            f"{plural(state.records_saved, 'record')} saved; "
            "run the same command with --resume to continue"
        )
    elif state.stdout_started:
        parts.append("the output on stdout is incomplete")
    return "; ".join(parts)


async def _until_signal(work: Callable[[], Awaitable[int]]) -> tuple[int | None, bool]:
    """Run ``work``; SIGINT/SIGTERM cancel it.  Returns (status, interrupted)."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    received: list[int] = []

    def on_signal(signum: int) -> None:
        received.append(signum)
        task.cancel()

    installed = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, on_signal, signum)
            installed.append(signum)
        except (NotImplementedError, RuntimeError, ValueError):  # Windows, non-main thread
            pass
    try:
        return await work(), False
    except asyncio.CancelledError:
        if not received:
            raise
        task.uncancel()
        return None, True
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)


def _work(
    args: argparse.Namespace, console: Console, state: ExportState
) -> Callable[[], Awaitable[int]]:
    """The command's run, its settings checked (raises before any I/O)."""
    zone_name, zone = args.server_timezone
    if args.command == "report":
        report = report_settings(args, zone=zone)
        if not args.sandbox:
            checked_base_url(args.base_url)
        credentials = _credentials(args)

        async def run_the_report() -> int:
            result = await run_report(report, credentials, stderr=console.stream, state=state)
            console.emit("summary", report_summary(result, report.out))
            return EXIT_OK

        return run_the_report
    if args.dataset != "assets":
        settings = dataset_settings(args, zone_name=zone_name, zone=zone)
        if not args.sandbox:
            checked_base_url(args.base_url)
    else:
        settings = _settings(args)
    credentials = _credentials(args)

    async def work() -> int:
        result = await run_export(
            settings,
            credentials,
            stdout=sys.stdout.buffer,
            stderr=console.stream,
            state=state,
            console=console,
        )
        console.emit("summary", summary_line(result, settings.dataset))
        return EXIT_OK

    return work


def _export(args: argparse.Namespace, console: Console) -> int:
    state = ExportState()
    started = time.monotonic()
    error: BaseException | None = None
    status = _run_export(args, console, state)
    if isinstance(status, BaseException):
        error, status = status, exit_code_for(status)
    if args.summary_json is not None and status != EXIT_BROKEN_PIPE:
        _write_summary(args, console, state, status, error, time.monotonic() - started)
    return status


def _run_export(args: argparse.Namespace, console: Console, state: ExportState) -> int | Exception:
    """The exit status, or the error that stopped the run (already reported)."""
    interrupted = False
    try:
        work = _work(args, console, state)

        status, interrupted = asyncio.run(_until_signal(work))
        if status is not None:
            return status
    except KeyboardInterrupt:  # a Ctrl-C before the handlers were in place
        interrupted = True
    except BrokenPipeError:
        if args.out != "-":
            raise
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except Exception as exc:
        if isinstance(exc, AssetClientError) and getattr(args, "uid", None) is not None:
            relabel_for_lookup(exc, args.uid)  # one invitee: "uid N", not "page 1"
        details: dict[str, object] = {"exit_status": exit_code_for(exc)}
        if args.debug:
            if console.json:
                details["traceback"] = redact(traceback.format_exc())
            else:
                traceback.print_exc(file=console.stream)
        console.error(_failure_line(exc, state, args.out), **details)
        return exc
    if interrupted and state.completed:
        # The signal came while closing down: the file is already complete and in place.
        console.note("interrupted after the export completed; the output is complete")
        return EXIT_OK
    if interrupted:
        line = f"{PROG}: interrupted"
        if state.resumable:
            line += (
                f"; {plural(state.records_saved, 'record')} saved; "
                "run the same command with --resume to continue"
            )
        console.error(line, exit_status=EXIT_INTERRUPTED)
    return EXIT_INTERRUPTED


def _silence_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so the interpreter's final flush
    does not raise again (the recipe in Python's signal docs)."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _write_summary(
    args: argparse.Namespace,
    console: Console,
    state: ExportState,
    status: int,
    error: BaseException | None,
    elapsed: float,
) -> None:
    doc = summary_document(
        state=state,
        exit_status=status,
        error=None if error is None else _failure_line(error, state, args.out),
        elapsed=elapsed,
        destination=None if args.out in (None, "-") else args.out,
    )
    data = (json.dumps(doc, indent=2) + "\n").encode()
    try:
        if args.summary_json == "-":
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        else:
            atomic_write(Path(args.summary_json), data)
    except OSError as exc:
        console.error(f"{PROG}: error: cannot write --summary-json {args.summary_json}: {exc}")


def _sandbox(args: argparse.Namespace) -> int:
    from asset_client.sandbox._cli import run_sandbox_command

    try:
        return asyncio.run(run_sandbox_command(args))
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


@contextlib.contextmanager
def _logging_to(console: Console, debug: bool) -> Iterator[None]:
    """The library's warnings (with --debug or ASSET_CLIENT_LOG more) through the console,
    for this run only: an embedding program's logging is left as it was."""
    handler = console.handler()
    saved = logger.level, logger.propagate
    env_level = os.environ.get(_logging.ENV_LOG, "").strip().upper()
    # INFO by default: every retry and pause is said as it happens (--quiet: warnings only).
    default = "WARNING" if console.quiet else "INFO"
    level = logging.DEBUG if debug else logging.getLevelName(env_level or default)
    logger.addHandler(handler)
    logger.setLevel(level if isinstance(level, int) else logging.WARNING)
    logger.propagate = False
    _logging.mark_configured()  # ASSET_CLIENT_LOG adds no second handler
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``asset-client`` console script; returns the exit status."""
    stderr = sys.stderr
    try:
        args = build_parser().parse_args(argv)
    except _UsageError as exc:
        print(exc, file=stderr)
        return EXIT_USAGE
    except SystemExit as exc:  # --help, --version
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    console = Console(
        stderr,
        fmt=getattr(args, "log_format", "text"),
        quiet=getattr(args, "quiet", False),
        prog=PROG,
    )
    with _logging_to(console, getattr(args, "debug", False)):
        if args.command == "sandbox":
            return _sandbox(args)
        if hasattr(args, "store_command"):
            from asset_client.cli.store import run_store_command

            return run_store_command(args, stderr)
        return _export(args, console)
