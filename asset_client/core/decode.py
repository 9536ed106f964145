"""Turning the server's JSON into typed records (pure, no I/O).

A cattrs converter maps camelCase to snake_case and structures money as exact
``Decimal`` and times as aware ``datetime``.  Unknown fields are ignored (forward
compatible); a missing or malformed field raises `ResponseDecodeError` naming the
field, the value and the page.  The sharp edge is hostile input: integers are bounded
by the server's Java ``long`` before conversion, a JSON amount's exponent is bounded
(``1e-999999999`` would print as a gigabyte of zeros), values in messages are shown
bounded and redacted, and one uid twice in a page with different values is an error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from datetime import datetime, tzinfo
from decimal import Decimal, InvalidOperation
from functools import cache
from operator import attrgetter
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, override

from asset_client.core.query import JAVA_LONG_MAX
from asset_client.core.redact import redact, redacting, shown
from asset_client.errors import ResponseDecodeError
from asset_client.records import AssetPage, InviteeAsset

__all__ = ["decode_list", "decode_page", "make_converter"]

R = TypeVar("R")

# Plain decimal notation only: the server sends "15000.00000000".  Exponents ("1e5"),
# NaN and Infinity are refused rather than guessed at.
_DECIMAL_RE = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")
_TIME_LEN = len("yyyy-MM-dd HH:mm:ss")
_ZERO = Decimal(0)
_DECIMAL_CHARS = "0123456789.+-"
_LONG_DIGITS = len(str(JAVA_LONG_MAX))
#: Bounds on a JSON number's exponent: beyond them an amount would print as millions
#: of digits from a few bytes.  Real amounts have at most 18 decimals.
_MAX_SCALE = 1000
_MAX_EXPONENT = 1000


class _FieldValueError(ValueError):
    """Raised by a hook; carries the offending value for the final message."""

    def __init__(self, value: object, expected: str) -> None:
        self.value = value
        self.expected = expected
        super().__init__(expected)

    def __str__(self) -> str:
        # Shown when read, not when raised: the reader redacts (`redacting`) before the cut.
        return f"expected {self.expected}, got {shown(self.value)}"


def _to_decimal(value: object) -> Decimal:
    if type(value) is str:
        # Cheap pre-check (one C call) before the exact one: digits, sign and dot only.
        if not value.strip(_DECIMAL_CHARS) and _DECIMAL_RE.fullmatch(value):
            return Decimal(value)
    elif isinstance(value, Decimal):  # JSON numbers are parsed to Decimal, never float
        exponent = value.as_tuple().exponent
        # Digits in the text are bounded by the body; only the exponent amplifies.
        if isinstance(exponent, int) and -_MAX_SCALE <= exponent <= _MAX_EXPONENT:
            return value
    elif isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    raise _FieldValueError(value, "a decimal amount like '15000.00000000'")


def _plain_decimal(value: str) -> Decimal | None:
    """The hot path (4 amounts a record): only digits, signs and dots may reach
    Decimal(), which then refuses any malformed mix ("1.2.3", "--1")."""
    if value and not value.strip(_DECIMAL_CHARS):
        try:
            return Decimal(value)
        except InvalidOperation:
            return None
    return None


def _amount_or_zero(value: object, _: object) -> Decimal:
    # Totals of a user who never deposited come as "0", "" or null: all mean zero.
    if type(value) is str and (amount := _plain_decimal(value)) is not None:
        return amount
    if value is None or value == "":
        return _ZERO
    return _to_decimal(value)


def _amount_or_none(value: object, _: object) -> Decimal | None:
    if type(value) is str and (amount := _plain_decimal(value)) is not None:
        return amount
    if value is None or value == "":
        return None
    return _to_decimal(value)


def _long(value: object) -> int | None:
    """``value`` as a non-negative Java ``long``, or None.  Digit strings are length-
    checked before `int` so a 5000-digit one is refused, not converted."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif (
        isinstance(value, str)
        and value.isascii()
        and value.isdigit()
        and len(value) <= _LONG_DIGITS
    ):
        number = int(value)
    else:
        return None
    return number if 0 <= number <= JAVA_LONG_MAX else None


def _uid(value: object, _: object) -> int:
    # A Java Long may be sent as a string to survive JavaScript clients.
    uid = _long(value)
    if uid is None or uid == 0:
        raise _FieldValueError(value, f"a positive integer uid up to {JAVA_LONG_MAX}")
    return uid


def _offset_suffix(server_tz: tzinfo) -> str | None:
    """'+HH:MM' for a fixed-offset zone, None for one with DST rules."""
    offset = server_tz.utcoffset(None)
    if offset is None:
        return None
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _time_hook(server_tz: tzinfo) -> Any:
    # Appending a fixed offset to the string is ~7x faster than datetime.replace().
    suffix = _offset_suffix(server_tz)

    def structure_time(value: object, _: object) -> datetime | None:
        if value is None or value == "":
            return None
        # fromisoformat is far faster than strptime; the shape check keeps it strict.
        if isinstance(value, str) and len(value) == _TIME_LEN and value[10] == " ":
            try:
                if suffix is not None:
                    return datetime.fromisoformat(value + suffix)
                return datetime.fromisoformat(value).replace(tzinfo=server_tz)
            except ValueError:
                pass
        raise _FieldValueError(value, "a 'yyyy-MM-dd HH:mm:ss' time")

    return structure_time


_RENAMES = {
    "total_deposit": "totalDeposit",
    "total_withdrawal": "totalWithdrawal",
    "current_balance": "currentBalance",
    "update_time": "updateTime",
    "first_deposit_amount": "firstDepositAmount",
    "first_deposit_time": "firstDepositTime",
}


@cache
def make_converter(server_tz: tzinfo) -> cattrs.Converter:
    """A converter for one server time zone (cached: zones are few, building is slow)."""
    converter = cattrs.Converter(detailed_validation=True)
    converter.register_structure_hook(Decimal, _amount_or_zero)
    converter.register_structure_hook(Decimal | None, _amount_or_none)
    converter.register_structure_hook(datetime | None, _time_hook(server_tz))
    overrides: dict[str, Any] = {name: override(rename=wire) for name, wire in _RENAMES.items()}
    overrides["uid"] = override(struct_hook=_uid)
    converter.register_structure_hook(
        InviteeAsset, make_dict_structure_fn(InviteeAsset, converter, **overrides)
    )
    return converter


@cache
def _record_structurer(server_tz: tzinfo) -> Any:
    # The converter's hook for InviteeAsset, looked up once instead of per record.
    return make_converter(server_tz).get_structure_hook(InviteeAsset)


def _first_field_error(
    exc: BaseException, renames: Mapping[str, str] = _RENAMES
) -> tuple[str | None, object, str]:
    """Dig the first failing field (by its wire name), its value and the reason out of a
    cattrs error."""
    if isinstance(exc, cattrs.ClassValidationError):
        with_notes, _ = exc.group_exceptions()
        for inner, note in with_notes:
            wire = renames.get(note.name, note.name)
            if isinstance(inner, KeyError):
                return wire, None, "missing"
            if isinstance(inner, _FieldValueError):
                return wire, inner.value, str(inner)
            return wire, None, str(inner)
    return None, None, str(exc)


def _int_field(
    data: Mapping[str, Any], name: str, page_no: int, secrets: Sequence[str] = ()
) -> int:
    value = data.get(name)
    number = _long(value)
    if number is not None:
        return number
    raise ResponseDecodeError(
        f"data.{name} must be a non-negative integer up to {JAVA_LONG_MAX}, "
        f"got {shown(value, secrets)}",
        page_no=page_no,
        field=name,
        value=value,
    )


def _total_and_list(data: object, page_no: int, secrets: Sequence[str]) -> tuple[int, list[Any]]:
    """The ``total`` and the raw ``list`` of a paged answer's ``data`` object."""
    if not isinstance(data, Mapping):
        raise ResponseDecodeError(
            f"'data' must be an object, got {shown(data, secrets)}",
            page_no=page_no,
            field="data",
            value=data,
        )
    total = _int_field(data, "total", page_no, secrets)
    raw_items = data.get("list")
    if raw_items is None and total == 0:
        raw_items = []  # an empty result may come without a list
    if not isinstance(raw_items, list):
        raise ResponseDecodeError(
            f"data.list must be a list, got {shown(raw_items, secrets)}",
            page_no=page_no,
            field="list",
            value=raw_items,
        )
    return total, raw_items


def decode_list(
    data: object,
    *,
    page_no: int,
    structure: Callable[[Any, type[R]], R],
    record_type: type[R],
    identity: Callable[[R], Hashable],
    noun: str,
    renames: Mapping[str, str] = _RENAMES,
    secrets: Sequence[str] = (),
) -> tuple[int, list[R]]:
    """``(total, records)`` from the ``data`` object of any paged answer: the one loop
    every endpoint's decoder shares.

    ``structure`` turns one raw record into ``record_type``; ``identity`` names a record
    for `conflicting_copy`; ``renames`` maps field names back to wire names for messages.
    Raises `ResponseDecodeError`, its message bounded and with ``secrets`` redacted.
    """
    total, raw_items = _total_and_list(data, page_no, secrets)
    items: list[R] = []
    seen: dict[Hashable, R] = {}
    for index, raw in enumerate(raw_items):
        if type(raw) is not dict and not isinstance(raw, Mapping):
            raise ResponseDecodeError(
                f"data.list[{index}] must be an object, got {shown(raw, secrets)}",
                page_no=page_no,
                field=f"list[{index}]",
                value=raw,
            )
        try:
            item = structure(raw, record_type)
        except Exception as exc:  # cattrs wraps every hook failure in an exception group
            with redacting(secrets):  # the failing value was shown (and cut) by a hook
                field, value, reason = _first_field_error(exc, renames)
            raise ResponseDecodeError(
                redact(
                    f"data.list[{index}].{field} (uid {shown(raw.get('uid'), secrets)}): {reason}",
                    secrets,
                ),
                page_no=page_no,
                field=field,
                value=value,
            ) from None
        conflicting_copy(seen, identity(item), item, index=index, noun=noun, page_no=page_no)
        items.append(item)
    return total, items


def decode_page(
    data: object,
    *,
    page_no: int,
    page_size: int,
    server_tz: tzinfo,
    secrets: Sequence[str] = (),
) -> AssetPage:
    """Decode the ``data`` object of a successful answer into an `AssetPage`.

    ``secrets`` (API key, secret, signature) are redacted from every message.  A uid
    listed twice in the page with *identical* values is kept twice (the page's length
    still tells the walk how many rows the server served; the walk yields the uid
    once); with different values it is a `ResponseDecodeError` naming the uid.
    """
    total, items = decode_list(
        data,
        page_no=page_no,
        structure=_record_structurer(server_tz),
        record_type=InviteeAsset,
        identity=attrgetter("uid"),
        noun="uid",
        secrets=secrets,
    )
    return AssetPage(page_no=page_no, page_size=page_size, total=total, items=items)


def _fields(item: Any) -> dict[str, str]:
    # str(), not ==: Decimal("1.0") == Decimal("1.00") but they export differently.
    return {a.name: str(getattr(item, a.name)) for a in attrs.fields(type(item))}


def _differs(a: Any, b: Any) -> bool:
    return _fields(a) != _fields(b)


def conflicting_copy(
    seen: dict[Any, Any], ident: Any, item: Any, *, index: int, noun: str, page_no: int
) -> None:
    """The one rule for one record listed twice in a page, for every endpoint: identical
    copies pass (the walk yields the record once), different ones raise
    `ResponseDecodeError` naming the record and the fields that differ."""
    earlier = seen.setdefault(ident, item)
    if earlier is not item and _differs(earlier, item):
        raise ResponseDecodeError(
            f"data.list[{index}]: {noun} {ident} is listed twice in this page with "
            f"different values ({_difference(earlier, item)}); refusing to choose one",
            page_no=page_no,
            field="uid",
            value=ident,
        )


def _difference(a: Any, b: Any) -> str:
    first, second = _fields(a), _fields(b)
    names = [name for name in first if first[name] != second[name]]
    return ", ".join(f"{name}: {first[name][:40]!r} vs {second[name][:40]!r}" for name in names)
