"""Where an export's records go: a stream written through, or a file with its checkpoint.

Every dataset of the partner API writes through these two sinks, which never know which
dataset they write (they ask its `Dataset` for bytes, checkpoints and the resume point).
Sharp edge: the order of the steps is what makes a checkpoint true: write a batch ->
flush + fsync -> then (and only then) the checkpoint, so it never claims more than the
partial file holds; and ``complete`` is saved before the final rename.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

from asset_client.export.checkpoint import Checkpoint
from asset_client.export.console import Console, format_age
from asset_client.export.datasets import Dataset
from asset_client.export.errors import CheckpointError, ExportBusyError, ExportError
from asset_client.export.files import (
    DEFAULT_FILE_MODE,
    PartialFile,
    atomic_write,
    checkpoint_path,
    finish_completed,
    partial_is_busy,
    partial_path,
    prefix_lines,
    remove_stale_temp_files,
)
from asset_client.export.state import ExportState

__all__ = ["FileSink", "StreamSink"]


class StreamSink:
    """Writes straight to stdout (or a device or FIFO): nothing to resume or rename."""

    already_complete = False

    def __init__(self, stream: BinaryIO, dataset: Dataset, state: ExportState) -> None:
        self._stream = stream
        self._dataset = dataset
        self._state = state
        self.broken = False
        self._stream.write(dataset.header())

    def write(self, batch: Sequence[Any]) -> None:
        self._state.stdout_started = True
        try:
            self._stream.write(self._dataset.encode(batch))
            self._stream.flush()  # a reader downstream sees whole pages as they come
        except BaseException:
            self.broken = True  # part of the batch may be out: never write it again
            raise
        self._dataset.add(batch)

    def commit(self) -> None:
        self._stream.flush()

    def abort(self) -> None:
        pass


class FileSink:
    """Partial file + checkpoint beside the target; the target appears only on commit."""

    def __init__(
        self,
        target: Path,
        dataset: Dataset,
        *,
        resume: bool,
        state: ExportState,
        console: Console,
        mode: int = DEFAULT_FILE_MODE,
    ) -> None:
        self._target = target
        self._dataset = dataset
        self._state = state
        self._mode = mode
        self._checkpoint_path = checkpoint_path(target)
        state.checkpoint = str(self._checkpoint_path)
        self.broken = False
        if partial_is_busy(partial_path(target)):
            # Before looking at the checkpoint: it is the live run's, not one to resume.
            raise ExportError(_busy(target))
        #: The checkpoint showed the same export already complete (--resume): no walk.
        self.already_complete = False
        remove_stale_temp_files(self._checkpoint_path)
        prior = self._prior_checkpoint(resume, console)
        if prior is not None and prior.complete:
            dataset.finished(prior, lambda: prefix_lines(target, prior.partial_bytes))
            self.already_complete = True
            return
        self._partial = self._open(prior, console)
        self._save_checkpoint()

    def _open(self, prior: Checkpoint | None, console: Console) -> PartialFile:
        """The partial file, fresh (with its header) or cut back to ``prior``."""
        partial = partial_path(self._target)
        if prior is None:
            try:
                file = PartialFile(partial, mode=self._mode)
            except ExportBusyError:
                raise ExportError(_busy(self._target)) from None
            except CheckpointError as exc:
                raise ExportError(str(exc)) from None
            file.write(self._dataset.header())
            return file
        age = _age(self._checkpoint_path)
        try:
            file = PartialFile(partial, resume_at=prior.partial_bytes, mode=self._mode)
        except ExportBusyError:
            raise ExportError(_busy(self._target)) from None  # never advise deleting its files
        except CheckpointError as exc:
            raise self._unusable(exc) from None
        try:
            self._dataset.restore(prior, lambda: prefix_lines(partial, prior.partial_bytes))
        except (CheckpointError, ValueError, KeyError) as exc:
            file.close()
            raise self._unusable(exc) from None
        console.note(
            f"resuming {self._target} from a checkpoint saved {age} ago: "
            f"{self._dataset.sums.records} records already written{self._dataset.resumed_note()}"
        )
        return file

    def _unusable(self, exc: Exception) -> ExportError:
        return ExportError(f"cannot resume: {exc}; delete {self._checkpoint_path} to start over")

    def _load(self) -> Checkpoint:
        try:
            data = self._checkpoint_path.read_bytes()
        except OSError as exc:
            raise CheckpointError(f"cannot read it ({exc.strerror})") from None
        return self._dataset.load(data)

    def _finished_earlier(self, resume: bool, console: Console) -> Checkpoint | None:
        """A checkpoint saying ``complete`` (a run killed after it wrote it) is finished
        here: the rename is done if the kill came before it, and the checkpoint goes.
        Returned if a --resume of the same export may report it; None otherwise."""
        path = self._checkpoint_path
        try:
            checkpoint = self._load()
        except CheckpointError:
            return None  # the usual refusal explains it
        if not checkpoint.complete:
            return None
        try:
            finish_completed(self._target, path, checkpoint.partial_bytes)
        except CheckpointError as exc:
            raise ExportError(f"{exc}; delete {path} to start over") from None
        console.note(
            f"the earlier export to {self._target} had completed "
            f"({checkpoint.records} records); removed its leftover checkpoint"
        )
        if resume and not self._dataset.differences(checkpoint):
            return checkpoint
        return None

    def _prior_checkpoint(self, resume: bool, console: Console) -> Checkpoint | None:
        path = self._checkpoint_path
        if path.exists() and (done := self._finished_earlier(resume, console)) is not None:
            return done
        if not path.exists():
            if resume:
                console.note(f"--resume: no checkpoint at {path}; starting a fresh export")
            return None
        if not resume:
            # Overwriting it would throw away an interrupted export the user may want.
            raise ExportError(
                f"{path} exists: an earlier export to {self._target} stopped "
                f"{_age(path)} ago without finishing. "
                f"Pass --resume to continue it, or delete {path} to start over"
            )
        try:
            checkpoint = self._load()
        except CheckpointError as exc:
            raise ExportError(
                f"cannot resume from {path}: {exc}; delete it to start over"
            ) from None
        diffs = self._dataset.differences(checkpoint)
        if diffs:
            raise ExportError(
                f"cannot resume: {path} was made for a different export ({'; '.join(diffs)}). "
                f"Run with the same options, or delete {path} to start over"
            )
        return checkpoint

    def _save_checkpoint(self, *, complete: bool = False) -> None:
        size = self._partial.sync()
        data = self._dataset.checkpoint(size, complete=complete)
        atomic_write(self._checkpoint_path, data, self._mode)
        self._state.records_saved = self._dataset.sums.records
        self._state.resumable = True

    def write(self, batch: Sequence[Any]) -> None:
        try:
            self._partial.write(self._dataset.encode(batch))
            self._dataset.add(batch)
            self._save_checkpoint()
        except BaseException:
            # Bytes may be half-written: never write more after them.  The checkpoint
            # still describes the valid prefix, and --resume cuts the rest off.
            self.broken = True
            raise

    def commit(self) -> None:
        if self.already_complete:
            return
        # "complete" first: a kill after the rename then leaves a checkpoint that says
        # the export is finished, which the next run recognises.
        self._save_checkpoint(complete=True)
        self._partial.commit(self._target)
        self._checkpoint_path.unlink(missing_ok=True)
        self._state.resumable = False

    def abort(self) -> None:
        if self.already_complete:
            return
        if self._dataset.sums.records == 0:
            # Nothing worth resuming: leave no files that would make the next run refuse.
            self._partial.discard()
            self._checkpoint_path.unlink(missing_ok=True)
            self._state.resumable = False
        else:
            self._partial.close()


def _busy(target: Path) -> str:
    return (
        f"another export is writing {target} right now; wait for it to finish (or stop it), "
        "then run this command again"
    )


def _age(path: Path) -> str:
    """How long ago ``path`` was last written, for people."""
    try:
        return format_age(time.time() - path.stat().st_mtime)
    except OSError:
        return "an unknown time"
