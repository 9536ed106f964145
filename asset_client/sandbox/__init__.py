"""An embedded, strict local stand-in for CoinW's partner (affiliate) API: invitee assets,
the invited user list and their daily trading volume, from one seeded population.

Start one with ``async with run_sandbox(SandboxConfig(...)) as sandbox:`` and point a client
at ``sandbox.base_url`` with ``sandbox.api_key``/``sandbox.secret_key``.  The sharp edge: its
demo credentials are public, so it binds loopback unless given a host.  See ``_server`` for
what it models and what it cannot know about the real server.

A leaf of the package: it imports only ``asset_client.core.signing`` from it, so a test
server never depends on the client it tests.
"""

from asset_client.sandbox._config import (
    DEMO_API_KEY,
    DEMO_SECRET_KEY,
    RequestRecord,
    SandboxConfig,
    SandboxStats,
)
from asset_client.sandbox._faults import Fault, FaultConfig
from asset_client.sandbox._network import SetupDelayResolver, setup_delay_session
from asset_client.sandbox._partner import NOT_AN_INVITEE, SpecialUids
from asset_client.sandbox._server import Sandbox, run_sandbox

__all__ = [
    "DEMO_API_KEY",
    "DEMO_SECRET_KEY",
    "NOT_AN_INVITEE",
    "Fault",
    "FaultConfig",
    "RequestRecord",
    "Sandbox",
    "SandboxConfig",
    "SandboxStats",
    "SetupDelayResolver",
    "SpecialUids",
    "run_sandbox",
    "setup_delay_session",
]
