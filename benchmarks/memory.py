"""Peak memory: streaming records with ``async for`` vs collecting them in a list.

Every measurement is a fresh child process (peak RSS only ever grows), reading its own
peak RSS (`peak_rss_kib`).  The sandbox runs in a process of its own,
so the children's RSS is the client's alone (the sandbox's 250k-invitee population would
otherwise dwarf it); an ``idle`` child (imports, one client, one 1-record page) gives the
floor that is subtracted.

A walk of 250 pages at 5 requests/s takes 50 s, so here only, both sides use a fast limit:
``SandboxConfig(rate_limit=1000)`` and ``RateLimit(requests=1000, period=1.0)``.

Children are started as ``python -m benchmarks.memory serve|client ...``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import resource
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asset_client import AssetClient, InviteeAsset, RateLimit
from asset_client.sandbox import Sandbox, SandboxConfig, run_sandbox

__all__ = ["MemoryResult", "MemoryRun", "run_memory"]

FAST_RATE = 1000  #: requests/s on both sides, for this benchmark only
SEED = 11
_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class MemoryRun:
    """One child process."""

    mode: str  #: "idle", "stream" or "collect"
    limit: int  #: records asked for
    records: int  #: records received
    digest: str  #: sha256 of the received uids, in order
    maxrss_kib: int
    elapsed: float
    rejections: int  #: server rejections the client counted
    expected_digest: str = ""

    @property
    def exact(self) -> bool:
        return self.mode == "idle" or (
            self.records == self.limit and self.digest == self.expected_digest
        )


@dataclass(frozen=True)
class MemoryResult:
    population: int
    runs: list[MemoryRun]
    server_requests: int
    server_rejected: int

    @property
    def idle(self) -> MemoryRun:
        return next(r for r in self.runs if r.mode == "idle")

    def delta_mib(self, run: MemoryRun) -> float:
        return (run.maxrss_kib - self.idle.maxrss_kib) / 1024


def _digest(uids: Iterable[int]) -> str:
    h = hashlib.sha256()
    for uid in uids:
        h.update(uid.to_bytes(8, "big"))
    return h.hexdigest()


def peak_rss_kib() -> int:
    """This process's peak RSS in KiB.

    Linux carries ``ru_maxrss`` over from the parent across fork and exec (the kernel
    keeps the old address space's high-water mark), so a child forked from a big parent
    reports the parent's peak.  ``VmHWM`` in /proc/self/status belongs to this process's
    own address space only; ``ru_maxrss`` is the fallback elsewhere.
    """
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


# -- children -------------------------------------------------------------------------------


async def _serve(invitees: int) -> None:
    config = SandboxConfig(invitees=invitees, seed=SEED, rate_limit=FAST_RATE, window=1.0)
    async with run_sandbox(config) as sandbox:
        print(json.dumps({"base_url": sandbox.base_url}), flush=True)
        await asyncio.to_thread(sys.stdin.read)  # serve until the parent closes stdin
        stats = sandbox.stats
        print(json.dumps({"requests": len(stats.requests), "rejected": stats.rejected}))


async def _client(base_url: str, mode: str, limit: int) -> dict[str, Any]:
    started = time.perf_counter()
    records = 0
    digest = ""
    async with AssetClient(
        SandboxConfig().api_key,
        SandboxConfig().secret_key,
        base_url=base_url,
        rate_limit=RateLimit(requests=FAST_RATE, period=1.0),
    ) as client:
        if mode == "idle":
            await client.get_invitee_assets_page(page_size=1)
        elif mode == "stream":
            h = hashlib.sha256()
            async with contextlib.aclosing(client.iter_invitee_assets()) as assets:
                async for asset in assets:
                    h.update(asset.uid.to_bytes(8, "big"))
                    records += 1
                    if records == limit:
                        break
            digest = h.hexdigest()
        elif mode == "collect":
            collected: list[InviteeAsset] = []
            async with contextlib.aclosing(client.iter_invitee_assets()) as assets:
                async for asset in assets:
                    collected.append(asset)
                    if len(collected) == limit:
                        break
            records = len(collected)
            digest = _digest(a.uid for a in collected)
        else:
            raise ValueError(f"unknown mode {mode!r}")
        rejections = client.stats.rate_limit_waits
    return {
        "mode": mode,
        "limit": limit,
        "records": records,
        "digest": digest,
        "maxrss_kib": peak_rss_kib(),
        "elapsed": time.perf_counter() - started,
        "rejections": rejections,
    }


def _child_main(argv: Sequence[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.memory")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve")
    serve.add_argument("--invitees", type=int, required=True)
    client = sub.add_parser("client")
    client.add_argument("--base-url", required=True)
    client.add_argument("--mode", choices=("idle", "stream", "collect"), required=True)
    client.add_argument("--limit", type=int, required=True)
    args = parser.parse_args(argv)
    if args.command == "serve":
        asyncio.run(_serve(args.invitees))
    else:
        print(json.dumps(asyncio.run(_client(args.base_url, args.mode, args.limit))))


# -- parent ---------------------------------------------------------------------------------


def _child(*args: str) -> list[str]:
    return [sys.executable, "-m", "benchmarks.memory", *args]


def run_memory(population: int, limits: Sequence[int]) -> MemoryResult:
    """An idle child, then a streaming and a collecting child for each limit."""
    uids = Sandbox(SandboxConfig(seed=SEED, invitees=population)).data.population("usdt").uids()
    server = subprocess.Popen(
        _child("serve", "--invitees", str(population)),
        cwd=_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdin is not None and server.stdout is not None
    try:
        base_url = json.loads(server.stdout.readline())["base_url"]
        runs: list[MemoryRun] = []
        plan = [("idle", 1)] + [(mode, n) for n in limits for mode in ("stream", "collect")]
        for mode, limit in plan:
            out = subprocess.run(
                _child("client", "--base-url", base_url, "--mode", mode, "--limit", str(limit)),
                cwd=_ROOT,
                capture_output=True,
                text=True,
                check=True,
                timeout=600,
            )
            fields = json.loads(out.stdout.strip().splitlines()[-1])
            runs.append(MemoryRun(**fields, expected_digest=_digest(uids[:limit])))
        server.stdin.close()
        stats = json.loads(server.stdout.read().strip().splitlines()[-1])
        server.wait(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    return MemoryResult(
        population=population,
        runs=runs,
        server_requests=int(stats["requests"]),
        server_rejected=int(stats["rejected"]),
    )


if __name__ == "__main__":
    _child_main(sys.argv[1:])
