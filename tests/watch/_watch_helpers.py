"""What the watch tests share: a real HTTP receiver on 127.0.0.1 (aiohttp.web) that
apprise's ``json://`` reaches, the extras check, and a small sandbox target."""

from __future__ import annotations

import importlib
import json
import os
import re
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import ModuleType
from typing import Any

import pytest
from aiohttp import web

from asset_client.limit.limiter import RateLimit
from asset_client.watch import Target

ID = re.compile(r"\(event ([0-9a-f]{24})\)")


def need(module: str) -> ModuleType:
    """The extra's module; under CI=true a missing one fails the test, else skips it."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        return importlib.import_module(module)
    found: ModuleType = pytest.importorskip(module)
    return found


def small_target(invitees: int = 300) -> Target:
    """A sandbox that changes every cycle (a simulated day per complete snapshot)."""
    return Target(
        base_url="http://127.0.0.1",
        sandbox=True,
        rate=RateLimit(requests=1000, period=1),
        limiter="process",
        sandbox_invitees=invitees,
    )


class Receiver:
    """Collects the JSON bodies apprise posts; answers 500 while ``failing`` > 0."""

    def __init__(self, failing: int = 0) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.failing = failing
        self.refused = 0
        self.port = 0

    async def handle(self, request: web.Request) -> web.Response:
        if self.failing > 0:
            self.failing -= 1
            self.refused += 1
            return web.Response(status=500)
        self.bodies.append(json.loads(await request.text()))
        return web.Response(text="ok")

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/hook"

    def ids(self) -> Counter[str]:
        """How often each event id arrived (text messages carry it in words)."""
        found: Counter[str] = Counter()
        for body in self.bodies:
            message = body.get("message", "")
            match = ID.search(message)
            found[match.group(1) if match else json.loads(message)["id"]] += 1
        return found


@asynccontextmanager
async def receiving(receiver: Receiver) -> AsyncIterator[Receiver]:
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    receiver.port = runner.addresses[0][1]
    try:
        yield receiver
    finally:
        await runner.cleanup()
