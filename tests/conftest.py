"""Shared fixtures: unique API keys (the limiter is per key, process-wide) and payloads."""

from __future__ import annotations

import itertools
import json
import os
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest

from asset_client.limit import LimiterRegistry, use_registry
from tests import _aioresponses_compat

_aioresponses_compat.install()

# The default limiter shares one budget per key among every process of this user on this
# machine.  The suite (and the processes it starts) gets a runtime directory of its own,
# so test runs in parallel never draw on each other's budget; the tests of sharing
# choose their directories themselves.
os.environ["ASSET_CLIENT_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="asset-client-tests-")
os.environ.pop("ASSET_CLIENT_LIMITER", None)

_key_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def _fresh_limiters(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Each test is a process of its own as far as limiting goes: a runtime directory of
    its own (so the host clock of one test never holds another's sends or pauses) and a
    limiter registry of its own (no per-key limiter, penalty or named backend left over,
    since many tests use the sandbox's one demo key at their own rates).  Tests of
    sharing choose their directories and keys themselves."""
    previous = os.environ.get("ASSET_CLIENT_RUNTIME_DIR")
    os.environ["ASSET_CLIENT_RUNTIME_DIR"] = str(tmp_path_factory.mktemp("runtime"))
    try:
        with use_registry(LimiterRegistry()):
            yield
    finally:
        if previous is not None:
            os.environ["ASSET_CLIENT_RUNTIME_DIR"] = previous


@pytest.fixture
def api_key() -> str:
    # One key per test: a key's limiter is shared within its registry.
    return f"test-key-{next(_key_numbers):06d}"


SECRET = "test-secret-DO-NOT-LEAK-1234567890"


@pytest.fixture
def secret_key() -> str:
    return SECRET


def record(uid: object, **overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "uid": uid,
        "totalDeposit": "15000.00000000",
        "totalWithdrawal": "3000.00000000",
        "currentBalance": "5800.00000000",
        "updateTime": "2026-05-21 10:25:00",
        "firstDepositAmount": "5000.00000000",
        "firstDepositTime": "2026-03-15 09:12:33",
    }
    base.update(overrides)
    return base


def envelope(total: int, items: list[dict[str, Any]], code: Any = "0") -> dict[str, Any]:
    return {"code": code, "msg": "success", "data": {"total": total, "list": items}}


def body(payload: Any) -> bytes:
    return json.dumps(payload).encode()


@pytest.fixture
def no_sleep() -> Iterator[list[float]]:
    """A list that an injected fake sleep appends to; see `fake_sleep`."""
    yield []
