"""The markdown report, the status against the issue's targets, and what fails the run."""

from __future__ import annotations

import datetime as dt
import math
import os
import platform
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from asset_client import RateLimit
from benchmarks.memory import MemoryResult
from benchmarks.suite import Results
from benchmarks.walk import RATE, WalkRun

__all__ = ["failures", "render"]

TARGET_RATIO = 0.95
TARGET_DECODE = 100_000
#: Streaming is "flat" when its peak grows by less than this share of what collecting grows
#: by, or by less than FLAT_MIB (allocator noise and the pages in flight: 8 x 1000 records).
FLAT_SHARE = 0.10
FLAT_MIB = 4.0
OURS = "asset_client"


def _median(runs: Sequence[WalkRun], value: Callable[[WalkRun], float]) -> float:
    return statistics.median(value(r) for r in runs)


def _ms(seconds: float) -> str:
    return "n/a" if math.isnan(seconds) else f"{seconds * 1000:.0f} ms"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


@dataclass(frozen=True)
class _Group:
    """Walks of one client at one latency and page size."""

    client: str
    latency: float
    page_size: int
    runs: list[WalkRun]

    @property
    def elapsed(self) -> float:
        return _median(self.runs, lambda r: r.elapsed)

    @property
    def rejected(self) -> int:
        return sum(r.rejected for r in self.runs)

    @property
    def exact(self) -> int:
        return sum(r.check.exact for r in self.runs)

    def ratio(self, rtt: float) -> float:
        return _median(self.runs, lambda r: r.ratio(rtt))


def _groups(walks: Sequence[WalkRun]) -> list[_Group]:
    keyed: dict[tuple[str, float, int], list[WalkRun]] = {}
    for run in walks:
        keyed.setdefault((run.client, run.latency, run.page_size), []).append(run)
    return [_Group(c, lat, size, runs) for (c, lat, size), runs in keyed.items()]


def _find(groups: Sequence[_Group], client: str, latency: float, size: int) -> _Group | None:
    for group in groups:
        if (group.client, group.latency, group.page_size) == (client, latency, size):
            return group
    return None


# -- what fails the run ---------------------------------------------------------------------


def failures(results: Results) -> list[str]:
    """Why this client failed the run: rejected by the window, or records lost/duplicated."""
    problems: list[str] = []
    for run in results.walks:
        if run.client != OURS:
            continue
        where = f"walk at {_ms(run.latency)}, page size {run.page_size}"
        if run.rejected or run.client_rejections:
            problems.append(
                f"{where}: {run.rejected} requests rejected by the sandbox's window "
                f"({run.client_rejections} seen by the client)"
            )
        if not run.check.exact:
            problems.append(f"{where}: records differ from sandbox.expected(): {run.check.problem}")
    memory = results.memory
    if memory is not None:
        if memory.server_rejected:
            problems.append(f"memory walks: {memory.server_rejected} requests rejected")
        for m in memory.runs:
            if not m.exact:
                problems.append(
                    f"memory walk {m.mode} {m.limit}: {m.records} records, uids differ"
                    if m.records == m.limit
                    else f"memory walk {m.mode} {m.limit}: {m.records} records"
                )
    return problems


# -- status ---------------------------------------------------------------------------------


def _yes(ok: bool) -> str:
    return "yes" if ok else "**NO**"


def _stream_growth(memory: MemoryResult) -> tuple[float, float]:
    """(streaming, collecting) growth in MiB from the smallest to the largest limit."""

    def delta(mode: str) -> float:
        runs = sorted((r for r in memory.runs if r.mode == mode), key=lambda r: r.limit)
        return memory.delta_mib(runs[-1]) - memory.delta_mib(runs[0])

    return delta("stream"), delta("collect")


def _status(results: Results, groups: Sequence[_Group]) -> list[str]:
    rtt = results.loopback_rtt
    size = results.profile.page_size
    ours = [g for g in groups if g.client == OURS and g.page_size == size]
    worst = min(ours, key=lambda g: g.ratio(rtt))
    ours_all = [r for r in results.walks if r.client == OURS]
    rejected = sum(r.rejected for r in ours_all)
    requests = sum(r.requests for r in ours_all)
    exact = sum(r.check.exact for r in ours_all)
    rows = [
        [
            f"walk >= {TARGET_RATIO} of ideal at every latency (page size {size})",
            f"lowest median ratio {worst.ratio(rtt):.3f} (at {_ms(worst.latency)})",
            _yes(worst.ratio(rtt) >= TARGET_RATIO),
        ],
        [
            "0 rejections by the strict window (every walk of this client)",
            f"{rejected} of {requests} requests in {len(ours_all)} walks",
            _yes(rejected == 0),
        ],
        [
            "no record lost, duplicated or out of order",
            f"{exact} of {len(ours_all)} walks exactly equal to sandbox.expected()",
            _yes(exact == len(ours_all)),
        ],
    ]
    full = next((d for d in results.decode if "decode_page" in d.name), None)
    if full is not None:
        rows.append(
            [
                f"decode >= {TARGET_DECODE // 1000}k records/s on one core",
                f"{full.per_second / 1000:.0f}k records/s (JSON bytes -> InviteeAsset)",
                _yes(full.per_second >= TARGET_DECODE),
            ]
        )
    memory = results.memory
    if memory is not None:
        stream, collect = _stream_growth(memory)
        limits = sorted({r.limit for r in memory.runs if r.mode != "idle"})
        rows.append(
            [
                f"flat memory when streaming (grows < {FLAT_MIB:.0f} MiB or < "
                f"{FLAT_SHARE:.0%} of collecting)",
                f"{limits[0]:,} -> {limits[-1]:,} records: streaming peak {stream:+.1f} MiB, "
                f"collecting {collect:+.1f} MiB",
                _yes(stream <= max(FLAT_SHARE * collect, FLAT_MIB)),
            ]
        )
    return _table(["Target", "Measured", "Met"], rows)


# -- sections -------------------------------------------------------------------------------


def _walk_section(results: Results, groups: Sequence[_Group]) -> list[str]:
    rtt = results.loopback_rtt
    size = results.profile.page_size
    rows: list[list[str]] = []
    for group in sorted(groups, key=lambda g: (g.latency, g.client != OURS)):
        if group.page_size != size:
            continue
        runs = group.runs
        spread = (
            f" ({min(r.elapsed for r in runs):.2f}-{max(r.elapsed for r in runs):.2f})"
            if len(runs) > 1
            else ""
        )
        rows.append(
            [
                _ms(group.latency),
                group.client,
                str(len(runs)),
                f"{runs[0].ideal(rtt):.2f}",
                f"{group.elapsed:.2f}{spread}",
                f"**{group.ratio(rtt):.3f}**",
                f"{_median(runs, lambda r: r.tight_ratio(rtt)):.3f}",
                f"{_median(runs, lambda r: r.rate):.2f}",
                f"{_median(runs, lambda r: r.steady_rate):.2f}",
                str(max(r.max_in_window for r in runs)),
                str(group.rejected),
                f"{group.exact}/{len(runs)}",
            ]
        )
    pages = results.walks[0].pages if results.walks else 0
    return [
        f"## 1-2. Walk time vs ideal, and rejections ({results.profile.invitees} invitees = "
        f"{pages} pages of {size})",
        "",
        f"Sandbox: strict sliding window of {RATE} requests per 1 s per key, every arrival "
        "counted. This client: default `RateLimit()` (its margin starts at 65 ms, one send "
        f"every {RateLimit().interval:.3f} s, and follows the link: down to 15 ms, one send "
        "every 0.203 s, on a quiet one) and `max_concurrency=8`. Baseline: the API docs' "
        "sample style (sequential pages, fixed 0.2 s sleep between requests, no retry). "
        "Ideal = RTT + (pages - 1)/5 s + RTT, with "
        f"RTT = injected latency + loopback round trip ({rtt * 1000:.1f} ms measured in this "
        "run). Ratio = ideal / measured, median of the runs (1.0 is perfect). *Tight* uses the "
        "exact even-spacing bound max(RTT, 0.2) + (pages - 2)/5 + RTT: the issue's ideal is "
        "0.2 s generous once RTT >= 0.2 s, so ratios slightly above 1 there are expected. "
        "*req/s (walk)*: requests / walk time (N requests over N - 1 gaps, so it can top 5 "
        "at low latency); *req/s (steady)*: arrivals 2..N as the sandbox saw them, the rate "
        "actually drawn from the allowance; *max in 1 s*: most arrivals in any sliding second "
        "(5 = the whole allowance, never more).",
        "",
        *_table(
            [
                "Latency",
                "Client",
                "Runs",
                "Ideal s",
                "Time s (min-max)",
                "Ideal/measured",
                "Tight",
                "req/s (walk)",
                "req/s (steady)",
                "Max in 1 s",
                "Rejected",
                "Records exact",
            ],
            rows,
        ),
    ]


def _page_size_section(results: Results, groups: Sequence[_Group]) -> list[str]:
    size = results.profile.page_size
    rows: list[list[str]] = []
    for group in sorted(groups, key=lambda g: g.latency):
        if group.client != OURS or group.page_size == size:
            continue
        small = _find(groups, OURS, group.latency, size)
        if small is None:
            continue
        req_small = statistics.median(r.requests for r in small.runs)
        req_big = statistics.median(r.requests for r in group.runs)
        rows.append(
            [
                _ms(group.latency),
                f"{req_small:.0f}",
                f"{req_big:.0f}",
                f"{req_small - req_big:.0f} ({1 - req_big / req_small:.0%})",
                f"{small.elapsed:.2f}",
                f"{group.elapsed:.2f}",
                f"{group.rejected}",
                f"{group.exact}/{len(group.runs)}",
            ]
        )
    invitees = results.profile.invitees
    big = 1000
    return [
        f"## 3. Requests saved by the default page size ({big} vs {size}), {invitees} invitees",
        "",
        "Same population, this client, default `page_size` (1000) vs an explicit 100; medians.",
        "",
        *_table(
            [
                "Latency",
                f"Requests @{size}",
                f"Requests @{big}",
                "Saved",
                f"Time s @{size}",
                f"Time s @{big}",
                f"Rejected @{big}",
                "Records exact",
            ],
            rows,
        ),
        "",
        f"At 250,000 invitees: {250_000 // big} vs {250_000 // size} requests, i.e. "
        f"{250_000 // big / RATE:.0f} s vs {250_000 // size / RATE:.0f} s of the 5 requests/s "
        "allowance.",
    ]


def _decode_section(results: Results) -> list[str]:
    if not results.decode:
        return []
    plain = results.decode[0]
    rows = [
        [
            d.name,
            f"{d.per_second / 1000:,.0f}k",
            f"{d.best_per_second / 1000:,.0f}k",
            f"{d.micros_per_record:.2f}",
            f"{d.cpu_seconds / plain.cpu_seconds:.1f}x",
        ]
        for d in results.decode
    ]
    prof = results.profile
    return [
        "## 4. Decode cost (one core)",
        "",
        f"{prof.decode_pages} sandbox-rendered pages of 1000 records (compact JSON bytes), "
        f"CPU time (`time.process_time`) of {prof.decode_repeats} interleaved runs: median "
        "(the headline) and best (the machine at its quietest). Cyclic GC on, as in a real walk.",
        "",
        *_table(
            ["Path", "Records/s/core (median)", "Best run", "us/record", "CPU vs json.loads"],
            rows,
        ),
    ]


def _memory_section(results: Results) -> list[str]:
    memory = results.memory
    if memory is None:
        return []
    pages = math.ceil(memory.population / 1000)
    rows = [
        [
            run.mode,
            f"{run.records:,}",
            f"{run.maxrss_kib / 1024:.1f}",
            f"{memory.delta_mib(run):+.1f}" if run.mode != "idle" else "-",
            f"{run.elapsed:.1f}",
            "yes" if run.exact else "**NO**",
        ]
        for run in memory.runs
    ]
    return [
        f"## 5. Peak memory: streaming vs collecting ({memory.population:,} invitees)",
        "",
        "Each row is a fresh client process (its own peak RSS, `VmHWM`); the sandbox runs in "
        "another process, so its population is not counted. *idle*: imports, one client, one "
        "1-record page. Pages of 1000 (the default). For this section only, both sides use "
        "1000 requests/s (`SandboxConfig(rate_limit=1000)`, `RateLimit(requests=1000)`): "
        f"{pages} pages at 5/s would take {pages / RATE:.0f} s. "
        f"Sandbox rejections: {memory.server_rejected}.",
        "",
        *_table(
            ["Mode", "Records", "Peak RSS MiB", "Over idle MiB", "Time s", "Records exact"],
            rows,
        ),
    ]


def _ttfr_section(results: Results, groups: Sequence[_Group]) -> list[str]:
    rtt = results.loopback_rtt
    size = results.profile.page_size
    rows: list[list[str]] = []
    for latency in results.profile.latencies:
        cells = [_ms(latency), _ms(latency + rtt)]
        for client, page_size in ((OURS, size), (OURS, 1000), ("baseline", size)):
            group = _find(groups, client, latency, page_size)
            cells.append(
                "-" if group is None else _ms(_median(group.runs, lambda r: r.first_record))
            )
        rows.append(cells)
    return [
        "## 6. Time to first record",
        "",
        "From entering `async for` to the first record (medians), vs one round trip.",
        "",
        *_table(
            [
                "Latency",
                "One round trip",
                f"asset_client @{size}",
                "asset_client @1000",
                f"baseline @{size}",
            ],
            rows,
        ),
    ]


def render(results: Results, command: str) -> str:
    groups = _groups(results.walks)
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    header = [
        "# asset_client benchmarks",
        "",
        f"- Date: {now}; run took {results.seconds:.0f} s (`{command}`, "
        f"{results.profile.name} profile)",
        f"- Python {platform.python_version()} ({platform.python_implementation()}), "
        f"{platform.platform()}, {os.cpu_count()} CPUs",
        "- Loopback against the embedded sandbox (`asset_client.sandbox`), latency injected "
        "by the sandbox before each answer (`FaultConfig(latency=...)`); fresh sandbox and "
        "port per walk.",
        "",
        "## Status against the targets",
        "",
        *_status(results, groups),
    ]
    problems = failures(results)
    if problems:
        header += ["", "**This run FAILED:**", *[f"- {p}" for p in problems]]
    sections = [
        header,
        _walk_section(results, groups),
        _page_size_section(results, groups),
        _decode_section(results),
        _memory_section(results),
        _ttfr_section(results, groups),
    ]
    return "\n\n".join("\n".join(s) for s in sections if s) + "\n"
