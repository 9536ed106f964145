"""Files and input of ``asset-client export`` (issue 9, section 8): --out never
replaces a device, FIFO or link; files are owner-only; a run killed after its final
rename is recognised as finished; temp files of dead runs are cleaned up; bad
numbers are refused by name before anything happens."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import stat
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from asset_client.cli.main import main
from tests._helpers import start_cli
from tests.cli.test_cli_export import FAST, Result, _env, start_export

INVITEES = 3000  # the embedded sandbox's default data set


async def export(cwd: Path, *args: str) -> Result:
    proc = await start_export(cwd, "--sandbox", *FAST, *args, env=_env())
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode is not None
    return Result(proc.returncode, out, err.decode())


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)  # the common default, inherited by the subprocess
    try:
        yield
    finally:
        os.umask(old)


def _names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _read_in_thread(fifo: Path) -> asyncio.Future[bytes]:
    """Everything a reader thread gets from ``fifo`` (its open blocks until a writer comes)."""
    loop = asyncio.get_running_loop()
    received: asyncio.Future[bytes] = loop.create_future()

    def read_all() -> None:
        with open(fifo, "rb") as reader:
            data = reader.read()
        loop.call_soon_threadsafe(received.set_result, data)

    threading.Thread(target=read_all, daemon=True).start()
    return received


def _release_reader(fifo: Path) -> None:
    """Open ``fifo`` for writing once, so a reader still waiting on it gets EOF."""
    with contextlib.suppress(OSError):  # no reader waiting: nothing to release
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))


# -- --out that is not a regular file ------------------------------------------------------


async def test_a_fifo_is_written_through_never_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    # A second name for the FIFO, so the reader can always be released (even if the
    # export wrongly replaced the first name with a regular file).
    (tmp_path / "spare").mkdir()
    spare = tmp_path / "spare" / "pipe"
    os.link(fifo, spare)
    received = _read_in_thread(fifo)
    try:
        result = await export(tmp_path, "--out", str(fifo))
        data = await asyncio.wait_for(received, timeout=5)
    finally:
        _release_reader(spare)
    assert result.code == 0, result.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert len(data.splitlines()) == INVITEES + 1  # header + records
    # no partial file, no checkpoint
    assert _names(tmp_path) == ["pipe.csv", "spare"]


async def test_a_link_to_dev_null_stays_a_link_and_dev_null_a_device(tmp_path: Path) -> None:
    link = tmp_path / "null.csv"
    link.symlink_to("/dev/null")
    result = await export(tmp_path, "--out", str(link))
    assert result.code == 0, result.stderr
    assert link.is_symlink() and os.readlink(link) == "/dev/null"
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert _names(tmp_path) == ["null.csv"]


async def test_a_link_to_a_regular_file_replaces_the_file_and_keeps_the_link(
    tmp_path: Path,
) -> None:
    real = tmp_path / "real.csv"
    real.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    result = await export(tmp_path, "--out", str(link))
    assert result.code == 0, result.stderr
    assert link.is_symlink()
    assert len(real.read_text().splitlines()) == INVITEES + 1


async def test_a_socket_or_a_resume_into_a_pipe_is_refused(tmp_path: Path) -> None:
    sock_path = tmp_path / "s.csv"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(sock_path))
        refused = await export(tmp_path, "--out", str(sock_path))
    assert refused.code == 2
    assert "not a regular file; refusing to write an export to it" in refused.stderr
    assert stat.S_ISSOCK(os.lstat(sock_path).st_mode)
    fifo = tmp_path / "p.csv"
    os.mkfifo(fifo)
    no_resume = await export(tmp_path, "--out", str(fifo), "--resume")
    assert no_resume.code == 2 and "--resume needs a regular file" in no_resume.stderr


# -- owner-only files ------------------------------------------------------------------------


async def test_files_are_owner_only_unless_asked(tmp_path: Path, umask_022: None) -> None:
    done = await export(tmp_path, "--out", "a.csv")
    assert done.code == 0, done.stderr
    assert _mode(tmp_path / "a.csv") == 0o600
    shared = await export(tmp_path, "--out", "b.csv", "--file-mode", "640")
    assert shared.code == 0, shared.stderr
    assert _mode(tmp_path / "b.csv") == 0o640


# -- a kill between the rename and the checkpoint's removal -----------------------------------

_KILLED_RUN = """
import os, signal, sys
from asset_client.export import files as _export
original = _export.PartialFile.commit
def commit(self, target):
    if sys.argv[1] == "before":
        os.kill(os.getpid(), signal.SIGKILL)
    original(self, target)
    os.kill(os.getpid(), signal.SIGKILL)
_export.PartialFile.commit = commit
from asset_client.cli.main import main
sys.exit(main(sys.argv[2:]))
"""


async def _killed_run(cwd: Path, when: str, *args: str) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _KILLED_RUN,
        when,
        "export",
        "--sandbox",
        *FAST,
        *args,
        cwd=cwd,
        env=_env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == -9, err.decode()


@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize("resume", [True, False])
async def test_a_run_killed_around_the_final_rename_is_recognised_as_finished(
    tmp_path: Path, when: str, resume: bool, umask_022: None
) -> None:
    await _killed_run(tmp_path, when, "--out", "a.csv")
    checkpoint = tmp_path / "a.csv.checkpoint.json"
    assert json.loads(checkpoint.read_text())["complete"] is True
    assert _mode(checkpoint) == 0o600
    leftover = ".a.csv.partial" if when == "before" else "a.csv"
    assert _mode(tmp_path / leftover) == 0o600
    expected_records = json.loads(checkpoint.read_text())["records"]
    assert expected_records == INVITEES

    flag = ["--resume"] if resume else []
    again = await export(tmp_path, "--out", "a.csv", *flag)
    assert again.code == 0, again.stderr
    assert "the earlier export to a.csv had completed (3000 records)" in again.stderr
    if resume:
        assert "a.csv is already complete" in again.stderr
        assert "0 requests" in again.stderr
    assert _names(tmp_path) == ["a.csv"]
    assert len((tmp_path / "a.csv").read_text().splitlines()) == INVITEES + 1


async def test_temp_files_of_dead_runs_are_removed(tmp_path: Path) -> None:
    finished = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import os; print(os.getpid())", stdout=asyncio.subprocess.PIPE
    )
    pid_text, _ = await finished.communicate()
    dead = tmp_path / f".a.csv.checkpoint.json.tmp-{int(pid_text)}"
    alive = tmp_path / f".a.csv.checkpoint.json.tmp-{os.getpid()}"  # this test: running
    dead.write_text("{}")
    alive.write_text("{}")
    result = await export(tmp_path, "--out", "a.csv")
    assert result.code == 0, result.stderr
    assert not dead.exists()
    assert alive.exists()


# -- numbers on the command line ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--rate", "5/inf"], "--rate: must be REQUESTS/SECONDS like 5/1, got '5/inf'"),
        (["--rate", "5/nan"], "got '5/nan'"),
        (["--rate", "5/1e999"], "got '5/1e999'"),
        (["--rate", "5/99999"], "got '5/99999'"),
        (["--rate", "\uff15/1"], "got '\uff15/1'"),
        (["--page-size", "\uff11\uff10\uff10"], "--page-size: must be an integer from 1 to 1000"),
        (["--page-size", "+100"], "got '+100'"),
        (["--page-size", "1_00"], "got '1_00'"),
        (["--page-size", " 100"], "got ' 100'"),
        (["--max-retries", "999999999999"], "--max-retries: must be an integer from 0 to 100"),
        (["--uid", "9223372036854775808"], "--uid: must be an integer from 1 to"),
        (["--file-mode", "777"], "--file-mode: must be an octal mode"),
        (["--file-mode", "rw"], "--file-mode: must be an octal mode"),
    ],
)
def test_bad_numbers_exit_2_naming_option_and_value(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    expected: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    code = main(["export", "--sandbox", "--out", "x.csv", *argv])
    err = capsys.readouterr().err
    assert code == 2
    assert expected in err
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    "url",
    [
        "https://api.example.test/?debug=1",
        "https://api.example.test/#frag",
        "https://me:hunter2@api.example.test",
    ],
)
def test_a_base_url_with_query_fragment_or_user_is_refused(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    url: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COINW_API_KEY", "k" * 16)
    monkeypatch.setenv("COINW_SECRET_KEY", "s" * 16)
    code = main(["export", "--base-url", url, "--out", "x.csv"])
    err = capsys.readouterr().err
    assert code == 2
    assert "base_url must" in err and "hunter2" not in err
    assert not list(tmp_path.iterdir())


# -- the same file rules for every command that writes --out -------------------------------


async def _command(cwd: Path, *args: str) -> Result:
    proc = await start_cli(cwd, *args, env=_env())
    out, err = await asyncio.wait_for(proc.communicate(), timeout=90)
    assert proc.returncode is not None
    return Result(proc.returncode, out, err.decode())


async def _through_fifo(cwd: Path, *args: str) -> tuple[Result, bytes]:
    """Run a command whose ``--out`` is the FIFO ``cwd/pipe``; what the reader got."""
    fifo = cwd / "pipe"
    os.mkfifo(fifo)
    received = _read_in_thread(fifo)
    try:
        result = await _command(cwd, *args, "--out", str(fifo))
        data = await asyncio.wait_for(received, timeout=10)
    finally:
        _release_reader(fifo)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode), "the FIFO was replaced"
    os.unlink(fifo)
    return result, data


async def test_dataset_report_and_changes_follow_the_file_rules(
    tmp_path: Path, umask_022: None
) -> None:
    sandbox = ["--sandbox", *FAST]
    invitees = await _command(
        tmp_path, "export", *sandbox, "--dataset", "invitees", "--out", "inv.csv"
    )
    assert invitees.code == 0, invitees.stderr
    assert _mode(tmp_path / "inv.csv") == 0o600
    volume = await _command(
        tmp_path,
        "export",
        *sandbox,
        "--dataset",
        "volume",
        "--out",
        "vol.csv",
        "--file-mode",
        "640",
    )
    assert volume.code == 0, volume.stderr
    assert _mode(tmp_path / "vol.csv") == 0o640
    report = await _command(tmp_path, "report", *sandbox, "--out", "report.csv")
    assert report.code == 0, report.stderr
    assert _mode(tmp_path / "report.csv") == 0o600
    for sync in range(2):
        synced = await _command(tmp_path, "sync", *sandbox, "--db", "h.sqlite")
        assert synced.code == 0, (sync, synced.stderr)
    changes = await _command(tmp_path, "changes", "--db", "h.sqlite", "--out", "changes.csv")
    assert changes.code == 0, changes.stderr
    assert _mode(tmp_path / "changes.csv") == 0o600

    # A FIFO is written through and stays a FIFO, for each of them.  (The sandbox's
    # registration times follow the clock: compare rows, not bytes.)
    for args, expected in (
        (["export", *sandbox, "--dataset", "invitees"], (tmp_path / "inv.csv").read_bytes()),
        (["report", *sandbox], (tmp_path / "report.csv").read_bytes()),
        (["changes", "--db", "h.sqlite"], (tmp_path / "changes.csv").read_bytes()),
    ):
        result, data = await _through_fifo(tmp_path, *args)
        assert result.code == 0, (args, result.stderr)
        assert len(data.splitlines()) == len(expected.splitlines()) > 1, args
        assert data.splitlines()[0] == expected.splitlines()[0], args
    # --resume into a pipe is refused; a socket is refused; nothing written.
    refused = await _command(
        tmp_path, "export", *sandbox, "--dataset", "volume", "--out", "/dev/null", "--resume"
    )
    assert refused.code == 2 and "--resume needs a regular file" in refused.stderr
    assert not [n for n in _names(tmp_path) if "partial" in n or "checkpoint" in n]


async def test_a_dataset_export_killed_around_the_rename_is_recognised(
    tmp_path: Path, umask_022: None
) -> None:
    for when in ("before", "after"):
        await _killed_run(tmp_path, when, "--dataset", "invitees", "--out", "inv.csv")
        checkpoint = tmp_path / "inv.csv.checkpoint.json"
        saved = json.loads(checkpoint.read_text())
        assert saved["complete"] is True and _mode(checkpoint) == 0o600
        again = await export(tmp_path, "--dataset", "invitees", "--out", "inv.csv", "--resume")
        assert again.code == 0, again.stderr
        assert f"had completed ({saved['records']} records)" in again.stderr
        assert "inv.csv is already complete" in again.stderr
        assert _names(tmp_path) == ["inv.csv"]
        lines = (tmp_path / "inv.csv").read_text().splitlines()
        assert len(lines) == saved["records"] + 1
