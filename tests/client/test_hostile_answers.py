"""Hostile or broken answers (issue 9, section 7): each one is a typed error, bounded
in memory and time, not retried in vain, and never carries a credential."""

from __future__ import annotations

import asyncio
import json
import tracemalloc
import zlib
from pathlib import Path
from typing import Any

import pytest

from asset_client import (
    ApiError,
    AssetClient,
    RateLimit,
    ResponseDecodeError,
    ResponseTooLargeError,
    RetryPolicy,
    TransportError,
)
from tests._helpers import no_wait
from tests._raw_server import Request, answer, raw_server, response_head
from tests.cli.test_cli_export import API_KEY, _env, start_export
from tests.conftest import SECRET, body, envelope, record

KIB = 1024
MIB = 1024 * KIB


def make_client(base_url: str, api_key: str, **kwargs: Any) -> AssetClient:
    kwargs.setdefault("retry_policy", RetryPolicy(max_retries=3, base_delay=0.001))
    return AssetClient(
        api_key,
        SECRET,
        base_url=base_url,
        rate_limit=RateLimit(requests=1000, period=0.1, margin=0.0),
        sleep=no_wait,
        **kwargs,
    )


def budgeted_client(base_url: str, api_key: str) -> AssetClient:
    """0.2 s an attempt, 0.5 s a page, five retries: the budget must stop them first."""
    return make_client(
        base_url,
        api_key,
        timeout=0.2,
        page_timeout=0.5,
        retry_policy=RetryPolicy(max_retries=5, base_delay=0.001),
    )


def gzip_bytes(payload: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return compressor.compress(payload) + compressor.flush()


def gzip_of_zeros(size: int) -> bytes:
    """A gzip bomb: ``size`` zero bytes in about size/1000 bytes."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = bytes(MIB)
    parts = [compressor.compress(chunk) for _ in range(size // MIB)]
    parts.append(compressor.flush())
    return b"".join(parts)


PAGE = body(envelope(2, [record(1), record(2)]))


# -- the body is capped while it streams ------------------------------------------------


async def test_a_body_over_max_body_size_is_refused_and_not_retried(api_key: str) -> None:
    huge = b'{"code": "0", "data": {"total": 1, "list": [' + b" " * (2 * MIB) + b"]}}"
    async with (
        raw_server(answer(200, huge)) as server,
        make_client(server.base_url, api_key, max_body_size=MIB) as client,
    ):
        with pytest.raises(ResponseTooLargeError) as info:
            await client.get_invitee_assets_page()
    assert not info.value.retryable and info.value.limit == MIB
    assert "max_body_size=1048576" in str(info.value)
    assert client.stats.requests == 1


async def test_a_gzip_bomb_stops_at_the_cap_without_the_memory(api_key: str) -> None:
    bomb = gzip_of_zeros(64 * MIB)
    assert len(bomb) < 100 * KIB
    async with (
        raw_server(answer(200, bomb, {"Content-Encoding": "gzip"})) as server,
        make_client(server.base_url, api_key, max_body_size=MIB) as client,
    ):
        tracemalloc.start()
        try:
            with pytest.raises(ResponseTooLargeError) as info:
                await client.get_invitee_assets_page()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert "decompressed" in str(info.value)
    assert client.stats.requests == 1
    # aiohttp's own decompression would hold the 64 MiB; the cap holds about 1.
    assert peak < 8 * MIB, f"peak {peak / MIB:.1f} MiB"


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw-deflate", "identity"])
async def test_compressed_pages_within_the_cap_are_read(api_key: str, encoding: str) -> None:
    if encoding == "gzip":
        data = gzip_bytes(PAGE)
    elif encoding == "deflate":
        data = zlib.compress(PAGE)
    elif encoding == "raw-deflate":
        compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        data = compressor.compress(PAGE) + compressor.flush()
    else:
        data = PAGE
    header = "deflate" if encoding == "raw-deflate" else encoding
    async with (
        raw_server(answer(200, data, {"Content-Encoding": header})) as server,
        make_client(server.base_url, api_key, max_body_size=len(PAGE)) as client,
    ):
        page = await client.get_invitee_assets_page()
    assert [item.uid for item in page.items] == [1, 2]
    assert server.requests[0].headers["accept-encoding"] == "gzip, deflate"


async def test_a_corrupt_gzip_body_is_retried_and_an_unasked_encoding_is_not(
    api_key: str,
) -> None:
    corrupt = gzip_bytes(PAGE)[:-12] + b"garbage-tail"
    async with (
        raw_server(answer(200, corrupt, {"Content-Encoding": "gzip"})) as server,
        make_client(server.base_url, api_key) as client,
    ):
        with pytest.raises(ResponseDecodeError) as info:
            await client.get_invitee_assets_page()
    assert info.value.retryable and "cannot be decompressed" in str(info.value)
    assert client.stats.requests == 4  # the first try and 3 retries
    async with (
        raw_server(answer(200, PAGE, {"Content-Encoding": "br"})) as server,
        make_client(server.base_url, api_key) as client,
    ):
        with pytest.raises(ResponseDecodeError) as info:
            await client.get_invitee_assets_page()
    assert not info.value.retryable and "'br'" in str(info.value)
    assert client.stats.requests == 1


# -- malformed answers are ResponseDecodeError naming what came back ----------------------

DEEP = b'{"code": "0", "data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
LONG_DIGITS = "9" * 5000


def _page(total: str, uid: str = "1", amount: str = '"1.5"') -> bytes:
    return (
        f'{{"code": "0", "msg": "ok", "data": {{"total": {total}, "list": [{{"uid": {uid}, '
        f'"totalDeposit": {amount}, "totalWithdrawal": "0", "currentBalance": "0"}}]}}}}'
    ).encode()


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        pytest.param(DEEP, "nested too deep", id="json-nested-100k-deep"),
        pytest.param(_page(f'"{LONG_DIGITS}"'), "data.total", id="total-5000-digit-string"),
        pytest.param(_page(str(10**400)), "data.total", id="total-10-to-the-400"),
        pytest.param(_page(LONG_DIGITS), "data.total", id="total-5000-digit-number"),
        pytest.param(_page("1", uid=str(2**63)), "uid", id="uid-above-java-long"),
        pytest.param(_page("1", uid=f'"{2**63}"'), "uid", id="uid-string-above-java-long"),
        pytest.param(_page("-1"), "data.total", id="total-negative"),
        pytest.param(_page("1", amount="1e-999999999"), "totalDeposit", id="amount-exponent"),
        pytest.param(_page("1", amount="1E+999999999"), "totalDeposit", id="amount-huge-exp"),
        pytest.param(_page("NaN"), "data.total", id="total-nan-constant"),
        pytest.param(b"[" * 900 + b"]" * 900, "not a JSON object", id="deep-list-not-object"),
    ],
)
async def test_absurd_answers_are_typed_and_not_retried(
    api_key: str, raw: bytes, named: str
) -> None:
    async with (
        raw_server(answer(200, raw)) as server,
        make_client(server.base_url, api_key) as client,
    ):
        with pytest.raises(ResponseDecodeError) as info:
            await client.get_invitee_assets_page()
    assert named in str(info.value)
    assert not info.value.retryable
    assert client.stats.requests == 1  # asking again gives the same absurd answer
    assert len(str(info.value)) < 1000


async def test_a_5000_digit_amount_is_kept_exactly(api_key: str) -> None:
    raw = _page("1", amount=LONG_DIGITS)
    async with (
        raw_server(answer(200, raw)) as server,
        make_client(server.base_url, api_key) as client,
    ):
        page = await client.get_invitee_assets_page()
    assert str(page.items[0].total_deposit) == LONG_DIGITS


async def test_a_truncated_body_is_still_retried(api_key: str) -> None:
    async with (
        raw_server(answer(200, PAGE[:-7])) as server,
        make_client(server.base_url, api_key) as client,
    ):
        with pytest.raises(ResponseDecodeError) as info:
            await client.get_invitee_assets_page()
    assert info.value.retryable and "not JSON" in str(info.value)
    assert client.stats.requests == 4


# -- the same uid twice in one page ----------------------------------------------------------


async def test_one_uid_twice_in_a_page_with_different_values_is_an_error(api_key: str) -> None:
    raw = body(envelope(3, [record(1), record(2), record(2, currentBalance="9.5")]))
    async with (
        raw_server(answer(200, raw)) as server,
        make_client(server.base_url, api_key) as client,
    ):
        with pytest.raises(ResponseDecodeError) as info:
            await client.get_invitee_assets_page()
    message = str(info.value)
    assert "uid 2 is listed twice" in message and "current_balance" in message
    assert info.value.field == "uid" and info.value.value == 2
    assert client.stats.requests == 1


async def test_identical_copies_of_a_uid_in_a_page_are_yielded_once(api_key: str) -> None:
    # total counts distinct invitees; the page repeats one row (a server-side join).
    raw = body(envelope(2, [record(1), record(2), record(2)]))
    async with (
        raw_server(answer(200, raw)) as server,
        make_client(server.base_url, api_key) as client,
    ):
        page = await client.get_invitee_assets_page()
        assert [item.uid for item in page.items] == [1, 2, 2]  # the page as served
        uids = [item.uid async for item in client.iter_invitee_assets(page_size=10)]
    assert uids == [1, 2]
    assert client.stats.duplicates_dropped == 1


# -- a total time budget per page -------------------------------------------------------------


def dripping(interval: float) -> Any:
    async def handle(_: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(response_head(200, {"Content-Type": "application/json"}, len(PAGE)))
        for byte in PAGE:
            if writer.is_closing():
                return
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(interval)

    return handle


async def test_a_dripping_server_fails_within_the_page_budget(api_key: str) -> None:
    async with (
        raw_server(dripping(0.02)) as server,
        budgeted_client(server.base_url, api_key) as client,
    ):
        with pytest.raises(TransportError) as info:
            await client.get_invitee_assets_page()
    # Two whole attempts (0.2 s each), a third cut to what is left, then no more:
    # five retries at 0.2 s would have been six attempts.
    assert client.stats.requests == 3
    assert not info.value.retryable
    assert "page_timeout=0.5" in str(info.value)


# -- secrets never come back in messages --------------------------------------------------------


def echoing(status: int, wrap: str) -> Any:
    """A server that puts the request's headers into its error answer."""

    async def handle(request: Request, writer: asyncio.StreamWriter) -> None:
        echo = " ".join(f"{k}={v}" for k, v in request.headers.items())
        echo += f" secret={SECRET}"
        if wrap == "json-msg":
            data = json.dumps({"code": "9999", "msg": f"bad request {echo}"}).encode()
        elif wrap == "json-escaped":
            text = json.dumps({"code": "9999", "msg": f"bad request {echo}"})
            data = text.replace("/", "\\/").encode()
        elif wrap == "record":
            data = body(envelope(1, [record(1, updateTime=echo)]))
        else:
            data = f"<html>{'x' * 150} {echo}</html>".encode()
        writer.write(response_head(status, {"Content-Type": "application/json"}, len(data)))
        writer.write(data)
        await writer.drain()

    return handle


@pytest.mark.parametrize(
    ("status", "wrap"),
    [(400, "json-msg"), (400, "json-escaped"), (502, "html"), (200, "html"), (200, "record")],
)
async def test_an_echoing_server_never_gets_a_credential_into_a_message(
    api_key: str, status: int, wrap: str
) -> None:
    async with (
        raw_server(echoing(status, wrap)) as server,
        make_client(server.base_url, api_key, max_retries=0) as client,
    ):
        with pytest.raises((ApiError, ResponseDecodeError)) as info:
            await client.get_invitee_assets_page()
    signature = server.requests[0].headers["sign"]
    message = f"{info.value} {info.value!r} {getattr(info.value, 'message', '')}"
    for secret in (api_key, SECRET, signature, signature.replace("/", "\\/")):
        assert secret not in message
    assert "[REDACTED]" in message


async def test_an_echoing_server_never_gets_a_credential_into_cli_stderr(
    tmp_path: Path,
) -> None:
    async with raw_server(echoing(400, "json-msg")) as server:
        proc = await start_export(
            tmp_path,
            "--base-url",
            server.base_url,
            "--out",
            "a.csv",
            "--max-retries",
            "0",
            "--debug",
            env=_env(),
        )
        _, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    stderr = err.decode()
    assert proc.returncode == 5, stderr
    assert "ApiError: unexpected answer: bad request" in stderr and "[REDACTED]" in stderr
    signature = server.requests[0].headers["sign"]
    for secret in (API_KEY, SECRET, signature):
        assert secret not in stderr


# -- the same guarantees on the partner endpoints (GET invitees, POST volume) -----------------


def _invitee(uid: object, when: str = "2026-01-02 03:04:05") -> dict[str, object]:
    return {"uid": uid, "registerTime": when}


def _volume(uid: object, day: str = "2026-01-02", volume: str = "1.5") -> dict[str, object]:
    return {"uid": uid, "time": day, "volume": volume}


async def _first_page(client: AssetClient, endpoint: str) -> Any:
    if endpoint == "invitees":
        return await client.get_invitees_page()
    return await client.get_trading_volume_page()


@pytest.mark.parametrize(
    ("endpoint", "rows", "named"),
    [
        ("invitees", [_invitee(5), _invitee(5, "2026-01-03 00:00:00")], "uid 5 is listed twice"),
        ("volume", [_volume(5), _volume(5, volume="2")], "(uid, day) (5, "),
    ],
)
async def test_partner_pages_refuse_conflicting_copies(
    api_key: str, endpoint: str, rows: list[Any], named: str
) -> None:
    async with (
        raw_server(answer(200, body(envelope(2, rows)))) as server,
        make_client(server.base_url, api_key) as client,
    ):
        with pytest.raises(ResponseDecodeError) as info:
            await _first_page(client, endpoint)
        assert named in str(info.value) and client.stats.requests == 1
    # Identical copies are one record, as for assets.
    same = body(envelope(2, [rows[0], rows[0]]))
    async with (
        raw_server(answer(200, same)) as server,
        make_client(server.base_url, api_key) as client,
    ):
        page = await _first_page(client, endpoint)
    assert len(page.items) == 2


def _echo_in_record(endpoint: str) -> Any:
    async def handle(request: Request, writer: asyncio.StreamWriter) -> None:
        echo = " ".join(f"{k}={v}" for k, v in request.headers.items()) + f" secret={SECRET}"
        row = _invitee(1, echo) if endpoint == "invitees" else _volume(1, day=echo)
        data = body(envelope(1, [row]))
        writer.write(response_head(200, {"Content-Type": "application/json"}, len(data)))
        writer.write(data)
        await writer.drain()

    return handle


@pytest.mark.parametrize("endpoint", ["invitees", "volume"])
async def test_partner_endpoints_are_capped_typed_and_redacted(api_key: str, endpoint: str) -> None:
    # The body cap, on GET and on POST, decompressed.
    bomb = gzip_of_zeros(8 * MIB)
    async with (
        raw_server(answer(200, bomb, {"Content-Encoding": "gzip"})) as server,
        make_client(server.base_url, api_key, max_body_size=MIB) as client,
    ):
        with pytest.raises(ResponseTooLargeError):
            await _first_page(client, endpoint)
        assert client.stats.requests == 1
    method = "GET" if endpoint == "invitees" else "POST"
    assert server.requests[0].line.startswith(method)
    # Absurd numbers: Java-long bounds, typed and not retried.
    for rows, total in (([], LONG_DIGITS), ([_volume(2**63)], "1"), ([_invitee(2**63)], "1")):
        if endpoint == "invitees" and rows and "time" in rows[0]:
            continue
        if endpoint == "volume" and rows and "registerTime" in rows[0]:
            continue
        raw = json.dumps({"code": "0", "data": {"total": 0, "list": rows}}).encode()
        raw = raw.replace(b'"total": 0', f'"total": {total}'.encode())
        async with (
            raw_server(answer(200, raw)) as server,
            make_client(server.base_url, api_key) as client,
        ):
            with pytest.raises(ResponseDecodeError) as info:
                await _first_page(client, endpoint)
        assert not info.value.retryable and client.stats.requests == 1
        assert len(str(info.value)) < 1000
    # An echo of the request (key, sign) and the secret in a record: redacted.
    async with (
        raw_server(_echo_in_record(endpoint)) as server,
        make_client(server.base_url, api_key, max_retries=0) as client,
    ):
        with pytest.raises(ResponseDecodeError) as info:
            await _first_page(client, endpoint)
    signature = server.requests[0].headers["sign"]
    message = f"{info.value} {info.value!r}"
    for secret in (api_key, SECRET, signature):
        assert secret not in message
    assert "[REDACTED]" in message


async def test_a_dripping_server_fails_within_the_page_budget_on_post(api_key: str) -> None:
    async with (
        raw_server(dripping(0.02)) as server,
        budgeted_client(server.base_url, api_key) as client,
    ):
        with pytest.raises(TransportError) as info:
            await client.get_trading_volume_page()
    assert client.stats.requests == 3 and not info.value.retryable
    assert server.requests[0].line.startswith("POST")
