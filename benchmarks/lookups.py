"""``python -m benchmarks.lookups``: 30 concurrent lookups, identical and distinct, with the
shared lookups off (before) and on (after): requests sent and time until the last answer.

Production limits on both sides (5 requests per 1 s sliding window) and 50 ms of injected
latency, on loopback against the sandbox.  Prints a markdown section for RESULTS.md.
Numbers are measured in this run and printed, never asserted.
"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid

from attrs import frozen

from asset_client import AssetClient
from asset_client.sandbox import FaultConfig, SandboxConfig, run_sandbox

__all__ = ["Row", "main", "render", "run"]

CALLERS = 30
LATENCY = 0.05


@frozen
class Row:
    case: str  #: "identical" or "distinct"
    sharing: bool
    requests: int  #: arrivals at the sandbox
    seconds: float  #: from the first call to the last answer
    rejected: int  #: refused by the sandbox's window (must stay 0)
    max_per_second: int  #: most arrivals in any sliding second (must stay <= 5)


async def _one(case: str, sharing: bool) -> Row:
    key = f"bench-lookups-{uuid.uuid4().hex[:8]}"  # a budget of its own
    config = SandboxConfig(invitees=200, api_key=key, faults=FaultConfig(latency=LATENCY), seed=11)
    async with (
        run_sandbox(config) as sb,
        AssetClient(key, sb.secret_key, base_url=sb.base_url, limiter="process") as client,
    ):
        client.lookups.enabled = sharing
        uids = [int(str(r["uid"])) for r in sb.expected("usdt")][:CALLERS]
        asked = [uids[0]] * CALLERS if case == "identical" else uids
        started = time.perf_counter()
        answers = await asyncio.gather(*(client.get_invitee_asset(u) for u in asked))
        seconds = time.perf_counter() - started
        assert [a.uid for a in answers if a is not None] == asked
        return Row(
            case,
            sharing,
            len(sb.stats.requests),
            seconds,
            sb.stats.rejected,
            sb.stats.max_in_window(),
        )


async def run() -> list[Row]:
    rows = []
    for case in ("identical", "distinct"):
        for sharing in (False, True):
            row = await _one(case, sharing)
            print(row, file=sys.stderr, flush=True)
            rows.append(row)
    return rows


def render(rows: list[Row]) -> str:
    lines = [
        "## Shared lookups (`benchmarks/lookups.py`)",
        "",
        f"{CALLERS} concurrent `get_invitee_asset(uid)` calls, production limits on both sides "
        f"(5 per 1 s), {LATENCY * 1000:.0f} ms injected latency; before = sharing off "
        "(`client.lookups.enabled = False`), after = on (the default).",
        "",
        "| lookups | sharing | requests sent | time to last answer | rejected | max/1 s |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {CALLERS} {row.case} | {'on (after)' if row.sharing else 'off (before)'} | "
            f"{row.requests} | {row.seconds:.2f} s | {row.rejected} | {row.max_per_second} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    rows = asyncio.run(run())
    print(render(rows))
    return 1 if any(r.rejected or r.max_per_second > 5 for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
