"""One dataset's part in an export, the same for every endpoint of the partner API.

`Dataset` is generic over `Endpoint`: assets, invitees, volume (or any other endpoint)
each get their rows from their record class, their sums from its amounts, their window
from the endpoint's ``window_filters``, their resume point by reading their own rows back,
and their walk from the public ``client.walk(endpoint, ...)``.  Nothing here opens a file:
the sinks (`asset_client.export.sinks`) hand it bytes and lines.

Sharp edge: a resume trusts the partial file only as far as its checkpoint vouches for it:
the rows read back must number exactly what the checkpoint says, and add up to its sums.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from asset_client.client.client import AssetClient
from asset_client.client.walk_iter import WalkIterator
from asset_client.endpoints import Endpoint
from asset_client.errors import PaginationError
from asset_client.export.checkpoint import Asked, Checkpoint, plain_window
from asset_client.export.errors import CheckpointError
from asset_client.export.legacy_checkpoints import read_checkpoint
from asset_client.export.readback import WrittenSoFar, read_back
from asset_client.export.rows import OutputFormat, rows_of
from asset_client.export.sums import Sums

__all__ = ["Dataset", "check_against_total"]

#: Lines of a file's valid prefix, read when called (a file is opened only if needed).
Lines = Callable[[], Iterable[str]]


def check_against_total(records: int, total: int | None) -> None:
    """Refuse to call an export complete that holds fewer records than the server lists.

    A resumed export only adds records after its last one, so a record that appeared
    before that point (or records that shifted between pages) would be missing.
    """
    if total is not None and records < total:
        raise PaginationError(
            f"the server lists {total} records but the export holds {records}: records "
            "appeared before the point this export resumed from, or pages shifted while it ran"
        )


class Dataset:
    """The records of one endpoint, as one export asks for them."""

    def __init__(
        self,
        endpoint: Endpoint[Any, Any, Any],
        fmt: OutputFormat,
        asked: Asked,
        filters: dict[str, object],
        window: tuple[Any, Any] | None,
    ) -> None:
        self.endpoint = endpoint
        self.name = endpoint.name
        self.rows = rows_of(endpoint.record_type)
        self._fmt = fmt
        self._asked = asked
        self._filters = filters
        self._window = plain_window(window)
        #: What the output holds so far: the count and the dataset's own exact sums.
        self.sums = Sums.of(endpoint.record_type)
        self._written = WrittenSoFar(self.sums)

    def header(self) -> bytes:
        """What starts a new file (the CSV header; nothing for JSONL)."""
        return self.rows.header(self._fmt)

    def encode(self, batch: Sequence[Any]) -> bytes:
        """Complete lines for ``batch``."""
        return self.rows.encode(self._fmt, batch)

    def add(self, batch: Sequence[Any]) -> None:
        """Count and sum ``batch``, once it is written (in place: `ExportState` reads it)."""
        self.sums.add(batch)

    def checkpoint(self, partial_bytes: int, *, complete: bool = False) -> bytes:
        """The checkpoint document for the output as it stands."""
        return Checkpoint(
            asked=self._asked,
            window=self._window,
            records=self.sums.records,
            sums=self.sums,
            partial_bytes=partial_bytes,
            complete=complete,
        ).to_json()

    def load(self, data: bytes) -> Checkpoint:
        """A checkpoint read back (of any version); `CheckpointError` saying what is wrong."""
        return read_checkpoint(data)

    def differences(self, saved: Checkpoint) -> list[str]:
        """How ``saved`` was asked differently from this export (empty: the same)."""
        return saved.asked.differences(self._asked)

    def restore(self, saved: Checkpoint, written: Lines) -> None:
        """Pick up where ``saved`` stopped, ``written()`` being the partial file's valid
        prefix.  Raises `CheckpointError`, `ValueError` or `KeyError` if they cannot be used."""
        back = self._read(saved, written)
        if saved.window is not None:
            self._window = saved.window
        self.sums, self._written = back.sums, back

    def finished(self, saved: Checkpoint, written: Lines) -> None:
        """Take the totals of a complete ``saved`` (nothing left to walk); ``written()``
        (the finished file) is read only if the checkpoint kept no sums."""
        if saved.sums is not None:
            self.sums = saved.sums.copy()
            return
        try:
            self.sums = self._read(saved, written).sums
        except (CheckpointError, ValueError, KeyError, OSError):
            # The file is complete and in place; only its sums are unknown: the count.
            self.sums = Sums(saved.records)

    def _read(self, saved: Checkpoint, written: Lines) -> WrittenSoFar:
        back = read_back(
            self.endpoint, self.rows, self._fmt, written(), Sums.of(self.rows.record_type)
        )
        if back.records != saved.records:
            raise CheckpointError(
                f"the partial file holds {back.records} records, "
                f"its checkpoint says {saved.records}"
            )
        if saved.sums is not None and saved.sums.amounts != back.sums.amounts:
            raise CheckpointError("the partial file's sums differ from its checkpoint's")
        return back

    def resumed_note(self) -> str:
        """What the resume line adds after the record count: the last sort value."""
        if not self._written.records:
            return ""
        return f" (last {self.endpoint.sort_field} {self._written.last_text})"

    def walk(self, client: AssetClient, page_size: int | None) -> WalkIterator[Any]:
        """Every record still to write, from the resume point, in the frozen window."""
        filters = dict(self._filters)
        if self.endpoint.window_filters is not None and self._window is not None:
            filters.update(zip(self.endpoint.window_filters, self._window, strict=True))
        resume = self._written.resume(self.endpoint)
        return client.walk(self.endpoint, page_size=page_size, resume=resume, **filters)

    def check_complete(self, total: int | None) -> None:
        """Raise if the output cannot be called complete (fewer records than the server
        lists).  Where newcomers sort first (newest first), records that arrived before
        the resume point are the walk's to judge: expected, logged, not lost."""
        if not self.endpoint.order.descending:
            check_against_total(self.sums.records, total)
