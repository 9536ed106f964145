"""One small demo history (a few simulated sandbox days) and its dashboard, shared by the
tests of this folder; the charting extra must be there under ``CI=true``."""

from __future__ import annotations

import asyncio
import importlib.util
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from asset_client.dashboard import build_dashboard, sync_demo_history

NOW = datetime(2026, 7, 10, 12, 0, tzinfo=UTC)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def need_extra() -> None:
    missing = [m for m in ("altair", "vl_convert") if importlib.util.find_spec(m) is None]
    if missing:
        message = f"the dashboard extra is missing ({', '.join(missing)})"
        if in_ci():
            pytest.fail(message)  # never skipped in CI
        pytest.skip(message)


@pytest.fixture(scope="session")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("dash") / "h.sqlite"
    asyncio.run(sync_demo_history(db, days=3, invitees=800))
    return db


@pytest.fixture(scope="session")
def page(history: Path) -> str:
    need_extra()
    return build_dashboard(history, zone=UTC, zone_name="UTC", now=NOW)


@pytest.fixture(scope="session")
def page_file(page: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("page") / "dashboard.html"
    path.write_text(page, encoding="utf-8")
    return path
