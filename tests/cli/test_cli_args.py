"""The command line without a server: usage errors, credentials, exit statuses."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import pytest

from asset_client import (
    ApiError,
    AuthenticationError,
    InvalidParameterError,
    PaginationError,
    PermissionDeniedError,
    RateLimitError,
    ResponseDecodeError,
    ServerError,
    TransportError,
)
from asset_client.cli.main import exit_code_for, load_credentials_file, main
from asset_client.export.run import ExportError
from tests.conftest import SECRET


@pytest.fixture(autouse=True)
def _no_env_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("COINW_API_KEY", raising=False)
    monkeypatch.delenv("COINW_SECRET_KEY", raising=False)
    monkeypatch.chdir(tmp_path)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(["export", *argv])
    captured = capsys.readouterr()
    assert captured.out == ""
    return code, captured.err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--page-size", "0"], "argument --page-size: must be an integer from 1 to 1000, got '0'"),
        (["--page-size", "1001"], "--page-size: must be an integer from 1 to 1000, got '1001'"),
        (["--page-size", "ten"], "--page-size: must be an integer from 1 to 1000, got 'ten'"),
        (["--start", "bad"], "argument --start: must be a time like"),
        (["--end", "2026-02-30 00:00:00"], "got '2026-02-30 00:00:00'"),
        (
            ["--uid", "-5"],
            "argument --uid: must be an integer from 1 to 9223372036854775807, got '-5'",
        ),
        (["--quote", "btc"], "argument --quote: invalid choice: 'btc'"),
        (["--server-timezone", "Mars/Olympus"], "unknown time zone 'Mars/Olympus'"),
        (["--rate", "fast"], "argument --rate: must be REQUESTS/SECONDS like 5/1, got 'fast'"),
        (
            ["--max-retries", "-1"],
            "argument --max-retries: must be an integer from 0 to 100, got '-1'",
        ),
    ],
)
def test_bad_arguments_exit_2_naming_option_and_value(
    capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    code, err = run(capsys, "--out", "x.csv", "--sandbox", *argv)
    assert code == 2
    assert expected in err
    assert "Traceback" not in err
    assert not list(Path().iterdir())  # nothing written


def test_start_after_end(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(
        capsys,
        "--out",
        "x.csv",
        "--sandbox",
        "--start",
        "2026-05-01 00:00:00",
        "--end",
        "2026-04-01 00:00:00",
    )
    assert code == 2
    assert err.strip() == (
        "asset-client: error: InvalidParameterError: start_time '2026-05-01 00:00:00' is after "
        "end_time '2026-04-01 00:00:00'"
    )


def test_missing_out(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export"]) == 2
    assert "the following arguments are required: --out" in capsys.readouterr().err


def test_no_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "required: COMMAND" in capsys.readouterr().err


def test_unknown_extension(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(capsys, "--out", "x.txt", "--sandbox")
    assert (code, err.strip()) == (
        2,
        "asset-client: error: cannot tell the format from 'x.txt': pass --format csv or "
        "--format jsonl",
    )


def test_resume_needs_a_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(capsys, "--out", "-", "--resume", "--sandbox")
    assert code == 2
    assert "--resume needs a file" in err


def test_missing_credentials(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(capsys, "--out", "x.csv")
    assert code == 2
    assert err.strip() == (
        "asset-client: error: no credentials: set COINW_API_KEY and COINW_SECRET_KEY in the "
        "environment, or pass --credentials-file (or try --sandbox)"
    )


def test_help_documents_exit_statuses(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--help"]) == 0
    out = capsys.readouterr().out
    for fragment in ("exit statuses:", "130", "--resume", "COINW_SECRET_KEY", "chmod 600"):
        assert fragment in out


def _write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    os.chmod(path, mode)
    return path


def test_credentials_file_key_value(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "creds",
        f"# CoinW affiliate key\napi_key = my-key\n\nexport COINW_SECRET_KEY='{SECRET}'\n",
    )
    credentials = load_credentials_file(path)
    assert (credentials.api_key, credentials.secret_key) == ("my-key", SECRET)
    assert SECRET not in repr(credentials) and "my-key" not in repr(credentials)


def test_credentials_file_json(tmp_path: Path) -> None:
    path = _write(tmp_path / "creds.json", json.dumps({"api_key": "k", "secret_key": SECRET}))
    assert load_credentials_file(path).secret_key == SECRET


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_credentials_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "creds", f"api_key=k\nsecret_key={SECRET}\n", mode=0o644)
    with pytest.raises(ExportError, match=r"readable by other users \(mode 644\); run: chmod 600"):
        load_credentials_file(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("api_key=k\n", "has no secret_key"),
        ("", "has no api_key and no secret_key"),
        (f"api_key=k\n{SECRET}\n", "line 2 is not key=value"),
        ('{"api_key": "k", ', "invalid JSON"),
    ],
)
def test_bad_credentials_file_never_echoes_content(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path / "creds", text)
    with pytest.raises(ExportError, match=message) as info:
        load_credentials_file(path)
    assert SECRET not in str(info.value)


def test_credentials_file_error_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, err = run(capsys, "--out", "x.csv", "--credentials-file", str(tmp_path / "missing"))
    assert code == 2
    assert "cannot read credentials file" in err


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (InvalidParameterError("bad", field="uid"), 2),
        (ExportError("checkpoint mismatch"), 2),
        (AuthenticationError("bad sign", code="6001"), 3),
        (PermissionDeniedError("not affiliate", code="6003"), 3),
        (RateLimitError("slow down", code="29001"), 4),
        (TransportError("reset"), 4),
        (ServerError("oops", status=503), 4),
        (ResponseDecodeError("truncated", retryable=True), 4),
        (ResponseDecodeError("wrong shape"), 5),
        (PaginationError("uids out of order"), 5),
        (ApiError("unexpected answer", code="777"), 5),
        (OSError(28, "No space left on device"), 1),
        (RuntimeError("bug"), 1),
    ],
)
def test_exit_codes(exc: BaseException, code: int) -> None:
    assert exit_code_for(exc) == code


def test_fixed_offset_zone_is_accepted(capsys: pytest.CaptureFixture[str]) -> None:
    # Parsed, then stopped by a later usage error: proves the zone itself was fine.
    code, err = run(capsys, "--out", "x.txt", "--sandbox", "--server-timezone", "+08:00")
    assert code == 2 and "cannot tell the format" in err
    from asset_client.cli.values import zone

    assert zone("UTC+0530")[1].utcoffset(None) == timedelta(hours=5, minutes=30)
    assert zone("Asia/Shanghai")[0] == "Asia/Shanghai"


@pytest.mark.parametrize("url", ["foo", "https://[::1", "http://api.coinw.com"])
def test_bad_base_url_exits_2_before_anything_is_written(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("COINW_API_KEY", "k")
    monkeypatch.setenv("COINW_SECRET_KEY", SECRET)
    code, err = run(capsys, "--out", "x.csv", "--base-url", url)
    assert code == 2
    assert "base_url" in err and repr(url) in err and "Traceback" not in err
    assert not list(Path().iterdir())


def test_an_export_short_of_the_total_is_not_called_complete() -> None:
    from asset_client.export.datasets import check_against_total

    with pytest.raises(PaginationError, match="lists 11 records but the export holds 10"):
        check_against_total(10, 11)
    check_against_total(11, 11)
    check_against_total(12, 11)  # invitees removed after they were read: kept, as read
    check_against_total(3, None)  # nothing was asked (no page seen)


def test_after_a_pagination_error_the_advice_is_to_start_over_not_resume() -> None:
    from asset_client.cli.exits import failure_line
    from asset_client.export.run import ExportState

    state = ExportState(records_saved=10, resumable=True, checkpoint="x.csv.checkpoint.json")
    line = failure_line(PaginationError("the server lists 11 records"), state)
    assert "delete x.csv.checkpoint.json and run the command again without --resume" in line
    assert "--resume to continue" not in line
    other = failure_line(TransportError("reset"), state)
    assert other.endswith("10 records saved; run the same command with --resume to continue")
