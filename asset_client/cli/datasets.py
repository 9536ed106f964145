"""Command-line pieces for the invitee list and volume: ``export --dataset`` and ``report``.

Kept beside `_cli` (which wires them in) so the assets command line stays as it was.
Sharp edge: ``--start``/``--end`` mean a registration time window for ``invitees`` (and
the report's cohort) but a range of days for ``volume``; each dataset checks its own shape
here, before any request or file.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from asset_client.core.list_query import (
    MAX_VOLUME_DAYS,
    REFERRAL_CODE_RE,
    validate_invitee_query,
    validate_volume_query,
)
from asset_client.core.query import Quote
from asset_client.export.files import OutputFormat
from asset_client.export.outpath import OutTarget, OutTargetError, checked_out
from asset_client.export.report_run import ReportSettings
from asset_client.export.run import ExportError, ExportSettings
from asset_client.limit import resolve_limiter

__all__ = [
    "DATASET_CHOICES",
    "add_dataset_arguments",
    "add_report_parser",
    "dataset_settings",
    "export_settings",
    "out_target",
    "output_format",
    "proxy_for",
    "referral_code",
    "report_settings",
    "time_or_day",
]

DATASET_CHOICES = ("assets", "invitees", "volume")
_TIME_LEN = len("yyyy-MM-dd HH:mm:ss")
_DAY_LEN = len("yyyy-MM-dd")


def time_or_day(text: str) -> str:
    """``yyyy-MM-dd HH:mm:ss`` (assets, invitees) or ``yyyy-MM-dd`` (volume)."""
    from datetime import date, datetime

    try:
        if len(text) == _TIME_LEN:
            datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
        elif len(text) == _DAY_LEN and text[4] == text[7] == "-":
            date.fromisoformat(text)
        else:
            raise ValueError
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a time like '2026-03-01 00:00:00' (yyyy-MM-dd HH:mm:ss), or a day "
            f"like 2026-03-01 for --dataset volume, got {text!r}"
        ) from None
    return text


def referral_code(text: str) -> str:
    if not REFERRAL_CODE_RE.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"must be 1 to 32 letters, digits, '-' or '_', got {text!r}"
        )
    return text


def _volume_days(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_VOLUME_DAYS:
        raise argparse.ArgumentTypeError(
            f"must be an integer from 1 to {MAX_VOLUME_DAYS}, got {text!r}"
        )
    return int(text)


def add_dataset_arguments(export: argparse.ArgumentParser) -> None:
    export.add_argument(
        "--dataset",
        choices=DATASET_CHOICES,
        default="assets",
        help="assets (default), invitees (the invited user list) or volume (daily trading "
        "volume, one row per uid and day)",
    )
    export.add_argument(
        "--referral-code",
        type=referral_code,
        metavar="CODE",
        help="--dataset invitees: only users who registered with this code",
    )


def out_target(text: str, *, resume: bool = False) -> OutTarget:
    """``--out`` by the export's rules (`_outpath`): devices and pipes written through."""
    try:
        return checked_out(text, resume=resume)
    except OutTargetError as exc:
        raise ExportError(str(exc)) from None


def output_format(args: argparse.Namespace, target: OutTarget) -> OutputFormat:
    if args.format is not None:
        return OutputFormat(args.format)
    if target.file is None:
        # stdout, a device or a pipe: csv unless the name says otherwise
        return OutputFormat.from_path(args.out) or OutputFormat.CSV
    guessed = OutputFormat.from_path(args.out)
    if guessed is None:
        raise ExportError(
            f"cannot tell the format from {args.out!r}: pass --format csv or --format jsonl"
        )
    return guessed


def _check_shape(dataset: str, option: str, value: str | None) -> None:
    if value is None:
        return
    wants_day = dataset == "volume"
    if wants_day != (len(value) == _DAY_LEN):
        shape = "a day like 2026-03-01" if wants_day else "a time like '2026-03-01 00:00:00'"
        raise ExportError(f"--dataset {dataset}: {option} must be {shape}, got {value!r}")


def checked_limiter(spec: str | None) -> str | None:
    """The --limiter value, checked now (a bad one is a usage error before any I/O)."""
    if spec is not None:
        resolve_limiter(spec)
    return spec


def proxy_for(args: argparse.Namespace) -> str | None:
    if args.sandbox and args.proxy:
        raise ExportError("--proxy has no use with --sandbox: the sandbox runs on this machine")
    proxy: str | None = args.proxy
    return proxy


def dataset_settings(args: argparse.Namespace, *, zone_name: str, zone: Any) -> ExportSettings:
    """The invitees/volume export's settings, every check done before any I/O."""
    dataset = args.dataset
    if args.quote is not None:
        raise ExportError(f"--quote applies to --dataset assets only, not {dataset}")
    if args.referral_code is not None and dataset != "invitees":
        raise ExportError(f"--referral-code applies to --dataset invitees only, not {dataset}")
    _check_shape(dataset, "--start", args.start)
    _check_shape(dataset, "--end", args.end)
    target = out_target(args.out, resume=args.resume)
    # Cross-field checks (start after end) with the library's own rules.
    if dataset == "invitees":
        validate_invitee_query(
            uid=args.uid,
            referral_code=args.referral_code,
            start_time=args.start,
            end_time=args.end,
            server_tz=zone,
        )
    else:
        validate_volume_query(
            uid=args.uid, start_date=args.start, end_date=args.end, server_tz=zone
        )
    fmt = output_format(args, target)
    return export_settings(args, target, fmt, zone_name=zone_name, zone=zone, proxy=proxy_for(args))


def export_settings(
    args: argparse.Namespace,
    target: OutTarget,
    fmt: OutputFormat,
    *,
    zone_name: str,
    zone: Any,
    proxy: str | None,
    quote: Quote = "usdt",
) -> ExportSettings:
    """The settings of an export of ``args.dataset``, from arguments already checked."""
    return ExportSettings(
        dataset=args.dataset,
        out=target.file,
        stream=target.stream,
        file_mode=args.file_mode,
        fmt=fmt,
        quote=quote,
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
        limiter=checked_limiter(args.limiter),
    )


def add_report_parser(subparsers: Any, common: Any) -> None:
    """``asset-client report``; ``common(parser)`` adds the connection options export has."""
    report = subparsers.add_parser(
        "report",
        help="one row per invitee: registration, deposits, balance and recent volume",
        description=(
            "Walk assets, the invited user list and the trading volume at once (each on its\n"
            "own rate budget) and write one CSV row per invitee: uid, register_time,\n"
            "total_deposit, total_withdrawal, current_balance, first_deposit_time, volume\n"
            "(summed over the last --volume-days days). An endpoint with nothing on a\n"
            "user leaves their cells empty. Try it: asset-client report --sandbox --out r.csv"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    report.add_argument("--out", required=True, metavar="FILE", help="the CSV file to write")
    report.add_argument(
        "--start",
        type=time_or_day,
        metavar="TIME",
        help="only invitees registered from this time on, 'yyyy-MM-dd HH:mm:ss'",
    )
    report.add_argument(
        "--end",
        type=time_or_day,
        metavar="TIME",
        help="only invitees registered up to this time (default: now)",
    )
    report.add_argument(
        "--volume-days",
        type=_volume_days,
        default=30,
        metavar="N",
        help="sum volume from N days ago to today, server time (default 30, as the API)",
    )
    common(report)


def report_settings(args: argparse.Namespace, *, zone: Any) -> ReportSettings:
    _check_shape("invitees", "--start", args.start)
    _check_shape("invitees", "--end", args.end)
    target = out_target(args.out)
    validate_invitee_query(start_time=args.start, end_time=args.end, server_tz=zone)
    return ReportSettings(
        out=Path(args.out),
        target=target,
        file_mode=args.file_mode,
        start=args.start,
        end=args.end,
        volume_days=args.volume_days,
        page_size=args.page_size,
        base_url=args.base_url,
        sandbox=args.sandbox,
        server_timezone=zone,
        rate=args.rate,
        max_retries=args.max_retries,
        proxy=proxy_for(args),
        limiter=checked_limiter(args.limiter),
    )
