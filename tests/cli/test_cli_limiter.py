"""The CLI's --limiter: checked before any I/O, beats ASSET_CLIENT_LIMITER, and an
unreachable Redis exits 4 with one line of advice (nothing sent, never a fallback)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from asset_client.cli.main import main

UNREACHABLE = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def _cli(cwd: Path, *args: str, env_limiter: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COINW_", "ASSET_CLIENT_"))}
    env["ASSET_CLIENT_RUNTIME_DIR"] = str(cwd / "runtime")  # this test's own host budget
    if env_limiter is not None:
        env["ASSET_CLIENT_LIMITER"] = env_limiter
    return subprocess.run(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "asset_client", "export", "--sandbox", "--out", "x.csv", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_bad_limiter_is_a_usage_error_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    code = main(["export", "--sandbox", "--out", "x.csv", "--limiter", "memcached://x"])
    err = capsys.readouterr().err
    assert code == 2
    assert "limiter must be 'process', 'host' or 'redis://host:port/db', got 'memcached://x'" in err
    assert not list(tmp_path.iterdir())


def test_unreachable_redis_exits_4_with_one_line_of_advice(tmp_path: Path) -> None:
    result = _cli(tmp_path, "--limiter", UNREACHABLE)
    assert result.returncode == 4
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "LimiterUnavailableError" in lines[0] and "nothing was sent" in lines[0]
    assert "--limiter" in lines[0]  # what to do about it
    assert not (tmp_path / "x.csv").exists()


def test_the_flag_beats_the_environment(tmp_path: Path) -> None:
    # The environment names an unreachable Redis: alone, it stops the export ...
    assert _cli(tmp_path, env_limiter=UNREACHABLE).returncode == 4
    # ... but an explicit --limiter wins over it.
    result = _cli(tmp_path, "--limiter", "process", "--page-size", "1000", env_limiter=UNREACHABLE)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "x.csv").read_text().count("\n") == 3001  # header + every demo invitee


def test_an_unusable_host_directory_exits_4_with_host_advice(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COINW_", "ASSET_CLIENT_"))}
    env["ASSET_CLIENT_RUNTIME_DIR"] = str(blocker / "clocks")  # under a file: cannot exist
    result = subprocess.run(
        [sys.executable, "-m", "asset_client", "export", "--sandbox", "--out", "x.csv"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 4, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "host limiter" in lines[0] and "ASSET_CLIENT_RUNTIME_DIR" in lines[0]
    assert "start the limiter's server" not in lines[0]  # that advice is for Redis
    assert not (tmp_path / "x.csv").exists()
