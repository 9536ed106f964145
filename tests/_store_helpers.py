"""Shared by the history-store tests: fast sandboxes, ground truth, record streams."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from decimal import Decimal

from asset_client import AssetClient, InviteeAsset, RateLimit
from asset_client.sandbox import SandboxConfig, run_sandbox
from asset_client.sandbox._data import SandboxData
from asset_client.store import Series, Snapshot, SnapshotStore
from tests.conftest import SECRET

INVITEES = 1200
SEED = 5
SANDBOX = Series(source="sandbox", quote="usdt")


def config(api_key: str, days: int = 0, invitees: int = INVITEES) -> SandboxConfig:
    return SandboxConfig(
        invitees=invitees,
        seed=SEED,
        days=days,
        api_key=api_key,
        secret_key=SECRET,
        rate_limit=50,
        window=0.1,
    )


async def sync_day(
    store: SnapshotStore, api_key: str, days: int, invitees: int = INVITEES
) -> Snapshot:
    """One sync of the sandbox as it is ``days`` simulated days after its seed."""
    async with (
        run_sandbox(config(api_key, days, invitees)) as sb,
        AssetClient(
            api_key,
            SECRET,
            base_url=sb.base_url,
            rate_limit=RateLimit(requests=50, period=0.1, margin=0.0025),
        ) as client,
    ):
        return await store.sync(client, source="sandbox")


def _time(text: object) -> str | None:
    if text in (None, ""):
        return None
    return datetime.strptime(str(text), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC).isoformat()


def rendered(raw: dict[str, object]) -> dict[str, str | None]:
    """A sandbox record as the export (and the store) writes it: exact strings."""
    amount = raw["firstDepositAmount"]
    return {
        "total_deposit": str(raw["totalDeposit"]),
        "total_withdrawal": str(raw["totalWithdrawal"]),
        "current_balance": str(raw["currentBalance"]),
        "update_time": _time(raw["updateTime"]),
        "first_deposit_amount": None if amount in (None, "") else str(amount),
        "first_deposit_time": _time(raw["firstDepositTime"]),
    }


def truth(days: int, invitees: int = INVITEES) -> dict[int, dict[str, str | None]]:
    """uid -> rendered record of the sandbox's usdt data ``days`` days on."""
    pop = SandboxData(SEED, invitees, days).population("usdt")
    return {int(str(r["uid"])): rendered(r) for r in pop.records()}


def expected_changes(
    before: dict[int, dict[str, str | None]], after: dict[int, dict[str, str | None]]
) -> list[tuple[int, str, dict[str, str | None] | None, dict[str, str | None] | None]]:
    out: list[tuple[int, str, dict[str, str | None] | None, dict[str, str | None] | None]] = []
    for uid in sorted(before.keys() | after.keys()):
        old, new = before.get(uid), after.get(uid)
        if old == new:
            continue
        kind = "new" if old is None else "gone" if new is None else "changed"
        out.append((uid, kind, old, new))
    return out


def asset(uid: int, balance: str = "1.00000000", deposit: str = "1.00000000") -> InviteeAsset:
    return InviteeAsset(
        uid=uid,
        total_deposit=Decimal(deposit),
        total_withdrawal=Decimal("0"),
        current_balance=Decimal(balance),
        update_time=datetime(2026, 5, 1, 8, 0, tzinfo=UTC),
        first_deposit_amount=Decimal(deposit),
        first_deposit_time=datetime(2026, 5, 1, 8, 0, tzinfo=UTC),
    )


async def stream(assets: Iterable[InviteeAsset]) -> AsyncIterator[InviteeAsset]:
    for item in assets:
        yield item
