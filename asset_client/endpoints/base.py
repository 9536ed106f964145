"""What describes a partner endpoint (pure): path, method, parameters, records, order, limits.

The client, the walk, signing, retries and export read these fields and nothing
endpoint-specific; a new endpoint is one small file that fills them in.  Sharp edge: the
request is built once as a `WireRequest`, and its ``signed_text`` and its bytes on the wire
come from that one object, so what is signed is always what is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, tzinfo
from typing import Any, Generic, Literal, Protocol, TypeVar

from attrs import frozen

from asset_client.core.query import check_int, decoded_query_string, encoded_query_string
from asset_client.core.signing import sign, sign_body
from asset_client.core.walk import Order

__all__ = [
    "PARTNER_LIMITS",
    "Endpoint",
    "Order",
    "PageLimits",
    "PageOf",
    "WireRequest",
    "get_request",
    "keyword_decoder",
]

R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)
Q = TypeVar("Q")
P = TypeVar("P", bound="PageOf[Any]")
P_co = TypeVar("P_co", bound="PageOf[Any]", covariant=True)


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
        return check_int(page_size, field, 1, self.max)


#: Every partner endpoint's page sizes today.  The docs give 1000 and 100 as the maximum:
#: a walk asks 1000 and falls back to 100 if refused; a single-page call asks 100.
PARTNER_LIMITS = PageLimits(default=1000, fallback=100, max=1000, single=100)

#: (data, page_no, page_size, server_tz, secrets) -> decoded page
Decoder = Callable[[object, int, int, tzinfo, Sequence[str]], P]


class KeywordDecoder(Protocol[P_co]):
    """A decoder as the ``_decode`` modules write them: everything after ``data`` by name."""

    def __call__(
        self,
        data: object,
        *,
        page_no: int,
        page_size: int,
        server_tz: tzinfo,
        secrets: Sequence[str] = (),
    ) -> P_co: ...


def keyword_decoder(decode: KeywordDecoder[P]) -> Decoder[P]:
    """``decode`` called the way `Endpoint.decode` is called (positionally)."""

    def positional(
        data: object, page_no: int, page_size: int, server_tz: tzinfo, secrets: Sequence[str] = ()
    ) -> P:
        return decode(
            data, page_no=page_no, page_size=page_size, server_tz=server_tz, secrets=secrets
        )

    return positional


def get_request(
    path: str, build_params: Callable[[Q, int, int], Sequence[tuple[str, str]]]
) -> Callable[[Q, int, int], WireRequest]:
    """A GET endpoint's ``build``: ``build_params``' pairs, in their order, on ``path``."""

    def build(query: Q, page_no: int, page_size: int) -> WireRequest:
        return WireRequest("GET", path, tuple(build_params(query, page_no, page_size)))

    return build


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
    decode: Decoder[P]
    #: how the server sorts, and what identifies a record: what `Walk` needs
    order: Order[R]
    limits: PageLimits
    limit_bucket: str  #: which per-interface rate limit it draws from
    #: the record fields that together identify a record (what ``order.identity`` returns,
    #: one value for one field, else a tuple): stored and read back by these names
    key_fields: tuple[str, ...]
    #: the record field the server sorts by (``order.sort_key`` reads it)
    sort_field: str
    #: the ``validate`` keywords that bound its time window (start, end), if it has one;
    #: they are also the validated query's attribute names
    window_filters: tuple[str, str] | None = None
    #: (query, now, server_tz) -> the query with an open window filled with what the
    #: server means by it, for callers that must freeze it (a resumable export); None:
    #: an open window is not time-bound (walked as asked)
    open_window: Callable[[Q, datetime, tzinfo], Q] | None = None
    #: (query, now, server_tz) -> the query a walk sends, resolved when the walk starts
    #: (e.g. a window frozen at "now"); None: sent as validated
    prepare: Callable[[Q, datetime, tzinfo], Q] | None = None
