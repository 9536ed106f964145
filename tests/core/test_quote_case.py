"""One rule for ``quote`` in the library and the CLI: any case, sent lower case."""

from __future__ import annotations

from datetime import UTC

import pytest

from asset_client import InvalidParameterError
from asset_client.cli.base import UsageError as _UsageError
from asset_client.cli.export import export_settings as _settings
from asset_client.cli.main import build_parser
from asset_client.core.query import validate_query


@pytest.mark.parametrize(("given", "sent"), [("USDT", "usdt"), ("Usdc", "usdc"), ("usdc", "usdc")])
def test_library_and_cli_take_any_case_and_agree(given: str, sent: str) -> None:
    assert validate_query(quote=given, server_tz=UTC).quote == sent
    args = build_parser().parse_args(["export", "--sandbox", "--out", "x.csv", "--quote", given])
    assert _settings(args).quote == sent


def test_an_unknown_quote_is_refused_by_both() -> None:
    with pytest.raises(InvalidParameterError, match="quote must be one of"):
        validate_query(quote="EUR", server_tz=UTC)
    with pytest.raises(_UsageError, match="invalid choice: 'eur'"):
        build_parser().parse_args(["export", "--sandbox", "--out", "x.csv", "--quote", "EUR"])
