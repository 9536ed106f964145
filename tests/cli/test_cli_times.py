"""--start / --end take CoinW's 'yyyy-MM-dd HH:mm:ss' (server time) or ISO 8601 with an
offset or Z, what the tool itself prints (issue 21 #12); every refusal reads alike."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from asset_client.cli import values
from asset_client.cli.main import main

PLUS8 = timezone(timedelta(hours=8))


@pytest.mark.parametrize(
    ("text", "zone", "server"),
    [
        ("2026-03-01 08:00:00", PLUS8, "2026-03-01 08:00:00"),  # already the server's
        ("2026-03-01T00:00:00Z", PLUS8, "2026-03-01 08:00:00"),
        ("2026-03-01T00:00:00+00:00", PLUS8, "2026-03-01 08:00:00"),
        ("2026-03-01T08:00:00+08:00", UTC, "2026-03-01 00:00:00"),
        ("2026-03-01 02:30:00-05:30", UTC, "2026-03-01 08:00:00"),
    ],
)
def test_an_iso_time_becomes_the_servers_own(text: str, zone: timezone, server: str) -> None:
    assert values.server_time(values.time(text), zone) == server
    assert values.server_time(values.time_or_day(text), zone) == server


@pytest.mark.parametrize(
    "text",
    [
        "2026-03-01T00:00:00",  # ISO without an offset: which zone? refused, not guessed
        "2026-03-01T00:00:00.5Z",  # CoinW's times are whole seconds
        "2026-03-01 24:00:00",
        "2026-02-30T00:00:00Z",
        "yesterday",
    ],
)
def test_every_bad_time_is_refused_alike(text: str) -> None:
    for parse in (values.time, values.time_or_day):
        with pytest.raises(argparse.ArgumentTypeError) as info:
            parse(text)
        assert str(info.value).startswith(f"must be {values.TIME_HELP}")
        assert str(info.value).endswith(f"got {text!r}")


def test_a_day_stays_a_day_for_volume() -> None:
    assert values.time_or_day("2026-03-01") == "2026-03-01"
    assert values.server_time("2026-03-01", UTC) == "2026-03-01"


def _export(tmp_path: Path, name: str, *window: str) -> list[str]:
    code = main(
        [
            "export",
            "--sandbox",
            "--rate",
            "50/0.1",
            "--server-timezone",
            "+08:00",
            "--quiet",
            "--out",
            str(tmp_path / name),
            *window,
        ]
    )
    assert code == 0
    # the uids: the sandbox's registration times follow its clock, a second apart per run
    return sorted(line.split(",")[0] for line in (tmp_path / name).read_text().splitlines())


@pytest.mark.parametrize("dataset", ["assets", "invitees"])
def test_an_iso_window_exports_what_the_servers_window_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], dataset: str
) -> None:
    # a start that cuts the list (the sandbox's registrations span 2026-01 to 2026-06)
    cut = datetime(2026, 4, 1, 12, 30, tzinfo=UTC)
    server_cut = (cut + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")
    server = ["--dataset", dataset, "--start", server_cut, "--end", "2099-01-01 08:00:00"]
    iso_cut = cut.strftime("%Y-%m-%dT%H:%M:%SZ")
    iso = ["--dataset", dataset, "--start", iso_cut, "--end", "2099-01-01T08:00+08:00"]
    everything = _export(tmp_path, "all.csv", "--dataset", dataset)
    uids = _export(tmp_path, "iso.csv", *iso)
    # the sandbox applies the assets' window to nothing it serves: there, the same list
    assert 1 < len(uids) < len(everything) if dataset == "invitees" else len(uids) > 1
    assert uids == _export(tmp_path, "server.csv", *server)
    capsys.readouterr()
    # start after end, once converted: the library's own cross-field check, before any request
    late = ["--dataset", dataset, "--start", "2099-01-01T00:00:01Z", "--end", "2099-01-01 08:00:00"]
    late += ["--server-timezone", "+08:00", "--out", str(tmp_path / "late.csv")]
    assert main(["export", "--sandbox", *late]) == 2
    assert not (tmp_path / "late.csv").exists()
    assert "2099-01-01 08:00:01" in capsys.readouterr().err
