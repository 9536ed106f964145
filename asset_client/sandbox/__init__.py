"""An embedded, strict local stand-in for CoinW's "Get Direct Invitee User Asset" API.

Start one with ``async with run_sandbox(SandboxConfig(...)) as sandbox:`` and point a client
at ``sandbox.base_url`` with ``sandbox.api_key``/``sandbox.secret_key``.  See ``_server`` for
what it models and what it cannot know about the real server.
"""

from asset_client.sandbox._faults import Fault, FaultConfig
from asset_client.sandbox._network import SetupDelayResolver, setup_delay_session
from asset_client.sandbox._server import (
    DEMO_API_KEY,
    DEMO_SECRET_KEY,
    RequestRecord,
    Sandbox,
    SandboxConfig,
    SandboxStats,
    run_sandbox,
)

__all__ = [
    "DEMO_API_KEY",
    "DEMO_SECRET_KEY",
    "Fault",
    "FaultConfig",
    "RequestRecord",
    "Sandbox",
    "SandboxConfig",
    "SandboxStats",
    "SetupDelayResolver",
    "run_sandbox",
    "setup_delay_session",
]
