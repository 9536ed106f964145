"""Records as a pandas DataFrame whose columns are Arrow-backed (`pandas.ArrowDtype`).

Sharp edge: amounts stay ``decimal128(38, 18)[pyarrow]`` — exact, summable, comparable —
rather than float64 or ``object`` columns of `Decimal`; times are aware
(``timestamp[us, tz=UTC][pyarrow]``).  ``df["col"].astype(float)`` is the caller's choice.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from asset_client.frames.arrow import to_arrow

try:
    import pandas as pd
except ImportError as exc:  # pragma: no cover - the extra is missing
    raise ImportError(
        "asset_client.frames.to_pandas needs pandas: pip install 'asset-client[frames]'"
    ) from exc

__all__ = ["to_pandas"]


def to_pandas(records: Iterable[Any], record_type: type | None = None) -> pd.DataFrame:
    """``records`` (all of one record class) as a DataFrame with `pandas.ArrowDtype`
    columns: exact decimals, aware UTC times, nullable integers."""
    return to_arrow(records, record_type).to_pandas(types_mapper=pd.ArrowDtype)
