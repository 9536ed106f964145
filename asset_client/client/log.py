"""Logging plumbing: ``ASSET_CLIENT_LOG`` turns logging on without code, and a filter keeps
API keys, secrets and signatures out of every record.

Sharp edge: ``ASSET_CLIENT_LOG`` (``debug``, ``info``, ``warning`` or ``error``) is read
once, when the first `AssetClient` is made, not at import: an application that sets up
logging after importing asset_client is seen.  If logging is set up by then (a handler on
the root or the ``asset_client`` logger), only the level is set and records go to the
application's handlers; otherwise one stderr handler is added.  Never two handlers.

The filter knows every key and secret a client was made with (values of at least 4
characters) and also masks anything written as ``sign=…``, ``api_key: …``,
``secret_key=…`` (any quoting) and the password in ``scheme://user:password@host``.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
from collections.abc import Mapping
from typing import TextIO

from asset_client.core.redact import spellings

__all__ = [
    "ENV_LOG",
    "LOGGER_NAME",
    "REDACTED",
    "RedactingFilter",
    "client_created",
    "configure_from_env",
    "counted",
    "get_logger",
    "mark_configured",
    "redact",
    "register_secret",
]

LOGGER_NAME = "asset_client"


def counted(count: int, noun: str) -> str:
    """``count`` and ``noun`` agreeing in number: "1 record", "2 records"."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


ENV_LOG = "ASSET_CLIENT_LOG"
REDACTED = "[REDACTED]"
_MIN_SECRET = 4  # shorter values would mask ordinary words; no real key is that short

_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}

_NAMES = r"api[_-]?key|apikey|secret[_-]?key|secretkey|secret|sign|signature|password"
_NAMED_VALUE = re.compile(
    rf"""(?P<name>["']?\b(?:{_NAMES})\b["']?\s*[:=]\s*)(?P<quote>["']?)"""
    r"""(?!\[REDACTED\])[^"'\s,;&})\]]+""",
    re.IGNORECASE,
)
_URL_PASSWORD = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^/@:\s]*):[^/@\s]*@", re.I)

_lock = threading.Lock()
_secrets: set[str] = set()
_configured = False


def register_secret(value: str) -> None:
    """Mask ``value`` wherever it appears in a record from now on."""
    if isinstance(value, str) and len(value) >= _MIN_SECRET:
        with _lock:
            # Every spelling an echo may use (JSON-escaped, percent-encoded), as for
            # messages: `_redact.spellings` is the one list of them.
            _secrets.update(spellings(value))


def redact(text: str) -> str:
    """``text`` with every known secret and every named secret value replaced."""
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)  # longest first: no partial leftovers
    for secret in known:
        if secret in text:
            text = text.replace(secret, REDACTED)
    text = _NAMED_VALUE.sub(lambda m: f"{m['name']}{m['quote']}{REDACTED}", text)
    return _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:{REDACTED}@", text)


class RedactingFilter(logging.Filter):
    """Rewrites a record's message, traceback and stack so no secret reaches a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_FILTER = RedactingFilter()


def get_logger(name: str = LOGGER_NAME) -> logging.Logger:
    """A logger of the ``asset_client`` tree with the redaction filter on it."""
    logger = logging.getLogger(name)
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
    return logger


def mark_configured() -> None:
    """Whoever calls this (the CLI) owns the ``asset_client`` handlers: the environment
    variable adds none."""
    global _configured
    _configured = True


def configure_from_env(
    environ: Mapping[str, str] | None = None, stream: TextIO | None = None
) -> logging.Handler | None:
    """Apply ``ASSET_CLIENT_LOG`` once; return the handler added, if one was."""
    global _configured
    with _lock:
        if _configured:
            return None
        _configured = True
    value = (os.environ if environ is None else environ).get(ENV_LOG, "").strip().lower()
    if not value:
        return None
    level = _LEVELS.get(value)
    logger = get_logger()
    if level is None:
        # Said on stderr directly: logging is what is not set up.
        print(
            f"asset_client: {ENV_LOG}={value!r} ignored; use one of {', '.join(_LEVELS)}",
            file=stream or sys.stderr,
        )
        return None
    logger.setLevel(level)
    if logging.getLogger().handlers or logger.handlers:
        return None  # the application set up logging: use its handlers
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_FILTER)
    logger.addHandler(handler)
    return handler


def client_created(api_key: str, secret_key: str) -> None:
    """Called by every new `AssetClient`: learn its secrets, apply the environment."""
    register_secret(api_key)
    register_secret(secret_key)
    configure_from_env()


get_logger()  # the filter sits on the library's logger from import on
