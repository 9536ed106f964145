"""The dashboard as a person sees it: Debian's headless chromium opens the file with the
network cut off (every request goes to a local proxy that records it and answers
nothing), and must log no console message, send no request for the page and show every
chart.  Under ``CI=true`` a missing chromium fails the test instead of skipping it."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import threading
from pathlib import Path

import pytest

from tests.dashboard.conftest import in_ci

CHARTS = ("funnel", "arrivals", "trend_invitees", "trend_money", "daily_volume", "ttfd")
#: The browser's own background services (updates, time, sign-in): not the page's.
BROWSER_SERVICES = re.compile(
    r"^(clients\d*\.google\.com|update\.googleapis\.com|accounts\.google\.com|"
    r"[\w.-]*\.gvt1\.com|optimizationguide-pa\.googleapis\.com|"
    r"content-autofill\.googleapis\.com|safebrowsing\.googleapis\.com)(:\d+)?$"
)


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if in_ci():
            pytest.fail("chromium is not installed (apt-get install chromium)")
        pytest.skip("chromium is not installed")
    return path


class _Sink:
    """A proxy that records the first line of every request and closes the connection."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.requests: list[str] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    head = conn.recv(4096).decode("latin-1")
                except OSError:
                    head = ""
                self.requests.append(head.split("\r\n", 1)[0])

    def page_requests(self) -> list[str]:
        hosts = [(line, (line.split(" ")[1:2] or [""])[0]) for line in self.requests]
        return [
            line
            for line, target in hosts
            if not BROWSER_SERVICES.match(re.sub(r"^\w+://", "", target).split("/")[0])
        ]

    def close(self) -> None:
        self.server.close()


def _open(page_file: Path, tmp_path: Path, *extra: str) -> tuple[str, str, list[str]]:
    sink = _Sink()
    try:
        result = subprocess.run(  # noqa: S603 - our own chromium, our own file
            [
                _chromium(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                f"--user-data-dir={tmp_path / 'profile'}",
                f"--proxy-server=http://127.0.0.1:{sink.port}",
                "--proxy-bypass-list=<-loopback>",  # loopback too: nothing gets past
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--enable-logging=stderr",
                "--v=0",
                *extra,
                page_file.resolve().as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
    finally:
        sink.close()
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout, result.stderr, sink.page_requests()


def test_chromium_opens_it_offline_with_every_chart(page_file: Path, tmp_path: Path) -> None:
    dom, log, requests = _open(page_file, tmp_path, "--dump-dom")
    assert requests == []
    assert not [line for line in log.splitlines() if ":CONSOLE" in line]
    for chart in CHARTS:
        section = re.search(rf'<section id="{chart}" class="chart">(.*?)</section>', dom, re.S)
        assert section is not None, f"chart {chart} missing"
        svg = re.search(r'<svg[^>]*role="img"[^>]*>(.*?)</svg>', section.group(1), re.S)
        assert svg is not None, f"chart {chart} has no drawing"
        assert len(re.findall(r"<path", svg.group(1))) >= 3, f"chart {chart} draws nothing"
    assert 'id="cohorts"' in dom and 'id="top_volume"' in dom and 'id="top_deposit"' in dom


def test_the_page_refers_to_nothing_outside_itself(page: str) -> None:
    assert not re.search(r"<(script|link|img|iframe|object|embed)\b", page, re.I)
    assert not re.search(r"\b(src|href)\s*=", page, re.I)
    assert not re.search(r"url\(|@import|@font-face", page, re.I)
    assert "prefers-color-scheme:dark" in page and 'name="viewport"' in page
    assert len(page.encode()) < 5 * 1024 * 1024


def test_a_page_that_reaches_out_is_caught(tmp_path: Path) -> None:
    """The probe itself can fail: a page with a remote image and a console error."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!doctype html><img src="http://example.test/x.png">'
        "<script>console.error('boom')</script>"
    )
    _, log, requests = _open(bad, tmp_path, "--dump-dom")
    assert any("example.test" in line for line in requests)
    assert any(":CONSOLE" in line and "boom" in line for line in log.splitlines())


def test_screenshot_on_a_phone(page_file: Path, tmp_path: Path) -> None:
    shot = tmp_path / "phone.png"
    _, _, requests = _open(
        page_file, tmp_path, f"--screenshot={shot}", "--window-size=390,844", "--hide-scrollbars"
    )
    assert requests == [] and shot.stat().st_size > 10_000
