"""Records into the DataFrame stack: `to_arrow` (pyarrow) and `to_pandas` (pandas).

Optional (``asset-client[frames]``); `import asset_client` never imports this package.
Sharp edge: amounts are ``decimal128(38, 18)`` everywhere (see `asset_client.frames.columns`);
a value that does not fit is refused, never rounded.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from asset_client.frames.arrow import arrow_schema, to_arrow
from asset_client.frames.columns import PRECISION, SCALE, DecimalRangeError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["PRECISION", "SCALE", "DecimalRangeError", "arrow_schema", "to_arrow", "to_pandas"]


def to_pandas(records: Iterable[Any], record_type: type | None = None) -> pd.DataFrame:
    """``records`` (all of one record class) as a DataFrame with `pandas.ArrowDtype`
    columns: exact ``decimal128(38, 18)`` amounts, aware UTC times, nullable integers."""
    # pandas only when asked: the Parquet export needs pyarrow alone.
    from asset_client.frames.dataframe import to_pandas as convert

    return convert(records, record_type)
