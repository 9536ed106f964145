"""The exception hierarchy: every error the package raises is an `AssetClientError`.

Sharp edge: messages say what came back, and none ever holds a secret.

Server text enters a message only through `asset_client.core.redact.excerpt` or
``shown``, which redact the credentials and bound the length (and, for ``shown``, the
nesting depth).

``str(e)`` is the message alone (the class name is what ``repr`` and tracebacks add);
the parts of it (code, status, page) are attributes, so the message can be re-told for a
single lookup, where "page 1" means nothing to the caller (see `relabel_for_lookup`).
"""

from __future__ import annotations

__all__ = [
    "ApiError",
    "AssetClientError",
    "AuthenticationError",
    "InvalidParameterError",
    "LimiterBusyError",
    "LimiterUnavailableError",
    "PaginationError",
    "ParameterRejectedError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseDecodeError",
    "ResponseTooLargeError",
    "ServerError",
    "TransportError",
    "numeric_code",
    "relabel_for_lookup",
]


def numeric_code(code: str | None) -> int | str | None:
    """The server's code as an ``int`` when it is a whole number (``"6003"`` -> 6003),
    else as sent (a text code stays text; no code stays None)."""
    if code is None:
        return None
    text = code.strip()
    digits = text[1:] if text[:1] in "+-" else text
    if digits.isascii() and digits.isdigit():
        return int(text)
    return code


class AssetClientError(Exception):
    """Base class of every error asset_client raises."""

    #: Whether asking again may succeed (server hiccup, rate limit, broken body).
    retryable: bool = False
    #: Set for a single lookup (``uid N``): the message names it instead of the page.
    lookup: str | None = None


class ApiError(AssetClientError):
    """The server answered with an error code or an error HTTP status."""

    def __init__(
        self,
        message: str,
        *,
        code: str | int | None = None,
        status: int | None = None,
        page_no: int | None = None,
    ) -> None:
        #: The code exactly as the server sent it, as text (``"29001"``), or None.
        self.raw_code: str | None = None if code is None else str(code)
        #: The code as an ``int`` when numeric (what to compare against), else as sent.
        self.code: int | str | None = numeric_code(self.raw_code)
        self.status = status
        self.page_no = page_no
        self.message = message
        super().__init__(self._describe())
        # Set again: a cooperative base (`InvalidParameterError`, for
        # `ParameterRejectedError`) has just been given the described text.
        self.message = message

    def _describe(self) -> str:
        parts = [self.message]
        if self.raw_code is not None:
            parts.append(f"code={self.raw_code}")
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.lookup is not None:
            parts.append(self.lookup)
        elif self.page_no is not None:
            parts.append(f"page {self.page_no}")
        return ", ".join(parts)

    def __str__(self) -> str:
        return self._describe()


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
        code: str | int | None = None,
        status: int | None = None,
        page_no: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.retry_after = retry_after
        super().__init__(message, code=code, status=status, page_no=page_no)


class ServerError(ApiError):
    """HTTP 5xx or code 500: the server or a gateway failed; worth retrying."""

    retryable = True


class InvalidParameterError(AssetClientError, ValueError):
    """A bad argument, refused before any request; ``field`` names it.

    The server's own refusal of a parameter is `ParameterRejectedError`, an `ApiError`
    that is also one of these, so code that catches this class catches both.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.message = message
        self.field = field
        super().__init__(message)


class ParameterRejectedError(ApiError, InvalidParameterError):
    """The server refused a parameter (codes 1 and 402), e.g. a page size it thinks too
    large: an `ApiError` with the server's code, and an `InvalidParameterError` too."""

    def __init__(
        self,
        message: str,
        *,
        code: str | int | None = None,
        status: int | None = None,
        page_no: int | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message, code=code, status=status, page_no=page_no)
        self.field = field


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
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.lookup is not None:
            return f"{self.message} ({self.lookup})"
        if self.page_no is not None:
            return f"{self.message} (page {self.page_no})"
        return self.message


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

    The message ends with what to check next (DNS, host and port, proxy, firewall).
    Retryable, except when the page's whole time budget (``page_timeout``) is spent.
    """

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        self.retryable = retryable
        super().__init__(message)


class LimiterUnavailableError(AssetClientError):
    """The shared limiter (e.g. Redis) cannot be reached: nothing was sent.

    Not retried by the client: waiting on an unshared clock instead would break the
    one-budget-per-key promise.  Start the limiter's server, or choose another backend.
    ``backend`` names the backend that failed (``host``, ``redis``), for advice.
    """

    def __init__(self, message: str, *, backend: str | None = None) -> None:
        self.backend = backend
        super().__init__(message)


class LimiterBusyError(AssetClientError):
    """The send slot could not be had within the caller's ``max_wait``: nothing was sent.

    The caller's place in line was given back (no slot taken from the others).
    ``retry_after`` is the client's estimate, in seconds, of when a slot could be had
    (a lower bound when other processes share the key).  Never retried by the client.
    """

    def __init__(self, message: str, *, retry_after: float, endpoint: str | None = None) -> None:
        self.retry_after = retry_after
        self.endpoint = endpoint
        super().__init__(message)


class PaginationError(AssetClientError):
    """The server's pages contradict each other (uids out of order), so the walk cannot
    promise every record exactly once."""


def relabel_for_lookup(exc: AssetClientError, uid: int) -> AssetClientError:
    """Tell ``exc`` as the failure of a lookup of ``uid``: "uid N", not "page 1"."""
    exc.lookup = f"uid {uid}"
    return exc
