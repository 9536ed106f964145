"""Removing credentials from server text before it enters a message (pure).

A server (or a gateway in front of it) may echo the request back in an error body:
the ``api_key`` and ``sign`` headers, or even the secret.  Every message built from
server text goes through `redact` first.  The sharp edge: an echo may be escaped
(JSON ``\\/``, percent-encoding), so each secret is removed in those spellings too,
and before any truncation, so a cut can never leave half a key behind.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from urllib.parse import quote

__all__ = ["REDACTED", "redact", "spellings"]

REDACTED = "[REDACTED]"


def spellings(secret: str) -> set[str]:
    """The ways ``secret`` may appear in an echo: as is, JSON-escaped, percent-encoded."""
    if not secret:
        return set()
    json_form = json.dumps(secret)[1:-1]
    forms = {
        secret,
        json_form,
        json_form.replace("/", "\\/"),
        quote(secret, safe=""),
        quote(secret, safe="/"),
        quote(secret),
    }
    return {form for form in forms if form}


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every spelling of every secret replaced by ``[REDACTED]``."""
    forms = sorted({form for secret in secrets for form in spellings(secret)}, key=len)
    # Longest first: a percent-encoded form contains fragments of the plain one.
    for form in reversed(forms):
        if form in text:
            text = text.replace(form, REDACTED)
    return text
