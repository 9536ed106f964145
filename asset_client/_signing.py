"""Request signing for CoinW's futures-style private REST API (pure, no I/O).

CoinW verifies ``base64(HMAC-SHA256(secret, timestamp + METHOD + path [+ "?" + query]))``
where ``query`` is the *decoded* ``k=v&k=v`` string in the order sent.  Signing the
percent-encoded form breaks as soon as a value holds a space or a colon (``startTime``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

__all__ = ["ASSETS_PATH", "sign", "signing_message"]

ASSETS_PATH = "/api/v3/patener/openapi/v1/partner/invitation/user/assets"


def signing_message(timestamp_ms: str, method: str, path: str, decoded_query: str) -> str:
    """The exact text CoinW signs; the ``?query`` part is left out when there is no query."""
    suffix = f"?{decoded_query}" if decoded_query else ""
    return f"{timestamp_ms}{method.upper()}{path}{suffix}"


def sign(secret_key: str, timestamp_ms: str, method: str, path: str, decoded_query: str) -> str:
    """Return the base64 HMAC-SHA256 signature for one request."""
    message = signing_message(timestamp_ms, method, path, decoded_query)
    digest = hmac.new(secret_key.encode(), message.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")
