"""``asset-client dashboard``: the file it writes, --sandbox in one command, --timezone, and
what it says without the extra or without a history."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from asset_client.cli.main import main
from tests.dashboard.conftest import need_extra


def test_db_to_html_in_a_chosen_zone(
    history: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    need_extra()
    out = tmp_path / "d.html"
    args = ["dashboard", "--db", str(history), "--out", str(out), "--timezone", "+08:00"]
    assert main(args) == 0
    page = out.read_text()
    assert "times in +08:00" in page
    # the newest snapshot's time, shown in the zone (its offset in the machine-readable form)
    assert re.search(
        r'data as of <time datetime="[\d-]+T[\d:.]+\+08:00">[\d-]+ [\d:]+ \+08:00', page
    )
    assert f"written to {out}" in capsys.readouterr().err
    assert out.stat().st_mode & 0o077 == 0  # private by default, like every file written


def test_sandbox_in_one_command(tmp_path: Path) -> None:
    need_extra()
    out = tmp_path / "demo.html"
    assert main(["dashboard", "--sandbox", "--out", str(out), "--quiet"]) == 0
    page = out.read_text()
    # five simulated days: five points in each trend
    assert len(re.findall(r'data-k="trend\.[^"]+\.invitees"', page)) == 5
    assert not list(tmp_path.glob("*.sqlite"))  # the demo history was temporary


def test_without_the_extra_it_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "vl_convert", None)  # as if not installed
    out = tmp_path / "d.html"
    assert main(["dashboard", "--sandbox", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "pip install 'asset-client[dashboard]'" in err and "vl_convert" in err
    assert not out.exists()


def test_no_history_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    need_extra()
    missing = tmp_path / "nope.sqlite"
    assert main(["dashboard", "--db", str(missing), "--out", str(tmp_path / "d.html")]) != 0
    err = capsys.readouterr().err
    assert str(missing) in err and "sync" in err
    assert not missing.exists()  # never created


def test_db_and_sandbox_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dashboard", "--db", "x.sqlite", "--sandbox"]) == 2
    assert "not allowed with" in capsys.readouterr().err
