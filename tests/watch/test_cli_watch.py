"""``asset-client watch`` and ``events`` as a user runs them: the first cycle's one quiet
line, delivery to a real receiver, the outbox listed, usage errors, SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import pytest

from asset_client.cli.main import main
from tests._helpers import env_without_keys, start_cli
from tests.watch._watch_helpers import Receiver, need, receiving

FAST = ("--sandbox", "--rate", "1000/1", "--limiter", "process")


async def _cli(cwd: Path, *args: str) -> tuple[int, str, str]:
    proc = await start_cli(cwd, *args, env=env_without_keys())
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_watch_once_then_events(tmp_path: Path) -> None:
    need("apprise")
    status, _, err = await _cli(tmp_path, "watch", "--db", "h.sqlite", "--once", *FAST)
    assert status == 0, err
    quiet = [line for line in err.splitlines() if "recorded silently" in line]
    assert len(quiet) == 1 and "3000 assets" in quiet[0] and "--announce-existing" in quiet[0]
    async with receiving(Receiver()) as receiver:
        status, _, err = await _cli(
            tmp_path, "watch", "--db", "h.sqlite", "--once", "--notify", receiver.url, *FAST
        )
    assert status == 0, err
    assert receiver.port and str(receiver.port) not in err  # the URL is a secret
    status, out, _ = await _cli(tmp_path, "events", "--db", "h.sqlite", "--format", "jsonl")
    lines = out.splitlines()
    assert status == 0 and len(lines) == len(receiver.bodies) > 0
    assert all('"sent_at": null' not in line for line in lines)
    status, out, _ = await _cli(tmp_path, "events", "--db", "h.sqlite", "--pending")
    assert status == 0 and out.splitlines() == [
        "id,kind,dataset,uid,amount,observed_at,snapshot,sent_at"
    ]
    status, out, _ = await _cli(tmp_path, "events", "--db", "h.sqlite", "--kind", "gone")
    assert all(",gone," in line for line in out.splitlines()[1:])


def test_notify_without_apprise_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "apprise", None)  # import apprise -> ImportError
    db = str(tmp_path / "h.sqlite")
    status = main(["watch", "--db", db, "--once", "--sandbox", "--notify", "json://x/y"])
    assert status == 2
    assert "pip install 'asset-client[watch]'" in capsys.readouterr().err
    assert not (tmp_path / "h.sqlite").exists()  # refused before any I/O


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--every", "0"], "--every"),
        (["--every", "soon"], "--every"),
        (["--min-deposit", "-1"], "--min-deposit"),
        (["--volume-milestone", "lots"], "--volume-milestone"),
        (["--metrics-port", "70000"], "--metrics-port"),
        (["--notify", "nope://tok3n"], "--notify nope://…#"),
    ],
)
def test_bad_options_are_usage_errors_naming_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], named: str
) -> None:
    if args[0] == "--notify":
        need("apprise")
    status = main(["watch", "--db", str(tmp_path / "h.sqlite"), "--sandbox", *args])
    err = capsys.readouterr().err
    assert status == 2 and named in err and "tok3n" not in err


async def test_sigterm_stops_watch_with_130_and_a_later_start_carries_on(tmp_path: Path) -> None:
    proc = await start_cli(
        tmp_path, "watch", "--db", "h.sqlite", "--every", "1h", *FAST, env=env_without_keys()
    )
    assert proc.stderr is not None
    line = b""
    while b"cycle:" not in line:  # the first cycle is done: now it sleeps
        line = await asyncio.wait_for(proc.stderr.readline(), 120)
        assert line, "watch ended early"
    proc.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(proc.wait(), 60) == 130
    status, _, err = await _cli(tmp_path, "watch", "--db", "h.sqlite", "--once", *FAST)
    assert status == 0 and "new event" in err and "recorded silently" not in err


async def test_once_with_a_failing_sync_exits_like_sync_and_keeps_nothing(tmp_path: Path) -> None:
    env = {**env_without_keys(), "COINW_API_KEY": "k" * 32, "COINW_SECRET_KEY": "s" * 32}
    proc = await start_cli(
        tmp_path,
        "watch", "--db", "h.sqlite", "--once", "--base-url", "http://127.0.0.1:9",
        "--max-retries", "0", "--limiter", "process",
        env=env,
    )  # fmt: skip
    _, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 4, err  # gave up: the network (as sync)
    status, out, _ = await _cli(tmp_path, "events", "--db", "h.sqlite")
    assert status == 0 and out.splitlines()[1:] == []
