"""Removing credentials from server text before it enters a message (pure).

A server (or a gateway in front of it) may echo the request back in an error body:
the ``api_key`` and ``sign`` headers, or even the secret.  Every message built from
server text goes through `redact` first.  The sharp edge: an echo may be escaped
(JSON ``\\/`` or ``\\u00XX``, percent-encoding of any of its characters, some and not
others), so each secret is matched character by character in any of those spellings;
and always before any truncation, so a cut can never leave part of a key behind.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import re
import reprlib
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from urllib.parse import quote

__all__ = ["REDACTED", "excerpt", "redact", "redacting", "shown", "spellings"]

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


def _char(c: str) -> str:
    """Every way one character of a secret may be spelled in an echo."""
    forms = [re.escape(c), re.escape(json.dumps(c)[1:-1])]
    if ord(c) < 128:
        forms += [f"%(?i:{ord(c):02x})", f"\\\\u(?i:{ord(c):04x})"]
    if c == "/":
        forms.append(r"\\/")
    return "(?:" + "|".join(dict.fromkeys(forms)) + ")"


@functools.lru_cache(maxsize=64)
def _pattern(secret: str) -> re.Pattern[str]:
    """``secret`` in any mix of its spellings (each character plain, JSON-escaped or
    percent-encoded, independently of the others)."""
    return re.compile("".join(_char(c) for c in secret))


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every spelling of every secret replaced by ``[REDACTED]``."""
    # Longest first: a shorter secret may be part of a longer one.
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = _pattern(secret).sub(REDACTED, text)
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


#: Secrets `shown` redacts besides those it is given: for values shown deep inside a
#: decoder's hooks, which cannot be handed the secrets (see `redacting`).
_AMBIENT: ContextVar[tuple[str, ...]] = ContextVar("asset_client_redacting", default=())


@contextlib.contextmanager
def redacting(secrets: Iterable[str]) -> Iterator[None]:
    """Within the block, `shown` also redacts ``secrets`` (before it cuts anything)."""
    token = _AMBIENT.set(tuple(s for s in secrets if s))
    try:
        yield
    finally:
        _AMBIENT.reset(token)


def _scrubbed(value: object, secrets: tuple[str, ...], depth: int) -> object:
    """``value`` with its strings redacted, as deep and as wide as `shown` shows it, so a
    string cut by the repr can no longer hold part of a secret."""
    if isinstance(value, str):
        return redact(value, secrets)
    if depth <= 0:
        return value
    if isinstance(value, dict):
        pairs = itertools.islice(value.items(), _SHOWN.maxdict + 1)
        return {
            _scrubbed(k, secrets, depth - 1): _scrubbed(v, secrets, depth - 1) for k, v in pairs
        }
    if isinstance(value, list | tuple):
        items = [_scrubbed(v, secrets, depth - 1) for v in value[: _SHOWN.maxlist + 1]]
        return items if isinstance(value, list) else tuple(items)
    return value


def shown(value: object, secrets: Iterable[str] = ()) -> str:
    """A value from an answer as it may appear in a message: bounded in length and
    depth (JSON nested 1000 deep cannot blow the stack), credentials redacted."""
    secrets = tuple(s for s in secrets if s) + _AMBIENT.get()
    try:
        if secrets:
            value = _scrubbed(value, secrets, _SHOWN.maxlevel + 1)
        text = _SHOWN.repr(value)
    except (ValueError, RecursionError, MemoryError):  # e.g. int too long to print
        text = f"<{type(value).__name__} that cannot be shown>"
    return redact(text, secrets)
