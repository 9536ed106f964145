"""Usage errors found before any request (issue 21 #6): a --summary-json that cannot be
written, a --limiter whose port or database number no Redis has.  In-process `main`:
each must exit 2 naming the option, and leave nothing behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from asset_client.cli.main import main


def _usage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
) -> str:
    monkeypatch.chdir(tmp_path)
    before = sorted(tmp_path.iterdir())
    code = main(list(args))
    err = capsys.readouterr().err
    assert code == 2, err
    assert sorted(tmp_path.iterdir()) == before  # no output, no partial, no checkpoint
    assert len(err.strip().splitlines()) == 1, err
    return err


@pytest.mark.parametrize("command", ["export", "report", "sync"])
def test_a_summary_json_directory_is_refused_before_any_request(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: str,
) -> None:
    (tmp_path / "runs").mkdir()
    target = ["--db", "h.sqlite"] if command == "sync" else ["--out", "a.csv"]
    err = _usage(
        tmp_path, capsys, monkeypatch, command, "--sandbox", *target, "--summary-json", "runs"
    )
    assert "--summary-json 'runs' is a directory" in err


def test_a_summary_json_in_a_missing_directory_or_empty_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ("export", "--sandbox", "--out", "a.csv", "--summary-json")
    err = _usage(tmp_path, capsys, monkeypatch, *args, "nowhere/run.json")
    assert "the directory 'nowhere' does not exist" in err
    assert "--summary-json is empty" in _usage(tmp_path, capsys, monkeypatch, *args, "")


@pytest.mark.parametrize(
    ("limiter", "message"),
    [
        ("redis://127.0.0.1:99999/0", "the port must be 1..65535, got 'redis://127.0.0.1:99999/0'"),
        ("redis://127.0.0.1:6379/16", "the database number must be 0..15"),
        ("redis://127.0.0.1:6379/x", "the database number must be 0..15"),
        ("redis://:hunter2@127.0.0.1:6379/99", "the database number must be 0..15"),
    ],
)
@pytest.mark.parametrize("command", ["export", "sync"])
def test_a_redis_limiter_no_redis_can_be_is_a_usage_error(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    limiter: str,
    message: str,
    command: str,
) -> None:
    target = ["--db", "h.sqlite"] if command == "sync" else ["--out", "a.csv"]
    err = _usage(tmp_path, capsys, monkeypatch, command, "--sandbox", *target, "--limiter", limiter)
    assert f"--limiter: {message}" in err
    assert "hunter2" not in err
