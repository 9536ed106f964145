"""Progress reporting: plain lines off a terminal, a bar on one."""

from __future__ import annotations

import io

from asset_client.export.progress import BarProgress, PlainProgress, make_progress
from tests._helpers import FakeClock


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_lines_are_throttled() -> None:
    stream, clock = io.StringIO(), FakeClock(100.0)
    progress = PlainProgress(stream, interval=2.0, clock=clock)
    clock.now += 0.01
    progress.update(1000, None, 1)  # the first update always prints
    clock.now += 1.99
    progress.update(2000, 250000, 2)  # within the interval: quiet
    clock.now += 0.65
    progress.update(12000, 250000, 13)
    progress.close()
    assert [line.split(" ", 1)[1] for line in stream.getvalue().splitlines()] == [
        "progress: 1000 records, 1 request",
        "progress: 12000/250000 records, 13 requests, 4.5 req/s",
    ]


def test_make_progress_picks_by_tty() -> None:
    assert isinstance(make_progress(io.StringIO()), PlainProgress)
    assert isinstance(make_progress(FakeTTY()), BarProgress)


def test_bar_shows_records_against_total() -> None:
    tty = FakeTTY()
    bar = BarProgress(tty, initial=5, mininterval=0)
    bar.update(10, 100, 2)
    bar.update(100, 100, 3)
    bar.close()
    shown = tty.getvalue()
    assert "10/100" in shown and "100/100" in shown
    assert "3 requests" in shown
