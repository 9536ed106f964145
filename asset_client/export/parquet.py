"""The Parquet sink of an export (``--format parquet``, extra ``asset-client[parquet]``).

Records go, a page's worth per row group, to a hidden partial file beside the target,
which becomes the target only when the walk is complete (atomic, as the other formats).
Columns are those of `asset_client.frames`: amounts ``decimal128(38, 18)`` (exact; one that
does not fit stops the export naming it), times ``timestamp[us, UTC]``, days ``date32``.
Sharp edge: a Parquet file is whole only once its footer is written, so an interrupted one
cannot be continued: ``--resume`` is refused (one line saying so), stdout and pipes too.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from asset_client.export.datasets import Dataset
from asset_client.export.errors import ExportBusyError, ExportError
from asset_client.export.files import (
    DEFAULT_FILE_MODE,
    PartialFile,
    fsync_dir,
    partial_is_busy,
    partial_path,
)
from asset_client.export.state import ExportState

__all__ = ["RESUME_REFUSED", "STREAM_REFUSED", "ParquetSink", "parquet_bytes"]

RESUME_REFUSED = (
    "--resume is not possible with --format parquet: a Parquet file is only readable once "
    "complete (its footer comes last); run the export again without --resume"
)
STREAM_REFUSED = (
    "--format parquet needs --out FILE: a Parquet file cannot be streamed to stdout or a pipe"
)


def _arrow() -> Any:
    """pyarrow's frames helpers and parquet module, or a clear error naming the extra."""
    try:
        import pyarrow.parquet as pq

        from asset_client.frames import arrow_schema, to_arrow
    except ImportError:
        raise ExportError(
            "--format parquet needs pyarrow: pip install 'asset-client[parquet]'"
        ) from None
    return pq, arrow_schema, to_arrow


def parquet_bytes(records: Sequence[Any], record_type: type) -> bytes:
    """A whole Parquet file of ``records`` (the report's rows, all in memory anyway)."""
    pq, _, to_arrow = _arrow()
    import pyarrow as pa  # there: _arrow() said so

    out = pa.BufferOutputStream()
    pq.write_table(to_arrow(records, record_type), out)
    data: bytes = out.getvalue().to_pybytes()
    return data


class ParquetSink:
    """Partial Parquet file beside the target; the target appears only on commit."""

    already_complete = False

    def __init__(
        self,
        target: Path,
        dataset: Dataset,
        *,
        resume: bool,
        state: ExportState,
        mode: int = DEFAULT_FILE_MODE,
    ) -> None:
        if resume:
            raise ExportError(RESUME_REFUSED)
        pq, arrow_schema, self._to_arrow = _arrow()
        self._target = target
        self._dataset = dataset
        self._state = state
        self._type = dataset.endpoint.record_type
        self.broken = False
        partial = partial_path(target)
        if partial_is_busy(partial):
            raise ExportError(f"another export is writing {target} right now; wait for it")
        try:
            # The same locked, owner-only partial file as the other formats; the lock is
            # held by this handle while pyarrow writes the same file by its path.
            self._partial = PartialFile(partial, mode=mode)
        except ExportBusyError as exc:
            raise ExportError(str(exc)) from None
        self._path = partial
        self._writer = pq.ParquetWriter(str(partial), arrow_schema(self._type))
        state.resumable = False

    def write(self, batch: Sequence[Any]) -> None:
        try:
            self._writer.write_table(self._to_arrow(batch, self._type))
        except BaseException:
            self.broken = True
            raise
        self._dataset.add(batch)

    def commit(self) -> None:
        self._writer.close()  # the footer: from here on the file is readable
        fd = os.open(self._path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        self._partial.close()
        os.replace(self._path, self._target)
        fsync_dir(self._target.parent)

    def abort(self) -> None:
        # Nothing in an unfinished Parquet file can be resumed: leave no partial behind.
        try:
            self._writer.close()
        finally:
            self._partial.discard()
