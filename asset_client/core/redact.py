"""Removing credentials from server text before it enters a message (pure).

A server (or a gateway in front of it) may echo the request back in an error body:
the ``api_key`` and ``sign`` headers, or even the secret.  Every message built from
server text goes through `redact` first.  The sharp edge: an echo may be escaped
(JSON ``\\/``, percent-encoding), so each secret is removed in those spellings too,
and before any truncation, so a cut can never leave half a key behind.
"""

from __future__ import annotations

import json
import reprlib
from collections.abc import Iterable
from urllib.parse import quote

__all__ = ["REDACTED", "excerpt", "redact", "shown", "spellings"]

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


_EXCERPT = 200
# Redaction looks at this much of the start of a body, so a secret that begins inside
# the excerpt is removed whole even when the excerpt's cut falls inside it.
_REDACT_WINDOW = 8192


def excerpt(body: bytes | str, limit: int = _EXCERPT, secrets: Iterable[str] = ()) -> str:
    """A short, printable, redacted view of a response body for error messages."""
    size = len(body)
    head = body[:_REDACT_WINDOW]
    text = head.decode("utf-8", "replace") if isinstance(head, bytes) else head
    text = " ".join(redact(text, secrets).split())
    if not text:
        return "<empty body>"
    if len(text) <= limit and size <= _REDACT_WINDOW:
        return text
    unit = "bytes" if isinstance(body, bytes) else "chars"
    return f"{text[:limit]}… ({size} {unit})"


_SHOWN = reprlib.Repr()
_SHOWN.maxlevel = 3
_SHOWN.maxstring = 120
_SHOWN.maxother = 120
_SHOWN.maxlong = 60
_SHOWN.maxdict = _SHOWN.maxlist = 6


def shown(value: object, secrets: Iterable[str] = ()) -> str:
    """A value from an answer as it may appear in a message: bounded in length and
    depth (JSON nested 1000 deep cannot blow the stack), credentials redacted."""
    try:
        text = _SHOWN.repr(value)
    except (ValueError, RecursionError, MemoryError):  # e.g. int too long to print
        text = f"<{type(value).__name__} that cannot be shown>"
    return redact(text, secrets)
