"""Who may call the sandbox: the signature check and the Affiliate permission (pure).

Signing is CoinW's futures style (``api_key``/``timestamp``/``sign`` headers): a GET is signed
over the *decoded* query in the order sent, the volume POST over its body's exact bytes.  The
sharp edge: the timestamp must be 13 digits of milliseconds within ``timestamp_tolerance`` of
the sandbox's wall clock, so a client with a skewed clock fails as 6001 like a bad signature.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from asset_client.core.signing import VOLUME_PATH, sign, sign_body
from asset_client.sandbox._config import SandboxConfig

__all__ = ["authenticate", "expected_signature"]

_INVALID: dict[str, object] = {"code": 6001, "msg": "invalid signature"}


def expected_signature(secret: str, timestamp: str, path: str, query: str, body: bytes) -> str:
    """What the client should have sent in ``sign`` for this request."""
    if path == VOLUME_PATH:
        return sign_body(secret, timestamp, VOLUME_PATH, body)
    return sign(secret, timestamp, "GET", path, query)


def authenticate(
    headers: Mapping[str, str],
    secrets: Mapping[str, str],
    config: SandboxConfig,
    request: tuple[str, str, bytes],
) -> dict[str, object] | None:
    """None if ``request`` (path, decoded query, body) is signed by a key with the Affiliate
    permission; otherwise the refusal's payload (6000, 6001 or 6003)."""
    api_key = headers.get("api_key")
    timestamp = headers.get("timestamp")
    signature = headers.get("sign")
    if not api_key or not timestamp or not signature:
        return dict(_INVALID)
    secret = secrets.get(api_key)
    if secret is None:
        return {"code": 6000, "msg": "api key not found"}
    if not (len(timestamp) == 13 and timestamp.isascii() and timestamp.isdigit()):
        return dict(_INVALID)
    if abs(config.wall_clock() - int(timestamp) / 1000) > config.timestamp_tolerance:
        return dict(_INVALID)
    expected = expected_signature(secret, timestamp, *request)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        return dict(_INVALID)
    if api_key in config.non_affiliate_keys:
        return {
            "code": 6003,
            "message": "Your account is not recognized as an affiliate account.",
            "retry": False,
            "success": False,
        }
    return None
