"""What the partner-dataset export tests share: a fast sandbox with a frozen server
"now", settings for one export, and one export run with its stderr."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from asset_client.export.rows import OutputFormat
from asset_client.export.run import (
    Credentials,
    ExportResult,
    ExportSettings,
    ExportState,
    run_export,
)
from asset_client.limit.limiter import RateLimit
from asset_client.sandbox import Sandbox, SandboxConfig, run_sandbox
from tests.conftest import SECRET

NOW = datetime(2026, 6, 15, 12, 0, 0)
FAST = RateLimit(requests=50, period=0.1, margin=0.0025)


@asynccontextmanager
async def partner_sandbox(api_key: str, *, invitees: int, seed: int) -> AsyncIterator[Sandbox]:
    """A sandbox at 50 requests per 0.1 s whose server time stands still at `NOW`."""
    config = SandboxConfig(
        invitees=invitees,
        seed=seed,
        api_key=api_key,
        secret_key=SECRET,
        rate_limit=50,
        window=0.1,
        partner_now=lambda: NOW,
    )
    async with run_sandbox(config) as sb:
        yield sb


def export_settings(sb: Sandbox, out: Path | None, **overrides: object) -> ExportSettings:
    """One CSV export of the invitee list (unless overridden) from ``sb``, in pages of 50."""
    values: dict[str, object] = {
        "dataset": "invitees",
        "out": out,
        "fmt": OutputFormat.CSV,
        "base_url": sb.base_url,
        "server_timezone": UTC,
        "rate": FAST,
        "page_size": 50,
    }
    values.update(overrides)
    return ExportSettings(**values)  # type: ignore[arg-type]


async def run(
    sb: Sandbox, settings: ExportSettings, state: ExportState | None = None
) -> tuple[ExportResult, str]:
    """Run the export; its result and what it wrote to stderr."""
    err = io.StringIO()
    result = await run_export(
        settings,
        Credentials(api_key=sb.api_key, secret_key=SECRET),
        stdout=io.BytesIO(),
        stderr=err,
        state=state or ExportState(),
        now=NOW.replace(tzinfo=UTC),
    )
    return result, err.getvalue()
