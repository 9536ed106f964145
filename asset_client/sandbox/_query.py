"""The assets endpoint's query as the server reads it: split, decode, validate (pure).

The sharp edge: the signature covers the *decoded* query in the order sent, so `split_query`
rebuilds exactly that from the raw query string; a known parameter given twice is refused
(which value the real server keeps is undocumented).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final
from urllib.parse import unquote_plus

import attrs

from asset_client.sandbox._data import QUOTES
from asset_client.sandbox._times import parse_time

__all__ = ["AssetQuery", "InvalidParameter", "parse_params", "split_query"]

_INT_RE: Final = re.compile(r"[0-9]{1,19}")
_JAVA_INT_MAX: Final = 2**31 - 1  # pageNo/pageSize are documented as Integer
_JAVA_LONG_MAX: Final = 2**63 - 1  # uid is documented as Long
_KNOWN_PARAMS: Final = frozenset({"uid", "startTime", "endTime", "quote", "pageNo", "pageSize"})


class InvalidParameter(ValueError):
    """A query parameter the server rejects with code 1."""

    def __init__(self, name: str, value: str) -> None:
        super().__init__(f"invalid parameter: {name}={value}")
        self.name = name
        self.value = value


@attrs.frozen(kw_only=True)
class AssetQuery:
    """Validated parameters; ``page_size`` is the effective (possibly clamped) size."""

    page_no: int = 1
    page_size: int = 20
    quote: str = "usdt"
    uid: int | None = None
    start: int | None = None  # seconds since the data origin
    end: int | None = None

    @property
    def offset(self) -> int:
        return (self.page_no - 1) * self.page_size


def split_query(raw_query: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Raw query string -> (decoded query as CoinW signs it, decoded params in order).

    Each name and value is percent-decoded ('+' read as a space, as form encoding does) and
    re-joined as ``k=v&k=v`` in the order received; the server has no other way to rebuild
    what the client signed.
    """
    if not raw_query:
        return "", ()
    decoded: list[str] = []
    params: list[tuple[str, str]] = []
    for part in raw_query.split("&"):
        name, sep, value = part.partition("=")
        name, value = unquote_plus(name), unquote_plus(value)
        decoded.append(f"{name}{sep}{value}")
        if name:
            params.append((name, value))
    return "&".join(decoded), tuple(params)


def _integer(name: str, value: str, lo: int, hi: int) -> int:
    if not _INT_RE.fullmatch(value) or not lo <= int(value) <= hi:
        raise InvalidParameter(name, value)
    return int(value)


def parse_params(
    params: Sequence[tuple[str, str]],
    *,
    max_page_size: int = 1000,
    clamp_page_size: int | None = None,
    default_page_size: int = 20,
) -> AssetQuery:
    """Validate decoded params like the server does; raise InvalidParameter on the first bad one.

    Unknown names are ignored; a known name given twice is rejected (which value would win is
    undocumented, so a client must never rely on it).
    """
    seen: dict[str, str] = {}
    for name, value in params:
        if name not in _KNOWN_PARAMS:
            continue
        if name in seen:
            raise InvalidParameter(name, value)
        seen[name] = value

    page_no = 1
    page_size = default_page_size
    quote = "usdt"
    uid: int | None = None
    start: int | None = None
    end: int | None = None
    for name, value in seen.items():
        if name == "pageNo":
            page_no = _integer(name, value, 1, _JAVA_INT_MAX)
        elif name == "pageSize":
            ceiling = _JAVA_INT_MAX if clamp_page_size is not None else max_page_size
            page_size = _integer(name, value, 1, ceiling)
        elif name == "quote":
            if value not in QUOTES:
                raise InvalidParameter(name, value)
            quote = value
        elif name == "uid":
            uid = _integer(name, value, 1, _JAVA_LONG_MAX)
        else:  # startTime / endTime
            moment = parse_time(value)
            if moment is None:
                raise InvalidParameter(name, value)
            if name == "startTime":
                start = moment
            else:
                end = moment
    if start is not None and end is not None and start > end:
        raise InvalidParameter("startTime", seen["startTime"])
    if clamp_page_size is not None:
        page_size = min(page_size, clamp_page_size)
    return AssetQuery(
        page_no=page_no, page_size=page_size, quote=quote, uid=uid, start=start, end=end
    )
