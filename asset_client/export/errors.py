"""Why an export of any partner dataset (assets, invitees, volume) refused to start or go on.

Sharp edge: these are refusals about files and checkpoints, not answers of the server; each
carries the exit status the command line reports (`ExportError.exit_code`), and a
`CheckpointError` never reaches the user as such: the run turns it into an `ExportError`
that says which file to delete to start over.  They are not `AssetClientError`s (yet):
the command line prints those with their class name, and these are refusals of its own.
"""

from __future__ import annotations

__all__ = ["CheckpointError", "ExportBusyError", "ExportError"]


class ExportError(Exception):
    """A refusal before or around the walk (checkpoint trouble), with its exit status."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        self.exit_code = exit_code
        super().__init__(message)


class CheckpointError(Exception):
    """The checkpoint cannot be used (unreadable, other version, other parameters)."""


class ExportBusyError(CheckpointError):
    """Another export is writing the same partial file right now."""
