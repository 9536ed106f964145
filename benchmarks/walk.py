"""Walks over a fixed population against the sandbox's strict window, at injected latencies.

Every walk gets a fresh sandbox (fresh port, so the client's per-(host:port, key) limiter
starts fresh too) with the production limit, ``SandboxConfig(rate_limit=5, window=1.0)``,
and the client's default `RateLimit()`.  What the sandbox saw (arrival times, rejections)
and what the walk yielded (checked against ``sandbox.expected()``) are both recorded.
"""

from __future__ import annotations

import itertools
import math
import statistics
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from asset_client import DEFAULT_PAGE_SIZE, AssetClient, InviteeAsset, RateLimit
from asset_client.sandbox import FaultConfig, Sandbox, SandboxConfig, run_sandbox
from benchmarks.baseline import DocsStyleClient

__all__ = ["RecordCheck", "WalkRun", "check_records", "measure_rtt", "walk_baseline", "walk_ours"]

RATE = 5  #: CoinW's limit for this endpoint: 5 requests per second
Key = tuple[int, Decimal, Decimal, Decimal]


def _amount(value: object) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


def raw_key(record: Mapping[str, Any]) -> Key:
    """What a record must carry, from the server's JSON."""
    return (
        int(record["uid"]),
        _amount(record["totalDeposit"]),
        _amount(record["totalWithdrawal"]),
        _amount(record["currentBalance"]),
    )


def asset_key(asset: InviteeAsset) -> Key:
    return (asset.uid, asset.total_deposit, asset.total_withdrawal, asset.current_balance)


@dataclass(frozen=True)
class RecordCheck:
    """A walk's records against the sandbox's ground truth."""

    expected: int
    received: int
    missing: int  #: expected uids never received
    duplicated: int  #: records received more than once
    exact: bool  #: same records, same values, same order

    @property
    def problem(self) -> str:
        if self.exact:
            return ""
        if self.missing or self.duplicated:
            return f"{self.missing} missing, {self.duplicated} duplicated"
        return "order or values differ"


def check_records(received: Sequence[Key], expected: Sequence[Key]) -> RecordCheck:
    got_uids = [k[0] for k in received]
    want_uids = {k[0] for k in expected}
    return RecordCheck(
        expected=len(expected),
        received=len(received),
        missing=len(want_uids - set(got_uids)),
        duplicated=len(got_uids) - len(set(got_uids)),
        exact=list(received) == list(expected),
    )


@dataclass(frozen=True)
class WalkRun:
    """One walk over the whole population."""

    client: str  #: "asset_client" or "baseline"
    latency: float  #: injected one-way delay before each answer, seconds
    page_size: int
    pages: int  #: pages the population needs at this size
    elapsed: float  #: seconds from entering ``async for`` to the end of the walk
    first_record: float  #: seconds from entering ``async for`` to the first record
    requests: int  #: requests the sandbox received
    rejected: int  #: requests the sandbox's strict window rejected
    max_in_window: int  #: most requests in any sliding 1 s, as the sandbox saw them
    steady_rate: float  #: requests/s between the 2nd and the last arrival
    check: RecordCheck
    client_rejections: int = 0  #: rejections the client itself counted (ours: stats)

    def ideal(self, loopback_rtt: float) -> float:
        """The issue's ideal: one round trip + (pages - 1) / 5 s + one round trip.

        A round trip is the injected latency plus ``loopback_rtt`` (one signed, decoded
        page on this machine with no latency injected).
        """
        rtt = self.latency + loopback_rtt
        return 2 * rtt + (self.pages - 1) / RATE

    def tight_ideal(self, loopback_rtt: float) -> float:
        """Sends evenly spaced at exactly 5/s: page 2 goes as soon as page 1 is back (but
        not sooner than 0.2 s after it was sent), the last one (pages - 2) / 5 s later."""
        rtt = self.latency + loopback_rtt
        if self.pages == 1:
            return rtt
        return max(rtt, 1 / RATE) + (self.pages - 2) / RATE + rtt

    def ratio(self, loopback_rtt: float) -> float:
        """ideal / measured: 1.0 is perfect (the issue's ideal is 0.2 s generous when
        latency >= 200 ms, so a client at the limit scores slightly above 1 there)."""
        return self.ideal(loopback_rtt) / self.elapsed

    def tight_ratio(self, loopback_rtt: float) -> float:
        return self.tight_ideal(loopback_rtt) / self.elapsed

    @property
    def rate(self) -> float:
        """Requests per second over the whole walk."""
        return self.requests / self.elapsed


_walk_keys = itertools.count(1)


def _config(invitees: int, latency: float) -> SandboxConfig:
    # A key per walk, as a fresh account: one key is one budget in the process, so walks
    # back to back on one key would each start by waiting out the last one's interval.
    return SandboxConfig(
        invitees=invitees,
        rate_limit=RATE,
        window=1.0,
        faults=FaultConfig(latency=latency),
        api_key=f"bench-walk-{next(_walk_keys)}",
    )


def _steady_rate(sandbox: Sandbox) -> float:
    times = sorted(r.time for r in sandbox.stats.requests)
    if len(times) < 3 or times[-1] <= times[1]:
        return math.nan
    return (len(times) - 2) / (times[-1] - times[1])


async def _timed(records: AsyncIterator[Any]) -> tuple[list[Any], float, float]:
    """Drain ``records``: (records, seconds to the first, seconds to the end)."""
    out: list[Any] = []
    first = math.nan
    started = time.perf_counter()
    async for record in records:
        if not out:
            first = time.perf_counter() - started
        out.append(record)
    return out, first, time.perf_counter() - started


def _run(
    client: str,
    sandbox: Sandbox,
    latency: float,
    page_size: int,
    timed: tuple[list[Key], float, float],
    client_rejections: int,
) -> WalkRun:
    keys, first, elapsed = timed
    expected = [raw_key(r) for r in sandbox.expected()]
    return WalkRun(
        client=client,
        latency=latency,
        page_size=page_size,
        pages=max(1, math.ceil(len(expected) / page_size)),
        elapsed=elapsed,
        first_record=first,
        requests=len(sandbox.stats.requests),
        rejected=sandbox.stats.rejected,
        max_in_window=sandbox.stats.max_in_window(sandbox.api_key),
        steady_rate=_steady_rate(sandbox),
        check=check_records(keys, expected),
        client_rejections=client_rejections,
    )


async def walk_ours(invitees: int, latency: float, page_size: int | None) -> WalkRun:
    """asset_client with its defaults; ``page_size=None`` is the client's default (1000)."""
    async with (
        run_sandbox(_config(invitees, latency)) as sandbox,
        AssetClient(sandbox.api_key, sandbox.secret_key, base_url=sandbox.base_url) as client,
    ):
        assets, first, elapsed = await _timed(client.iter_invitee_assets(page_size=page_size))
        size = page_size or DEFAULT_PAGE_SIZE
        return _run(
            "asset_client",
            sandbox,
            latency,
            size,
            ([asset_key(a) for a in assets], first, elapsed),
            client.stats.rate_limit_waits,
        )


async def walk_baseline(invitees: int, latency: float, page_size: int) -> WalkRun:
    """The docs-style client (sequential, fixed 0.2 s sleep)."""
    async with run_sandbox(_config(invitees, latency)) as sandbox:
        client = DocsStyleClient(sandbox.base_url, sandbox.api_key, sandbox.secret_key)
        records, first, elapsed = await _timed(client.iter_assets(page_size=page_size))
        return _run(
            "baseline",
            sandbox,
            latency,
            page_size,
            ([raw_key(r) for r in records], first, elapsed),
            len(client.errors),
        )


async def measure_rtt(page_size: int = 100, samples: int = 15) -> float:
    """Median seconds for one signed, decoded page on this loopback with no injected latency.

    A fast limit on both sides (this is a latency probe, not a walk), own sandbox and key
    (one key has one rate per process, whatever server it talks to).
    """
    config = SandboxConfig(
        invitees=page_size, rate_limit=10_000, window=1.0, api_key="rtt-probe-key"
    )
    async with (
        run_sandbox(config) as sandbox,
        AssetClient(
            sandbox.api_key,
            sandbox.secret_key,
            base_url=sandbox.base_url,
            rate_limit=RateLimit(requests=10_000, period=1.0),
        ) as client,
    ):
        await client.get_invitee_assets_page(page_size=page_size)  # connect, warm up
        times: list[float] = []
        for _ in range(samples):
            started = time.perf_counter()
            await client.get_invitee_assets_page(page_size=page_size)
            times.append(time.perf_counter() - started)
        return statistics.median(times)
