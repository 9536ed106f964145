"""Request signing for CoinW's futures-style private REST API (pure, no I/O).

CoinW verifies ``base64(HMAC-SHA256(secret, timestamp + METHOD + path [+ "?" + query]))``
where ``query`` is the *decoded* ``k=v&k=v`` string in the order sent.  Signing the
percent-encoded form breaks as soon as a value holds a space or a colon (``startTime``).
A POST signs ``timestamp + "POST" + path + body`` over the body's exact bytes: sign the
bytes you send, never a re-serialisation of them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

__all__ = [
    "ASSETS_PATH",
    "INVITEES_PATH",
    "VOLUME_PATH",
    "body_signing_message",
    "sign",
    "sign_body",
    "signing_message",
]

ASSETS_PATH = "/api/v3/patener/openapi/v1/partner/invitation/user/assets"
INVITEES_PATH = "/api/v3/patener/openapi/v1/partner/invitation/user/list"
VOLUME_PATH = "/api/v3/patener/openapi/v1/partner/invitation/user/volume/list"


def signing_message(timestamp_ms: str, method: str, path: str, decoded_query: str) -> str:
    """The exact text CoinW signs; the ``?query`` part is left out when there is no query."""
    suffix = f"?{decoded_query}" if decoded_query else ""
    return f"{timestamp_ms}{method.upper()}{path}{suffix}"


def sign(secret_key: str, timestamp_ms: str, method: str, path: str, decoded_query: str) -> str:
    """Return the base64 HMAC-SHA256 signature for one request."""
    message = signing_message(timestamp_ms, method, path, decoded_query)
    digest = hmac.new(secret_key.encode(), message.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def body_signing_message(timestamp_ms: str, path: str, body: bytes) -> bytes:
    """What CoinW signs for a POST: ``timestamp + "POST" + path + body``, the body as the
    exact bytes sent (no ``?query`` part)."""
    return f"{timestamp_ms}POST{path}".encode() + body


def sign_body(secret_key: str, timestamp_ms: str, path: str, body: bytes) -> str:
    """Return the base64 HMAC-SHA256 signature for one POST with this exact body."""
    message = body_signing_message(timestamp_ms, path, body)
    digest = hmac.new(secret_key.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")
