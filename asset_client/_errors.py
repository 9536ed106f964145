"""The exception hierarchy.  Messages say what came back; none ever holds a secret.

Server text enters a message only through `excerpt` or `shown`, which redact the
credentials and bound the length (and, for `shown`, the nesting depth).
"""

from __future__ import annotations

import reprlib
from collections.abc import Iterable

from ._redact import redact

__all__ = [
    "ApiError",
    "AssetClientError",
    "AuthenticationError",
    "InvalidParameterError",
    "PaginationError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseDecodeError",
    "ResponseTooLargeError",
    "ServerError",
    "TransportError",
]

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


class AssetClientError(Exception):
    """Base class of every error asset_client raises."""

    #: Whether asking again may succeed (server hiccup, rate limit, broken body).
    retryable: bool = False


class ApiError(AssetClientError):
    """The server answered with an error code or an error HTTP status."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        page_no: int | None = None,
    ) -> None:
        self.code = code
        self.message = message
        self.status = status
        self.page_no = page_no
        super().__init__(self._describe())

    def _describe(self) -> str:
        parts = [self.message]
        if self.code is not None:
            parts.append(f"code={self.code}")
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.page_no is not None:
            parts.append(f"page {self.page_no}")
        return f"{type(self).__name__}: " + ", ".join(parts)


class AuthenticationError(ApiError):
    """Unknown API key, bad signature or stale timestamp (codes 6000/6001)."""


class PermissionDeniedError(ApiError):
    """The key lacks CoinW's "Affiliate" permission (code 6003)."""


class RateLimitError(ApiError):
    """Code 29001 or HTTP 429.  Raised to callers only once retries are exhausted."""

    retryable = True

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        page_no: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.retry_after = retry_after
        super().__init__(message, code=code, status=status, page_no=page_no)


class ServerError(ApiError):
    """HTTP 5xx or code 500: the server or a gateway failed; worth retrying."""

    retryable = True


class InvalidParameterError(ApiError, ValueError):
    """A bad argument (raised before any request) or server codes 1/402."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        code: str | None = None,
        status: int | None = None,
        page_no: int | None = None,
    ) -> None:
        self.field = field
        super().__init__(message, code=code, status=status, page_no=page_no)


class ResponseDecodeError(AssetClientError):
    """The answer could not be read: not JSON, truncated, or a field of the wrong shape.

    ``retryable`` is true for broken bodies (HTML error pages, truncation), which a
    gateway produces at random, and false for well-formed JSON of the wrong shape,
    which asking again will not fix.
    """

    def __init__(
        self,
        message: str,
        *,
        page_no: int | None = None,
        field: str | None = None,
        value: object = None,
        status: int | None = None,
        retryable: bool = False,
    ) -> None:
        self.page_no = page_no
        self.field = field
        self.value = value
        self.status = status
        self.retryable = retryable
        where = f" (page {page_no})" if page_no is not None else ""
        super().__init__(f"{message}{where}")


class ResponseTooLargeError(ResponseDecodeError):
    """The answer's body, decompressed, exceeded the client's ``max_body_size``.

    Never retried: the same question gets the same oversized answer.  Reading stops
    at the limit, so a huge (or gzip-bomb) body costs no more memory than that.
    """

    def __init__(self, message: str, *, limit: int, status: int | None = None) -> None:
        self.limit = limit
        super().__init__(message, status=status, retryable=False)


class TransportError(AssetClientError):
    """The request did not get an answer: connection refused or reset, or a timeout.

    Retryable, except when the page's whole time budget (``page_timeout``) is spent.
    """

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        self.retryable = retryable
        super().__init__(message)


class PaginationError(AssetClientError):
    """The server's pages contradict each other (uids out of order), so the walk cannot
    promise every record exactly once."""
