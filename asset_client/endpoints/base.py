"""What describes a partner endpoint (pure): path, method, parameters, records, order, limits.

The client, the walk, signing, retries and export read these fields and nothing
endpoint-specific; a new endpoint is one small file that fills them in.  Sharp edge: the
request is built once as a `WireRequest`, and its ``signed_text`` and its bytes on the wire
come from that one object, so what is signed is always what is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import tzinfo
from typing import Any, Generic, Literal, Protocol, TypeVar

from attrs import frozen

from asset_client._errors import InvalidParameterError
from asset_client._query import decoded_query_string, encoded_query_string, validate_page_size
from asset_client._signing import sign, sign_body
from asset_client._walk import Order

__all__ = ["Endpoint", "Order", "PageLimits", "PageOf", "WireRequest"]

R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)
Q = TypeVar("Q")
P = TypeVar("P", bound="PageOf[Any]")


class PageOf(Protocol[R_co]):
    """What every endpoint's decoder returns (`AssetPage`, `InviteePage`, `VolumePage`)."""

    @property
    def page_no(self) -> int: ...
    @property
    def page_size(self) -> int: ...
    @property
    def total(self) -> int: ...
    @property
    def items(self) -> tuple[R_co, ...]: ...


@frozen
class WireRequest:
    """One request exactly as signed and sent: GET with a query, or POST with a body."""

    method: Literal["GET", "POST"]
    path: str
    params: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None

    def url(self, base_url: str) -> str:
        """The URL, query already percent-encoded (the HTTP layer must not re-encode it)."""
        query = encoded_query_string(self.params)
        return f"{base_url}{self.path}?{query}" if query else f"{base_url}{self.path}"

    def signature(self, secret_key: str, timestamp_ms: str) -> str:
        if self.method == "POST":
            return sign_body(secret_key, timestamp_ms, self.path, self.body or b"{}")
        return sign(secret_key, timestamp_ms, "GET", self.path, decoded_query_string(self.params))


@frozen
class PageLimits:
    """Page sizes: what a walk asks for, what it falls back to if refused, the most allowed."""

    default: int
    fallback: int | None
    max: int
    single: int  # what a single-page call asks for unless told

    def check(self, page_size: object, field: str = "page_size") -> int:
        """The size if it is an integer from 1 to ``max``; else `InvalidParameterError`."""
        size = validate_page_size(page_size, field)
        if size > self.max:
            raise InvalidParameterError(
                f"{field} must be an integer from 1 to {self.max}, got {page_size!r}", field=field
            )
        return size


@frozen(kw_only=True)
class Endpoint(Generic[Q, R, P]):
    """One endpoint of the partner API, as data: query ``Q``, record ``R``, page ``P``."""

    name: str  #: short name (``--dataset``)
    path: str
    method: Literal["GET", "POST"]
    record_type: type[R]
    #: keyword filters -> validated query (raises `InvalidParameterError` before any I/O)
    validate: Callable[..., Q]
    #: (query, page_no, page_size) -> the request
    build: Callable[[Q, int, int], WireRequest]
    #: (data, page_no, page_size, server_tz, secrets) -> decoded page; raises
    #: `ResponseDecodeError`, bounded, with every one of ``secrets`` redacted
    decode: Callable[[object, int, int, tzinfo, Sequence[str]], P]
    #: how the server sorts, and what identifies a record: what `Walk` needs
    order: Order[R]
    limits: PageLimits
    limit_bucket: str  #: which per-interface rate limit it draws from
