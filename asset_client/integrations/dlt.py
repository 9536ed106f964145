"""A dlt source for CoinW's partner API: invitees, their daily volume and their assets,
loaded incrementally into any dlt destination (DuckDB, Postgres, BigQuery, Snowflake...).

A thin declarative face over the library's own walks (through `SyncAssetClient`: rate
limit, retries, typed errors and exact values all apply); dlt keeps the state, the schema
and the merges.  Amounts are ``decimal(38, 18)`` columns (exact; one that does not fit is
refused, never rounded: `asset_client.frames.columns`), times are UTC timestamps.
Sharp edge: the incremental cursors re-read a window on purpose (``registration_overlap``
seconds of registrations, ``volume_lag_days`` days of volume, which CoinW may still
revise); the merges on the primary keys make the re-read rows replace, never duplicate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from asset_client.client.blocking import SyncAssetClient
from asset_client.client.client import DEFAULT_BASE_URL
from asset_client.core.query import Quote
from asset_client.frames.columns import PRECISION, SCALE, Kind, columns, plain_row
from asset_client.records import DailyVolume, Invitee, InviteeAsset

try:
    import dlt
    from dlt.common.data_types.typing import TDataType
    from dlt.common.schema.typing import TColumnSchema
    from dlt.extract.resource import DltResource
    from dlt.sources import incremental
except ImportError as exc:  # pragma: no cover - the extra is missing
    raise ImportError(
        "asset_client.integrations.dlt needs dlt: pip install 'asset-client[dlt]'"
    ) from exc

__all__ = ["coinw_partner_source"]

#: Opens a client for one resource's walk (closed when the walk ends).
Connect = Callable[[], SyncAssetClient]

_DLT_TYPES: dict[Kind, TDataType] = {
    Kind.INT: "bigint",
    Kind.STR: "text",
    Kind.DECIMAL: "decimal",
    Kind.TIMESTAMP: "timestamp",
    Kind.DATE: "date",
}


def _hints(record_type: type) -> dict[str, TColumnSchema]:
    """dlt column hints of a record class: exact decimals, nullability from the class."""
    hints: dict[str, TColumnSchema] = {}
    for column in columns(record_type):
        hint: TColumnSchema = {"data_type": _DLT_TYPES[column.kind], "nullable": column.nullable}
        if column.kind is Kind.DECIMAL:
            hint["precision"] = PRECISION
            hint["scale"] = SCALE
        hints[column.name] = hint
    return hints


@dlt.source(name="coinw_partner", section="coinw_partner")
def coinw_partner_source(
    api_key: str = dlt.secrets.value,
    secret_key: str = dlt.secrets.value,
    base_url: str = DEFAULT_BASE_URL,
    quote: Quote = "usdt",
    volume_days: int = 30,
    volume_lag_days: int = 3,
    registration_overlap: int = 3600,
    server_timezone: str = "UTC",
    client_options: dict[str, Any] | None = None,
) -> Sequence[DltResource]:
    """CoinW's partner API as three dlt resources.

    - ``invitees`` (merge on ``uid``): incremental on ``register_time``; a later run asks
      only for registrations from the last one loaded minus ``registration_overlap``
      seconds.
    - ``daily_volume`` (merge on ``uid``, ``day``): the first run loads the past
      ``volume_days`` days; later runs re-read from ``volume_lag_days`` days before the
      last day loaded (recent days can still change).
    - ``invitee_assets`` (merge on ``uid``): the current deposits, withdrawals, balance and
      first deposit of every invitee in ``quote``, read whole each run.

    Credentials the dlt way: ``[sources.coinw_partner]`` in ``.dlt/secrets.toml``, or
    ``SOURCES__COINW_PARTNER__API_KEY`` / ``..._SECRET_KEY``.  ``client_options`` go to
    `SyncAssetClient` (e.g. ``limiter``, ``rate_limit``, ``max_retries``).
    """
    zone = ZoneInfo(server_timezone)
    options = {"base_url": base_url, "server_timezone": zone, **(client_options or {})}

    def client() -> SyncAssetClient:
        return SyncAssetClient(api_key, secret_key, **options)

    return (
        _invitees(client, registration_overlap),
        _daily_volume(client, zone, volume_days, volume_lag_days),
        _invitee_assets(client, quote),
    )


def _invitees(client: Connect, overlap: int) -> DltResource:
    @dlt.resource(
        name="invitees",
        primary_key="uid",
        write_disposition="merge",
        columns=_hints(Invitee),
    )
    def invitees(
        registered: incremental[datetime] = incremental(  # noqa: B008 - dlt's idiom
            "register_time", lag=float(overlap)
        ),
    ) -> Iterator[dict[str, object]]:
        since = registered.start_value  # None on the first run: every invitee ever
        with client() as api, api.iter_invitees(start_time=since) as walk:
            yield from (plain_row(invitee) for invitee in walk)

    return invitees


def _daily_volume(client: Connect, zone: ZoneInfo, days: int, lag_days: int) -> DltResource:
    @dlt.resource(
        name="daily_volume",
        primary_key=("uid", "day"),
        write_disposition="merge",
        columns=_hints(DailyVolume),
    )
    def daily_volume(
        day: incremental[date] = incremental("day", lag=float(lag_days)),  # noqa: B008
    ) -> Iterator[dict[str, object]]:
        today = datetime.now(zone).date()
        first = today - timedelta(days=days - 1)
        start = first if day.start_value is None else max(day.start_value, first)
        with client() as api, api.iter_trading_volume(start_date=start, end_date=today) as walk:
            yield from (plain_row(volume) for volume in walk)

    return daily_volume


def _invitee_assets(client: Connect, quote: Quote) -> DltResource:
    @dlt.resource(
        name="invitee_assets",
        primary_key="uid",
        write_disposition="merge",
        columns=_hints(InviteeAsset),
    )
    def invitee_assets() -> Iterator[dict[str, object]]:
        with client() as api, api.iter_invitee_assets(quote=quote) as walk:
            yield from (plain_row(asset) for asset in walk)

    return invitee_assets
