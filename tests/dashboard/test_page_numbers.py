"""Every number on the dashboard, checked against the raw rows of the history it shows;
and no number on the page that is not one of them (a number is a ``<data>`` element)."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal
from html.parser import HTMLParser
from pathlib import Path

from tests.dashboard._truth import expected_numbers

#: Labels that hold a digit but are no number from the data.
LABELS = (
    "Top 20",
    "P90",
    "1st",
    "< 1 hour",
    "1 h - 1 day",
    "1 - 7 days",
    "7 - 30 days",
    "30 - 90 days",
    "> 90 days",
)


class _Numbers(HTMLParser):
    """The page's ``<data>`` elements (key -> (exact value, text shown)) and the text
    outside ``<data>``, ``<time>``, ``<svg>`` and ``<style>``."""

    SKIP = ("data", "time", "svg", "style", "title")

    def __init__(self) -> None:
        super().__init__()
        self.numbers: dict[str, tuple[str, str]] = {}
        self.loose: list[str] = []
        self._open: list[str] = []
        self._key: tuple[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self._open.append(tag)
        if tag == "data":
            a = dict(attrs)
            self._key = (str(a["data-k"]), str(a["value"]))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self._open and self._open[-1] == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if self._key is not None:
            key, value = self._key
            assert key not in self.numbers, f"{key} twice on the page"
            self.numbers[key] = (value, data)
            self._key = None
        elif not self._open:
            self.loose.append(data)


def _parse(page: str) -> _Numbers:
    parser = _Numbers()
    parser.feed(page)
    return parser


def test_every_number_matches_the_raw_records(page: str, history: Path) -> None:
    shown = _parse(page).numbers
    want = expected_numbers(history)
    assert set(shown) == set(want), (set(shown) ^ set(want), "keys shown vs computed")
    wrong = {k: (shown[k][0], want[k]) for k in want if Decimal(shown[k][0]) != want[k]}
    assert not wrong
    assert len(shown) > 100  # the demo has years of cohorts, days, top 20s


def test_numbers_read_with_separators_and_the_unit(page: str) -> None:
    shown = _parse(page).numbers
    exact, text = shown["total_deposit"]
    cents = Decimal(exact).quantize(Decimal("0.01"), ROUND_HALF_EVEN)
    assert text == f"{cents:,} USDT" and "," in text
    exact, text = shown["invitees"]
    assert text == f"{int(exact):,}"
    exact, text = shown["deposited_share"]
    assert text == f"{(Decimal(exact) * 100).quantize(Decimal('0.1'))} %"
    amounts = [t for k, (_, t) in shown.items() if k.endswith((".amount", ".deposits"))]
    assert amounts and all(re.fullmatch(r"\d{1,3}(,\d{3})*\.\d\d USDT", t) for t in amounts)


def test_no_number_outside_a_data_element(page: str) -> None:
    text = " ".join(_parse(page).loose)
    for label in LABELS:
        text = text.replace(label, "")
    text = re.sub(r"\(\d+-day\)", "", text)  # the volume window's length, in tile labels
    assert not re.search(r"\d", text), re.findall(r".{20}\d.{20}", text)


def test_times_in_the_chosen_zone_with_the_zone_shown(page: str) -> None:
    assert "times in UTC" in page
    assert re.search(
        r'<time datetime="2026-07-10T12:00:00\+00:00">2026-07-10 12:00 UTC</time>', page
    )
