"""Records into the DataFrame stack: `to_arrow` (pyarrow) and `to_pandas` (pandas).

Optional (``asset-client[frames]``); `import asset_client` never imports this package.
Sharp edge: amounts are ``decimal128(38, 18)`` everywhere (see `asset_client.frames.columns`);
a value that does not fit is refused, never rounded.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from asset_client.frames.columns import PRECISION, SCALE, DecimalRangeError, plain_row

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

__all__ = [
    "PRECISION",
    "SCALE",
    "DecimalRangeError",
    "arrow_schema",
    "plain_row",
    "to_arrow",
    "to_pandas",
]

# pyarrow and pandas are imported when a conversion is asked for, not with the package:
# the dlt source needs only the column rules (`plain_row`).


def to_arrow(records: Iterable[Any], record_type: type | None = None) -> pa.Table:
    """``records`` (all of one record class) as a `pyarrow.Table`: ``decimal128(38, 18)``
    amounts (exact, or `DecimalRangeError`), ``timestamp[us, UTC]`` times, ``date32`` days;
    ``record_type`` is needed only for an empty input."""
    from asset_client.frames.arrow import to_arrow as convert

    return convert(records, record_type)


def arrow_schema(record_type: type) -> pa.Schema:
    """The Arrow schema of ``record_type``'s records."""
    from asset_client.frames.arrow import arrow_schema as schema

    return schema(record_type)


def to_pandas(records: Iterable[Any], record_type: type | None = None) -> pd.DataFrame:
    """``records`` (all of one record class) as a DataFrame with `pandas.ArrowDtype`
    columns: exact ``decimal128(38, 18)`` amounts, aware UTC times, nullable integers."""
    from asset_client.frames.dataframe import to_pandas as convert

    return convert(records, record_type)
