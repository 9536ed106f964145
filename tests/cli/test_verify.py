"""``asset-client verify``: a real process against a sandbox the test starts."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from asset_client.cli.verify import qualification_line
from asset_client.records import Qualification
from asset_client.sandbox import SandboxConfig, run_sandbox
from tests.cli.test_cli_store import FAST, _env, cli
from tests.conftest import SECRET


async def test_verify_answers_each_uid_and_exits_6_when_any_did_not_qualify(
    tmp_path: Path, api_key: str
) -> None:
    config = SandboxConfig(invitees=200, seed=5, api_key=api_key, secret_key=SECRET)
    async with run_sandbox(config) as sb:
        records = {int(str(r["uid"])): r for r in sb.expected("usdt")}
        rich = next(u for u, r in records.items() if Decimal(str(r["totalDeposit"])) >= 100)
        broke = next(u for u, r in records.items() if Decimal(str(r["totalDeposit"])) == 0)
        stranger = max(records) + 1
        volume = sum(Decimal(units).scaleb(-8) for _, units in sb.partner.by_uid()[rich].volumes)
        where = ["--base-url", sb.base_url, "--limiter", "process", *FAST]

        ok = await cli(
            tmp_path, "verify", str(rich), "--min-deposit", "100", *where, env=_env(api_key)
        )
        assert ok.code == 0, ok.stderr
        deposit = Decimal(str(records[rich]["totalDeposit"]))
        assert ok.stdout == f"{rich} qualified: deposit {deposit.normalize():,f} USDT\n"

        args = [str(rich), str(broke), str(stranger), "--min-deposit", "100"]
        args += ["--min-volume", str(volume), "--days", "3650", "--format", "json"]
        mixed = await cli(tmp_path, "verify", *args, *where, env=_env(api_key))
        assert mixed.code == 6, mixed.stderr
        lines = [json.loads(line) for line in mixed.stdout.splitlines()]
        assert [d["uid"] for d in lines] == [rich, broke, stranger]
        assert [d["qualified"] for d in lines] == [True, False, False]
        assert lines[0]["total_deposit"] == str(deposit)
        assert Decimal(lines[0]["volume"]) == volume
        assert lines[0]["registered_at"].startswith(
            sb.partner.by_uid()[rich].register_time.isoformat()
        )
        assert lines[1]["reasons"][0] == "deposit 0 USDT is below 100"
        assert lines[2]["reasons"] == ["not a direct invitee"] and lines[2]["is_invitee"] is False

        before = len(sb.stats.requests)
        bad = await cli(tmp_path, "verify", "1", "--min-deposit", "-1", *where, env=_env(api_key))
        assert bad.code == 2 and "--min-deposit" in bad.stderr
        assert len(sb.stats.requests) == before


def test_a_qualified_line_names_the_volume_with_its_window() -> None:
    from datetime import date

    answer = Qualification(
        uid=10001234,
        is_invitee=True,
        qualified=True,
        registered_at=None,
        total_deposit=Decimal("250.00000000"),
        current_balance=Decimal("10"),
        volume=Decimal("12000.5"),
        volume_start=date(2026, 1, 1),
        volume_end=date(2026, 1, 30),
        reasons=(),
    )
    assert qualification_line(answer) == (
        "10001234 qualified: deposit 250 USDT, volume 12,000.5 over 30 days"
    )
