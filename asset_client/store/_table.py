"""An endpoint as the history stores it: its table's columns, and record <-> row (pure).

A dataset's table is named after the endpoint (``assets``, ``invitees``, ``volume``):
its key columns are ``endpoint.key_fields`` (uid first: the history is of invitees),
its value columns the record's other fields, in the record's order.  Values are stored
exactly as the export writes them: exact decimal strings, ISO 8601 dates and times (with
their offset), ``None`` for missing.  The sharp edge: two rows are the same version only
if every string is equal, so ``"1.10"`` and ``"1.1"`` differ: the history keeps what the
server sent, not a normalisation of it.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

import attrs
from attrs import field, frozen

from asset_client.endpoints.base import Endpoint

__all__ = ["DatasetTable", "Row", "table_of"]

#: key values (uid an int, the rest text), then the value strings
Row = tuple[Any, ...]
Render = Callable[[Any], Any]
Parse = Callable[[Any], Any]

#: Names the file uses for its own tables: no dataset may take them.
_RESERVED: Final = frozenset({"series", "snapshots"})
_NAME = re.compile(r"[a-z][a-z0-9_]*")


def _money(value: Decimal) -> str:
    # The export's text (format(d, "f")); str() is several times cheaper and the same text
    # unless it chose an exponent ("0E-8") or the value is not finite.
    text = str(value)
    if "E" in text or not text[-1].isdigit():
        if not value.is_finite():
            raise ValueError(f"refusing to store a non-finite amount: {value!r}")
        return format(value, "f")
    return text


def _bool(value: bool) -> str:
    return "true" if value else "false"


#: type -> (render as stored, parse back, SQL type); bool before int, datetime before date.
_CODECS: Final[tuple[tuple[type, Render, Parse, str], ...]] = (
    (bool, _bool, lambda text: text == "true", "TEXT"),
    (int, str, int, "INTEGER"),
    (Decimal, _money, Decimal, "TEXT"),
    (datetime, datetime.isoformat, datetime.fromisoformat, "TEXT"),
    (date, date.isoformat, date.fromisoformat, "TEXT"),
    (str, str, str, "TEXT"),
)


def _unwrap_optional(hint: Any) -> tuple[Any, bool]:
    """(the type, whether None is allowed) of ``X`` or ``X | None``."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return hint, False


@frozen
class _Field:
    name: str
    type: type
    optional: bool
    render: Render
    parse: Parse
    sql_type: str


def _fields(record_type: type) -> list[_Field]:
    if not attrs.has(record_type):
        raise TypeError(
            f"{record_type.__name__} is not an attrs class: the history cannot store it"
        )
    hints = typing.get_type_hints(record_type)
    out: list[_Field] = []
    for attribute in attrs.fields(record_type):
        hint, optional = _unwrap_optional(hints[attribute.name])
        codec = next(
            (c for c in _CODECS if isinstance(hint, type) and issubclass(hint, c[0])), None
        )
        if codec is None:
            raise TypeError(
                f"{record_type.__name__}.{attribute.name}: the history cannot store a {hint!r}"
            )
        kind, render, parse, sql_type = codec
        out.append(_Field(attribute.name, kind, optional, render, parse, sql_type))
    return out


@frozen(kw_only=True)
class DatasetTable:
    """One dataset's table: its name, key and value columns, and its record <-> row."""

    name: str  #: the endpoint's name, and its table's
    record_type: type
    keys: tuple[str, ...]  #: key columns, uid first
    columns: tuple[str, ...]  #: value columns: the record's other fields, in its order
    key_sql_types: tuple[str, ...]
    required: frozenset[str]  #: value columns that are never None (NOT NULL)
    #: the required decimal fields: a snapshot keeps their exact sums
    sum_fields: tuple[str, ...]
    #: the date key field a window of days bounds (volume's ``day``): the endpoint sorts
    #: by it and filters on a window; a sync walks a window of it, and only rows inside
    #: the window can be gone.  None: a sync walks the whole dataset.
    window_key: str | None
    #: the endpoint's window filters (start, end), if it has a window
    window_filters: tuple[str, str] | None
    _row: Callable[[Any], Row] = field(eq=False, repr=False)
    _key_parses: tuple[Parse, ...] = field(eq=False, repr=False)
    _parses: tuple[Parse, ...] = field(eq=False, repr=False)

    @property
    def table(self) -> str:
        """The table's name (the dataset's: one name everywhere)."""
        return self.name

    @property
    def seen_table(self) -> str:
        """Where a sync marks the keys it has seen (empty outside a sync)."""
        return f"sync_seen_{self.name}"

    def row(self, record: Any) -> Row:
        """``record`` as stored: keys, then values (exact strings; None for missing)."""
        return self._row(record)

    def key(self, stored: Sequence[Any]) -> tuple[Any, ...]:
        """The typed key from its stored values (uid int, a day a `date`...)."""
        return tuple(parse(v) for parse, v in zip(self._key_parses, stored, strict=True))

    def record(self, key: Sequence[Any], values: Sequence[str | None]) -> Any:
        """The typed record back from its key and stored strings (exact)."""
        typed = [
            None if v is None else parse(v) for parse, v in zip(self._parses, values, strict=True)
        ]
        return self.record_type(
            **dict(zip(self.keys, key, strict=True)), **dict(zip(self.columns, typed, strict=True))
        )


def table_of(endpoint: Endpoint[Any, Any, Any]) -> DatasetTable:
    """The table ``endpoint``'s records go to; `ValueError` or `TypeError` if it cannot
    be stored (a name the file uses, a key without uid first, a field type it cannot
    render exactly)."""
    name = endpoint.name
    if not _NAME.fullmatch(name) or name in _RESERVED or name.startswith(("sqlite", "sync_seen")):
        raise ValueError(
            f"a dataset cannot be called {name!r} in a history: a name the file uses, or "
            "not a lower-case identifier"
        )
    fields = {f.name: f for f in _fields(endpoint.record_type)}
    keys = tuple(endpoint.key_fields)
    if not keys or keys[0] != "uid" or fields.get("uid") is None or fields["uid"].type is not int:
        raise ValueError(
            f"{name}: a history is of invitees, so a key starts with an int uid; got {keys!r}"
        )
    missing = [k for k in keys if k not in fields]
    if missing:
        raise ValueError(
            f"{name}: key fields {missing!r} are not fields of {endpoint.record_type.__name__}"
        )
    values = [f for f in fields.values() if f.name not in keys]
    if not values:
        raise ValueError(f"{name}: a record needs a field besides its key to be kept in a history")
    key_fields = [fields[k] for k in keys]
    sort = fields.get(endpoint.sort_field)
    windowed = (
        endpoint.window_filters is not None
        and endpoint.sort_field in keys[1:]
        and sort is not None
        and sort.type is date
    )
    return DatasetTable(
        name=name,
        record_type=endpoint.record_type,
        keys=keys,
        columns=tuple(f.name for f in values),
        key_sql_types=tuple(f.sql_type for f in key_fields),
        required=frozenset(f.name for f in values if not f.optional),
        sum_fields=tuple(f.name for f in values if f.type is Decimal and not f.optional),
        window_key=endpoint.sort_field if windowed else None,
        window_filters=endpoint.window_filters,
        row=_row_function(key_fields, values),
        key_parses=tuple(_identity if f.type is int else f.parse for f in key_fields),
        parses=tuple(f.parse for f in values),
    )


def _identity(value: Any) -> Any:
    return value


def _row_function(keys: Sequence[_Field], values: Sequence[_Field]) -> Callable[[Any], Row]:
    """record -> row, compiled once per table as a lambda that reads each field and renders
    it in place, as a hand-written one would.  Why: a sync renders every record it walks,
    and the generic loop (a render call per field through ``zip``) costs about 40 % more
    per record.  The source holds only attribute names of an attrs class (identifiers)."""
    parts: list[str] = []
    scope: dict[str, Render] = {}
    for i, f in enumerate([*keys, *values]):
        if f in keys and f.type is int:
            parts.append(f"r.{f.name}")  # an int key stays an int (an INTEGER column)
            continue
        scope[f"_{i}"] = f.render
        call = f"_{i}(r.{f.name})"
        if f.optional:
            call = f"None if (v := r.{f.name}) is None else _{i}(v)"
        parts.append(call)
    compiled: Callable[[Any], Row] = eval(f"lambda r: ({', '.join(parts)},)", scope)  # noqa: S307
    return compiled
