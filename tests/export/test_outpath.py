"""`resolve_out`: what --out names, decided before anything is written."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from asset_client.export.outpath import OutTarget, OutTargetError, resolve_out


def test_dash_is_stdout() -> None:
    assert resolve_out("-").is_stdout


def test_a_new_or_regular_file_is_replaced(tmp_path: Path) -> None:
    new = tmp_path / "new.csv"
    assert resolve_out(str(new)) == OutTarget(file=new)
    new.write_text("x")
    assert resolve_out(str(new)) == OutTarget(file=new)


def test_links_are_followed_to_the_file(tmp_path: Path) -> None:
    real = tmp_path / "real.csv"
    real.write_text("x")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    assert resolve_out(str(link)) == OutTarget(file=real)
    dangling = tmp_path / "dangling.csv"
    dangling.symlink_to(tmp_path / "later.csv")
    assert resolve_out(str(dangling)) == OutTarget(file=tmp_path / "later.csv")


def test_devices_and_fifos_are_streams(tmp_path: Path) -> None:
    assert resolve_out("/dev/null") == OutTarget(stream=Path("/dev/null"))
    fifo = tmp_path / "p"
    os.mkfifo(fifo)
    assert resolve_out(str(fifo)) == OutTarget(stream=fifo)


def test_directories_and_sockets_are_refused(tmp_path: Path) -> None:
    with pytest.raises(OutTargetError, match="is a directory"):
        resolve_out(str(tmp_path))
    path = tmp_path / "s"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        with pytest.raises(OutTargetError, match="not a regular file"):
            resolve_out(str(path))
