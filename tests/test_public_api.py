"""The public surface: what `import asset_client` offers, and that it types as documented
(mypy checks the `assert_type` lines; at run time they only return their argument)."""

from __future__ import annotations

import contextlib
from datetime import datetime
from decimal import Decimal
from typing import assert_type

import asset_client
from asset_client import AssetClient, AssetPage, InviteeAsset
from asset_client.sandbox import SandboxConfig, run_sandbox


def test_everything_in_all_is_importable_and_nothing_private_leaks() -> None:
    for name in asset_client.__all__:
        assert hasattr(asset_client, name), name
    assert not any(name.startswith("_") and name != "__version__" for name in asset_client.__all__)
    assert asset_client.__version__ != "0.0.0"  # read from the installed metadata


def test_any_endpoint_can_be_walked_and_resumed_with_public_names() -> None:
    for name in ("Endpoint", "ENDPOINTS", "Resume", "LimiterRegistry", "ParameterRejectedError"):
        assert name in asset_client.__all__, name
    assert set(asset_client.ENDPOINTS) == {"assets", "invitees", "volume"}
    assert all(isinstance(e, asset_client.Endpoint) for e in asset_client.ENDPOINTS.values())
    assert asset_client.ENDPOINTS["assets"].limits.default == asset_client.DEFAULT_PAGE_SIZE


def test_errors_form_one_hierarchy() -> None:
    for name in asset_client.__all__:
        value = getattr(asset_client, name)
        if isinstance(value, type) and issubclass(value, Exception):
            assert issubclass(value, asset_client.AssetClientError), name
    assert issubclass(asset_client.InvalidParameterError, ValueError)
    # Refused before any request: not an answer from the server.
    assert not issubclass(asset_client.InvalidParameterError, asset_client.ApiError)


async def test_documented_usage_types_and_runs() -> None:
    async with (
        # A key of its own: one key has one rate per process, whatever server it talks to.
        run_sandbox(
            SandboxConfig(invitees=12, rate_limit=50, window=0.1, api_key="public-api-key")
        ) as sandbox,
        AssetClient(
            sandbox.api_key,
            sandbox.secret_key,
            base_url=sandbox.base_url,
            rate_limit=asset_client.RateLimit(requests=50, period=0.1),
        ) as client,
    ):
        async with contextlib.aclosing(client.iter_invitee_assets(quote="usdt")) as walk:
            async for asset in walk:
                assert_type(asset, InviteeAsset)
                assert_type(asset.uid, int)
                assert_type(asset.total_deposit, Decimal)
                assert_type(asset.update_time, datetime | None)
                assert_type(asset.first_deposit_amount, Decimal | None)
        page = await client.get_invitee_assets_page(page_no=1, page_size=5)
        assert_type(page, AssetPage)
        assert_type(page.total, int)
        assert_type(page.items, tuple[InviteeAsset, ...])
        assert page.total == 12 and len(page.items) == 5
        assert client.stats.requests == 2
