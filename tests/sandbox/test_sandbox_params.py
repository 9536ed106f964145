"""Pure tests of the sandbox's query decoding and parameter validation."""

from __future__ import annotations

import pytest

from asset_client.core.signing import sign
from asset_client.sandbox._query import InvalidParameter, parse_params, split_query


def test_split_query_decodes_in_order() -> None:
    raw = "startTime=2026-03-01%2000%3A00%3A00&endTime=2026-05-21+10:25:00&quote=usdc&pageNo=2"
    decoded, params = split_query(raw)
    assert decoded == (
        "startTime=2026-03-01 00:00:00&endTime=2026-05-21 10:25:00&quote=usdc&pageNo=2"
    )
    assert params[0] == ("startTime", "2026-03-01 00:00:00")
    assert [name for name, _ in params] == ["startTime", "endTime", "quote", "pageNo"]
    assert split_query("") == ("", ())


def test_decoded_query_matches_documented_test_vector() -> None:
    raw = (
        "startTime=2026-03-01%2000%3A00%3A00&endTime=2026-05-21%2010%3A25%3A00"
        "&quote=usdc&pageNo=2&pageSize=100"
    )
    decoded, _ = split_query(raw)
    path = "/api/v3/patener/openapi/v1/partner/invitation/user/assets"
    signature = sign("sk-test", "1700000000000", "GET", path, decoded)
    assert signature == "RMDfZGzDfmIVE9I1k9EzGACLgZa6brxSfa27cR/tBAg="


def test_defaults() -> None:
    query = parse_params([], default_page_size=20)
    assert (query.page_no, query.page_size, query.quote, query.uid) == (1, 20, "usdt", None)
    assert query.start is None and query.end is None and query.offset == 0


def test_valid_params() -> None:
    query = parse_params(
        [
            ("uid", "12345678"),
            ("quote", "usdc"),
            ("pageNo", "3"),
            ("pageSize", "1000"),
            ("startTime", "2026-03-01 00:00:00"),
            ("endTime", "2026-03-01 00:00:00"),
            ("extra", "ignored"),
        ]
    )
    assert (query.uid, query.quote, query.page_no, query.page_size) == (12345678, "usdc", 3, 1000)
    assert query.offset == 2000
    assert query.start == query.end


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ([("pageNo", "0")], "pageNo"),
        ([("pageNo", "-1")], "pageNo"),
        ([("pageNo", "1.5")], "pageNo"),
        ([("pageNo", "")], "pageNo"),
        ([("pageSize", "0")], "pageSize"),
        ([("pageSize", "1001")], "pageSize"),
        ([("pageSize", " 10")], "pageSize"),
        ([("quote", "eur")], "quote"),
        ([("quote", "USDT")], "quote"),
        ([("uid", "0")], "uid"),
        ([("uid", "abc")], "uid"),
        ([("uid", "9223372036854775808")], "uid"),
        ([("startTime", "2026-03-01")], "startTime"),
        ([("endTime", "2026/03/01 00:00:00")], "endTime"),
        ([("startTime", "2026-03-02 00:00:00"), ("endTime", "2026-03-01 00:00:00")], "startTime"),
        ([("pageNo", "1"), ("pageNo", "2")], "pageNo"),
    ],
)
def test_invalid_params(params: list[tuple[str, str]], name: str) -> None:
    with pytest.raises(InvalidParameter) as info:
        parse_params(params)
    assert info.value.name == name
    assert str(info.value).startswith(f"invalid parameter: {name}=")


def test_max_page_size_100_mode() -> None:
    assert parse_params([("pageSize", "100")], max_page_size=100).page_size == 100
    with pytest.raises(InvalidParameter):
        parse_params([("pageSize", "101")], max_page_size=100)


def test_clamp_mode_caps_silently() -> None:
    query = parse_params([("pageSize", "5000"), ("pageNo", "3")], clamp_page_size=100)
    assert query.page_size == 100
    assert query.offset == 200
    assert parse_params([("pageSize", "7")], clamp_page_size=100).page_size == 7
    with pytest.raises(InvalidParameter):
        parse_params([("pageSize", "0")], clamp_page_size=100)


def test_duplicate_unknown_params_are_ignored() -> None:
    assert parse_params([("x", "1"), ("x", "2")]).page_no == 1
