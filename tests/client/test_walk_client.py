"""The client's walk against a server whose list changes between answers (aioresponses),
and against the sandbox changing anywhere: issue 9's reproductions, and what one odd
page costs."""

from __future__ import annotations

import bisect
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aioresponses import CallbackResult, aioresponses
from yarl import URL

from asset_client import AssetClient, PaginationError
from asset_client.sandbox import FaultConfig
from tests._helpers import URL_RE, mocked_client
from tests.client.test_client_sandbox import as_wire, config, connected, normalise
from tests.conftest import envelope, record


class ChangingServer:
    """Pages by number over a sorted uid list; ``script`` changes it before the k-th
    request is answered (``("insert", uid)`` or ``("remove", uid)``); ``odd`` serves
    the k-th request with that many records instead of a full page."""

    def __init__(
        self,
        uids: list[int],
        script: dict[int, list[tuple[str, int]]] | None = None,
        odd: dict[int, int] | None = None,
    ) -> None:
        self.uids = sorted(uids)
        self.script = script or {}
        self.odd = odd or {}
        self.requests: list[tuple[int, int]] = []
        self.snapshots: list[set[int]] = [set(self.uids)]

    def __call__(self, url: URL, **_: Any) -> CallbackResult:
        self.requests.append((int(url.query["pageNo"]), int(url.query["pageSize"])))
        for kind, uid in self.script.get(len(self.requests), []):
            if kind == "insert":
                bisect.insort(self.uids, uid)
            else:
                self.uids.remove(uid)
        self.snapshots.append(set(self.uids))
        page_no, size = self.requests[-1]
        count = self.odd.get(len(self.requests), size)
        items = self.uids[(page_no - 1) * size :][:count]
        return CallbackResult(payload=envelope(len(self.uids), [record(u) for u in items]))

    def present_throughout(self) -> set[int]:
        return set.intersection(*self.snapshots)


@pytest.fixture
async def client(api_key: str) -> AsyncIterator[AssetClient]:
    async with mocked_client(api_key, max_retries=2) as c:
        yield c


async def walk(
    client: AssetClient, server: ChangingServer, page_size: int
) -> tuple[list[int], Exception | None]:
    uids: list[int] = []
    with aioresponses() as mocked:
        mocked.get(URL_RE, callback=server, repeat=True)
        try:
            async for asset in client.iter_invitee_assets(page_size=page_size):
                uids.append(asset.uid)
        except PaginationError as error:
            return uids, error
    return uids, None


@pytest.mark.parametrize("concurrency", [1, 8])
@pytest.mark.parametrize(
    "script",
    [
        # Issue 9, first reproduction: an invitee inserted below the walk's position
        # (seen as a duplicate), then an already-read one removed: total ends at 100.
        {3: [("insert", 15)], 5: [("remove", 50)]},
        # Second: inserted below, then the two highest removed (total falls, rewind).
        {3: [("insert", 15)], 5: [("remove", 1000), ("remove", 990)]},
    ],
    ids=["insert-below-then-remove-read", "insert-below-then-two-removed-at-top"],
)
async def test_an_invitee_inserted_below_the_walk_is_never_silently_missing(
    client: AssetClient, script: dict[int, list[tuple[str, int]]], concurrency: int
) -> None:
    client.max_concurrency = concurrency
    server = ChangingServer(list(range(10, 1010, 10)), script)
    uids, error = await walk(client, server, page_size=10)
    assert uids == sorted(set(uids))
    # Either everything on the server (the newcomer included) or an error, after
    # every record that was there all along.
    assert server.present_throughout() <= set(uids)
    if error is None:
        assert set(server.uids) <= set(uids)
    else:
        assert "appeared before the walk's position" in str(error)


@pytest.mark.parametrize("odd_request", [2, 5, 20])
async def test_one_short_page_mid_walk_costs_one_request(
    client: AssetClient, odd_request: int
) -> None:
    # Issue 9, section 3: one page of 49 where 100 were asked, total unchanged, used
    # to collapse the page size to a gcd (1,853 requests for a 20-page walk).
    client.max_concurrency = 1
    server = ChangingServer(list(range(1, 2001)), odd={odd_request: 49})
    uids, error = await walk(client, server, page_size=100)
    assert error is None
    assert uids == list(range(1, 2001))
    assert len(server.requests) == 21
    assert {size for _, size in server.requests} == {100}
    assert client.stats.replans == 0


@pytest.mark.parametrize(
    ("seed", "grow_by", "concurrency"),
    [(1, 4, 8), (2, 4, 8), (3, 4, 1), (4, 0, 1), (5, 0, 1), (6, 0, 8)],
)
async def test_inserts_and_removals_anywhere_give_everything_or_a_pagination_error(
    seed: int, grow_by: int, concurrency: int
) -> None:
    # Every 4 accepted requests, invitees appear and disappear at seeded random places.
    faults = FaultConfig(
        grow_after=3,
        grow_by=grow_by,
        grow_at="anywhere",
        shrink_after=3,
        shrink_by=2,
        shrink_at="anywhere",
        repeat_every=4,
    )
    sandbox_config = config(invitees=200, faults=faults, seed=seed)
    async with connected(sandbox_config, max_concurrency=concurrency) as (sandbox, client):
        before = {r["uid"] for r in sandbox.expected("usdt")}
        got = []
        error: PaginationError | None = None
        try:
            async for asset in client.iter_invitee_assets(page_size=10):
                got.append(asset)
        except PaginationError as exc:
            error = exc
        after = sandbox.expected("usdt")
        assert len(before ^ {r["uid"] for r in after}) >= 8  # the list changed under the walk
        uids = [a.uid for a in got]
        assert uids == sorted(set(uids))
        if grow_by == 0 and concurrency == 1:
            assert error is None  # removals alone, pages in order: always complete
        if error is None:
            # Every record there all along, exactly as the server has it.
            by_uid = {a.uid: as_wire(a) for a in got}
            for raw in after:
                if raw["uid"] in before:
                    assert by_uid[int(str(raw["uid"]))] == normalise(raw)
