"""``asset-client export``: one dataset of the partner API to CSV or JSON Lines, resumably.

Which filters a dataset takes is read from its endpoint (the keywords of its
``validate``, its ``window_filters``), so an option that does not apply is refused by
name, and every filter is checked by the library's own rules before any request or file.
Sharp edge: ``--start``/``--end`` are times for ``assets`` and ``invitees`` but days for
``volume``; the shape is checked once the dataset is known.
"""

from __future__ import annotations

import argparse
import inspect
import sys
from pathlib import Path
from typing import Any

from asset_client.cli import options, values
from asset_client.cli.base import Command
from asset_client.cli.credentials import credentials_for
from asset_client.cli.exits import EXIT_CODES, EXIT_OK
from asset_client.cli.runner import OutputJob, Work, run_job
from asset_client.client.env import ENV_API_KEY, ENV_SECRET_KEY
from asset_client.endpoints import ENDPOINTS, Endpoint
from asset_client.errors import AssetClientError, relabel_for_lookup
from asset_client.export.console import Console
from asset_client.export.files import OutputFormat
from asset_client.export.outpath import OutTarget, OutTargetError, checked_out
from asset_client.export.parquet import RESUME_REFUSED, STREAM_REFUSED
from asset_client.export.run import ExportError, ExportSettings, run_export, summary_line

__all__ = ["COMMAND", "export_settings", "out_target", "output_format"]

EPILOG = f"""\
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


def _add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        required=True,
        metavar="FILE",
        help="output file, or - for stdout (then no checkpoint and no --resume)",
    )
    parser.add_argument(
        "--format",
        choices=[f.value for f in OutputFormat],
        help="default: from the extension (.csv, .jsonl, .ndjson, .parquet); csv for stdout",
    )
    parser.add_argument(
        "--dataset",
        choices=options.DATASETS,
        default="assets",
        help="assets (default: the invitees' deposits, withdrawals and balances), invitees "
        "(the invited user list) or volume (daily trading volume, one row per uid and day)",
    )
    options.add_quote_option(parser, "default usdt (assets only; any case)")
    parser.add_argument(
        "--referral-code",
        type=values.referral_code,
        metavar="CODE",
        help="--dataset invitees: only users who registered with this code",
    )
    parser.add_argument("--uid", type=values.uid, help="export this one invitee only")
    for option, edge in (("--start", "start"), ("--end", "end")):
        parser.add_argument(
            option,
            type=values.time_or_day,
            metavar="TIME",
            help=f"window {edge}, 'yyyy-MM-dd HH:mm:ss' (server time) or ISO 8601 with an "
            "offset (volume: a day, yyyy-MM-dd)",
        )
    parser.add_argument(
        "--resume", action="store_true", help="continue an interrupted export from its checkpoint"
    )
    options.add_request_options(parser)


# -- the settings, every check done before any I/O ----------------------------------------

#: The shape of a window filter's value, by the filter's name (the validators' vocabulary).
_SHAPES = {
    "start_time": (values.TIME_LEN, values.TIME_HELP),
    "end_time": (values.TIME_LEN, values.TIME_HELP),
    "start_date": (len("yyyy-MM-dd"), "a day like 2026-03-01"),
    "end_date": (len("yyyy-MM-dd"), "a day like 2026-03-01"),
}


def _filter_name(endpoint: Endpoint[Any, Any, Any], option: str) -> str | None:
    """The ``validate`` keyword ``option`` gives for ``endpoint``; None if it takes none."""
    window = endpoint.window_filters or (None, None)
    names = {
        "--uid": "uid",
        "--quote": "quote",
        "--referral-code": "referral_code",
        "--start": window[0],
        "--end": window[1],
    }
    name = names[option]
    return name if name in inspect.signature(endpoint.validate).parameters else None


def _filters(args: argparse.Namespace, endpoint: Endpoint[Any, Any, Any]) -> dict[str, Any]:
    """The filters given, by the endpoint's keywords; an option it does not take is refused."""
    given = {
        "--uid": args.uid,
        "--quote": args.quote,
        "--referral-code": args.referral_code,
        "--start": args.start,
        "--end": args.end,
    }
    filters: dict[str, Any] = {}
    for option, value in given.items():
        if value is None:
            continue
        name = _filter_name(endpoint, option)
        if name is None:
            takers = " and ".join(n for n, e in ENDPOINTS.items() if _filter_name(e, option))
            raise ExportError(f"{option} applies to --dataset {takers} only, not {endpoint.name}")
        shape = _SHAPES.get(name)
        if shape is not None and len(value) != shape[0]:
            raise ExportError(
                f"--dataset {endpoint.name}: {option} must be {shape[1]}, got {value!r}"
            )
        filters[name] = value
    return filters


def out_target(text: str, *, resume: bool = False) -> OutTarget:
    """``--out`` by the export's rules (`outpath`): devices and pipes written through."""
    try:
        return checked_out(text, resume=resume)
    except OutTargetError as exc:
        raise ExportError(str(exc)) from None


def output_format(args: argparse.Namespace, target: OutTarget) -> OutputFormat:
    fmt = _format(args, target)
    if fmt is OutputFormat.PARQUET:
        # Refused here, before any file or request (a FIFO would block its open).
        if target.file is None:
            raise ExportError(STREAM_REFUSED)
        if getattr(args, "resume", False):
            raise ExportError(RESUME_REFUSED)
    return fmt


def _format(args: argparse.Namespace, target: OutTarget) -> OutputFormat:
    if args.format is not None:
        return OutputFormat(args.format)
    if Path(args.out).suffix.lower() == ".parquet" and target.file is not None:
        return OutputFormat.PARQUET
    if target.file is None:
        # stdout, a device or a pipe: csv unless the name says otherwise
        return OutputFormat.from_path(args.out) or OutputFormat.CSV
    guessed = OutputFormat.from_path(args.out)
    if guessed is None:
        raise ExportError(
            f"cannot tell the format from {args.out!r}: pass --format csv or --format jsonl"
        )
    return guessed


def export_settings(args: argparse.Namespace) -> ExportSettings:
    """The export's settings from its command line; raises before any I/O."""
    endpoint = ENDPOINTS[args.dataset]
    zone_name, zone = options.server_zone(args)
    args.start = values.server_time(args.start, zone)  # an ISO time: the server's own
    args.end = values.server_time(args.end, zone)
    filters = _filters(args, endpoint)
    target = out_target(args.out, resume=args.resume)
    fmt = output_format(args, target)
    if target.is_stdout and args.summary_json == "-":
        raise ExportError("--summary-json - and --out - would share stdout: name a file for one")
    proxy = options.proxy_for(args)
    options.checked_server(args)
    # Cross-field checks (start after end) with the library's own rules.
    query = endpoint.validate(**filters, server_tz=zone)
    return ExportSettings(
        dataset=endpoint.name,
        out=target.file,
        stream=target.stream,
        file_mode=args.file_mode,
        fmt=fmt,
        quote=getattr(query, "quote", "usdt"),  # as the library spells it (assets only)
        uid=args.uid,
        referral_code=args.referral_code,
        start=args.start,
        end=args.end,
        page_size=args.page_size,
        base_url=args.base_url,
        sandbox=args.sandbox,
        resume=args.resume,
        server_timezone=zone,
        server_timezone_name=zone_name,
        rate=args.rate,
        max_retries=args.max_retries,
        proxy=proxy,
        limiter=options.checked_limiter(args.limiter),
    )


class _Export(OutputJob):
    def prepare(self) -> Work:
        settings = export_settings(self.args)
        credentials = credentials_for(self.args)
        console, state = self.console, self.state

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

    def failure_line(self, exc: BaseException) -> str:
        if isinstance(exc, AssetClientError) and self.args.uid is not None:
            relabel_for_lookup(exc, self.args.uid)  # one invitee: "uid N", not "page 1"
        return super().failure_line(exc)


def _run(args: argparse.Namespace, console: Console) -> int:
    return run_job(args, console, _Export(args, console))


COMMAND = Command(
    name="export",
    help="export the invitees' assets, the invitee list or their daily trading volume "
    "to CSV or JSON Lines",
    description=(
        "Export one dataset of CoinW's partner API to a CSV or JSON Lines file, resumably:\n"
        "every direct invitee's deposits, withdrawals and balance (--dataset assets), the\n"
        "invited user list (invitees) or their daily trading volume (volume).\n"
        "Try it: asset-client export --sandbox --out invitees.csv"
    ),
    epilog=EPILOG,
    add_options=_add_options,
    run=_run,
)
