"""The export's pure-ish parts: record -> bytes, running sums, checkpoint model, files.

Nothing here talks to a server, so every rule that decides what ends up on disk is
testable on its own:

- rows: snake_case field names in `InviteeAsset` order; money as exact decimal strings
  (``format(d, "f")``: never float, never rounded, never an exponent); times as ISO 8601
  with offset; ``None`` as an empty CSV cell or JSON ``null``.
- the checkpoint: what was asked (never credentials), how far the partial file got.
- files: records go to a hidden partial file beside the target, which replaces the
  target only when complete, so a file at the target path is always a whole export.
  Every file is created owner-only (0600) unless the caller passes another mode
  (the umask still applies): they hold third parties' financial data.
- completion: the checkpoint says ``complete`` *before* the final rename, so a kill
  between the rename and the checkpoint's removal leaves a checkpoint that says so,
  not one that looks like an interrupted export.
"""

from __future__ import annotations

import csv
import decimal
import enum
import hashlib
import io
import json
import os
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

import attrs
from attrs import frozen

from asset_client.core.query import is_int
from asset_client.records import InviteeAsset

__all__ = [
    "CHECKPOINT_VERSION",
    "DEFAULT_FILE_MODE",
    "FIELDS",
    "Checkpoint",
    "CheckpointError",
    "ExportParams",
    "OutputFormat",
    "PartialFile",
    "Sums",
    "atomic_write",
    "checkpoint_path",
    "encode_header",
    "encode_records",
    "finish_completed",
    "format_decimal",
    "fsync_dir",
    "key_fingerprint",
    "load_checkpoint",
    "param_differences",
    "partial_is_busy",
    "partial_path",
    "remove_stale_temp_files",
    "row_values",
]

#: Export, partial and checkpoint files: readable and writable by the owner only.
DEFAULT_FILE_MODE = 0o600

FIELDS: tuple[str, ...] = tuple(a.name for a in attrs.fields(InviteeAsset))
_MONEY_FIELDS = ("total_deposit", "total_withdrawal", "current_balance")


class OutputFormat(enum.StrEnum):
    CSV = "csv"
    JSONL = "jsonl"

    @classmethod
    def from_path(cls, path: str) -> OutputFormat | None:
        """The format an output file's extension names, or None if it names none."""
        suffix = Path(path).suffix.lower()
        return {".csv": cls.CSV, ".jsonl": cls.JSONL, ".ndjson": cls.JSONL}.get(suffix)


# -- rows ---------------------------------------------------------------------


def format_decimal(value: Decimal) -> str:
    """The amount exactly as the server sent it: no float, no rounding, no exponent.

    ``"-0"`` stays ``"-0"`` and ``"15000.00000000"`` keeps its zeros: the export is a
    faithful copy, not a normalisation.
    """
    if not value.is_finite():
        raise ValueError(f"refusing to export a non-finite amount: {value!r}")
    return format(value, "f")


def _cell(value: object) -> str | int | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return format_decimal(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, int):
        return value
    raise TypeError(f"unexpected field type {type(value).__name__}")


def row_values(asset: InviteeAsset) -> list[str | int | None]:
    """The record's values in `FIELDS` order, rendered for output."""
    return [_cell(getattr(asset, name)) for name in FIELDS]


def encode_header(fmt: OutputFormat) -> bytes:
    """What starts a new file: the CSV header line; nothing for JSONL."""
    if fmt is OutputFormat.JSONL:
        return b""
    return _csv_bytes([list(FIELDS)])


def encode_records(fmt: OutputFormat, assets: Iterable[InviteeAsset]) -> bytes:
    """Complete lines (each ends with ``\\n``) for ``assets``, UTF-8."""
    rows = [row_values(asset) for asset in assets]
    if fmt is OutputFormat.JSONL:
        # Money stays a JSON string: a JSON number would be read as a float by most tools.
        lines = (json.dumps(dict(zip(FIELDS, row, strict=True))) + "\n" for row in rows)
        return "".join(lines).encode()
    return _csv_bytes([["" if v is None else v for v in row] for row in rows])


def _csv_bytes(rows: Iterable[Iterable[object]]) -> bytes:
    buffer = io.StringIO()
    # "\n", not CSV's "\r\n": the same line ending as JSONL, and what wc/grep/diff expect.
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode()


# -- sums -----------------------------------------------------------------------

# Sums must be exact whatever the amounts: the default context (28 digits) would round.
_EXACT = decimal.Context(
    prec=decimal.MAX_PREC,
    Emax=decimal.MAX_EMAX,
    Emin=decimal.MIN_EMIN,
    traps=[decimal.Inexact, decimal.Rounded, decimal.InvalidOperation],
)


@attrs.define
class Sums:
    """Running exact sums of the money columns and the record count."""

    records: int = 0
    total_deposit: Decimal = Decimal(0)
    total_withdrawal: Decimal = Decimal(0)
    current_balance: Decimal = Decimal(0)

    def add(self, assets: Iterable[InviteeAsset]) -> None:
        for asset in assets:
            self.records += 1
            self.total_deposit = _EXACT.add(self.total_deposit, asset.total_deposit)
            self.total_withdrawal = _EXACT.add(self.total_withdrawal, asset.total_withdrawal)
            self.current_balance = _EXACT.add(self.current_balance, asset.current_balance)

    def copy(self) -> Sums:
        return attrs.evolve(self)


# -- checkpoint -----------------------------------------------------------------

CHECKPOINT_VERSION = 1


class CheckpointError(Exception):
    """The checkpoint cannot be used (unreadable, other version, other parameters)."""


class ExportBusyError(CheckpointError):
    """Another export is writing the same partial file right now."""


def key_fingerprint(api_key: str) -> str:
    """A short one-way tag of the API key, so a resume with another affiliate's key is
    refused.  Not the key, and the secret key is never involved."""
    return hashlib.sha256(b"asset-client checkpoint\x00" + api_key.encode()).hexdigest()[:16]


@frozen(kw_only=True)
class ExportParams:
    """Everything that decides the export's content.  A resume must match all of it."""

    quote: str
    uid: int | None
    start: str | None
    end: str | None
    page_size: int | None
    format: str
    source: str  #: "sandbox" or the server's host[:port]
    server_timezone: str  #: decides how times are sent and rendered
    key: str  #: `key_fingerprint` of the API key


@frozen(kw_only=True)
class Checkpoint:
    """How far an interrupted export got.  The partial file is valid up to
    ``partial_bytes`` (header included); anything after that is cut off on resume."""

    params: ExportParams
    last_uid: int | None
    sums: Sums
    partial_bytes: int
    #: Written just before the final rename: the partial file of ``partial_bytes`` is
    #: the whole export.  Absent (false) in checkpoints of unfinished exports.
    complete: bool = False

    @property
    def records(self) -> int:
        return self.sums.records

    def to_json(self) -> bytes:
        doc: dict[str, Any] = {
            "version": CHECKPOINT_VERSION,
            "params": attrs.asdict(self.params),
            "last_uid": self.last_uid,
            "records": self.sums.records,
            "partial_bytes": self.partial_bytes,
            "complete": self.complete,
            "sums": {name: format_decimal(getattr(self.sums, name)) for name in _MONEY_FIELDS},
        }
        return (json.dumps(doc, indent=2) + "\n").encode()

    @classmethod
    def from_json(cls, data: bytes) -> Checkpoint:
        try:
            doc = json.loads(data)
        except RecursionError:
            raise CheckpointError("not valid JSON (nested too deep)") from None
        except ValueError as exc:  # also UnicodeDecodeError, and ints past the digit limit
            raise CheckpointError(f"not valid JSON ({str(exc)[:200]})") from None
        if not isinstance(doc, dict):
            raise CheckpointError("not a JSON object")
        if doc.get("version") != CHECKPOINT_VERSION:
            raise CheckpointError(
                f"format version {doc.get('version')!r}, this program reads {CHECKPOINT_VERSION}"
            )
        try:
            params = _parse_params(doc["params"])
            sums = Sums(
                records=_count(doc["records"], "records"),
                **{name: _amount(doc["sums"][name], name) for name in _MONEY_FIELDS},
            )
            last_uid = doc["last_uid"]
            if last_uid is not None and (not is_int(last_uid) or last_uid < 1):
                raise CheckpointError(f"last_uid must be a positive integer, got {last_uid!r}")
            if (last_uid is None) != (sums.records == 0):
                raise CheckpointError("last_uid and records disagree")
            complete = doc.get("complete", False)
            if not isinstance(complete, bool):
                raise CheckpointError(f"complete must be true or false, got {complete!r}")
            return cls(
                params=params,
                last_uid=last_uid,
                sums=sums,
                partial_bytes=_count(doc["partial_bytes"], "partial_bytes"),
                complete=complete,
            )
        except (KeyError, TypeError) as exc:
            raise CheckpointError(f"missing or malformed field {exc}") from None


def _count(value: object, name: str) -> int:
    if not is_int(value) or value < 0:
        raise CheckpointError(f"{name} must be a non-negative integer, got {value!r}")
    return value


def _amount(value: object, name: str) -> Decimal:
    try:
        amount = Decimal(value) if isinstance(value, str) else None
    except decimal.InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        raise CheckpointError(f"sums.{name} must be a decimal string, got {value!r}")
    return amount


def _parse_params(raw: object) -> ExportParams:
    if not isinstance(raw, Mapping):
        raise CheckpointError("params must be an object")
    names = {a.name for a in attrs.fields(ExportParams)}
    if set(raw) != names:
        raise CheckpointError(f"params must have exactly the fields {sorted(names)}")
    return ExportParams(**raw)


def param_differences(saved: ExportParams, wanted: ExportParams) -> list[str]:
    """Human-readable differences, e.g. ``quote: checkpoint 'usdt', now 'usdc'``."""
    diffs = []
    for a in attrs.fields(ExportParams):
        old, new = getattr(saved, a.name), getattr(wanted, a.name)
        if old != new:
            if a.name == "key":  # fingerprints mean nothing to a reader
                diffs.append("API key: the checkpoint was made with another key")
            else:
                diffs.append(f"{a.name}: checkpoint {old!r}, now {new!r}")
    return diffs


def load_checkpoint(path: Path) -> Checkpoint:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CheckpointError(f"cannot read it ({exc.strerror})") from None
    return Checkpoint.from_json(data)


# -- files --------------------------------------------------------------------------


def partial_path(target: Path) -> Path:
    """Where records go until the export is complete: hidden, beside the target (same
    directory, so the final rename is atomic)."""
    return target.with_name(f".{target.name}.partial")


def checkpoint_path(target: Path) -> Path:
    """Visible on purpose: it tells the user there is an export to resume."""
    return target.with_name(f"{target.name}.checkpoint.json")


def _fsync_dir(directory: Path) -> None:
    # Makes a rename durable; POSIX only (Windows cannot open a directory).
    if not hasattr(os, "O_DIRECTORY"):
        return
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _temp_prefix(path: Path) -> str:
    return f".{path.name}.tmp-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's process: alive
    return True


def remove_stale_temp_files(path: Path) -> list[Path]:
    """Delete the ``.NAME.tmp-PID`` files `atomic_write` left for ``path`` in processes
    that died mid-write (no longer running); return what was deleted."""
    if os.name != "posix":  # pragma: no cover - no os.kill(pid, 0) probe
        return []
    prefix = _temp_prefix(path)
    removed = []
    try:
        names = os.listdir(path.parent)
    except OSError:
        return []
    for name in names:
        pid_text = name.removeprefix(prefix)
        if name == pid_text or not (pid_text.isascii() and pid_text.isdigit()):
            continue
        pid = int(pid_text)
        if pid == os.getpid() or _alive(pid):
            continue
        stale = path.with_name(name)
        try:
            stale.unlink()
        except OSError:
            continue
        removed.append(stale)
    return removed


def atomic_write(path: Path, data: bytes, mode: int = DEFAULT_FILE_MODE) -> None:
    """Replace ``path`` with ``data`` so that readers see the old or the new content,
    never a torn mix, even if the process dies midway.  A new file gets ``mode``."""
    tmp = path.with_name(f"{_temp_prefix(path)}{os.getpid()}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _lock(file: BinaryIO, path: Path) -> None:
    """Refuse a second export writing the same partial file at the same time (POSIX;
    the lock goes away with the process, so a crash never leaves a stale one)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return
    try:
        fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise ExportBusyError(
            f"another export is writing {path} right now; wait for it to finish"
        ) from None


class PartialFile:
    """The file being written, beside the target, that becomes the target on `commit`.

    ``resume_at=None`` starts it empty; otherwise it is cut back to ``resume_at`` bytes
    (whatever came after the last checkpoint is fetched again), and a file shorter than
    that raises `CheckpointError`: its records were lost, the checkpoint cannot hold.
    """

    def __init__(
        self, path: Path, *, resume_at: int | None = None, mode: int = DEFAULT_FILE_MODE
    ) -> None:
        self.path = path
        flags = os.O_RDWR | (os.O_CREAT if resume_at is None else 0)
        try:
            fd = os.open(path, flags, mode)
        except FileNotFoundError:
            if resume_at is None:
                raise  # no such folder: a local failure, not a checkpoint problem
            raise CheckpointError(f"the partial file {path} is missing") from None
        file = os.fdopen(fd, "r+b")
        try:
            _lock(file, path)  # before truncating: never cut another run's file
            if resume_at is None:
                resume_at = 0
            else:
                size = os.fstat(fd).st_size
                if size < resume_at:
                    raise CheckpointError(
                        f"the partial file {path} has {size} bytes, "
                        f"the checkpoint needs {resume_at}"
                    )
            file.truncate(resume_at)
            file.seek(resume_at)
        except BaseException:
            file.close()
            raise
        self._file: BinaryIO = file
        self.synced = resume_at  #: bytes known to be on disk

    def write(self, data: bytes) -> None:
        self._file.write(data)

    def sync(self) -> int:
        """Flush to disk; the byte length now safe to checkpoint."""
        self._file.flush()
        os.fsync(self._file.fileno())
        self.synced = self._file.tell()
        return self.synced

    def commit(self, target: Path) -> None:
        """Make the complete file the target, atomically."""
        self.sync()
        self._file.close()
        os.replace(self.path, target)
        _fsync_dir(target.parent)

    def close(self) -> None:
        self._file.close()

    def discard(self) -> None:
        self._file.close()
        self.path.unlink(missing_ok=True)


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def finish_completed(target: Path, checkpoint: Path, partial_bytes: int) -> None:
    """Finish an export whose checkpoint says ``complete`` (its run was killed around
    the final rename): do the rename if the kill came before it, check the target has
    the recorded size, and remove the checkpoint.  Shared by every exporter.

    Raises `CheckpointError` if the target is missing or of another size.
    """
    partial = partial_path(target)
    if _size(partial) == partial_bytes:
        os.replace(partial, target)  # killed just before the rename: finish it
        _fsync_dir(target.parent)
    if _size(target) != partial_bytes:
        raise CheckpointError(
            f"{checkpoint} says the export to {target} completed, but that file is "
            f"missing or has another size"
        )
    checkpoint.unlink(missing_ok=True)


def fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable (public name for the other writers)."""
    _fsync_dir(directory)


def partial_is_busy(path: Path) -> bool:
    """Whether another export holds the lock on the partial file ``path`` right now."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return False
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False  # no partial file: nobody is writing it
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing releases a lock taken here
    return False
