"""A real dlt pipeline into DuckDB against the sandbox: counts and values equal the
sandbox's, decimals exact, a second run loads only what changed with fewer requests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from asset_client import RateLimit
from asset_client.core.signing import INVITEES_PATH
from asset_client.sandbox import SandboxConfig
from tests.extras import require
from tests.sandbox_thread import SandboxThread, sandbox_thread

dlt = require("dlt")
duckdb = require("duckdb")

from asset_client.integrations.dlt import coinw_partner_source  # noqa: E402

FAST = RateLimit(requests=1000, period=1.0, margin=0.0)
#: Two pages of the invitee list at its largest page size (1000).
POPULATION = 1500


@pytest.fixture
def served() -> Iterator[SandboxThread]:
    with sandbox_thread(SandboxConfig(invitees=POPULATION, rate_limit=1000)) as served:
        yield served


@pytest.fixture
def pipeline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, served: SandboxThread) -> Any:
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")  # loopback only
    # Credentials the dlt way (environment), not as arguments.
    monkeypatch.setenv("SOURCES__COINW_PARTNER__API_KEY", served.sandbox.api_key)
    monkeypatch.setenv("SOURCES__COINW_PARTNER__SECRET_KEY", served.sandbox.secret_key)
    return dlt.pipeline(
        pipeline_name="coinw_test",
        pipelines_dir=str(tmp_path / "pipelines"),
        destination=dlt.destinations.duckdb(str(tmp_path / "warehouse.duckdb")),
        dataset_name="coinw",
    )


def _source(served: SandboxThread) -> Any:
    return coinw_partner_source(
        base_url=served.sandbox.base_url,
        client_options={"limiter": "process", "rate_limit": FAST},
    )


def _invitee_requests(served: SandboxThread) -> int:
    return sum(1 for r in served.sandbox.stats.requests if r.path == INVITEES_PATH)


def _query(pipeline: Any, sql: str) -> list[tuple[Any, ...]]:
    with pipeline.sql_client() as client:
        rows: list[tuple[Any, ...]] = client.execute_sql(sql)
    return rows


def _expected_invitees(served: SandboxThread) -> dict[int, datetime]:
    people = served.call(lambda: served.sandbox.partner.by_uid())
    return {uid: inv.register_time.replace(tzinfo=UTC) for uid, inv in people.items()}


def test_pipeline_into_duckdb_then_an_incremental_run(served: SandboxThread, pipeline: Any) -> None:
    pipeline.run(_source(served))
    first_requests = _invitee_requests(served)

    # invitees: every one, registration times equal (as instants)
    expected = _expected_invitees(served)
    rows = _query(pipeline, "SELECT uid, register_time FROM invitees")
    assert {uid: t.astimezone(UTC) for uid, t in rows} == expected

    # invitee assets: values and exact decimals equal the sandbox's strings
    raw = served.call(lambda: served.sandbox.expected("usdt"))
    assets = {
        uid: (dep, wd, bal)
        for uid, dep, wd, bal in _query(
            pipeline,
            "SELECT uid, total_deposit, total_withdrawal, current_balance FROM invitee_assets",
        )
    }
    assert len(assets) == len(raw) == POPULATION
    for record in raw:
        got = assets[int(str(record["uid"]))]
        want = tuple(
            Decimal(str(record[k])) for k in ("totalDeposit", "totalWithdrawal", "currentBalance")
        )
        assert got == want
    types = dict(
        _query(
            pipeline,
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'invitee_assets'",
        )
    )
    assert types["total_deposit"] == "DECIMAL(38,18)"

    # daily volume: the past 30 days of the sandbox, exact
    today = served.sandbox.config.partner_now().date()
    volumes = served.call(
        lambda: served.sandbox.partner.volumes(start=today - timedelta(days=29), end=today)
    )
    want_volume = {(uid, day): Decimal(units).scaleb(-8) for day, uid, units in volumes}
    got_volume = {
        (uid, day): v
        for uid, day, v in _query(pipeline, "SELECT uid, day, volume FROM daily_volume")
    }
    assert volumes and got_volume == want_volume
    assert all(isinstance(day, date) for _, day in got_volume)

    # the sandbox gains invitees; the second run loads only what changed
    new = served.call(lambda: served.sandbox.partner.register(7))
    pipeline.run(_source(served))
    second_requests = _invitee_requests(served) - first_requests
    loaded = pipeline.last_trace.last_normalize_info.row_counts.get("invitees", 0)
    print(
        f"invitee requests: first run {first_requests}, second run {second_requests}; "
        f"invitee rows loaded by the second run: {loaded}"
    )
    assert second_requests < first_requests
    assert len(new) <= loaded < 100  # the 7 new ones plus the overlap window's few

    rows = _query(pipeline, "SELECT uid, register_time FROM invitees")
    assert {uid: t.astimezone(UTC) for uid, t in rows} == _expected_invitees(served)
    assert set(new) <= {uid for uid, _ in rows}
    ((total, distinct),) = _query(pipeline, "SELECT count(*), count(DISTINCT uid) FROM invitees")
    assert total == distinct == POPULATION + len(new)
    ((total, distinct),) = _query(
        pipeline, "SELECT count(*), count(DISTINCT (uid, day)) FROM daily_volume"
    )
    assert total == distinct == len(want_volume)


def test_missing_credentials_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
    monkeypatch.delenv("SOURCES__COINW_PARTNER__API_KEY", raising=False)
    with pytest.raises(Exception, match="api_key"):
        coinw_partner_source(base_url="http://127.0.0.1:9")
