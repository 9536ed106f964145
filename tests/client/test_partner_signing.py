"""POST signing: the docs' rule over exactly the bytes sent, and the transport sends them."""

from __future__ import annotations

import base64
import hashlib
import hmac

import aiohttp
import pytest
from aiohttp import web

from asset_client.client.transport import AnswerLimits, http_request
from asset_client.core.list_query import VolumeQuery, build_volume_body
from asset_client.core.signing import VOLUME_PATH, body_signing_message, sign_body

# The docs' example body, compact as we send it, and literally as printed (with spaces).
DOCS_BODY_COMPACT = b'{"pageNo":1,"pageSize":100,"uid":123126704}'
DOCS_BODY_SPACED = b'{"pageNo": 1, "pageSize": 100, "uid": 123126704}'


def test_message_is_timestamp_post_path_body() -> None:
    assert body_signing_message("1700000000000", VOLUME_PATH, DOCS_BODY_COMPACT) == (
        b"1700000000000POST/api/v3/patener/openapi/v1/partner/invitation/user/volume/list"
        b'{"pageNo":1,"pageSize":100,"uid":123126704}'
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # Computed independently of this code, with openssl:
        # printf '%s' "$msg" | openssl dgst -sha256 -hmac sk-test -binary | base64
        (DOCS_BODY_COMPACT, "yLYQHbdk1Tmqu70aarxRyEiv2djZ0FjAx7EPXLhjgf8="),
        (DOCS_BODY_SPACED, "z3a0vaaOJ6yaKr3D0X1c/FFxMZ0oQQglfIod1AsN9Fo="),
        (b"{}", "Na2BvFxQGIL1sUCeZ3l0Nt+Bx6zaKtOEgEut8zwE8VY="),
    ],
)
def test_docs_vectors(body: bytes, expected: str) -> None:
    assert sign_body("sk-test", "1700000000000", VOLUME_PATH, body) == expected


def test_whitespace_is_signed_so_the_serialisation_must_be_the_sent_one() -> None:
    assert sign_body("sk-test", "1", VOLUME_PATH, DOCS_BODY_COMPACT) != sign_body(
        "sk-test", "1", VOLUME_PATH, DOCS_BODY_SPACED
    )


def test_builder_produces_the_docs_example_compactly() -> None:
    assert build_volume_body(VolumeQuery(uid=123126704), 1, 100) == DOCS_BODY_COMPACT


async def test_transport_sends_exactly_the_signed_bytes() -> None:
    seen: list[tuple[str, str, bytes, str | None, str | None]] = []

    async def capture(request: web.Request) -> web.Response:
        seen.append(
            (
                request.method,
                request.raw_path,
                await request.read(),
                request.headers.get("Content-Type"),
                request.headers.get("sign"),
            )
        )
        return web.json_response({"code": "0"})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", capture)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    body = build_volume_body(VolumeQuery(uid=123126704), 1, 100)
    signature = sign_body("sk-test", "1700000000000", VOLUME_PATH, body)
    try:
        async with aiohttp.ClientSession() as session:
            limits = AnswerLimits(timeout=5)
            url = f"http://127.0.0.1:{port}{VOLUME_PATH}"
            status, _, answer = await http_request(
                session, "POST", url, {"sign": signature}, body, limits.budget()
            )
            get = f"http://127.0.0.1:{port}/x?a=b%20c"
            await http_request(session, "GET", get, {}, None, limits.budget())
    finally:
        await runner.cleanup()
    assert status == 200 and answer == b'{"code": "0"}'
    method, path, received, content_type, sent_sign = seen[0]
    assert (method, path, received, content_type) == (
        "POST",
        VOLUME_PATH,
        DOCS_BODY_COMPACT,
        "application/json",
    )
    # The server can verify the signature over what it received.
    expected = hmac.new(
        b"sk-test", b"1700000000000POST" + VOLUME_PATH.encode() + received, hashlib.sha256
    ).digest()
    assert sent_sign == base64.b64encode(expected).decode()
    assert seen[1][:3] == ("GET", "/x?a=b%20c", b"")
