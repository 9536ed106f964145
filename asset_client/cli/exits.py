"""What a failure means to the shell: its exit status, and the one line that says it.

Every command maps an error through `exit_code_for` and words it with `failure_line`, so
a script sees the same status for the same trouble whichever command met it.  Sharp edge:
the order of the checks matters, since the error classes nest (a `StoreError` or a
`LimiterUnavailableError` is also an `AssetClientError`, which alone means "untrusted").
"""

from __future__ import annotations

from pathlib import Path

from asset_client.cli.base import PROG
from asset_client.client.env import ENV_API_KEY, ENV_SECRET_KEY
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
)
from asset_client.export.console import plural
from asset_client.export.files import partial_path
from asset_client.export.run import ExportError, ExportState
from asset_client.limit import LIMITER_ENV, LimiterUnavailableError
from asset_client.limit.host import RUNTIME_DIR_ENV
from asset_client.store import StoreError

__all__ = [
    "EXIT_AUTH",
    "EXIT_BROKEN_PIPE",
    "EXIT_CODES",
    "EXIT_FAILURE",
    "EXIT_GAVE_UP",
    "EXIT_INTERRUPTED",
    "EXIT_NOT_QUALIFIED",
    "EXIT_OK",
    "EXIT_UNTRUSTED",
    "EXIT_USAGE",
    "exit_code_for",
    "failure_line",
    "status_word",
]

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_GAVE_UP = 4
EXIT_UNTRUSTED = 5
#: ``verify``: the question was answered, and some uid did not qualify.
EXIT_NOT_QUALIFIED = 6
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
  {EXIT_NOT_QUALIFIED}    verify: answered, and at least one UID did not qualify
  {EXIT_INTERRUPTED}  interrupted (Ctrl-C or SIGTERM); continue with --resume
  {EXIT_BROKEN_PIPE}  the reader of --out - closed the pipe (e.g. | head): no message
"""


def exit_code_for(exc: BaseException) -> int:
    """The documented exit status for an error that stopped a run."""
    if isinstance(exc, ExportError):
        return exc.exit_code
    if isinstance(exc, StoreError):
        return EXIT_USAGE if exc.usage else EXIT_FAILURE
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


def status_word(exit_status: int) -> str:
    """``ok``, ``interrupted`` or ``failed``: the ``status`` of a ``--summary-json``."""
    if exit_status == EXIT_OK:
        return "ok"
    if exit_status == EXIT_INTERRUPTED:
        return "interrupted"
    return "failed"


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


def _what(exc: BaseException, out: str | None) -> str:
    what = str(exc) or type(exc).__name__
    if isinstance(exc, StoreError):
        return what  # one line that already names the file
    if isinstance(exc, AssetClientError):
        return f"{type(exc).__name__}: {what}"  # the kind of failure first
    if isinstance(exc, OSError) and exc.strerror:
        if exc.filename:
            return f"cannot write {_user_path(exc.filename, out)}: {exc.strerror}"
        if out is not None and out != "-":
            return f"cannot write {out}: {exc.strerror}"
        return exc.strerror
    return what


def failure_line(
    exc: BaseException, state: ExportState | None = None, out: str | None = None
) -> str:
    """The one line on stderr for ``exc``: what failed, then what to do about it.

    ``state`` (an export's) adds whether a ``--resume`` can continue; ``out`` puts the
    user's ``--out`` where an error names the hidden partial file.
    """
    state = state or ExportState()
    parts = [f"{PROG}: error: {_what(exc, out)}"]
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
        where = "stdout" if out is None or out == "-" else out  # a device or a FIFO
        parts.append(f"the output on {where} is incomplete")
    return "; ".join(parts)
