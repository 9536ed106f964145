"""Decode cost: raw JSON pages -> typed `InviteeAsset` records, vs plain ``json.loads`` dicts.

Pages are rendered by the sandbox's data generator (1000 records each, about 10% of them
users who never deposited, with ``"0"`` totals and empty or null first deposits), exactly as
the sandbox sends them.  Each variant runs over every page, on one core (this process,
one thread); the CPU time is read with ``time.process_time`` and the median of the repeats
is reported.
"""

from __future__ import annotations

import gc
import json
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC

from asset_client.core.classify import classify_response
from asset_client.core.decode import decode_page
from asset_client.sandbox import Sandbox, SandboxConfig

__all__ = ["DecodeResult", "make_pages", "run_decode"]

PAGE_SIZE = 1000
_NO_HEADERS: dict[str, str] = {}


@dataclass(frozen=True)
class DecodeResult:
    """One variant: records per CPU second (median of repeats)."""

    name: str
    records: int  #: records per repeat
    cpu_seconds: float  #: median CPU seconds per repeat
    wall_seconds: float  #: median wall seconds per repeat
    best_cpu_seconds: float  #: fastest repeat (how fast it goes when the machine is quiet)

    @property
    def per_second(self) -> float:
        return self.records / self.cpu_seconds

    @property
    def best_per_second(self) -> float:
        return self.records / self.best_cpu_seconds

    @property
    def micros_per_record(self) -> float:
        return self.cpu_seconds / self.records * 1e6


def make_pages(pages: int, seed: int = 7) -> list[bytes]:
    """``pages`` pages of 1000 records as the sandbox renders them (compact JSON bytes)."""
    # The sandbox's own data, never served: only its pages are rendered here.
    population = Sandbox(SandboxConfig(seed=seed, invitees=pages * PAGE_SIZE)).data.population(
        "usdt"
    )
    bodies: list[bytes] = []
    for index in range(pages):
        total, records = population.page(index * PAGE_SIZE, PAGE_SIZE)
        payload = {"code": "0", "msg": "success", "data": {"total": total, "list": records}}
        bodies.append(json.dumps(payload, separators=(",", ":")).encode())
    return bodies


def _json_loads(body: bytes, page_no: int) -> int:
    return len(json.loads(body)["data"]["list"])


def _classify(body: bytes, page_no: int) -> int:
    # json.loads with parse_float=Decimal, and the envelope checks the client makes
    return len(classify_response(200, _NO_HEADERS, body, page_no=page_no)["list"])


def _full(body: bytes, page_no: int) -> int:
    data = classify_response(200, _NO_HEADERS, body, page_no=page_no)
    page = decode_page(data, page_no=page_no, page_size=PAGE_SIZE, server_tz=UTC)
    return len(page.items)


VARIANTS: dict[str, Callable[[bytes, int], int]] = {
    "json.loads -> dicts": _json_loads,
    "classify_response (json.loads, Decimal, envelope) -> dicts": _classify,
    "classify_response + decode_page -> InviteeAsset (the client's path)": _full,
}


def _time(fn: Callable[[bytes, int], int], pages: Sequence[bytes]) -> tuple[int, float, float]:
    cpu = time.process_time()
    wall = time.perf_counter()
    records = 0
    for page_no, body in enumerate(pages, start=1):
        records += fn(body, page_no)
    return records, time.process_time() - cpu, time.perf_counter() - wall


def run_decode(pages: int, repeats: int) -> list[DecodeResult]:
    """Every variant over ``pages`` pages, ``repeats`` times each (interleaved)."""
    bodies = make_pages(pages)
    for fn in VARIANTS.values():  # warm up: converter built, code paths hot
        _time(fn, bodies[:1])
    samples: dict[str, list[tuple[int, float, float]]] = {name: [] for name in VARIANTS}
    for _ in range(repeats):
        for name, fn in VARIANTS.items():
            gc.collect()  # every variant starts with the same garbage: none
            samples[name].append(_time(fn, bodies))
    results: list[DecodeResult] = []
    for name, runs in samples.items():
        results.append(
            DecodeResult(
                name=name,
                records=runs[0][0],
                cpu_seconds=statistics.median(r[1] for r in runs),
                wall_seconds=statistics.median(r[2] for r in runs),
                best_cpu_seconds=min(r[1] for r in runs),
            )
        )
    return results
