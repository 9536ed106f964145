"""`SyncAssetClient` against the sandbox over real loopback HTTP: inside a thread that runs
an event loop, from several threads at once, typed errors and the limit unchanged."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from collections.abc import Iterator
from decimal import Decimal

import pytest

from asset_client import (
    AuthenticationError,
    InvalidParameterError,
    InviteeAsset,
    RateLimit,
    SyncAssetClient,
)
from asset_client.endpoints import INVITEES
from asset_client.sandbox import SandboxConfig
from tests.sandbox_thread import SandboxThread, sandbox_thread

FAST = RateLimit(requests=1000, period=1.0, margin=0.0)


@pytest.fixture(scope="module")
def served() -> Iterator[SandboxThread]:
    with sandbox_thread(SandboxConfig(invitees=3000, rate_limit=1000)) as served:
        yield served


def _client(served: SandboxThread, secret: str | None = None, **options: object) -> SyncAssetClient:
    sandbox = served.sandbox
    return SyncAssetClient(
        sandbox.api_key,
        secret or sandbox.secret_key,
        base_url=sandbox.base_url,
        limiter="process",
        **{"rate_limit": FAST, **options},
    )


def test_iterates_3000_records_inside_a_thread_running_an_event_loop(
    served: SandboxThread,
) -> None:
    expected = served.call(lambda: served.sandbox.expected("usdt"))
    got: list[InviteeAsset] = []

    async def notebook_cell() -> None:
        asyncio.get_running_loop()  # the caller's loop is running, as in Jupyter
        with _client(served) as client:
            walk = client.iter_invitee_assets(quote="usdt")
            got.extend(walk)
            assert walk.stats.records == 3000

    thread = threading.Thread(target=lambda: asyncio.run(notebook_cell()))
    thread.start()
    thread.join(timeout=60)
    assert len(got) == len(expected) == 3000
    assert [a.uid for a in got] == [r["uid"] for r in expected]
    assert [a.current_balance for a in got] == [Decimal(str(r["currentBalance"])) for r in expected]


def test_works_from_several_threads_at_once(served: SandboxThread) -> None:
    results: dict[int, list[int]] = {}
    errors: list[BaseException] = []

    with _client(served) as client:

        def worker(n: int) -> None:
            try:
                results[n] = [a.uid for a in client.iter_invitee_assets(page_size=500)]
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        requests = client.stats.requests
    assert not errors
    assert len(results) == 4
    first = results[0]
    assert len(first) == 3000 and all(r == first for r in results.values())
    assert requests == 4 * 6  # every walk's pages went through the one client


def test_plain_values_and_generic_calls(served: SandboxThread) -> None:
    with _client(served) as client:
        page = client.get_invitees_page(page_size=10)
        assert len(page.items) == 10 and page.total >= 3000
        same = client.get_page(INVITEES, page_size=10)
        assert same.items == page.items
        uid = page.items[0].uid
        assert [i.uid for i in client.walk(INVITEES, uid=uid)] == [uid]
        volumes = list(client.iter_trading_volume())
        assert volumes and all(isinstance(v.volume, Decimal) for v in volumes)


def test_bad_input_is_refused_in_the_calling_thread_before_any_request(
    served: SandboxThread,
) -> None:
    with _client(served) as client:
        before = len(served.sandbox.stats.requests)
        with pytest.raises(InvalidParameterError, match="page_size"):
            client.iter_invitee_assets(page_size=0)
        assert len(served.sandbox.stats.requests) == before
    with pytest.raises(InvalidParameterError, match="session"):
        SyncAssetClient("k", "s", session=object())


def test_typed_errors_come_back_as_raised(served: SandboxThread) -> None:
    with (
        _client(served, "wrong-secret") as client,
        pytest.raises(AuthenticationError),
    ):
        client.get_invitees_page()


def test_leaving_a_walk_early_and_closing(served: SandboxThread) -> None:
    client = _client(served)
    with client.iter_invitee_assets(page_size=100) as walk:
        first = next(walk)
    assert first.uid > 0
    assert list(walk) == []  # closed: nothing more
    client.close()
    client.close()  # twice is fine
    with pytest.raises(Exception, match="closed"):
        client.get_invitees_page()


def test_import_asset_client_imports_no_data_stack() -> None:
    code = (
        "import sys, asset_client\n"
        "heavy = {'dlt', 'pyarrow', 'pandas', 'duckdb'} & {m.split('.')[0] for m in sys.modules}\n"
        "print(sorted(heavy))\n"
    )
    out = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
