"""aioresponses 0.7.9 builds responses without the ``stream_writer`` argument that
aiohttp 3.14 made required (pnuckowski/aioresponses#289, no fixed release yet).
Until one ships, give its response class a stand-in writer.  Test-only."""

from __future__ import annotations

import inspect
from types import SimpleNamespace
from typing import Any

import aioresponses.core
from aiohttp import ClientResponse


class _CompatClientResponse(ClientResponse):
    def __init__(self, method: str, url: Any, **kwargs: Any) -> None:
        kwargs.setdefault("stream_writer", SimpleNamespace(output_size=0))
        super().__init__(method, url, **kwargs)


def install() -> None:
    if "stream_writer" in inspect.signature(ClientResponse.__init__).parameters:
        aioresponses.core.ClientResponse = _CompatClientResponse  # type: ignore[attr-defined]
