"""The sandbox counts a request when it reached the server, as the wire shows it: never later
because the event loop was busy, nor because of its own simulated jitter or latency."""

from __future__ import annotations

import asyncio
import http.client
import json
import threading
import time

import pytest

from asset_client.core.signing import ASSETS_PATH, INVITEES_PATH, VOLUME_PATH, sign, sign_body
from asset_client.sandbox import DEMO_API_KEY, DEMO_SECRET_KEY, FaultConfig, SandboxConfig
from asset_client.sandbox import run_sandbox as run
from asset_client.sandbox._arrival import ArrivalStamps
from asset_client.sandbox._window import SlidingWindow

SPACING = 0.21  # what the wire proxy showed between requests: 212-217 ms
STALL = 0.25  # the loop busy elsewhere between a request's bytes and its handler


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_stamp_is_the_first_bytes_not_the_handler_start() -> None:
    clock = FakeClock()
    stamps = ArrivalStamps(clock)
    stamps.seen("conn")
    clock.now = 0.3  # the handler runs 300 ms later
    stamps.seen("conn")  # more of the same request (headers, a POST body) move nothing
    assert stamps.take("conn") == 0.0
    clock.now = 0.4
    stamps.seen("conn")  # still the request being handled
    stamps.done("conn")
    clock.now = 0.5
    stamps.seen("conn")  # the next request on the kept-alive connection
    clock.now = 0.9
    assert stamps.take("conn") == 0.5
    stamps.done("conn")
    assert stamps.take("other") == 0.9  # never seen (no wire stamp): now


def test_the_window_counts_late_records_at_their_arrival() -> None:
    window = SlidingWindow(5, 1.0)
    # Recorded out of order (jitter is added to each wire stamp), counted in time order.
    assert all(window.hit("k", t) for t in (0.0, 0.3, 0.2, 0.5, 0.4))
    assert not window.hit("k", 0.99)  # five in (-0.01, 0.99]
    assert window.hit("k", 1.35)  # (0.35, 1.35] holds 0.4, 0.5, 0.99 only
    assert window.hit("k", 0.1)  # late, but only 0.0 came before it within a second
    assert not window.hit("k", 0.98)  # late: 0.0 .. 0.5 (six) came before it


def _send_paced(port: int, path: str, count: int, sent: list[float]) -> None:
    """A client in its own thread: ``count`` signed requests, one connection each, sent
    ``SPACING`` apart on the wire whatever the server's loop is doing."""
    start = time.monotonic()
    for n in range(count):
        time.sleep(max(0.0, start + n * SPACING - time.monotonic()))  # the workload's pace
        stamp = str(int(time.time() * 1000))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        if path == VOLUME_PATH:
            body = json.dumps({"pageNo": 1, "pageSize": 100}).encode()
            signature = sign_body(DEMO_SECRET_KEY, stamp, path, body)
            headers = {"api_key": DEMO_API_KEY, "timestamp": stamp, "sign": signature}
            headers["Content-Type"] = "application/json"
            sent.append(time.monotonic())
            conn.request("POST", path, body=body, headers=headers)
        else:
            query = "pageNo=1&pageSize=100"
            signature = sign(DEMO_SECRET_KEY, stamp, "GET", path, query)
            headers = {"api_key": DEMO_API_KEY, "timestamp": stamp, "sign": signature}
            sent.append(time.monotonic())
            conn.request("GET", f"{path}?{query}", headers=headers)
        conn.getresponse().read()
        conn.close()


@pytest.mark.parametrize("path", [ASSETS_PATH, INVITEES_PATH, VOLUME_PATH])
async def test_a_busy_loop_does_not_compress_what_the_wire_spaced(path: str) -> None:
    # Requests sent SPACING apart: no sliding second holds six of them.  The first one's
    # handler is held up STALL by other work on the loop (and the sandbox's own latency and
    # jitter come on top): stamped at its handler, it would land STALL late and the sixth
    # would make "6 in 1 s".  Stamped at its bytes, the window sees the wire's spacing.
    faults = FaultConfig(latency=0.05, one_way_jitter=0.0)
    config = SandboxConfig(invitees=200, faults=faults)
    loop = asyncio.get_running_loop()
    async with run(config) as sandbox:
        stalled: list[float] = []

        def stall_first(stamp: float) -> None:
            if not stalled:
                stalled.append(stamp)
                loop.call_soon(time.sleep, STALL)  # runs before the handler gets the loop

        sandbox.arrivals.on_stamp = stall_first
        port = int(sandbox.base_url.rsplit(":", 1)[1])
        sent: list[float] = []
        sender = threading.Thread(target=_send_paced, args=(port, path, 6, sent))
        sender.start()
        await asyncio.to_thread(sender.join)
    records = [r for r in sandbox.stats.requests if r.path == path]
    assert len(records) == 6
    assert records[0].time == stalled[0]  # the first bytes, before the stall
    assert sandbox.stats.rejected == 0, [r.time - records[0].time for r in records]
    assert sandbox.stats.max_in_window(path=path) <= 5
    assert all(r.code == "0" for r in records)
