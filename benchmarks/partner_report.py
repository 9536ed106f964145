"""The joined report's wall time vs its three walks run one after another, and vs the ideal.

``python -m benchmarks.partner_report [--quick]`` prints a markdown section (progress on
stderr).  Each measurement gets a fresh sandbox (fresh port, so fresh limiters) with the
production limit (5 requests per 1 s per key *per endpoint*, every arrival counted) and
latency injected before every answer; the client uses its default ``RateLimit()``.

- assets, invitees, volume: each walk alone (``page_size=100``);
- sequential: their sum — what a client with one shared budget, or one walk after the
  other, would take;
- ideal: the slowest walk alone — the best three concurrent walks can do;
- report: ``run_report`` (the three walks at once, each on its own budget).

Exit status 1 if any request was rejected by the sandbox's window.  No timing assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asset_client import AssetClient, RateLimit
from asset_client.core.signing import ASSETS_PATH, INVITEES_PATH, VOLUME_PATH
from asset_client.export.report_run import ReportSettings, run_report
from asset_client.export.run import Credentials
from asset_client.sandbox import FaultConfig, SandboxConfig, run_sandbox

PAGE_SIZE = 100


@dataclass(frozen=True)
class Profile:
    invitees: int
    latency: float


FULL = Profile(invitees=3000, latency=0.1)
QUICK = Profile(invitees=800, latency=0.05)


@dataclass(frozen=True)
class Measured:
    name: str
    seconds: float
    requests: int
    records: int
    rejected: int
    max_per_path: int  #: most arrivals at one endpoint in any sliding second


def _config(profile: Profile, now: datetime) -> SandboxConfig:
    return SandboxConfig(
        invitees=profile.invitees,
        rate_limit=5,
        window=1.0,
        faults=FaultConfig(latency=profile.latency),
        partner_now=lambda: now,
    )


async def _walk_alone(name: str, profile: Profile, now: datetime) -> Measured:
    async with run_sandbox(_config(profile, now)) as sandbox:
        async with AssetClient(
            sandbox.api_key, sandbox.secret_key, base_url=sandbox.base_url
        ) as client:
            started = time.monotonic()
            records = 0
            if name == "assets":
                async for _ in client.iter_invitee_assets(page_size=PAGE_SIZE):
                    records += 1
            elif name == "invitees":
                async for _ in client.iter_invitees(page_size=PAGE_SIZE):
                    records += 1
            else:
                today = now.date()
                async for _ in client.iter_trading_volume(
                    start_date=today - timedelta(days=30), end_date=today, page_size=PAGE_SIZE
                ):
                    records += 1
            seconds = time.monotonic() - started
        stats = sandbox.stats
        return Measured(
            name,
            seconds,
            len(stats.requests),
            records,
            stats.rejected,
            max(stats.max_in_window(path=p) for p in (ASSETS_PATH, INVITEES_PATH, VOLUME_PATH)),
        )


async def _report(profile: Profile, now: datetime) -> Measured:
    async with run_sandbox(_config(profile, now)) as sandbox:
        with tempfile.TemporaryDirectory() as folder:
            started = time.monotonic()
            result = await run_report(
                ReportSettings(
                    out=Path(folder) / "report.csv",
                    base_url=sandbox.base_url,
                    server_timezone=UTC,
                    page_size=PAGE_SIZE,
                ),
                Credentials(api_key=sandbox.api_key, secret_key=sandbox.secret_key),
                stderr=io.StringIO(),
                now=now.replace(tzinfo=UTC),
            )
            seconds = time.monotonic() - started
        stats = sandbox.stats
        return Measured(
            "report",
            seconds,
            len(stats.requests),
            result.rows,
            stats.rejected,
            max(stats.max_in_window(path=p) for p in (ASSETS_PATH, INVITEES_PATH, VOLUME_PATH)),
        )


async def measure(profile: Profile) -> list[Measured]:
    # Whole seconds: the sandbox renders registration times without fractions.
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    runs = []
    for name in ("assets", "invitees", "volume"):
        print(f"walking {name} alone...", file=sys.stderr)
        runs.append(await _walk_alone(name, profile, now))
    print("running the report...", file=sys.stderr)
    runs.append(await _report(profile, now))
    return runs


def render(runs: list[Measured], profile: Profile, command: str) -> str:
    walks, report = runs[:3], runs[3]
    sequential = sum(w.seconds for w in walks)
    ideal = max(w.seconds for w in walks)
    lines = [
        "## Joined report: concurrent walks vs sequential vs ideal",
        "",
        f"- `{command}`, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python "
        f"{platform.python_version()}, {platform.platform()}",
        f"- {profile.invitees} invitees, `page_size={PAGE_SIZE}`, "
        f"{profile.latency * 1000:.0f} ms latency injected per answer; sandbox limit 5 per 1 s "
        "per key and endpoint, every arrival counted; client `RateLimit()` (one send every "
        f"{RateLimit().interval:.3f} s per endpoint, each on its own lane of the key's budget).",
        "",
        "| Run | Time s | Requests | Records/rows | Rejected | Max in 1 s (one endpoint) |",
        "|---|---|---|---|---|---|",
    ]
    for run in runs:
        lines.append(
            f"| {run.name} | {run.seconds:.2f} | {run.requests} | {run.records} | "
            f"{run.rejected} | {run.max_per_path} |"
        )
    lines += [
        "",
        f"- Sequential sum of the three walks: **{sequential:.2f} s**; ideal (slowest walk "
        f"alone): **{ideal:.2f} s**; report: **{report.seconds:.2f} s**.",
        f"- report / ideal = **{report.seconds / ideal:.3f}** (1.0 is perfect); "
        f"report / sequential = **{report.seconds / sequential:.3f}** "
        f"(sequential would take {sequential / report.seconds:.2f}x as long).",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.partner_report")
    parser.add_argument("--quick", action="store_true", help="a smaller run")
    args = parser.parse_args(argv)
    # The default limiter shares a key's budget with every process of this user here;
    # the run gets a budget of its own so nothing else on the machine skews it.
    os.environ["ASSET_CLIENT_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="asset-client-bench-")
    profile = QUICK if args.quick else FULL
    command = "python -m benchmarks.partner_report" + (" --quick" if args.quick else "")
    runs = asyncio.run(measure(profile))
    print(render(runs, profile, command))
    rejected = sum(r.rejected for r in runs)
    if rejected:
        print(f"FAIL: {rejected} requests rejected by the window", file=sys.stderr)
    return 1 if rejected else 0


if __name__ == "__main__":
    sys.exit(main())
